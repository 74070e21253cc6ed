"""No SDMX-CSV row is silently dropped or changed. pysdmx's own readers (pysdmx.io.csv.sdmx10/sdmx20) parse every
column with pandas' type guessing and drop ACTION=D rows when other actions are present; the hub reads the cells
as text (pysdmx's drop_labels only separates labels from codes) and sets a D row aside with a warning. For every
SDMX-CSV fixture, each data row of the file is a record, a row set aside with a finding, or counted among the
rows a mapping leaves out; and this test shows what pysdmx would have lost."""

import csv
import re

import pandas as pd
import pytest
from pysdmx.io.csv.sdmx10.reader import read as pysdmx_read_10
from pysdmx.io.csv.sdmx20.reader import read as pysdmx_read_20

from conftest import FIXTURES
from pipelines.ingest.layout import extract_records
from pipelines.ingest.mappings import find
from pipelines.ingest.readers import read_tables

FILES = FIXTURES / "files"
SDMX = ["sdmx_v1_clean.csv", "sdmx_v2_clean.csv", "sdmx_v2_delete_dirty.csv", "sdmx_v2_numeric_codes.csv",
        "sdmx_v2_confidential.csv", "eurostat_crim_off_cat_sdmx20_labels.csv", "unicef_dw_sdmx10_labels_both.csv"]


def data_rows(name: str) -> int:
    text = (FILES / name).read_text(encoding="utf-8")
    delimiter = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
    return sum(1 for row in list(csv.reader(text.splitlines(), delimiter=delimiter))[1:] if any(row))


def ours(name: str):
    (table,), problems = read_tables(FILES / name)
    assert not problems
    mapping, _ = find(table, "KEN")
    records, findings, _ = extract_records(table, "KEN", mapping)
    return records, findings


def pysdmx_rows(name: str) -> pd.DataFrame:
    text = (FILES / name).read_text(encoding="utf-8")
    reader = pysdmx_read_20 if text.startswith("STRUCTURE") else pysdmx_read_10
    return pd.concat([d.data for d in reader(text)], ignore_index=True)


@pytest.mark.parametrize("name", SDMX)
def test_every_row_of_the_file_is_read_or_accounted_for(name):
    records, findings = ours(name)
    read = records["file_row"].nunique()
    set_aside = sum(f.rule_id == "SDMX_DELETE_NOT_APPLIED" for f in findings)
    left_out = sum(int(re.match(r"(\d+) rows?", f.message).group(1)) for f in findings
                   if f.rule_id == "MAPPING_LEFT_OUT")
    assert read + set_aside + left_out == data_rows(name)


def test_pysdmx_drops_the_delete_row_without_a_word_and_ours_keeps_it_in_view():
    for name in ("sdmx_v2_delete_dirty.csv", "sdmx_v2_numeric_codes.csv"):
        assert len(pysdmx_rows(name)) == data_rows(name) - 1
        records, findings = ours(name)
        (deleted,) = [f for f in findings if f.rule_id == "SDMX_DELETE_NOT_APPLIED"]
        assert deleted.severity == "warning" and deleted.row == data_rows(name) + 1
        assert records["file_row"].nunique() == data_rows(name) - 1


def test_pysdmx_turns_codes_into_numbers_and_ours_keeps_them_as_written():
    theirs = pysdmx_rows("sdmx_v2_numeric_codes.csv")
    assert sorted(theirs["OFFENCE"]) == ["301", "30221"]        # 030221 and 0301 lost their leading zero
    records, _ = ours("sdmx_v2_numeric_codes.csv")
    assert sorted(records["offence_raw"]) == ["0301", "030221"]
    # Values stay text to the layout too: 57 is not 57.0 and a Eurostat label column is not a value.
    assert sorted(records["value_raw"]) == ["118", "57"]


def test_labels_are_set_aside_the_same_way_as_pysdmx_does_and_every_cell_kept():
    # Where pysdmx reads correctly (labels, no deletions, codes that are not numbers), both give the same cells.
    theirs = pysdmx_rows("unicef_dw_sdmx10_labels_both.csv")
    (table,), _ = read_tables(FILES / "unicef_dw_sdmx10_labels_both.csv")
    header, *rows = table.rows
    assert len(rows) == len(theirs)
    for column in ("REF_AREA", "INDICATOR", "SEX", "WEALTH_QUINTILE", "TIME_PERIOD", "OBS_VALUE"):
        assert [r[header.index(column)] for r in rows] == [str(v) for v in theirs[column]], column
