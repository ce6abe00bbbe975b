"""indexer.errors and the CLI's one error mapping (no model: these fail before it is needed)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from indexer import cli, errors
from indexer.errors import (BuildLocked, CorpusError, IndexMissing, IndexProblem, IngestError, NotFound,
                            PolicySearchError, QueryError, SettingsError)

from conftest import ROOT


def test_every_error_is_a_policy_search_error_with_a_code():
    classes = [getattr(errors, name) for name in errors.__all__]
    assert all(issubclass(c, PolicySearchError) for c in classes)
    codes = [c.code for c in classes if c is not PolicySearchError]
    assert len(codes) == len(set(codes)), "one code per kind of error"


def test_message_and_hint_make_one_line():
    exc = CorpusError("corpus folder\nnot found:  x", "create it")
    assert (exc.message, exc.hint) == ("corpus folder not found: x", "create it")
    assert str(exc) == "corpus folder not found: x — create it"
    assert str(QueryError("empty query")) == "empty query"


def test_old_import_paths_still_work():
    from indexer.index.build import BuildLocked as B, NothingToBuild
    from indexer.index.store import IndexCorrupt, IndexMismatch, IndexMissing as M
    from indexer.ingest import IngestError as I
    from indexer.search.engine import QueryError as Q

    assert (B, M, I, Q) == (BuildLocked, IndexMissing, IngestError, QueryError)
    assert all(issubclass(c, IndexProblem) for c in (IndexCorrupt, IndexMismatch, M))
    assert issubclass(NothingToBuild, PolicySearchError)


def test_ingest_error_keeps_path_and_short_reason(tmp_path):
    exc = IngestError(tmp_path / "a.pdf", "x" * 500)
    assert exc.path.name == "a.pdf" and len(exc.reason) == 240 and exc.reason.endswith("…")
    assert str(exc).startswith(str(tmp_path / "a.pdf") + ": ")


def test_compatible_builtin_bases():
    """Callers that caught ValueError / LookupError keep working."""
    assert issubclass(QueryError, ValueError) and issubclass(SettingsError, ValueError)
    assert issubclass(NotFound, LookupError)


def run_cli(capsys, *args) -> tuple[int, list[str]]:
    code = cli.main(list(args))
    err = capsys.readouterr().err
    return code, [line for line in err.splitlines() if line.strip()]


def test_cli_maps_a_missing_index_to_one_line(capsys, tmp_path):
    for command in (["docs"], ["chunks", "x"], ["topics", "--no-semantic"]):
        code, lines = run_cli(capsys, *command, "--index-dir", str(tmp_path / "none"))
        assert code == 2 and len(lines) == 1 and lines[0].startswith("error: No index found"), lines


def test_cli_maps_a_missing_corpus_and_a_missing_batch_file(capsys, tmp_path):
    code, lines = run_cli(capsys, "build", str(tmp_path / "nope"), "--index-dir", str(tmp_path / "i"))
    assert code == 2 and lines == [f"error: corpus folder not found: {tmp_path / 'nope'} — create it, "
                                   "or give the folder: python -m indexer build FOLDER"]
    code, lines = run_cli(capsys, "search", "--batch", str(tmp_path / "q.jsonl"), "--index-dir", str(tmp_path))
    assert code == 2 and len(lines) == 1 and "q.jsonl" in lines[0] and lines[0].startswith("error: ")
    code, lines = run_cli(capsys, "search", "--index-dir", str(tmp_path))
    assert code == 2 and lines == ["error: no query — give a QUERY or --batch FILE.jsonl"]


def test_cli_refuses_a_bad_setting(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("POLICY_PRECISION", "fp8")
    code, lines = run_cli(capsys, "docs", "--index-dir", str(tmp_path))
    assert code == 2 and lines == ["error: unknown precision 'fp8' — choose one of fp32, int8, bf16"]


def test_cli_error_lines_are_printable(capsys, tmp_path):
    code, lines = run_cli(capsys, "chunks", "x", "--index-dir", str(tmp_path / "a\x1b[2Jb"))
    assert code == 2 and len(lines) == 1 and "\x1b" not in lines[0]


def test_an_unexpected_bug_is_not_disguised(monkeypatch):
    """Only expected failures become one line; a bug (here a KeyError) keeps its traceback."""
    def buggy(args):
        return {}["missing"]

    monkeypatch.setattr(cli, "cmd_docs", buggy)
    with pytest.raises(KeyError):
        cli.main(["docs", "--index-dir", "x"])


def test_cli_process_exit_code_and_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "indexer", "docs", "--index-dir", str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2 and proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr
