"""Fill the database with many synthetic monographs, to see the portal at scale.

Each synthetic drug copies a monograph of the importable sample corpus
(sections, introduction, side effects, FAQs, ingredients), topped up with side
effects and FAQs of other sample monographs to typical sizes, under a name
that says what it is: "Synthetic 04217 — based on Isotretinoin (Systemic)".
They are marked with a ``synthetic:`` source path, so ``--replace`` and
``--delete`` find them again and nothing else is touched.
"""

import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.text import slugify
from tqdm import tqdm

from monographs import search, term_counts, terms
from monographs.choices import Status
from monographs.importer.load import side_effect_rows
from monographs.importer.parse import ParseError, parse_bytes
from monographs.markdown import render
from monographs.models import Drug, Faq, Ingredient, Section, SideEffect
from monographs.signals import announce_content_change

from .import_monographs import Refused, monograph_files, read

SAMPLE = Path(settings.BASE_DIR) / "tests" / "data" / "corpus"
MARK = "synthetic:"
# Typical sizes of a monograph: sections come from the sample as they are
# (about 7 a drug); side effects and FAQs are topped up to these ranges.
SIDE_EFFECTS = (22, 38)
FAQS = (4, 8)


def synthetic_drugs():
    return Drug.objects.filter(source_path__startswith=MARK)


class Renderer:
    """Markdown to HTML through monographs.markdown, once per distinct text."""

    def __init__(self):
        self.html: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        if text not in self.html:
            self.html[text] = render(text)
        return self.html[text]


class Command(BaseCommand):
    help = "Create synthetic monographs from the sample corpus, to measure the portal at scale."

    def add_arguments(self, parser):
        parser.add_argument(
            "--drugs", type=int, default=10_000, help="How many to create (default 10,000)."
        )
        parser.add_argument(
            "--status",
            choices=[Status.PUBLISHED, Status.DRAFT],
            default=Status.PUBLISHED,
            help="Their status (default published).",
        )
        parser.add_argument(
            "--drafts",
            type=float,
            default=0.0,
            help="A share (0 to 1) of them to leave as drafts whatever --status says.",
        )
        parser.add_argument("--seed", type=int, default=1, help="The same seed, the same data.")
        parser.add_argument(
            "--replace", action="store_true", help="Delete earlier synthetic monographs first."
        )
        parser.add_argument(
            "--delete", action="store_true", help="Only delete the synthetic monographs."
        )
        parser.add_argument(
            "--batch-size", type=int, default=500, help="Drugs written per transaction."
        )
        parser.add_argument(
            "--corpus",
            default=str(SAMPLE),
            help="Monograph files to build from (default: the sample corpus).",
        )

    def handle(self, *args, drugs, status, drafts, seed, replace, delete, batch_size, **options):
        self.verbosity = options["verbosity"]
        start = time.perf_counter()
        existing = synthetic_drugs().count()
        if delete:
            self.delete()
            self.report(f"Deleted {existing:,} synthetic monographs.")
            return
        if drugs < 1 or batch_size < 1 or not 0 <= drafts <= 1:
            raise CommandError("--drugs and --batch-size must be positive, --drafts 0 to 1")
        if existing and not replace:
            raise CommandError(
                f"{existing:,} synthetic monographs already exist; "
                "use --replace to start again, or --delete"
            )
        if existing:
            self.delete()

        bases = self.read_corpus(options["corpus"])
        rng = random.Random(seed)
        side_effect_pool = [e for base in bases for e in base.side_effects]
        faq_pool = [f for base in bases for f in base.faqs]
        ingredient_names = {slugify(n) for base in bases for n in base.ingredients}
        own_pages = Drug.objects.in_bulk(list(ingredient_names), field_name="slug")
        renderer = Renderer()
        self.indexing = 0.0
        today = date.today()

        totals = {"sections": 0, "side effects": 0, "FAQs": 0}
        progress = tqdm(
            total=drugs,
            unit="drug",
            desc="Generating",
            disable=self.verbosity < 1 or not sys.stderr.isatty(),
            file=sys.stderr,
        )
        for first in range(1, drugs + 1, batch_size):
            plans = []
            for number in range(first, min(first + batch_size, drugs + 1)):
                base = bases[rng.randrange(len(bases))]
                draft = status == Status.DRAFT or rng.random() < drafts
                plans.append(self.plan(number, base, draft, rng, today, side_effect_pool, faq_pool))
            with transaction.atomic():
                counts = self.write(plans, renderer, own_pages)
            for key, value in counts.items():
                totals[key] += value
            progress.update(len(plans))
        progress.close()
        # Written without model signals: stored pages and the lookup's counts are told here.
        announce_content_change()
        search.update_statistics()

        elapsed = time.perf_counter() - start
        averages = ", ".join(f"{value / drugs:.1f} {key}" for key, value in totals.items())
        self.report(
            f"Created {drugs:,} synthetic monographs ({averages} a drug; "
            f"{len(renderer.html):,} distinct texts rendered) and indexed them "
            f"in {elapsed:.1f} s ({self.indexing:.1f} s of it building the search index)."
        )

    def report(self, message: str) -> None:
        if self.verbosity >= 1:
            self.stdout.write(message)

    def delete(self):
        with transaction.atomic(), term_counts.counted_once_at_the_end():
            doomed = synthetic_drugs()
            pks = list(doomed.values_list("pk", flat=True))
            for model in (Section, SideEffect, Faq):
                model.objects.filter(drug__in=pks).delete()
            Ingredient.objects.filter(combination__in=pks).delete()
            # One row each, with the search index entry removed drug by drug.
            doomed.delete()

    def read_corpus(self, folder: str) -> list:
        bases = []
        for path, found_in in monograph_files([folder]):
            try:
                monograph = parse_bytes(read(path, found_in))
            except (ParseError, Refused):
                continue  # the importer reports those; a copy needs none of them
            # Refusals have nothing to copy; a published copy of one would mislead.
            if monograph.sections and monograph.status == Status.PUBLISHED:
                bases.append(monograph)
        if not bases:
            raise CommandError(f"{folder}: no importable monographs with sections")
        return bases

    def plan(self, number, base, draft, rng, today, side_effect_pool, faq_pool) -> dict:
        """What one synthetic drug holds, before anything is written."""
        title = f"Synthetic {number:05d} — based on {base.title}"[:500]
        side_effects = top_up(
            base.side_effects,
            side_effect_pool,
            rng.randint(*SIDE_EFFECTS),
            rng,
            key=lambda e: terms.normalise(e.name),
        )
        faqs = top_up(base.faqs, faq_pool, rng.randint(*FAQS), rng, key=lambda f: f.question)
        reviewed_on = today - timedelta(days=rng.randrange(730)) if rng.random() < 0.6 else None
        return {
            "drug": Drug(
                title=title,
                slug=slugify(title)[:500],
                generic_name=base.generic_name[:255],
                introduction=base.introduction,
                status=Status.DRAFT if draft else Status.PUBLISHED,
                reviewed_on=reviewed_on,
                review_due=reviewed_on + timedelta(days=365) if reviewed_on else None,
                front_matter={**base.front_matter, "synthetic": True, "based_on": base.slug},
                source_path=f"{MARK}{base.slug}"[:500],
            ),
            "sections": base.sections,
            "side_effects": side_effects,
            "faqs": faqs,
            "ingredients": base.ingredients,
        }

    def write(self, plans, renderer, own_pages) -> dict:
        drugs = [plan["drug"] for plan in plans]
        for drug in drugs:
            drug.introduction_html = renderer(drug.introduction)
        Drug.objects.bulk_create(drugs)
        sections, side_effects, faqs, ingredients = [], [], [], []
        for plan in plans:
            drug = plan["drug"]
            sections += [
                Section(
                    drug=drug,
                    kind=s.kind,
                    heading=s.heading[:500],
                    body=s.body,
                    body_html=renderer(s.body),
                    position=i,
                )
                for i, s in enumerate(plan["sections"], start=1)
            ]
            side_effects += side_effect_rows(drug, plan["side_effects"])
            faqs += [
                Faq(
                    drug=drug,
                    question=f.question[:1000],
                    answer=f.answer,
                    answer_html=renderer(f.answer),
                    position=i,
                )
                for i, f in enumerate(plan["faqs"], start=1)
            ]
            names = {slugify(name): name for name in plan["ingredients"] if slugify(name)}
            ingredients += [
                Ingredient(
                    combination=drug,
                    name=name[:255],
                    slug=slug[:255],
                    drug=own_pages.get(slug),
                    position=i,
                )
                for i, (slug, name) in enumerate(names.items(), start=1)
            ]
        Section.objects.bulk_create(sections)
        SideEffect.objects.bulk_create(side_effects)
        Faq.objects.bulk_create(faqs)
        Ingredient.objects.bulk_create(ingredients)
        started = time.perf_counter()
        search.reindex_many(Drug, [drug.pk for drug in drugs])
        self.indexing += time.perf_counter() - started
        return {"sections": len(sections), "side effects": len(side_effects), "FAQs": len(faqs)}


def top_up(own: list, pool: list, target: int, rng, key) -> list:
    """``own`` cut or topped up to ``target`` items from ``pool``, none repeated."""
    chosen = list(own[:target])
    seen = {key(item) for item in chosen}
    start = rng.randrange(len(pool)) if pool else 0
    for offset in range(len(pool)):
        if len(chosen) >= target:
            break
        item = pool[(start + offset) % len(pool)]
        if key(item) not in seen:
            seen.add(key(item))
            chosen.append(item)
    return chosen
