"""The feedback of a submission or a check as the portal shows it: the findings document with the warnings
acknowledged from the portal, the report in the reader's language, and the downloads."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpResponse

from pipelines.feedback import i18n
from pipelines.feedback.report import findings_csv, render_report, why
from pipelines.settings import Paths


def _read(folder: Path) -> dict | None:
    f = folder / "findings.json"
    return json.loads(f.read_text()) if f.is_file() else None


def document(p: Paths, row: dict, submission_id: str) -> dict | None:
    return _read(p.feedback_dir(row["country"], submission_id))


# ---------------------------------------------------------------------------------------------- checks
def checks_root() -> Path:
    return Path(settings.STATE_DIR) / "checks"


def new_check_home() -> Paths:
    """A home of its own for a check: its file is archived there, and the pipeline runs there on a copy of the
    warehouse (pipelines/portal/worker.py), so that nothing of it can reach the published data."""
    home = checks_root() / uuid.uuid4().hex
    home.mkdir(parents=True)
    return Paths(home)


def check_folder(upload) -> Path:
    return Paths(Path(upload.check_home)).feedback_dir(upload.country, upload.submission_id)


def check_document(upload) -> dict | None:
    """A check's findings document: what the run found on the copy, marked as a check (nothing published)."""
    doc = _read(check_folder(upload)) if upload.check_home else None
    if doc is None:
        return None
    return {**doc, "check_only": True, "published": False, "published_values": 0}


# ---------------------------------------------------------------------------------------------- language
def language(request, doc: dict | None) -> str:
    """?lang= if the reader chose one, else the file's language, else the account's."""
    chosen = request.GET.get("lang", "")
    if chosen in i18n.LANGUAGES:
        return chosen
    if doc and doc.get("language") in i18n.LANGUAGES:
        return doc["language"]
    lang = getattr(request.user, "language", "en")
    return lang if lang in i18n.LANGUAGES else "en"


# ---------------------------------------------------------------------------------------------- acknowledgements
def with_acknowledgements(doc: dict, acks: dict) -> dict:
    """The document with the warnings acknowledged from the portal marked as a comment in the file would."""
    if not acks:
        return doc
    findings = []
    for i, f in enumerate(doc["findings"]):
        a = acks.get(i)
        if a is not None and f["severity"] == "warning" and f["rule_id"] == a.rule_id:
            who = a.user.username if a.user is not None else "portal"
            f = {**f, "acknowledged": True, "acknowledgement": f"{a.comment} ({who}, {a.created_at:%Y-%m-%d})"}
        findings.append(f)
    return {**doc, "findings": findings, "acknowledged": sum(1 for f in findings if f.get("acknowledged"))}


# The page lists this many findings; all of them are in the downloads and the full report groups them.
PAGE_FINDINGS = 300


def page_context(doc: dict, lang: str, acks: dict) -> dict:
    doc = with_acknowledgements(doc, acks)
    t = i18n.translator(lang)
    findings = [{**f, "index": i, "rule_name": i18n.rule_name(lang, f["rule_id"])}
                for i, f in enumerate(doc["findings"]) if f["rule_id"] not in i18n.FOLDED_RULES]
    more = max(len(findings) - PAGE_FINDINGS, 0)
    return {"doc": doc, "lang": lang, "dir": i18n.direction(lang), "findings": findings[:PAGE_FINDINGS],
            "more": more, "more_label": t("findings.more", n=more),
            "coverage": i18n.coverage_line(lang, doc["findings"]), "why": why(doc, t),
            "acknowledged_label": t("counts.acknowledged", n=doc.get("acknowledged", 0)),
            "errors_label": t.plural("n.errors", doc["counts"]["error"]),
            "warnings_label": t.plural("n.warnings", doc["counts"]["warning"]),
            "received": i18n.format_datetime(doc.get("received_at"), lang),
            "verdict_label": t(f"verdict.{doc['verdict']}"), "languages": i18n.LANGUAGE_NAMES}


def report_html(folder: Path, doc: dict, lang: str, acks: dict) -> str:
    """The report in this language, from the document and the context the pipeline kept beside it."""
    ctx_file = folder / "report_context.json"
    context = json.loads(ctx_file.read_text()) if ctx_file.is_file() else None
    if context is not None and doc.get("check_only"):
        context = {**context, "published": []}   # the copy's publication is not the country's
    if context is None and lang == doc.get("language", "en") and not acks and (folder / "report.html").is_file():
        return (folder / "report.html").read_text()
    return render_report(with_acknowledgements(doc, acks), context, lang)


# ---------------------------------------------------------------------------------------------- downloads
def download(doc: dict, fmt: str) -> HttpResponse:
    """findings.csv / findings.json as attachments, never rendered by the browser."""
    if fmt not in ("csv", "json"):
        raise Http404("no such download")
    name = f"{doc['submission_id']}_findings.{fmt}"
    if fmt == "json":
        body, kind = json.dumps(doc, ensure_ascii=False, indent=2, default=str), "application/json"
    else:
        # A byte-order mark: Excel then opens the UTF-8 file with its accents and Arabic intact.
        body, kind = "\ufeff" + findings_csv(doc), "text/csv"
    resp = HttpResponse(body.encode("utf-8"), content_type=f"{kind}; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="{name}"'
    return resp
