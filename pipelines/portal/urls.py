from django.urls import include, path

from pipelines.portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("sdmx/rest/", include("pipelines.sdmx.urls")),
]
