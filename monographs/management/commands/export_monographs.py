import sys
from pathlib import Path

from django.core.management.base import BaseCommand
from tqdm import tqdm

from monographs.choices import Status
from monographs.importer.export import export_drug
from monographs.models import Drug


class Command(BaseCommand):
    help = "Write monographs to DIR as <letter>/<slug>.md, in the format they are imported from."

    def add_arguments(self, parser):
        parser.add_argument("folder", help="Where to write the files (created if missing).")
        parser.add_argument(
            "--status",
            choices=[status.value for status in Status],
            action="append",
            help="Only monographs with this status (repeatable); default: all.",
        )

    def handle(self, *args, folder, status, **options):
        target = Path(folder)
        target.mkdir(parents=True, exist_ok=True)
        drugs = Drug.objects.for_detail().order_by("slug")
        if status:
            drugs = drugs.filter(status__in=status)
        count = drugs.count()
        progress = tqdm(
            drugs.iterator(chunk_size=200),
            total=count,
            unit="file",
            desc="Exporting",
            disable=not sys.stderr.isatty(),
            file=sys.stderr,
        )
        for drug in progress:
            export_drug(drug, target)
        self.stdout.write(f"Exported {count} monographs to {target}")
