"""The report's words in the reader's language: the texts are data (messages/<language>.json, one file per
language, the same keys as en.json); this module only looks them up, formats dates as people write them and
folds the coverage notes into one line."""

from __future__ import annotations

import functools
import json
from datetime import datetime
from pathlib import Path

MESSAGES = Path(__file__).parent / "messages"
LANGUAGES = ("en", "fr", "es", "pt", "ar")
RIGHT_TO_LEFT = frozenset({"ar"})
# Notes that say what a file does not cover: one summary line instead of one note per indicator.
FOLDED_RULES = frozenset({"NOT_COVERED"})


@functools.cache
def catalogue(lang: str) -> dict:
    """The language's messages over the English ones (a key missing in a translation reads in English)."""
    base = json.loads((MESSAGES / "en.json").read_text(encoding="utf-8"))
    if lang != "en" and lang in LANGUAGES:
        base.update(json.loads((MESSAGES / f"{lang}.json").read_text(encoding="utf-8")))
    return base


LANGUAGE_NAMES = {lang: catalogue(lang)["language.name"] for lang in LANGUAGES}


def direction(lang: str) -> str:
    return "rtl" if lang in RIGHT_TO_LEFT else "ltr"


def translator(lang: str):
    messages = catalogue(lang)

    def t(key: str, **values) -> str:
        text = messages.get(key, key)
        return text.format(**values) if values else text

    def plural(key: str, n: int) -> str:
        return t(f"{key}.one" if n == 1 else f"{key}.other", n=n)

    t.lang, t.plural = lang, plural
    return t


@functools.cache
def _relations() -> dict[str, str]:
    """The rules made from seeds/indicator_relations.csv (one per pair of indicators): rule id -> relation."""
    from pipelines.reference import read_seed

    return {r["rule_id"]: r["relation"] for r in read_seed("indicator_relations")}


BREAKDOWN = "BREAKDOWN_NOT_ALLOWED_"


def rule_name(lang: str, rule_id: str) -> str:
    """The rule in plain words (its id is shown beside it in small print). Rules made per indicator pair or per
    dimension are named by their family."""
    messages = catalogue(lang)
    if f"rule.{rule_id}" in messages:
        return messages[f"rule.{rule_id}"]
    if rule_id.startswith(BREAKDOWN):
        dim = rule_id[len(BREAKDOWN):].lower()
        return messages["rule.BREAKDOWN_NOT_ALLOWED"].format(dim=messages.get(f"dim.{dim}", dim))
    relation = _relations().get(rule_id)
    if relation is not None and f"rule.RELATION_{relation.upper()}" in messages:
        return messages[f"rule.RELATION_{relation.upper()}"]
    return rule_id.replace("_", " ").capitalize()


def finding_text(message_id: str, lang: str = "en", **params) -> str:
    """A finding's message: the text 'finding.<message_id>' of messages/<lang>.json with its parameters. The rules
    name the message and give the parameters (pipelines/quality/findings.py: message); the English text is the
    findings document's, a report in another language reads the same message in its own. A parameter `closest`
    (the known labels nearest to an unknown one) is said after the message."""
    messages = catalogue(lang)
    text = messages[f"finding.{message_id}"].format(**params)
    return text + messages["finding.closest_known"].format(labels=params["closest"]) if params.get("closest") else text


def code_label(lang: str, code: str) -> str:
    return catalogue(lang).get(f"code.{code}", code)


def format_date(value, lang: str) -> str:
    """'1 December 2026', '1 décembre 2026', '1 de diciembre de 2026'... from a date or an ISO timestamp."""
    d = _parse(value)
    if d is None:
        return "" if value is None else str(value)
    m = catalogue(lang)
    return m["date.format"].format(day=d.day, month=m["date.months"][d.month - 1], year=d.year)


def format_datetime(value, lang: str) -> str:
    d = _parse(value)
    if d is None:
        return "" if value is None else str(value)
    return catalogue(lang)["datetime.format"].format(date=format_date(d, lang), time=f"{d:%H:%M}")


def _parse(value) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


@functools.cache
def _alias_languages() -> dict[str, frozenset[str]]:
    """Every label of seeds/aliases.csv (normalised) -> the languages it belongs to (of the report's)."""
    from pipelines.reference import normalise_label, read_seed

    out: dict[str, set[str]] = {}
    for r in read_seed("aliases"):
        if r["language"] in LANGUAGES:
            out.setdefault(normalise_label(r["alias"]), set()).add(r["language"])
    return {k: frozenset(v) for k, v in out.items()}


def file_language(texts) -> str:
    """The language a file is written in, from its headers and labels: the report's language with the most
    labels of seeds/aliases.csv among them (Arabic script counts for Arabic); English when nothing tells."""
    from pipelines.reference import normalise_label

    votes = dict.fromkeys(LANGUAGES, 0)
    known = _alias_languages()
    for text in texts:
        if not text:
            continue
        if any("\u0600" <= ch <= "\u06ff" for ch in str(text)):
            votes["ar"] += 1
        for lang in known.get(normalise_label(text), ()):
            votes[lang] += 1
    best = max(votes.values())
    return "en" if best == 0 or votes["en"] == best else max(votes, key=votes.get)


def coverage_line(lang: str, findings: list[dict]) -> str:
    """The NOT_COVERED notes as one sentence, or '' if there are none."""
    codes = sorted({f.get("indicator_code") or "" for f in findings if f["rule_id"] in FOLDED_RULES} - {""})
    if not codes:
        return ""
    return translator(lang)("coverage.line", n=len(codes), codes=", ".join(codes))
