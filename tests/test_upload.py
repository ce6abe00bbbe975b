"""indexer.features.upload: checking and saving uploads (no Streamlit, no model)."""
from __future__ import annotations

import inspect
import os
import subprocess
import sys

from conftest import ROOT
from indexer.features import upload
from indexer.features.upload import (MAX_NAME_BYTES, MAX_UPLOAD_BYTES, UPLOAD_TYPES, safe_filename,
                                     save_uploads, store_uploads, unique_path, unusable_reason,
                                     upload_problem, write_new_file)

PLAN = ("UBND TỈNH THỬ NGHIỆM\nKẾ HOẠCH\nPhát triển đô thị thử nghiệm\n\n"
        "I. MỤC TIÊU\n1. Phát triển hệ thống cáp treo đô thị ven biển đến năm 2030.\n"
        "2. Xây dựng 15 công viên ngập nước chống ngập cho khu dân cư ven sông.\n").encode("utf-8")


def echo(key: str, **values) -> str:
    """A translator that shows which message was chosen, with its values in a stable order."""
    return key + "".join(f"|{k}={values[k]}" for k in sorted(values))


def test_module_needs_no_streamlit_and_documents_every_function():
    code = "import sys, indexer.features.upload; assert 'streamlit' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
    assert upload.__doc__
    functions = [getattr(upload, name) for name in upload.__all__ if inspect.isfunction(getattr(upload, name))]
    assert len(functions) == 9 and all(f.__doc__ for f in functions)


def test_safe_file_names(tmp_path):
    safe = safe_filename
    assert safe("../../etc/passwd.txt") == "passwd.txt"
    assert safe("..\\..\\Windows\\evil.docx") == "evil.docx"
    assert safe("Ke\u0302\u0301 hoa\u0323ch\x07 151.TXT") == "Kế hoạch 151.txt"  # NFC, no control char
    assert safe(".hidden.md") == "hidden.md"
    assert safe("\u202egpj.txt") == "gpj.txt"  # no bidi override
    assert safe("...") is None and safe("a/b/") is None
    assert len(safe("x" * 400 + ".pdf").encode()) <= MAX_NAME_BYTES
    assert safe("ảnh" * 200 + ".pdf").endswith("ảnh.pdf")  # cut on characters, not bytes
    assert safe('a<b>:c"|?*.txt') == "a_b__c____.txt"
    assert safe("  bao   cao .TXT ") == "bao cao.txt"
    assert safe("README") == "README" and safe(None) is None and safe("") is None
    (tmp_path / "a.txt").write_text("x")
    assert unique_path(tmp_path, "a.txt").name == "a-2.txt"


def test_upload_problem_type_size_and_name():
    assert UPLOAD_TYPES == ("txt", "md", "pdf", "docx", "html", "htm")
    assert MAX_UPLOAD_BYTES == 50 * 2**20
    assert upload_problem("ke-hoach.pdf", 10) is None
    assert upload_problem("Ke-hoach.DOCX", MAX_UPLOAD_BYTES, t=echo) is None  # the limit itself is allowed
    assert upload_problem("...", 10, t=echo) == "bad_name"
    assert upload_problem("virus.exe", 10, t=echo) == (
        "bad_type|allowed=.txt, .md, .pdf, .docx, .html, .htm|suffix=.exe")
    assert upload_problem("README", 10, t=echo).startswith("bad_type|") and "suffix=(none)" in (
        upload_problem("README", 10, t=echo))
    assert upload_problem("a.txt", 0, t=echo) == "empty_file"
    assert upload_problem("a.txt", MAX_UPLOAD_BYTES + 1, t=echo) == "too_large|limit=50|size=50.0"
    assert upload_problem("a.txt", 0) == "empty_file"  # default translator: the bare key
    assert upload_problem("a.exe", 1).startswith("bad_type(suffix=.exe, allowed=")


def test_unusable_reason_parses_in_a_scratch_folder(tmp_path):
    assert unusable_reason("plan.txt", PLAN) is None
    assert unusable_reason("bao-cao.pdf", os.urandom(4096)) == "not a PDF (corrupt or wrong extension)"
    assert unusable_reason("tiny.txt", b"abc") == "no usable text after cleaning"


def test_unusable_reason_survives_a_parser_bug(monkeypatch):
    import indexer.features.upload

    def broken(path, doc_id):
        raise ZeroDivisionError

    monkeypatch.setattr(indexer.features.upload, "parse_file", broken)
    assert unusable_reason("plan.txt", PLAN) == "could not be processed (ZeroDivisionError)"


def test_write_new_file_never_overwrites(tmp_path):
    (tmp_path / "a.txt").write_bytes(b"old")
    (tmp_path / "a-2.txt").write_bytes(b"old 2")
    target = write_new_file(tmp_path, "a.txt", b"new")
    assert target == tmp_path / "a-3.txt" and target.read_bytes() == b"new"
    assert (tmp_path / "a.txt").read_bytes() == b"old" and (tmp_path / "a-2.txt").read_bytes() == b"old 2"
    assert write_new_file(tmp_path, "b.md", b"b").name == "b.md"


def test_write_new_file_takes_the_next_name_on_a_race(tmp_path, monkeypatch):
    calls, original = [], upload.unique_path

    def racing_unique_path(folder, name):
        path = original(folder, name)
        if not calls:  # someone else creates the file between the check and the write
            path.write_bytes(b"theirs")
        calls.append(path.name)
        return path

    monkeypatch.setattr(upload, "unique_path", racing_unique_path)
    target = write_new_file(tmp_path, "a.txt", b"mine")
    assert calls == ["a.txt", "a-2.txt"]
    assert target.read_bytes() == b"mine" and (tmp_path / "a.txt").read_bytes() == b"theirs"


def test_save_uploads_saves_renames_skips_and_refuses(tmp_path):
    corpus = tmp_path / "corpus"  # created on demand
    messages, saved = save_uploads([("../../Kế hoạch\x07 thử.MD", PLAN)], corpus, t=echo)
    assert saved == [corpus / "Kế hoạch thử.md"]
    assert saved[0].read_bytes() == PLAN
    assert messages == [("success", "upload_saved|name=Kế hoạch thử.md")]
    assert not (tmp_path.parent / "Kế hoạch thử.md").exists()

    other = PLAN.replace(b"2030", b"2035")
    messages, saved = save_uploads([
        ("Kế hoạch thử.md", PLAN),  # same bytes as a corpus file
        ("Kế hoạch thử.md", other),  # same name, new content: saved beside it
        ("virus.exe", b"MZ"),
        ("bao-cao.pdf", os.urandom(4096)),
        ("trong.txt", b""),
        ("Kế hoạch thử.md", other),  # a duplicate within the same batch
    ], corpus, t=echo)
    assert saved == [corpus / "Kế hoạch thử-2.md"]
    assert saved[0].read_bytes() == other
    assert messages == [
        ("info", "upload_duplicate|name=Kế hoạch thử.md|other=Kế hoạch thử.md"),
        ("warning", "upload_renamed|name=Kế hoạch thử-2.md|old=Kế hoạch thử.md"),
        ("error", "upload_bad|name=virus.exe|reason=bad_type|allowed=.txt, .md, .pdf, .docx, .html, .htm"
                  "|suffix=.exe"),
        ("error", "upload_bad|name=bao-cao.pdf|reason=not a PDF (corrupt or wrong extension)"),
        ("error", "upload_bad|name=trong.txt|reason=empty_file"),
        ("info", "upload_duplicate|name=Kế hoạch thử.md|other=Kế hoạch thử-2.md"),
    ]
    assert sorted(p.name for p in corpus.iterdir()) == ["Kế hoạch thử-2.md", "Kế hoạch thử.md"]


def test_save_uploads_keeps_an_unusable_name_in_the_message(tmp_path):
    messages, saved = save_uploads([("../", b"x")], tmp_path)
    assert saved == [] and messages == [("error", "upload_bad(name=../, reason=bad_name)")]
    assert list(tmp_path.iterdir()) == []


def test_store_uploads_reports_structured_outcomes(tmp_path):
    corpus = tmp_path / "corpus"
    report = store_uploads([("a.md", PLAN), ("b.md", PLAN), ("c.exe", b"MZ"), ("d.txt", b"")], corpus)
    assert [(i.name, i.status) for i in report.items] == [
        ("a.md", "saved"), ("b.md", "duplicate"), ("c.exe", "refused"), ("d.txt", "refused")]
    assert report.saved == ["a.md"] and report.items[1].duplicate_of == "a.md"
    assert report.items[2].reason_key == "bad_type" and report.items[2].reason_values["suffix"] == ".exe"
    assert report.items[3].reason_key == "empty_file"
    again = store_uploads([("a.md", PLAN.replace(b"2030", b"2040"))], corpus)
    assert again.items[0].status == "renamed" and again.saved == ["a-2.md"]


def test_upload_limit_is_the_streamlit_limit():
    """One value: the page's maxUploadSize (MB) is the package's upload limit."""
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] * 2**20 == MAX_UPLOAD_BYTES
