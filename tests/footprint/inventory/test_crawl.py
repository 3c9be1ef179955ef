"""source_crawl through the registry's collector and the real `kubernetes` client against the fleet
simulator: the CrawlRun, capacity rows, faults that end in partial runs and heal, the lock."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from collectors.registry import KubeconfigCollector
from collectors.simulator import FleetSimulator, load_scenario
from footprint.inventory import crawl as crawl_module
from footprint.inventory.crawl import CrawlAlreadyRunning, crawl_lock_acquire, source_crawl
from footprint.inventory.models import Cluster, CrawlRun, Deployment, GpuNodeSnapshot, PendingGpuPodSnapshot
from footprint.inventory.selectors import capacity_by_cluster, capacity_current, pending_gpu_pods_current
from footprint.inventory.sources import source_create, source_update

SMOKE_CLUSTERS = {"prod-use1", "gke-euw4", "aks-eastus"}


@pytest.fixture()
def fleet(tmp_path):
    with FleetSimulator(load_scenario("smoke")) as sim:
        path = tmp_path / "kubeconfig"
        sim.kubeconfig(path)
        yield sim, str(path)


@pytest.fixture()
def source(db, fleet):
    _, path = fleet
    return source_create(name="smoke", kind="kubernetes", settings={"kubeconfigPath": path, "timeoutSeconds": 5})


def live(cluster: str | None = None):
    rows = Deployment.objects.filter(ended_at__isnull=True)
    return rows.filter(cluster_name=cluster) if cluster else rows


def test_a_crawl_of_the_smoke_fleet_records_deployments_capacity_and_the_run(source):
    lines: list[str] = []

    run = source_crawl(source=source, progress=lines.append)

    assert run.status == "ok" and run.errors == []
    assert {s["cluster"] for s in run.scopes} == SMOKE_CLUSTERS | {None}  # None: the whole source
    assert run.pages >= 20 and run.objects_seen >= 80
    assert run.duration is not None and run.duration.total_seconds() > 0
    assert (run.specs_seen, run.deployments_new, run.deployments_ended) == (9, 9, 0)
    assert sorted(line.split(":")[0] for line in lines) == sorted(SMOKE_CLUSTERS)
    assert all(": ok in " in line for line in lines)
    assert {d.cluster_name for d in live()} == SMOKE_CLUSTERS
    chat = live().get(name="chat-vllm")
    assert (chat.accelerator_type, chat.cloud, chat.region) == ("A10G", "aws", "us-east-1")

    # capacity: every GPU node of every cluster, the pending TGI replica, each cluster pointing at the run
    assert GpuNodeSnapshot.objects.filter(run=run).count() == 14
    assert set(Cluster.objects.values_list("capacity_run", flat=True)) == {run.pk}
    node = GpuNodeSnapshot.objects.filter(cluster_name="gke-euw4", pool="l4", serving_requested=2).first()
    assert (node.accelerator_type, node.cloud, node.region, node.observed_at) == (
        "L4", "gcp", "europe-west4", run.finished_at)
    assert any(n.requested == 0 for n in capacity_current(cluster="gke-euw4")), "one idle GPU node"
    [pending] = pending_gpu_pods_current()
    assert (pending.cluster_name, pending.namespace, pending.requested) == ("gke-euw4", "docs-staging", 2)
    assert pending.name.startswith("summarizer-tgi")

    source.refresh_from_db()
    assert (source.last_success_at, source.last_crawl_at, source.consecutive_failures) == (
        run.finished_at, run.finished_at, 0)


def test_capacity_is_kept_per_crawl_and_current_means_the_latest_crawl(source):
    first = source_crawl(source=source)
    second = source_crawl(source=source)

    assert second.deployments_unchanged == 9 and second.deployments_new == 0
    assert GpuNodeSnapshot.objects.count() == 28  # history: one snapshot per node per crawl
    assert PendingGpuPodSnapshot.objects.count() == 2
    assert {row.run_id for row in capacity_current()} == {second.pk}
    assert capacity_current().count() == 14
    summary = {(row["cluster_name"], row["accelerator_type"]): row for row in capacity_by_cluster()}
    assert summary[("aks-eastus", "A100-80GB")]["nodes"] == 4
    assert summary[("prod-use1", "H100-80GB")]["allocatable"] == 8
    assert first.pk != second.pk


def _heal(sim) -> None:
    sim.clear_faults("*")  # also brings a stopped cluster back


FAULTS = {
    # name: (break the fleet, page size, scope of the error, its kind, what goes stale: names or a cluster)
    "namespace-forbidden": (lambda sim: sim.set_faults("prod-use1", forbidden_namespaces=["ads-prod"]),
                            500, "prod-use1/ads-prod", "forbidden", {"ads-copywriter"}),
    "cluster-down": (lambda sim: sim.stop_cluster("gke-euw4"), 500, "gke-euw4", "unreachable", "gke-euw4"),
    "429-storm": (lambda sim: sim.set_faults("aks-eastus", throttle=-1, retry_after=0), 500, "aks-eastus",
                  "rate_limited", "aks-eastus"),
    "continue-expired-every-time": (
        lambda sim: sim.set_faults("prod-use1", expire_continue=2, expire_times=-1, only=["deployments"]),
        # a resource that cannot be listed makes the whole cluster untrusted: all of it stale, unchanged
        2, "prod-use1", "partial_listing", "prod-use1"),
}


@pytest.mark.parametrize("fault", FAULTS)
def test_a_fault_ends_in_a_partial_run_that_ends_nothing_and_the_next_crawl_heals(fault, fleet, source):
    sim, _ = fleet
    breaks, page_size, scope, kind, stale = FAULTS[fault]
    source = source_update(source=source, settings={**source.settings, "pageSize": page_size})
    source_crawl(source=source)
    before = set(live().values_list("cluster_name", "name"))
    breaks(sim)

    run = source_crawl(source=source)

    assert run.status == "partial", run.errors
    assert [(e["scope"], e["kind"]) for e in run.errors][:1] == [(scope, kind)]
    assert {e["scope"] for e in run.errors} == {scope}
    assert run.deployments_ended == 0
    assert set(live().values_list("cluster_name", "name")) == before, "no deployment ended"
    expected_stale = ({name for _, name in before if name in stale} if isinstance(stale, set)
                      else {name for cluster, name in before if cluster == stale})
    assert set(live().filter(stale=True).values_list("name", flat=True)) == expected_stale
    assert run.deployments_stale == len(expected_stale)
    marked = live().filter(stale=True).first()
    assert marked.stale_since == run.finished_at
    assert marked.stale_reason in {e["message"] for e in run.errors}
    source.refresh_from_db()
    assert source.consecutive_failures == 0  # partial: the source was reached

    _heal(sim)
    healed = source_crawl(source=source)

    assert healed.status == "ok" and healed.errors == []
    assert (healed.deployments_new, healed.deployments_ended, healed.deployments_stale) == (0, 0, 0)
    assert not live().filter(stale=True).exists()
    assert set(live().values_list("cluster_name", "name")) == before


def test_a_down_cluster_keeps_its_last_known_capacity(fleet, source):
    sim, _ = fleet
    first = source_crawl(source=source)
    sim.stop_cluster("gke-euw4")

    second = source_crawl(source=source)

    current = capacity_current()
    assert current.count() == 14
    assert {row.run_id for row in current if row.cluster_name == "gke-euw4"} == {first.pk}
    assert {row.run_id for row in current if row.cluster_name != "gke-euw4"} == {second.pk}
    assert not GpuNodeSnapshot.objects.filter(run=second, cluster_name="gke-euw4").exists()


def test_a_cluster_removed_from_the_fleet_ends_only_with_a_complete_crawl(fleet, source):
    sim, path = fleet
    source_crawl(source=source)
    gke = set(live("gke-euw4").values_list("name", flat=True))
    assert gke
    # gke-euw4 leaves the source, and the same crawl cannot list aks-eastus
    source = source_update(source=source, settings={**source.settings, "contexts": ["prod-use1", "aks-eastus"]})
    sim.set_faults("aks-eastus", unauthorized=True)

    partial = source_crawl(source=source)

    assert partial.status == "partial" and partial.deployments_ended == 0
    assert set(live("gke-euw4").values_list("name", flat=True)) == gke, "not covered: not ended"
    assert not live("gke-euw4").filter(stale=True).exists()

    sim.clear_faults("*")
    complete = source_crawl(source=source)

    assert complete.status == "ok"
    assert complete.deployments_ended == len(gke)
    assert not live("gke-euw4").exists()
    assert Deployment.objects.filter(cluster_name="gke-euw4", ended_at=complete.finished_at).count() == len(gke)
    assert not capacity_current(cluster="gke-euw4").exists(), "a gone cluster has no current capacity"


def test_a_collector_that_raises_ends_in_a_failed_run_that_ends_nothing(source, monkeypatch):
    source_crawl(source=source)

    def broken(self, *, progress=None):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(KubeconfigCollector, "crawl", broken)
    run = source_crawl(source=source)

    assert run.status == "failed"
    assert run.errors == [{"scope": "*", "kind": "unknown",
                           "message": "collector raised ZeroDivisionError: division by zero"}]
    assert (run.deployments_ended, run.deployments_stale) == (0, 9)
    assert live().count() == 9
    source.refresh_from_db()
    assert source.consecutive_failures == 1 and source.last_success_at < run.finished_at
    assert not CrawlRun.objects.filter(status="running").exists(), "the lock is released"


def test_bad_configuration_is_a_failed_run_naming_the_problem(db, tmp_path):
    source = source_create(name="lost", kind="kubernetes", settings={"kubeconfigPath": str(tmp_path / "none")})

    run = source_crawl(source=source)
    again = source_crawl(source=source)

    assert run.status == "failed"
    assert run.errors[0]["kind"] == "invalid_input"
    assert "does not exist" in run.errors[0]["message"]
    source.refresh_from_db()
    assert (source.consecutive_failures, source.last_success_at) == (2, None)
    assert again.status == "failed"


def test_a_reconcile_that_breaks_fails_the_run_releases_the_lock_and_propagates(source, monkeypatch):
    def broken(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(crawl_module, "deployments_reconcile", broken)
    with pytest.raises(OperationalError):
        source_crawl(source=source)

    [run] = CrawlRun.objects.all()
    assert run.status == "failed" and "server closed the connection" in run.errors[0]["message"]
    monkeypatch.undo()
    assert source_crawl(source=source).status == "ok"


def test_a_running_crawl_holds_the_lock_and_a_second_does_nothing(source):
    holder = crawl_lock_acquire(source=source)

    with pytest.raises(CrawlAlreadyRunning, match="a crawl of smoke is already running since"):
        source_crawl(source=source)

    assert list(CrawlRun.objects.all()) == [holder]
    assert not Deployment.objects.exists()


def test_a_lock_older_than_the_timeout_is_taken_over(source, settings):
    stuck = crawl_lock_acquire(source=source, now=timezone.now() - timedelta(seconds=settings.CRAWL_LOCK_TIMEOUT + 5))

    run = source_crawl(source=source)

    stuck.refresh_from_db()
    assert stuck.status == "failed" and "abandoned" in stuck.errors[0]["message"]
    assert run.status == "ok"


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_crawls_of_one_source_never_overlap(fleet):
    """Two threads, each with its own database connection: the second finds the lock taken and does nothing,
    while the first is in the middle of its crawl (held there until the second has tried)."""
    _, path = fleet
    source = source_create(name="smoke", kind="kubernetes", settings={"kubeconfigPath": path})
    first_crawling = threading.Event()
    second_done = threading.Event()
    outcome: dict[str, object] = {}

    def progress(line: str) -> None:
        first_crawling.set()
        second_done.wait(timeout=30)

    def first() -> None:
        try:
            outcome["first"] = source_crawl(source=source, progress=progress)
        finally:
            connection.close()

    def second() -> None:
        try:
            first_crawling.wait(timeout=30)
            source_crawl(source=source)
            outcome["second"] = "crawled"
        except CrawlAlreadyRunning as busy:
            outcome["second"] = busy
        finally:
            second_done.set()
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert isinstance(outcome["second"], CrawlAlreadyRunning)
    assert outcome["second"].run.pk == outcome["first"].pk
    assert outcome["first"].status == "ok"
    assert list(CrawlRun.objects.values_list("status", flat=True)) == ["ok"]
    assert Deployment.objects.count() == 9
