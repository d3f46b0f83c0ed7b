from django.db import migrations, models


class Migration(migrations.Migration):
    """Names that say what the fields hold: "version" is left to the history's versions."""

    dependencies = [
        ("monographs", "0008_lookup_index_covers_drug"),
    ]

    operations = [
        migrations.RenameField("drug", "content_changed", "text_changed_at"),
        migrations.RenameField("drug", "version", "edit_count"),
        migrations.RenameField("drug", "body_version", "rendered_for_edit"),
        migrations.RenameField("drug", "imported_version", "imported_at_edit"),
        migrations.AlterField(
            "drug", "imported_at_edit", models.PositiveIntegerField(blank=True, editable=False, null=True, help_text="The edit count the last import wrote."),
        ),
    ]
