"""SDMX 2.1 REST requests as SDMX writes them: structure paths, data keys and parameters, and the formats a client
may ask for (the Accept header). Everything here is plain parsing that raises SdmxError; nothing touches data."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from pipelines.sdmx import structure as st
from pipelines.sdmx.errors import bad_syntax, no_results, not_acceptable, not_implemented

# SDMX common:IDType (codes, dimension ids)
ID = re.compile(r"^[A-Za-z0-9_@$\-]+$")
ALL = "all"

STRUCTURE_KINDS = ("dataflow", "datastructure", "conceptscheme", "codelist")
# Resources of SDMX 2.1 REST that exist in the standard but are not served here: 501, not 404 (every SDMX web
# service "should implement all the standard interfaces, even if their only function is to return this error").
OTHER_RESOURCES = (
    "metadatastructure", "categoryscheme", "hierarchicalcodelist", "organisationscheme", "agencyscheme",
    "dataproviderscheme", "dataconsumerscheme", "organisationunitscheme", "metadataflow", "reportingtaxonomy",
    "provisionagreement", "structureset", "process", "categorisation", "contentconstraint", "actualconstraint",
    "allowedconstraint", "attachmentconstraint", "transformationscheme", "rulesetscheme",
    "userdefinedoperatorscheme", "customtypescheme", "namepersonalisationscheme", "vtlmappingscheme", "structure",
    "metadata", "schema", "availableconstraint",
)
REFERENCES = ("none", "parents", "parentsandsiblings", "children", "descendants", "all", *STRUCTURE_KINDS)
STRUCTURE_DETAIL_SERVED = ("full", "referencepartial")   # referencepartial: every item is used, so full is it
STRUCTURE_DETAIL = (*STRUCTURE_DETAIL_SERVED, "allstubs", "referencestubs", "allcompletestubs",
                    "referencecompletestubs")
DATA_DETAIL = ("full", "dataonly", "serieskeysonly", "nodata")


def _plus(part: str) -> list[str]:
    """One path segment of a structure query: `all`, one value or several joined by `+`."""
    values = part.split("+")
    if any(not v for v in values):
        raise bad_syntax(f"{part!r}: an empty value between '+' signs")
    return values


def _matches(values: list[str], actual: str, wildcard: tuple[str, ...] = (ALL,)) -> bool:
    return any(v in wildcard or v == actual for v in values)


@dataclass(frozen=True)
class StructureQuery:
    artefacts: list[tuple[str, str]]          # what the message holds, the matches first
    items: frozenset[str] | None = None       # a part of an item scheme (the 4th path segment)


def structure_query(kind: str, agency: str = ALL, resource: str = ALL, version: str = "latest",
                    item: str | None = None, params: dict[str, str] | None = None) -> StructureQuery:
    """/{kind}/{agencyID}/{resourceID}/{version}[/{itemID}]?references=&detail= (SDMX 2.1 REST, structural
    metadata queries). No match: 404."""
    params = params or {}
    if kind in OTHER_RESOURCES:
        raise not_implemented(f"/{kind} is not served here; this service serves {', '.join(STRUCTURE_KINDS)} "
                              "and data")
    if kind not in STRUCTURE_KINDS:
        raise bad_syntax(f"/{kind} is not an SDMX 2.1 REST resource")
    detail = params.get("detail", "full")
    if detail not in STRUCTURE_DETAIL:
        raise bad_syntax(f"detail={detail!r}: use one of {', '.join(STRUCTURE_DETAIL)}")
    if detail not in STRUCTURE_DETAIL_SERVED:
        raise not_implemented(f"detail={detail} (stubs) is not served; leave detail out for the full artefacts")
    refs = params.get("references", "none")
    if refs not in REFERENCES:
        raise bad_syntax(f"references={refs!r}: use one of {', '.join(REFERENCES)}")
    agencies, resources, versions = _plus(agency), _plus(resource), _plus(version)
    for v in (*agencies, *resources):
        if v != ALL and not ID.match(v):
            raise bad_syntax(f"{v!r} is not an SDMX identifier")
    matches = [a for a in st.ARTEFACTS if a[0] == kind and _matches(agencies, st.AGENCY)
               and _matches(resources, a[1]) and _matches(versions, st.VERSION, (ALL, "latest"))]
    if not matches:
        raise no_results(f"no {kind} {agency}/{resource}/{version}: this service has "
                         + ", ".join(f"{st.AGENCY}/{a[1]}/{st.VERSION}" for a in st.ARTEFACTS if a[0] == kind))
    items = None
    if item not in (None, "", ALL):
        if kind not in ("codelist", "conceptscheme"):
            raise bad_syntax(f"an item id is only for item schemes (codelist, conceptscheme), not {kind}")
        items = frozenset(_plus(item))
        known = set().union(*[st.code_ids(a[1]) if kind == "codelist" else set(st.BY_ID) for a in matches])
        if not items & known:
            raise no_results(f"no item {item} in {', '.join(a[1] for a in matches)}")
    artefacts = list(matches)
    for a in matches:
        artefacts += [r for r in st.references(a, refs) if r not in artefacts]
    return StructureQuery(artefacts, items)


# ------------------------------------------------------------------------------------------ data
@dataclass(frozen=True)
class DataQuery:
    key: dict[str, tuple[str, ...]] = field(default_factory=dict)   # dimension id -> codes (absent: all)
    start_year: int | None = None
    end_year: int | None = None
    dimension_at_observation: str = "TIME_PERIOD"
    detail: str = "full"
    first_n: int | None = None
    last_n: int | None = None


def flow(flow_ref: str) -> None:
    """flowRef: ID, AGENCY,ID or AGENCY,ID,VERSION (`all` and `latest` accepted). Not this dataflow: 404."""
    parts = flow_ref.split(",")
    if len(parts) > 3 or any(not p for p in parts):
        raise bad_syntax(f"flowRef {flow_ref!r}: write ID, AGENCY,ID or AGENCY,ID,VERSION "
                         f"(e.g. {st.AGENCY},{st.DATAFLOW},{st.VERSION})")
    agency, ident, version = {1: [ALL, *parts, "latest"], 2: [*parts, "latest"], 3: parts}[len(parts)]
    for v in (agency, ident):
        if v != ALL and not ID.match(v):
            raise bad_syntax(f"{v!r} in flowRef {flow_ref!r} is not an SDMX identifier")
    if not (agency in (ALL, st.AGENCY) and ident == st.DATAFLOW and version in (ALL, "latest", st.VERSION)):
        raise no_results(f"no dataflow {flow_ref}: this service has {st.AGENCY},{st.DATAFLOW},{st.VERSION}")


def key(text: str | None) -> dict[str, tuple[str, ...]]:
    """A data key as SDMX writes it: one position per dimension in the data structure's order, joined by '.';
    codes joined by '+' for several, an empty position for all; `all` or nothing for everything."""
    if text in (None, "", ALL):
        return {}
    positions = text.split(".")
    dims = [d.id for d in st.DIMENSIONS]
    if len(positions) != len(dims):
        raise bad_syntax(f"the key {text!r} has {len(positions)} positions; this dataflow's keys have "
                         f"{len(dims)}: {'.'.join(dims)} (e.g. KEN+UGA.CJ_CONVICTIONS... for two countries' "
                         "convictions, every sex, age and offence)")
    out: dict[str, tuple[str, ...]] = {}
    for dim, pos in zip(dims, positions):
        if pos == "":
            continue
        codes = pos.split("+")
        bad = [c for c in codes if not ID.match(c)]
        if bad:
            raise bad_syntax(f"{bad[0]!r} at the {dim} position of the key {text!r} is not an SDMX code "
                             "(letters, digits, _ @ $ -)")
        out[dim] = tuple(dict.fromkeys(codes))
    return out


_PERIOD = re.compile(
    r"^(?P<y>\d{4})(?:-(?:(?P<m>\d{2})(?:-(?P<d>\d{2})(?:T[0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?)?"
    r"|A1|S(?P<s>[12])|T(?P<t>[1-3])|Q(?P<q>[1-4])|M(?P<rm>\d{2})|W(?P<w>\d{2})|D(?P<rd>\d{3})))?$")


def _period_bounds(text: str, name: str) -> tuple[date, date]:
    """The first and last day of an SDMX time period (StandardTimePeriodType: a year, a date, a date-time,
    a month or a reporting period such as 2022-Q1)."""
    m = _PERIOD.match(text.strip())
    if not m:
        raise bad_syntax(f"{name}={text!r} is not an SDMX time period: write a year (2020), a date (2020-06-30) "
                         "or a reporting period (2020-Q1)")
    y = int(m["y"])
    try:
        if m["d"]:
            d = date(y, int(m["m"]), int(m["d"]))
            return d, d
        month = int(m["m"] or m["rm"] or 0)
        if month or m["s"] or m["t"] or m["q"]:
            months = 12 // 2 if m["s"] else 12 // 3 if m["t"] else 3 if m["q"] else 1
            index = int(m["s"] or m["t"] or m["q"] or month)
            first = (index - 1) * months + 1
            start, last = date(y, first, 1), first + months - 1
            end = date(y + 1, 1, 1) if last == 12 else date(y, last + 1, 1)
            return start, date.fromordinal(end.toordinal() - 1)
        if m["w"] or m["rd"]:
            n = int(m["w"] or m["rd"])
            jan1 = date(y, 1, 1)
            if m["rd"]:
                d = date.fromordinal(jan1.toordinal() + n - 1)
                return d, d
            # ISO 8601 week n
            monday = date.fromisocalendar(y, n, 1)
            return monday, date.fromordinal(monday.toordinal() + 6)
    except ValueError:
        raise bad_syntax(f"{name}={text!r} is not a date that exists") from None
    return date(y, 1, 1), date(y, 12, 31)


def _positive(params: dict[str, str], name: str) -> int | None:
    if name not in params:
        return None
    try:
        n = int(params[name])
    except ValueError:
        n = 0
    if n < 1:
        raise bad_syntax(f"{name}={params[name]!r}: write a positive whole number")
    return n


def data_query(key_text: str | None, provider: str | None, params: dict[str, str]) -> DataQuery:
    """The parameters of /data/{flowRef}/{key}/{providerRef}. The data are annual: a year is returned when it
    lies within [startPeriod, endPeriod] (startPeriod=2020-Q1 includes 2020, endPeriod=2020-Q1 does not)."""
    if provider not in (None, "", ALL):
        raise no_results(f"no data provider {provider!r}: the data of this service have no provider, use all")
    parsed = key(key_text)
    start = end = None
    if params.get("startPeriod"):
        first, _ = _period_bounds(params["startPeriod"], "startPeriod")
        start = first.year if (first.month, first.day) == (1, 1) else first.year + 1
    if params.get("endPeriod"):
        _, last = _period_bounds(params["endPeriod"], "endPeriod")
        end = last.year if (last.month, last.day) == (12, 31) else last.year - 1
    at_obs = params.get("dimensionAtObservation") or "TIME_PERIOD"
    dims = [d.id for d in st.DIMENSIONS]
    if at_obs not in (*dims, "TIME_PERIOD", "AllDimensions"):
        raise bad_syntax(f"dimensionAtObservation={at_obs!r}: use TIME_PERIOD, AllDimensions or one of "
                         f"{', '.join(dims)}")
    detail = params.get("detail", "full")
    if detail not in DATA_DETAIL:
        raise bad_syntax(f"detail={detail!r}: use one of {', '.join(DATA_DETAIL)}")
    if detail in ("serieskeysonly", "nodata") and at_obs == "AllDimensions":
        raise bad_syntax(f"detail={detail} asks for series, and dimensionAtObservation=AllDimensions has none")
    if params.get("updatedAfter"):
        raise not_implemented("updatedAfter is not served: the published layer keeps current values only; "
                              "ask for the whole key again (or use the releases' CHANGES.md)")
    if params.get("includeHistory", "false").lower() == "true":
        raise not_implemented("includeHistory is not served: earlier values are in the earlier releases")
    return DataQuery(key=parsed, start_year=start, end_year=end, dimension_at_observation=at_obs, detail=detail,
                     first_n=_positive(params, "firstNObservations"), last_n=_positive(params, "lastNObservations"))


# ------------------------------------------------------------------------------------------ formats
STRUCTURE_XML = "application/vnd.sdmx.structure+xml;version=2.1"
SS_DATA = "application/vnd.sdmx.structurespecificdata+xml;version=2.1"
GENERIC_DATA = "application/vnd.sdmx.genericdata+xml;version=2.1"
CSV_1 = "application/vnd.sdmx.data+csv;version=1.0.0"
CSV_2 = "application/vnd.sdmx.data+csv;version=2.0.0"


@dataclass(frozen=True)
class Format:
    name: str            # structurespecific, generic, csv1, csv2, structure
    content_type: str
    labels: str = "id"   # SDMX-CSV: id, or both ("CODE: Name")


# Media types (without parameters) and what they give; `version` picks among them where it matters.
_DATA_TYPES = {
    "application/vnd.sdmx.structurespecificdata+xml": "structurespecific",
    "application/vnd.sdmx.genericdata+xml": "generic",
    "application/vnd.sdmx.data+csv": "csv",
    "text/csv": "csv1",
    "application/xml": "structurespecific",
    "text/xml": "structurespecific",
    "application/*": "structurespecific",
    "*/*": "structurespecific",
}
# The `format` parameter some services take (ECB, Eurostat, .Stat) for browsers and spreadsheets.
_FORMAT_PARAM = {"csv": "csv1", "csvdata": "csv1", "sdmx-csv": "csv1", "genericdata": "generic",
                 "structurespecificdata": "structurespecific", "structure": "structurespecific"}


def _accept(header: str | None) -> list[tuple[str, dict[str, str]]]:
    """The media ranges of an Accept header, best first (q-values; order kept among equals)."""
    out = []
    for i, part in enumerate((header or "").split(",")):
        bits = [b.strip() for b in part.split(";")]
        if not bits[0]:
            continue
        params = {}
        for b in bits[1:]:
            if "=" in b:
                k, v = b.split("=", 1)
                params[k.strip().lower()] = v.strip().strip('"')
        try:
            q = float(params.pop("q", "1"))
        except ValueError:
            q = 0.0
        if q > 0:
            out.append((-q, i, bits[0].lower(), params))
    return [(t, p) for _, _, t, p in sorted(out)]


def data_format(accept: str | None, format_param: str | None = None) -> Format:
    """The data format to answer with: SDMX-ML 2.1 structure-specific data unless the client asks for generic
    data or SDMX-CSV (1.0.0 by default, 2.0.0 on request); none of them: 406."""
    if format_param:
        name = _FORMAT_PARAM.get(format_param.lower())
        if name is None:
            raise not_acceptable(f"format={format_param!r}: use csvdata, genericdata or structurespecificdata")
        return _format(name, {})
    for media, params in _accept(accept) if (accept or "").strip() else [("*/*", {})]:
        name = _DATA_TYPES.get(media)
        if name is None:
            continue
        version = params.get("version")
        if name == "csv":
            name = {None: "csv1", "1.0.0": "csv1", "1.0": "csv1", "2.0.0": "csv2", "2.0": "csv2"}.get(version)
        elif name in ("structurespecific", "generic") and version not in (None, "2.1"):
            name = None
        if name is None:
            continue
        labels = params.get("labels", "id")
        if labels not in ("id", "both"):
            continue
        return _format(name, params)
    raise not_acceptable(f"none of {accept!r} is served: ask for {SS_DATA}, {GENERIC_DATA}, {CSV_1} or {CSV_2}")


def _format(name: str, params: dict[str, str]) -> Format:
    labels = params.get("labels", "id") if name.startswith("csv") else "id"
    return {
        "structurespecific": Format("structurespecific", SS_DATA),
        "generic": Format("generic", GENERIC_DATA),
        "csv1": Format("csv1", CSV_1 + ("; labels=both" if labels == "both" else ""), labels),
        "csv2": Format("csv2", CSV_2 + ("; labels=both" if labels == "both" else ""), labels),
    }[name]


def structure_format(accept: str | None) -> Format:
    """Structure messages are SDMX-ML 2.1 only; a client that accepts none of its media types gets 406."""
    for media, params in _accept(accept) if (accept or "").strip() else [("*/*", {})]:
        if media in ("application/vnd.sdmx.structure+xml", "application/xml", "text/xml", "application/*", "*/*") \
                and params.get("version") in (None, "2.1"):
            return Format("structure", STRUCTURE_XML)
    raise not_acceptable(f"none of {accept!r} is served: structure messages are {STRUCTURE_XML}")
