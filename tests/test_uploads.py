"""Images dropped into the Markdown editor: JPEG and PNG only, checked by their bytes."""

import os
import re
from io import BytesIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from .factories import staff_login

XHR = {"x-requested-with": "XMLHttpRequest"}
STORED = re.compile(r"^!\[\]\(/media/markdownx/([0-9a-f]{32})\.(png|jpg)\)$")

SVG = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">
  <circle r="5" cx="5" cy="5"/>
</svg>
"""


def picture(image_format: str, size=(8, 8), mode="RGB", **options) -> bytes:
    buffer = BytesIO()
    Image.new(mode, size, "teal" if mode == "RGB" else 1).save(buffer, image_format, **options)
    return buffer.getvalue()


def upload(client, name: str, content: bytes, content_type: str, headers=XHR):
    return client.post(
        reverse("markdownx_upload"),
        {"image": SimpleUploadedFile(name, content, content_type)},
        headers=headers,
    )


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def editor_client(db, client, media):
    user = get_user_model().objects.create_user("pharmacist", is_staff=True)
    user.groups.add(Group.objects.get(name="Pharmacist"))
    staff_login(client, user)
    return client


def stored_files(media) -> list:
    return sorted(p for p in media.rglob("*") if p.is_file())


def assert_refused(response, media, message: str):
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert message in response.json()["error"]
    assert stored_files(media) == []


def test_a_png_is_stored_under_a_random_name(editor_client, media):
    response = upload(editor_client, "diagram.png", picture("PNG"), "image/png")
    assert response.status_code == 200
    match = STORED.match(response.json()["image_code"])
    assert match and match.group(2) == "png"
    [stored] = stored_files(media)
    assert stored == media / "markdownx" / f"{match.group(1)}.png"
    with Image.open(stored) as image:
        assert (image.format, image.size) == ("PNG", (8, 8))


def test_two_uploads_of_one_name_never_share_a_file(editor_client, media):
    first = upload(editor_client, "same.png", picture("PNG"), "image/png").json()
    second = upload(editor_client, "same.png", picture("PNG"), "image/png").json()
    assert first["image_code"] != second["image_code"]
    assert len(stored_files(media)) == 2


def test_a_jpeg_is_judged_by_its_bytes_not_its_name_or_type(editor_client, media):
    response = upload(editor_client, "photo.gif", picture("JPEG"), "image/gif")
    assert response.status_code == 200
    assert STORED.match(response.json()["image_code"]).group(2) == "jpg"


def test_a_jpeg_loses_its_metadata(editor_client, media):
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"  # Make
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # GPS latitude
    photo = picture("JPEG", exif=exif)
    with Image.open(BytesIO(photo)) as original:
        assert original.getexif()[0x010F] == "Camera maker"
    response = upload(editor_client, "photo.jpg", photo, "image/jpeg")
    assert response.status_code == 200
    [stored] = stored_files(media)
    with Image.open(stored) as image:
        assert dict(image.getexif()) == {}


def test_anything_appended_to_a_png_is_dropped(editor_client, media):
    polyglot = picture("PNG") + b"<html><script>alert(1)</script></html>"
    response = upload(editor_client, "polyglot.png", polyglot, "image/png")
    assert response.status_code == 200
    [stored] = stored_files(media)
    assert b"<script" not in stored.read_bytes()


def test_an_svg_is_refused_with_a_clear_message(editor_client, media):
    response = upload(editor_client, "logo.svg", SVG, "image/svg+xml")
    assert_refused(response, media, "Only JPEG and PNG images can be uploaded")


def test_an_svg_calling_itself_a_png_is_refused(editor_client, media):
    response = upload(editor_client, "logo.png", SVG, "image/png")
    assert_refused(response, media, "Only JPEG and PNG images can be uploaded")


def test_html_renamed_to_png_is_refused(editor_client, media):
    html = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
    response = upload(editor_client, "picture.png", html, "image/png")
    assert_refused(response, media, "Only JPEG and PNG images can be uploaded")


@pytest.mark.parametrize("image_format", ["GIF", "BMP", "WEBP", "TIFF"])
def test_other_image_formats_are_refused(editor_client, media, image_format):
    response = upload(editor_client, "picture.png", picture(image_format), "image/png")
    assert_refused(response, media, "Only JPEG and PNG images can be uploaded")


def test_a_truncated_png_is_refused(editor_client, media):
    whole = picture("PNG", size=(64, 64))
    response = upload(editor_client, "cut.png", whole[: len(whole) // 2], "image/png")
    assert_refused(response, media, "Only JPEG and PNG images can be uploaded")


def test_an_image_over_2_mb_is_refused(editor_client, media):
    # Noise does not compress, so 1000 × 1000 pixels of it make a PNG of about 3 MB.
    noise = Image.frombytes("RGB", (1000, 1000), os.urandom(3 * 1000 * 1000))
    buffer = BytesIO()
    noise.save(buffer, "PNG")
    assert buffer.tell() > 2 * 1024 * 1024
    response = upload(editor_client, "big.png", buffer.getvalue(), "image/png")
    assert_refused(response, media, "Images can be at most 2.0\xa0MB")


def test_a_small_file_that_decodes_to_a_huge_image_is_refused(editor_client, media):
    bomb = picture("PNG", size=(8000, 8000), mode="1")
    assert len(bomb) < 100_000
    response = upload(editor_client, "bomb.png", bomb, "image/png")
    assert_refused(response, media, "8000 × 8000 pixels, too large")


def test_an_upload_without_a_file_is_refused(editor_client, media):
    response = editor_client.post(reverse("markdownx_upload"), {}, headers=XHR)
    assert_refused(response, media, "Choose a JPEG or PNG image to upload")


def test_a_refusal_outside_the_editor_script_is_json_too(editor_client, media):
    response = upload(editor_client, "logo.svg", SVG, "image/svg+xml", headers={})
    assert_refused(response, media, "Only JPEG and PNG images can be uploaded")


def test_anonymous_reader_cannot_upload_an_image(db, client, media):
    response = upload(client, "diagram.png", picture("PNG"), "image/png")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert stored_files(media) == []


def test_the_upload_address_answers_only_posts(editor_client):
    assert editor_client.get(reverse("markdownx_upload")).status_code == 405
