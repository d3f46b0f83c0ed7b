import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from monographs.choices import Severity
from monographs.models import Drug

from .factories import staff_login


@pytest.fixture
def staff_client(db, client):
    user = get_user_model().objects.create_user(
        "pharmacist", password="unused-in-tests", is_staff=True, is_superuser=True
    )
    staff_login(client, user)
    return client


def form_data(response) -> dict:
    """The POST data of an admin change form as the browser would send it."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        forms.extend(formset.forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = value
    return data


def test_anonymous_admin_is_sent_to_the_login_page(db, client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_anonymous_markdown_preview_is_sent_to_the_login_page(db, client):
    response = client.post(reverse("markdownx_markdownify"), {"content": "**hi**"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_anonymous_image_upload_is_sent_to_the_login_page(db, client):
    response = client.post(reverse("markdownx_upload"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_markdown_preview_uses_the_sanitising_renderer(staff_client):
    response = staff_client.post(
        reverse("markdownx_markdownify"), {"content": "**hi** <script>alert(1)</script>"}
    )
    assert response.status_code == 200
    assert response.content.decode().startswith("<p><strong>hi</strong>")
    assert "<script" not in response.content.decode()


def test_admin_change_page_saves_a_drug_with_its_inlines(seed_drug, staff_client):
    Drug.objects.filter(pk=seed_drug.pk).update(status="draft")  # a published one has a draft
    url = reverse("admin:monographs_drug_change", args=[seed_drug.pk])
    response = staff_client.get(url)
    assert response.status_code == 200
    assert b"markdownx-editor" in response.content
    data = form_data(response)
    data["generic_name"] = "Isotretinoin"
    data["sections-0-body"] = "Edited **usage** text."
    data["side_effects-3-severity"] = str(Severity.SERIOUS)  # Nosebleeds
    data["faqs-0-question"] = "How soon does it work?"
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    drug = Drug.objects.get(pk=seed_drug.pk)
    assert drug.generic_name == "Isotretinoin"
    assert drug.edit_count > seed_drug.edit_count
    usage = drug.sections.get(position=1)
    assert usage.body_html == "<p>Edited <strong>usage</strong> text.</p>\n"
    assert drug.side_effects.get(name="Nosebleeds").severity == Severity.SERIOUS
    assert drug.faqs.first().question == "How soon does it work?"


def test_admin_list_searches_and_filters(seed_drug, staff_client):
    url = reverse("admin:monographs_drug_changelist")
    assert b"Isotretinoin (Systemic)" in staff_client.get(url, {"q": "isotretinoin"}).content
    assert b"Isotretinoin (Systemic)" not in staff_client.get(url, {"q": "metformin"}).content
    response = staff_client.get(url, {"status__exact": "published"})
    assert b"Isotretinoin (Systemic)" in response.content
