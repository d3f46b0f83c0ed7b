from io import BytesIO
from pathlib import PurePosixPath
from uuid import uuid4

from django import forms
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.defaultfilters import filesizeformat
from PIL import Image, ImageOps, UnidentifiedImageError
from PIL.Image import DecompressionBombError

# Pillow's name for what it found -> the format the image is stored in. Phones
# write multi-picture JPEGs (MPO); the first picture is kept, as a plain JPEG.
IMAGE_FORMATS = {"JPEG": "JPEG", "MPO": "JPEG", "PNG": "PNG"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png"}

REFUSED_FORMAT = (
    "Only JPEG and PNG images can be uploaded. This file is not one (SVG, GIF, HTML "
    "and other files are refused, whatever their name)."
)


class MarkdownField(forms.CharField):
    """Markdown typed in a browser: its line breaks arrive as CR LF; stored as LF.

    Otherwise every save would rewrite every text, and look like an edit of it.
    """

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n").replace("\r", "\n") if value else value


class EditorImageForm(forms.Form):
    """An image dropped into the Markdown editor.

    markdownx's own form trusts the browser's content type and keeps the
    uploaded name's extension, and accepts SVG. This one decides by what Pillow
    finds in the bytes, re-encodes the picture (dropping metadata and anything
    appended to it) and stores it under a random name with the extension of the
    format it really is.
    """

    image = forms.FileField(
        error_messages={"required": "Choose a JPEG or PNG image to upload."},
    )

    def clean_image(self):
        upload = self.cleaned_data["image"]
        limit = settings.MARKDOWNX_UPLOAD_MAX_SIZE
        if upload.size > limit:
            raise forms.ValidationError(
                f"Images can be at most {filesizeformat(limit)}; "
                f"this one is {filesizeformat(upload.size)}."
            )
        try:
            # Only the JPEG and PNG decoders ever see the bytes.
            with Image.open(upload, formats=["JPEG", "PNG"]) as image:
                image_format = image.format
                width, height = image.size
                if image_format in IMAGE_FORMATS:
                    image.verify()
            if image_format not in IMAGE_FORMATS:
                raise forms.ValidationError(REFUSED_FORMAT)
            if width * height > settings.UPLOAD_IMAGE_MAX_PIXELS:
                raise forms.ValidationError(
                    f"This image is {width} × {height} pixels, too large to show on a page."
                )
            # verify() checks only the structure and leaves the image unusable:
            # decoding it again in full is what proves the pixels are readable.
            upload.seek(0)
            stored_format = IMAGE_FORMATS[image_format]
            with Image.open(upload, formats=["JPEG", "PNG"]) as image:
                image.load()
                picture = ImageOps.exif_transpose(image)
                options = {"optimize": True}
                if stored_format == "JPEG":
                    options["quality"] = 90
                    if picture.mode not in ("RGB", "L"):
                        picture = picture.convert("RGB")
                encoded = BytesIO()
                picture.save(encoded, format=stored_format, **options)
        except (
            UnidentifiedImageError,
            DecompressionBombError,
            OSError,
            SyntaxError,
            ValueError,
        ) as error:
            raise forms.ValidationError(REFUSED_FORMAT) from error
        self.encoded = encoded.getvalue()
        self.extension = EXTENSIONS[stored_format]
        return upload

    def save(self) -> str:
        """Store the re-encoded image under a random name and return its URL."""
        name = PurePosixPath(settings.MARKDOWNX_MEDIA_PATH) / f"{uuid4().hex}.{self.extension}"
        stored = default_storage.save(str(name), ContentFile(self.encoded))
        return default_storage.url(stored)
