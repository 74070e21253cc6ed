"""The column-wise number parsing and missing-marker test of extract_records give exactly what the cell-by-cell
reference functions (parse_number, decimal_evidence, the marker test) give, on many strings."""

from __future__ import annotations

import math
import random

import pandas as pd
import pytest

from pipelines.ingest.layout import (MISSING_MARKERS, decimal_evidence, decimal_evidence_counts, is_missing,
                                     parse_number, parse_numbers)
from pipelines.reference import normalise_label

TRICKY = [
    "", " ", "..", "nan", "NaN", "#N/A", "n/a", "N/D", "s/o", "-", " - ", "na", "NA", "…", "x", "X", "x ", "(x)",
    "0", "00", "-0", "+3", ".5", "5.", "5.e3", "1e5", "1E-3", "1e", "inf", "-inf", "Infinity", "1_000", "0x10",
    "1,297", "1.297", "1,297,474", "1.297.474", "1 297 474", "1\u00a0297\u00a0474", "1\u202f297,5", "12,5",
    "12.5", "-12,5", "1.297,5", "1,297.5", "12,50 %", "45%", " 45 % ", "%", "1,2,3", "1..2", "1 2", "12 345,6",
    "١٢", "١٢٣,٤", "１２", "²", "①", "3\u0660", "abc", "n.a.", "N/A ", "—", "–", "12 ", "\t7\n", "1,0000",
    "12,345.678", "12.345,678", "+1.297", "-1,297", "٫", "1٬297",
]


def random_strings(n: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    alphabet = "0123456789" * 4 + ".,  %-+eE\u00a0\u202fx/na١٢" + "…"
    out = []
    for _ in range(n):
        k = rng.randint(0, 12)
        s = "".join(rng.choice(alphabet) for _ in range(k))
        if rng.random() < 0.3:        # well-formed numbers in every convention
            v = rng.choice([rng.randint(0, 9_999_999), round(rng.uniform(-1000, 1000), rng.randint(1, 3))])
            s = rng.choice(["{:,}", "{}", "{:_}"]).format(v).replace("_", rng.choice([" ", ".", "\u00a0"]))
            if rng.random() < 0.3:
                s = s.replace(".", "#").replace(",", ".").replace("#", ",")
        out.append(s)
    return out


STRINGS = TRICKY + random_strings(20_000)


def same(a, b) -> bool:
    return (a is None and (b is None or (isinstance(b, float) and math.isnan(b)))) or a == b


@pytest.mark.parametrize("decimal_comma", [False, True])
def test_parse_numbers_matches_parse_number(decimal_comma):
    got = parse_numbers(pd.Series(STRINGS, dtype=object), decimal_comma)
    bad = [(s, parse_number(s, decimal_comma), g) for s, g in zip(STRINGS, got) if not same(parse_number(s, decimal_comma), g)]
    assert not bad, bad[:10]
    assert got.notna().sum() > 5000       # the sample holds many numbers


def test_decimal_evidence_counts_matches_decimal_evidence():
    assert decimal_evidence_counts(pd.Series(STRINGS, dtype=object)) == decimal_evidence(STRINGS)
    for chunk in range(0, 2000, 100):     # and on small files, where the balance decides the convention
        part = STRINGS[chunk:chunk + 100]
        assert decimal_evidence_counts(pd.Series(part, dtype=object)) == decimal_evidence(part)


def test_is_missing_matches_the_marker_test():
    got = is_missing(pd.Series(STRINGS, dtype=object))
    want = [normalise_label(s) in MISSING_MARKERS or s.strip().lower() in MISSING_MARKERS for s in STRINGS]
    assert got.tolist() == want
    assert sum(want) > 20
