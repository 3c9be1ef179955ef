"""`manage.py demo`: the whole product on one machine, from nothing.

Starts the fleet simulator with the `demo` scenario (11 clusters on six clouds, SageMaker endpoints,
planted situations) and its cloud APIs on 127.0.0.1, configures one Footprint source per cloud account
and GPU cloud, crawls them all through the real client libraries, creates the demo login and serves
the dashboard. The simulator lives as long as the server (no autoreload), so "crawl now" keeps working.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from collectors.simulator.scenario import load_scenario
from collectors.simulator.server import FleetSimulator
from footprint.inventory.crawl import source_crawl
from footprint.inventory.models import Source
from footprint.inventory.sources import source_create, source_update


class Command(BaseCommand):
    help = "Run the demo: simulated multi-cloud fleet, sources for it, a first crawl, and the dashboard."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000", help="where to serve the dashboard")
        parser.add_argument("--scenario", default="demo", help="simulator scenario (name or path)")
        parser.add_argument("--sim-port", type=int, default=0, help="simulator port (default: any free port)")
        parser.add_argument("--no-serve", action="store_true", help="set up and crawl, then exit (for tests)")

    def handle(self, *args, addrport, scenario, sim_port, no_serve, **options):
        if not (settings.DEBUG or settings.EMBEDDED):
            raise CommandError("the demo runs in embedded or debug mode only (it creates a known login)")
        call_command("migrate", interactive=False, verbosity=0)
        workdir = Path(settings.DATA_DIR) / "demo"
        workdir.mkdir(parents=True, exist_ok=True)
        sim = FleetSimulator(load_scenario(scenario), port=sim_port, clouds=True).start()
        try:
            kubeconfig = workdir / "kubeconfig"
            sim.kubeconfig(kubeconfig)
            self.stdout.write(f"fleet simulator: {sim.url} ({len(sim.cluster_names)} clusters, scenario {scenario})")
            sources = [self._source(spec) for spec in sim.cloud_sources(kubeconfig=kubeconfig)]
            for source in sources:
                self.stdout.write(f"crawling {source.name} ({source.kind})")
                run = source_crawl(source=source, progress=lambda line: self.stdout.write(f"  {line}"))
                self.stdout.write(f"  -> {run.status}: {run.deployments_new} new, {run.deployments_changed} changed, "
                                  f"{run.deployments_ended} ended, {len(run.errors)} errors")
            call_command("demo_user", stdout=self.stdout)
            if no_serve:
                return
            self.stdout.write(f"Model Footprint: http://{addrport}/  (log in as demo / demo)")
            call_command("runserver", addrport, use_reloader=False)
        finally:
            sim.stop()

    def _source(self, spec: dict) -> Source:
        """Create the source, or point an existing one at this run's simulator (its ports change)."""
        existing = Source.objects.filter(name=spec["name"]).first()
        fields = {"settings": spec["settings"], "credentials": spec.get("credentials") or {}}
        if existing is not None:
            return source_update(source=existing, **fields)
        return source_create(name=spec["name"], kind=spec["kind"], **fields)
