"""The SDMX 2.1 REST API's Django views (no sign-in: only the published, disclosure-controlled layer is read).

Thin: the paths and parameters are parsed by pipelines.sdmx.query, the messages written by pipelines.sdmx.structure
and pipelines.sdmx.data; here they become HTTP answers with SDMX error messages, content negotiation (Vary) and
validators for caches (ETag, answered with 304 by Django's `condition`).
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache

from django.http import HttpResponse, StreamingHttpResponse
from django.views.decorators.http import condition, require_safe

from pipelines import schema
from pipelines.sdmx import data as sdmx_data
from pipelines.sdmx import query
from pipelines.sdmx import structure as st
from pipelines.sdmx.errors import SdmxError, not_implemented
from pipelines.settings import SEEDS_DIR, paths

# How long a request waits for a pipeline run that holds the warehouse before it serves the last published copy.
DEFAULT_WAIT_S = 2
STRUCTURE_CACHE = "public, max-age=3600"
DATA_CACHE = "public, max-age=60"


def _public(r: HttpResponse) -> HttpResponse:
    """Open to pages of other origins (a browser-based client such as .Stat's Data Explorer reads the API from its
    own site): the published data are public, and no cookie or credential is ever honoured here."""
    r["Access-Control-Allow-Origin"] = "*"
    r["Access-Control-Expose-Headers"] = "ETag, Content-Language"
    r["Cross-Origin-Resource-Policy"] = "cross-origin"
    return r


def _error(e: SdmxError) -> HttpResponse:
    r = HttpResponse(e.body(), status=e.status, content_type="application/xml; charset=utf-8")
    r["Cache-Control"] = "no-store"
    for k, v in e.headers.items():
        r[k] = v
    return _public(r)


def _params(request) -> dict[str, str]:
    return {k: v for k, v in request.GET.items()}


def _language(request) -> str:
    """The first language of Accept-Language that the catalogue holds (labels in SDMX-CSV labels=both)."""
    for part in request.headers.get("Accept-Language", "").split(","):
        lang = part.split(";")[0].strip().lower()[:2]
        if lang in st.LANGUAGES:
            return lang
    return "en"


# ------------------------------------------------------------------------------------------ structures
@lru_cache(maxsize=None)
def _structure_version() -> str:
    """What every structure message is made from: the seeds and the column texts (a change of either is a new
    validator; the process reads them once, as it does the code lists)."""
    h = hashlib.sha256()
    for f in [*sorted(SEEDS_DIR.glob("*.csv")), schema.MARTS_YML, schema.COLUMN_DOCS]:
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:20]


def _structure_etag(request, kind, agency="all", resource="all", version="latest", item=None):
    return hashlib.sha256(f"{_structure_version()}|{request.get_full_path()}".encode()).hexdigest()[:24]


@require_safe
@condition(etag_func=_structure_etag)
def structure(request, kind, agency="all", resource="all", version="latest", item=None):
    """/{dataflow|datastructure|conceptscheme|codelist}/{agencyID}/{resourceID}/{version}[/{itemID}]."""
    try:
        query.structure_format(request.headers.get("Accept"))
        q = query.structure_query(kind, agency or "all", resource or "all", version or "latest", item,
                                  _params(request))
    except SdmxError as e:
        return _error(e)
    r = HttpResponse(st.structure_message(q.artefacts, q.items), content_type=query.STRUCTURE_XML)
    r["Cache-Control"] = STRUCTURE_CACHE
    r["Vary"] = "Accept"
    return _public(r)


# ------------------------------------------------------------------------------------------ data
def _data_etag(request, flow, key=None, provider=None):
    version = sdmx_data.data_version(paths().warehouse)
    if version is None:
        return None
    negotiated = "|".join(request.headers.get(h, "") for h in ("Accept", "Accept-Language"))
    return hashlib.sha256(f"{version}|{request.get_full_path()}|{negotiated}".encode()).hexdigest()[:24]


@require_safe
@condition(etag_func=_data_etag)
def data(request, flow, key=None, provider=None):
    """/data/{flowRef}/{key}/{providerRef}: the published observations, streamed."""
    try:
        query.flow(flow)
        fmt = query.data_format(request.headers.get("Accept"), request.GET.get("format"))
        q = query.data_query(key, provider, _params(request))
        wait = float(os.environ.get("MNR_SDMX_WAIT_S", DEFAULT_WAIT_S))
        answer = sdmx_data.DataResponse(q, fmt, sdmx_data.published_connector(paths(), wait),
                                        _language(request))
    except SdmxError as e:
        return _error(e)
    if request.method == "HEAD":
        answer.close()
        r = HttpResponse(content_type=fmt.content_type)
    else:
        r = StreamingHttpResponse(answer, content_type=fmt.content_type)
    r["Cache-Control"] = DATA_CACHE
    r["Vary"] = "Accept, Accept-Language"
    if fmt.name.startswith("csv"):
        r["Content-Disposition"] = f'inline; filename="{st.DATAFLOW}.csv"'
        r["Content-Language"] = _language(request) if fmt.labels == "both" else "en"
    return _public(r)


@require_safe
def not_served(request, resource, rest=""):
    """A resource of SDMX 2.1 REST that this service does not serve: 501, as the standard asks."""
    return _error(not_implemented(f"/{resource} is not served here; this service serves "
                                  f"{', '.join(query.STRUCTURE_KINDS)} and data"))
