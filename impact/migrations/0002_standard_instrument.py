"""The standard instrument, version 1 (see impact/standard.py)."""

from django.db import migrations

from impact.standard import create_v1


def create(apps, schema_editor):
    create_v1(apps.get_model("impact", "Instrument"), apps.get_model("impact", "Question"))


class Migration(migrations.Migration):
    dependencies = [("impact", "0001_surveys")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
