"""Security headers on every answer of the portal (Django's SecurityMiddleware adds nosniff, the referrer
policy and COOP; XFrameOptionsMiddleware X-Frame-Options): a content security policy that runs no script at all
and lets no other site frame the portal, and no caching of what a signed-in user sees."""

# The portal's pages use no script, only their own stylesheet; forms post only to the portal.
DEFAULT_CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
               "frame-ancestors 'none'; base-uri 'none'")


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", getattr(response, "csp", DEFAULT_CSP))
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response.headers["Cache-Control"] = "no-store"
        return response
