from django.db import migrations


def forget_kept_facts(apps, schema_editor):
    # Facts kept before this release hold the Dosage sections' text, not the
    # dosage forms it names: each page keeps them anew on its next view.
    apps.get_model("monographs", "Drug").objects.filter(body_facts__isnull=False).update(body_facts=None)


class Migration(migrations.Migration):
    dependencies = [("monographs", "0020_kept_body_facts")]

    operations = [migrations.RunPython(forget_kept_facts, migrations.RunPython.noop, elidable=True)]
