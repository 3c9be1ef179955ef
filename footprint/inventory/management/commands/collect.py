"""``manage.py collect [--source NAME ...] [--all]``: crawl sources now, in the foreground."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from footprint.inventory.choices import CrawlStatus, SourceKind
from footprint.inventory.crawl import CrawlAlreadyRunning, source_crawl
from footprint.inventory.models import CrawlRun, Source

BAD_INPUT = 2
NOT_ALL_OK = 1


class Command(BaseCommand):
    help = (
        "Crawl sources now, in this process: a progress line per cluster, then a summary per source. "
        "Exit code 0 when every crawl is ok; 1 when any failed, was partial, or was skipped because a crawl "
        "of that source was already running; 2 on bad arguments."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--source", action="append", dest="sources", default=[], metavar="NAME",
                            help="a source to crawl (repeat for several); disabled sources are crawled too")
        parser.add_argument("--all", action="store_true", dest="everything",
                            help="every enabled source that is crawled (file sources are fed by ingest)")

    def handle(self, *args: Any, sources: list[str], everything: bool, **options: Any) -> None:
        selected = self._select(names=sources, everything=everything)
        not_ok = 0
        for source in selected:
            self.stdout.write(f"{source.name} ({source.kind}): crawling")
            try:
                run = source_crawl(source=source, progress=lambda line: self.stdout.write(f"  {line}"))
            except CrawlAlreadyRunning as busy:
                self.stdout.write(f"{source.name}: SKIPPED, {busy}; nothing done")
                not_ok += 1
                continue
            self._summary(source=source, run=run)
            not_ok += run.status != CrawlStatus.OK
        if not_ok:
            raise CommandError(f"{not_ok} of {len(selected)} crawl(s) not ok", returncode=NOT_ALL_OK)

    def _select(self, *, names: list[str], everything: bool) -> list[Source]:
        if not names and not everything:
            known = ", ".join(Source.objects.exclude(kind=SourceKind.FILE).values_list("name", flat=True)) or "none"
            raise CommandError(f"name sources with --source NAME or use --all (sources: {known})",
                               returncode=BAD_INPUT)
        if everything:
            selected = list(Source.objects.filter(enabled=True).exclude(kind=SourceKind.FILE).order_by("name"))
            if not selected:
                self.stdout.write("no enabled sources to crawl (add one with: manage.py sources add)")
            return selected
        found = {source.name: source for source in Source.objects.filter(name__in=names)}
        missing = [name for name in names if name not in found]
        if missing:
            raise CommandError(f"no source named {', '.join(missing)}", returncode=BAD_INPUT)
        files = [name for name in names if found[name].kind == SourceKind.FILE]
        if files:
            raise CommandError(f"{', '.join(files)}: file source(s) are fed by `manage.py ingest`, not crawled",
                               returncode=BAD_INPUT)
        return [found[name] for name in dict.fromkeys(names)]

    def _summary(self, *, source: Source, run: CrawlRun) -> None:
        seconds = run.duration.total_seconds() if run.duration else 0.0
        capacity = f"{run.gpu_node_snapshots.count()} GPU nodes, {run.pending_gpu_pods.count()} pending GPU pods recorded"
        listed = ", ".join(_scope(scope) for scope in run.scopes if scope.get("cluster")) or "nothing"
        head = f"{source.name}: {str(run.status).upper()} in {seconds:.1f}s"
        self.stdout.write(f"{head}: {run.pages} pages, {run.objects_seen} objects; {run.summary()}; {capacity}")
        if run.status == CrawlStatus.PARTIAL:
            self.stdout.write(f"  listed completely: {listed}. Deployments outside it were kept, not ended"
                              f" ({run.deployments_stale} marked stale); the next healthy crawl clears the mark.")
        elif run.status == CrawlStatus.FAILED:
            self.stdout.write(f"  nothing was listed completely, nothing was ended"
                              f" ({run.deployments_stale} deployments marked stale).")
        for error in run.errors:
            self.stdout.write(f"  error {error.get('scope')}: {error.get('kind')}: {error.get('message')}")


def _scope(scope: dict[str, Any]) -> str:
    return "/".join(part for part in (scope.get("cluster") or "*", scope.get("namespace")) if part)
