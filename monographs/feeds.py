from django.contrib.sites.shortcuts import get_current_site
from django.contrib.syndication.views import Feed, add_domain
from django.urls import reverse_lazy
from django.utils.feedgenerator import Atom1Feed

from . import changelog, links
from .models import Drug


class UpdatedMonographsFeed(Feed):
    """Atom: the most recently updated published monographs.

    An entry of a monograph changed since it was first published links to its
    newest version on the monograph's change log, where the change is shown;
    its id stays the monograph's page, so that readers' feeds update the entry.
    """

    feed_type = Atom1Feed
    title = "Drug monograph portal: updated monographs"
    link = reverse_lazy("monographs:drug_list")
    subtitle = "Monographs as they are published and revised."

    def get_object(self, request, *args, **kwargs):
        # The site's address, as the feed's links are made absolute.
        return add_domain(get_current_site(request).domain, "", request.is_secure())

    def items(self, site):
        drugs = list(Drug.objects.published().order_by("-updated")[:50])
        anchors = changelog.newest_anchors(drugs)
        for drug in drugs:
            drug.change_anchor = anchors.get(drug.pk)
            drug.page_address = site + drug.get_absolute_url()
        return drugs

    def item_title(self, item):
        return item.title

    def item_link(self, item):
        if item.change_anchor is None:
            return item.get_absolute_url()
        return f"{links.page('monographs:drug_changes', item.slug)}#{item.change_anchor}"

    def item_guid(self, item):
        return item.page_address

    def item_description(self, item):
        return f"{item.title}: updated {item.updated:%-d %B %Y}."

    def item_updateddate(self, item):
        return item.updated

    def item_pubdate(self, item):
        return item.created
