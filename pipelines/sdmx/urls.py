"""URLs of the SDMX REST API, included by the portal at /sdmx/rest/ (pipelines/portal/urls.py). Served without
sign-in: the views here read only published (disclosure-controlled) data.

Paths as SDMX 2.1 REST writes them: /data/{flowRef}/{key}/{providerRef} and
/{resource}/{agencyID}/{resourceID}/{version}[/{itemID}], every segment after the first optional.
"""

from django.urls import re_path

from pipelines.sdmx import views
from pipelines.sdmx.query import OTHER_RESOURCES, STRUCTURE_KINDS

SEGMENT = r"[^/]+"
OPTIONAL = r"(?:/(?P<{}>[^/]*))?"

urlpatterns = [
    re_path(rf"^data/(?P<flow>{SEGMENT})" + OPTIONAL.format("key") + OPTIONAL.format("provider") + "/?$",
            views.data, name="sdmx-data"),
    re_path(rf"^(?P<kind>{'|'.join(STRUCTURE_KINDS)})" + "".join(
        OPTIONAL.format(p) for p in ("agency", "resource", "version", "item")) + "/?$",
        views.structure, name="sdmx-structure"),
    re_path(rf"^(?P<resource>{'|'.join(OTHER_RESOURCES)})(?P<rest>/.*)?$", views.not_served,
            name="sdmx-not-served"),
]
