"""The report a ministry can read: in the file's or reader's language (texts as data, Arabic right to left),
rules in plain words with their ids in small print, coverage notes in one line, dates as people write them,
and every value of "What was published"."""

import json
import re
from html import unescape
from pathlib import Path
from types import SimpleNamespace

import pytest

from pipelines.feedback import i18n
from pipelines.feedback.context import gather
from pipelines.feedback.report import findings_document, render_report
from pipelines.quality.gate import decide
from pipelines.quality.store import findings_for, rule_results_for
from quality_db import publish
from test_report import scenario

REPO = Path(__file__).resolve().parents[2]


def _doc_and_context(conn, sid, published_values=0):
    findings = findings_for(conn, sid)
    receipt = SimpleNamespace(submission_id=sid, country="KEN", file_name=f"{sid}.csv",
                              received_at="2024-03-01T10:00:00.107059Z", sha256="0" * 64)
    return findings_document(receipt, findings, published_values), gather(conn, sid, "KEN", findings)


def test_every_language_has_every_message_and_every_rule_of_the_code_has_a_plain_name():
    en = json.loads((i18n.MESSAGES / "en.json").read_text())
    for lang in i18n.LANGUAGES:
        other = json.loads((i18n.MESSAGES / f"{lang}.json").read_text())
        assert set(other) == set(en), lang
        assert all(isinstance(v, str) and v.strip() for k, v in other.items() if k != "date.months"), lang
        assert len(other["date.months"]) == 12
    code = "\n".join(p.read_text() for p in (REPO / "pipelines").rglob("*.py"))
    rule_ids = (set(re.findall(r'rule_id="([A-Z][A-Z0-9_]+)"', code))
                | set(re.findall(r'_level0\(\s*"([A-Z][A-Z0-9_]+)"', code))
                | set(re.findall(r'"rule_id": *"([A-Z][A-Z0-9_]+)"',
                                 (REPO / "expectations" / "fct_observations.json").read_text())))
    assert len(rule_ids) > 40
    unnamed = [r for r in rule_ids if f"rule.{r}" not in en]
    assert not unnamed, f"add rule.<id> for {unnamed} to every file of pipelines/feedback/messages/"
    # And every rule the checks run (some are made per dimension or per pair of indicators) has a name in every
    # language, not its id turned into words.
    conn = scenario()
    decide(conn, [("S1", "KEN")])
    ran = {r["rule_id"] for r in rule_results_for(conn, "S1")}
    assert len(ran) > 40
    for lang in i18n.LANGUAGES:
        assert not [r for r in ran if i18n.rule_name(lang, r) == r.replace("_", " ").capitalize()], lang


@pytest.mark.parametrize("lang, verdict, rule, date", [
    ("en", "Rejected.", "Girls and boys do not add up to the total", "1 March 2024 at 10:00 (UTC)"),
    ("fr", "Refusé.", "Filles et garçons ne font pas le total", "1 mars 2024 à 10:00 (UTC)"),
    ("es", "Rechazado.", "Niñas y niños no suman el total", "1 de marzo de 2024, 10:00 (UTC)"),
    ("pt", "Rejeitado.", "Raparigas e rapazes não somam o total", "1 de março de 2024, às 10:00 (UTC)"),
    ("ar", "مرفوض.", "مجموع الفتيات والفتيان لا يساوي الإجمالي", "1 مارس 2024، الساعة 10:00 (بالتوقيت العالمي)"),
])
def test_the_report_reads_in_each_language(lang, verdict, rule, date):
    conn = scenario()
    decide(conn, [("S1", "KEN")])
    doc, context = _doc_and_context(conn, "S1")
    html = render_report(doc, context, lang)
    assert f'<html lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}">' in html
    assert f"<strong>{verdict}</strong>" in html
    # The plain rule name heads its findings; the id is in small print beside it.
    assert re.search(rf"{re.escape(rule)} \(2\) <span class=\"rid\">[^<]+<code>SEX_SUM</code>", html)
    assert date in html and "2024-03-01T10:00" not in html
    # The sentences of the report are the language's own (no English left in the verdict box).
    why = unescape(re.search(r'<span class="why">([^<]*)</span>', html).group(1))
    assert ("Any error rejects" in why) == (lang == "en")


def test_coverage_notes_are_one_line_and_published_values_are_all_shown():
    conn = scenario()
    decide(conn, [("S1", "KEN"), ("P1", "KEN")])
    publish(conn, "P1")
    doc, context = _doc_and_context(conn, "P1", published_values=2)
    not_covered = [f for f in doc["findings"] if f["rule_id"] == "NOT_COVERED"]
    assert len(not_covered) > 5
    html = render_report(doc, context, "en")
    # One line naming every indicator the file does not cover, instead of one note each.
    line = unescape(re.search(r'<p class="coverage" id="coverage">([^<]+)</p>', html).group(1))
    assert line.startswith(f"This file does not cover {len(not_covered)} of the catalogue's indicators (")
    assert all(f["indicator_code"] in line for f in not_covered)
    findings_section = html.split('id="findings"')[1].split('id="rules"')[0]
    assert "Note: Indicators not in this file" not in findings_section
    assert "<code>NOT_COVERED</code>" not in findings_section
    # "What was published": the number of values per indicator is printed (it was blank: {{ p.values }} is the
    # dict's method).
    table = html.split('id="published-table"')[1].split("</table>")[0]
    assert re.search(r'<td><code>CJ_PROSECUTIONS</code></td><td>[^<]+</td><td class="num">2</td><td>2019, 2020</td>',
                     table), table
    assert "built-in method" not in html


@pytest.mark.parametrize("texts, lang", [
    (["القيمة", "CJ_PROSECUTIONS", "NUMBER", "إناث"], "ar"),
    (["Valeur", "Filles", "Garçons", "CJ_PROSECUTIONS"], "fr"),
    (["valor", "niñas", "niños"], "es"),
    (["valor", "Meninas", "Rapazes"], "pt"),
    (["value", "Girls", "CJ_PROSECUTIONS"], "en"),
    (["CJ_PROSECUTIONS", "F", "Y0T17"], "en"),   # codes only: nothing tells, English
    ([], "en"),
])
def test_the_language_of_a_file_is_told_from_its_headers_and_labels(texts, lang):
    assert i18n.file_language(texts) == lang


# ------------------------------------------------------------------------------------------ findings' messages
def _fields(text: str) -> set[str]:
    import string

    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_finding_message_has_the_same_parameters_in_every_language():
    en = i18n.catalogue("en")
    ids = [k for k in en if k.startswith("finding.")]
    assert len(ids) > 30
    for lang in i18n.LANGUAGES:
        other = json.loads((i18n.MESSAGES / f"{lang}.json").read_text())
        for key in ids:
            assert _fields(other[key]) == _fields(en[key]), (lang, key)
            # a value quoted from the file stays quoted, so the report masks it in every language
            assert ("'{value}'" in other[key]) == ("'{value}'" in en[key]), (lang, key)


def test_rules_name_their_messages_and_the_report_says_them_in_its_language():
    """The rules store a message id with parameters (quality.findings); the English text is the findings
    document's, and a French or Arabic report says the same finding in its own words, its parameters filled in."""
    conn = scenario()
    add_rows = __import__("quality_db").add
    add_rows(conn, [{"sid": "S1", "country": "KEN", "row": 10, "indicator": "CJ_PROSECUTIONS", "year": 2021,
                     "value": "about 60"}])
    decide(conn, [("S1", "KEN")])
    doc, context = _doc_and_context(conn, "S1")
    by_rule = {(f["rule_id"], f["indicator_code"]): f for f in findings_for(conn, "S1")}
    yoy, text = by_rule["YOY_CHANGE", "CJ_PROSECUTIONS"], by_rule["NON_NUMERIC_VALUE", "CJ_PROSECUTIONS"]
    assert yoy["message_id"] == "YOY_CHANGE" and json.loads(yoy["message_params"]) == {
        "tolerance": "50", "previous_year": "2020", "year": "2021"}
    assert yoy["message"] == i18n.finding_text("YOY_CHANGE", tolerance="50", previous_year="2020", year="2021")
    assert yoy["message"].startswith("The value changes by more than the 50% this indicator normally allows")
    assert json.loads(text["message_params"])["value"] == "about 60"
    french = unescape(render_report(doc, context, "fr"))
    assert "La valeur change de plus des 50 % que cet indicateur admet d'ordinaire d'une année à l'autre (2020 à 2021)" \
        in french
    assert "'about 60' n'est pas un nombre." in french and "is not a number" not in french
    arabic = unescape(render_report(doc, context, "ar"))
    assert "'about 60' ليس رقمًا." in arabic
    # without the message ids (a report context from before them) the stored English text is shown
    assert "is not a number" in unescape(render_report(doc, {**context, "messages": []}, "fr"))


def test_a_small_count_quoted_in_a_message_is_masked_in_every_language():
    conn = scenario()
    __import__("quality_db").add(conn, [{"sid": "S1", "country": "KEN", "row": 11, "indicator": "CJ_VICTIMS_IDENTIFIED",
                                         "year": 2021, "sex": "F", "age": "Y0T17", "value": "3 girls",
                                         "column": "Victims"}])
    decide(conn, [("S1", "KEN")])
    doc, context = _doc_and_context(conn, "S1")
    assert any(f["rule_id"] == "NON_NUMERIC_VALUE" and f["value"] == "3 girls" for f in doc["findings"])
    for lang in i18n.LANGUAGES:
        html = unescape(render_report(doc, context, lang))
        assert "3 girls" not in html and "fewer than 5 girls" in html, lang
