from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.urls import include, path
from django.views.static import serve
from markdownx.views import ImageUploadView, MarkdownifyView

# markdownx ships its views without any login check; they are routed here,
# behind a staff login, instead of through include("markdownx.urls").
markdownx_urls = [
    path(
        "markdownify/",
        staff_member_required(MarkdownifyView.as_view()),
        name="markdownx_markdownify",
    ),
    path("upload/", staff_member_required(ImageUploadView.as_view()), name="markdownx_upload"),
]

urlpatterns = [
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
