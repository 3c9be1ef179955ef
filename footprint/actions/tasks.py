"""Celery tasks of the actions app: thin, named, primitive arguments."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

logger = logging.getLogger("footprint.actions")


@shared_task(bind=True, name="footprint.actions.recrawl", max_retries=3, soft_time_limit=600, time_limit=660)
def action_recrawl(self, action_id: int) -> dict[str, Any]:
    """Crawl the source of an executed action, so that the inventory and findings follow, then confirm the
    change from the inventory. A crawl already running may have read the cluster before the change: retry."""
    from footprint.actions.models import DeployAction
    from footprint.actions.services import action_confirm
    from footprint.inventory.crawl import CrawlAlreadyRunning, source_crawl

    action = DeployAction.objects.select_related("source").filter(pk=action_id).first()
    if action is None or action.source is None:
        return {"action": action_id, "status": "gone"}
    try:
        run = source_crawl(source=action.source)
    except CrawlAlreadyRunning:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            return {"action": action_id, "status": "crawl-busy"}
        raise self.retry(countdown=60) from None
    confirmed = action_confirm(action=action, run=run)
    from footprint.alerts.services import alerts_dispatch_after_crawl

    alerts_dispatch_after_crawl(run=run)   # e.g. "resolved" for the finding the action fixed; never raises
    logger.info("action.recrawled action=%s run=%s confirmed=%s", action_id, run.pk, confirmed)
    return {"action": action_id, "run": run.pk, "confirmed": confirmed}
