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


def rule_name(lang: str, rule_id: str) -> str:
    """The rule in plain words (its id is shown beside it in small print)."""
    messages = catalogue(lang)
    if f"rule.{rule_id}" in messages:
        return messages[f"rule.{rule_id}"]
    return messages["rule.expectations"] if rule_id.startswith(("EXPECT", "GX")) else rule_id.replace("_", " ").capitalize()


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


def coverage_line(lang: str, findings: list[dict]) -> str:
    """The NOT_COVERED notes as one sentence, or '' if there are none."""
    codes = sorted({f.get("indicator_code") or "" for f in findings if f["rule_id"] in FOLDED_RULES} - {""})
    if not codes:
        return ""
    return translator(lang)("coverage.line", n=len(codes), codes=", ".join(codes))
