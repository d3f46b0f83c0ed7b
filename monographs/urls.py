from django.urls import path, re_path

from . import api, views
from .feeds import UpdatedMonographsFeed

app_name = "monographs"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("drugs/", views.DrugListView.as_view(), name="drug_list"),
    path("drugs/<slug:slug>.json", views.drug_json, name="drug_json"),
    path("drugs/<slug:slug>.fhir.json", api.drug_fhir, name="drug_fhir"),
    path("drugs/<slug:slug>/", views.DrugDetailView.as_view(), name="drug_detail"),
    path("drugs/<slug:slug>/changes/", views.drug_changes, name="drug_changes"),
    path("search/suggest/", views.suggest, name="suggest"),
    path("side-effects/", views.SideEffectLookupView.as_view(), name="side_effects"),
    path("compare/", views.CompareView.as_view(), name="compare"),
    path("feed/", UpdatedMonographsFeed(), name="feed"),
    # The read API and its guide.
    path("api/", api.ApiGuideView.as_view(), name="api"),
    path("api/openapi.json", api.OpenApiView.as_view(), name="openapi"),
    path("api/drugs/", api.DrugListApi.as_view(), name="api_drugs"),
    path("api/drugs/<slug:slug>/", api.DrugApi.as_view(), name="api_drug"),
    path("api/side-effects/", api.SideEffectLookupApi.as_view(), name="api_side_effects"),
    # FHIR R5, read by resource id; a MedicationKnowledge by its monograph's slug too.
    re_path(
        r"^fhir/MedicationKnowledge/(?P<slug>[-A-Za-z0-9_.]{1,500})$",
        api.medication_knowledge,
        name="fhir_medication_knowledge",
    ),
    re_path(
        r"^fhir/ClinicalUseDefinition/(?P<resource_id>[A-Za-z0-9\-.]{1,64})$",
        api.clinical_use_definition,
        name="fhir_clinical_use_definition",
    ),
    re_path(
        r"^fhir/CodeSystem/(?P<slug>[a-z-]{1,64})$",
        api.code_system,
        name="fhir_code_system",
    ),
]
