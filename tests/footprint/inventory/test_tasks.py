"""The crawl task (run eagerly here; tests/footprint/inventory/test_worker.py runs it in a real worker),
"crawl now", and the `collect` command."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from collectors.simulator import FleetSimulator, load_scenario
from footprint.inventory.crawl import crawl_lock_acquire, source_crawl_enqueue
from footprint.inventory.models import CrawlRun, Deployment
from footprint.inventory.sources import source_create, source_update
from footprint.inventory.tasks import crawl_source, retry_countdown, run_is_transient_failure


@pytest.fixture()
def fleet(tmp_path):
    with FleetSimulator(load_scenario("smoke")) as sim:
        path = tmp_path / "kubeconfig"
        sim.kubeconfig(path)
        yield sim, str(path)


@pytest.fixture()
def source(db, fleet):
    return source_create(name="smoke", kind="kubernetes", settings={"kubeconfigPath": fleet[1]})


def test_the_task_has_its_explicit_name_limits_and_bounded_retries():
    assert crawl_source.name == "footprint.inventory.crawl_source"
    assert 0 < crawl_source.soft_time_limit < crawl_source.time_limit
    assert crawl_source.max_retries == 3
    for retries, minutes in ((0, 1), (1, 2), (2, 4), (10, 15)):  # backoff with jitter, capped
        assert 0.75 * minutes * 60 <= retry_countdown(retries) <= minutes * 60


def test_the_task_crawls_the_source(source):
    outcome = crawl_source.delay(source.pk).get()

    run = CrawlRun.objects.get()
    assert outcome == {"source": source.pk, "status": "ok", "run": run.pk}
    assert Deployment.objects.count() == 9


def test_the_task_returns_when_the_source_is_gone_or_disabled(source):
    assert crawl_source.delay(source.pk + 1000).get() == {"source": source.pk + 1000, "status": "gone"}
    source_update(source=source, enabled=False)
    assert crawl_source.delay(source.pk).get() == {"source": source.pk, "status": "disabled"}
    assert not CrawlRun.objects.exists()


def test_the_task_does_nothing_while_another_crawl_holds_the_lock(source):
    holder = crawl_lock_acquire(source=source)

    outcome = crawl_source.delay(source.pk).get()

    assert outcome == {"source": source.pk, "status": "already-running", "run": holder.pk}
    assert list(CrawlRun.objects.all()) == [holder]


def test_an_unreachable_source_is_a_transient_failure_not_retried_eagerly(fleet, source):
    sim, _ = fleet
    sim.set_faults("*", unauthorized=True)
    assert crawl_source.delay(source.pk).get()["status"] == "failed"
    assert not run_is_transient_failure(CrawlRun.objects.get())  # auth: waits for the next tick

    sim.set_faults("*", unauthorized=False, throttle=-1, retry_after=0)
    assert crawl_source.delay(source.pk).get()["status"] == "failed"
    run = CrawlRun.objects.latest("id")
    assert run_is_transient_failure(run)
    assert CrawlRun.objects.count() == 2  # eagerly, a retry would run at once: the next tick retries instead


def test_crawl_now_enqueues_after_commit(source, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        source_crawl_enqueue(source=source)
        assert not CrawlRun.objects.exists()
    assert len(callbacks) == 1

    callbacks[0]()  # no broker: the task runs in this process

    assert CrawlRun.objects.get().status == "ok"


def collect(*args: str) -> str:
    out = io.StringIO()
    call_command("collect", *args, stdout=out)
    return out.getvalue()


def test_collect_prints_a_line_per_cluster_and_a_summary(source):
    output = collect("--source", "smoke").splitlines()

    assert output[0] == "smoke (kubernetes): crawling"
    assert sorted(line.split(":")[0].strip() for line in output[1:4]) == ["aks-eastus", "gke-euw4", "prod-use1"]
    assert all(" ok in " in line and "model deployments" in line for line in output[1:4])
    assert output[4].startswith("smoke: OK in ")
    assert "9 new, 0 changed, 0 unchanged, 0 ended; 14 GPU nodes, 1 pending GPU pods recorded" in output[4]


def test_collect_prints_partial_crawls_clearly_and_exits_1(fleet, source):
    sim, _ = fleet
    sim.stop_cluster("gke-euw4")
    out = io.StringIO()

    with pytest.raises(CommandError, match="1 of 1 crawl") as raised:
        call_command("collect", "--all", stdout=out)

    assert raised.value.returncode == 1
    output = out.getvalue()
    assert "smoke: PARTIAL in " in output
    assert "listed completely: aks-eastus, prod-use1" in output or "listed completely: prod-use1, aks-eastus" in output
    assert "error gke-euw4: unreachable: " in output
    assert "gke-euw4: failed in " in output  # the cluster's own progress line


def test_collect_skips_a_source_whose_crawl_is_running_and_exits_1(source):
    crawl_lock_acquire(source=source)
    out = io.StringIO()

    with pytest.raises(CommandError) as raised:
        call_command("collect", "--source", "smoke", stdout=out)

    assert raised.value.returncode == 1
    assert "smoke: SKIPPED, a crawl of smoke is already running since" in out.getvalue()


def test_collect_refuses_unknown_file_or_missing_sources(db, source):
    source_create(name="gitops", kind="file")
    for args, message in ((["--source", "nope"], "no source named nope"),
                          (["--source", "gitops"], "fed by `manage.py ingest`"),
                          ([], "name sources with --source NAME or use --all (sources: smoke)")):
        with pytest.raises(CommandError, match=re.escape(message)) as raised:
            collect(*args)
        assert raised.value.returncode == 2
    assert not CrawlRun.objects.exists()
