from django.db import migrations, models


def void_kept_bodies(apps, schema_editor):
    """Kept page bodies show the old severity labels: each is rendered again on its next read."""
    apps.get_model("monographs", "Drug").objects.using(schema_editor.connection.alias).update(
        rendered_for_edit=None
    )


class Migration(migrations.Migration):
    dependencies = [
        ("monographs", "0015_working_drafts"),
    ]

    operations = [
        migrations.AlterField(
            model_name="sideeffect",
            name="severity",
            field=models.PositiveSmallIntegerField(
                choices=[
                    (1, "Mild"),
                    (2, "Serious – contact a doctor"),
                    (3, "Emergency – get help now"),
                ],
                db_index=True,
                default=1,
            ),
        ),
        migrations.RunPython(void_kept_bodies, migrations.RunPython.noop),
    ]
