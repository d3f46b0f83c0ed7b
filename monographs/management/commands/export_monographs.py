import json
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.core.serializers.json import DjangoJSONEncoder
from tqdm import tqdm

from monographs import fhir
from monographs.api import DrugSerializer
from monographs.choices import Status
from monographs.importer.export import export_drug
from monographs.models import Drug

FORMATS = ("markdown", "fhir", "json")


class Command(BaseCommand):
    help = (
        "Write monographs to DIR: as <letter>/<slug>.md in the format they are imported from "
        "(the default), as one FHIR R5 Bundle each (--format fhir: <slug>.fhir.json), or as "
        "the API's JSON document (--format json: <slug>.json)."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", help="Where to write the files (created if missing).")
        parser.add_argument(
            "--status",
            choices=[status.value for status in Status],
            action="append",
            help="Only monographs with this status (repeatable); default: all for markdown, "
            "published only for fhir and json.",
        )
        parser.add_argument("--format", choices=FORMATS, default="markdown")
        parser.add_argument(
            "--base-url",
            default=settings.FHIR_CANONICAL_BASE.removesuffix("/fhir") + "/",
            help="The site's address, for the links and FHIR fullUrls in fhir and json files "
            "(default: FHIR_CANONICAL_BASE without /fhir).",
        )

    def handle(self, *args, folder, status, format, base_url, **options):
        target = Path(folder)
        target.mkdir(parents=True, exist_ok=True)
        drugs = Drug.objects.for_detail().order_by("slug")
        if status:
            drugs = drugs.filter(status__in=status)
        elif format != "markdown":
            # For another system's formulary: what readers may see.
            drugs = drugs.filter(status=Status.PUBLISHED)
        base_url = base_url.rstrip("/") + "/"
        write = {
            "markdown": lambda drug: export_drug(drug, target),
            "fhir": lambda drug: _write_json(
                target / f"{drug.slug}.fhir.json", fhir.bundle(drug, base_url)
            ),
            "json": lambda drug: _write_json(
                target / f"{drug.slug}.json",
                DrugSerializer(drug, context={"base": base_url}).data,
            ),
        }[format]
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
            write(drug)
        self.stdout.write(f"Exported {count} monographs to {target}")


def _write_json(path: Path, data) -> None:
    path.write_text(
        json.dumps(data, ensure_ascii=False, indent=2, cls=DjangoJSONEncoder) + "\n",
        encoding="utf-8",
    )
