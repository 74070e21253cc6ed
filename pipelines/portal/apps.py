from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "pipelines.portal"
    label = "portal"
    verbose_name = "MNR Data Hub portal"
