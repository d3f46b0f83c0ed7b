"""The portal's URLs plus one view that fails, for the 500 page's tests."""

from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns


def failing_view(request):
    raise RuntimeError("the secret detail that must not reach the reader")


urlpatterns = [path("fails/", failing_view), *portal_urlpatterns]
