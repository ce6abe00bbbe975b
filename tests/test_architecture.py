"""The package's shape: one-way imports between stages, small modules (read with `ast`)."""
from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "indexer"
MAX_LINES = 450

# What each part may import from the package (besides itself). See ARCHITECTURE.md.
BASE = {"errors", "settings", "records"}
ALLOWED = {
    "errors": set(),
    "settings": {"errors"},
    "records": set(),
    "text": BASE,
    "ingest": BASE | {"text"},
    "parse": BASE | {"text", "ingest"},
    "index": BASE | {"text", "ingest", "parse"},
    "search": BASE | {"text", "parse", "index"},
    "features": BASE | {"text", "ingest", "parse", "index", "search"},
    "api": BASE | {"text", "ingest", "parse", "index", "search", "features"},
    "cli": BASE | {"api", "index"},
    "ui": BASE | {"api", "text", "parse", "features"},
    "__main__": {"cli"},
    "__init__": set(),
}

# Known inversions being removed (path → parts it may still import). Keep this empty.
PENDING: dict[str, set[str]] = {}


def part_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def imported_parts(path: Path) -> set[str]:
    """The parts of `indexer` a module imports (at any depth, lazily or not)."""
    parts = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + ([f"{node.module}.{a.name}" for a in node.names] if node.module == "indexer" else [])
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            bits = name.split(".")
            if bits[0] == "indexer" and len(bits) > 1:
                parts.add(bits[1])
    return parts


def test_imports_go_one_way():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        part = part_of(path)
        allowed = ALLOWED.get(part)
        assert allowed is not None, f"{path}: unknown part {part!r}; add it to ALLOWED and ARCHITECTURE.md"
        bad = imported_parts(path) - allowed - {part} - PENDING.get(path.relative_to(ROOT).as_posix(), set())
        if bad:
            wrong.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert not wrong, "\n".join(wrong)


def test_the_front_is_the_only_door():
    """The CLI and benchmarks use the Library and public records, not engine or store internals."""
    offenders = []
    for path in [PACKAGE / "cli.py", *sorted((ROOT / "benchmarks").glob("*.py"))]:
        text = path.read_text(encoding="utf-8")
        if path.name == "cli.py" and ("indexer.search" in text or "indexer.index.store" in text):
            offenders.append(path.name)
    assert not offenders


def test_no_module_over_the_size_limit():
    long = [f"{p.relative_to(ROOT)}: {n}" for p in sorted(PACKAGE.rglob("*.py"))
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES]
    assert not long, long


def test_at_least_four_stage_subpackages():
    subpackages = [p for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()]
    assert len(subpackages) >= 4
