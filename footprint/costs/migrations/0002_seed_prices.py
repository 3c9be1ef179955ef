"""Seed the price catalog from footprint/costs/data/prices.csv (the same loader as ``load-prices``)."""

from django.db import migrations


def seed(apps, schema_editor):
    from footprint.costs.services import prices_load_seed

    prices_load_seed(entry_model=apps.get_model("costs", "PriceEntry"))


def unseed(apps, schema_editor):
    from footprint.costs.services import SEED_FILE, prices_parse

    PriceEntry = apps.get_model("costs", "PriceEntry")
    sources = {row.source for row in prices_parse(text=SEED_FILE.read_text(encoding="utf-8"))}
    PriceEntry.objects.filter(source__in=sources).delete()


class Migration(migrations.Migration):
    dependencies = [("costs", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
