from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy
from django.utils.feedgenerator import Atom1Feed

from .models import Drug


class UpdatedMonographsFeed(Feed):
    """Atom: the most recently updated published monographs."""

    feed_type = Atom1Feed
    title = "Drug monograph portal: updated monographs"
    link = reverse_lazy("monographs:drug_list")
    subtitle = "Monographs as they are published and revised."

    def items(self):
        return Drug.objects.published().order_by("-updated")[:50]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return f"{item.title}: updated {item.updated:%-d %B %Y}."

    def item_updateddate(self, item):
        return item.updated

    def item_pubdate(self, item):
        return item.created
