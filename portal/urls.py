from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.sitemaps.views import index as sitemap_index
from django.urls import include, path
from django.views.static import serve

from monographs import sitemaps
from monographs.views import EditorImageUploadView, MarkdownPreviewView

# markdownx ships its views without any login check and with a lax upload form;
# the portal's versions are routed here, behind a staff login, instead of
# through include("markdownx.urls").
markdownx_urls = [
    path(
        "markdownify/",
        staff_member_required(MarkdownPreviewView.as_view()),
        name="markdownx_markdownify",
    ),
    path(
        "upload/",
        staff_member_required(EditorImageUploadView.as_view()),
        name="markdownx_upload",
    ),
]

urlpatterns = [
    # An index of sitemaps of at most 10,000 addresses each (monographs/sitemaps.py).
    path(
        "sitemap.xml",
        sitemap_index,
        {"sitemaps": sitemaps.SITEMAPS, "sitemap_url_name": "sitemap_section"},
        name="django.contrib.sitemaps.views.index",
    ),
    path("sitemap-<section>.xml", sitemaps.section, name="sitemap_section"),
    path("admin/", admin.site.urls),
    path("markdownx/", include(markdownx_urls)),
    path("", include("monographs.urls")),
]

if settings.DEBUG:
    urlpatterns.append(
        path(
            f"{settings.MEDIA_URL.strip('/')}/<path:path>",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    )
