"""The read API (``/api/``) and the FHIR endpoints (``/fhir/``): published monographs only.

The API's lists call the same query layer as the pages — :func:`search.find_drugs`
for the drug list, :meth:`SideEffectLookupFilter.listings` for the side-effect
lookup — through the same filter sets, so that a filter or a search answers
alike on a page and here. Anonymous and read-only; a bad parameter is a 400
with a JSON body naming it. drf-spectacular describes it at ``/api/openapi.json``.
"""

import json
import re
from urllib.parse import urljoin

from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.generic import TemplateView
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework import serializers
from rest_framework.exceptions import APIException
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from . import fhir, links, search
from .choices import Frequency, Severity
from .filters import DrugApiFilter, SideEffectLookupFilter
from .models import Drug, SideEffect
from .paging import CountedPaginator

PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
# Past this, a page number is a mistake rather than a place in any listing.
MAX_PAGE = 1_000_000


class BadParameters(APIException):
    status_code = 400
    default_detail = "Bad parameters."
    default_code = "bad_parameters"

    def __init__(self, errors: dict):
        super().__init__()
        self.errors = {name: [str(m) for m in messages] for name, messages in errors.items()}


def exception_handler(exc, context):
    """DRF's answers, with a bad parameter's answer naming each parameter and what is wrong."""
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, BadParameters):
        response.data = {"detail": str(exc.detail), "errors": exc.errors}
    return response


def site_root(request) -> str:
    """The site's absolute root URL, e.g. ``https://monographs.example.org/``."""
    return request.build_absolute_uri("/")


# --- Serializers: what the answers hold -------------------------------------


def _absolute(serializer, path: str) -> str:
    return urljoin(serializer.context["base"], path)


class DrugSummarySerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    generic_name = serializers.CharField()
    brand_names = serializers.SerializerMethodField()
    reviewed_on = serializers.DateField(allow_null=True)
    updated = serializers.DateTimeField()
    url = serializers.SerializerMethodField(help_text="The monograph's page.")
    api_url = serializers.SerializerMethodField(help_text="The monograph in this API.")
    fhir_url = serializers.SerializerMethodField(help_text="The monograph as a FHIR R5 Bundle.")

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_brand_names(self, drug) -> list[str]:
        return fhir.brand_names(drug)

    def get_url(self, drug) -> str:
        return _absolute(self, links.monograph(drug.slug))

    def get_api_url(self, drug) -> str:
        return _absolute(self, links.page("monographs:api_drug", drug.slug))

    def get_fhir_url(self, drug) -> str:
        return _absolute(self, links.page("monographs:drug_fhir", drug.slug))


class SectionSerializer(serializers.Serializer):
    kind = serializers.CharField()
    heading = serializers.CharField()
    body = serializers.CharField(help_text="Markdown.")


class SideEffectSerializer(serializers.Serializer):
    name = serializers.CharField()
    detail = serializers.CharField()
    severity = serializers.ChoiceField(choices=[s.slug for s in Severity])
    frequency = serializers.ChoiceField(choices=[fhir.frequency_code(f) for f in Frequency])
    body_system = serializers.CharField(help_text="Organ system, where known; else empty.")

    def to_representation(self, effect):
        return {
            "name": effect.name,
            "detail": effect.detail,
            "severity": Severity(effect.severity).slug,
            "frequency": fhir.frequency_code(effect.frequency),
            "body_system": effect.body_system,
        }


class FaqSerializer(serializers.Serializer):
    question = serializers.CharField()
    answer = serializers.CharField(help_text="Markdown.")


class DrugSerializer(DrugSummarySerializer):
    """A whole monograph: the document of ``/drugs/<slug>.json`` and ``/api/drugs/<slug>/``."""

    ingredients = serializers.SerializerMethodField()
    introduction = serializers.CharField(help_text="Markdown.")
    sections = SectionSerializer(many=True)
    side_effects = SideEffectSerializer(many=True)
    faqs = FaqSerializer(many=True)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_ingredients(self, drug) -> list[str]:
        return [i.name for i in drug.ingredient_list]


class LookupDrugSerializer(serializers.Serializer):
    slug = serializers.CharField()
    title = serializers.CharField()
    url = serializers.SerializerMethodField()

    def get_url(self, drug) -> str:
        return _absolute(self, links.monograph(drug.slug))


class ListingSerializer(SideEffectSerializer):
    """A side effect as one monograph lists it."""

    drug = LookupDrugSerializer()

    def to_representation(self, effect):
        drug = LookupDrugSerializer(effect.drug, context=self.context).data
        return {"drug": drug, **super().to_representation(effect)}


def page_of(serializer_class, description: str):
    return inline_serializer(
        name=f"{serializer_class.__name__.removesuffix('Serializer')}Page",
        fields={
            "count": serializers.IntegerField(help_text="How many match."),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True, help_text=description),
        },
    )


ERROR = inline_serializer(
    name="Error",
    fields={
        "detail": serializers.CharField(),
        "errors": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            required=False,
            help_text="Each bad parameter, with what is wrong with it.",
        ),
    },
)

PAGING_PARAMETERS = [
    OpenApiParameter("page", int, description="From 1.", default=1),
    OpenApiParameter(
        "page_size", int, description=f"1 to {MAX_PAGE_SIZE}; {PAGE_SIZE} if not given."
    ),
]


def filter_parameters(filterset_class) -> list[OpenApiParameter]:
    """The OpenAPI parameters of a filter set, as the pages' forms offer them."""
    parameters = []
    for name, declared in filterset_class.base_filters.items():
        choices = declared.extra.get("choices")
        many = "Multiple" in type(declared).__name__
        parameters.append(
            OpenApiParameter(
                name,
                OpenApiTypes.DATETIME if name == "updated_since" else str,
                description=str(declared.label or name),
                enum=[value for value, _label in choices] if choices else None,
                many=many or None,
                explode=True if many else None,
            )
        )
    return parameters


# --- Paging -----------------------------------------------------------------


def _whole_number(request, name: str, default: int, top: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        number = int(raw)
    except ValueError:
        raise BadParameters({name: [f"A whole number from 1 to {top}."]}) from None
    if not 1 <= number <= top:
        raise BadParameters({name: [f"A whole number from 1 to {top}."]})
    return number


def paged(request, paginator_for, serializer_class) -> Response:
    """One page of a listing as ``{count, next, previous, results}``.

    ``paginator_for(per_page)`` gives the listing's paginator: the same one
    its page uses, which counts only what needs counting.
    """
    per_page = _whole_number(request, "page_size", PAGE_SIZE, MAX_PAGE_SIZE)
    number = _whole_number(request, "page", 1, MAX_PAGE)
    paginator = paginator_for(per_page)
    try:
        page = paginator.page(number)
    except (EmptyPage, PageNotAnInteger):
        raise BadParameters({"page": ["There is no such page."]}) from None
    address = request.build_absolute_uri()
    previous = None
    if page.has_previous():
        previous = (
            remove_query_param(address, "page")
            if number == 2
            else replace_query_param(address, "page", number - 1)
        )
    context = {"base": site_root(request)}
    return Response(
        {
            "count": paginator.count,
            "next": replace_query_param(address, "page", number + 1) if page.has_next() else None,
            "previous": previous,
            "results": serializer_class(page.object_list, many=True, context=context).data,
        }
    )


# --- API views ------------------------------------------------------------------


class ReadView(APIView):
    """Anonymous and read-only, whatever the settings say."""

    authentication_classes = []
    http_method_names = ["get", "head", "options"]


class DrugListApi(ReadView):
    @extend_schema(
        operation_id="drugs_list",
        summary="Published monographs: A–Z, filtered, or found by a search",
        description=(
            "The filters and the search of the page /drugs/. Without `q` the order is by "
            "name (or `sort=updated`); with `q`, best match first however many match "
            "(names first, a misspelt name corrected as on the page)."
        ),
        parameters=[*filter_parameters(DrugApiFilter), *PAGING_PARAMETERS],
        responses={
            200: page_of(DrugSummarySerializer, "Monographs, in order."),
            400: OpenApiResponse(ERROR, description="A parameter is not understood."),
        },
        examples=[
            OpenApiExample("Bad letter", value={"detail": "Bad parameters.",
                           "errors": {"letter": ["Select a valid choice."]}},
                           response_only=True, status_codes=["400"]),
        ],
    )  # fmt: skip
    def get(self, request):
        filterset = DrugApiFilter(request.query_params or None, queryset=Drug.objects.published())
        if filterset.is_bound and not filterset.is_valid():
            raise BadParameters(filterset.errors)
        found = search.find_drugs(filterset)
        return paged(request, found.paginator, DrugSummarySerializer)


class DrugApi(ReadView):
    @extend_schema(
        operation_id="drugs_retrieve",
        summary="A published monograph",
        responses={
            200: DrugSerializer,
            404: OpenApiResponse(ERROR, description="No published monograph at that slug."),
        },
    )
    def get(self, request, slug):
        drug = get_object_or_404(Drug.objects.published().for_detail(), slug=slug)
        return Response(DrugSerializer(drug, context={"base": site_root(request)}).data)


class SideEffectLookupApi(ReadView):
    @extend_schema(
        operation_id="side_effects_list",
        summary="Which published monographs list a side effect",
        description=(
            "The lookup of the page /side-effects/: the side effect is matched on a "
            "normalised term (case, plurals and bracketed detail ignored); most severe first, "
            "then by medicine."
        ),
        parameters=[*filter_parameters(SideEffectLookupFilter), *PAGING_PARAMETERS],
        responses={
            200: page_of(ListingSerializer, "Listings of the side effect."),
            400: OpenApiResponse(ERROR, description="No `q`, or a parameter not understood."),
        },
    )
    def get(self, request):
        filterset = SideEffectLookupFilter(
            request.query_params or None, queryset=SideEffect.objects.all()
        )
        if filterset.is_bound and not filterset.is_valid():
            raise BadParameters(filterset.errors)
        if not filterset.query:
            raise BadParameters({"q": ["Name a side effect, e.g. ?q=pancreatitis."]})
        listings, count = filterset.listings()
        return paged(
            request,
            lambda per_page: CountedPaginator(listings, per_page, count=count),
            ListingSerializer,
        )


class OpenApiView(SpectacularJSONAPIView):
    # One renderer: the answer does not vary on Accept, so the page cache keeps it.
    renderer_classes = [OpenApiJsonRenderer]


class ApiGuideView(TemplateView):
    """``/api/``: what the API and the FHIR endpoints answer, by example."""

    template_name = "monographs/api.html"

    def get_context_data(self, **kwargs):
        example = Drug.objects.published().only("slug", "title").order_by("title").first()
        return super().get_context_data(
            root=site_root(self.request).rstrip("/"),
            example=example,
            page_size=PAGE_SIZE,
            max_page_size=MAX_PAGE_SIZE,
            **kwargs,
        )


# --- FHIR -------------------------------------------------------------------------


def fhir_response(resource: dict, status: int = 200) -> HttpResponse:
    return HttpResponse(
        json.dumps(resource, ensure_ascii=False, indent=2),
        content_type=fhir.CONTENT_TYPE,
        status=status,
    )


def _published_drug(*, slug=None, resource_id=None):
    drugs = Drug.objects.published().for_detail()
    if slug is not None:
        return get_object_or_404(drugs, slug=slug)
    condition = Q(slug=resource_id)
    if len(resource_id) == 64:
        # A slug too long for a FHIR id: its id starts as it does (fhir.drug_id).
        condition |= Q(slug__startswith=resource_id[:55])
    found = next(
        (d for d in drugs.filter(condition) if resource_id in (d.slug, fhir.drug_id(d))), None
    )
    if found is None:
        raise Http404
    return found


def _not_found(view):
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Http404:
            return fhir_response(
                fhir.operation_outcome("No published monograph has that resource."), status=404
            )

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@_not_found
def drug_fhir(request, slug):
    """``/drugs/<slug>.fhir.json``: the monograph as one FHIR Bundle."""
    return fhir_response(fhir.bundle(_published_drug(slug=slug), site_root(request)))


@_not_found
def medication_knowledge(request, slug):
    """``/fhir/MedicationKnowledge/<id>``: the id is the slug, or stands for it (fhir.drug_id)."""
    drug = _published_drug(resource_id=slug)
    return fhir_response(fhir.medication_knowledge(drug, site_root(request)))


@_not_found
def clinical_use_definition(request, resource_id):
    """``/fhir/ClinicalUseDefinition/side-effect-<key>``: one side effect."""
    match = re.fullmatch(r"side-effect-(\d+)", resource_id)
    if match is None:
        raise Http404
    effect = get_object_or_404(SideEffect.objects.in_published(), pk=int(match[1]))
    return fhir_response(fhir.clinical_use_definition(effect))


@_not_found
def code_system(request, slug):
    """``/fhir/CodeSystem/<name>``: the portal's own code systems."""
    resource = fhir.code_system(slug)
    if resource is None:
        raise Http404
    return fhir_response(resource)
