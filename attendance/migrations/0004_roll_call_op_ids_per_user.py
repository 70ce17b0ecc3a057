"""A tap's id is unique per user, not across users (issue 24, item 9).

The table only remembers ids of taps applied in the last days, so that a tap
sent twice is applied once; it is recreated empty rather than migrated (its
key changes). A tap whose answer was lost just before the upgrade and that is
sent again after it is compared with the record like any queued tap: the same
value changes nothing, and a different one is shown as a conflict."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("attendance", "0003_season_totals_and_times_of_day"),
        ("enrollment", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.DeleteModel(name="RollCallOp"),
        migrations.CreateModel(
            name="RollCallOp",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("op_id", models.UUIDField()),
                ("date", models.DateField()),
                ("applied_at", models.DateTimeField(auto_now_add=True)),
                (
                    "enrollment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="enrollment.enrollment",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "roll-call tap",
                "verbose_name_plural": "roll-call taps",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("user", "op_id"), name="roll_call_op_once_per_user"
                    )
                ],
            },
        ),
    ]
