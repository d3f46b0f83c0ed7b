"""The sitemap: an index (Django's own view) of sitemaps of at most 10,000 addresses each.

Each sitemap is written straight from one ``values()`` query (slug and date,
no model instances) rather than through Django's sitemap template, which
builds a dictionary and renders a template fragment for every address.
"""

from django.contrib.sitemaps import Sitemap
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db.models import CharField
from django.db.models.functions import Cast
from django.http import Http404, HttpResponse
from django.utils.html import escape

from . import links
from .models import Drug


class DrugSitemap(Sitemap):
    changefreq = "monthly"
    limit = 10_000  # the most a sitemap may hold is 50,000; fewer keep each one quick

    def items(self):
        # The date as the database writes it ("2026-11-30 08:31:00..."), not a
        # datetime: converting and formatting 10,000 of them cost most of the time.
        updated = Cast("updated", output_field=CharField())
        return Drug.objects.published().order_by("slug").values_list("slug", updated)

    def location(self, item):
        return links.monograph(item[0])

    def lastmod(self, item):
        return item[1][:10]

    def get_latest_lastmod(self):
        # The index shows when each sitemap last changed: the latest update, from the index.
        latest = Drug.objects.published().order_by("-updated", "title")
        return latest.values_list("updated", flat=True).first()


SITEMAPS = {"drugs": DrugSitemap}

_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
)


def section(request, section):
    """One sitemap of the index: ``/sitemap-drugs.xml?p=2``."""
    if section not in SITEMAPS:
        raise Http404(f"No sitemap named {section!r}")
    site = SITEMAPS[section]()
    try:
        page = site.paginator.page(request.GET.get("p", 1))
    except (EmptyPage, PageNotAnInteger) as error:
        raise Http404(f"No page {request.GET.get('p')!r} of this sitemap") from error
    # Every address is the same but for the slug, which needs no escaping (links.SLUG).
    before, after = escape(request.build_absolute_uri(links.monograph("slug"))).split("slug")
    tail = f"</lastmod><changefreq>{site.changefreq}</changefreq></url>\n"
    lines = [_HEAD]
    lines.extend(
        f"<url><loc>{before}{slug}{after}</loc><lastmod>{updated[:10]}{tail}"
        for slug, updated in page.object_list
    )
    lines.append("</urlset>\n")
    return HttpResponse("".join(lines), content_type="application/xml")
