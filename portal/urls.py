from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path
from django.views.static import serve

from monographs.sitemaps import DrugSitemap
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
    path(
        "sitemap.xml",
        sitemap,
        {"sitemaps": {"drugs": DrugSitemap}},
        name="django.contrib.sitemaps.views.sitemap",
    ),
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
