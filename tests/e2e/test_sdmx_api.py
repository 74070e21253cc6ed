"""End to end: the demo samples through the pipeline, `mnr portal` on a loopback port, and the SDMX REST API read
by clients no one here wrote: sdmx1 (a custom source, as its tests of real providers configure one), pysdmx
(SDMX-CSV, and SDMX-ML with schema validation) and rsdmx in R. The values are those of published.observations,
cell for cell; suppressed cells come as NaN (or empty) with OBS_STATUS Q."""

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import sdmx
from portal_support import Portal, get

from conftest import SAMPLES, warm_copy
from pipelines.cli import run_pipeline
from pipelines.ingest.archive import submit
from pipelines.publish.publish import COLUMNS
from pipelines.sdmx import query as Q
from pipelines.sdmx.structure import restricted_indicators
from pipelines.settings import prepare_environment

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import generate  # noqa: E402

KEY = ("ref_area", "indicator_code", "sex", "age", "offence", "time_period")


@pytest.fixture(scope="module")
def hub(reference_home, tmp_path_factory):
    """The demo samples published in a home of their own and the portal serving it: (portal, published rows by
    key, the published countries)."""
    old = os.environ.get("MNR_HOME")
    home = warm_copy(reference_home, tmp_path_factory.mktemp("sdmx_home"))
    os.environ["MNR_HOME"] = str(home)
    try:
        p = prepare_environment()
        for f in sorted(SAMPLES.glob("*_*.*")):
            if f.suffix in (".csv", ".json", ".xlsx"):
                submit(p, f, f.name[:3])
        # two countries of the benchmark's generator too: full breakdowns, so small counts are suppressed
        generated = tmp_path_factory.mktemp("generated")
        for e in generate.generate(generated, 2, 2, seed=11, defective_share=0.0)["files"]:
            submit(p, generated / e["file"], e["country"])
        run_pipeline()
        with duckdb.connect(str(p.warehouse), read_only=True) as con:
            cur = con.execute(f"select {', '.join(COLUMNS)} from published.observations")
            rows = [dict(zip(COLUMNS, r)) for r in cur.fetchall()]
        served = [r for r in rows if r["indicator_code"] not in restricted_indicators()]
        published = {tuple(str(r[c]) for c in KEY): r for r in served}
        countries = sorted({r["ref_area"] for r in served})
        assert len(countries) >= 4 and any(r["obs_status"] == "Q" for r in served)
        with Portal(home) as portal:
            yield portal, published, countries
    finally:
        if old is None:
            os.environ.pop("MNR_HOME", None)
        else:
            os.environ["MNR_HOME"] = old


@pytest.fixture(scope="module")
def client(hub):
    portal = hub[0]
    sdmx.add_source({"id": "MNR", "name": "MNR Data Hub", "url": portal.url + "/sdmx/rest",
                     "supports": {"structure-specific data": True, "preview": True}}, override=True)
    return sdmx.Client("MNR")


def assert_equal_to_published(cells: dict, published: dict, country: str):
    """cells: key -> (value, OBS_STATUS, OBS_CONF, UNIT_MEASURE, COMMENT) for one country, as a client read them."""
    mine = {k: r for k, r in published.items() if k[0] == country}
    assert set(cells) == set(mine), country
    for k, r in mine.items():
        value, status, conf, unit, comment = cells[k]
        if r["obs_value"] is None:
            assert value is None or math.isnan(value), k
        else:
            assert value == r["obs_value"], k
        assert (status, conf, unit) == (r["obs_status"], r["obs_conf"], r["unit_measure"]), k
        assert (comment or None) == (r["comment"] or None), k
        if status == "Q":
            assert value is None or math.isnan(value), k


def test_sdmx1_reads_the_structures(client):
    msg = client.dataflow("DF_MNR_OCSEA")                        # sdmx1 asks ?references=all
    flow = msg.dataflow["DF_MNR_OCSEA"]
    dsd = flow.structure
    assert [d.id for d in dsd.dimensions.components] == ["REF_AREA", "INDICATOR", "SEX", "AGE", "OFFENCE",
                                                         "TIME_PERIOD"]
    assert str(msg.codelist["CL_REF_AREA"]["KEN"].name) == "Kenya"
    assert set(msg.codelist["CL_INDICATOR"]["CJ_CONVICTIONS"].name.localizations) == {"en", "fr", "es", "pt", "ar"}
    assert client.codelist("CL_SEX").codelist["CL_SEX"]["_T"].name.localizations["en"] == "Total"
    assert "OBS_CONF" in client.conceptscheme("CS_MNR_OCSEA").concept_scheme["CS_MNR_OCSEA"]
    assert client.datastructure("DSD_MNR_OCSEA").structure["DSD_MNR_OCSEA"].attributes.get("OBS_STATUS")


def test_sdmx1_reads_the_data_of_every_published_country_cell_for_cell(hub, client):
    _, published, countries = hub
    dsd = client.dataflow("DF_MNR_OCSEA").structure["DSD_MNR_OCSEA"]
    for country in countries:
        msg = client.data("DF_MNR_OCSEA", key={"REF_AREA": country}, dsd=dsd)
        frame = sdmx.to_pandas(msg.data[0], attributes="o").reset_index()
        cells = {(r.REF_AREA, r.INDICATOR, r.SEX, r.AGE, r.OFFENCE, str(r.TIME_PERIOD)):
                 (float(r.value), r.OBS_STATUS, r.OBS_CONF, r.UNIT_MEASURE,
                  r.COMMENT if isinstance(r.COMMENT, str) else None)
                 for r in frame.itertuples()}
        assert_equal_to_published(cells, published, country)


def test_sdmx1_keys_periods_generic_data_and_series_keys(hub, client):
    _, published, countries = hub
    dsd = client.dataflow("DF_MNR_OCSEA").structure["DSD_MNR_OCSEA"]
    pair = sorted({k[0] for k in published if k[1] == "CJ_CONVICTIONS"})[:2]
    start = max(int(k[5]) for k in published if k[0] in pair and k[1] == "CJ_CONVICTIONS")
    msg = client.data("DF_MNR_OCSEA", key=f"{'+'.join(pair)}.CJ_CONVICTIONS...", params={"startPeriod": start},
                      dsd=dsd)
    got = {(k.values["REF_AREA"].value, str(o.dimension.values["TIME_PERIOD"].value))
           for k, obs in msg.data[0].series.items() for o in obs}
    want = {(k[0], k[5]) for k in published if k[0] in pair and k[1] == "CJ_CONVICTIONS" and int(k[5]) >= start}
    assert got == want and len(pair) == 2 and want
    generic = client.data("DF_MNR_OCSEA", key=f"{countries[0]}....", headers={"Accept": Q.GENERIC_DATA})
    assert len(generic.data[0].obs) == sum(1 for k in published if k[0] == countries[0])
    keys = client.preview_data("DF_MNR_OCSEA", key={"REF_AREA": countries[0]})
    assert len(keys) == len({k[:5] for k in published if k[0] == countries[0]})


def test_sdmx1_gets_an_error_for_no_data_and_bad_keys(client):
    with pytest.raises(Exception) as e:
        client.data("DF_MNR_OCSEA", key="ATA....")
    assert "404" in str(e.value)
    with pytest.raises(Exception) as e:
        client.get(url=client.source.url + "/data/DF_MNR_OCSEA/KEN.CJ_CONVICTIONS")
    assert "400" in str(e.value)


def test_pysdmx_reads_the_sdmx_csv_answer_and_the_structure_specific_data(hub):
    from pysdmx.io import get_datasets, read_sdmx

    portal, published, countries = hub
    base = portal.url + "/sdmx/rest"
    for country in countries:
        ds = read_sdmx(f"{base}/data/DF_MNR_OCSEA/{country}....?format=csvdata").data[0]
        assert ds.short_urn == "Dataflow=MNR:DF_MNR_OCSEA(1.0.0)"
        cells = {(r.REF_AREA, r.INDICATOR, r.SEX, r.AGE, r.OFFENCE, r.TIME_PERIOD):
                 (float(r.OBS_VALUE) if r.OBS_VALUE else None, r.OBS_STATUS, r.OBS_CONF, r.UNIT_MEASURE, r.COMMENT)
                 for r in ds.data.itertuples()}
        assert_equal_to_published(cells, published, country)
    # SDMX-ML read and schema-validated by pysdmx (validate=True is its default), with the structure
    structure = read_sdmx(f"{base}/dataflow/MNR/DF_MNR_OCSEA/1.0.0?references=all")
    assert {s.id for s in structure.structures} >= {"DF_MNR_OCSEA", "DSD_MNR_OCSEA", "CL_INDICATOR"}
    ds = get_datasets(f"{base}/data/DF_MNR_OCSEA/{countries[0]}....",
                      f"{base}/dataflow/MNR/DF_MNR_OCSEA/1.0.0?references=all")[0]
    assert len(ds.data) == sum(1 for k in published if k[0] == countries[0])


def test_http_answers_as_the_standard_says(hub):
    portal, published, countries = hub
    base = portal.url + "/sdmx/rest"
    status, headers, body = get(f"{base}/data/DF_MNR_OCSEA/{countries[0]}....")
    assert status == 200 and headers["Content-Type"] == Q.SS_DATA and body.startswith(b"<?xml")
    assert "Accept" in headers["Vary"] and headers["Cache-Control"].startswith("public")
    # readable by browser-based clients on other sites (.Stat Data Explorer): public data, no credentials
    assert headers["Access-Control-Allow-Origin"] == "*" and headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    assert "Access-Control-Allow-Credentials" not in headers
    etag = headers["ETag"]
    assert get(f"{base}/data/DF_MNR_OCSEA/{countries[0]}....", {"If-None-Match": etag})[0] == 304
    status, headers, body = get(f"{base}/data/DF_MNR_OCSEA/{countries[0]}....", {"Accept": "text/csv"})
    assert status == 200 and headers["Content-Type"] == Q.CSV_1 and body.startswith(b"DATAFLOW,")
    for url, headers, code, sdmx_code in [
        ("/data/DF_MNR_OCSEA/ATA....", {}, 404, b'code="100"'),
        ("/data/DF_OTHER/all", {}, 404, b'code="100"'),
        ("/data/DF_MNR_OCSEA/KEN.CJ_CONVICTIONS", {}, 400, b'code="140"'),
        ("/data/DF_MNR_OCSEA/all?startPeriod=soon", {}, 400, b'code="140"'),
        ("/data/DF_MNR_OCSEA/all?updatedAfter=2024-01-01T00:00:00Z", {}, 501, b'code="501"'),
        ("/categoryscheme/MNR/all/latest", {}, 501, b'code="501"'),
        ("/data/DF_MNR_OCSEA/all", {"Accept": "application/vnd.sdmx.data+json;version=1.0.0"}, 406, b'code="406"'),
        ("/codelist/MNR/CL_FREQ/latest", {}, 404, b'code="100"'),
    ]:
        status, h, body = get(base + url, headers)
        assert status == code, (url, status, body)
        assert b"<message:Error" in body and sdmx_code in body, url
    status, headers, _ = get(f"{base}/codelist/MNR/CL_SEX/1.0.0")
    assert status == 200 and headers["Content-Type"] == Q.STRUCTURE_XML
    assert get(f"{base}/codelist/MNR/CL_SEX/1.0.0", {"If-None-Match": headers["ETag"]})[0] == 304
    # only GET and HEAD
    import urllib.request

    req = urllib.request.Request(f"{base}/data/DF_MNR_OCSEA/all", method="HEAD")
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.status == 200 and r.read() == b""
    req = urllib.request.Request(f"{base}/data/DF_MNR_OCSEA/all", method="POST", data=b"x")
    with pytest.raises(Exception) as e:
        urllib.request.urlopen(req, timeout=30)
    assert getattr(e.value, "code", None) in (403, 405)


RSCRIPT = shutil.which("Rscript")


def test_rsdmx_reads_the_structure_and_the_data(hub, tmp_path):
    """The README's R code (rsdmx as Debian packages it: r-cran-rsdmx, which .ci/run installs)."""
    if RSCRIPT is None or subprocess.run([RSCRIPT, "-e", "library(rsdmx)"], capture_output=True).returncode:
        pytest.skip("no R with rsdmx on this machine (apt-get install r-cran-rsdmx)")
    portal, published, countries = hub
    script = tmp_path / "read.R"
    script.write_text(f"""
library(rsdmx)
base <- "{portal.url}/sdmx/rest"
provider <- SDMXServiceProvider(agencyId = "MNR", name = "MNR Data Hub",
  builder = SDMXREST21RequestBuilder(regUrl = base, repoUrl = base, compliant = TRUE))
addSDMXServiceProvider(provider)
flow <- readSDMX(providerId = "MNR", resource = "dataflow", resourceId = "DF_MNR_OCSEA")
data <- as.data.frame(readSDMX(providerId = "MNR", resource = "data", flowRef = "DF_MNR_OCSEA",
                               key = "{countries[0]}...."))
codes <- as.data.frame(readSDMX(paste0(base, "/codelist/MNR/CL_INDICATOR/latest")), codelistId = "CL_INDICATOR")
write.csv(data, "{tmp_path}/data.csv", row.names = FALSE)
cat(nrow(codes), "indicators;", sum(!is.na(codes$name.ar)), "named in Arabic\\n")
""")
    out = subprocess.run([RSCRIPT, str(script)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    import pandas as pd

    frame = pd.read_csv(tmp_path / "data.csv", dtype=str, keep_default_na=False)
    if "COMMENT" not in frame:      # rsdmx leaves out a column that no observation of the answer has
        frame["COMMENT"] = ""
    cells = {(r.REF_AREA, r.INDICATOR, r.SEX, r.AGE, r.OFFENCE, r.TIME_PERIOD):
             (float(r.OBS_VALUE) if r.OBS_VALUE not in ("", "NA") else None, r.OBS_STATUS, r.OBS_CONF,
              r.UNIT_MEASURE, r.COMMENT if r.COMMENT not in ("", "NA") else None)
             for r in frame.itertuples()}
    assert_equal_to_published(cells, published, countries[0])
    words = next(line for line in out.stdout.splitlines() if "indicators;" in line).split()
    assert words[0] == words[2] and int(words[0]) > 60, out.stdout     # every indicator has its Arabic name
