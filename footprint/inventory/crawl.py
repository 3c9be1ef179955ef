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

Usage signals: where the source names a Prometheus per cluster (``settings.prometheus``) or CloudWatch for
SageMaker (``settings.usage.cloudwatch``), the crawl reads the usage of the deployments it saw
(collectors/usage.py) after collecting and before the transaction, and stores it on them with the
reconcile. A metrics source that fails is an error ``usage:<cluster>`` on the run; it changes neither the
run's status nor the inventory, and the deployments keep the usage last read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from collectors import usage as usage_signals
from collectors.errors import CollectorError
from collectors.registry import provider
from collectors.spec import CrawlError, CrawlResult, ErrorKind, Scope
from footprint.inventory.bulk import rows_update
from footprint.inventory.choices import CrawlStatus, SourceKind
from footprint.inventory.ingest import deployments_reconcile, source_health_record
from footprint.inventory.models import CrawlRun, Deployment, Source
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
        usage = usage_read(source=source, result=result)   # network, before the transaction; never raises
        with transaction.atomic():
            # Our lock still ours? Only a crawl older than CRAWL_LOCK_TIMEOUT can have lost it.
            if not CrawlRun.objects.select_for_update().filter(pk=run.pk, status=CrawlStatus.RUNNING).exists():
                raise CrawlLockLost(f"run {run.pk} was taken over after {settings.CRAWL_LOCK_TIMEOUT}s")
            run = deployments_reconcile(source=source, result=result, run=run)
            usage_store(source=source, run=run, usage=usage)
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


def source_crawl_refusal(*, source: Source) -> str | None:
    """Why "crawl now" cannot run for ``source``, or None. A file source is fed by ``manage.py ingest``: a
    crawl of it would fail source-wide and mark every deployment it declares stale."""
    if not source.enabled:
        return f"source {source.name} is disabled; enable it to crawl it"
    if source.kind == SourceKind.FILE:
        return f"source {source.name} is a file source: it is fed by manage.py ingest, not crawled"
    return None


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
        # The usage keys (settings.prometheus, settings.usage, credentials.prometheus) are the usage step's.
        provider_settings, credentials = usage_signals.usage_split(source.settings,
                                                                   source_credentials(source=source))
        described = provider(source.kind)
        described.validate(provider_settings, credentials)
        collector = described.collector(name=source.name, settings=provider_settings, credentials=credentials)
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


# --- usage signals ------------------------------------------------------------------------------------------

USAGE_MAX_CONCURRENCY = 8


@dataclass
class UsageReading:
    """What the usage step read for one crawl: usage per deployment identity, the clusters whose read failed
    (their deployments keep the usage they had), those with nothing configured (their usage is cleared),
    and the errors to record on the run."""

    usage: dict[tuple[str, str, str, str, str], dict[str, Any]] = field(default_factory=dict)
    blank: dict[str, dict[str, Any]] = field(default_factory=dict)   # cluster → usage of a workload with no series
    read: set[str] = field(default_factory=set)
    failed: set[str] = field(default_factory=set)
    unconfigured: set[str] = field(default_factory=set)
    errors: list[dict[str, str]] = field(default_factory=list)


def usage_read(*, source: Source, result: CrawlResult) -> UsageReading:
    """Read the usage of the deployments ``result`` saw, from the Prometheus endpoints (per cluster) and
    CloudWatch (SageMaker) the source names. One reader per cluster/region, read concurrently. Whatever
    goes wrong is an error of scope ``usage:<cluster>`` on the reading; this never raises."""
    reading = UsageReading()
    by_cluster: dict[str, list[usage_signals.Workload]] = {}
    for spec in result.specs:
        w = spec.workload
        by_cluster.setdefault(w.cluster or "", []).append(
            usage_signals.Workload(cluster=w.cluster or "", namespace=w.namespace or "", name=w.name,
                                   unit=w.unit, kind=w.kind))
    try:
        config = usage_signals.usage_settings(source.settings, source_credentials(source=source))
    except Exception as error:  # noqa: BLE001 - bad usage settings are the run's error, not the crawl's end
        _usage_failed(reading, source, "usage", set(by_cluster), error)
        return reading
    at = timezone.now()
    jobs: dict[str, Callable[[], dict]] = {}
    cloudwatch = None
    for cluster, workloads in by_cluster.items():
        region = usage_signals.sagemaker_region_of(cluster)
        endpoint = config.endpoint_for(cluster) if region is None else None
        if endpoint is not None:
            jobs[cluster] = lambda e=endpoint, ws=workloads: _prometheus_read(e, ws, config, at)
        elif region is not None and config.cloudwatch and source.kind == SourceKind.AWS:
            try:   # boto3 sessions are not thread-safe (their clients are): made here, in one thread
                cloudwatch = cloudwatch or _cloudwatch_factory(source)
                client = cloudwatch(region)
            except Exception as error:  # noqa: BLE001
                _usage_failed(reading, source, f"usage:{cluster}", {cluster}, error)
                continue
            jobs[cluster] = lambda c=client, r=region, ws=workloads: _cloudwatch_read(c, r, ws, config, at)
        else:
            reading.unconfigured.add(cluster)
    if not jobs:
        return reading
    with ThreadPoolExecutor(max_workers=min(USAGE_MAX_CONCURRENCY, len(jobs)),
                            thread_name_prefix="footprint-usage") as pool:
        futures = {cluster: pool.submit(job) for cluster, job in jobs.items()}
    for cluster, future in futures.items():
        try:
            found = future.result()
        except Exception as error:  # noqa: BLE001 - one cluster's metrics never stop the others, or the crawl
            _usage_failed(reading, source, f"usage:{cluster}", {cluster}, error)
            continue
        reading.read.add(cluster)
        kind = "cloudwatch" if usage_signals.sagemaker_region_of(cluster) else "prometheus"
        reading.blank[cluster] = usage_signals.Usage(window=config.window, source=kind, observed_at=at,
                                                     lookback=config.lookback).to_dict()
        for workload, usage in found.items():
            reading.usage[(cluster, workload.namespace, workload.kind, workload.name, workload.unit or "")] = \
                usage.to_dict()
    logger.info("crawl.usage_read source=%s clusters=%d failed=%d deployments=%d", source.name, len(reading.read),
                len(reading.failed), len(reading.usage))
    return reading


def _usage_failed(reading: UsageReading, source: Source, scope: str, clusters: set[str], error: Exception) -> None:
    kind, message = ((error.kind, error.message) if isinstance(error, CollectorError)
                     else (ErrorKind.UNKNOWN, f"{type(error).__name__}: {error}"))
    logger.warning("crawl.usage_failed source=%s scope=%s kind=%s message=%s", source.name, scope, kind, message)
    reading.failed |= clusters
    reading.errors.append({"scope": scope, "kind": str(kind), "message": f"usage: {message}"})


def usage_store(*, source: Source, run: CrawlRun, usage: UsageReading) -> None:
    """Write the reading onto the source's live deployments (one SELECT, one UPDATE per batch) and its errors
    onto the run. Inside the crawl's transaction, in a savepoint: a failure here is logged and the inventory
    the crawl wrote stands."""
    try:
        with transaction.atomic():
            live = Deployment.objects.filter(source=source, ended_at__isnull=True)
            if usage.unconfigured:   # a Prometheus no longer named: what it said goes with it
                live.filter(cluster_name__in=usage.unconfigured).exclude(usage={}).update(usage={})
            rows = []
            if usage.read:
                for pk, cluster, namespace, kind, name, unit, current in live.filter(
                        cluster_name__in=usage.read).values_list("pk", "cluster_name", "namespace", "kind", "name",
                                                                 "unit", "usage"):
                    # no entry: the endpoint answered, but has no series of this workload
                    value = usage.usage.get((cluster, namespace, kind, name, unit), usage.blank[cluster])
                    if value != current:
                        rows.append((pk, value))
            rows_update(Deployment, ["usage"], rows)
            if usage.errors:
                run.errors = [*run.errors, *usage.errors]
                CrawlRun.objects.filter(pk=run.pk).update(errors=run.errors)
    except Exception:  # noqa: BLE001 - usage is an extra; the inventory must not be lost for it
        logger.exception("crawl.usage_store_failed source=%s run=%s", source.name, run.pk)


def _prometheus_read(endpoint, workloads, config, at):
    reader = usage_signals.PrometheusUsage(endpoint, window=config.window, lookback=config.lookback)
    try:
        return reader.read(workloads, at=at)
    except CollectorError as error:
        raise CollectorError(error.kind, f"prometheus {endpoint.url}: {error.message}") from error
    finally:
        reader.close()


def _cloudwatch_read(client, region, workloads, config, at):
    try:
        return usage_signals.SageMakerUsage(client, window=config.window, lookback=config.lookback).read(
            workloads, at=at)
    except CollectorError as error:
        raise CollectorError(error.kind, f"cloudwatch {region}: {error.message}") from error


def _cloudwatch_factory(source: Source):
    provider_settings, credentials = usage_signals.usage_split(source.settings, source_credentials(source=source))
    return usage_signals.aws_cloudwatch_factory(name=source.name, settings=provider_settings, credentials=credentials)
