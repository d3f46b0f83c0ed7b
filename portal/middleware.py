"""Responses for a signed-in person are theirs alone."""

from django.conf import settings
from django.utils.cache import patch_cache_control, patch_vary_headers


class PrivateForSignedInMiddleware:
    """``Cache-Control: private, no-store`` on every answer to a signed-in request.

    A page built for a signed-in person may show what readers must not see (a
    draft previewed, the staff bar, a message): no shared cache nor the browser's
    disk may keep it. Anonymous answers are left to the views and the page cache.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # The session cookie first: an anonymous request costs no session lookup.
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                patch_cache_control(response, private=True, no_store=True)
                patch_vary_headers(response, ["Cookie"])
        return response
