"""The two editorial roles, as groups: Pharmacist edits, Reviewer also publishes."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDIT = [
    "view_drug", "add_drug", "change_drug",
    "view_section", "add_section", "change_section", "delete_section",
    "view_sideeffect", "add_sideeffect", "change_sideeffect", "delete_sideeffect",
    "view_faq", "add_faq", "change_faq", "delete_faq",
]  # fmt: skip
ROLES = {
    "Pharmacist": EDIT,
    "Reviewer": [*EDIT, "delete_drug", "publish_drug", "review_drug"],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after migrations; the groups need them now.
    app_config = apps.get_app_config("monographs")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.filter(content_type__app_label="monographs", codename__in=codenames)
        )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("monographs", "0002_drug_permissions"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
