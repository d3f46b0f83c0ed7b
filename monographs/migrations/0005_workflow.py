"""Review workflow fields, and the ingredient permissions both roles need to edit combinations."""

from django.contrib.auth.management import create_permissions
from django.db import migrations, models

INGREDIENTS = ["view_ingredient", "add_ingredient", "change_ingredient", "delete_ingredient"]


def _roles_and_ingredient_permissions(apps):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="monographs", codename__in=INGREDIENTS
    )
    return Group.objects.filter(name__in=["Pharmacist", "Reviewer"]), permissions


def grant_ingredients(apps, schema_editor):
    app_config = apps.get_app_config("monographs")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    groups, permissions = _roles_and_ingredient_permissions(apps)
    for group in groups:
        group.permissions.add(*permissions)


def revoke_ingredients(apps, schema_editor):
    groups, permissions = _roles_and_ingredient_permissions(apps)
    for group in groups:
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("monographs", "0004_import_structure"),
    ]

    operations = [
        migrations.AddField(
            model_name="drug",
            name="changed_since_review",
            field=models.BooleanField(
                default=False,
                editable=False,
                help_text="Its content was edited after its last review: it is back in the review queue.",
            ),
        ),
        migrations.AddField(
            model_name="drug",
            name="content_changed",
            field=models.DateTimeField(
                blank=True, editable=False, help_text="When its text last changed.", null=True
            ),
        ),
        migrations.RunPython(grant_ingredients, revoke_ingredients),
    ]
