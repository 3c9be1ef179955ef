from django.db import migrations


def seed(apps, schema_editor):
    ActionPolicy = apps.get_model("actions", "ActionPolicy")
    ActionPolicy.objects.get_or_create(
        name="scale-non-prod-to-zero",
        defaults={"kind": "scale", "environments": ["dev", "staging", "test"], "max_replicas": 0,
                  "enabled": False,
                  "note": "Scaling a dev/staging/test deployment to zero needs no approver once enabled."},
    )


class Migration(migrations.Migration):
    dependencies = [("actions", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
