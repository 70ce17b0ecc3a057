import secrets

from django.db import migrations, models

import spaces.models


def give_each_season_its_own_token(apps, schema_editor):
    Season = apps.get_model("spaces", "Season")
    for season in Season.objects.filter(application_token=""):
        season.application_token = secrets.token_urlsafe(12)
        season.save(update_fields=["application_token"])


class Migration(migrations.Migration):
    dependencies = [("spaces", "0002_staff_shifts")]

    operations = [
        migrations.AddField(
            model_name="season",
            name="application_token",
            field=models.CharField(default="", max_length=32, verbose_name="application link code"),
            preserve_default=False,
        ),
        migrations.RunPython(give_each_season_its_own_token, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="season",
            name="application_token",
            field=models.CharField(
                default=spaces.models.new_application_token,
                max_length=32,
                unique=True,
                verbose_name="application link code",
            ),
        ),
    ]
