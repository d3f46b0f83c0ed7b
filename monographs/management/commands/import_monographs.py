import getpass
import os
import re
import sys
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from monographs import audit, search
from monographs.choices import Status
from monographs.importer.load import Outcome, load
from monographs.importer.parse import MAX_FILE_BYTES, ParseError, parse_bytes
from monographs.models import Drug
from monographs.signals import change_not_delivered

INDEX_BATCH = 500

SUFFIXES = {".md", ".markdown", ".txt"}

# Where new monographs land (--status); archived is not a place to import to.
STATUSES = [Status.DRAFT, Status.IN_REVIEW, Status.PUBLISHED]

SUMMARY = (
    "created", "updated", "unchanged", "skipped", "drafts", "duplicates", "failed", "warnings",
)  # fmt: skip


# Each monograph an import writes is an event of the audit log, as is the run.
IMPORT_ACTIONS = {
    Outcome.CREATED: audit.Action.IMPORTED,
    Outcome.UPDATED: audit.Action.IMPORT_UPDATED,
}


class Refused(Exception):
    """A file the importer will not read, with the reason."""


def monograph_files(paths: list[str]) -> list[tuple[Path, Path | None]]:
    """Files named on the command line, and those under named folders.

    Each comes with the folder it was found in (None for a file named
    itself), which a link inside that folder may not lead out of.
    """
    found: list[tuple[Path, Path | None]] = []
    seen: set[Path] = set()
    for name in paths:
        path = Path(name)
        if path.is_dir():
            for root, folders, files in os.walk(path):
                folders.sort()
                found.extend(
                    (Path(root) / file, path)
                    for file in sorted(files, key=_reading_order)
                    if Path(file).suffix.lower() in SUFFIXES
                )
        elif path.is_file():
            found.append((path, None))
        else:
            raise CommandError(f"{name}: no such file or folder")
    unique = []
    for path, folder in found:
        if path.absolute() not in seen:
            seen.add(path.absolute())
            unique.append((path, folder))
    return unique


def _reading_order(name: str) -> tuple[str, int, str]:
    """By name, where names that differ only in stray characters ("l--glutamine.md",
    "clonazepam-.md") come after the plain one, which a second file of the
    same title is then flagged as a possible duplicate of."""
    stem = Path(name).stem.lower()
    return re.sub(r"[^a-z0-9]+", "-", stem).strip("-"), len(stem), name


def read(path: Path, folder: Path | None) -> bytes:
    """A file's bytes, if it is one the importer reads."""
    if folder is not None and path.is_symlink():
        target = path.resolve()
        if not target.is_relative_to(folder.resolve()):
            raise Refused(f"a link to {target}, outside {folder}: not followed")
    if not path.is_file():
        raise Refused("not a regular file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ParseError(f"the file is {size:,} bytes; monographs are at most {MAX_FILE_BYTES:,}")
    return path.read_bytes()


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
        parser.add_argument(
            "--status",
            choices=STATUSES,
            default=Status.PUBLISHED,
            help="Where new monographs land (default: published). Files without "
            "sections and possible duplicates are always drafts; a re-import keeps "
            "each monograph's status.",
        )

    def handle(self, *args, paths, dry_run, force, status, verbosity, **options):
        files = monograph_files(paths)
        self.counts: Counter[str] = Counter()
        self.written: list[int] = []  # drug ids, indexed for search in batches
        self.cache_errors: list[str] = []
        claimed: set[int] = set()  # the drugs files of this run were matched to
        self.digests: dict[str, Path] = {}  # each text of this run, and its file
        progress = tqdm(
            files, unit="file", desc="Importing", disable=not sys.stderr.isatty(), file=sys.stderr
        )
        self.progress = progress
        # A page cache that missed a change says so; the summary passes it on.
        change_not_delivered.connect(self.note_undelivered, dispatch_uid=id(self))
        try:
            for path, folder in progress:
                self.import_file(path, folder, claimed, dry_run, force, status, verbosity)
                if len(self.written) >= INDEX_BATCH:
                    self.index_written()
        finally:
            # Whatever stopped the run, every file committed so far is searchable.
            self.index_written()
            if self.counts["created"] + self.counts["updated"] and not dry_run:
                search.update_statistics()
            change_not_delivered.disconnect(dispatch_uid=id(self))

        if not dry_run:  # a dry run writes nothing, not even to the audit log
            audit.record(
                audit.Action.IMPORT_RUN,
                paths=paths[:20],
                files=len(files),
                status=status,
                force=force,
                system_user=_system_user(),
                **{key: self.counts[key] for key in SUMMARY},
            )
        summary = ", ".join(f"{self.counts[key]} {key}" for key in SUMMARY)
        prefix = "Dry run, nothing written: " if dry_run else ""
        self.stdout.write(f"{prefix}{len(files)} files: {summary}")
        if self.cache_errors:
            self.stdout.write(
                f"The page cache could not be reached ({self.cache_errors[0]}): everything "
                "was imported, but readers may see old pages until the cache is reachable "
                f"again, for {settings.PAGE_CACHE_SECONDS} seconds at most "
                "(DJANGO_PAGE_CACHE_SECONDS)."
            )
        if self.counts["failed"]:
            raise CommandError(f"{self.counts['failed']} of {len(files)} files failed to import")

    def note_undelivered(self, sender, reason, **kwargs) -> None:
        self.cache_errors.append(reason)

    def say(self, path: Path, kind: str, message: str, line: int | None = None) -> None:
        self.progress.clear()
        where = f"{path}:{line}" if line else str(path)
        self.stderr.write(f"{where}: {kind}: {message}")

    def import_file(self, path, folder, claimed, dry_run, force, status, verbosity) -> None:
        """One file, in its own transaction: whatever goes wrong is reported on its line."""
        committed: list[bool] = []
        loaded = None
        try:
            monograph = parse_bytes(read(path, folder))
            if (same := self.digests.get(monograph.sha256)) is not None:
                self.say(path, "warning", f"same text as {same}; skipped")
                self.counts["skipped"] += 1
                self.counts["warnings"] += 1
                return
            with transaction.atomic():
                # Runs first once the file is committed: what fails after it (the
                # page cache's notice of the change) cannot undo the import.
                transaction.on_commit(lambda: committed.append(True))
                loaded = load(
                    monograph, str(path), force=force, index=False, status=status, claimed=claimed
                )
                if loaded[0] in IMPORT_ACTIONS:  # with the file: an import undone leaves none
                    audit.record(IMPORT_ACTIONS[loaded[0]], drug=loaded[1], path=str(path))
                transaction.set_rollback(dry_run)
        except ParseError as error:
            self.say(path, "error", error.message, error.line)
            self.counts["failed"] += 1
            return
        except (Refused, Exception) as error:  # one bad file never stops the others
            if not committed:
                self.say(path, "error", _describe(error))
                self.counts["failed"] += 1
                return
            # Imported: only what runs after the commit failed.
            self.cache_errors.append(_describe(error))
        outcome, drug = loaded
        self.digests[monograph.sha256] = path
        if not dry_run:  # a dry run's drugs are rolled back, and their ids with them
            claimed.add(drug.pk)
        self.record(path, monograph, outcome, drug, dry_run, verbosity)

    def record(self, path, monograph, outcome, drug, dry_run, verbosity) -> None:
        self.counts[outcome] += 1
        if outcome in (Outcome.CREATED, Outcome.UPDATED) and not dry_run:
            self.written.append(drug.pk)
        warnings = list(monograph.warnings)
        if outcome is Outcome.CREATED:
            if drug.status == Status.DRAFT:
                self.counts["drafts"] += 1
            if drug.duplicate_of_id is not None:
                self.counts["duplicates"] += 1
                original = Drug.objects.filter(pk=drug.duplicate_of_id).first()
                warnings.append(
                    f"possible duplicate of “{original or drug.title}”: imported as a "
                    f"draft at /drugs/{drug.slug}/ for a pharmacist to merge"
                )
        if outcome is Outcome.SKIPPED and drug.edited_since_import:
            warnings.append(
                f"“{monograph.title}” was edited in the portal since its last import; "
                "left as it is (use --force to overwrite)"
            )
        for warning in warnings:
            self.counts["warnings"] += 1
            if verbosity >= 1:
                self.say(path, "warning", warning)

    def index_written(self) -> None:
        batch, self.written = self.written, []
        if batch:
            pks = Drug.objects.filter(pk__in=batch).values_list("pk", flat=True)
            search.reindex_many(Drug, pks)


def _system_user() -> str:
    """Who ran the command, as the server's system knows them (no portal account does)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


def _describe(error: Exception) -> str:
    text = str(error).strip().split("\n")[0]
    if isinstance(error, Refused):
        return f"refused: {text}"
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
