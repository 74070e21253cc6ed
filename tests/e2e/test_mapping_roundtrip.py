"""The mnr map round trip, as a country team lives it: a file in a layout no shipped mapping knows is rejected and
its report offers a drafted mapping; mnr map drafts the same; the team only confirms the guesses and picks
among the suggested codes, deletes `draft: true` and saves the mapping under MNR_HOME/mappings/<ISO3>/; the same
file sent again is read with it, and so is the next file of that layout, each published cell by cell as
make_fixtures.py's table says."""

import contextlib
import io
import json
import re
import sys
from html import unescape

import duckdb
import pytest
import yaml

from conftest import FIXTURES, warm_copy
from pipelines.cli import main, run_pipeline

sys.path.insert(0, str(FIXTURES))
import make_fixtures as fx  # noqa: E402

FILE = FIXTURES / "files" / "own_layout_bol.csv"
NEXT = FIXTURES / "files" / "own_layout_bol_2023.csv"


def cli(*argv) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue()


def choose(text: str, key: str, code: str) -> str:
    """What a user does with a line marked CHECK: pick one of the codes its comment suggests (or confirm the
    one written). Fails if the code is not among the suggestions: the user is only choosing."""
    pattern = re.compile(rf'^(\s*"{re.escape(key)}": )(\S+)(\s+# CHECK: .*)$', re.MULTILINE)
    (match,) = pattern.finditer(text)
    assert re.search(rf"(?<![\w]){re.escape(code)}(?![\w])", match.group(3)), (key, code, match.group(3))
    return text[:match.start()] + f'{match.group(1)}"{code}"{match.group(3)}' + text[match.end():]


@pytest.fixture(scope="module")
def trip(reference_home, tmp_path_factory):
    import os

    home_dir = warm_copy(reference_home, tmp_path_factory.mktemp("map_home"))
    old = os.environ.get("MNR_HOME")
    os.environ["MNR_HOME"] = str(home_dir)
    from pipelines.settings import prepare_environment

    home = prepare_environment()
    code, out = cli("submit", str(FILE), "--country", "BOL")
    assert code == 0
    sid = out.split()[0]
    first = {r["submission_id"]: r for r in run_pipeline()}[sid]
    folder = home.feedback_dir("BOL", sid)
    before = {"row": first, "doc": json.loads((folder / "findings.json").read_text()),
              "report": (folder / "report.html").read_text(), "draft": (folder / "mapping_draft.yaml").read_text()}
    # mnr map drafts the mapping; the team edits it as a user would.
    draft_path = tmp_path_factory.mktemp("drafts") / "draft.yaml"
    assert cli("map", str(FILE), "--country", "BOL", "--out", str(draft_path))[0] == 0
    text = draft_path.read_text(encoding="utf-8")
    text = choose(text, "indicator", "CJ_VICTIMS_IDENTIFIED")
    text = choose(text, "Sin dato", "_U")
    for label, offence in fx.BOL_OFFENCES.items():
        text = choose(text, label, offence)           # confirming what the draft wrote
    text = "\n".join(line for line in text.splitlines() if not line.startswith("draft: true")) + "\n"
    saved = home.home / "mappings" / "BOL" / "police.yaml"
    saved.parent.mkdir(parents=True)
    saved.write_text(text, encoding="utf-8")
    # The same file again, and the next year's file of the same layout.
    again = cli("submit", str(FILE), "--country", "BOL")
    nxt = cli("submit", str(NEXT), "--country", "BOL")
    rows = {r["submission_id"]: r for r in run_pipeline()}
    yield home, sid, before, {"again": again, "next": nxt, "rows": rows, "draft_text": draft_path.read_text(),
                              "saved": text}
    if old is None:
        os.environ.pop("MNR_HOME", None)
    else:
        os.environ["MNR_HOME"] = old


def test_the_report_of_a_file_not_fully_read_offers_the_draft(trip):
    home, sid, before, after = trip
    assert before["row"]["verdict"] == "rejected"
    assert before["doc"]["mapping_draft"] == "mapping_draft.yaml"
    # The draft beside the report is the one mnr map prints.
    assert before["draft"] == after["draft_text"]
    report = before["report"]
    section = report[report.index('<h2 id="mapping-draft">'):]
    assert "mapping_draft.yaml" in section and "mappings/BOL/" in unescape(section)
    # The draft is in the report as text, escaped (its labels and comments are the file's, not markup).
    assert '&#34;Sexo de la víctima&#34;: &#34;sex&#34;' in section or "&quot;Sexo de la víctima&quot;" in section
    assert "<pre" in section and "Content-Security-Policy" in report


def test_mnr_map_drafts_every_column_and_the_team_only_confirms_and_chooses(trip):
    _, _, _, after = trip
    doc = yaml.safe_load(after["saved"])
    assert "draft" not in doc
    assert doc["constants"] == {"ref_area": "BOL", "indicator": "CJ_VICTIMS_IDENTIFIED"}
    assert doc["codes"] == {"offence": fx.BOL_OFFENCES, "sex": {"Sin dato": "_U"}}


def test_the_same_file_sent_again_is_read_with_the_saved_mapping_under_the_same_id(trip):
    home, sid, _, after = trip
    code, out = after["again"]
    assert code == 0 and out.startswith(sid) and "police.yaml now reads it" in out
    assert after["rows"][sid]["verdict"] in ("accepted", "accepted_with_warnings")
    folder = home.feedback_dir("BOL", sid)
    assert (folder / "findings.superseded.json").is_file()      # the first reading is kept
    assert not (folder / "mapping_draft.yaml").exists()         # read fully now: nothing more to map
    doc = json.loads((folder / "findings.json").read_text())
    assert "mapping_draft" not in doc
    used = [f for f in doc["findings"] if f["rule_id"] == "MAPPING_USED"]
    assert used and "police.yaml of your country's own mappings" in used[0]["message"]
    (left,) = [f for f in doc["findings"] if f["rule_id"] == "MAPPING_LEFT_OUT"]
    assert (left["column"], left["value"]) == ("Departamento", "La Paz, Santa Cruz")


def test_both_files_are_published_cell_by_cell(trip):
    home, sid, _, after = trip
    code, out = after["next"]
    nxt = out.split()[0]
    assert code == 0 and after["rows"][nxt]["state"] == "published"
    expected = sorted(("BOL", int(y), "CJ_VICTIMS_IDENTIFIED", fx.BOL_SEX[s], "_T", fx.BOL_OFFENCES[o], float(v),
                       "A", "F") for (y, o, s, d), v in fx.BOL_VICTIMS.items() if d == "Total")
    with duckdb.connect(str(home.warehouse), read_only=True) as con:
        got = con.execute(
            "select ref_area, time_period, indicator_code, sex, age, offence, obs_value, obs_status, obs_conf "
            "from published.observations where ref_area = 'BOL' order by all").fetchall()
        by = dict(con.execute("select time_period, min(submission_id) from published.observations "
                              "where ref_area = 'BOL' group by 1").fetchall())
    assert got == expected
    assert by == {2021: sid, 2022: sid, 2023: nxt}
