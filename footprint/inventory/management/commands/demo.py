"""`manage.py demo`: the whole product on one machine, from nothing.

Starts the fleet simulator with the `demo` scenario (11 clusters on six clouds, SageMaker endpoints,
planted situations) and its cloud APIs on 127.0.0.1, configures one Footprint source per cloud account
and GPU cloud, registers the demo's teams, crawls everything through the real client libraries, creates
the demo login and serves the dashboard. The simulator lives as long as the server (no autoreload), so
"crawl now" keeps working.

Simulated history. On an empty database the demo first crawls the fleet as it was 60 and 35 days ago
(HISTORY), so that costs, timelines and findings have a past. Each past state is the scenario with the
changes in HISTORY undone and the workloads created after that day left out, served by a simulator of its
own; it is crawled for real, then everything that crawl wrote (crawl runs, deployments and their revisions,
GPU node samples, findings and their events) is moved back to the simulated day with explicit UPDATEs
(``_backdate``): the collectors read the clock in many places, so the crawl itself runs at the real time.
Today's crawl is of the scenario exactly as written, so the end state is the one DEMO.md describes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db.models import DateTimeField, F
from django.utils import timezone

from collectors.simulator.nodes import pool_info
from collectors.simulator.scenario import Scenario, load_scenario
from collectors.simulator.server import FleetSimulator
from collectors.spec import format_time
from footprint.findings.models import Finding
from footprint.inventory.crawl import source_crawl
from footprint.inventory.models import CrawlRun, DeploymentRevision, OwnershipRule, Source, Team
from footprint.inventory.sources import source_create, source_update

EXAMPLES = Path(settings.BASE_DIR) / "examples"
DECLARED = EXAMPLES / "gitops-demo" / "search-platform-euw4.yaml"   # the desired state a GitOps repo declares
DECLARED_SOURCE = "gitops-euw4"

# The teams that registered with Footprint: a contact each, and an ownership rule for their namespaces
# (DEMO.md: only `<team>-*`, never genai-* or a whole cluster). `research` labels its workloads but never
# registered, which is what orphans.unknown_team reports.
TEAMS = {
    "ads": ("Ads", "#ads-ml-oncall"), "commerce": ("Commerce", "#commerce-ml"),
    "devex": ("Developer Experience", "#devex"), "docs": ("Docs", "#docs-ml"),
    "growth": ("Growth", "#growth-ml"), "legal": ("Legal AI", "#legal-ai"),
    "platform": ("ML Platform", "#ml-platform-oncall"), "risk": ("Risk", "#risk-models"),
    "search": ("Search", "#search-oncall"), "support": ("Support AI", "#support-ai"),
    "voice": ("Voice", "#voice-ml"),
}

QUERY_REWRITER_PREVIOUS = "bb46c15ee4bb56c5b63245ef50fd7637234d6f75"   # still served in europe-west4 today


@dataclass(frozen=True)
class Checkpoint:
    days_ago: int
    story: str                              # what the fleet looked like then, for the command's output
    rewind: Callable[[Scenario], None]      # undo, on a fresh copy of the scenario, what changed since
    declare: bool = False                   # the GitOps repo (file source) is ingested from then on


def _workload(scenario: Scenario, cluster: str, namespace: str, name: str):
    return next(w for w in scenario.cluster(cluster).workloads if (w.namespace, w.name) == (namespace, name))


def _pool(scenario: Scenario, cluster: str, name: str):
    pool = scenario.cluster(cluster).pool(name)
    assert pool is not None, f"{cluster} has no pool {name}"
    return pool


def _as_60_days_ago(scenario: Scenario) -> None:
    # query-rewriter: us-central1 ran the previous revision, like europe-west4 (no drift yet)
    _workload(scenario, "gke-usc1-prod", "search-prod", "query-rewriter").revision = QUERY_REWRITER_PREVIOUS
    # support-assistant and catalog-enricher ran one replica each, on one node fewer
    _workload(scenario, "eks-use1-prod", "support-prod", "support-assistant").replicas = 1
    _pool(scenario, "eks-use1-prod", "h100").count -= 1
    _workload(scenario, "eks-use1-prod", "commerce-prod", "catalog-enricher").replicas = 1
    _pool(scenario, "eks-use1-prod", "l40s").count -= 1
    # ticket-router in eu-west-1 ran on L4 (moved to T4 since: a wrong-GPU finding that was fixed)
    _workload(scenario, "eks-euw1-prod", "support-prod", "ticket-router").pool = "l4"
    _pool(scenario, "eks-euw1-prod", "l4").count += 2
    _pool(scenario, "eks-euw1-prod", "t4").count -= 2


def _as_written(scenario: Scenario) -> None:
    """Nothing undone: the fleet as today, less the serving workloads created since."""


HISTORY = [
    Checkpoint(60, "first crawl. query-rewriter at its previous revision in both prod regions; support-assistant "
                   "and catalog-enricher at 1 replica; ticket-router (eu-west-1) on L4", _as_60_days_ago),
    Checkpoint(35, "since: query-rewriter upgraded in us-central1 only; support-assistant and catalog-enricher "
                   "scaled to 2; ticket-router moved to T4; kb-embeddings started. The GitOps repo "
                   f"{DECLARED_SOURCE} is added.", _as_written, declare=True),
]


def fleet_as_of(scenario_name: str, *, at: datetime, rewind: Callable[[Scenario], None]) -> Scenario:
    """The scenario as it stood at ``at``: HISTORY's changes undone, and the serving workloads created after
    ``at`` not there yet, with the GPU nodes they run on. Other workloads (web apps, jobs, notebooks) are
    kept: Footprint does not report them, and their GPU nodes must not look idle."""
    scenario = load_scenario(scenario_name)
    rewind(scenario)

    def existed(created_at: str | None) -> bool:
        return created_at is None or datetime.fromisoformat(created_at.replace("Z", "+00:00")) <= at

    for cluster in scenario.clusters:
        later = [w for w in cluster.workloads if w.preset is None and not existed(w.created_at)]
        for workload in later:
            pool = cluster.pool(workload.pool)
            per_node = pool_info(cluster, pool).per_node if pool is not None else 0
            if per_node and workload.gpus_per_replica:
                pool.count -= math.ceil(workload.replicas * workload.gpus_per_replica / per_node)
        cluster.workloads = [w for w in cluster.workloads if w not in later]
    scenario.sagemaker = [e for e in scenario.sagemaker if existed(e.created_at)]
    return scenario


def fleet_is_today(scenario_name: str, *, at: datetime, rewind: Callable[[Scenario], None]) -> bool:
    """Whether the fleet at ``at`` is the scenario as written (so today's simulator can serve it)."""
    if rewind is not _as_written:
        return False
    written, then = load_scenario(scenario_name), fleet_as_of(scenario_name, at=at, rewind=rewind)
    return (sum(len(c.workloads) for c in written.clusters) == sum(len(c.workloads) for c in then.clusters)
            and len(written.sagemaker) == len(then.sagemaker))


class Command(BaseCommand):
    help = ("Run the demo: simulated multi-cloud fleet with 60 days of simulated history, sources for it, "
            "a crawl, and the dashboard.")

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000", help="where to serve the dashboard")
        parser.add_argument("--scenario", default="demo", help="simulator scenario (name or path)")
        parser.add_argument("--sim-port", type=int, default=0, help="simulator port (default: any free port)")
        parser.add_argument("--no-serve", action="store_true", help="set up and crawl, then exit (for tests)")
        parser.add_argument("--no-history", action="store_true",
                            help="crawl today's fleet only (no simulated past crawls)")

    def handle(self, *args, addrport, scenario, sim_port, no_serve, no_history, **options):
        if not (settings.DEBUG or settings.EMBEDDED):
            raise CommandError("the demo runs in embedded or debug mode only (it creates a known login)")
        call_command("migrate", interactive=False, verbosity=0)
        workdir = Path(settings.DATA_DIR) / "demo"
        workdir.mkdir(parents=True, exist_ok=True)
        kubeconfig = workdir / "kubeconfig"
        if scenario == "demo":   # the teams, history and GitOps file belong to the demo fleet
            self._teams_register()
        history = scenario == "demo" and not no_history
        if history and CrawlRun.objects.exists():
            self.stdout.write("simulated history: skipped, this database already has crawls "
                              "(remove var/ for a fresh demo)")
            history = False
        sim: FleetSimulator | None = None

        def today_simulator() -> FleetSimulator:
            nonlocal sim
            if sim is None:   # one at a time: the simulated clouds (moto) are process-wide
                sim = FleetSimulator(load_scenario(scenario), port=sim_port, clouds=True).start()
                self.stdout.write(f"fleet simulator: {sim.url} ({len(sim.cluster_names)} clusters, "
                                  f"scenario {scenario})")
            return sim

        try:
            if history:
                self._history(scenario=scenario, kubeconfig=kubeconfig, today_simulator=today_simulator)
                self.stdout.write("today: the fleet as the scenario describes it")
            self._crawl_all(today_simulator(), kubeconfig)
            if scenario == "demo":
                self._declared_ingest()
            call_command("demo_user", stdout=self.stdout)
            if no_serve:
                return
            self.stdout.write(f"Model Footprint: http://{addrport}/  (log in as demo / demo)")
            call_command("runserver", addrport, use_reloader=False)
        finally:
            if sim is not None:
                sim.stop()

    # --- history -------------------------------------------------------------------------------------------

    def _history(self, *, scenario: str, kubeconfig: Path,
                 today_simulator: Callable[[], FleetSimulator]) -> None:
        self.stdout.write("simulated history: crawling the fleet as it was 60 and 35 days ago. These past crawls are "
                          "SIMULATED: they run now, and what they record is dated back to those days.")
        today = timezone.now()
        for checkpoint in HISTORY:
            at = (today - timedelta(days=checkpoint.days_ago)).replace(microsecond=0)
            self.stdout.write(f"[simulated] {at:%Y-%m-%d} ({checkpoint.days_ago} days ago): {checkpoint.story}")
            started = timezone.now()
            if checkpoint.declare:   # before the crawls: the findings they evaluate compare it with the fleet
                self._declared_ingest()
            if fleet_is_today(scenario, at=at, rewind=checkpoint.rewind):
                self._crawl_all(today_simulator(), kubeconfig, quiet=True)
            else:
                with FleetSimulator(fleet_as_of(scenario, at=at, rewind=checkpoint.rewind), clouds=True) as past:
                    self._crawl_all(past, kubeconfig, quiet=True)
            _backdate(since=started, to=at)
            opened = Finding.objects.filter(opened_at__gte=at).count()
            resolved = Finding.objects.filter(resolved_at__gte=at).count()
            self.stdout.write(f"  -> {Finding.objects.filter(status='open').count()} findings open "
                              f"({opened} opened, {resolved} resolved)")

    # --- crawling ------------------------------------------------------------------------------------------

    def _crawl_all(self, sim: FleetSimulator, kubeconfig: Path, *, quiet: bool = False) -> None:
        sim.kubeconfig(kubeconfig)
        sources = [self._source(spec) for spec in sim.cloud_sources(kubeconfig=kubeconfig)]
        for source in sources:
            progress = None if quiet else (lambda line: self.stdout.write(f"  {line}"))
            if not quiet:
                self.stdout.write(f"crawling {source.name} ({source.kind})")
            run = source_crawl(source=source, progress=progress)
            self.stdout.write(f"  {source.name} -> {run.status}: {run.deployments_new} new, "
                              f"{run.deployments_changed} changed, {run.deployments_ended} ended, "
                              f"{len(run.errors)} errors")

    def _source(self, spec: dict) -> Source:
        """Create the source, or point an existing one at this run's simulator (its ports change)."""
        existing = Source.objects.filter(name=spec["name"]).first()
        fields = {"settings": spec["settings"], "credentials": spec.get("credentials") or {}}
        if existing is not None:
            return source_update(source=existing, **fields)
        return source_create(name=spec["name"], kind=spec["kind"], **fields)

    def _declared_ingest(self) -> None:
        """The desired state of gke-euw4-prod's search-prod and platform-prod, as a GitOps repo declares it."""
        call_command("ingest", str(DECLARED), "--source", DECLARED_SOURCE, stdout=self.stdout)

    def _teams_register(self) -> None:
        for slug, (name, contact) in TEAMS.items():
            team, _ = Team.objects.update_or_create(slug=slug, defaults={"name": name, "contact": contact})
            OwnershipRule.objects.get_or_create(
                team=team, namespace_pattern=f"{slug}-*",
                defaults={"priority": 100, "note": f"demo: {slug}'s namespaces"})


def _backdate(*, since: datetime, to: datetime) -> None:
    """Move what was written from ``since`` on (a simulated past crawl) back to ``to``: every date-time column
    of the inventory, findings and alerts at or after ``since``, and the ``observedAt`` of the ModelSpec
    documents on revisions (what ``inventory --as-of`` prints). Audit events are append-only, and the demo
    makes none."""
    delta = since - to
    revisions = list(DeploymentRevision.objects.filter(valid_from__gte=since).only("id", "spec"))
    for label in ("inventory", "findings", "alerts"):
        for model in apps.get_app_config(label).get_models():
            for field in model._meta.concrete_fields:
                if isinstance(field, DateTimeField) and not field.auto_now:
                    model.objects.filter(**{f"{field.name}__gte": since}).update(**{field.name: F(field.name) - delta})
    for revision in revisions:
        observed = revision.spec.get("observedAt")
        if observed:
            moved = datetime.fromisoformat(observed.replace("Z", "+00:00")).astimezone(UTC) - delta
            revision.spec["observedAt"] = format_time(moved)
    DeploymentRevision.objects.bulk_update(revisions, ["spec"], batch_size=500)
