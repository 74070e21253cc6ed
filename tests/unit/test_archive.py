import hashlib
import json
import os

import pytest

from pipelines.ingest.archive import SubmissionRefused, all_receipts, safe_file_name, submit


def test_archive_keeps_the_bytes_and_names_the_submission_by_hash(mnr_home, tmp_path):
    f = tmp_path / "KEN data.csv"
    f.write_bytes(b"indicator,time_period,value\r\nCJ_PROSECUTIONS,2022,41\r\n\xef\xbb\xbf")
    receipt, new = submit(mnr_home, f, "ken")
    digest = hashlib.sha256(f.read_bytes()).hexdigest()
    assert new is True
    assert receipt.submission_id == f"KEN-{digest[:12]}"
    archived = receipt.path(mnr_home)
    assert archived.read_bytes() == f.read_bytes()
    assert json.loads((archived.parent / "receipt.json").read_text())["sha256"] == digest
    assert not os.access(archived, os.W_OK) or os.geteuid() == 0  # read-only (root may still write)
    assert oct(archived.stat().st_mode & 0o777) == oct(0o440)


def test_the_same_bytes_twice_change_nothing(mnr_home, tmp_path):
    f = tmp_path / "a.csv"
    f.write_text("indicator,time_period,value\nCJ_PROSECUTIONS,2022,41\n")
    first, _ = submit(mnr_home, f, "KEN")
    copy = tmp_path / "renamed.csv"
    copy.write_bytes(f.read_bytes())
    second, new = submit(mnr_home, copy, "KEN")
    assert new is False
    assert second == first
    assert len(all_receipts(mnr_home)) == 1


def test_unknown_country_and_missing_file_are_refused(mnr_home, tmp_path):
    f = tmp_path / "a.csv"
    f.write_text("x")
    with pytest.raises(SubmissionRefused, match="unknown country 'XXX'"):
        submit(mnr_home, f, "XXX")
    with pytest.raises(SubmissionRefused, match="file not found"):
        submit(mnr_home, tmp_path / "nope.csv", "KEN")
    assert all_receipts(mnr_home) == []


def test_size_limit_is_configurable(mnr_home, tmp_path, monkeypatch):
    monkeypatch.setenv("MNR_MAX_FILE_MB", "0.001")
    f = tmp_path / "big.csv"
    f.write_bytes(b"x" * 5000)
    with pytest.raises(SubmissionRefused, match="over the 0 MB limit|limit"):
        submit(mnr_home, f, "KEN")


@pytest.mark.parametrize("name,expected", [
    ("../../etc/passwd", "passwd"),
    ("..\\..\\evil.csv", "evil.csv"),
    ("ok name.xlsx", "ok name.xlsx"),
    ("", "submission"),
    ("a\x00b.csv", "ab.csv"),
])
def test_file_names_cannot_escape_the_archive(name, expected):
    assert safe_file_name(name) == expected
