"""The history's recorded drugs, with the field names of 0009.

django-reversion stores each version as serialized JSON, field names and all;
a version recorded under the old names could no longer be read (or restored)
once the fields were renamed. This rewrites the names in the stored JSON, and
back again when the migration is reversed.
"""

import json

from django.db import migrations

OLD_TO_NEW = {
    "content_changed": "text_changed_at",
    "version": "edit_count",
    "body_version": "rendered_for_edit",
    "imported_version": "imported_at_edit",
}


def renamed_fields(serialized: str, names: dict[str, str]) -> str:
    """The serialized objects with their field names mapped through ``names``, order kept."""
    objects = json.loads(serialized)
    for obj in objects:
        obj["fields"] = {names.get(key, key): value for key, value in obj["fields"].items()}
    return json.dumps(objects)


def _rewrite(apps, schema_editor, names: dict[str, str]) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Version = apps.get_model("reversion", "Version")
    alias = schema_editor.connection.alias
    drug_type = (
        ContentType.objects.using(alias).filter(app_label="monographs", model="drug").first()
    )
    if drug_type is None:  # a fresh database: nothing recorded yet
        return
    versions = Version.objects.using(alias).filter(content_type=drug_type, format="json")
    changed = []
    for version in versions.only("pk", "serialized_data").iterator(chunk_size=500):
        rewritten = renamed_fields(version.serialized_data, names)
        if rewritten != version.serialized_data:
            version.serialized_data = rewritten
            changed.append(version)
        if len(changed) >= 500:
            Version.objects.using(alias).bulk_update(changed, ["serialized_data"])
            changed = []
    Version.objects.using(alias).bulk_update(changed, ["serialized_data"])


def forwards(apps, schema_editor):
    _rewrite(apps, schema_editor, OLD_TO_NEW)


def backwards(apps, schema_editor):
    _rewrite(apps, schema_editor, {new: old for old, new in OLD_TO_NEW.items()})


class Migration(migrations.Migration):
    # (reversion's own migrations depend on contenttypes.)
    dependencies = [
        ("reversion", "0002_add_index_on_version_for_content_type_and_db"),
        ("monographs", "0009_drug_names_say_what_they_hold"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
