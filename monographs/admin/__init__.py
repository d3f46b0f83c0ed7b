"""The staff side of monographs: the drug admin (drug.py), its form (forms.py), the
review workflow and dashboard (review.py), history and restores (history.py)."""

from django.contrib import admin

from . import drug  # noqa: F401  (registers DrugAdmin)

admin.site.site_header = "Drug monograph portal"
admin.site.site_title = "Monograph portal admin"
admin.site.index_title = "Monographs"
