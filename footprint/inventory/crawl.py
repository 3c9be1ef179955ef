"""Crawl one source: the lock, the collector from the registry, the reconcile, the CrawlRun.

The lock is the running CrawlRun itself. A partial unique index allows one ``status='running'`` run
per source, so taking the lock is inserting that row and releasing it is finishing the run (which the
reconcile does in the same transaction as the inventory it writes). The database arbitrates, so it
holds across processes and machines, on PostgreSQL and on SQLite alike, and anyone can see who holds
it and since when. A holder that died without finishing (a worker killed at its hard time limit, a
lost machine) is taken over once its run is older than CRAWL_LOCK_TIMEOUT (the hard time limit plus a
minute): its run is marked failed, and the next crawl proceeds.

Call these outside a transaction: the lock must be committed to be seen by other processes, and a
crawl must not hold a transaction open while it talks to clusters.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from collectors.errors import CollectorError
from collectors.registry import provider
from collectors.spec import CrawlError, CrawlResult, ErrorKind, Scope
from footprint.inventory.choices import CrawlStatus
from footprint.inventory.ingest import deployments_reconcile, source_health_record
from footprint.inventory.models import CrawlRun, Source
from footprint.inventory.sources import source_credentials

logger = logging.getLogger("footprint.inventory")

Progress = Callable[[str], Any]


class CrawlAlreadyRunning(Exception):
    """Another crawl of the source holds the lock; this one did nothing."""

    def __init__(self, *, source: Source, run: CrawlRun | None):
        self.source = source
        self.run = run
        since = f" since {run.started_at:%Y-%m-%d %H:%M:%S} UTC (run {run.pk})" if run is not None else ""
        super().__init__(f"a crawl of {source.name} is already running{since}")


class CrawlLockLost(Exception):
    """This crawl outlived CRAWL_LOCK_TIMEOUT and another took the source over; its result is dropped."""


def crawl_lock_acquire(*, source: Source, now: datetime | None = None) -> CrawlRun:
    """Take the source's crawl lock: insert its running CrawlRun. Raises CrawlAlreadyRunning."""
    now = now or timezone.now()
    for _ in range(3):
        try:
            with transaction.atomic():
                return CrawlRun.objects.create(source=source, started_at=now, status=CrawlStatus.RUNNING)
        except IntegrityError:
            holder = CrawlRun.objects.filter(source=source, status=CrawlStatus.RUNNING).first()
            if holder is None:
                continue  # finished in between: try again
            if holder.started_at > now - timedelta(seconds=settings.CRAWL_LOCK_TIMEOUT):
                raise CrawlAlreadyRunning(source=source, run=holder) from None
            _run_abandon(run=holder, now=now)
    raise CrawlAlreadyRunning(source=source, run=CrawlRun.objects.filter(
        source=source, status=CrawlStatus.RUNNING).first())


def source_crawl(*, source: Source, progress: Progress | None = None) -> CrawlRun:
    """Crawl ``source`` now and reconcile its inventory; return the finished CrawlRun.

    Errors of the provider (bad configuration, unreachable clusters, a bug in a collector) end in a
    failed or partial run that ends nothing. Raises CrawlAlreadyRunning when another crawl of the source
    is under way (and does nothing), and re-raises what breaks the reconcile itself (a database error)
    after recording the run as failed.
    """
    run = crawl_lock_acquire(source=source)
    logger.info("crawl.started source=%s kind=%s run=%s", source.name, source.kind, run.pk)
    try:
        result = _collect(source=source, progress=progress)
        with transaction.atomic():
            # Our lock still ours? Only a crawl older than CRAWL_LOCK_TIMEOUT can have lost it.
            if not CrawlRun.objects.select_for_update().filter(pk=run.pk, status=CrawlStatus.RUNNING).exists():
                raise CrawlLockLost(f"run {run.pk} was taken over after {settings.CRAWL_LOCK_TIMEOUT}s")
            run = deployments_reconcile(source=source, result=result, run=run)
    except BaseException as exc:  # noqa: BLE001 - the lock is released whatever happened, then it propagates
        _run_fail(run=run, source=source, message=f"crawl aborted: {type(exc).__name__}: {exc}")
        raise
    logger.info("crawl.finished source=%s run=%s status=%s seconds=%.1f pages=%d objects=%d errors=%d %s",
                source.name, run.pk, run.status, run.duration.total_seconds() if run.duration else 0.0,
                run.pages, run.objects_seen, len(run.errors), run.summary())
    try:  # findings follow the inventory; a findings bug must never fail the crawl that fed it
        from footprint.findings.engine import findings_evaluate_after_crawl

        findings_evaluate_after_crawl(run=run)
    except Exception:  # noqa: BLE001
        logger.exception("crawl.findings_failed source=%s run=%s", source.name, run.pk)
    return run


def source_crawl_enqueue(*, source: Source) -> None:
    """Crawl ``source`` in a worker once the current transaction commits (at once outside one).
    Without a broker (embedded mode) the crawl runs in this process."""
    from footprint.inventory.tasks import crawl_source

    source_id = source.pk
    transaction.on_commit(lambda: crawl_source.delay(source_id))


def _collect(*, source: Source, progress: Progress | None) -> CrawlResult:
    """Run the provider's collector; whatever it raises becomes a source-wide error in the result."""
    started = timezone.now()
    try:
        credentials = source_credentials(source=source)
        described = provider(source.kind)
        described.validate(source.settings, credentials)
        collector = described.collector(name=source.name, settings=source.settings, credentials=credentials)
        result = collector.crawl(progress=progress)
    except CollectorError as error:
        kind, message = error.kind, error.message
    except ValidationError as error:
        kind, message = ErrorKind.INVALID_INPUT, "; ".join(error.messages)
    except Exception as error:  # noqa: BLE001 - a collector bug must not leave the source locked or half-written
        logger.exception("crawl.collector_raised source=%s", source.name)
        kind, message = ErrorKind.UNKNOWN, f"collector raised {type(error).__name__}: {error}"
    else:
        if not result.errors:
            # Nothing went wrong, listing the clusters included: what the collector crawled is the whole of
            # the source now, so a cluster it no longer lists (a context removed, a region dropped, an EKS
            # cluster deleted) is covered too and its deployments end.
            result.scopes.append(Scope())
        return result
    logger.warning("crawl.collector_failed source=%s kind=%s message=%s", source.name, kind, message)
    # No scope covered: the reconcile ends nothing and marks the source's deployments stale.
    return CrawlResult(errors=[CrawlError(Scope(), kind, message)], started_at=started, finished_at=timezone.now())


def _run_abandon(*, run: CrawlRun, now: datetime) -> None:
    message = (f"abandoned: no result after {settings.CRAWL_LOCK_TIMEOUT}s (the worker running it stopped); "
               "the lock was taken over")
    taken = CrawlRun.objects.filter(pk=run.pk, status=CrawlStatus.RUNNING).update(
        status=CrawlStatus.FAILED, finished_at=now,
        errors=[{"scope": str(Scope()), "kind": str(ErrorKind.UNKNOWN), "message": message}],
    )
    if taken:
        logger.warning("crawl.lock_taken_over source=%s run=%s started_at=%s", run.source_id, run.pk, run.started_at)


def _run_fail(*, run: CrawlRun, source: Source, message: str) -> None:
    """Best effort: record the run as failed (releasing the lock) and count the failure."""
    now = timezone.now()
    try:
        finished = CrawlRun.objects.filter(pk=run.pk, status=CrawlStatus.RUNNING).update(
            status=CrawlStatus.FAILED, finished_at=now,
            errors=[{"scope": str(Scope()), "kind": str(ErrorKind.UNKNOWN), "message": message}],
        )
        if finished:
            source_health_record(source=source, status=CrawlStatus.FAILED, at=now)
    except Exception:  # noqa: BLE001 - the database may be what failed; the lock then times out
        logger.exception("crawl.fail_record_failed source=%s run=%s", source.name, run.pk)
