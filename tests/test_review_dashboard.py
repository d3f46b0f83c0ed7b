"""The reviewers' dashboard: what is overdue, due soon, never reviewed, changed or waiting."""

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from monographs import history, workflow
from monographs.choices import Status
from monographs.models import Drug

from .factories import make_drug, make_user, signed_in, staff_login

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


def submit(user, drug, note=""):
    drug = Drug.objects.get(pk=drug.pk)
    url = reverse("admin:monographs_drug_transition", args=[drug.pk, "submit"])
    response = signed_in(user).post(url, {"opened_at_edit": drug.edit_count, "note": note})
    assert response.status_code == 302
    return response


def test_the_dashboard_starts_with_what_waits_in_review_with_who_sent_it_when_and_why(
    monographs, reviewer_client
):
    ana = make_user("ana", "Pharmacist", first_name="Ana", last_name="Silva")
    ben = make_user("ben", "Pharmacist", first_name="Ben", last_name="Okoro")
    first_sent = make_drug("Firstamine", status=Status.DRAFT)
    second_sent = make_drug("Secondamine", status=Status.DRAFT)
    submit(ana, first_sent, "New dosing table from the 2026 label.")
    submit(ben, second_sent, "First try.")
    reviewer = signed_in(make_user("ola", "Reviewer"))
    reject = reverse("admin:monographs_drug_transition", args=[second_sent.pk, "reject"])
    edit_count = Drug.objects.get(pk=second_sent.pk).edit_count
    reviewer.post(reject, {"opened_at_edit": edit_count, "note": "Cite the source"})
    submit(ben, second_sent, "Sources cited; please check the severities.")

    page = reviewer_client.get(reverse("admin:monographs_drug_review"))
    html = page.content.decode()
    # The work first: waiting in review, then overdue, then the rest.
    order = re.findall(r'<section class="module queue" id="(\w+)"', html)
    assert order[:2] == ["in_review", "overdue"]
    assert set(order) == set(workflow.QUEUE_LABELS)
    counts = re.findall(r'<a href="#(\w+)"><span class="count">', html)
    assert counts[:2] == ["in_review", "overdue"]
    assert html.index('id="in_review"') < html.index('class="due-chart"')

    waiting = re.search(r'<section class="module queue" id="in_review".*?</section>', html, re.S)
    rows = re.findall(r"<tr>(.*?)</tr>", waiting.group(0), re.S)[1:]
    text = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]
    # Longest waiting first; a monograph that reached review with an import last.
    assert [t.split(" ")[0] for t in text] == ["Firstamine", "Secondamine", "Waitamine"]
    submitted = {
        drug.title: submission
        for drug, submission in next(q for q in page.context["queues"] if q["name"] == "in_review")[
            "rows"
        ]
    }
    first_revision = history.versions_of(first_sent.pk).first().revision
    assert submitted["Firstamine"].by == "Ana Silva"
    assert submitted["Firstamine"].on == first_revision.date_created
    assert submitted["Firstamine"].note == "New dosing table from the 2026 label."
    assert "Ana Silva" in text[0] and "New dosing table from the 2026 label." in text[0]
    when = timezone.localtime(first_revision.date_created)
    assert date_format(when, "j M Y, H:i") in text[0]
    # The latest submission counts: Ben's second note, not the first.
    assert submitted["Secondamine"].note == "Sources cited; please check the severities."
    assert "Ben Okoro" in text[1] and "First try" not in text[1]
    assert "Not submitted through the workflow" in text[2]
    assert submitted.get("Waitamine") is None


def test_the_waiting_queue_costs_the_same_queries_however_many_wait(
    monographs, reviewer_client, django_assert_max_num_queries
):
    ana = make_user("ana", "Pharmacist", first_name="Ana", last_name="Silva")
    url = reverse("admin:monographs_drug_review")
    submit(ana, make_drug("Sentamine 0", status=Status.DRAFT), "one")
    reviewer_client.get(url)
    with django_assert_max_num_queries(100) as few:
        reviewer_client.get(url)
    budget = len(few)
    for i in range(1, 6):
        submit(ana, make_drug(f"Sentamine {i}", status=Status.DRAFT), f"note {i}")
    with django_assert_max_num_queries(budget):
        reviewer_client.get(url)
