from django.contrib.sitemaps import Sitemap

from .models import Drug


class DrugSitemap(Sitemap):
    changefreq = "monthly"
    limit = 5000

    def items(self):
        return Drug.objects.published().only("slug", "updated").order_by("slug")

    def lastmod(self, drug):
        return drug.updated
