"""The texts that label normalisation is tested on, in Python and in each database's SQL (tests/unit/test_reference.py,
tests/integration/test_postgres.py)."""

from __future__ import annotations

import csv
import unicodedata

from pipelines.settings import DBT_PROJECT_DIR, SEEDS_DIR


def seed_labels() -> set[str]:
    """Every text of every seed (labels, names, codes, aliases in every language)."""
    out: set[str] = set()
    for path in sorted(SEEDS_DIR.glob("*.csv")):
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                out |= {v for v in row.values() if v}
    return out


def hostile_labels() -> list[str]:
    """Every character Python's Unicode knows in the Basic Multilingual Plane, alone and between two letters (a
    mark or a separator between letters is where rules part), and strings that trip normalisers: compatibility
    forms, dotted capital I, sharp s, ligatures, Arabic presentation forms, tatweel, both percent signs, marks and symbols beyond the BMP."""
    chars = [chr(c) for c in range(1, 0x10000) if unicodedata.category(chr(c)) not in ("Cn", "Cs")]
    return [*chars, *(f"a{c}b" for c in chars), *(f"\u0628{c}\u062a" for c in chars),
            "İstanbul", "Straße", "ﬁn", "ÆØÅ œuvre", "½ journée", "Nº 1ª", "مـــــدينة", "ﻻ ﷲ", "٪ نسبة", "50%",
            "كوريا،جمهورية", "a\u0301\u0302b", "\u00a0\u2003 x \u3000", "Ⅻ ⅻ", "ＡＢＣ１２３", "e\u0301" * 40,
            "a\U0001D165b", "a\U000E0100b", "\U0001F44D\U0001F3FD ok", "\U0001D400\U0001D7CE"]


def macro_sql(dialect: str, column: str) -> str:
    """The body of the dbt macro norm_label for 'default' (DuckDB) or 'postgres', on this column or parameter."""
    macro = (DBT_PROJECT_DIR / "macros" / "norm_label.sql").read_text()
    body = macro.split(f"macro {dialect}__norm_label(col) -%}}")[1].split("{%- endmacro")[0].strip()
    return body.replace("{{ col }}", column)
