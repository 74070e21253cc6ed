"""The feedback report from a small warehouse: verdict and why, counts, per-rule table, collapsed findings,
a chart per warned indicator, completeness, what was published, and no small count about children echoed."""

import json
import re
from types import SimpleNamespace

from pipelines.feedback.context import gather
from pipelines.feedback.report import collapse, findings_document, mask_small, write_feedback
from pipelines.quality.gate import decide
from pipelines.quality.store import findings_for
from quality_db import add, publish, warehouse


def row(sid, n, indicator, year, value, **kw):
    return {"sid": sid, "country": "KEN", "row": n, "indicator": indicator, "year": year, "value": value, **kw}


def report(conn, sid, tmp_path, published_values=0):
    findings = findings_for(conn, sid)
    receipt = SimpleNamespace(submission_id=sid, country="KEN", file_name=f"{sid}.csv",
                              received_at="2024-03-01T10:00:00Z", sha256="0" * 64)
    doc = findings_document(receipt, findings, published_values)
    write_feedback(tmp_path, doc, gather(conn, sid, "KEN", findings))
    return doc, (tmp_path / "report.html").read_text()


def scenario():
    conn = warehouse([row("P1", n, "CJ_PROSECUTIONS", y, v) for n, y, v in ((2, 2019, 100), (3, 2020, 110))])
    publish(conn, "P1")
    add(conn, [
        row("S1", 2, "CJ_PROSECUTIONS", 2021, 330, column="Prosecutions"),                       # YOY_CHANGE
        row("S1", 3, "CJ_CONVICTIONS", 2021, 40, column="Convictions"),
        row("S1", 4, "CJ_VICTIMS_IDENTIFIED", 2021, 3, sex="F", age="Y0T17", column="Victims"),  # small count
        row("S1", 5, "CJ_VICTIMS_IDENTIFIED", 2021, 20, sex="M", age="Y0T17", column="Victims"),
        row("S1", 6, "CJ_VICTIMS_IDENTIFIED", 2021, 21, sex="_T", age="Y0T17", column="Victims"),  # SEX_SUM: 23
        row("S1", 7, "CJ_VICTIMS_IDENTIFIED", 2022, 1, sex="F", age="Y0T17", column="Victims"),
        row("S1", 8, "CJ_VICTIMS_IDENTIFIED", 2022, 2, sex="M", age="Y0T17", column="Victims"),
        row("S1", 9, "CJ_VICTIMS_IDENTIFIED", 2022, 2, sex="_T", age="Y0T17", column="Victims"),   # SEX_SUM: 3
    ])
    return conn


def test_report_shows_verdict_why_counts_rules_chart_and_masks_small_counts(tmp_path):
    conn = scenario()
    (v,) = decide(conn, [("S1", "KEN")])
    assert v["verdict"] == "rejected"
    doc, html = report(conn, "S1", tmp_path)

    # The rules are named in plain words, their ids in small print.
    assert 'class="verdict rejected"' in html and ("2 errors: Girls and boys do not add up to the total (2). "
                                                   "Any error rejects a submission") in html
    assert re.search(r"<b>2</b>errors", html) and re.search(rf"<b>{doc['counts']['warning']}</b>warnings", html)
    # Per-rule table with units tested, passed and failed.
    assert re.search(r"Girls and boys do not add up to the total<br><span class=\"rid\"><code>SEX_SUM</code></span></td>"
                     r"<td>2</td><td[^>]*>Error</td><td>[^<]+</td>"
                     r"<td class=\"num\">2</td><td class=\"num\">0</td><td class=\"num sev-error\">2</td>", html)
    # The warned indicator's series as an inline SVG with the flagged year highlighted.
    assert "<svg" in html and 'class="flagged"' in html and "2021: 330 (this file) — flagged" in html
    # Where and how to fix.
    # (values, expected values and messages isolated as <bdi>: they read left to right in an Arabic report)
    assert ("<td>6</td><td>Victims</td><td>CJ_VICTIMS_IDENTIFIED</td><td>2021</td><td><bdi dir='ltr'>21</bdi></td>"
            "<td><bdi dir='ltr'>F + M = 23</bdi></td>").replace("'", '"') in html
    # Completeness against KEN's obligations and nothing published.
    assert "<code>CJ_REPORTS_RECEIVED</code>" in html and ">missing<" in html
    assert "Nothing from this file was published" in html
    # No network, and the small count (3 victims) is not echoed anywhere in the shared report.
    assert "http" not in html.split("<body>")[1]
    assert ("<td>9</td><td>Victims</td><td>CJ_VICTIMS_IDENTIFIED</td><td>2022</td><td><bdi dir='ltr'>fewer than 5</bdi></td>"
            "<td><bdi dir='ltr'>F + M = fewer than 5</bdi></td>").replace("'", '"') in html
    assert "F + M = 3" not in html and not re.search(r"\d{4}: [1-4] \(", html)   # nor in chart tooltips
    # findings.json, for the country's data team, keeps the values as submitted.
    (sex,) = [f for f in doc["findings"] if f["rule_id"] == "SEX_SUM" and f["row"] == 9]
    assert (sex["value"], sex["expected"]) == ("2", "F + M = 3")


def test_findings_json_keeps_the_contract_shape_and_marks_acknowledgements(tmp_path):
    conn = scenario()
    add(conn, [row("S2", 2, "CJ_PROSECUTIONS", 2021, 330, column="Prosecutions", comment="New cybercrime law in 2021")])
    decide(conn, [("S2", "KEN")])
    doc, html = report(conn, "S2", tmp_path)
    saved = json.loads((tmp_path / "findings.json").read_text())
    assert set(saved) >= {"submission_id", "country", "file_name", "verdict", "counts", "findings"}
    assert saved["verdict"] == "accepted_with_warnings" and saved["acknowledged"] == 1
    (w,) = [f for f in saved["findings"] if f["rule_id"] == "YOY_CHANGE"]
    assert w["acknowledged"] is True and w["acknowledgement"] == "New cybercrime law in 2021"
    assert (w["row"], w["column"], w["value"]) == (2, "Prosecutions", "330")
    assert "acknowledged: New cybercrime law in 2021" in html
    assert (tmp_path / "findings.csv").read_text().splitlines()[0].endswith("time_period,acknowledged,acknowledgement")


def test_identical_findings_collapse_with_n_more():
    fs = [{"rule_id": "NOT_COVERED", "severity": "info", "level": 1, "column": None, "value": None,
           "expected": None, "message": f"The file has no value for X{i}.", "row": None, "indicator_code": f"X{i}"}
          for i in range(8)]
    fs += [{"rule_id": "NEGATIVE_VALUE", "severity": "error", "level": 1, "column": "value", "value": "-1",
            "expected": "at least 0", "message": "same", "row": r, "indicator_code": "CJ_PROSECUTIONS"}
           for r in (3, 4, 5)]
    groups = {g["rule_id"]: g for g in collapse(fs)}
    assert groups["NOT_COVERED"]["more"] == 3 and len(groups["NOT_COVERED"]["shown"]) == 5
    (line,) = groups["NEGATIVE_VALUE"]["shown"]
    assert line["rows"] == [3, 4, 5] and groups["NEGATIVE_VALUE"]["more"] == 0


def test_small_counts_about_children_are_masked_but_not_other_numbers():
    assert mask_small("3", "CJ_VICTIMS_IDENTIFIED") == "fewer than 5"
    assert mask_small("F + M = 4", "CJ_VICTIMS_IDENTIFIED") == "F + M = fewer than 5"
    assert mask_small("0", "CJ_VICTIMS_IDENTIFIED") == "0"       # zero stays zero
    assert mask_small("12", "CJ_VICTIMS_IDENTIFIED") == "12"
    assert mask_small("3", "CJ_PROSECUTIONS") == "3"             # adults: not a child person count


def test_no_value_of_a_table_with_suppressed_cells_is_printed_in_the_shared_report(tmp_path):
    # Published: F = 3 suppressed, M = 20 and _T = 23. A later file warns that F + M falls short of its total;
    # printing "F + M = 23" or the total beside the published M would give F back.
    conn = warehouse([row("P1", n, "CJ_VICTIMS_IDENTIFIED", 2021, v, sex=s, age="Y0T17")
                      for n, s, v in ((2, "F", 3), (3, "M", 20), (4, "_U", 0), (5, "_T", 23))])
    publish(conn, "P1")
    assert conn.execute("select count(*) from published.observations where obs_value is null").fetchone()[0] >= 2
    add(conn, [row("S2", n, "CJ_VICTIMS_IDENTIFIED", 2021, v, sex=s, age="Y0T17", column="Victims")
               for n, s, v in ((2, "F", 3), (3, "M", 20), (4, "_T", 30))])
    decide(conn, [("S2", "KEN")])
    doc, html = report(conn, "S2", tmp_path)
    (gap,) = [f for f in doc["findings"] if f["rule_id"] == "SEX_GAP"]
    assert gap["expected"] == "F + M = 23, unknown sex 7"          # findings.json: as submitted
    assert "F + M = (withheld), unknown sex (withheld)" in html
    assert "F + M = 23" not in html and "<td>30</td>" not in html


def test_cells_withheld_at_publication_are_counted_as_suppressed_in_the_report():
    # Four age bands of 1 and their total of 4: the flags alone would give every band away, so publication
    # withholds them (tests/unit/test_disclosure.py); the country's report counts them as suppressed.
    from pipelines.feedback.context import published_summary

    conn = warehouse([row("P1", n, "CJ_VICTIMS_IDENTIFIED", 2021, v, sex="_T", age=a)
                      for n, (a, v) in enumerate((("Y0T4", 1), ("Y5T9", 1), ("Y10T14", 1), ("Y15T17", 1),
                                                  ("Y0T17", 4)), start=2)]
                     + [row("P1", 7, "CJ_PROSECUTIONS", 2021, 50)])
    publish(conn, "P1")
    assert conn.execute("select count(*) from published.observations "
                        "where indicator_code = 'CJ_VICTIMS_IDENTIFIED'").fetchone()[0] < 5
    summary = {s["indicator_code"]: (s["values"], s["suppressed"]) for s in published_summary(conn, "P1")}
    assert summary == {"CJ_PROSECUTIONS": (1, 0), "CJ_VICTIMS_IDENTIFIED": (5, 5)}
