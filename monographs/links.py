"""Paths of the portal's own pages, reversed once a process rather than once a link.

``reverse()`` walks the URL patterns on every call, and pages make many links:
the drug list links fifty monographs and twenty-seven letters, and every
page's header another six pages (what a call costs: docs/PERFORMANCE.md).
The paths change only with the code and the script prefix, which is part of
each key.
"""

import functools
import re

from django.urls import NoReverseMatch, get_script_prefix, reverse

# What the "slug" path converter accepts; reverse() leaves such text unquoted.
SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_SLOT = "slug-slot"


@functools.cache
def _page(name: str, prefix: str) -> str:
    return reverse(name)


@functools.cache
def _around_slug(name: str, prefix: str) -> tuple[str, str]:
    before, after = reverse(name, kwargs={"slug": _SLOT}).split(_SLOT)
    return before, after


def page(name: str, slug: str | None = None) -> str:
    """The path of a page, e.g. ``page("monographs:home")``, ``page("monographs:drug_json", slug)``.

    A page takes no arguments or only a slug; either way the path is what
    ``reverse()`` gives, and a slug ``reverse()`` would refuse is refused.
    """
    prefix = get_script_prefix()
    if slug is None:
        return _page(name, prefix)
    if not SLUG.fullmatch(slug):
        raise NoReverseMatch(f"{slug!r} is not a slug")
    before, after = _around_slug(name, prefix)
    return before + slug + after


def monograph(slug: str) -> str:
    """The path of a monograph's page."""
    return page("monographs:drug_detail", slug)


def monograph_paths():
    """``monograph(slug)`` for one request's many links: the script prefix read once.

    Reading it (a context-local) costs more than the rest of a link; a page of
    fifty monographs asks for it once this way."""
    before, after = _around_slug("monographs:drug_detail", get_script_prefix())

    def path(slug: str) -> str:
        if not SLUG.fullmatch(slug):
            raise NoReverseMatch(f"{slug!r} is not a slug")
        return before + slug + after

    return path
