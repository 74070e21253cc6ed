"""Signing in: API tokens, the sign-in rate limit and the audit log."""

from __future__ import annotations

from datetime import timedelta

from django.http import JsonResponse
from django.utils import timezone

from pipelines.portal.models import ApiToken, AuditEvent

# Sign-in attempts refused per e-mail address and per client address within the window: counted from the audit
# log itself (every refused sign-in is there), so the limit holds across the server's worker processes and
# restarts without a cache of its own.
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
WINDOW = timedelta(minutes=15)


def client_ip(request) -> str | None:
    """The client's address; behind the TLS proxy (MNR_PORTAL_BEHIND_TLS_PROXY) the one the proxy appended to
    X-Forwarded-For (the right-most: what the client wrote before it cannot be trusted)."""
    from django.conf import settings

    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if forwarded and _is_address(forwarded[-1]):
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR") or None


def _is_address(text: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def audit(request, action: str, subject: str = "", actor: str | None = None, **detail) -> None:
    if actor is None:
        user = getattr(request, "user", None)
        actor = user.username if user is not None and user.is_authenticated else ""
    AuditEvent.objects.create(actor=actor or "", action=action, subject=subject[:255],
                              ip=client_ip(request) if request is not None else None, detail=detail)


def sign_in_blocked(email: str, ip: str | None) -> bool:
    since = timezone.now() - WINDOW
    failed = AuditEvent.objects.filter(action="sign_in_refused", at__gte=since)
    if failed.filter(actor=email).count() >= MAX_FAILURES_PER_ACCOUNT:
        return True
    return ip is not None and failed.filter(ip=ip).count() >= MAX_FAILURES_PER_ADDRESS


class BearerTokenMiddleware:
    """`Authorization: Bearer TOKEN` signs a request in as the token's account (after Django's session
    authentication, which it replaces for that request). A request with a token carries no cookie to forge,
    so CSRF does not apply to it; a wrong, revoked or disabled account's token is a 401, never a fallback to
    the session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header[:7].lower() == "bearer ":
            token = ApiToken.objects.select_related("user").filter(
                digest=ApiToken.digest_of(header[7:].strip())).first()
            if token is None or not token.user.is_active:
                return JsonResponse({"error": "invalid or revoked API token: ask an operator for a new one "
                                              "(mnr users token EMAIL)"}, status=401)
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
            request.user = token.user
            request.signed_in_by_token = True
            request._dont_enforce_csrf_checks = True
        return self.get_response(request)
