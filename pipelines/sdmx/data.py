"""SDMX data messages over published.observations, written as a stream of byte chunks.

Only the published, disclosure-controlled table is read (read-only; restricted indicators left out, as in a
release): a suppressed cell is there with OBS_STATUS Q and no value. The messages are written here rather than by
pysdmx, whose data writers build the whole message from one in-memory DataFrame (and, in 1.21, leave `"` unescaped
in attribute values and write an invalid ss:dataScope): each observation's text is rendered by the database, in
the SQL below, and fetched in batches, one group of partitions (countries, by default) at a time, so that memory
stays flat however large the answer.

Formats: SDMX-ML 2.1 structure-specific data (the default), SDMX-ML 2.1 generic data, SDMX-CSV 1.0.0 and 2.0.0.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timezone

from pipelines.sdmx import structure as st
from pipelines.sdmx.errors import SdmxError, no_results, not_implemented
from pipelines.sdmx.query import DataQuery, Format

TABLE = "published.observations"
BATCH_ROWS = 1000            # rendered series (or observations) fetched from the cursor at a time
GROUP_ROWS = 50_000          # observations per query: partitions are taken together up to this many
CHUNK_BYTES = 256 * 1024     # the size of the chunks yielded to the web server, roughly

NS_MESSAGE = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"
NS_COMMON = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common"
NS_SS = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific"
NS_GENERIC = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"

FREE_TEXT = {"comment", "source_ref", "submission_id"}
NUMBERS = {"time_period", "mnr_capability"}


# ------------------------------------------------------------------------------------------ SQL text helpers
def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _text(column: str) -> str:
    """A column as text: empty text as null; control characters that XML 1.0 cannot carry replaced."""
    if column in NUMBERS:
        return f"cast({column} as varchar)"
    if column in FREE_TEXT:
        return (f"nullif(regexp_replace({column}, '[\\x01-\\x08\\x0B\\x0C\\x0E-\\x1F]', '\uFFFD', 'g'), '')")
    return f"nullif({column}, '')"


def _number(column: str = "obs_value") -> str:
    """One text form per number: whole numbers without a decimal point (as the release files write them), others
    in the database's shortest exact form."""
    return (f"case when {column} = trunc({column}) and abs({column}) < 1e15 "
            f"then cast(cast({column} as bigint) as varchar) else cast({column} as varchar) end")


def _xml(expr: str) -> str:
    """XML-escaped text for an attribute value."""
    for raw, ref in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        expr = f"replace({expr}, {_literal(raw)}, {_literal(ref)})"
    for code in (9, 10, 13):
        expr = f"replace({expr}, chr({code}), '&#{code};')"
    return expr


def _csv(expr: str) -> str:
    """An RFC 4180 field: quoted when it holds a comma, a quote or a line break."""
    return (f"case when strpos({expr}, ',') > 0 or strpos({expr}, '\"') > 0 or strpos({expr}, chr(10)) > 0 "
            f"or strpos({expr}, chr(13)) > 0 then '\"' || replace({expr}, '\"', '\"\"') || '\"' else {expr} end")


def _formula_safe(expr: str) -> str:
    """As the release files write text (pipelines.publish.exports.csv_cell): SDMX-CSV is opened in spreadsheets,
    so a text a spreadsheet would run (a footnote `=HYPERLINK(...)`) starts with an apostrophe; numbers never."""
    from pipelines.publish.exports import FORMULA_STARTS

    starts = ", ".join(_literal(c) for c in FORMULA_STARTS)
    return (f"case when substr({expr}, 1, 1) in ({starts}) and not ({expr} ~ '{_NUMBER}') "
            f"then {APOSTROPHE} || {expr} else {expr} end")


APOSTROPHE = _literal("'")
_NUMBER = r"^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$"


def _labelled(concept: st.Concept, expr: str, language: str) -> str:
    """`CODE: Name` for SDMX-CSV labels=both (a CASE over the code list; codes not in it stay as they are)."""
    if not concept.codelist:
        return expr
    whens = " ".join(f"when {_literal(c.id)} then {_literal(c.id + ': ' + c.names.get(language, c.names['en']))}"
                     for c in st.codelists()[concept.codelist])
    return f"case {expr} {whens} else {expr} end"


def _value(concept: st.Concept) -> str:
    return _number() if concept.role == "measure" else _text(concept.column)


# ------------------------------------------------------------------------------------------ renderers
# A query renders in two steps: an inner projection gives each component's text once, escaped for the format
# (`v_<ID>`: the database does not share an expression that a renderer repeats, and free text is costly), and
# the outer one writes the lines with concat(), which copies once per line where `||` copies at every step.
def _v(c: st.Concept) -> str:
    return f"v_{c.id}"


def _opt(before: str, c: st.Concept, after: str) -> str:
    """The component's text between two literals, or nothing when it has no value."""
    return f"case when {_v(c)} is null then '' else concat({_literal(before)}, {_v(c)}, {_literal(after)}) end"


class Layout:
    """Which concepts go where for one dimensionAtObservation."""

    def __init__(self, q: DataQuery):
        dims = [*st.DIMENSIONS, st.BY_ID["TIME_PERIOD"]]
        self.flat = q.dimension_at_observation == "AllDimensions"
        self.obs_dim = None if self.flat else st.BY_ID[q.dimension_at_observation]
        self.series = [] if self.flat else [d for d in dims if d is not self.obs_dim]
        self.key = dims
        self.attributes = [] if q.detail == "dataonly" else list(st.ATTRIBUTES)
        self.measure = st.BY_ID["OBS_VALUE"]
        self.components = [*self.key, self.measure, *self.attributes]
        # the queries are split on this dimension's values (countries; indicators when REF_AREA is at the
        # observation): memory stays bounded by one group of them
        self.partition = next(d for d in st.DIMENSIONS if d is not self.obs_dim)


def _values_sql(fmt: Format, concepts, language: str) -> str:
    out = []
    for c in concepts:
        expr = _value(c)
        if not fmt.name.startswith("csv"):
            expr = _xml(expr)
        else:
            if c.column in FREE_TEXT:
                expr = _formula_safe(expr)
            if fmt.labels == "both":
                expr = _labelled(c, expr, language)
        out.append(f"{expr} as {_v(c)}")
    return ", ".join(out)


def _ss_attrs(concepts) -> list[str]:
    return [_opt(f' {c.id}="', c, '"') for c in concepts]


def _generic_values(concepts) -> list[str]:
    return [_opt(f'<generic:Value id="{c.id}" value="', c, '"/>') for c in concepts]


def _concat(parts: list[str]) -> str:
    return f"concat({', '.join(parts)})"


def _obs_sql(fmt: Format, layout: Layout) -> str:
    """The text of one observation."""
    if fmt.name == "structurespecific":
        inner = [*(layout.key if layout.flat else [layout.obs_dim]), layout.measure, *layout.attributes]
        return _concat(["'<Obs'", *_ss_attrs(inner), "'/>'"])
    if layout.flat:
        head = ["'<generic:Obs><generic:ObsKey>'", *_generic_values(layout.key), "'</generic:ObsKey>'"]
    else:
        head = ["'<generic:Obs><generic:ObsDimension value=\"'", _v(layout.obs_dim), "'\"/>'"]
    value = _opt('<generic:ObsValue value="', layout.measure, '"/>')
    attrs = (["'<generic:Attributes>'", *_generic_values(layout.attributes), "'</generic:Attributes>'"]
             if layout.attributes else [])
    return _concat([*head, value, *attrs, "'</generic:Obs>'"])


def _series_open(fmt: Format, layout: Layout, empty: bool = False) -> list[str]:
    if fmt.name == "structurespecific":
        return ["'<Series'", *_ss_attrs(layout.series), "'/>'" if empty else "'>'"]
    return ["'<generic:Series><generic:SeriesKey>'", *_generic_values(layout.series), "'</generic:SeriesKey>'"]


def _series_close(fmt: Format) -> str:
    return "</Series>" if fmt.name == "structurespecific" else "</generic:Series>"


def _csv_row_sql(fmt: Format, layout: Layout) -> str:
    flow = st.DATAFLOW_URN + (": " + st.DATAFLOW_NAME if fmt.labels == "both" else "")
    lead = ("dataflow," if fmt.name == "csv2" else "") + _csv_field_literal(flow) + (",I" if fmt.name == "csv2" else "")
    parts = [_literal(lead)]
    for c in layout.components:
        parts += ["','", _csv(_v(c))]
    return _concat([*parts, "chr(13)", "chr(10)"])


def _csv_field_literal(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(ch in text for ch in ',"\r\n') else text


def csv_header(fmt: Format, layout: Layout, language: str = "en") -> str:
    def head(c: st.Concept) -> str:
        return c.id + (": " + c.name if fmt.labels == "both" and c.role != "measure" else "")
    lead = ["STRUCTURE", "STRUCTURE_ID", "ACTION"] if fmt.name == "csv2" else ["DATAFLOW"]
    return ",".join([*lead, *(_csv_field_literal(head(c)) for c in layout.components)]) + "\r\n"


# ------------------------------------------------------------------------------------------ the queries
def _where(q: DataQuery) -> tuple[str, list]:
    """The filter of a query (its parameters in order): the key, the years, never a restricted indicator."""
    clauses, params = ["indicator_code not in (select unnest(?::varchar[]))"], [sorted(st.restricted_indicators())]
    for dim, codes in q.key.items():
        clauses.append(f"{st.BY_ID[dim].column} in (select unnest(?::varchar[]))")
        params.append(list(codes))
    if q.start_year is not None:
        clauses.append("time_period >= ?")
        params.append(q.start_year)
    if q.end_year is not None:
        clauses.append("time_period <= ?")
        params.append(q.end_year)
    return " and ".join(clauses), params


def _source(q: DataQuery, layout: Layout, partition: bool) -> tuple[str, list]:
    """The matching rows (of some partitions: the last parameter), first/last N observations per series kept."""
    where, params = _where(q)
    if partition:
        where += f" and {layout.partition.column} in (select unnest(?::varchar[]))"
    if q.first_n is None and q.last_n is None:
        return f"select * from {TABLE} where {where}", params
    series = ", ".join(d.column for d in st.DIMENSIONS)
    keep = []
    if q.first_n is not None:
        keep.append(f"_first <= {int(q.first_n)}")
    if q.last_n is not None:
        keep.append(f"_last <= {int(q.last_n)}")
    return (f"select * from (select *, row_number() over (partition by {series} order by time_period) as _first, "
            f"row_number() over (partition by {series} order by time_period desc) as _last "
            f"from {TABLE} where {where}) ranked where {' and '.join(keep)}", params)


def render_sql(q: DataQuery, fmt: Format, language: str = "en") -> tuple[str, list]:
    """One query giving, row by row, the text of a group of partitions: whole series (SDMX-ML), a series' worth
    of observations (AllDimensions, SDMX-CSV) or bare series keys (detail=serieskeysonly/nodata). Its last
    parameter is the list of partition values."""
    layout = Layout(q)
    source, params = _source(q, layout, partition=True)
    keys = ", ".join(d.column for d in st.DIMENSIONS)
    if q.detail in ("serieskeysonly", "nodata") and not fmt.name.startswith("csv"):
        cols = ", ".join(d.column for d in layout.series)
        line = _concat(_series_open(fmt, layout, empty=True) if fmt.name == "structurespecific"
                       else [*_series_open(fmt, layout), _literal(_series_close(fmt))])
        return (f"select {line} from (select {cols}, {_values_sql(fmt, layout.series, language)} "
                f"from (select distinct {cols} from ({source}) s0) s1) s order by {cols}", params)
    values = (f"select {keys}, time_period, {_values_sql(fmt, layout.components, language)} "
              f"from ({source}) s0")
    if fmt.name.startswith("csv") or layout.flat:
        # flat rows too are taken a series at a time: a fifteenth of the rows to fetch into Python
        line = _csv_row_sql(fmt, layout) if fmt.name.startswith("csv") else _obs_sql(fmt, layout)
        return (f"select string_agg({line}, '' order by time_period) from ({values}) s group by {keys} "
                f"order by {keys}", params)
    cols = ", ".join(d.column for d in layout.series)
    observations = f"string_agg({_obs_sql(fmt, layout)}, '' order by {layout.obs_dim.column})"
    line = _concat([*_series_open(fmt, layout), observations, _literal(_series_close(fmt))])
    # grouped by the series' codes and their texts (one to one), ordered by the codes
    return (f"select {line} from ({values}) s group by {cols}, {', '.join(_v(c) for c in layout.series)} "
            f"order by {cols}", params)


def partitions_sql(q: DataQuery) -> tuple[str, list]:
    """The partition values that hold matching observations, with how many each."""
    layout = Layout(q)
    source, params = _source(q, layout, partition=False)
    col = layout.partition.column
    return f"select {col}, count(*) from ({source}) s group by {col} order by {col}", params


def _groups(counts: list[tuple[str, int]]) -> list[list[str]]:
    groups, current, n, size = [], [], 0, GROUP_ROWS
    for value, count in counts:
        if current and n + count > size:
            groups.append(current)
            current, n = [], 0
        current.append(value)
        n += count
    if current:
        groups.append(current)
    return groups


# ------------------------------------------------------------------------------------------ the messages
def _header(fmt: Format, layout: Layout, prepared: datetime) -> str:
    at_obs = "AllDimensions" if layout.flat else layout.obs_dim.id
    stamp = prepared.strftime("%Y-%m-%dT%H:%M:%SZ")
    ident = f"MNR_DATA_{prepared.strftime('%Y%m%dT%H%M%S%f')}"
    if fmt.name == "structurespecific":
        ns = f"urn:sdmx:org.sdmx.infomodel.datastructure.Dataflow={st.DATAFLOW_URN}:ObsLevelDim:{at_obs}"
        root = (f'<message:StructureSpecificData xmlns:message="{NS_MESSAGE}" xmlns:common="{NS_COMMON}" '
                f'xmlns:ss="{NS_SS}" xmlns:xsi="{NS_XSI}" xmlns:ns1="{ns}">')
        structure_ns = f' namespace="{ns}"'
    else:
        root = (f'<message:GenericData xmlns:message="{NS_MESSAGE}" xmlns:common="{NS_COMMON}" '
                f'xmlns:generic="{NS_GENERIC}" xmlns:xsi="{NS_XSI}">')
        structure_ns = ""
    ref = f"MNR_{st.DATAFLOW}_{st.VERSION.replace('.', '_')}"
    head = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{root}<message:Header><message:ID>{ident}</message:ID>'
        f"<message:Test>false</message:Test><message:Prepared>{stamp}</message:Prepared>"
        f'<message:Sender id="{st.AGENCY}"/>'
        f'<message:Structure structureID="{ref}"{structure_ns} dimensionAtObservation="{at_obs}">'
        f'<common:StructureUsage><Ref agencyID="{st.AGENCY}" id="{st.DATAFLOW}" version="{st.VERSION}"/>'
        "</common:StructureUsage></message:Structure></message:Header>"
    )
    if fmt.name == "structurespecific":
        head += (f'<message:DataSet ss:structureRef="{ref}" xsi:type="ns1:DataSetType" ss:dataScope="Dataflow" '
                 'action="Information">')
    else:
        head += f'<message:DataSet structureRef="{ref}" action="Information">'
    return head


def _footer(fmt: Format) -> str:
    root = "StructureSpecificData" if fmt.name == "structurespecific" else "GenericData"
    return f"</message:DataSet></message:{root}>\n"


class DataResponse:
    """The answer to one data query, as an iterable of byte chunks for a streamed HTTP response.

    Constructing it opens the published layer and finds the partitions that hold data (no data: SdmxError 404,
    before anything is sent); iterating it writes the message, one group of partitions per query, fetching the
    cursor in batches; the connection is closed at the end, or by close() when the client goes away."""

    def __init__(self, q: DataQuery, fmt: Format, connect: Callable, language: str = "en"):
        if fmt.name.startswith("csv") and q.detail in ("serieskeysonly", "nodata"):
            raise not_implemented(f"detail={q.detail} is served in SDMX-ML (series keys); SDMX-CSV holds "
                                  "observations")
        self.q, self.fmt, self.language = q, fmt, language
        self.layout = Layout(q)
        self._stack = ExitStack()
        try:
            self.db = self._stack.enter_context(connect())
            sql, params = partitions_sql(q)
            counts = [(v, n) for v, n in self.db.execute(sql, params).fetchall()]
        except BaseException:
            self._stack.close()
            raise
        if not counts:
            self._stack.close()
            raise no_results("no published observations match this query (key, periods); "
                             f"GET dataflow/{st.AGENCY}/{st.DATAFLOW}/{st.VERSION}?references=all lists the codes")
        self.observations = sum(n for _, n in counts)
        self.groups = _groups(counts)

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._chunks()
        finally:
            self.close()

    def close(self) -> None:
        self._stack.close()

    def _chunks(self) -> Iterator[bytes]:
        fmt = self.fmt
        if fmt.name.startswith("csv"):
            buf = [csv_header(fmt, self.layout, self.language)]
        else:
            buf = [_header(fmt, self.layout, datetime.now(timezone.utc))]
        size = len(buf[0])
        sql, params = render_sql(self.q, fmt, self.language)
        for group in self.groups:
            cur = self.db.execute(sql, [*params, group])
            while True:
                rows = cur.fetchmany(BATCH_ROWS)
                if not rows:
                    break
                for (text,) in rows:
                    buf.append(text)
                    size += len(text)
                    if size >= CHUNK_BYTES:
                        yield "".join(buf).encode("utf-8")
                        buf, size = [], 0
        if not fmt.name.startswith("csv"):
            buf.append(_footer(fmt))
        yield "".join(buf).encode("utf-8")


# ------------------------------------------------------------------------------------------ the warehouse
DEFAULT_READER_MEMORY = "256MB"


def reader_memory() -> str:
    """MNR_SDMX_DUCKDB_MEMORY (default 256MB): DuckDB's buffers for the API's reads."""
    from pipelines.warehouse import _MEMORY

    limit = os.environ.get("MNR_SDMX_DUCKDB_MEMORY", DEFAULT_READER_MEMORY).strip()
    if not _MEMORY.match(limit):
        raise ValueError(f"MNR_SDMX_DUCKDB_MEMORY is {limit!r}: write a size such as 256MB")
    return limit


def published_connector(p, wait_seconds: float) -> Callable:
    """How a DataResponse opens the published layer (`p`: the Paths of MNR_HOME), as `mnr query` does: what it
    may see is decided by the database, not by the SQL (pipelines/query.py, SECURITY.md).

    - DuckDB: the copy MNR_HOME/published_layer.duckdb, which holds published.observations without restricted
      indicators and nothing restricted at all; refreshed from the warehouse if a run changed it, under the
      warehouse's shared lock. While a pipeline run holds the warehouse (after `wait_seconds`), the last copy is
      served, or 503 with Retry-After if there is none yet. The lock is let go once the copy is open: streaming
      an answer never holds a run up. Opened read-only with the file system, extensions and configuration
      locked.
    - Postgres: as the reader role MNR_PG_QUERY_USER, which the database lets read the published schema only
      (a row policy leaves out restricted indicators), in read-only transactions.
    """
    @contextmanager
    def opened():
        from pipelines.warehouse import Db, kind

        if kind() == "postgres":
            with _postgres_reader() as db:
                yield db
            return
        import duckdb

        from pipelines.query import LOCKDOWN, PUBLIC_FILE, public_database
        from pipelines.warehouse import WarehouseBusy, exists, warehouse_lock

        if not exists(p.warehouse):
            raise no_results("nothing has been published yet")
        try:
            with warehouse_lock(p.warehouse, exclusive=False, on_wait=None, timeout=wait_seconds):
                raw = duckdb.connect(str(public_database(p)), read_only=True)
        except WarehouseBusy:
            # A run holds the warehouse (for minutes, in a rebuild): the last copy, made whole before it began and
            # put in place in one rename, is served meanwhile; only without one is the answer "come back later".
            if not (p.home / PUBLIC_FILE).exists():
                raise SdmxError(503, "the published data are being updated by a pipeline run; try again in a "
                                "minute", headers={"Retry-After": "60"}) from None
            raw = duckdb.connect(str(p.home / PUBLIC_FILE), read_only=True)
        db = Db(raw, "duckdb")
        try:
            # A small buffer pool: each query reads one group of countries, and DuckDB would otherwise keep every
            # block of the table it has read, so that memory grew with the answer.
            raw.execute(f"set memory_limit = '{reader_memory()}'")
            raw.execute(LOCKDOWN)
            _published_or_404(db)
            yield db
        finally:
            db.close()

    return opened


@contextmanager
def _postgres_reader():
    import psycopg

    from pipelines.warehouse import Db, postgres_settings

    user = os.environ.get("MNR_PG_QUERY_USER")
    if not user:
        raise SdmxError(503, "the SDMX API reads the published layer as the Postgres role MNR_PG_QUERY_USER (with "
                        "MNR_PG_QUERY_PASSWORD), which may read the published schema only; the operator creates "
                        "it as docs/deployment.md shows")
    settings = {**postgres_settings(), "user": user, "password": os.environ.get("MNR_PG_QUERY_PASSWORD", "")}
    db = Db(psycopg.connect(**settings, autocommit=True, options="-c default_transaction_read_only=on",
                            application_name="mnr-sdmx"), "postgres")
    try:
        _published_or_404(db)
        yield db
    finally:
        db.close()


def _published_or_404(db) -> None:
    if not db.execute("select count(*) from information_schema.tables where table_schema = 'published' "
                      "and table_name = 'observations'").fetchone()[0]:
        raise no_results("nothing has been published yet")


def data_version(path) -> str | None:
    """A validator of the published data for HTTP caching: the warehouse file's size and modification time
    (every write changes them). None on Postgres, where no such cheap validator exists."""
    from pipelines.warehouse import kind

    if kind() != "duckdb":
        return None
    stamps = []
    for p in (str(path), f"{path}.wal"):
        try:
            s = os.stat(p)
            stamps.append(f"{s.st_size}:{s.st_mtime_ns}")
        except FileNotFoundError:
            stamps.append("-")
    return hashlib.sha256("|".join(stamps).encode()).hexdigest()[:20]
