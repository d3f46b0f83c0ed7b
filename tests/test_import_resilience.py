"""One bad file never stops the rest: hostile front matter, links, outages."""

import socket

import pytest
from django.core.management import CommandError, call_command

from monographs.choices import Status
from monographs.importer.parse import ParseError, parse
from monographs.models import Drug, SearchEntry

from .conftest import DATA
from .test_import import MONOGRAPH, write

BOMB = DATA / "hostile" / "alias-bomb.md"


def front(extra: str, title: str = "Testamine") -> str:
    return MONOGRAPH.format(title=title).replace("layout: minimal-medicine\n", extra, 1)


def test_a_yaml_date_in_the_front_matter_is_kept_as_the_text_it_was(db, tmp_path):
    path = write(tmp_path, "t.md", front("date: 2024-01-01\nupdated: 2024-01-01 10:30:00\n"))
    call_command("import_monographs", str(path), verbosity=0)
    assert Drug.objects.get().front_matter == {
        "date": "2024-01-01",
        "updated": "2024-01-01 10:30:00",
    }


def test_other_yaml_types_in_extra_keys_are_kept_as_json_can_hold_them(db, tmp_path):
    extra = (
        "weight: .nan\nlimit: .inf\nraw: !!binary aGVsbG8=\n2: two\nok: true\ntags: !!set {a, b}\n"
    )
    path = write(tmp_path, "t.md", front(extra))
    call_command("import_monographs", str(path), verbosity=0)
    assert Drug.objects.get().front_matter == {
        "weight": "nan",
        "limit": "inf",
        "raw": "hello",
        "2": "two",
        "ok": True,
        "tags": ["a", "b"],
    }


def test_a_date_as_the_title_is_read_as_its_text():
    assert parse(front("", title="2024-01-01")).title == "2024-01-01"


def test_a_few_hundred_bytes_of_yaml_aliases_are_refused_not_expanded(db, capsys):
    assert BOMB.stat().st_size < 300
    with pytest.raises(ParseError, match="aliases"):
        parse(BOMB.read_text())
    with pytest.raises(CommandError, match="1 of 1 files failed"):
        call_command("import_monographs", str(BOMB), verbosity=0)
    assert f"{BOMB}:4: error: invalid YAML in front matter: aliases" in capsys.readouterr().err
    assert not Drug.objects.exists()


def test_front_matter_nested_beyond_reason_is_refused(db, tmp_path, capsys):
    deep = write(tmp_path, "deep.md", "---\ntitle: X\nx: " + "[" * 50_000 + "\n---\n# X\n")
    good = write(tmp_path, "good.md", MONOGRAPH.format(title="Testamine"))
    with pytest.raises(CommandError, match="1 of 2 files failed"):
        call_command("import_monographs", str(deep), str(good), verbosity=0)
    assert f"{deep}:" in capsys.readouterr().err
    assert list(Drug.objects.values_list("title", flat=True)) == ["Testamine"]


def test_a_link_out_of_the_folder_is_refused_and_a_link_within_it_is_read(db, tmp_path, capsys):
    outside = write(tmp_path, "secret.md", MONOGRAPH.format(title="Secretamine"))
    corpus = tmp_path / "corpus"
    (corpus / "s").mkdir(parents=True)
    write(corpus / "s", "real.md", MONOGRAPH.format(title="Realamine"))
    (corpus / "s" / "escape.md").symlink_to(outside)
    (corpus / "s" / "alias.md").symlink_to(corpus / "s" / "real.md")
    (corpus / "linked-folder").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(CommandError, match="1 of 3 files failed"):
        call_command("import_monographs", str(corpus), verbosity=0)
    err = capsys.readouterr().err
    assert f"{corpus / 's' / 'escape.md'}: error: refused: a link to {outside}" in err
    assert list(Drug.objects.values_list("title", flat=True)) == ["Realamine"]


def test_a_file_that_takes_another_files_title_keeps_its_own_monograph(db, tmp_path):
    first = write(tmp_path, "a.md", MONOGRAPH.format(title="Alphamine"))
    second = write(tmp_path, "b.md", MONOGRAPH.format(title="Betamine"))
    call_command("import_monographs", str(tmp_path), verbosity=0)
    pks = {path: Drug.objects.get(source_path=str(path)).pk for path in (first, second)}
    second.write_text(MONOGRAPH.format(title="Alphamine").replace("Used", "Taken"))
    call_command("import_monographs", str(tmp_path), verbosity=0)
    renamed = Drug.objects.get(source_path=str(second))
    assert (renamed.pk, renamed.title, renamed.slug) == (pks[second], "Alphamine", "betamine")
    assert Drug.objects.get(source_path=str(first)).pk == pks[first]


def test_an_unexpected_exception_in_one_file_is_reported_and_the_rest_import(
    db, tmp_path, capsys, monkeypatch
):
    from monographs.importer import load

    original = load.side_effect_rows

    def broken_for_one(drug, parsed):
        if drug.title == "Brokamine":
            raise KeyError("something nobody foresaw")
        return original(drug, parsed)

    monkeypatch.setattr(load, "side_effect_rows", broken_for_one)
    bad = write(tmp_path, "a.md", MONOGRAPH.format(title="Brokamine"))
    write(tmp_path, "b.md", MONOGRAPH.format(title="Goodamine"))
    with pytest.raises(CommandError, match="1 of 2 files failed"):
        call_command("import_monographs", str(tmp_path), verbosity=0)
    assert f"{bad}: error: KeyError: 'something nobody foresaw'" in capsys.readouterr().err
    assert list(Drug.objects.values_list("title", flat=True)) == ["Goodamine"]


def test_every_committed_file_is_indexed_for_search(db, tmp_path, capsys):
    for number in range(3):
        write(tmp_path, f"{number}.md", MONOGRAPH.format(title=f"Findamine {number}"))
    write(tmp_path, "9-bad.md", "---\ntitle: [\n---\n")
    with pytest.raises(CommandError):
        call_command("import_monographs", str(tmp_path), verbosity=0)
    ids = set(Drug.objects.values_list("pk", flat=True))
    assert len(ids) == 3
    assert set(SearchEntry.objects.values_list("drug_id", flat=True)) >= ids


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once it is closed


@pytest.fixture
def unreachable_redis(settings):
    location = f"redis://127.0.0.1:{closed_port()}/0"
    redis = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": location,
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
    settings.CACHES = {"default": {**redis}, "pages": {**redis, "KEY_PREFIX": "pages"}}
    settings.PAGE_CACHE_ENABLED = True
    settings.PAGE_CACHE_SECONDS = 300
    return location


@pytest.mark.django_db(transaction=True)
def test_an_import_completes_while_the_page_cache_is_unreachable(unreachable_redis, tmp_path):
    for number in range(3):
        write(tmp_path, f"{number}.md", MONOGRAPH.format(title=f"Cachamine {number}"))
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command("import_monographs", str(tmp_path), stdout=out, stderr=err)
    assert "3 files: 3 created" in out.getvalue()
    assert "readers may see old pages until the cache is reachable again" in out.getvalue()
    assert "300 seconds at most" in out.getvalue()
    assert Drug.objects.filter(status=Status.PUBLISHED).count() == 3
    ids = set(Drug.objects.values_list("pk", flat=True))
    assert set(SearchEntry.objects.values_list("drug_id", flat=True)) >= ids
    # Reimporting reads the same files as unchanged: nothing was half-written.
    out = StringIO()
    call_command("import_monographs", str(tmp_path), stdout=out, stderr=StringIO())
    assert "0 created, 0 updated, 3 unchanged" in out.getvalue()
