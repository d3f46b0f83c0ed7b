"""The sitemap index and its sitemaps; the side-effect lookup's counts kept on write."""

import threading
import xml.etree.ElementTree as ET

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count

from monographs import term_counts
from monographs.choices import Severity, Status
from monographs.models import Drug, SideEffect, SideEffectTermCount
from monographs.signals import announce_content_change
from monographs.sitemaps import DrugSitemap
from tests.factories import make_drug
from tests.test_import import MONOGRAPH

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def locations(client, url) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    return [loc.text for loc in ET.fromstring(response.content).iterfind(".//s:loc", NS)]


def test_the_sitemap_is_an_index_of_sitemaps_holding_every_published_monograph_once(
    db, client, monkeypatch
):
    for number in range(5):
        make_drug(f"Mapamine {number}")
    make_drug("Hidamine", status=Status.DRAFT)
    monkeypatch.setattr(DrugSitemap, "limit", 2)  # three sitemaps of at most two
    parts = locations(client, "/sitemap.xml")
    assert parts == [
        "http://testserver/sitemap-drugs.xml",
        "http://testserver/sitemap-drugs.xml?p=2",
        "http://testserver/sitemap-drugs.xml?p=3",
    ]
    listed = [
        loc for part in parts for loc in locations(client, part.removeprefix("http://testserver"))
    ]
    assert sorted(listed) == sorted(
        f"http://testserver/drugs/mapamine-{number}/" for number in range(5)
    )
    assert client.get("/sitemap-drugs.xml?p=4").status_code == 404
    assert client.get("/sitemap-nothing.xml").status_code == 404


def test_each_sitemap_holds_at_most_ten_thousand_addresses():
    assert DrugSitemap.limit <= 10_000


def test_a_sitemap_entry_says_when_the_monograph_changed(db, client):
    drug = make_drug("Datamine")
    text = client.get("/sitemap-drugs.xml").content.decode()
    assert f"<lastmod>{drug.updated:%Y-%m-%d}</lastmod>" in text


def counted_afresh() -> dict:
    return dict(
        SideEffect.objects.filter(drug__status=Status.PUBLISHED)
        .values("term")
        .annotate(n=Count("drug", distinct=True))
        .values_list("term", "n")
    )


def kept() -> dict:
    return dict(SideEffectTermCount.objects.values_list("term", "drugs"))


@pytest.fixture
def listed(db):
    a, b = make_drug("Alphamine"), make_drug("Betamine")
    return a, b


def test_the_counts_follow_every_kind_of_change(listed):
    a, b = listed
    assert kept() == counted_afresh() and kept()["effect 1"] == 2
    a.status = Status.DRAFT
    a.save()
    assert kept() == counted_afresh() and kept()["effect 1"] == 1
    a.status = Status.PUBLISHED
    a.save()
    b.side_effects.get(name="Effect 1").delete()
    assert kept() == counted_afresh() and kept()["effect 1"] == 1
    renamed = a.side_effects.get(name="Effect 0")
    renamed.name, renamed.term = "Yawning", "yawning"
    renamed.save()
    assert kept() == counted_afresh()
    assert kept()["yawning"] == 1 and kept()["effect 0"] == 1
    SideEffect.objects.create(drug=b, name="Hiccups", term="hiccup", severity=Severity.MILD)
    assert kept()["hiccup"] == 1
    b.delete()
    assert kept() == counted_afresh() and "hiccup" not in kept()


def test_a_change_without_monographs_named_counts_everything_again(listed):
    a, _ = listed
    Drug.objects.filter(pk=a.pk).update(status=Status.ARCHIVED)  # no signal
    announce_content_change()
    assert kept() == counted_afresh() and kept()["effect 1"] == 1


def test_two_monographs_published_at_once_are_both_counted(transactional_db):
    """Each transaction counts what is committed and its own change: on PostgreSQL
    the second waits for the first to commit before it counts, so that neither
    count leaves out the other's monograph. SQLite writes one at a time anyway."""
    first = make_drug("Alphamine", status=Status.DRAFT)
    second = make_drug("Betamine", status=Status.DRAFT)
    counting, second_done, problems = threading.Event(), threading.Event(), []

    def publish(drug, *, hold: bool):
        try:
            with transaction.atomic():
                drug.status = Status.PUBLISHED
                drug.save()  # counted again in this transaction
                if hold:  # uncommitted while the other publishes
                    counting.set()
                    second_done.wait(timeout=1.5)
        except Exception as error:
            problems.append(error)
        finally:
            if hold:
                counting.set()
            else:
                second_done.set()
            connection.close()

    if connection.vendor == "postgresql":
        holder = threading.Thread(target=publish, args=(first,), kwargs={"hold": True})
        holder.start()
        counting.wait(timeout=10)
        other = threading.Thread(target=publish, args=(second,), kwargs={"hold": False})
        other.start()
        for thread in (holder, other):
            thread.join(timeout=30)
    else:
        publish(first, hold=False)
        publish(second, hold=False)
    assert problems == []
    assert kept() == counted_afresh() and kept()["effect 1"] == 2


def test_an_import_and_generated_data_are_counted(db):
    call_command("generate_scale_data", drugs=5, seed=3, verbosity=0)
    assert kept() == counted_afresh() and kept()


def test_rebuilding_gives_the_same_counts(listed):
    before = kept()
    SideEffectTermCount.objects.all().delete()
    term_counts.rebuild()
    assert kept() == before


def test_the_lookup_without_a_query_lists_the_kept_counts_in_one_query(
    listed, client, django_assert_num_queries
):
    with django_assert_num_queries(1):
        text = client.get("/side-effects/").content.decode()
    assert "?q=effect%201" in text and "2 medicines" in text


def test_an_import_counts_the_terms_of_its_monograph_only(listed, tmp_path):
    # A count the import does not touch is left as it is, not counted again.
    SideEffectTermCount.objects.filter(term="effect 1").update(drugs=99)
    path = tmp_path / "t.md"
    path.write_text(MONOGRAPH.format(title="Testamine"))
    call_command("import_monographs", str(path), verbosity=0)
    assert kept()["effect 1"] == 99
    assert (kept()["headache"], kept()["nausea"]) == (1, 1)
    # The term a changed file no longer lists is counted again too.
    path.write_text(MONOGRAPH.format(title="Testamine").replace("* Headache\n", ""))
    call_command("import_monographs", str(path), verbosity=0)
    assert "headache" not in kept() and kept()["nausea"] == 1
