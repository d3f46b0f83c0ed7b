import reversion
from django.conf import settings
from django.db import models
from django.db.models import F, Func, OuterRef, Prefetch, Subquery
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import slugify
from modelsearch import index
from modelsearch.queryset import SearchableQuerySetMixin

from . import links, terms
from .choices import Frequency, SectionKind, Severity, Status
from .markdown import render, render_inline


class FirstLetter(Func):
    """A text's first character, upper-cased: what the A–Z list filters on.

    Written with literal arguments, so that a query's expression is the very
    one of the index on it (SQLite matches an indexed expression only then).
    """

    template = "UPPER(SUBSTR(%(expressions)s, 1, 1))"
    output_field = models.CharField()


class JSONList(models.Aggregate):
    """The aggregated values as one JSON array, on SQLite and PostgreSQL alike."""

    function = "JSON_GROUP_ARRAY"
    output_field = models.JSONField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="JSONB_AGG", **extra_context)


class DrugQuerySet(SearchableQuerySetMixin, models.QuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED)

    def with_severity_counts(self):
        """``mild_count``, ``serious_count``, ``emergency_count``: all of them, unfiltered."""
        return self.annotate(
            **{
                f"{severity.slug}_count": models.Count(
                    "side_effects", filter=models.Q(side_effects__severity=severity)
                )
                for severity in Severity
            }
        )

    def for_page(self, *, severity_counts: bool = False):
        """A monograph page's drug in one query, with its reviewer's name and ingredients.

        Its parts come later (:func:`part_prefetches`), where the page's body
        is not already rendered (:attr:`Drug.rendered_body`).
        """
        drugs = self.annotate(
            # The reviewer's name only (see Drug.reviewer_name), not the whole user
            # row: Django would build a User, password hash and all, to show a name.
            reviewer_first_name=F("reviewed_by__first_name"),
            reviewer_last_name=F("reviewed_by__last_name"),
            reviewer_username=F("reviewed_by__username"),
            ingredient_rows=Subquery(_ingredient_rows()),
        )
        return drugs.with_severity_counts() if severity_counts else drugs

    def for_detail(self, side_effects=None):
        """Everything a monograph page shows, in a fixed number of queries.

        ``side_effects`` narrows the side effects fetched, e.g. to a filter's result.
        The few ingredients of a combination come with the drug itself, as one
        JSON list (see :attr:`Drug.ingredient_list`), which saves a query.
        """
        return self.for_page().prefetch_related(*part_prefetches(side_effects))


def person_name(user) -> str:
    """How the site names a staff member: full name, else username."""
    return user.get_full_name() or user.get_username()


def part_prefetches(side_effects=None) -> list[Prefetch]:
    """A monograph's sections, side effects (all, or those of a filter) and FAQs, in order."""
    if side_effects is None:
        side_effects = SideEffect.objects.all()
    return [
        Prefetch("sections", queryset=Section.objects.order_by("position", "id")),
        Prefetch("side_effects", queryset=side_effects.order_by("position", "id")),
        Prefetch("faqs", queryset=Faq.objects.order_by("position", "id")),
    ]


def _ingredient_rows():
    """A drug's ingredients, with their own monographs, as one JSON list."""
    return (
        Ingredient.objects.filter(combination=OuterRef("pk"))
        .order_by()
        .values("combination")
        .annotate(
            rows=JSONList(
                JSONObject(
                    id="id",
                    name="name",
                    slug="slug",
                    position="position",
                    drug_id="drug_id",
                    drug_title="drug__title",
                    drug_slug="drug__slug",
                    drug_status="drug__status",
                )
            )
        )
        .values("rows")
    )


# The history (django-reversion): a monograph is recorded with its parts, so
# that one revision holds all of it and restoring it restores them too.
@reversion.register(
    follow=["sections", "side_effects", "faqs", "ingredients"],
    exclude=["body_html", "rendered_for_edit"],
)
class Drug(index.Indexed, models.Model):
    title = models.CharField(
        max_length=500,
        help_text="As the monograph names itself, e.g. “Isotretinoin (Systemic)”.",
    )
    slug = models.SlugField(max_length=500, unique=True, help_text="The page address.")
    generic_name = models.CharField(max_length=255, blank=True)
    brand_names = models.CharField(
        max_length=500, blank=True, help_text="Brand names, separated by commas."
    )
    introduction = models.TextField(
        blank=True, help_text="Markdown shown before the first section."
    )
    introduction_html = models.TextField(blank=True, editable=False)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviewed_drugs",
    )
    reviewed_on = models.DateField(null=True, blank=True)
    review_due = models.DateField(null=True, blank=True)
    changed_since_review = models.BooleanField(
        default=False,
        editable=False,
        help_text="Its content was edited after its last review: it is back in the review queue.",
    )
    text_changed_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When its text last changed."
    )
    # Its page's body (sections, side effects, FAQs, unfiltered) as HTML, kept
    # after the first reader's request; good for one edit count only (monograph_body.py).
    body_html = models.TextField(blank=True, editable=False)
    rendered_for_edit = models.PositiveIntegerField(null=True, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    edit_count = models.PositiveIntegerField(
        default=1, editable=False, help_text="Raised on every save; guards against lost edits."
    )
    front_matter = models.JSONField(
        default=dict, blank=True, editable=False, help_text="Other front matter keys of its file."
    )
    source_path = models.CharField(max_length=500, blank=True, editable=False)
    source_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    imported_at_edit = models.PositiveIntegerField(
        null=True, blank=True, editable=False, help_text="The edit count the last import wrote."
    )
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="possible_duplicates",
        help_text="Imported from a second file whose title cleans up to this monograph's: "
        "a pharmacist merges the two.",
    )

    objects = DrugQuerySet.as_manager()

    # The full-text index (SQLite FTS5 or PostgreSQL): names weigh most, then
    # what the monograph says. monographs.search keeps it in step with edits.
    search_fields = [
        index.SearchField("title", boost=4),
        index.AutocompleteField("title"),
        index.SearchField("generic_name", boost=3),
        index.AutocompleteField("generic_name"),
        index.SearchField("brand_names", boost=3),
        index.RelatedFields("ingredients", [index.SearchField("name")]),
        index.RelatedFields("side_effects", [index.SearchField("name")]),
        index.RelatedFields("sections", [index.SearchField("body")]),
        index.RelatedFields("faqs", [index.SearchField("question"), index.SearchField("answer")]),
        index.FilterField("status"),
        index.FilterField("id"),
        # The list's sort options, which a search may be ordered by.
        index.FilterField("title"),
        index.FilterField("updated"),
    ]

    class Meta:
        ordering = ["title"]
        # What readers' pages filter and sort published monographs by: the list
        # by name or by update, A–Z, recently reviewed and reviewed or not.
        indexes = [
            models.Index(fields=["status", "title"], name="drug_status_title_idx"),
            models.Index(fields=["status", "-updated", "title"], name="drug_status_updated_idx"),
            models.Index(
                fields=["status", "-reviewed_on", "title"], name="drug_status_reviewed_idx"
            ),
            models.Index(
                F("status"), FirstLetter("title"), F("title"), name="drug_status_initial_idx"
            ),
            # The importer finds the monograph a file went into by its path, else its
            # title. Titles may repeat: a corpus's second file of one title is kept,
            # flagged as a possible duplicate, until a pharmacist merges the two;
            # page addresses (slugs) stay unique.
            models.Index(fields=["source_path"], name="drug_source_path_idx"),
            models.Index(fields=["title"], name="drug_title_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(slug=""), name="drug_slug_not_empty"),
        ]
        permissions = [
            ("publish_drug", "Can publish, unpublish and archive monographs"),
            ("review_drug", "Can mark monographs as reviewed"),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.title)
        self.introduction_html = render(self.introduction)
        created = self.pk is None
        if not created:
            self.edit_count += 1
        super().save(*args, **kwargs)
        if created:
            self.link_ingredients()

    def get_absolute_url(self) -> str:
        return links.monograph(self.slug)

    def link_ingredients(self) -> None:
        """Point combinations that list this drug as an ingredient at its monograph."""
        Ingredient.objects.filter(slug=self.slug, drug__isnull=True).update(drug=self)

    def mark_text_edited(self) -> None:
        """Note an edit of what the monograph says (not of its status), before saving it."""
        self.text_changed_at = timezone.now()
        self.changed_since_review = self.reviewed_on is not None

    @property
    def rendered_body(self) -> str | None:
        """The page's body as rendered at this very edit count, if it has been."""
        return self.body_html if self.rendered_for_edit == self.edit_count else None

    @property
    def last_changed_at(self):
        return self.text_changed_at or self.updated

    @property
    def reviewer_name(self) -> str:
        """Who last reviewed it, as the site names them: full name, else username; or ""."""
        if self.reviewed_by_id is None:
            return ""
        if hasattr(self, "reviewer_username"):  # fetched with it by for_page()
            full_name = f"{self.reviewer_first_name} {self.reviewer_last_name}".strip()
            return full_name or self.reviewer_username
        return person_name(self.reviewed_by)

    @cached_property
    def ingredient_list(self) -> list["Ingredient"]:
        """Its ingredients in order, each with its own monograph where the portal has one.

        Read from the list that :meth:`DrugQuerySet.for_detail` fetched with the
        drug, or else in a query of its own.
        """
        if not hasattr(self, "ingredient_rows"):
            return list(self.ingredients.select_related("drug").order_by("position", "id"))
        ingredients = []
        for row in sorted(self.ingredient_rows or [], key=lambda r: (r["position"], r["id"])):
            own = None
            if row["drug_id"] is not None:
                own = Drug(
                    id=row["drug_id"],
                    title=row["drug_title"],
                    slug=row["drug_slug"],
                    status=row["drug_status"],
                )
            ingredients.append(
                Ingredient(
                    id=row["id"],
                    combination=self,
                    name=row["name"],
                    slug=row["slug"],
                    drug=own,
                    position=row["position"],
                )
            )
        return ingredients

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED

    @property
    def edited_since_import(self) -> bool:
        return self.imported_at_edit is not None and self.edit_count != self.imported_at_edit


@reversion.register()
class Section(models.Model):
    drug = models.ForeignKey(Drug, on_delete=models.CASCADE, related_name="sections")
    kind = models.CharField(max_length=20, choices=SectionKind.choices, default=SectionKind.OTHER)
    heading = models.CharField(max_length=500, help_text="As shown on the page.")
    body = models.TextField(blank=True, help_text="Markdown.")
    body_html = models.TextField(blank=True, editable=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["drug", "position", "id"]

    def __str__(self) -> str:
        return f"{self.drug}: {self.heading}"

    def save(self, *args, **kwargs):
        self.render()
        super().save(*args, **kwargs)

    def render(self) -> None:
        self.body_html = render(self.body)


@reversion.register()
class SideEffect(models.Model):
    # Indexed by Meta.indexes, together with severity.
    drug = models.ForeignKey(
        Drug, on_delete=models.CASCADE, related_name="side_effects", db_index=False
    )
    name = models.CharField(max_length=255, help_text="E.g. “Pancreatitis”.")
    term = models.CharField(
        max_length=255,
        default="",
        editable=False,
        help_text="The name normalised for matching across drugs (“nosebleed”).",
    )
    detail = models.CharField(
        max_length=1000, blank=True, help_text="E.g. “inflammation of the pancreas”."
    )
    severity = models.PositiveSmallIntegerField(
        choices=Severity.choices, default=Severity.MILD, db_index=True
    )
    frequency = models.PositiveSmallIntegerField(
        choices=Frequency.choices, default=Frequency.NOT_KNOWN
    )
    body_system = models.CharField(
        max_length=100, blank=True, help_text="Organ system, e.g. “Cardiovascular”, if known."
    )
    tier_label = models.CharField(
        max_length=1000,
        blank=True,
        help_text="The words introducing its list, e.g. “Common side effects include:”.",
    )
    written_inline = models.BooleanField(
        default=False,
        help_text="Its list is a sentence (“Common: a, b and c.”) rather than bullets.",
    )
    separator = models.CharField(
        max_length=20,
        blank=True,
        help_text="In a sentence list: the words before this one, e.g. “, and ”.",
    )
    list_end = models.CharField(
        max_length=2000,
        blank=True,
        help_text="On the last of a sentence list: the text that closes it.",
    )
    list_start = models.CharField(
        max_length=1000,
        blank=True,
        help_text="On the first of a list written in a sentence: the words before it, "
        "e.g. “Common side effects include ”.",
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["drug", "position", "id"]
        indexes = [
            # A monograph's side effects by severity and frequency; "lists a
            # serious side effect" in the drug list.
            models.Index(
                fields=["drug", "severity", "frequency"], name="sideeffect_drug_severity_idx"
            ),
            # The cross-drug lookup: a term, at some severities. With the drug
            # in the index, counting a common term's listings reads the index
            # alone, not every side effect's row.
            models.Index(fields=["term", "severity", "drug"], name="sideeffect_term_sev_drug_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.term = terms.normalise(self.name)
        super().save(*args, **kwargs)

    @property
    def severity_slug(self) -> str:
        return Severity(self.severity).slug

    @property
    def display_html(self) -> str:
        """:attr:`display_name` as sanitised inline HTML (emphasis, <i>, <sub> and the like)."""
        return render_inline(self.display_name)

    @property
    def display_name(self) -> str:
        """ "Pancreatitis (inflammation of the pancreas)"; a longer detail follows a colon."""
        if not self.detail:
            return self.name
        if len(self.detail) > 60:
            return f"{self.name}: {self.detail}"
        return f"{self.name} ({self.detail})"


@reversion.register()
class Faq(models.Model):
    drug = models.ForeignKey(Drug, on_delete=models.CASCADE, related_name="faqs")
    question = models.CharField(max_length=1000)
    answer = models.TextField(help_text="Markdown.")
    answer_html = models.TextField(blank=True, editable=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["drug", "position", "id"]
        verbose_name = "FAQ"
        verbose_name_plural = "FAQs"

    def __str__(self) -> str:
        return self.question

    def save(self, *args, **kwargs):
        self.render()
        super().save(*args, **kwargs)

    def render(self) -> None:
        self.answer_html = render(self.answer)


@reversion.register()
class Ingredient(models.Model):
    """One part of a combination product ("Paracetamol + Codeine" has two)."""

    combination = models.ForeignKey(Drug, on_delete=models.CASCADE, related_name="ingredients")
    name = models.CharField(max_length=255)
    slug = models.SlugField(max_length=255, editable=False)
    drug = models.ForeignKey(
        Drug,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="in_combinations",
        help_text="Its own monograph, where the portal has one.",
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["combination", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["combination", "slug"], name="ingredient_unique_per_combination"
            ),
        ]
        indexes = [
            # A new monograph finds the combinations that list it by slug.
            models.Index(fields=["slug"], name="ingredient_slug_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.slug = slugify(self.name)
        self.drug = Drug.objects.filter(slug=self.slug).first()
        super().save(*args, **kwargs)

    @property
    def page(self) -> Drug | None:
        """Its own monograph, if readers can see it."""
        return self.drug if self.drug is not None and self.drug.is_published else None
