"""The one SecurityPolicy row exists from the start, so reading the policy is a pure
read (no get_or_create on every request). Defaults: 2FA allowed for contacts,
enforced for nobody."""

from django.db import migrations


def create(apps, schema_editor):
    apps.get_model("twofactor", "SecurityPolicy").objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("twofactor", "0002_throttle_moves_to_limits")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
