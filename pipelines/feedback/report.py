"""The feedback a country receives for each submission: findings.json (contract), findings.csv, report.html."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from pipelines.quality.findings import FINDING_FIELDS, counts, verdict

TEMPLATES = Path(__file__).parent / "templates"
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))

VERDICT_TEXT = {
    "accepted": "Accepted: the submission passed every blocking check and has been published.",
    "accepted_with_warnings": "Accepted with warnings: published; please look at the warnings below and confirm "
                              "or correct the values in your next submission.",
    "rejected": "Rejected: the submission has errors and nothing from it was published. Fix the errors listed "
                "below and send the file again.",
}


def findings_document(receipt, findings: list[dict], published_values: int) -> dict:
    c = counts(findings)
    return {
        "submission_id": receipt.submission_id,
        "country": receipt.country,
        "file_name": receipt.file_name,
        "verdict": verdict(c),
        "counts": c,
        "findings": [{k: f.get(k) for k in FINDING_FIELDS} for f in findings],
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
    os.replace(tmp, path)


def _csv_cell(v) -> str:
    """Formula-safe text: a cell starting with = + - @ would run as a formula in spreadsheet software."""
    if v is None:
        return ""
    s = str(v)
    if s[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(s):
        return "'" + s
    return s


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False


def collapse(findings: list[dict], show: int = 5) -> list[dict]:
    """Group findings by rule and message pattern so a report shows each problem once with 'N more'."""
    groups: dict[tuple, dict] = {}
    for f in findings:
        key = (f["severity"], f["rule_id"], f.get("column"), f.get("value") if f["rule_id"].startswith("UNKNOWN") else None)
        g = groups.setdefault(key, {"rule_id": f["rule_id"], "severity": f["severity"], "level": f["level"],
                                    "findings": []})
        g["findings"].append(f)
    out = []
    for g in groups.values():
        g["shown"] = g["findings"][:show]
        g["more"] = len(g["findings"]) - len(g["shown"])
        out.append(g)
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(out, key=lambda g: (order[g["severity"]], g["level"], g["rule_id"]))


def write_feedback(folder: Path, doc: dict) -> None:
    """Write the three files; findings.json last, since its presence marks the submission processed."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(FINDING_FIELDS)
    for f in doc["findings"]:
        w.writerow([_csv_cell(f.get(k)) for k in FINDING_FIELDS])
    _atomic_write(folder / "findings.csv", buf.getvalue())
    html = _env.get_template("report.html.j2").render(
        doc=doc, groups=collapse(doc["findings"]), verdict_text=VERDICT_TEXT[doc["verdict"]],
    )
    _atomic_write(folder / "report.html", html)
    _atomic_write(folder / "findings.json", json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n")
