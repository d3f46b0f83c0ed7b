"""The reviewers' dashboard: what is overdue, due soon, never reviewed, changed or waiting."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from monographs import workflow
from monographs.choices import Status
from monographs.models import Drug

from .factories import make_drug, make_user, staff_login

TODAY = timezone.localdate()


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


@pytest.fixture
def monographs(db):
    def drug(title, status=Status.PUBLISHED, **fields):
        d = make_drug(title, status=status)
        Drug.objects.filter(pk=d.pk).update(**fields)
        return d

    return {
        "overdue": drug("Overdueamine", reviewed_on=days(-1200), review_due=days(-5)),
        "due soon": drug("Soonamine", reviewed_on=days(-1000), review_due=days(20)),
        "due later": drug("Lateramine", reviewed_on=days(-30), review_due=days(200)),
        "never": drug("Neveramine"),
        "changed": drug(
            "Changedamine", reviewed_on=days(-10), review_due=days(1000), changed_since_review=True
        ),
        "waiting": drug("Waitamine", status=Status.IN_REVIEW),
        "archived": drug("Oldamine", status=Status.ARCHIVED, review_due=days(-50)),
        "duplicate": drug("Copyamine", status=Status.DRAFT, duplicate_of=first("Neveramine")),
        "merged": drug("Mergedamine", status=Status.ARCHIVED, duplicate_of=first("Lateramine")),
    }


def first(title):
    return Drug.objects.get(title=title)


@pytest.fixture
def reviewer_client(db):
    client = Client()
    staff_login(client, make_user("rae", "Reviewer"))
    return client


def test_each_queue_holds_the_right_monographs(monographs, reviewer_client):
    page = reviewer_client.get(reverse("admin:monographs_drug_review"))
    assert page.status_code == 200
    queues = {q["name"]: sorted(d.title for d in q["drugs"]) for q in page.context["queues"]}
    assert queues == {
        "overdue": ["Overdueamine"],
        "due_soon": ["Soonamine"],
        "never_reviewed": ["Neveramine", "Waitamine"],
        "changed": ["Changedamine"],
        "in_review": ["Waitamine"],
        "duplicates": ["Copyamine"],
    }
    counts = {q["name"]: q["count"] for q in page.context["queues"]}
    assert counts == workflow.queue_counts() == {name: len(t) for name, t in queues.items()}


def test_the_chart_is_an_svg_drawn_on_the_server_with_one_bar_a_month(monographs, reviewer_client):
    html = reviewer_client.get(reverse("admin:monographs_drug_review")).content.decode()
    svg = re.search(r'<figure class="due-chart">.*?(<svg.*?</svg>)', html, re.S).group(1)
    assert 'role="img"' in svg
    titles = re.findall(r"<title>([^<]+)</title>", svg)
    assert len(titles) == 12
    # Overdueamine (if it fell due this month), Soonamine, Lateramine.
    due_months = [(d.year, d.month) for d in (days(-5), days(20), days(200))]
    expected = [
        f"{month:%B %Y}: {due_months.count((month.year, month.month))} due"
        for month, _ in workflow.due_by_month()
    ]
    assert titles == expected
    assert "<script" not in svg


def test_the_admin_index_counts_the_queues_and_links_the_list_filter(monographs, reviewer_client):
    html = reviewer_client.get(reverse("admin:index")).content.decode()
    changelist = reverse("admin:monographs_drug_changelist")
    assert f'href="{changelist}?review=overdue">Overdue for review</a>' in html
    listing = reviewer_client.get(changelist, {"review": "overdue"}).content.decode()
    assert "Overdueamine" in listing and "Soonamine" not in listing


def test_the_dashboard_is_for_editors_only(monographs, db):
    client = Client()
    staff_login(client, make_user("plainstaff"))
    assert client.get(reverse("admin:monographs_drug_review")).status_code == 403
    assert "Reviews" not in client.get(reverse("admin:index")).content.decode()
