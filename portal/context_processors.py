import functools

from django.conf import settings
from django.templatetags.static import static

from monographs import links


def demo_banner(request) -> dict:
    """Whether pages say that the monographs are an unreviewed demonstration (``make run``)."""
    return {"demo_banner": settings.DEMO_BANNER}


@functools.cache
def _chrome() -> dict:
    pages = ["home", "drug_list", "side_effects", "compare", "suggest", "feed", "api"]
    return {
        "css": static("css/site.css"),
        "js": static("js/site.js"),
        "staff": links.page("admin:index"),
        **{name: links.page(f"monographs:{name}") for name in pages},
    }


def chrome(request) -> dict:
    """What every page's head, header and footer link to, for templates/base.html.

    That one file frames the pages of both template engines, so it names its
    addresses as plain variables, which both read alike; they do not change while
    a process runs."""
    return {"chrome": _chrome(), "monograph_path": links.monograph_paths()}
