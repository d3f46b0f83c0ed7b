"""Print the query plans of the readers' key queries, as Markdown.

Run against a database filled with ``generate_scale_data`` (after ``ANALYZE``,
which this script runs), e.g.::

    DATABASE_URL=postgres://... .venv/bin/python bench/explain_queries.py

The output is the kind of section kept in docs/PERFORMANCE_QUERIES.md.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def key_queries():
    from monographs.choices import Status
    from monographs.filters import DrugFilter, SideEffectFilter, SideEffectLookupFilter
    from monographs.models import Drug, SideEffect

    published = Drug.objects.published()
    lookup = SideEffectLookupFilter({"q": "nausea", "severity": ["serious"]})
    lookup.is_valid()
    return {
        "Drug list by name (`/drugs/?sort=name`)": DrugFilter(
            {"sort": "name"}, queryset=published
        ).qs.order_by("title")[:50],
        "Drug list by update (`/drugs/?sort=updated`)": published.order_by("-updated", "title")[
            :50
        ],
        "Recently reviewed (home)": published.filter(reviewed_on__isnull=False).order_by(
            "-reviewed_on", "title"
        )[:6],
        "A–Z, one letter (`/drugs/?letter=K`)": DrugFilter(
            {"letter": "K"}, queryset=published
        ).qs.order_by("title")[:50],
        "A–Z, digits (`/drugs/?letter=0-9`)": DrugFilter(
            {"letter": "0-9"}, queryset=published
        ).qs.order_by("title")[:50],
        "Lists a serious side effect (`/drugs/?serious=yes`)": DrugFilter(
            {"serious": "yes"}, queryset=published
        ).qs.order_by("title")[:50],
        "A monograph's serious side effects (`/drugs/<slug>/?severity=serious`)": (
            SideEffectFilter(
                {"severity": ["serious"]},
                queryset=SideEffect.objects.filter(drug=published.order_by("pk").first()),
            ).qs.order_by("position", "id")
        ),
        "Side-effect lookup (`/side-effects/?q=nausea&severity=serious`)": lookup.filter_queryset(
            SideEffect.objects.filter(drug__status=Status.PUBLISHED, term="nausea")
        )
        .select_related("drug")
        .order_by("-severity", "drug__title", "position"),
    }


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from django.db import connection

    from monographs.models import Drug, SideEffect

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"{connection.vendor}: {Drug.objects.count():,} drugs "
        f"({Drug.objects.published().count():,} published), "
        f"{SideEffect.objects.count():,} side effects\n"
    )
    for name, queryset in key_queries().items():
        print(f"**{name}**\n\n```\n{queryset.explain()}\n```\n")


if __name__ == "__main__":
    main()
