"""Property: no input crashes the readers. Random bytes and random CSV text yield tables or findings."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.ingest.layout import RECORD_COLUMNS, extract_records
from pipelines.ingest.readers import read_tables
from pipelines.quality.findings import Finding

BUDGET = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
CELL = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["indicator", "time_period", "value", "Année", "2022", "1 297,5", "1,297", "..", "F", "-",
                     "CJ_PROSECUTIONS", "DATAFLOW", "STRUCTURE", "ACTION", "D", '"', "Date of birth", "* note"]),
)


def read_all(path):
    tables, findings = read_tables(path)
    assert all(isinstance(f, Finding) for f in findings)
    for t in tables:
        df, fs, _ = extract_records(t, "KEN")
        assert list(df.columns) == list(RECORD_COLUMNS)
        assert all(isinstance(f, Finding) for f in fs)
        findings += fs
    return tables, findings


@BUDGET
@given(data=st.binary(max_size=2048), prefix=st.sampled_from([b"", b"PK\x03\x04", b"\xef\xbb\xbf", b"\xff\xfe",
                                                               b"\xfe\xff", b"%PDF-", b"[", b"{"]))
def test_random_bytes_never_crash(tmp_path, data, prefix):
    p = tmp_path / "f.bin"
    p.write_bytes(prefix + data)
    tables, findings = read_all(p)
    assert tables or findings


@BUDGET
@given(rows=st.lists(st.lists(CELL, min_size=1, max_size=6), min_size=1, max_size=12),
       sep=st.sampled_from([",", ";", "\t", "|"]), encoding=st.sampled_from(["utf-8", "utf-16", "cp1252"]))
def test_random_csv_text_never_crashes(tmp_path, rows, sep, encoding):
    text = "\n".join(sep.join(r) for r in rows)
    p = tmp_path / "f.csv"
    p.write_bytes(text.encode(encoding, errors="replace"))
    read_all(p)
