"""Choices shared by the models and the importer (which never touches the ORM)."""

from django.db import models


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"


class Severity(models.IntegerChoices):
    """How bad a side effect is and what a reader should do about it; what the page
    filters by. How often it happens is :class:`Frequency`, a separate thing."""

    MILD = 1, "Mild"
    SERIOUS = 2, "Serious – contact a doctor"
    EMERGENCY = 3, "Emergency – get help now"

    @property
    def slug(self) -> str:
        return self.name.lower()


class Frequency(models.IntegerChoices):
    """The frequency bands of the EU summary of product characteristics."""

    VERY_COMMON = 1, "Very common (≥1/10)"
    COMMON = 2, "Common (≥1/100 to <1/10)"
    UNCOMMON = 3, "Uncommon (≥1/1,000 to <1/100)"
    RARE = 4, "Rare (≥1/10,000 to <1/1,000)"
    VERY_RARE = 5, "Very rare (<1/10,000)"
    NOT_KNOWN = 6, "Not known"


class SectionKind(models.TextChoices):
    """Section kinds, declared in the canonical order of a monograph."""

    USAGE = "usage", "Usage"
    DOSAGE = "dosage", "Dosage"
    SIDE_EFFECTS = "side_effects", "Side effects"
    HOW_IT_WORKS = "how_it_works", "How it works"
    PRECAUTIONS = "precautions", "Precautions"
    FAQS = "faqs", "FAQs"
    DISCLAIMER = "disclaimer", "Disclaimer"
    OTHER = "other", "Other"


# A side effect as a person edits it (the admin, the history) and as a
# monograph file gives it (the parser, the loader, the exporter).
SIDE_EFFECT_FIELDS = ("name", "detail", "severity", "frequency", "body_system", "tier_label")
# How the file wrote the side effect's list, kept so that an export writes it
# back the same way; never edited by hand.
SIDE_EFFECT_LIST_FIELDS = ("written_inline", "separator", "list_end", "list_start")
