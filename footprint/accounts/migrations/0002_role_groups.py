from django.db import migrations

ROLES = ["viewer", "finance", "operator", "approver", "admin"]


def groups_create(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_membership"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(groups_create, migrations.RunPython.noop)]
