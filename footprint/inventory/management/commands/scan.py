"""`manage.py scan PATH...`: print the ModelSpecList of every model-serving workload in manifest files."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from collectors.detect.workloads import DetectContext
from collectors.manifests import scan_paths
from collectors.output import FORMATS, dump_specs
from collectors.spec import CLOUDS


class Command(BaseCommand):
    help = (
        "Recognise model-serving workloads in Kubernetes manifests (files or folders: multi-document YAML, "
        "JSON, `kubectl get -A -o yaml|json` List dumps, rendered Helm output) and print them as a "
        "ModelSpecList. Exit code 2 (with one line per unreadable document on stderr) if any input is bad; "
        "the good documents are still printed."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--format", choices=FORMATS, default="json")
        parser.add_argument("--explain", action="store_true",
                            help="say which signals matched for each workload and why GPU workloads were "
                                 "left out (stderr for json/yaml, after the table for table)")
        parser.add_argument("--cloud", choices=CLOUDS, default="unknown", help="cloud the manifests run in")
        parser.add_argument("--region", default=None)
        parser.add_argument("--cluster", default=None, help="cluster name (also used to tell the environment)")
        parser.add_argument("--source", default=None, help="source name recorded in workload.source "
                                                           "(default: each object's file)")

    def handle(self, *args, **options):
        from datetime import UTC, datetime

        ctx = DetectContext(cloud=options["cloud"], region=options["region"], cluster=options["cluster"],
                            source=options["source"], observed_at=datetime.now(UTC).replace(microsecond=0))
        result = scan_paths(options["paths"], ctx)
        fmt = options["format"]
        self.stdout.write(dump_specs(result.specs, fmt), ending="")
        if options["explain"]:
            stream = self.stdout if fmt == "table" else self.stderr
            stream.write(explain_text(result))
        for error in result.errors:
            self.stderr.write(f"error: {error}")
        if result.errors:
            # one line per bad document is already on stderr; exit 2 like argparse does for bad input
            sys.exit(2)


def explain_text(result) -> str:
    lines = [f"\n# {len(result.specs)} model-serving workload(s) in {result.objects} object(s) "
             f"from {result.files} file(s)"]
    for verdict in result.verdicts:
        where = f"  ({verdict.origin})" if verdict.origin else ""
        if verdict.reported:
            units = f" units: {', '.join(verdict.units)}" if verdict.units else ""
            lines.append(f"+ {verdict.ref}{where}{units}")
            lines.extend(f"    - {signal}" for signal in verdict.signals)
        elif verdict.gpu:
            lines.append(f"- {verdict.ref}{where}: left out: {verdict.reason}")
        else:
            lines.append(f"- {verdict.ref}{where}: not serving: {verdict.reason}")
    return "\n".join(lines) + "\n"


__all__ = ["Command", "CommandError"]
