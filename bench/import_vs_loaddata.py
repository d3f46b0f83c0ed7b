"""Time importing monographs against loading the same content as a Django fixture.

The 300-file sample in tests/data/corpus is cycled into 1,000 distinct files
(each copy after the first gets a numbered title, written back with the
format's own ``dump()``) in a temporary folder. In a throwaway database:

1. ``import_monographs`` reads them all (parsing, rendering, search index);
2. ``dumpdata monographs`` writes what it stored to a fixture;
3. ``flush`` empties the database, and ``loaddata`` loads the fixture back.

Both times and their ratio are printed (``--json`` for other tools). The
throwaway database is SQLite; with ``--database-url`` (or DATABASE_URL) set
to a PostgreSQL server, a temporary database is also created there, measured
and dropped. Run with ``make bench-import-vs-loaddata``.
"""

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "data" / "corpus"


def write_files(folder: Path, count: int) -> int:
    """``count`` distinct monograph files from the sample, cycled; returns how many."""
    from monographs.importer.parse import ParseError, dump, parse_bytes

    sources = []
    for path in sorted(SAMPLE.rglob("*.md")):
        try:
            sources.append(parse_bytes(path.read_bytes()))
        except ParseError:
            continue
    titles: set[str] = set()
    written = 0
    for number in range(count):
        monograph = sources[number % len(sources)]
        cycle = number // len(sources)
        title = monograph.title if cycle == 0 else f"{monograph.title} {cycle + 1}"
        if title in titles:  # the sample's two files of one title: the copy is renamed
            title = f"{monograph.title} {number}"
        titles.add(title)
        monograph.title = title
        (folder / f"{number:04d}.md").write_text(dump(monograph), encoding="utf-8")
        monograph.title = sources[number % len(sources)].title
        written += 1
    return written


def measure(files: int) -> dict:
    """In the database Django is configured for: import, dump, flush, load."""
    import django

    django.setup()
    from django.core.management import CommandError, call_command

    from monographs.models import Drug, Faq, Ingredient, Section, SideEffect

    def counts():
        return [m.objects.count() for m in (Drug, Section, SideEffect, Faq, Ingredient)]

    call_command("migrate", verbosity=0)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "monographs"
        folder.mkdir()
        written = write_files(folder, files)
        out, err = io.StringIO(), io.StringIO()
        start = time.perf_counter()
        with contextlib.suppress(CommandError):  # a failed file is in the summary
            call_command("import_monographs", str(folder), stdout=out, stderr=err)
        import_seconds = time.perf_counter() - start
        imported = counts()

        fixture = Path(tmp) / "monographs.json"
        call_command("dumpdata", "monographs", output=str(fixture), verbosity=0)
        call_command("flush", interactive=False, verbosity=0)
        assert counts() == [0] * 5
        start = time.perf_counter()
        call_command("loaddata", str(fixture), verbosity=0)
        loaddata_seconds = time.perf_counter() - start
        if counts() != imported:
            raise SystemExit(f"loaddata stored {counts()}, the import {imported}")
    return {
        "files": written,
        "import_summary": out.getvalue().strip(),
        "rows": dict(
            zip(["drugs", "sections", "side_effects", "faqs", "ingredients"], imported, strict=True)
        ),
        "import_seconds": round(import_seconds, 3),
        "loaddata_seconds": round(loaddata_seconds, 3),
        "ratio": round(import_seconds / loaddata_seconds, 2),
    }


def run_worker(database_url: str, files: int) -> dict:
    """One measurement in a fresh interpreter, configured for ``database_url``."""
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "portal.settings"}
    result = subprocess.run(
        [sys.executable, __file__, "--worker", "--files", str(files)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        raise SystemExit(f"the measurement failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def temporary_postgres(url: str):
    """A new database on the server ``url`` points at, dropped afterwards."""
    import psycopg

    name = f"portal_bench_{uuid.uuid4().hex[:12]}"
    parts = urlsplit(url)
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def report(label: str, result: dict) -> None:
    print(f"{label}: {result['import_summary']}")
    print(
        f"{label}: import_monographs {result['import_seconds']:.2f} s, "
        f"loaddata {result['loaddata_seconds']:.2f} s for {result['files']} files "
        f"({result['rows']['drugs']} drugs, {result['rows']['side_effects']} side effects): "
        f"import takes {result['ratio']:.2f}× as long"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000, help="How many files (default 1000).")
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="A PostgreSQL server to measure on as well (default: DATABASE_URL).",
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))

    if args.worker:
        print(json.dumps(measure(args.files)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        results = {"sqlite": run_worker(f"sqlite:///{tmp}/bench.sqlite3", args.files)}
    if args.database_url.startswith(("postgres://", "postgresql://")):
        with temporary_postgres(args.database_url) as url:
            results["postgresql"] = run_worker(url, args.files)

    if args.json:
        # SQLite's figures at the top level; PostgreSQL's, when measured, under its name.
        figures = {k: results["sqlite"][k] for k in ("import_seconds", "loaddata_seconds")}
        figures.update(ratio=results["sqlite"]["ratio"], files=results["sqlite"]["files"])
        if "postgresql" in results:
            pg = results["postgresql"]
            figures["postgresql"] = {
                k: pg[k] for k in ("import_seconds", "loaddata_seconds", "ratio", "files")
            }
        print(json.dumps(figures, indent=2))
        return
    for label, result in results.items():
        report(label, result)


if __name__ == "__main__":
    main()
