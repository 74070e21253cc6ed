"""URLs of the SDMX REST API, included by the portal at /sdmx/rest/ (pipelines/portal/urls.py). Served without
sign-in: the views here read only published (disclosure-controlled) data."""

urlpatterns: list = []
