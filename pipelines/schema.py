"""The harmonised schema (DESIGN.md section 4) as its one declaration states it: the enforced dbt contract of
marts.fct_observations (dbt_project/models/marts/_marts.yml: columns, data types, not-null constraints and the
key) with the column texts of its doc blocks (_observations_columns.md). published.observations, its history,
the Arrow schema, the release files' Frictionless schema and the SDMX concepts are all made from it here.

The YAML is read directly (a few kilobytes, once per process) rather than through dbt's manifest, which would
need `dbt parse` to have run first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import yaml

from pipelines.settings import DBT_PROJECT_DIR

MARTS_YML = DBT_PROJECT_DIR / "models" / "marts" / "_marts.yml"
COLUMN_DOCS = DBT_PROJECT_DIR / "models" / "marts" / "_observations_columns.md"
MODEL = "fct_observations"

# The contract's data types (ANSI names, so that the model builds on DuckDB and Postgres) in the other schemas.
ARROW_TYPES = {"varchar": pa.string(), "integer": pa.int32(), "double precision": pa.float64()}
FRICTIONLESS_TYPES = {"varchar": "string", "integer": "integer", "double precision": "number"}


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str          # as the dbt contract declares it
    description: str        # plain text of its doc block
    not_null: bool


@dataclass(frozen=True)
class Schema:
    columns: tuple[Column, ...]
    key: tuple[str, ...]    # the published table's primary key

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def ddl(self, table: str) -> str:
        cols = ", ".join(f"{c.name} {c.data_type}{' not null' if c.not_null else ''}" for c in self.columns)
        return f"create table if not exists {table} ({cols})"

    def arrow(self) -> pa.Schema:
        return pa.schema([(c.name, ARROW_TYPES[c.data_type]) for c in self.columns])

    def frictionless_fields(self) -> list[dict]:
        return [{"name": c.name, "type": FRICTIONLESS_TYPES[c.data_type], "description": c.description}
                for c in self.columns]


def _doc_texts(docs: Path) -> dict[str, str]:
    text = docs.read_text(encoding="utf-8")
    found = re.findall(r"{%\s*docs\s+(\w+)\s*%}(.*?){%\s*enddocs\s*%}", text, flags=re.S)
    return {name: " ".join(body.split()) for name, body in found}


def _description(text: str, docs: dict[str, str]) -> str:
    ref = re.fullmatch(r"\{\{\s*doc\(\s*['\"](\w+)['\"]\s*\)\s*\}\}", text.strip())
    return docs[ref.group(1)] if ref else " ".join(text.split())


def load(marts_yml: Path = MARTS_YML, docs: Path = COLUMN_DOCS) -> Schema:
    """The schema as these files declare it (the defaults are the project's; tests pass edited copies)."""
    doc = yaml.safe_load(marts_yml.read_text(encoding="utf-8"))
    model = next(m for m in doc["models"] if m["name"] == MODEL)
    texts = _doc_texts(docs)
    columns = tuple(
        Column(c["name"], c["data_type"], _description(c.get("description", ""), texts),
               any(k.get("type") == "not_null" for k in c.get("constraints", [])))
        for c in model["columns"])
    key = tuple(model["config"]["meta"]["published_key"])
    unknown = [k for k in key if k not in {c.name for c in columns}]
    if unknown or any(ARROW_TYPES.get(c.data_type) is None for c in columns):
        raise ValueError(f"{marts_yml}: the key names unknown columns {unknown} or a column has a data type "
                         f"other than {sorted(ARROW_TYPES)}")
    return Schema(columns, key)


OBSERVATIONS = load()
COLUMNS = OBSERVATIONS.names
KEY = OBSERVATIONS.key
