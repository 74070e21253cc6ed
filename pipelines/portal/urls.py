from django.urls import include, path

from pipelines.portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("portal.css", views.stylesheet, name="stylesheet"),
    path("signin", views.signin, name="signin"),
    path("signout", views.signout, name="signout"),
    path("upload", views.upload, name="upload"),
    path("template.xlsx", views.template_download, name="template"),
    path("submissions/<str:submission_id>", views.submission, name="submission"),
    path("submissions/<str:submission_id>/report", views.report, name="report"),
    path("submissions/<str:submission_id>/findings.<str:fmt>", views.findings_download, name="findings_download"),
    path("submissions/<str:submission_id>/acknowledge", views.acknowledge, name="acknowledge"),
    path("checks/<int:upload_id>", views.check, name="check"),
    path("checks/<int:upload_id>/report", views.check_report, name="check_report"),
    path("checks/<int:upload_id>/findings.<str:fmt>", views.check_findings_download, name="check_findings_download"),
    path("mappings", views.mappings, name="mappings"),
    path("releases", views.releases, name="releases"),
    path("releases/<str:release_id>/<str:name>", views.release_file, name="release_file"),
    path("profiles/<str:country>", views.profile, name="profile"),
    path("api/submissions", views.api_submissions, name="api_submissions"),
    path("api/submissions/<str:submission_id>", views.api_submission, name="api_submission"),
    path("api/submissions/<str:submission_id>/findings", views.api_findings, name="api_findings"),
    path("sdmx/rest/", include("pipelines.sdmx.urls")),
]
