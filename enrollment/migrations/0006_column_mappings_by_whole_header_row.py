"""A remembered column mapping is kept by the whole header row, not by header text.

The mappings kept by header text are deleted: they are what read a parents' 姓名
as the child's name (issue 24, item 10). HR maps such a file once more.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def forget_mappings_by_header_text(apps, schema_editor):
    apps.get_model("enrollment", "ColumnMapping").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("enrollment", "0005_public_form_submissions_and_proposed_changes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(forget_mappings_by_header_text, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="columnmapping", name="column_mapping_unique"),
        migrations.RemoveField(model_name="columnmapping", name="header"),
        migrations.RemoveField(model_name="columnmapping", name="field"),
        migrations.AddField(
            model_name="columnmapping",
            name="signature",
            field=models.CharField(default="", max_length=64, verbose_name="header row"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="columnmapping",
            name="mapping",
            field=models.JSONField(default=dict, verbose_name="columns"),
        ),
        migrations.AddField(
            model_name="columnmapping",
            name="headers",
            field=models.JSONField(default=list, verbose_name="headers"),
        ),
        migrations.AddField(
            model_name="columnmapping",
            name="mapped_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="mapped by",
            ),
        ),
        migrations.AddField(
            model_name="columnmapping",
            name="mapped_at",
            field=models.DateTimeField(auto_now=True, verbose_name="mapped at"),
        ),
        migrations.AddConstraint(
            model_name="columnmapping",
            constraint=models.UniqueConstraint(
                fields=("factory", "signature"), name="column_mapping_unique_header_row"
            ),
        ),
    ]
