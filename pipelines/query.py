"""`mnr query`: read-only SQL over the published layer, and over the restricted layers for operators only.

What a query may see is decided by the database, not by reading the SQL (SECURITY.md, "Restricted layers stay
restricted"):
- DuckDB: by default the query runs on its own database file, `MNR_HOME/published_layer.duckdb`, that holds nothing
  but the public tables: `published.observations` without restricted indicators (as releases hold it) and the
  public reference tables (code lists, the catalogue, child population). It is copied from the warehouse when
  the warehouse has changed since the last copy. The query opens that file read-only with the file system,
  extensions and configuration locked, so it cannot attach or read the warehouse (0600, the service's own)
  either. `--restricted` opens the warehouse itself, as the same locked-down reader: for the operator, whom
  the file's permissions let in.
- Postgres: by default the query connects as the role named by MNR_PG_QUERY_USER, which the database lets
  read the published schema only (docs/deployment.md gives the grants and the row policy that leaves out
  restricted indicators); `--restricted` connects as the service role.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from pipelines.reference import indicators
from pipelines.settings import Paths
from pipelines.warehouse import _say_waiting_on_stderr, connect, exists, kind, warehouse_lock

PUBLIC_FILE = "published_layer.duckdb"
READERS_GROUP = "mnr-readers"
# The public tables and what each holds: one declaration, used to build the file and by the tests.
PUBLIC_TABLES = {
    "published.observations": "select * from wh.published.observations where indicator_code not in "
                              "(select unnest(?::varchar[]))",
    "reference.indicators": "select * from wh.reference.indicators where not coalesce(is_restricted, false)",
    **{f"reference.{t}": f"select * from wh.reference.{t}" for t in (
        "ref_areas", "mnr_domains", "mnr_capabilities", "cl_sex", "cl_age", "cl_offence", "cl_unit_measure",
        "cl_obs_status", "cl_obs_conf", "indicator_categories", "child_population")},
}
LOCKDOWN = ("set enable_external_access = false; set autoinstall_known_extensions = false; "
            "set autoload_known_extensions = false; set lock_configuration = true")


class QueryRefused(Exception):
    """The query cannot be run as asked (exit 2): the message says why."""


def _state(p: Paths) -> str:
    """What the copy was made from: the warehouse file and its write-ahead log as they stand."""
    parts = []
    for f in (p.warehouse, p.warehouse.with_name(p.warehouse.name + ".wal")):
        st = f.stat() if f.exists() else None
        parts.append([st.st_mtime_ns, st.st_size, st.st_ino] if st else None)
    return json.dumps(parts)


def public_database(p: Paths) -> Path:
    """MNR_HOME/published_layer.duckdb, copied again from the warehouse if the warehouse changed since. The caller
    holds the warehouse lock (shared), so no run writes meanwhile; two readers copying at once each write their
    own temporary file and the last rename wins with the same content."""
    import duckdb

    target = p.home / PUBLIC_FILE
    marker = p.state / "published_layer.source"
    state = _state(p)
    if target.exists() and marker.is_file() and marker.read_text() == state:
        return target
    fd, tmp = tempfile.mkstemp(prefix=".published-", suffix=".duckdb", dir=p.home)
    os.close(fd)
    os.unlink(tmp)   # DuckDB creates the file itself
    try:
        with duckdb.connect() as db:
            db.execute(f"attach '{p.warehouse.as_posix()}' as wh (read_only)")
            db.execute(f"attach '{Path(tmp).as_posix()}' as pub")
            have = {f"{s}.{t}" for s, t in db.execute(
                "select schema_name, table_name from duckdb_tables() where database_name = 'wh'").fetchall()}
            for schema in sorted({name.split(".")[0] for name in PUBLIC_TABLES}):
                db.execute(f"create schema pub.{schema}")
            restricted = [c for c, r in indicators().items() if r["is_restricted"] == "true"]
            for name, sql in PUBLIC_TABLES.items():
                if name in have:
                    db.execute(f"create table pub.{name} as {sql}", [restricted] if "?" in sql else None)
            db.execute("detach pub")
            db.execute("detach wh")
        _for_readers(Path(tmp))
        os.replace(tmp, target)
        marker.write_text(state)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def _for_readers(path: Path) -> None:
    """The published copy: 0640, with the group mnr-readers (statisticians with a shell) where it exists."""
    import grp

    try:
        os.chown(path, -1, grp.getgrnam(READERS_GROUP).gr_gid)
    except (KeyError, PermissionError):
        pass
    os.chmod(path, 0o640)


def run(p: Paths, sql: str, restricted: bool = False) -> tuple[list[str], list[tuple]]:
    """Columns and rows of one read-only query (QueryRefused for what cannot be run)."""
    if kind() == "postgres":
        return _run_postgres(sql, restricted)
    import duckdb

    if not exists(p.warehouse):
        raise QueryRefused("nothing has been published yet: run `mnr run` (or `mnr demo`) first")
    if restricted:
        with connect(p.warehouse, read_only=True) as conn:
            return _run_duckdb(conn.raw, sql)
    with warehouse_lock(p.warehouse, exclusive=False, on_wait=_say_waiting_on_stderr):
        path = public_database(p)
        with duckdb.connect(str(path), read_only=True) as db:
            return _run_duckdb(db, sql)


def _run_duckdb(conn, sql: str):
    import duckdb

    # A read-only database still lets SQL write files (COPY ... TO, EXPORT DATABASE), read any file, attach other
    # databases and install extensions: shut the file system and extensions off, and lock that setting.
    conn.execute(LOCKDOWN)
    try:
        cur = conn.execute(sql)
        cols = [d[0] for d in cur.description] if cur.description else []
        return cols, cur.fetchall()
    except duckdb.Error as e:
        raise _refusal(e) from e


def _refusal(e: Exception) -> QueryRefused:
    msg = str(e)
    if any(s in msg.lower() for s in ("read-only", "disabled by configuration", "has been locked",
                                      "permission denied", "cannot execute", "must be superuser")):
        return QueryRefused("mnr query is read-only over the published tables: statements that change data, "
                            "read or write files, or reach the restricted layers are refused. Use SELECT over "
                            "published.observations.")
    return QueryRefused(f"the query failed: {msg.splitlines()[0]}")


def reader_grants(role: str) -> list[str]:
    """What a database administrator runs on Postgres so that `role` reads the published layer and nothing else
    (docs/deployment.md): usage of the published schema, select on published.observations, and a row policy
    that leaves out the restricted indicators (the table's owner, the service, is not bound by it). Run again
    after the catalogue's restricted indicators change."""
    restricted = sorted(c for c, r in indicators().items() if r["is_restricted"] == "true")
    listed = ", ".join("'" + c.replace("'", "''") + "'" for c in restricted) or "''"
    return [
        f"grant usage on schema published to {role}",
        f"grant select on published.observations to {role}",
        "alter table published.observations enable row level security",
        "drop policy if exists public_rows on published.observations",
        f"create policy public_rows on published.observations for select to {role} "
        f"using (indicator_code not in ({listed}))",
    ]


def _run_postgres(sql: str, restricted: bool):
    import psycopg

    from pipelines.warehouse import postgres_settings

    settings = postgres_settings()
    if not restricted:
        user = os.environ.get("MNR_PG_QUERY_USER")
        if not user:
            raise QueryRefused("on Postgres, mnr query reads the published layer as the role MNR_PG_QUERY_USER "
                               "(with MNR_PG_QUERY_PASSWORD), which may read the published schema only: create it "
                               "as docs/deployment.md shows; operators may read the restricted layers with "
                               "--restricted")
        settings = {**settings, "user": user, "password": os.environ.get("MNR_PG_QUERY_PASSWORD", "")}
    try:
        with psycopg.connect(**settings, options="-c default_transaction_read_only=on") as conn:
            # An (empty) parameter list makes the server take exactly one statement, so the query cannot switch
            # the read-only setting off first.
            cur = conn.execute(sql, [])
            cols = [d[0] for d in cur.description] if cur.description else []
            return cols, cur.fetchall()
    except psycopg.Error as e:
        raise _refusal(e) from e
