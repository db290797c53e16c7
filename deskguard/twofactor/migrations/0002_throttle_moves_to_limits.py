"""The Throttle model moved to the limits app. Only Django's model state changes
here; the table itself is adopted (and renamed) by limits.0001."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("twofactor", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Throttle")],
            database_operations=[],
        )
    ]
