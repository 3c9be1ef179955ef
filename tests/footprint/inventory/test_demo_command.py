"""`make demo` runs `manage.py demo`: the simulated fleet, its sources, a first crawl, a login."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from footprint.inventory.models import CrawlRun, Deployment, GpuNodeSnapshot, Source


@pytest.mark.django_db(transaction=True)
def test_the_demo_sets_up_and_crawls_the_whole_simulated_fleet(settings, tmp_path, capsys):
    settings.DATA_DIR = tmp_path
    settings.DEBUG = True  # the demo refuses production mode (DATABASE_URL set, as in CI, and no debug)
    call_command("demo", "--no-serve")
    out = capsys.readouterr().out
    kinds = set(Source.objects.values_list("kind", flat=True))
    assert kinds == {"aws", "gcp", "azure", "coreweave", "nebius", "lambda"}
    assert set(CrawlRun.objects.values_list("status", flat=True)) == {"ok"}
    live = Deployment.objects.filter(ended_at__isnull=True)
    assert live.count() >= 60
    assert live.values("cloud").distinct().count() == 6
    assert live.filter(platform="sagemaker").exists()
    assert GpuNodeSnapshot.objects.exists()
    assert get_user_model().objects.filter(username="demo", is_superuser=True).exists()
    assert "demo login: demo / demo" in out

    call_command("demo", "--no-serve")  # a second run re-points the sources and changes nothing
    assert Source.objects.count() == len(kinds)
    latest = CrawlRun.objects.order_by("-pk")[: len(kinds)]
    assert all(run.deployments_new == 0 and run.deployments_ended == 0 for run in latest)


@pytest.mark.django_db
def test_the_demo_refuses_production_mode(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    settings.EMBEDDED = False
    with pytest.raises(CommandError, match="embedded or debug mode only"):
        call_command("demo", "--no-serve")
    assert not Source.objects.exists()
