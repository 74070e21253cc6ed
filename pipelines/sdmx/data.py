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
from contextlib import ExitStack
from datetime import datetime, timezone

from pipelines.sdmx import structure as st
from pipelines.sdmx.errors import SdmxError, no_results, not_implemented
from pipelines.sdmx.query import DataQuery, Format

TABLE = "published.observations"
BATCH_ROWS = 2000            # rendered series (or observations) fetched from the cursor at a time
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
def _ss_attrs(concepts, with_attributes: bool = True) -> str:
    """ id="value" for each concept, those without a value left out."""
    parts = [f"coalesce(' {c.id}=\"' || {_xml(_value(c))} || '\"', '')" for c in concepts
             if with_attributes or c.role != "attribute"]
    return " || ".join(parts) if parts else "''"


def _generic_values(concepts) -> str:
    return " || ".join(f"coalesce('<generic:Value id=\"{c.id}\" value=\"' || {_xml(_value(c))} || '\"/>', '')"
                       for c in concepts)


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
        # the queries are split on this dimension's values (countries; indicators when REF_AREA is at the
        # observation): memory stays bounded by one group of them
        self.partition = next(d for d in st.DIMENSIONS if d is not self.obs_dim)

    @property
    def order(self) -> str:
        return ", ".join(d.column for d in self.key if d is not self.obs_dim) + (
            f", {self.obs_dim.column}" if self.obs_dim else "")


def _obs_sql(fmt: Format, layout: Layout) -> str:
    """The text of one observation."""
    if fmt.name == "structurespecific":
        inner = [*([] if not layout.flat else layout.key), *([layout.obs_dim] if layout.obs_dim else []),
                 layout.measure, *layout.attributes]
        return f"'<Obs' || {_ss_attrs(inner)} || '/>'"
    # generic
    if layout.flat:
        head = f"'<generic:Obs><generic:ObsKey>' || {_generic_values(layout.key)} || '</generic:ObsKey>'"
    else:
        head = (f"'<generic:Obs><generic:ObsDimension value=\"' || {_xml(_text(layout.obs_dim.column))} "
                f"|| '\"/>'")
    value = f"coalesce('<generic:ObsValue value=\"' || {_number()} || '\"/>', '')"
    attrs = (f"'<generic:Attributes>' || {_generic_values(layout.attributes)} || '</generic:Attributes>'"
             if layout.attributes else "''")
    return f"{head} || {value} || {attrs} || '</generic:Obs>'"


def _series_open_sql(fmt: Format, layout: Layout) -> str:
    if fmt.name == "structurespecific":
        return f"'<Series' || {_ss_attrs(layout.series)} || '>'"
    return f"'<generic:Series><generic:SeriesKey>' || {_generic_values(layout.series)} || '</generic:SeriesKey>'"


def _series_close(fmt: Format) -> str:
    return "</Series>" if fmt.name == "structurespecific" else "</generic:Series>"


def _csv_columns(fmt: Format, layout: Layout) -> list[st.Concept]:
    return [*layout.key, layout.measure, *layout.attributes]


def _csv_row_sql(fmt: Format, layout: Layout, language: str) -> str:
    flow = st.DATAFLOW_URN + (": " + st.DATAFLOW_NAME if fmt.labels == "both" else "")
    lead = ("dataflow," if fmt.name == "csv2" else "") + _csv_field_literal(flow) + (",I" if fmt.name == "csv2" else "")
    fields = []
    for c in _csv_columns(fmt, layout):
        expr = _value(c)
        if c.column in FREE_TEXT:
            expr = _formula_safe(expr)
        if fmt.labels == "both":
            expr = _labelled(c, expr, language)
        fields.append(f"coalesce({_csv(expr)}, '')")
    return f"{_literal(lead + ',')} || " + " || ',' || ".join(fields) + " || chr(13) || chr(10)"


def _csv_field_literal(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(ch in text for ch in ',"\r\n') else text


def csv_header(fmt: Format, layout: Layout, language: str = "en") -> str:
    def head(c: st.Concept) -> str:
        return c.id + (": " + c.name if fmt.labels == "both" and c.role != "measure" else "")
    lead = ["STRUCTURE", "STRUCTURE_ID", "ACTION"] if fmt.name == "csv2" else ["DATAFLOW"]
    return ",".join([*lead, *(_csv_field_literal(head(c)) for c in _csv_columns(fmt, layout))]) + "\r\n"


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
    """One query giving, row by row, the text of a group of partitions: whole series (SDMX-ML), observations
    (AllDimensions, SDMX-CSV) or bare series keys (detail=serieskeysonly/nodata). Its last parameter is the list
    of partition values."""
    layout = Layout(q)
    source, params = _source(q, layout, partition=True)
    if fmt.name.startswith("csv"):
        return f"select {_csv_row_sql(fmt, layout, language)} from ({source}) s order by {layout.order}", params
    if q.detail in ("serieskeysonly", "nodata"):
        cols = ", ".join(d.column for d in layout.series)
        close = "'/>'" if fmt.name == "structurespecific" else f"'{_series_close(fmt)}'"
        opener = _series_open_sql(fmt, layout)
        if fmt.name == "structurespecific":
            opener = opener[: -len(" || '>'")]
        return (f"select {opener} || {close} from (select distinct {cols} from ({source}) s0) s order by {cols}",
                params)
    if layout.flat:
        return f"select {_obs_sql(fmt, layout)} from ({source}) s order by {layout.order}", params
    cols = ", ".join(d.column for d in layout.series)
    return (f"select {_series_open_sql(fmt, layout)} || string_agg({_obs_sql(fmt, layout)}, '' "
            f"order by {layout.obs_dim.column}) || '{_series_close(fmt)}' from ({source}) s "
            f"group by {cols} order by {cols}", params)


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
def published_connector(path, wait_seconds: float) -> Callable:
    """How a DataResponse opens the published layer: read-only, waiting at most `wait_seconds` while a pipeline
    run holds the warehouse (then 503 with Retry-After), with DuckDB's file and extension access shut off."""
    from contextlib import contextmanager

    from pipelines.warehouse import WarehouseBusy, connect, exists, kind

    @contextmanager
    def opened():
        if not exists(path):
            raise no_results("nothing has been published yet")
        try:
            with connect(path, read_only=True, on_wait=None, timeout=wait_seconds) as db:
                if kind() == "duckdb":
                    db.execute("set enable_external_access = false; set autoinstall_known_extensions = false; "
                               "set autoload_known_extensions = false; set lock_configuration = true")
                yield db
        except WarehouseBusy:
            raise SdmxError(503, "the published data are being updated by a pipeline run; try again in a minute",
                            headers={"Retry-After": "60"}) from None

    return opened


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
