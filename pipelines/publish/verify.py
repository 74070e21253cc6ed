"""The proof that a disclosure-controlled table leaks no suppressed value (a blocking check on every release).

An attacker who sees the published cells of an additive relation (F + M + _U = _T; age bands + _U = Y0T17)
can recompute a suppressed cell exactly when it is the only unknown cell of the relation. The verifier looks
at every relation of the table and at every derived rate, and reports each such cell.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.publish.disclosure import is_unknown, key, relations


@dataclass(frozen=True)
class Leak:
    key: tuple
    reason: str

    def __str__(self) -> str:
        area, year, ind, sex, age, off = self.key
        return f"{area} {year} {ind} sex={sex} age={age} offence={off}: {self.reason}"


def _suppressed(row: dict) -> bool:
    return is_unknown(row) and (row["obs_status"] == "Q" or row["obs_conf"] in ("C", "D"))


def leaks(rows: list[dict], rates: list[dict] = ()) -> list[Leak]:
    """Every suppressed value that can be recomputed from the published cells, in a stable order.

    `rates` (optional) carry `numerator_key`: a published rate whose numerator is suppressed gives the
    numerator back (rate x denominator), so it is a leak too."""
    found: dict[tuple, Leak] = {}
    for total, members in relations(rows):
        cells = [total, *members]
        unknown = [c for c in cells if is_unknown(c)]
        if len(unknown) == 1 and _suppressed(unknown[0]):
            cell = unknown[0]
            others = " + ".join(f"{m['sex']}/{m['age']}" for m in members if m is not cell)
            how = (f"it is the total of {others}" if cell is total
                   else f"it equals {total['sex']}/{total['age']} minus {others or 'nothing'}")
            found.setdefault(key(cell), Leak(key(cell), f"suppressed but recomputable: {how}"))
    by_key = {key(r): r for r in rows}
    for r in rates:
        num = by_key.get(tuple(r["numerator_key"]))
        if num is not None and _suppressed(num) and r["obs_value"] is not None:
            found.setdefault(key(num), Leak(key(num), f"suppressed but the rate {r['indicator_code']} "
                                                     f"({r['sex']}/{r['age']}) is published"))
    return [found[k] for k in sorted(found, key=lambda k: tuple(str(x) for x in k))]
