"""Run bench/floor.sql on a generated data set: `.venv/bin/python bench/floor.py DATA_DIR WAREHOUSE.duckdb`.

Prints one JSON line: the published rows, the rejected countries and the seconds the script took.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

BENCH = Path(__file__).resolve().parent
SEEDS = BENCH.parent / "seeds"


def norm_label_sql(column: str) -> str:
    """The DuckDB body of the dbt macro norm_label (dbt_project/macros/norm_label.sql) on this column."""
    macro = (BENCH.parent / "dbt_project" / "macros" / "norm_label.sql").read_text()
    body = macro.split("macro default__norm_label(col) -%}")[1].split("{%- endmacro")[0].strip()
    return body.replace("{{ col }}", column)


def run_floor(data_dir: Path, database: Path) -> dict:
    sql = (BENCH / "floor.sql").read_text().replace("@DATA@", str(Path(data_dir).resolve())) \
        .replace("@SEEDS@", str(SEEDS)).replace("@NORM_LABEL@", norm_label_sql("x"))
    start = time.perf_counter()
    with duckdb.connect(str(database)) as con:
        con.execute(sql)
        rows = con.execute("select count(*) from published.observations").fetchone()[0]
        rejected = [r[0] for r in con.execute(
            "select country from verdicts where verdict = 'rejected' order by 1").fetchall()]
    return {"published_rows": rows, "rejected": rejected, "seconds": round(time.perf_counter() - start, 3)}


if __name__ == "__main__":
    print(json.dumps(run_floor(Path(sys.argv[1]), Path(sys.argv[2]))))
