"""The feedback a country receives for each submission: findings.json (contract), findings.csv, report.html.

findings.json and findings.csv are for the country's data team: they keep the values as submitted.
report.html is written to be shared (with ministries, partners): it never echoes a small count about children
(1 to MNR_SUPPRESS_MAX) that publication suppresses; such values read "fewer than N" there, in tables and
charts alike.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import os
import re
import tempfile
from pathlib import Path

from pipelines.feedback import i18n
from pipelines.feedback.charts import series_svg
from pipelines.feedback.context import is_small_child_count, suppression_max
from pipelines.pages import environment, with_policy
from pipelines.publish.exports import csv_cell
from pipelines.quality.findings import FINDING_FIELDS, OPTIONAL_FIELDS, counts, verdict
from pipelines.settings import country_file, country_folder

TEMPLATES = Path(__file__).parent / "templates"
# Beside the report of a file not fully read: the mapping mnr map drafts for it (pipelines/ingest/draft.py).
DRAFT_FILE = "mapping_draft.yaml"
_env = environment(TEMPLATES)


def findings_document(receipt, findings: list[dict], published_values: int) -> dict:
    c = counts(findings)
    return {
        "submission_id": receipt.submission_id,
        "country": receipt.country,
        "file_name": receipt.file_name,
        "verdict": verdict(c),
        "counts": c,
        "findings": [{**{k: f.get(k) for k in FINDING_FIELDS},
                      "acknowledged": bool(f.get("acknowledged")), "acknowledgement": f.get("acknowledgement")}
                     for f in findings],
        # Acknowledged warnings still count in counts.warning and still make the verdict accepted_with_warnings.
        "acknowledged": sum(1 for f in findings if f.get("acknowledged")),
        "received_at": receipt.received_at,
        "sha256": receipt.sha256,
        "published": published_values > 0,
        "published_values": published_values,
    }


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    country_file(Path(tmp))   # readable by the country's group only (SECURITY.md), before it appears
    os.replace(tmp, path)


def collapse(findings: list[dict], show: int = 5) -> list[dict]:
    """Group findings by rule (and, for unknown labels, the label) so a report shows each problem once with
    'N more'; within a group, findings identical but for their row are folded into one line with the rows."""
    groups: dict[tuple, dict] = {}
    for f in findings:
        key = (f["severity"], f["rule_id"], f.get("value") if f["rule_id"].startswith("UNKNOWN") else None)
        g = groups.setdefault(key, {"rule_id": f["rule_id"], "severity": f["severity"], "level": f["level"],
                                    "findings": [], "lines": {}})
        g["findings"].append(f)
        same = (f.get("sheet"), f.get("column"), f.get("value"), f.get("expected"), f.get("message"),
                f.get("indicator_code"), f.get("acknowledgement"))
        line = g["lines"].setdefault(same, {**f, "rows": []})
        if f.get("row") is not None:
            line["rows"].append(f["row"])
    out = []
    for g in groups.values():
        lines = list(g.pop("lines").values())
        g["shown"] = lines[:show]
        g["more"] = len(g["findings"]) - sum(max(len(x["rows"]), 1) for x in g["shown"])
        out.append(g)
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(out, key=lambda g: (order[g["severity"]], g["level"], g["rule_id"]))


_NUMBER = re.compile(r"(?<![\w.!])-?\d+(?:\.\d+)?(?![\w.])")


def mask_small(text, indicator_code: str | None, withhold: bool = False):
    """The text with every small count about children replaced by 'fewer than N' (N = MNR_SUPPRESS_MAX + 1),
    or with every number withheld (a table that publication suppresses cells of)."""
    if text is None or indicator_code is None:
        return text

    def sub(m):
        if withhold:
            return "(withheld)"
        small = is_small_child_count(indicator_code, float(m.group()))
        return f"fewer than {suppression_max() + 1}" if small else m.group()

    return _NUMBER.sub(sub, str(text))


QUOTED_PARAMS = frozenset({"value", "closest"})


def _shareable(f: dict, withheld=frozenset(), lang: str = "en", said=None) -> dict:
    """A finding as the shared report shows it: values, expected values and quoted text masked; every number
    withheld for a count about children whose table has a cell suppressed at publication. said: the message's
    id and parameters (JSON), to say it in lang; the parameters that quote the file (the value as written, the
    labels nearest to it) are masked as quoted text is, the others never hold an observed value (checks.py)."""
    code = f.get("indicator_code")
    hide = (code, f.get("time_period")) in withheld
    g = dict(f)
    g["value"], g["expected"] = mask_small(f.get("value"), code, hide), mask_small(f.get("expected"), code, hide)
    message_id, params = said or (None, None)
    if message_id and params is not None:
        g["message"] = i18n.finding_text(message_id, lang, **{
            k: mask_small(v, code, hide) if k in QUOTED_PARAMS else v for k, v in json.loads(params).items()})
    else:
        g["message"] = re.sub(r"'([^']*)'", lambda m: "'" + mask_small(m.group(1), code, hide) + "'",
                              f.get("message") or "")
    return g


def why(doc: dict, t=None) -> str:
    """The verdict's reason in one sentence, naming the rules that decided it (in plain words, by t's language)."""
    t = t or i18n.translator("en")
    lang = getattr(t, "lang", "en")

    def rules(sev):
        n: dict[str, int] = {}
        for f in doc["findings"]:
            if f["severity"] == sev:
                n[f["rule_id"]] = n.get(f["rule_id"], 0) + 1
        return ", ".join(f"{i18n.rule_name(lang, r)} ({k})" for r, k in sorted(n.items(), key=lambda kv: -kv[1]))

    c = doc["counts"]
    check = "_check" if doc.get("check_only") else ""
    if doc["verdict"] == "rejected":
        return t("why.rejected", errors=t.plural("n.errors", c["error"]), rules=rules("error"))
    if doc["verdict"] == "accepted_with_warnings":
        ack = t("why.acknowledged", n=doc["acknowledged"]) if doc.get("acknowledged") else ""
        return t(f"why.warnings{check}", warnings=t.plural("n.warnings", c["warning"]), ack=ack, rules=rules("warning"))
    return t(f"why.accepted{check}")


def findings_csv(doc: dict) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow((*FINDING_FIELDS, *OPTIONAL_FIELDS))
    for f in doc["findings"]:
        w.writerow([csv_cell(f.get(k)) for k in (*FINDING_FIELDS, *OPTIONAL_FIELDS)])
    return buf.getvalue()


def render_report(doc: dict, context: dict | None, lang: str = "en") -> str:
    """report.html in a language (pipelines/feedback/messages/): the portal renders it again in the reader's."""
    context = context or {"rules": [], "charts": [], "completeness": [], "published": []}
    t = i18n.translator(lang)
    withheld = {tuple(k) for k in context.get("withheld", ())}
    said = context.get("messages") or []
    said = said if len(said) == len(doc["findings"]) else [None] * len(doc["findings"])
    groups = collapse([_shareable(f, withheld, lang, s) for f, s in zip(doc["findings"], said)
                       if f["rule_id"] not in i18n.FOLDED_RULES])
    charts = [{**c, "svg": series_svg(c["points"], f"{c['indicator_code']} {c['breakdown']}")}
              for c in context["charts"]]
    return with_policy(_env.get_template("report.html.j2").render(
        doc=doc, groups=groups, why=why(doc, t), rules=context["rules"], charts=charts,
        completeness=context["completeness"], published=context["published"], small=suppression_max() + 1,
        t=t, lang=lang, dir=i18n.direction(lang), rule_name=lambda r: i18n.rule_name(lang, r),
        code_label=lambda c: i18n.code_label(lang, c), coverage=i18n.coverage_line(lang, doc["findings"]),
        draft_text=context.get("mapping_draft"),
        received=i18n.format_datetime(doc.get("received_at"), lang),
    ))


def write_feedback(folder: Path, doc: dict, context: dict | None = None, lang: str = "en",
                   draft: str | None = None) -> None:
    """Write the files; findings.json last, since its presence marks the submission processed.
    context (pipelines/feedback/context.py: gather) adds the per-rule table, charts, completeness and
    what was published to the report; it is kept beside it (report_context.json) so that the portal can show
    the same report in its reader's language. draft: the mapping drafted for a file not fully read
    (DRAFT_FILE); a file read fully has none, and an earlier draft is removed."""
    country_folder(folder)
    _atomic_write(folder / "findings.csv", findings_csv(doc))
    if draft:
        _atomic_write(folder / DRAFT_FILE, draft)
    else:
        (folder / DRAFT_FILE).unlink(missing_ok=True)
    if context is not None:
        _atomic_write(folder / "report_context.json", json.dumps(context, ensure_ascii=False, default=str))
    _atomic_write(folder / "report.html", render_report(doc, context, lang))
    _atomic_write(folder / "findings.json", findings_json(doc))


def findings_json(doc: dict) -> str:
    """The findings document, readable: a field per line and a finding per line. Built by hand around json's C
    encoder, which writes compact JSON only: `indent=` takes the pure-Python encoder, half a second for a
    submission with 7,000 findings."""
    dump = functools.partial(json.dumps, ensure_ascii=False, default=str)
    fields = []
    for key, value in doc.items():
        if key == "findings" and value:
            text = "[\n    " + ",\n    ".join(map(dump, value)) + "\n  ]"
        else:
            text = dump(value)
        fields.append(f"  {dump(key)}: {text}")
    return "{\n" + ",\n".join(fields) + "\n}\n"
