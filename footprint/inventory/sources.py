"""Source services: create, change and delete sources, with their settings and credentials validated
by the provider, and their beat schedule (one django-celery-beat PeriodicTask per source) kept in step.

The schedule is written here, in the same transaction as the source, and not from signals: a signal
misses queryset updates and hides the write from whoever reads the service.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from collectors.errors import CollectorError
from collectors.registry import provider
from collectors.usage import usage_split, usage_validate
from footprint.inventory.choices import SourceKind
from footprint.inventory.models import Source

CRAWL_TASK = "footprint.inventory.crawl_source"
_UNSET: Any = object()


def source_credentials(*, source: Source) -> dict[str, Any]:
    """The decrypted credentials object of ``source`` (``{}`` when none are stored)."""
    return credentials_parse(source.credentials)


def credentials_parse(text: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise ValidationError({"credentials": "credentials must be a JSON object of the provider's secret fields, "
                                              'e.g. {"kubeconfig": "..."}'})
    return value


def source_config_validate(*, kind: str, settings: Mapping[str, Any], credentials: Mapping[str, Any]) -> None:
    """Raise ValidationError naming the field (``settings`` or ``credentials``) and what is wrong with it."""
    if not isinstance(settings, Mapping):
        raise ValidationError({"settings": "settings must be a JSON object"})
    if not isinstance(credentials, Mapping):
        raise ValidationError({"credentials": "credentials must be a JSON object"})
    if kind == SourceKind.FILE:
        # Fed by `manage.py ingest`; nothing is crawled, so nothing secret is needed.
        if credentials:
            raise ValidationError({"credentials": "a file source takes no credentials"})
        return
    try:
        described = provider(kind)
    except CollectorError as error:
        raise ValidationError({"kind": error.message}) from None
    # Twice, so that the error lands on the right field: settings alone, then with the credentials.
    # settings.prometheus / settings.usage / credentials.prometheus are the usage step's (collectors/usage.py),
    # checked by it; the provider checks the rest.
    for field, secrets in (("settings", {}), ("credentials", credentials)):
        try:
            usage_validate(settings, secrets)
            described.validate(*usage_split(settings, secrets))
        except CollectorError as error:
            raise ValidationError({field: f"{field}: {error.message}" if field == "settings" else error.message}) \
                from None


def source_create(*, name: str, kind: str, settings: Mapping[str, Any] | None = None,
                  credentials: Mapping[str, Any] | None = None, interval_minutes: int = 60,
                  enabled: bool = True) -> Source:
    """A new source, validated, with its beat schedule."""
    source = Source(name=name, kind=kind, settings=dict(settings or {}), interval_minutes=interval_minutes,
                    enabled=enabled)
    return source_save(source=source, credentials=credentials or {})


def source_update(*, source: Source, name: str = _UNSET, kind: str = _UNSET,
                  settings: Mapping[str, Any] = _UNSET, credentials: Mapping[str, Any] | None = _UNSET,
                  interval_minutes: int = _UNSET, enabled: bool = _UNSET) -> Source:
    """Change what is given; credentials left out are kept, ``credentials=None`` or ``{}`` removes them.
    Settings and kept credentials are validated together again, and the schedule follows."""
    for field, value in (("name", name), ("kind", kind), ("interval_minutes", interval_minutes),
                         ("enabled", enabled)):
        if value is not _UNSET:
            setattr(source, field, value)
    if settings is not _UNSET:
        source.settings = dict(settings)
    if credentials is _UNSET:
        kept = source_credentials(source=source)
    else:
        kept = dict(credentials or {})
    return source_save(source=source, credentials=kept)


def source_delete(*, source: Source) -> None:
    """Delete the source (its deployments, history and crawl runs go with it) and its schedule."""
    with transaction.atomic():
        if source.schedule_id is not None:
            PeriodicTask.objects.filter(pk=source.schedule_id).delete()
        source.delete()


def source_schedule_sync(*, source: Source) -> PeriodicTask | None:
    """Make the source's PeriodicTask match it: interval, enabled, name. File sources get none (nothing to
    crawl). Saved one by one so django-celery-beat notices the change (it listens to the model's save)."""
    task = PeriodicTask.objects.filter(pk=source.schedule_id).first() if source.schedule_id else None
    if source.kind == SourceKind.FILE:
        if task is not None:
            task.delete()
            Source.objects.filter(pk=source.pk).update(schedule=None)
            source.schedule = None
        return None
    interval = (IntervalSchedule.objects.filter(every=source.interval_minutes, period=IntervalSchedule.MINUTES)
                .order_by("id").first()
                or IntervalSchedule.objects.create(every=source.interval_minutes, period=IntervalSchedule.MINUTES))
    task = task or PeriodicTask(task=CRAWL_TASK)
    task.name = f"crawl source {source.name}"
    # An entry left by a source deleted behind the services' back would hold the (unique) name.
    PeriodicTask.objects.filter(name=task.name, task=CRAWL_TASK).exclude(pk=task.pk).delete()
    task.task = CRAWL_TASK
    task.args = json.dumps([source.pk])
    task.kwargs = "{}"
    task.interval = interval
    task.enabled = source.enabled
    # A tick no worker picked up before the next one was due is dropped rather than piling up.
    task.expire_seconds = source.interval_minutes * 60
    task.description = f"Crawls the {source.kind} source {source.name!r} every {source.interval_minutes} min."
    task.save()
    if source.schedule_id != task.pk:
        Source.objects.filter(pk=source.pk).update(schedule=task)
        source.schedule = task
    return task


def source_save(*, source: Source, credentials: Mapping[str, Any]) -> Source:
    """Validate and save a Source whose fields a form has already set (new or existing), storing
    ``credentials`` as given, and sync its schedule. source_create/source_update are built on it."""
    credentials = dict(credentials)
    if source.interval_minutes is None or source.interval_minutes < 1:
        raise ValidationError({"interval_minutes": "interval_minutes must be at least 1"})
    source_config_validate(kind=source.kind, settings=source.settings, credentials=credentials)
    source.credentials = json.dumps(credentials, sort_keys=True) if credentials else ""
    source.full_clean(exclude=["credentials", "schedule"])
    with transaction.atomic():
        source.save()
        source_schedule_sync(source=source)
    return source
