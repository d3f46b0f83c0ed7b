"""No lost edits: a save made on a stale form is merged with the saves it missed.

What only one editor changed is kept, whoever saved first; where two changed
the same thing (a field of the drug, a row of its parts, or a row one deleted
and the other changed) nothing is saved until the later editor chooses, clash by
clash, whose version to keep. The forms are the admin's own, read from its pages
and posted as a browser posts them.
"""

import re

import pytest
from django.test import Client
from django.urls import reverse

from monographs.choices import Frequency, Severity, Status
from monographs.models import Drug, SideEffect

from .factories import make_drug, make_user, signed_in, staff_login
from .htmlforms import add_inline_form, form_fields
from .test_admin import form_data


@pytest.fixture
def drug(db):
    return make_drug("Conflictamine", status=Status.DRAFT, side_effects=3)


def editor(username, first_name, last_name):
    return signed_in(make_user(username, "Pharmacist", first_name=first_name, last_name=last_name))


@pytest.fixture
def first(db):
    return editor("ana", "Ana", "Silva")


@pytest.fixture
def second(db):
    return editor("ben", "Ben", "Okoro")


@pytest.fixture
def third(db):
    return editor("cat", "Cat", "Ng")


def url(drug) -> str:
    return reverse("admin:monographs_drug_change", args=[drug.pk])


def open_form(client, drug) -> dict[str, list[str]]:
    """The drug form as the admin's page shows it, as a browser would post it."""
    response = client.get(url(drug))
    assert response.status_code == 200
    return form_fields(response.content.decode(), "drug_form")


def save(client, drug, data):
    return client.post(url(drug), {**data, "_continue": ["Save and continue editing"]})


def row(data, prefix, **match) -> str:
    """The prefix ("side_effects-2") of the form whose fields hold ``match``."""
    total = int(data[f"{prefix}-TOTAL_FORMS"][0])
    for i in range(total):
        if all(data.get(f"{prefix}-{i}-{k}") == [str(v)] for k, v in match.items()):
            return f"{prefix}-{i}"
    raise AssertionError(f"no {prefix} form with {match}")


def effect(data, name) -> str:
    return row(data, "side_effects", name=name)


def set_(data, prefix, **values) -> dict:
    for name, value in values.items():
        data[f"{prefix}-{name}"] = ["on" if value is True else str(value)]
    return data


def clashes(response) -> list[str]:
    assert response.status_code == 200, "the save went through"
    return [clash.key for clash in response.context["edit_merge"].clashes]


def decide(client, drug, response, **choices):
    """Choose on the clash screen (keep mine / keep theirs, by clash key) and save."""
    data = form_fields(response.content.decode(), "drug_form")
    for key, choice in choices.items():
        data[f"keep:{key}"] = [choice]
    return save(client, drug, data)


def key(drug, name) -> str:
    return f"side_effects:{drug.side_effects.get(name=name).pk}"


def saved(drug) -> Drug:
    return Drug.objects.get(pk=drug.pk)


def effects(drug) -> dict[str, tuple]:
    return {
        e.name: (e.detail, e.severity, e.position) for e in SideEffect.objects.filter(drug=drug)
    }


# Changes that do not overlap: both kept.


def add_effect(data, name) -> dict:
    add_inline_form(data, "side_effects", name=name, severity=Severity.SERIOUS, position=99)
    return data


FIRST_SAVES = {
    "a field": lambda d: {**d, "generic_name": ["Ana's generic name"]},
    "an added side effect": lambda d: add_effect(d, "Ana's new effect"),
    "a changed side effect": lambda d: set_(d, effect(d, "Effect 1"), detail="Ana's detail"),
    "a deleted side effect": lambda d: set_(d, effect(d, "Effect 2"), DELETE=True),
}


@pytest.mark.parametrize("change", FIRST_SAVES, ids=list(FIRST_SAVES))
def test_a_stale_form_keeps_the_other_editors_changes_where_they_do_not_overlap(
    drug, first, second, change
):
    ana_form, ben_form = open_form(first, drug), open_form(second, drug)
    assert save(first, drug, FIRST_SAVES[change](ana_form)).status_code == 302
    after_ana = saved(drug)
    ana_effects = effects(drug)

    ben_form["brand_names"] = ["Ben's brand"]
    set_(ben_form, row(ben_form, "faqs", question="Question 0?"), answer="Ben's answer.")
    response = save(second, drug, ben_form)

    # Saved, both: Ben's changes, and Ana's untouched by Ben's stale form.
    assert response.status_code == 302, response.context and response.context["errors"]
    now = saved(drug)
    assert now.edit_count == after_ana.edit_count + 1
    assert (now.brand_names, now.generic_name) == ("Ben's brand", after_ana.generic_name)
    assert now.faqs.get(position=0).answer == "Ben's answer."
    assert effects(drug) == ana_effects
    message = [str(m) for m in response.wsgi_request._messages]
    assert any("Ana Silva also saved this monograph" in m for m in message), message


def test_a_field_i_did_not_touch_keeps_its_current_value_not_my_forms(drug, first, second):
    ana_form, ben_form = open_form(first, drug), open_form(second, drug)
    ana_form["generic_name"] = ["Ana's generic name"]
    ana_form["introduction"] = ["Ana's *introduction*."]
    save(first, drug, ana_form)
    # Ben's form still shows the old generic name and introduction; he changes the title.
    assert ben_form["generic_name"] == [""]
    ben_form["title"] = ["Conflictamine (Oral)"]
    assert save(second, drug, ben_form).status_code == 302
    now = saved(drug)
    assert now.title == "Conflictamine (Oral)"
    assert now.generic_name == "Ana's generic name"
    assert now.introduction == "Ana's *introduction*."
    assert now.introduction_html == "<p>Ana's <em>introduction</em>.</p>\n"


def test_rows_i_did_not_touch_keep_their_current_values_and_their_added_rows_stay(
    drug, first, second
):
    ana_form, ben_form = open_form(first, drug), open_form(second, drug)
    set_(ana_form, effect(ana_form, "Effect 0"), detail="Ana's detail", severity=3)
    add_inline_form(ana_form, "side_effects", name="Ana's rash", severity=2, position=7)
    add_inline_form(ana_form, "faqs", question="Ana's question?", answer="Yes.", position=5)
    section = row(ana_form, "sections", heading="Usage")
    set_(ana_form, section, body="Ana's usage text.")
    assert save(first, drug, ana_form).status_code == 302

    # Ben's stale form posts Effect 0 and the usage section as he loaded them.
    set_(ben_form, effect(ben_form, "Effect 1"), detail="Ben's detail")
    add_inline_form(ben_form, "side_effects", name="Ben's hiccups", severity=1, position=8)
    assert save(second, drug, ben_form).status_code == 302

    now = effects(drug)
    assert now["Effect 0"][:2] == ("Ana's detail", Severity.EMERGENCY)
    assert now["Effect 1"][0] == "Ben's detail"
    assert {"Ana's rash", "Ben's hiccups"} <= now.keys()
    assert len(now) == 5
    assert drug.sections.get(heading="Usage").body == "Ana's usage text."
    assert drug.faqs.filter(question="Ana's question?").count() == 1


def test_a_row_they_deleted_stays_deleted_when_i_did_not_change_it(drug, first, second):
    ana_form, ben_form = open_form(first, drug), open_form(second, drug)
    set_(ana_form, effect(ana_form, "Effect 2"), DELETE=True)
    save(first, drug, ana_form)
    set_(ben_form, effect(ben_form, "Effect 1"), detail="Ben's detail")
    response = save(second, drug, ben_form)
    assert response.status_code == 302
    assert sorted(effects(drug)) == ["Effect 0", "Effect 1"]
    assert effects(drug)["Effect 1"][0] == "Ben's detail"


def test_rows_both_deleted_or_changed_alike_are_no_clash(drug, first, second):
    ana_form, ben_form = open_form(first, drug), open_form(second, drug)
    for data in (ana_form, ben_form):
        set_(data, effect(data, "Effect 2"), DELETE=True)
        set_(data, effect(data, "Effect 1"), detail="the same words")
        data["generic_name"] = ["Same name"]
    save(first, drug, ana_form)
    assert save(second, drug, ben_form).status_code == 302
    assert effects(drug).keys() == {"Effect 0", "Effect 1"}
    assert effects(drug)["Effect 1"][0] == "the same words"


def test_a_row_moved_by_one_and_edited_by_the_other_takes_both(drug, first, second):
    ana_form, ben_form = open_form(first, drug), open_form(second, drug)
    set_(ana_form, effect(ana_form, "Effect 1"), position=50)
    save(first, drug, ana_form)
    set_(ben_form, effect(ben_form, "Effect 1"), detail="Ben's detail")
    assert save(second, drug, ben_form).status_code == 302
    assert effects(drug)["Effect 1"][0::2] == ("Ben's detail", 50)


# Clashes: nothing is saved, nothing overwritten, until each is decided.


def test_the_same_field_changed_by_both_is_a_clash_shown_side_by_side(drug, first, second):
    ana_form, ben_form = open_form(first, drug), open_form(second, drug)
    ana_form["generic_name"] = ["Ana's name"]
    save(first, drug, ana_form)
    after_ana = saved(drug)
    ben_form["generic_name"] = ["Ben's name"]
    ben_form["brand_names"] = ["Ben's brand"]
    response = save(second, drug, ben_form)

    assert clashes(response) == ["drug:generic_name"]
    now = saved(drug)
    assert (now.edit_count, now.generic_name, now.brand_names) == (
        after_ana.edit_count,
        "Ana's name",
        "",
    )
    html = response.content.decode()
    clash = re.search(r'<fieldset class="clash".*?</fieldset>', html, re.S).group(0)
    assert "Generic name: you both changed it" in clash
    # Side by side, mine then theirs, the words that differ marked.
    assert re.search(r"<mark>Ben</mark>&#x27;s name.*<mark>Ana</mark>&#x27;s name", clash, re.S)
    for choice in ("mine", "theirs"):
        assert (
            f'<input type="radio" name="keep:drug:generic_name" value="{choice}" form="drug_form">'
            in clash
        )
    assert "checked" not in clash  # nothing is chosen for the editor
    assert "Ana Silva" in html
    # The form now holds the merged monograph: Ben's input, at the current edit count.
    data = form_fields(html, "drug_form")
    assert data["brand_names"] == ["Ben's brand"] and data["generic_name"] == ["Ben's name"]
    assert data["opened_at_edit"] == [str(after_ana.edit_count)]


def test_a_clash_left_undecided_is_refused_again(drug, first, second):
    ana_form, ben_form = open_form(first, drug), open_form(second, drug)
    ana_form["generic_name"] = ["Ana's name"]
    save(first, drug, ana_form)
    ben_form["generic_name"] = ["Ben's name"]
    shown = save(second, drug, ben_form)
    again = decide(second, drug, shown)  # no choice made
    assert clashes(again) == ["drug:generic_name"]
    assert "not decided yet" in again.content.decode()
    assert saved(drug).generic_name == "Ana's name"


@pytest.mark.parametrize("choice, expected", [("mine", "Ben's name"), ("theirs", "Ana's name")])
def test_keep_mine_or_theirs_gives_the_chosen_value_and_keeps_the_rest(
    drug, first, second, choice, expected
):
    ana_form, ben_form = open_form(first, drug), open_form(second, drug)
    ana_form["generic_name"] = ["Ana's name"]
    save(first, drug, ana_form)
    ben_form["generic_name"] = ["Ben's name"]
    ben_form["brand_names"] = ["Ben's brand"]
    shown = save(second, drug, ben_form)
    response = decide(second, drug, shown, **{"drug:generic_name": choice})
    assert response.status_code == 302
    now = saved(drug)
    assert (now.generic_name, now.brand_names) == (expected, "Ben's brand")


def test_different_fields_of_one_row_changed_by_each_keep_both(drug, first, second):
    ana_form, ben_form = open_form(first, drug), open_form(second, drug)
    set_(ana_form, effect(ana_form, "Effect 1"), detail="Ana's detail")
    save(first, drug, ana_form)
    set_(ben_form, effect(ben_form, "Effect 1"), severity=Severity.EMERGENCY)
    response = save(second, drug, ben_form)
    assert response.status_code == 302
    assert effects(drug)["Effect 1"][:2] == ("Ana's detail", Severity.EMERGENCY)


@pytest.mark.parametrize("choice", ["mine", "theirs"])
def test_the_same_field_of_one_row_changed_by_both_is_a_clash(drug, first, second, choice):
    ana_form, ben_form = open_form(first, drug), open_form(second, drug)
    set_(ana_form, effect(ana_form, "Effect 1"), detail="Ana's detail")
    save(first, drug, ana_form)
    set_(ben_form, effect(ben_form, "Effect 1"), detail="Ben's detail", severity=Severity.EMERGENCY)
    set_(ben_form, effect(ben_form, "Effect 0"), detail="Ben's other detail")
    shown = save(second, drug, ben_form)
    assert clashes(shown) == [key(drug, "Effect 1")]
    cells = {c.label: (c.mine, c.theirs) for c in shown.context["edit_merge"].clashes[0].cells}
    assert cells["Explanation"] == ("Ben's detail", "Ana's detail")
    assert cells["Severity"] == ("Emergency – get help now", "Serious – contact a doctor")
    assert effects(drug)["Effect 1"][:2] == ("Ana's detail", Severity.SERIOUS)

    response = decide(second, drug, shown, **{key(drug, "Effect 1"): choice})
    assert response.status_code == 302
    expected = (
        ("Ben's detail", Severity.EMERGENCY)
        if choice == "mine"
        else ("Ana's detail", Severity.SERIOUS)
    )
    assert effects(drug)["Effect 1"][:2] == expected
    assert effects(drug)["Effect 0"][0] == "Ben's other detail"


@pytest.mark.parametrize("choice", ["mine", "theirs"])
def test_a_row_they_deleted_and_i_changed_is_a_clash(drug, first, second, choice):
    ana_form, ben_form = open_form(first, drug), open_form(second, drug)
    set_(ana_form, effect(ana_form, "Effect 2"), DELETE=True)
    save(first, drug, ana_form)
    set_(ben_form, effect(ben_form, "Effect 2"), detail="Ben kept it")
    ben_form["brand_names"] = ["Ben's brand"]
    shown = save(second, drug, ben_form)
    (clash,) = shown.context["edit_merge"].clashes
    assert (clash.kind, clash.what) == ("deleted_by_them", "Side effect “Effect 2”")
    assert "you changed it, they deleted it" in shown.content.decode()
    assert "Effect 2" not in effects(drug)

    response = decide(second, drug, shown, **{clash.key: choice})
    assert response.status_code == 302
    if choice == "mine":
        assert effects(drug)["Effect 2"][0] == "Ben kept it"
    else:
        assert "Effect 2" not in effects(drug)
    assert saved(drug).brand_names == "Ben's brand"
    assert len(effects(drug)) == (3 if choice == "mine" else 2)


@pytest.mark.parametrize("choice", ["mine", "theirs"])
def test_a_row_i_deleted_and_they_changed_is_a_clash(drug, first, second, choice):
    ana_form, ben_form = open_form(first, drug), open_form(second, drug)
    set_(ana_form, effect(ana_form, "Effect 2"), detail="Ana's detail")
    save(first, drug, ana_form)
    set_(ben_form, effect(ben_form, "Effect 2"), DELETE=True)
    shown = save(second, drug, ben_form)
    (clash,) = shown.context["edit_merge"].clashes
    assert clash.kind == "deleted_by_me"
    assert effects(drug)["Effect 2"][0] == "Ana's detail"
    response = decide(second, drug, shown, **{clash.key: choice})
    assert response.status_code == 302
    if choice == "mine":
        assert "Effect 2" not in effects(drug)
    else:
        assert effects(drug)["Effect 2"][0] == "Ana's detail"


def test_three_editors_save_in_turn_and_no_change_is_lost(drug, first, second, third):
    """Ana, Ben and Cat open the monograph at once and save one after the other."""
    ana, ben, cat = open_form(first, drug), open_form(second, drug), open_form(third, drug)

    # Ana: the generic name, a side effect's detail, a new FAQ.
    ana["generic_name"] = ["Ana's name"]
    set_(ana, effect(ana, "Effect 0"), detail="Ana's detail")
    add_inline_form(ana, "faqs", question="Ana's question?", answer="Ana's answer.", position=7)
    assert save(first, drug, ana).status_code == 302

    # Ben, on his stale form: brand names, another side effect's severity, a
    # deleted side effect, a section. Nothing of it overlaps Ana's: merged.
    ben["brand_names"] = ["Ben's brand"]
    set_(ben, effect(ben, "Effect 1"), severity=Severity.EMERGENCY)
    set_(ben, effect(ben, "Effect 2"), DELETE=True)
    set_(ben, row(ben, "sections", heading="Usage"), body="Ben's usage.")
    assert save(second, drug, ben).status_code == 302
    now = saved(drug)
    assert (now.generic_name, now.brand_names) == ("Ana's name", "Ben's brand")
    assert effects(drug)["Effect 0"][0] == "Ana's detail"
    assert effects(drug)["Effect 1"][1] == Severity.EMERGENCY
    assert "Effect 2" not in effects(drug)
    assert drug.faqs.filter(question="Ana's question?").exists()

    # Cat, on the form she opened before both: the generic name (Ana's), Effect 1's
    # severity (Ben's), Effect 2 (deleted by Ben) clash; her introduction, a new side
    # effect and an answer do not.
    after_ben = (saved(drug).edit_count, effects(drug))
    cat["generic_name"] = ["Cat's name"]
    cat["introduction"] = ["Cat's introduction."]
    set_(
        cat,
        effect(cat, "Effect 1"),
        detail="Cat's detail",
        frequency=Frequency.RARE,
        severity=Severity.MILD,  # Ben made it an emergency: the same field, a clash
    )
    set_(cat, effect(cat, "Effect 2"), detail="Cat keeps it")
    set_(cat, row(cat, "faqs", question="Question 1?"), answer="Cat's answer.")
    add_inline_form(cat, "side_effects", name="Cat's effect", severity=1, position=9)
    shown = save(third, drug, cat)
    effect_1 = key(drug, "Effect 1")
    effect_2 = f"side_effects:{cat[effect(cat, 'Effect 2') + '-id'][0]}"
    assert sorted(clashes(shown)) == sorted(["drug:generic_name", effect_1, effect_2])
    assert shown.context["edit_merge"].who == "Ben Okoro and Ana Silva"
    assert (saved(drug).edit_count, effects(drug)) == after_ben  # nothing saved yet

    response = decide(
        third, drug, shown, **{"drug:generic_name": "mine", effect_1: "theirs", effect_2: "mine"}
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    now = saved(drug)
    assert now.generic_name == "Cat's name"  # kept mine
    assert now.brand_names == "Ben's brand"  # Ben's, untouched by Cat
    assert now.introduction == "Cat's introduction."
    assert drug.sections.get(heading="Usage").body == "Ben's usage."
    assert drug.faqs.filter(question="Ana's question?").count() == 1
    assert drug.faqs.get(question="Question 1?").answer == "Cat's answer."
    final = effects(drug)
    assert final["Effect 0"][0] == "Ana's detail"
    assert final["Effect 1"][:2] == ("", Severity.EMERGENCY)  # kept theirs (Ben's)
    assert final["Effect 2"][0] == "Cat keeps it"  # kept mine: back, with her change
    assert "Cat's effect" in final and len(final) == 4


def test_a_choice_made_on_one_version_does_not_overwrite_a_later_save(drug, first, second):
    ana_form, ben_form = open_form(first, drug), open_form(second, drug)
    ana_form["generic_name"] = ["Ana's name"]
    save(first, drug, ana_form)
    ben_form["generic_name"] = ["Ben's name"]
    shown = save(second, drug, ben_form)
    # While Ben decides, Ana changes the name again.
    again = open_form(first, drug)
    again["generic_name"] = ["Ana's second name"]
    save(first, drug, again)
    response = decide(second, drug, shown, **{"drug:generic_name": "mine"})
    # Ben chose his over "Ana's name", not over "Ana's second name": asked again.
    assert clashes(response) == ["drug:generic_name"]
    assert saved(drug).generic_name == "Ana's second name"
    (clash,) = response.context["edit_merge"].clashes
    assert (clash.cells[0].mine, clash.cells[0].theirs) == ("Ben's name", "Ana's second name")
    assert decide(second, drug, response, **{"drug:generic_name": "mine"}).status_code == 302
    assert saved(drug).generic_name == "Ben's name"


def test_a_working_draft_is_merged_the_same_way(db, first, second):
    live = make_drug("Livamine", status=Status.PUBLISHED, side_effects=2)
    assert first.post(reverse("admin:monographs_drug_working_draft", args=[live.pk]))
    draft = Drug.objects.get(draft_of=live)
    ana_form, ben_form = open_form(first, draft), open_form(second, draft)
    ana_form["generic_name"] = ["Ana's name"]
    save(first, draft, ana_form)
    ben_form["brand_names"] = ["Ben's brand"]
    assert save(second, draft, ben_form).status_code == 302
    ben_again = open_form(second, draft)
    ana_again = open_form(first, draft)
    ben_again["generic_name"] = ["Ben's name"]
    save(second, draft, ben_again)
    ana_again["generic_name"] = ["Ana's other name"]
    assert clashes(save(first, draft, ana_again)) == ["drug:generic_name"]
    now = saved(draft)
    assert (now.generic_name, now.brand_names) == ("Ben's name", "Ben's brand")
    assert saved(live).generic_name == ""  # the live text waits for review


def test_a_stale_form_of_a_deleted_monograph_saves_nothing(drug, second, db):
    reviewer = Client()
    staff_login(reviewer, make_user("rae", "Reviewer"))
    data = form_data(second.get(url(drug)))
    reviewer.post(reverse("admin:monographs_drug_delete", args=[drug.pk]), {"post": "yes"})
    response = second.post(url(drug), data)
    assert response.status_code == 302  # the admin says the monograph no longer exists
    assert not Drug.objects.filter(pk=drug.pk).exists()


def test_a_form_without_its_version_is_refused_rather_than_trusted(drug, first):
    data = form_data(first.get(url(drug)))
    del data["opened_at_edit"]
    response = first.post(url(drug), {**data, "generic_name": "no version"})
    assert response.status_code == 200
    assert [c.key for c in response.context["edit_merge"].clashes] == ["drug:generic_name"]
    assert Drug.objects.get(pk=drug.pk).generic_name == ""


def test_the_importer_leaves_a_monograph_edited_since_its_import(db, first, tmp_path):
    from django.core.management import call_command

    from .conftest import SEED

    call_command("import_monographs", str(SEED), verbosity=0)
    drug = Drug.objects.get(slug="isotretinoin-systemic")
    Drug.objects.filter(pk=drug.pk).update(status=Status.DRAFT)  # edited in place, not in a draft
    first.post(url(drug), {**form_data(first.get(url(drug))), "brand_names": "Edited"})
    changed = tmp_path / "isotretinoin.md"
    changed.write_text(SEED.read_text(encoding="utf-8") + "\nNew line.\n", encoding="utf-8")
    call_command("import_monographs", str(changed), verbosity=0)
    drug = Drug.objects.get(pk=drug.pk)
    assert drug.brand_names == "Edited"
    assert not drug.sections.filter(body__contains="New line.").exists()


def test_line_breaks_sent_by_a_browser_are_not_an_edit(drug, first):
    """Browsers send a textarea's line breaks as CR LF; saving unchanged text changes nothing."""
    section = drug.sections.get(position=1)
    section.body = "First paragraph.\n\nSecond paragraph."
    section.save()
    data = form_data(first.get(url(drug)))
    index = [s.pk for s in drug.sections.order_by("position", "id")].index(section.pk)
    data[f"sections-{index}-body"] = data[f"sections-{index}-body"].replace("\n", "\r\n")
    assert first.post(url(drug), data).status_code == 302
    section.refresh_from_db()
    assert section.body == "First paragraph.\n\nSecond paragraph."
    assert Drug.objects.get(pk=drug.pk).text_changed_at is None
