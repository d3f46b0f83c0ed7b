"""Ids read from addresses and posted forms."""

from django.http import Http404


def numeric_id(value) -> int:
    """An id from an address or a form: digits 0-9 only, else there is no such page."""
    text = str(value)
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise Http404("No such page.")
    return int(text)


def posted_int(request, name) -> int | None:
    text = request.POST.get(name, "")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None
