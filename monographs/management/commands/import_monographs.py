import sys
from collections import Counter
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from monographs import search
from monographs.importer.load import LoadError, Outcome, load
from monographs.importer.parse import MAX_FILE_BYTES, ParseError, parse_bytes
from monographs.models import Drug

INDEX_BATCH = 500

SUFFIXES = {".md", ".markdown", ".txt"}


def monograph_files(paths: list[str]) -> list[Path]:
    """Files named on the command line, and those under named folders."""
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found.extend(
                sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
            )
        elif path.is_file():
            found.append(path)
        else:
            raise CommandError(f"{name}: no such file or folder")
    return found


class Command(BaseCommand):
    help = "Import monographs (Markdown with front matter) from files and folders."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="Files or folders (searched recursively).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would change; write nothing."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Overwrite monographs that were edited since their last import.",
        )

    def handle(self, *args, paths, dry_run, force, verbosity, **options):
        files = monograph_files(paths)
        counts: Counter[str] = Counter()
        written: list[str] = []  # slugs, indexed for search together at the end
        seen: dict[str, tuple[Path, str]] = {}
        progress = tqdm(
            files, unit="file", desc="Importing", disable=not sys.stderr.isatty(), file=sys.stderr
        )
        for path in progress:
            try:
                if path.stat().st_size > MAX_FILE_BYTES:
                    raise ParseError(
                        f"the file is {path.stat().st_size:,} bytes; "
                        f"monographs are at most {MAX_FILE_BYTES:,}"
                    )
                monograph = parse_bytes(path.read_bytes())
                if monograph.slug in seen:
                    first, digest = seen[monograph.slug]
                    if digest != monograph.sha256:
                        raise LoadError(
                            f"“{monograph.title}” was already imported from {first}; "
                            "two different files cannot share a title"
                        )
                    self.stderr.write(f"{path}: warning: same text as {first}; skipped")
                    counts["skipped"] += 1
                    counts["warnings"] += 1
                    continue
                with transaction.atomic():
                    outcome = load(monograph, str(path), force=force, index=False)
                    transaction.set_rollback(dry_run)
                if outcome in (Outcome.CREATED, Outcome.UPDATED) and not dry_run:
                    written.append(monograph.slug)
            except (ParseError, LoadError) as error:
                line = getattr(error, "line", None)
                where = f"{path}:{line}" if line else str(path)
                progress.clear()
                self.stderr.write(f"{where}: error: {error}")
                counts["failed"] += 1
                continue
            seen[monograph.slug] = (path, monograph.sha256)
            counts[outcome] += 1
            if monograph.status == "draft" and outcome is Outcome.CREATED:
                counts["drafts"] += 1
            for warning in monograph.warnings:
                counts["warnings"] += 1
                if verbosity >= 1:
                    progress.clear()
                    self.stderr.write(f"{path}: warning: {warning}")

        summary = ", ".join(
            f"{counts[key]} {key}"
            for key in (
                "created",
                "updated",
                "unchanged",
                "skipped",
                "drafts",
                "failed",
                "warnings",
            )
        )
        for start in range(0, len(written), INDEX_BATCH):
            batch = written[start : start + INDEX_BATCH]
            pks = Drug.objects.filter(slug__in=batch).values_list("pk", flat=True)
            search.reindex_many(Drug, pks)
        if written:
            search.update_statistics()
        prefix = "Dry run, nothing written: " if dry_run else ""
        self.stdout.write(f"{prefix}{len(files)} files: {summary}")
        if counts["failed"]:
            raise CommandError(f"{counts['failed']} of {len(files)} files failed to import")
