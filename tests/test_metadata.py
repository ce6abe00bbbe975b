import csv

from indexer.parse.metadata import apply_corrections, read_corrections

from conftest import HA_TINH, LAM_DONG, QN_CITY, QN_PLAN, THUY_NGUYEN


def test_quang_ngai_plan(parsed):
    meta = parsed[QN_PLAN].meta
    assert meta.doc_type == "Kế hoạch"
    assert meta.number == "151/KH-UBND"
    assert meta.date == "2022-09-22"
    assert meta.issuer == "UBND tỉnh Quảng Ngãi"
    assert meta.level == "tỉnh"
    assert meta.province == "Quảng Ngãi" and meta.province_current == "Quảng Ngãi"
    assert meta.signer == "Đặng Văn Minh"
    assert meta.inferred == []


def test_ha_tinh_province_is_inferred(parsed):
    meta = parsed[HA_TINH].meta
    assert meta.province == "Hà Tĩnh"
    assert "province" in meta.inferred
    assert meta.doc_type == "Chương trình hành động"
    assert meta.signer == "Trần Thế Dũng"
    assert meta.number is None and meta.date is None


def test_thuy_nguyen_district_programme(parsed):
    meta = parsed[THUY_NGUYEN].meta
    assert meta.number == "42-CTr/HU"
    assert meta.date == "2024-03-06"
    assert meta.level == "huyện"
    assert meta.locality == "Thủy Nguyên"
    assert meta.province == "Hải Phòng" and meta.province_current == "Hải Phòng"
    assert meta.signer == "Phạm Văn Thép"
    assert "Huyện ủy Thủy Nguyên" in meta.issuer


def test_draft_without_number_or_date(parsed):
    meta = parsed[QN_CITY].meta
    assert meta.number is None and meta.date is None  # the draft leaves them blank
    assert meta.level == "thành phố" and meta.province == "Quảng Ngãi"
    assert meta.issuer == "Thành ủy Quảng Ngãi"
    assert any("2022" in w for w in meta.warnings)


def test_lam_dong(parsed):
    meta = parsed[LAM_DONG].meta
    assert meta.province == "Lâm Đồng" and meta.level == "tỉnh"
    assert meta.issuer == "Ban Thường vụ Tỉnh ủy Lâm Đồng"


def test_sidecar_corrections_win(parsed, tmp_path):
    path = tmp_path / "metadata.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["file", "number", "date", "province"])
        writer.writeheader()
        writer.writerow({"file": HA_TINH, "number": "35-CTr/TU", "date": "2022-08-10", "province": "Hà Tĩnh"})
    from dataclasses import replace

    meta = replace(parsed[HA_TINH].meta, inferred=["province"])
    fixed = apply_corrections(meta, read_corrections(path))
    assert fixed.number == "35-CTr/TU" and fixed.date == "2022-08-10"
    assert "province" not in fixed.inferred
