"""Celery tasks of the inventory: thin, named explicitly, primitive arguments; the work is in crawl.py."""

from __future__ import annotations

import logging
import random
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from collectors.spec import ErrorKind
from footprint.alerts.services import alerts_dispatch_after_crawl
from footprint.inventory.choices import CrawlStatus
from footprint.inventory.crawl import CrawlAlreadyRunning, source_crawl
from footprint.inventory.models import CrawlRun, Source

logger = logging.getLogger("footprint.inventory")

CRAWL_MAX_RETRIES = 3
# A crawl that failed only because the source could not be reached or throttled us may succeed in a few
# minutes; bad configuration, a forbidden account or a collector bug will not, and waits for the next tick.
TRANSIENT_KINDS = {str(ErrorKind.UNREACHABLE), str(ErrorKind.RATE_LIMITED)}


def retry_countdown(retries: int) -> float:
    """1, 2, 4 minutes (capped at 15), with jitter so that a fleet-wide outage does not retry in step."""
    return min(60.0 * 2 ** retries, 900.0) * (0.75 + random.random() / 4)  # noqa: S311 - jitter, not crypto


def run_is_transient_failure(run: CrawlRun) -> bool:
    return run.status == CrawlStatus.FAILED and bool(run.errors) and all(
        error.get("kind") in TRANSIENT_KINDS for error in run.errors)


@shared_task(bind=True, name="footprint.inventory.crawl_source", max_retries=CRAWL_MAX_RETRIES,
             soft_time_limit=settings.CRAWL_SOFT_TIME_LIMIT, time_limit=settings.CRAWL_TIME_LIMIT)
def crawl_source(self, source_id: int) -> dict[str, Any]:
    """Crawl one source (beat runs this on the source's interval; "crawl now" enqueues it)."""
    source = Source.objects.filter(pk=source_id).first()
    if source is None or not source.enabled:
        status = "gone" if source is None else "disabled"
        logger.info("crawl.skipped source_id=%s reason=%s", source_id, status)
        return {"source": source_id, "status": status}
    # Eagerly (no broker), Celery would run a retry at once with no backoff: the next tick retries instead.
    can_retry = not self.request.is_eager and self.request.retries < self.max_retries
    try:
        run = source_crawl(source=source)
    except CrawlAlreadyRunning as busy:
        logger.info("crawl.skipped source=%s reason=already-running run=%s", source.name,
                    busy.run.pk if busy.run else None)
        return {"source": source_id, "status": "already-running", "run": busy.run.pk if busy.run else None}
    except (OperationalError, InterfaceError) as exc:  # the database went away mid-crawl
        if not can_retry:
            raise
        raise self.retry(exc=exc, countdown=retry_countdown(self.request.retries)) from exc
    alerts_dispatch_after_crawl(run=run)  # never raises: queued to a worker (in-process: at most 20 s)
    if run_is_transient_failure(run) and can_retry:
        logger.info("crawl.retry source=%s run=%s attempt=%d", source.name, run.pk, self.request.retries + 1)
        raise self.retry(countdown=retry_countdown(self.request.retries))
    return {"source": source_id, "status": str(run.status), "run": run.pk}
