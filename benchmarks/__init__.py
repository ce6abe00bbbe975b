"""Benchmarks: run from the repository root as ``python -m benchmarks.<name>``; each writes one
JSON report to benchmarks/results/ through `benchmarks.harness`."""
