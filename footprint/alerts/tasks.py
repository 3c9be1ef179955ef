"""Celery task of the alerts: thin; the work is in services.py."""

from __future__ import annotations

from typing import Any

from celery import shared_task

from footprint.alerts.services import alerts_dispatch as dispatch


@shared_task(name="footprint.alerts.dispatch", soft_time_limit=240, time_limit=300, ignore_result=True)
def alerts_dispatch(digest: bool = False) -> dict[str, Any]:
    """Route new finding events, build due digests (all queued ones with ``digest``), send due deliveries.
    Beat runs it every minute while an enabled route exists; a crawl queues it when its findings are in."""
    summary = dispatch(force_digest=digest, time_budget=200.0)
    return {"routed": summary.routed_events, "digests": summary.digests, "sent": summary.sent,
            "retrying": summary.retrying, "failed": summary.failed, "postponed": summary.postponed}
