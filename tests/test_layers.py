"""The app stands on its own: the site (portal/) builds on monographs/, never the reverse."""

import ast
import subprocess
import sys
from pathlib import Path

import monographs

APP = Path(monographs.__file__).parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_no_module_of_the_monographs_app_imports_portal():
    modules = sorted(APP.rglob("*.py"))
    assert len(modules) > 20  # the whole app was read, migrations and commands included
    offenders = {
        str(path.relative_to(APP.parent)): sorted(
            name for name in imported_modules(path) if name.split(".")[0] == "portal"
        )
        for path in modules
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_app_and_its_signals_import_without_portal_loaded():
    # A fresh interpreter: importing the app's own signal module pulls in no part of portal.
    script = (
        "import sys, monographs.signals, monographs.choices, monographs.importer.parse; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'portal'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=APP.parent,
    ).stdout
    assert out.strip() == "[]"


def test_the_page_cache_hears_the_apps_announcements(db, django_capture_on_commit_callbacks):
    from monographs.signals import announce_content_change
    from portal import cache

    with django_capture_on_commit_callbacks() as callbacks:
        announce_content_change()
    # The page cache retires pages; the app's own search index moves its state.
    assert [c for c in callbacks if isinstance(c, cache.PendingRetirement)] != []
    assert len(callbacks) == 2
