"""`manage.py simulate --scenario smoke`: serve a simulated fleet in the foreground and write its kubeconfig
(and, with --cloud-settings, the settings of the AWS/GCP/Azure sources that crawl it through the cloud APIs)."""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from collectors.simulator import FleetSimulator, ScenarioError, generate_fleet, load_scenario


class Command(BaseCommand):
    help = (
        "Run the fleet simulator: every cluster of a scenario served through the Kubernetes API on "
        "http://HOST:PORT/clusters/<name>, with a kubeconfig holding one context per cluster. "
        "Stops on Ctrl-C."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--scenario", default="smoke",
                           help="shipped scenario name (collectors/simulator/scenarios/NAME.yaml) or a YAML path")
        group.add_argument("--generate", metavar="CLUSTERSxWORKLOADS",
                           help="a synthetic fleet instead, e.g. 50x2000 (see --seed)")
        parser.add_argument("--seed", type=int, default=1, help="seed of --generate")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=0, help="0: any free port")
        parser.add_argument("--kubeconfig", default="var/simulator/kubeconfig",
                            help="where to write the kubeconfig (default: %(default)s)")
        parser.add_argument("--cloud-settings", metavar="PATH",
                            help="also serve the cloud APIs (GKE, Azure ARM, AWS EKS/SageMaker through moto) and "
                                 "write the Footprint sources that crawl them (JSON, credentials included) here")
        parser.add_argument("--for", dest="duration", type=float, default=0, metavar="SECONDS",
                            help="stop after this long (default: run until Ctrl-C)")

    def handle(self, *args, **options):
        scenario = self._scenario(options)
        clouds = bool(options.get("cloud_settings"))
        simulator = FleetSimulator(scenario, host=options["host"], port=options["port"], clouds=clouds)
        try:
            simulator.start()
        except OSError as error:
            raise CommandError(f"cannot listen on {options['host']}:{options['port']}: {error}") from error
        path = simulator.kubeconfig(Path(options["kubeconfig"]))
        self.stdout.write(f"fleet simulator '{scenario.name}' on {simulator.url} "
                          f"({len(scenario.clusters)} clusters, {scenario.workload_count} workloads)")
        self.stdout.write(f"kubeconfig: {path}  (contexts: {', '.join(simulator.cluster_names[:10])}"
                          f"{', ...' if len(scenario.clusters) > 10 else ''})")
        if clouds:
            self._write_cloud_settings(simulator, Path(options["cloud_settings"]), kubeconfig=path)
        self.stdout.write("Ctrl-C to stop" if not options["duration"] else f"stopping in {options['duration']:g}s")
        try:
            threading.Event().wait(options["duration"] or None)
        except KeyboardInterrupt:
            pass
        finally:
            simulator.stop()

    def _write_cloud_settings(self, simulator: FleetSimulator, target: Path, *, kubeconfig: Path) -> None:
        sources = simulator.cloud_sources(kubeconfig=kubeconfig.resolve())
        document = {"simulator": simulator.url, "sources": sources}
        if simulator.clouds is not None and simulator.clouds.aws is not None:
            document["aws"] = simulator.aws_url
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:  # holds credentials
            json.dump(document, out, indent=2)
        self.stdout.write(f"cloud settings: {target}  (sources: {', '.join(s['name'] for s in sources)})")

    def _scenario(self, options):
        if options["generate"]:
            match = re.fullmatch(r"(\d+)x(\d+)", options["generate"])
            if not match:
                raise CommandError("--generate takes CLUSTERSxWORKLOADS, e.g. 50x2000")
            return generate_fleet(clusters=int(match[1]), workloads_per_cluster=int(match[2]), seed=options["seed"])
        try:
            return load_scenario(options["scenario"])
        except ScenarioError as error:
            raise CommandError(str(error)) from error
