from django.urls import path

from . import views
from .feeds import UpdatedMonographsFeed

app_name = "monographs"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("drugs/", views.DrugListView.as_view(), name="drug_list"),
    path("drugs/<slug:slug>.json", views.drug_json, name="drug_json"),
    path("drugs/<slug:slug>/", views.DrugDetailView.as_view(), name="drug_detail"),
    path("search/suggest/", views.suggest, name="suggest"),
    path("side-effects/", views.SideEffectLookupView.as_view(), name="side_effects"),
    path("compare/", views.CompareView.as_view(), name="compare"),
    path("feed/", UpdatedMonographsFeed(), name="feed"),
]
