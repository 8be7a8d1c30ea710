"""Response headers the framework does not set by itself (issue 12, F10).

Django's own middleware sends the Content-Security-Policy (settings.SECURE_CSP),
X-Frame-Options, nosniff, the referrer policy and HSTS. This adds:

- `Permissions-Policy`: the page needs no camera, microphone, location,
  payment, USB and so on, so no script (not even an injected one) gets them;
- `Cache-Control: no-store` (via `add_never_cache_headers`) on every answer to
  a signed-in user: drafts, journals and the admin must not stay in a shared
  or browser cache after logout. Static files are answered by WhiteNoise
  before this runs and stay cacheable.
"""

from django.conf import settings
from django.utils.cache import add_never_cache_headers


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
        return response
