"""Adopt the throttle table created by twofactor.0001, then give it this app's name."""

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [("twofactor", "0002_throttle_moves_to_limits")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Throttle",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("key", models.CharField(max_length=100, unique=True)),
                        ("failures", models.PositiveIntegerField(default=0)),
                        ("last_failure_at", models.DateTimeField(blank=True, null=True)),
                    ],
                    options={"db_table": "twofactor_throttle"},
                )
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="throttle", table=None),
    ]
