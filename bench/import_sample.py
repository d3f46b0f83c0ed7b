"""Time importing the 300-file sample corpus into an empty SQLite database.

Run with ``make bench-import``.
"""

import contextlib
import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "tests" / "data" / "corpus"
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
        import django
        from django.core.management import CommandError, call_command

        django.setup()
        call_command("migrate", verbosity=0)
        files = sum(1 for _ in folder.rglob("*.md"))
        out = io.StringIO()
        start = time.perf_counter()
        # Files that fail are counted in the summary; they don't stop the clock.
        with contextlib.suppress(CommandError):
            call_command("import_monographs", str(folder), stdout=out, stderr=io.StringIO())
        elapsed = time.perf_counter() - start
        print(out.getvalue().strip())
        print(f"Imported {files} files in {elapsed:.2f} s ({1000 * elapsed / files:.1f} ms a file)")


if __name__ == "__main__":
    main()
