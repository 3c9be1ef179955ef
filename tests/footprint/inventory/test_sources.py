"""Source services: validation through the provider, credentials as an encrypted JSON object, and the
beat schedule (one PeriodicTask per source) following the source."""

from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django_celery_beat.models import PeriodicTask

from footprint.inventory.models import Source
from footprint.inventory.sources import source_create, source_credentials, source_delete, source_update

pytestmark = pytest.mark.django_db

KUBECONFIG = """apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: s3cr3t-token}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
"""


def test_create_stores_credentials_as_an_encrypted_json_object(db):
    source = source_create(name="lab", kind="kubernetes", settings={"contexts": ["c"]},
                           credentials={"kubeconfig": KUBECONFIG})

    source = Source.objects.get(pk=source.pk)
    assert source_credentials(source=source) == {"kubeconfig": KUBECONFIG}
    assert (source.settings, source.interval_minutes, source.enabled) == ({"contexts": ["c"]}, 60, True)


@pytest.mark.parametrize(("settings", "credentials", "field", "message"), [
    ({"pageSize": 0}, {}, "settings", "settings: pageSize: 0 is less than the minimum of 1"),
    ({"kubeconfigPth": "/x"}, {}, "settings", "kubeconfigPth"),
    ({}, {"token": "x"}, "credentials", "unknown credential field(s) token; kubernetes takes kubeconfig"),
])
def test_invalid_settings_or_credentials_name_the_field(settings, credentials, field, message):
    with pytest.raises(ValidationError) as raised:
        source_create(name="lab", kind="kubernetes", settings=settings, credentials=credentials)

    assert list(raised.value.message_dict) == [field]
    assert message in raised.value.message_dict[field][0]
    assert not Source.objects.exists() and not PeriodicTask.objects.exists()


def test_other_invalid_input_is_refused():
    with pytest.raises(ValidationError) as raised:
        source_create(name="not a slug", kind="kubernetes")
    assert "name" in raised.value.message_dict
    with pytest.raises(ValidationError, match="no collector for source kind"):
        source_create(name="lab", kind="oci")
    with pytest.raises(ValidationError, match="interval_minutes must be at least 1"):
        source_create(name="lab", kind="kubernetes", interval_minutes=0)


def test_update_keeps_credentials_unless_given_and_revalidates_settings():
    source = source_create(name="lab", kind="kubernetes", credentials={"kubeconfig": KUBECONFIG})

    source_update(source=source, settings={"pageSize": 100})
    assert source_credentials(source=Source.objects.get(pk=source.pk)) == {"kubeconfig": KUBECONFIG}
    with pytest.raises(ValidationError, match="pageSize"):
        source_update(source=source, settings={"pageSize": "many"})
    source_update(source=Source.objects.get(pk=source.pk), credentials={})
    assert Source.objects.get(pk=source.pk).credentials == ""


def test_the_beat_schedule_follows_the_source():
    source = source_create(name="lab", kind="kubernetes", interval_minutes=15)

    task = PeriodicTask.objects.get()
    assert (task.task, json.loads(task.args), task.enabled) == ("footprint.inventory.crawl_source", [source.pk], True)
    assert (task.interval.every, task.interval.period) == (15, "minutes")
    assert task.expire_seconds == 15 * 60
    assert Source.objects.get(pk=source.pk).schedule_id == task.pk

    source_update(source=source, interval_minutes=5, name="lab-2")
    task.refresh_from_db()
    assert (task.interval.every, task.name) == (5, "crawl source lab-2")

    source_update(source=source, enabled=False)
    task.refresh_from_db()
    assert task.enabled is False
    source_update(source=source, enabled=True)
    task.refresh_from_db()
    assert task.enabled is True
    assert PeriodicTask.objects.count() == 1

    source_delete(source=source)
    assert not PeriodicTask.objects.exists() and not Source.objects.exists()


def test_a_schedule_deleted_by_hand_is_recreated_and_file_sources_get_none():
    source = source_create(name="lab", kind="kubernetes")
    PeriodicTask.objects.all().delete()

    source_update(source=Source.objects.get(pk=source.pk), interval_minutes=30)
    assert PeriodicTask.objects.get().interval.every == 30

    source_create(name="gitops", kind="file", settings={"path": "specs.json"})
    assert PeriodicTask.objects.count() == 1


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_sources_command_adds_lists_updates_and_removes(tmp_path):
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(KUBECONFIG)

    added = run("sources", "add", "lab", "--kind", "kubernetes", "--config", '{"contexts": ["c"]}',
                "--credentials-file", str(kubeconfig), "--interval", "20")

    assert "lab: added (kubernetes, every 20 min)" in added
    source = Source.objects.get(name="lab")
    assert source_credentials(source=source) == {"kubeconfig": KUBECONFIG}  # a kubeconfig file is accepted as is
    listing = run("sources", "list")
    assert listing.splitlines()[0].split() == ["NAME", "KIND", "ENABLED", "EVERY", "LAST", "CRAWL", "STATUS",
                                               "LAST", "SUCCESS", "FAILURES", "NEXT", "CRAWL"]
    assert listing.splitlines()[1].split() == ["lab", "kubernetes", "yes", "20m", "-", "never", "-", "0", "due"]
    assert "s3cr3t" not in listing

    run("sources", "update", "lab", "--disable", "--interval", "45")
    assert (Source.objects.get(name="lab").enabled, PeriodicTask.objects.get().enabled) == (False, False)
    assert run("sources", "list").splitlines()[1].split()[-1] == "-"

    assert "lab: removed" in run("sources", "remove", "lab")
    assert not Source.objects.exists()


def test_sources_command_reports_invalid_input_with_exit_code_2(tmp_path):
    with pytest.raises(CommandError, match="settings: pageSize") as raised:
        run("sources", "add", "lab", "--kind", "kubernetes", "--config", '{"pageSize": -1}')
    assert raised.value.returncode == 2
    with pytest.raises(CommandError, match="--config is not JSON"):
        run("sources", "add", "lab", "--kind", "kubernetes", "--config", "{")
    with pytest.raises(CommandError, match="no source named nope"):
        run("sources", "update", "nope", "--interval", "5")


def test_capacity_prune_keeps_each_clusters_current_capacity(db):
    from datetime import UTC, datetime

    from collectors.spec import CrawlResult, GpuNode, Scope
    from footprint.inventory.ingest import deployments_reconcile
    from footprint.inventory.models import GpuNodeSnapshot
    from footprint.inventory.selectors import capacity_current

    source = source_create(name="lab", kind="kubernetes")
    for day, cluster in ((1, "a"), (2, "b"), (3, "b")):
        at = datetime(2026, 1, day, tzinfo=UTC)
        deployments_reconcile(source=source, result=CrawlResult(
            scopes=[Scope(cluster)], started_at=at, finished_at=at,
            gpu_nodes=[GpuNode(cluster=cluster, name=f"{cluster}-gpu", accelerator="L4", allocatable=1)]))

    output = run("capacity_prune", "--older-than", "30")

    assert "deleted 1 GPU node and 0 pending GPU pod snapshots" in output  # b's first; a's only one is current
    assert sorted((row.cluster_name, row.observed_at.day) for row in capacity_current()) == [("a", 1), ("b", 3)]
    assert GpuNodeSnapshot.objects.count() == 2
