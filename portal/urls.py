from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import index as sitemap_index
from django.urls import include, path
from django.views.static import serve
from two_factor.views import BackupTokensView, QRGeneratorView

from monographs import sitemaps
from monographs.views import EditorImageUploadView, MarkdownPreviewView

from .staff import (
    StaffLoginView,
    StaffSetupCompleteView,
    StaffSetupView,
    resume,
    verified_staff_required,
)

# markdownx ships its views without any login check and with a lax upload form;
# the portal's versions are routed here, behind a staff login with the second
# factor, instead of through include("markdownx.urls").
markdownx_urls = [
    path(
        "markdownify/",
        verified_staff_required(MarkdownPreviewView.as_view()),
        name="markdownx_markdownify",
    ),
    path(
        "upload/",
        verified_staff_required(EditorImageUploadView.as_view()),
        name="markdownx_upload",
    ),
]

# django-two-factor-auth's sign-in, enrolment and backup codes, under its own names
# (two_factor:login ...). Not its profile and "disable" pages: no staff account
# goes without a second factor; a superuser resets a lost one (README).
two_factor_urls = [
    path("login/", StaffLoginView.as_view(), name="login"),
    path("two-factor/setup/", StaffSetupView.as_view(), name="setup"),
    path("two-factor/qrcode/", QRGeneratorView.as_view(), name="qr"),
    path("two-factor/setup/complete/", StaffSetupCompleteView.as_view(), name="setup_complete"),
    path("two-factor/backup-codes/", BackupTokensView.as_view(), name="backup_tokens"),
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
    path("account/", include((two_factor_urls, "two_factor"))),
    path("account/resume/", resume, name="staff_resume"),
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
