import reversion
from django.conf import settings
from django.db import models
from django.db.models import F, Func, OuterRef, Prefetch, Subquery
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import slugify
from modelsearch import index

from . import links, search, terms
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


class DrugQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED)

    def search(self, text: str, *, order=None, correct: bool = True, first: int = 50, key=None):
        """Search these drugs for what a reader typed: the one entry point for every search.

        Returns :class:`monographs.search.Results`: ``results.drugs`` are this
        queryset's drugs matching every word (the last also as the start of a
        word), best first — a drug named exactly so first, a single medicine
        before the combinations holding it, then by weighted relevance (names,
        then brand names and ingredients, then uses and side effects, then the
        rest) — read a page at a time from the database's full-text engine.
        Words such as "side effects" or "dosage" do not count against a name.
        If nothing matches and ``correct``, misspelt words are corrected
        (``results.corrected``, ``results.searched``) or alternatives offered
        (``results.did_you_mean``). ``order`` (e.g. ``["title"]``) lists the
        matches in that order instead of by relevance. ``first`` is the size of
        the first slice read (the page size). ``key``, if given, names what these
        drugs depend on besides the index (e.g. the filters that narrowed them):
        each page read is then kept under it while the index is unchanged.
        """
        return search.search(self, text, order=order, correct=correct, first=first, key=key)

    def suggest(self, text: str, *, limit: int = 8) -> list:
        """At most ``limit`` of these drugs whose names match what is typed so far, best first."""
        return search.suggest(self, text, limit=limit)

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


def _rows(queryset, parent: str, **fields):
    """``queryset``'s rows as one JSON list per ``parent``, for a subquery."""
    return (
        queryset.order_by()
        .values(parent)
        .annotate(rows=JSONList(JSONObject(**fields)))
        .values("rows")
    )


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
    exclude=["body_html", "body_facts", "rendered_for_edit", "body_key"],
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
    # What its page's schema.org data says of those parts, kept with the body.
    body_facts = models.JSONField(null=True, blank=True, editable=False)
    rendered_for_edit = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # New with each body kept: what a worker keeps the body and facts under
    # (monograph_body.kept_parts), so that its page's query need not read them.
    body_key = models.UUIDField(null=True, blank=True, editable=False)
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
    read_by = models.PositiveSmallIntegerField(
        default=0,
        editable=False,
        help_text="The version of the importer's reader (parse.READER_VERSION) that read the "
        "file; a newer reader reads an unchanged file again.",
    )
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

    # A published monograph is edited in its working draft, a Drug of its own
    # beside it: readers keep the live one until a Reviewer approves the draft,
    # whose fields and parts then become the live monograph's (workflow.py).
    draft_of = models.OneToOneField(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        editable=False,
        related_name="working_draft",
        help_text="The published monograph this is the working draft of.",
    )
    review_note = models.TextField(
        blank=True,
        editable=False,
        help_text="Why a Reviewer returned it to its author, or the author's note to the "
        "Reviewer when submitting it.",
    )
    # Approved to go live later: `manage.py publish_scheduled` publishes it (or
    # approves its working draft) once the time has come, as ``scheduled_by``.
    goes_live_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When its approval takes effect."
    )
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="scheduled_drugs",
        help_text="The Reviewer who approved it to go live later.",
    )
    scheduled_at_edit = models.PositiveIntegerField(
        null=True,
        blank=True,
        editable=False,
        help_text="The edit count it was approved at: an edit since voids the approval.",
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
            # What `publish_scheduled` looks for every minute: the few that are scheduled.
            models.Index(
                fields=["goes_live_at"],
                name="drug_goes_live_idx",
                condition=models.Q(goes_live_at__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(slug=""), name="drug_slug_not_empty"),
        ]
        permissions = [
            ("publish_drug", "Can publish, unpublish and archive monographs"),
            ("review_drug", "Can mark monographs as reviewed"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (working draft)" if self.draft_of_id else self.title

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
    def is_working_draft(self) -> bool:
        return self.draft_of_id is not None

    @property
    def edited_in_a_draft(self) -> bool:
        """A live published monograph: its edits go to a working draft, not to it."""
        return self.is_published and not self.is_working_draft

    @property
    def edited_since_import(self) -> bool:
        return self.imported_at_edit is not None and self.edit_count != self.imported_at_edit

    @property
    def is_scheduled(self) -> bool:
        return self.goes_live_at is not None

    @property
    def edited_since_scheduled(self) -> bool:
        """Changed after a Reviewer approved it to go live later: that approval no longer holds."""
        return self.is_scheduled and self.edit_count != self.scheduled_at_edit


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


class SideEffectQuerySet(models.QuerySet):
    def best_match_first(self, terms: list[str]):
        """Listings of ``terms`` in their order (the best matching term first), then most severe."""
        rank = models.Case(
            *(models.When(term=term, then=models.Value(i)) for i, term in enumerate(terms)),
            default=models.Value(len(terms)),
        )
        return self.order_by(rank, "-severity", "drug__title", "position", "id")

    def in_published(self):
        return self.filter(drug__status=Status.PUBLISHED)

    def listings(self):
        """These side effects in published monographs, as the lookup lists them: most
        severe first, then by medicine; each with its medicine's title and slug."""
        return (
            self.in_published()
            .select_related("drug")
            .only(
                "name",
                "detail",
                "severity",
                "frequency",
                "body_system",
                "drug__title",
                "drug__slug",
            )
            .order_by("-severity", "drug__title", "position", "id")
        )

    def count_in_published(self) -> int:
        """How many of these are in published monographs.

        Counted as all of them less those in unpublished monographs: both from
        the lookup's index (term, severity, drug), not by looking up the
        monograph of each listing.
        """
        unpublished = Drug.objects.filter(status__in=[s for s in Status if s != Status.PUBLISHED])
        return self.count() - self.filter(drug__in=unpublished).count()

    def most_listed(self, limit: int = 60):
        """Terms listed by the most published monographs, with how many (``drugs``)."""
        return (
            self.in_published()
            .values("term")
            .annotate(drugs=models.Count("drug", distinct=True))
            .order_by("-drugs", "term")[:limit]
        )


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

    objects = SideEffectQuerySet.as_manager()

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

    # get_severity_display() and get_frequency_display() hash the field's whole
    # choices on each call; the lookup and compare write one a row.
    @property
    def severity_label(self) -> str:
        return _SEVERITY_LABELS.get(self.severity, self.severity)

    @property
    def frequency_label(self) -> str:
        return _FREQUENCY_LABELS.get(self.frequency, self.frequency)

    @property
    def frequency_known(self) -> bool:
        return self.frequency != Frequency.NOT_KNOWN

    @property
    def display_html(self) -> str:
        """:attr:`display_name` as sanitised inline HTML (emphasis, <i>, <sub> and the like)."""
        return render_inline(self.display_name)

    @property
    def display_name(self) -> str:
        """ "Pancreatitis (inflammation of the pancreas)"; a longer detail, a sentence, or
        one after a name that ends in brackets follows a colon."""
        if not self.detail:
            return self.name
        if len(self.detail) > 60 or self.detail.endswith((".", "!")) or self.name.endswith(")"):
            return f"{self.name}: {self.detail}"
        return f"{self.name} ({self.detail})"


_SEVERITY_LABELS = dict(Severity.choices)
_FREQUENCY_LABELS = dict(Frequency.choices)


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
        self.drug = Drug.objects.filter(slug=self.slug, draft_of__isnull=True).first()
        super().save(*args, **kwargs)

    @property
    def page(self) -> Drug | None:
        """Its own monograph, if readers can see it."""
        return self.drug if self.drug is not None and self.drug.is_published else None


class SideEffectTermCount(models.Model):
    """How many published monographs list each side effect: the lookup's start page.

    Kept on write (monographs/term_counts.py), so that the most listed side
    effects are read from a few rows, whatever the number of listings.
    """

    term = models.CharField(max_length=255, primary_key=True)
    drugs = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["-drugs", "term"], name="termcount_most_listed_idx")]

    def __str__(self):
        return f"{self.term}: {self.drugs}"


class SearchEntry(models.Model):
    """A monograph's words as the search index reads them, one row a drug.

    Written by :mod:`monographs.search` (never by hand): each column holds the
    words of a part of the monograph, lower-cased and without punctuation, so
    that SQLite and PostgreSQL tokenise them alike. The database's full-text
    index over these columns (an FTS5 table on SQLite, a weighted ``tsvector``
    column on PostgreSQL; migration 0012_search_entry) is not a model field.
    """

    drug = models.OneToOneField(
        Drug, on_delete=models.CASCADE, primary_key=True, related_name="search_entry"
    )
    # A query naming the medicine exactly is compared with these.
    title_key = models.CharField(max_length=500, db_index=True)
    generic_key = models.CharField(max_length=255, db_index=True)
    parts = models.PositiveSmallIntegerField(
        default=1, help_text="Its number of ingredients: a combination ranks after a single one."
    )
    indexed_at = models.DateTimeField(auto_now=True, db_index=True)
    # The words last: a row's small fields are read without walking its long text.
    names = models.TextField(blank=True, help_text="Title and generic name.")
    other_names = models.TextField(blank=True, help_text="Brand names and ingredients.")
    effects = models.TextField(blank=True, help_text="Side-effect names.")
    uses = models.TextField(blank=True, help_text="What it is used for.")
    text = models.TextField(blank=True, help_text="Everything else it says.")

    class Meta:
        verbose_name_plural = "search entries"

    def __str__(self) -> str:
        return self.names


class AuditEvent(models.Model):
    """One thing someone did that a publisher of medical information must be able to show:
    signing in and out, lockouts, second factors enrolled or reset, workflow steps,
    approvals and schedules, restores, recoveries, deletions, merges and imports.
    Written by ``monographs.audit.record``, never edited."""

    class Action(models.TextChoices):
        SIGN_IN = "sign_in", "Signed in"
        SIGN_OUT = "sign_out", "Signed out"
        SESSION_ENDED = "session_ended", "Session ended"
        LOCKED_OUT = "locked_out", "Locked out after failed sign-ins"
        DEVICE_ENROLLED = "device_enrolled", "Second factor enrolled"
        DEVICE_RESET = "device_reset", "Second factor reset"
        # The review workflow (monographs/workflow.py), one per step.
        SUBMITTED = "submitted", "Submitted for review"
        WITHDRAWN = "withdrawn", "Returned to draft"
        REJECTED = "rejected", "Returned to its author"
        PUBLISHED = "published", "Reviewed and published"
        APPROVED = "approved", "Working draft approved (live)"
        REVIEWED = "reviewed", "Marked reviewed"
        UNPUBLISHED = "unpublished", "Unpublished"
        ARCHIVED = "archived", "Archived"
        REOPENED = "reopened", "Reopened as a draft"
        DRAFT_OPENED = "draft_opened", "Working draft opened"
        SCHEDULED = "scheduled", "Approved to go live later"
        SCHEDULE_CANCELLED = "schedule_cancelled", "Scheduled approval cancelled"
        WENT_LIVE = "went_live", "Went live as scheduled"
        # History, merging and importing.
        RESTORED = "restored", "Earlier version restored"
        RECOVERED = "recovered", "Deleted monograph recovered"
        DELETED = "deleted", "Deleted"
        MERGED = "merged", "Duplicate merged"
        IMPORT_RUN = "import_run", "Import run"
        IMPORTED = "imported", "Created by an import"
        IMPORT_UPDATED = "import_updated", "Updated by an import"

    when = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_events",
        help_text="Who did it (or, for a reset, who made it).",
    )
    # Kept as text too: an account can be deleted, and a lockout may name no account.
    username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=32, choices=Action)
    drug = models.ForeignKey(
        Drug, on_delete=models.SET_NULL, null=True, blank=True, related_name="audit_events"
    )
    # The monograph's title at the time, still there once the monograph is deleted.
    drug_label = models.CharField(max_length=500, blank=True)  # as long as a title
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-when", "-id"]
        indexes = [
            models.Index(fields=["user", "when"], name="audit_user_when_idx"),
            models.Index(fields=["action", "when"], name="audit_action_when_idx"),
            models.Index(fields=["drug", "when"], name="audit_drug_when_idx"),
        ]

    def __str__(self) -> str:
        who = self.username or "someone"
        what = f" – {self.drug_label}" if self.drug_label else ""
        return f"{self.get_action_display()}: {who}{what}"
