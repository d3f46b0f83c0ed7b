from django.urls import path
from django.views.generic import RedirectView

from . import views

app_name = "monographs"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="monographs:drug_list"), name="home"),
    path("drugs/", views.DrugListView.as_view(), name="drug_list"),
    path("drugs/<slug:slug>/", views.DrugDetailView.as_view(), name="drug_detail"),
]
