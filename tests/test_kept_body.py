"""A monograph's page body is rendered once a version, and never outlives a change."""

import pytest
from django.test import Client

from monographs import monograph_body
from monographs.choices import Severity, Status
from monographs.models import Drug, Faq, SideEffect

from .factories import edit_published, make_drug, make_user, staff_login


@pytest.fixture
def drug(db):
    return make_drug("Keptamine", side_effects=4)


def page(client, drug, **params) -> str:
    response = client.get(drug.get_absolute_url(), params)
    assert response.status_code == 200
    return response.content.decode()


def kept(drug) -> str | None:
    return Drug.objects.get(pk=drug.pk).rendered_body


def test_the_first_reader_renders_the_body_and_the_next_ones_read_it(drug, client):
    assert kept(drug) is None
    html = page(client, drug)
    body = kept(drug)
    assert body and "Effect 1" in body and body in html
    assert page(client, drug) == html


def test_each_worker_reads_a_kept_body_once_by_its_key(
    drug, client, monkeypatch, django_assert_num_queries
):
    html = page(client, drug)  # rendered and kept (and remembered) by this worker
    with django_assert_num_queries(1):  # the drug alone
        assert page(client, drug) == html
    monkeypatch.setattr(monograph_body, "_kept_under", monograph_body._KeptBodies())
    with django_assert_num_queries(2):  # another worker: the drug, then its kept body once
        assert page(client, drug) == html
    with django_assert_num_queries(1):
        assert page(client, drug) == html


def test_a_body_kept_anew_elsewhere_replaces_the_one_a_worker_remembers(drug, client):
    import uuid

    page(client, drug)
    # Another worker kept the body again (say, after a part was saved on its own).
    row = Drug.objects.filter(pk=drug.pk)
    row.update(body_html='<p id="kept-elsewhere">Kept elsewhere</p>', body_key=uuid.uuid4())
    assert 'id="kept-elsewhere"' in page(client, drug)


def test_a_filtered_page_is_rendered_for_its_request_and_never_kept(drug, client):
    html = page(client, drug, severity="serious")
    assert "Effect 1" in html  # severities cycle: Effect 1 is serious
    assert "Effect 0" not in html.split('id="side-effects-list"')[1]
    # What is kept (with the structured data's facts) is the whole body, not this one.
    assert "Effect 0" in kept(drug).split('id="side-effects-list"')[1]
    assert page(client, drug) == page(client, drug)
    assert "Effect 0" in page(client, drug).split('id="side-effects-list"')[1]


def test_a_save_in_the_admin_is_on_the_next_page(drug, client):
    page(client, drug)
    editor = Client()
    staff_login(editor, make_user("pat", "Pharmacist"))
    index = [e.name for e in drug.side_effects.order_by("position", "id")].index("Effect 2")
    edit_published(
        editor, drug, lambda data: data.update({f"side_effects-{index}-name": "Renamed effect"})
    )
    html = page(client, drug)
    assert "Renamed effect" in html and "Effect 2" not in html


def add_side_effect(drug):
    SideEffect.objects.create(drug=drug, name="Hiccups", severity=Severity.MILD)


def delete_section(drug):
    drug.sections.first().delete()


def change_faq(drug):
    faq = drug.faqs.first()
    faq.answer = "A new answer."
    faq.save()


def rename_drug(drug):
    drug.title = "Keptamine Forte"
    drug.save()


@pytest.mark.parametrize("change", [add_side_effect, delete_section, change_faq, rename_drug])
def test_a_part_saved_or_deleted_on_its_own_voids_the_kept_body(drug, client, change):
    before = page(client, drug)
    assert kept(drug) is not None
    change(Drug.objects.get(pk=drug.pk))
    assert kept(drug) is None
    assert page(client, drug) != before


def test_a_body_rendered_from_a_version_saved_meanwhile_is_not_kept(drug):
    reader_copy = Drug.objects.for_page().get(pk=drug.pk)
    Drug.objects.get(pk=drug.pk).save()  # someone saves while the page is built
    monograph_body.body_html(reader_copy, {})
    assert kept(drug) is None


def test_staff_and_readers_get_the_same_body(drug, client, admin_user):
    staff = Client()
    staff_login(staff, admin_user)
    body = kept(drug) or (page(client, drug) and kept(drug))
    assert body in page(staff, drug)
    Drug.objects.filter(pk=drug.pk).update(status=Status.DRAFT)
    assert body in page(staff, drug)  # the preview of a draft, with its banner


def test_the_history_does_not_keep_the_rendered_body(drug, client):
    import reversion
    from reversion.models import Version

    page(client, drug)
    with reversion.create_revision():
        reversion.add_to_revision(Drug.objects.get(pk=drug.pk))
    recorded = Version.objects.get_for_object(drug).first().field_dict
    assert "body_html" not in recorded
    assert Faq.objects.filter(drug=drug).exists()
