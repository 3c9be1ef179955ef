"""Slack alerts: route finding events to deliveries, gather daily digests, send what is due.

``alerts_dispatch`` does all three; the Celery task, the management command and the post-crawl hook call it.

- **Routing** (``alerts_route``). FindingEvent rows are the outbox. Each alertable event (opened, severity
  raised, resolved) not yet routed becomes one AlertDelivery per matching route, and gets an AlertEventMark,
  in one transaction: a second dispatcher racing on the same events fails on the marks' primary key and
  rolls back, so nothing is routed twice, and nothing is lost if the process dies (the event stays
  unmarked and is routed next time). A route matches on team (empty: any), minimum severity and rule-code
  prefix, and only sees events after it was created or re-enabled (``events_after_id``).
  Opened and raised events of a snoozed or risk-accepted finding are logged as ``skipped``. A resolve is
  sent to a route only if that route was told about the episode (its opening or a raise was sent or
  queued there): the people who heard of a finding hear that it went away, and nobody hears of the end of
  something they never heard of (a finding below the route's severity, snoozed, or older than the route).
- **Digests** (``alerts_digest_build``). An event for a digest route is ``queued``; once a day, at the
  route's hour (UTC), the queued events become one digest delivery (they turn ``digested``, pointing at it).
- **Sending** (``alerts_send_due``). Due deliveries are claimed with a lease (so two workers never send one
  delivery at once; a worker that dies mid-send leaves it due again when the lease ends), posted with
  slack_sdk, and every attempt is recorded (AlertAttempt). 429: retried after Slack's Retry-After, and the
  route's other messages wait as long. 5xx and connection errors: retried with exponential backoff.
  Another 4xx: failed with Slack's error text. ``MAX_ATTEMPTS`` attempts in all, then failed. A route that
  throttles or is unreachable is not tried again in the same pass, and a pass stops after ``time_budget``
  seconds: sending never holds up a crawl.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Min
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from footprint.alerts import messages
from footprint.alerts.choices import ALERTABLE_EVENTS, AttemptOutcome, DeliveryKind, DeliveryStatus, RouteMode
from footprint.alerts.models import AlertAttempt, AlertDelivery, AlertEventMark, AlertRoute
from footprint.alerts.slack import SlackAnswer, webhook_post
from footprint.findings.choices import SEVERITY_RANK, EventKind
from footprint.findings.models import FindingEvent

logger = logging.getLogger("footprint.alerts")

DISPATCH_TASK = "footprint.alerts.dispatch"
SCHEDULE_NAME = "alerts dispatch"
MAX_ATTEMPTS = 6
ROUTE_BATCH = 500
SEND_BATCH = 100
SEND_LIMIT = 2000
LEASE = timedelta(minutes=5)
SETTLED_AFTER = timedelta(hours=1)
AFTER_CRAWL_BUDGET = 20.0   # seconds of sending a crawl may wait for when tasks run in-process
_SELECTED = ("finding", "finding__team", "finding__cluster", "finding__deployment", "finding__deployment__model")


def backoff(attempt: int) -> timedelta:
    """After a 5xx or connection error: 1, 2, 4, 8, 16 minutes (capped at an hour)."""
    return timedelta(seconds=min(60 * 2 ** max(attempt - 1, 0), 3600))


@dataclass
class DispatchSummary:
    routed_events: int = 0
    queued: int = 0
    skipped: int = 0
    digests: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    postponed: int = 0

    def __str__(self) -> str:
        return (f"{self.routed_events} event(s) routed, {self.queued} queued for digests, {self.skipped} skipped, "
                f"{self.digests} digest(s) built; {self.sent} sent, {self.retrying} to retry, {self.failed} failed, "
                f"{self.postponed} postponed")


# --- routes ---------------------------------------------------------------------------------------------

def _events_high_water() -> int:
    return FindingEvent.objects.aggregate(top=Max("id"))["top"] or 0


def alert_route_save(*, route: AlertRoute) -> AlertRoute:
    """Validate and save a route a form (or a caller) has set up, and keep the dispatch schedule in step.
    A new route, or one being switched on, starts after the latest finding event: history is not replayed."""
    route.full_clean()
    with transaction.atomic():
        was_enabled = (AlertRoute.objects.filter(pk=route.pk).values_list("enabled", flat=True).first()
                       if route.pk else None)
        if route.enabled and not was_enabled:
            route.events_after_id = _events_high_water()
            if was_enabled is not None:   # switched back on: what waited while it was off is not sent late
                AlertDelivery.objects.filter(route=route, status__in=(
                    DeliveryStatus.PENDING, DeliveryStatus.RETRYING, DeliveryStatus.QUEUED)).update(
                    status=DeliveryStatus.SKIPPED, error="the route was switched off; no replay when it came back")
        route.save()
        alerts_schedule_sync()
    return route


def alert_route_create(*, name: str, webhook_url: str, team=None, min_severity: str = "medium",
                       rule_prefix: str = "", mode: str = RouteMode.IMMEDIATE, digest_hour: int = 9,
                       enabled: bool = True) -> AlertRoute:
    return alert_route_save(route=AlertRoute(
        name=name, webhook_url=webhook_url, team=team, min_severity=min_severity, rule_prefix=rule_prefix,
        mode=mode, digest_hour=digest_hour, enabled=enabled))


def alert_route_delete(*, route: AlertRoute) -> None:
    with transaction.atomic():
        route.delete()
        alerts_schedule_sync()


def alerts_schedule_sync() -> PeriodicTask | None:
    """One beat entry runs the dispatch every minute while an enabled route exists (none otherwise).
    Written by the route services, like a source's crawl schedule, so it follows the data."""
    task = PeriodicTask.objects.filter(name=SCHEDULE_NAME).first()
    if not AlertRoute.objects.filter(enabled=True).exists():
        if task is not None:
            task.delete()
        return None
    interval = (IntervalSchedule.objects.filter(every=1, period=IntervalSchedule.MINUTES).order_by("id").first()
                or IntervalSchedule.objects.create(every=1, period=IntervalSchedule.MINUTES))
    task = task or PeriodicTask(name=SCHEDULE_NAME)
    task.task, task.interval, task.args, task.kwargs, task.enabled = DISPATCH_TASK, interval, "[]", "{}", True
    task.expire_seconds = 60    # a tick no worker took before the next is dropped, not piled up
    task.description = "Sends due Slack alerts and daily digests (footprint.alerts)."
    task.save()
    return task


def route_matches(*, route: AlertRoute, event: FindingEvent, severity: str) -> bool:
    finding = event.finding
    return (event.pk > route.events_after_id
            and (route.team_id is None or route.team_id == finding.team_id)
            and SEVERITY_RANK.get(severity, -1) >= SEVERITY_RANK[route.min_severity]
            and finding.rule.startswith(route.rule_prefix))


# --- routing --------------------------------------------------------------------------------------------

def _suppressed(event: FindingEvent, *, now: datetime) -> str:
    finding = event.finding
    if finding.risk_accepted_at is not None:
        return f"risk accepted by {finding.risk_accepted_by or 'someone'}: {finding.risk_accepted_reason}"[:1000]
    if finding.is_snoozed(now=now):
        return f"snoozed until {finding.snoozed_until:%Y-%m-%d %H:%M} UTC"
    return ""


def _told(routes: list[AlertRoute], finding_ids: set[int]) -> dict[tuple[int, int], bool]:
    """(route, finding) → whether the route's latest word on the finding announced an open episode."""
    latest: dict[tuple[int, int], tuple[int, str]] = {}
    rows = (AlertDelivery.objects.filter(route__in=routes, finding_id__in=finding_ids, kind=DeliveryKind.EVENT)
            .exclude(status=DeliveryStatus.SKIPPED).values_list("route_id", "finding_id", "event_id", "event_kind"))
    for route_id, finding_id, event_id, kind in rows:
        key = (route_id, finding_id)
        if event_id is not None and (key not in latest or event_id > latest[key][0]):
            latest[key] = (event_id, kind)
    return {key: kind != EventKind.RESOLVED for key, (_, kind) in latest.items()}


def _settled_event_id(*, now: datetime) -> int:
    """An event id below which every alertable event is routed, so a pass need not look further back.

    Events are routed in id order, so when an event was marked, every lower one then visible was marked
    too. Only an evaluation whose transaction was still open could commit a lower id later; none stays
    open for SETTLED_AFTER. One indexed lookup, however long the event history."""
    return (AlertEventMark.objects.filter(routed_at__lt=now - SETTLED_AFTER).order_by("-routed_at", "-event_id")
            .values_list("event_id", flat=True).first()) or 0


def alerts_route(*, now: datetime | None = None, summary: DispatchSummary | None = None) -> DispatchSummary:
    """Turn the unrouted alertable finding events into deliveries (see the module docstring)."""
    now = now or timezone.now()
    summary = summary or DispatchSummary()
    routes = list(AlertRoute.objects.filter(enabled=True).order_by("id"))
    if not routes:
        return summary   # events stay unmarked; a route created later starts after them anyway
    low = max(min(route.events_after_id for route in routes), _settled_event_id(now=now))
    while True:
        batch = list(FindingEvent.objects.filter(id__gt=low, kind__in=ALERTABLE_EVENTS, alert_mark__isnull=True)
                     .select_related(*_SELECTED).order_by("id")[:ROUTE_BATCH])
        if not batch:
            return summary
        try:
            with transaction.atomic():
                deliveries = _route_batch(batch, routes=routes, now=now, summary=summary)
                AlertDelivery.objects.bulk_create(deliveries, batch_size=ROUTE_BATCH)
                AlertEventMark.objects.bulk_create([AlertEventMark(event=e, routed_at=now) for e in batch],
                                                   batch_size=ROUTE_BATCH)
        except IntegrityError:
            # Another dispatcher routed (some of) these events first: its deliveries stand, ours are dropped.
            logger.info("alerts.route_conflict events=%d-%d", batch[0].pk, batch[-1].pk)
            return summary
        summary.routed_events += len(batch)
        low = batch[-1].pk
        if len(batch) < ROUTE_BATCH:
            return summary


def _route_batch(batch: list[FindingEvent], *, routes: list[AlertRoute], now: datetime,
                 summary: DispatchSummary) -> list[AlertDelivery]:
    told = _told(routes, {event.finding_id for event in batch})
    deliveries: list[AlertDelivery] = []
    for event in batch:
        severity = messages.event_severity(event)
        if event.kind == EventKind.SEVERITY_CHANGED and (
                SEVERITY_RANK.get(str(event.data.get("to")), -1) <= SEVERITY_RANK.get(str(event.data.get("from")), -1)):
            continue    # lowered: not news
        for route in routes:
            if not route_matches(route=route, event=event, severity=severity):
                continue
            key = (route.pk, event.finding_id)
            delivery = AlertDelivery(route=route, kind=DeliveryKind.EVENT, event=event, finding=event.finding,
                                     event_kind=event.kind, severity=severity, created_at=now)
            if event.kind == EventKind.RESOLVED:
                if not told.get(key):
                    continue
                told[key] = False
            else:
                reason = _suppressed(event, now=now)
                if reason:
                    delivery.status, delivery.error = DeliveryStatus.SKIPPED, reason
                    deliveries.append(delivery)
                    summary.skipped += 1
                    continue
                told[key] = True
            if route.mode == RouteMode.DIGEST:
                delivery.status = DeliveryStatus.QUEUED
                delivery.next_attempt_at = digest_due_at(route=route, since=now)
                summary.queued += 1
            else:
                delivery.status, delivery.next_attempt_at = DeliveryStatus.PENDING, now
                delivery.message = messages.event_message(event=event, route_name=route.name)
            deliveries.append(delivery)
    return deliveries


# --- digests --------------------------------------------------------------------------------------------

def digest_due_at(*, route: AlertRoute, since: datetime) -> datetime:
    """The first ``digest_hour``:00 UTC strictly after ``since`` (and after the route's last digest)."""
    since = max(since, route.last_digest_at) if route.last_digest_at else since
    since = since.astimezone(UTC)
    due = since.replace(hour=route.digest_hour, minute=0, second=0, microsecond=0)
    return due if due > since else due + timedelta(days=1)


def alerts_digest_build(*, now: datetime | None = None, force: bool = False,
                        summary: DispatchSummary | None = None) -> DispatchSummary:
    """Gather each digest route's queued events into one digest delivery when its hour has come (or at once
    with ``force``). A route with nothing queued sends nothing."""
    now = now or timezone.now()
    summary = summary or DispatchSummary()
    queued = (AlertDelivery.objects.filter(kind=DeliveryKind.EVENT, status=DeliveryStatus.QUEUED,
                                           route__enabled=True)
              .order_by().values("route_id").annotate(first=Min("created_at")))
    firsts = {row["route_id"]: row["first"] for row in queued}
    for route in AlertRoute.objects.filter(pk__in=firsts):
        if not force and now < digest_due_at(route=route, since=firsts[route.pk]):
            continue
        with transaction.atomic():
            items = list(AlertDelivery.objects.select_for_update()
                         .filter(route=route, kind=DeliveryKind.EVENT, status=DeliveryStatus.QUEUED)
                         .order_by("event_id", "id"))
            if not items:
                continue    # another dispatcher took them
            events = list(FindingEvent.objects.filter(pk__in=[i.event_id for i in items if i.event_id])
                          .select_related(*_SELECTED).order_by("id"))
            digest = AlertDelivery.objects.create(
                route=route, kind=DeliveryKind.DIGEST, event_kind=DeliveryKind.DIGEST, created_at=now,
                status=DeliveryStatus.PENDING, next_attempt_at=now,
                message=messages.digest_message(events=events, route_name=route.name, at=now))
            AlertDelivery.objects.filter(pk__in=[i.pk for i in items]).update(
                status=DeliveryStatus.DIGESTED, digest=digest, next_attempt_at=None)
            AlertRoute.objects.filter(pk=route.pk).update(last_digest_at=now)
        summary.digests += 1
        logger.info("alerts.digest_built route=%s delivery=%s events=%d", route.name, digest.pk, len(events))
    return summary


# --- sending --------------------------------------------------------------------------------------------

def _claim(delivery: AlertDelivery, *, now: datetime) -> bool:
    """Take the delivery for this worker for LEASE; False when another worker took it first."""
    taken = AlertDelivery.objects.filter(pk=delivery.pk, status=delivery.status, attempts=delivery.attempts,
                                         next_attempt_at=delivery.next_attempt_at).update(next_attempt_at=now + LEASE)
    return taken == 1


def delivery_attempt(*, delivery: AlertDelivery, now: datetime | None = None) -> SlackAnswer:
    """Send ``delivery`` once and record the attempt and the delivery's new state."""
    now = now or timezone.now()
    try:
        url = delivery.route.webhook_url
    except ValueError as exc:   # ciphertext the Fernet key cannot read
        answer = SlackAnswer(outcome=AttemptOutcome.REJECTED, error=str(exc))
    else:
        answer = webhook_post(url=url, payload=delivery.message)
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.http_status, delivery.response_body = answer.http_status, answer.body
    retry_at = None
    if answer.outcome == AttemptOutcome.SENT:
        delivery.status, delivery.sent_at, delivery.error, delivery.next_attempt_at = (
            DeliveryStatus.SENT, now, "", None)
    elif answer.retryable and delivery.attempts < MAX_ATTEMPTS:
        wait = (timedelta(seconds=answer.retry_after) if answer.outcome == AttemptOutcome.RATE_LIMITED
                else backoff(delivery.attempts))
        retry_at = now + wait
        delivery.status, delivery.next_attempt_at, delivery.error = DeliveryStatus.RETRYING, retry_at, answer.error
    else:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        delivery.error = answer.error if not answer.retryable else (
            f"gave up after {delivery.attempts} attempts: {answer.error}")
    with transaction.atomic():
        AlertAttempt.objects.create(delivery=delivery, number=delivery.attempts, at=now, outcome=answer.outcome,
                                    http_status=answer.http_status, response_body=answer.body,
                                    error=answer.error, retry_at=retry_at)
        delivery.save(update_fields=["attempts", "last_attempt_at", "http_status", "response_body", "status",
                                     "sent_at", "error", "next_attempt_at"])
    log = logger.info if answer.outcome == AttemptOutcome.SENT else logger.warning
    log("alerts.delivery_attempt delivery=%s route=%s kind=%s attempt=%d outcome=%s http_status=%s status=%s "
        "retry_at=%s error=%s", delivery.pk, delivery.route.name, delivery.event_kind or delivery.kind,
        delivery.attempts, answer.outcome, answer.http_status, delivery.status,
        retry_at.isoformat() if retry_at else "", answer.error or "")
    return answer


def alerts_send_due(*, now: datetime | None = None, time_budget: float | None = None,
                    summary: DispatchSummary | None = None) -> DispatchSummary:
    """Send the due deliveries (pending or retrying, ``next_attempt_at`` passed), oldest first, at most
    SEND_LIMIT a pass (the rest wait for the next one, a minute later)."""
    now = now or timezone.now()
    summary = summary or DispatchSummary()
    started = time.monotonic()
    halted_routes: set[int] = set()
    due = AlertDelivery.objects.filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING],
                                       next_attempt_at__lte=now, route__enabled=True)
    ids = list(due.order_by("next_attempt_at", "id").values_list("id", flat=True)[:SEND_LIMIT])
    for start in range(0, len(ids), SEND_BATCH):
        chunk = due.filter(pk__in=ids[start:start + SEND_BATCH]).select_related("route").order_by("next_attempt_at",
                                                                                                   "id")
        for delivery in chunk:
            if delivery.route_id in halted_routes or (
                    time_budget is not None and time.monotonic() - started > time_budget):
                summary.postponed += 1
                continue
            if not _claim(delivery, now=now):
                continue    # another worker has it
            answer = delivery_attempt(delivery=delivery, now=now)
            if delivery.status == DeliveryStatus.SENT:
                summary.sent += 1
            elif delivery.status == DeliveryStatus.RETRYING:
                summary.retrying += 1
            else:
                summary.failed += 1
            if answer.outcome == AttemptOutcome.RATE_LIMITED and delivery.next_attempt_at is not None:
                # Retry-After is the channel's: its other messages wait as long
                AlertDelivery.objects.filter(
                    route_id=delivery.route_id, status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING],
                    next_attempt_at__lt=delivery.next_attempt_at).update(next_attempt_at=delivery.next_attempt_at)
            if answer.outcome in (AttemptOutcome.RATE_LIMITED, AttemptOutcome.UNREACHABLE):
                halted_routes.add(delivery.route_id)   # the channel asked us to wait, or is not there
    return summary


def alerts_dispatch(*, now: datetime | None = None, force_digest: bool = False,
                    time_budget: float | None = None) -> DispatchSummary:
    """Route new finding events, build the digests that are due, send what is due."""
    now = now or timezone.now()
    summary = DispatchSummary()
    alerts_route(now=now, summary=summary)
    alerts_digest_build(now=now, force=force_digest, summary=summary)
    alerts_send_due(now=now, time_budget=time_budget, summary=summary)
    if summary.routed_events or summary.digests or summary.sent or summary.retrying or summary.failed:
        logger.info("alerts.dispatched %s", summary)
    return summary


def alerts_dispatch_after_crawl(*, run: Any = None) -> None:
    """Called once a crawl (and its findings evaluation) is committed. With a broker the dispatch is queued
    for a worker; in-process it runs here within AFTER_CRAWL_BUDGET seconds. Never raises: an alert that
    cannot go out is retried later, and never fails the crawl."""
    try:
        if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", True):
            summary = alerts_dispatch(time_budget=AFTER_CRAWL_BUDGET)
            logger.info("alerts.after_crawl run=%s %s", getattr(run, "pk", None), summary)
            return
        from footprint.alerts.tasks import alerts_dispatch as dispatch_task

        transaction.on_commit(lambda: _enqueue(dispatch_task, run))
    except Exception:  # noqa: BLE001 - alerts must never fail the crawl that fed them
        logger.exception("alerts.after_crawl_failed run=%s", getattr(run, "pk", None))


def _enqueue(task, run) -> None:
    try:
        task.delay()
    except Exception:  # noqa: BLE001 - the broker is down: the periodic dispatch will pick the events up
        logger.exception("alerts.enqueue_failed run=%s", getattr(run, "pk", None))


def alert_route_test(*, route: AlertRoute, now: datetime | None = None) -> AlertDelivery:
    """Send a test message to ``route`` now (once; a 429 or 5xx leaves it to the dispatcher's retries)."""
    now = now or timezone.now()
    delivery = AlertDelivery.objects.create(
        route=route, kind=DeliveryKind.TEST, event_kind=DeliveryKind.TEST, status=DeliveryStatus.PENDING,
        created_at=now, next_attempt_at=now, message=messages.hello_message(route_name=route.name, at=now))
    delivery_attempt(delivery=delivery, now=now)
    return delivery
