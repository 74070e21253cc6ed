"""The portal's pages."""

from django.http import HttpResponse


def healthz(request):
    """For load balancers and the tests: answers once the server serves requests."""
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")


def home(request):
    return HttpResponse("MNR Data Hub portal\n", content_type="text/plain; charset=utf-8")
