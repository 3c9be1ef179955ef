"""Reconcile one crawl of one source with the stored inventory (DESIGN.md "Reconcile rules").

One transaction, a query count that depends on the number of batches, not on the number of specs:
existing live deployments are loaded in one query and diffed in Python by identity (``WorkloadRef.key``)
and ``material_hash``; rows are then written in batches of BATCH_SIZE with bulk_create, set-based
UPDATEs and ``UPDATE .. FROM (VALUES ..)`` (``bulk.py``; Django's bulk_update is quadratic per batch).

- new workload            → Deployment + open revision
- reappearing (ended) one → reopened: ended_at cleared, new open revision
- material change         → open revision closed at the observation time, a new one opened
- no material change      → last_seen / ready / spec refreshed, stale cleared, no revision written
- live, unseen, its (cluster, namespace) had an error   → marked stale with the error message
- live, unseen, covered by a scope and no error there   → ended, open revision closed
- live, unseen, neither                                  → left alone

The crawl's GPU nodes and pending GPU pods are written in the same transaction (``capacity.py``), and
the source's health (``source_health_record``) too: one place decides what a crawl's status means.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

from django.db import connection, transaction
from django.db.models import DateTimeField, F, TextField, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.text import slugify

from collectors.spec import CrawlError, CrawlResult, ModelSpec, Owner
from footprint.inventory.bulk import rows_update, update_from_supported, values_update
from footprint.inventory.capacity import capacity_clusters, capacity_record
from footprint.inventory.choices import CrawlStatus
from footprint.inventory.models import (
    Cluster,
    CrawlRun,
    Deployment,
    DeploymentRevision,
    Model,
    OwnershipRule,
    Source,
    Team,
)

logger = logging.getLogger("footprint.inventory")

BATCH_SIZE = 1000

Key = tuple[str, str, str, str, str]  # WorkloadRef.key: cluster, namespace, kind, name, unit
T = TypeVar("T")

# Columns written on every deployment that was seen with a material change (or reopened / created).
_SEEN_FIELDS = [
    "cluster_name", "namespace", "kind", "name", "unit", "cloud", "region", "engine", "platform", "image",
    "engine_version", "model_version", "accelerator_type", "accelerator_per_replica", "accelerator_total",
    "replicas_desired", "environment", "variant", "owner_source", "workload_created_at", "spec", "spec_hash",
    "model", "team", "cluster", "replicas_ready", "last_seen", "ended_at", "stale", "stale_reason",
    "stale_since",
]
# Seen without a material change: only what is allowed to move without a revision.
_UNCHANGED_FIELDS = [
    "spec", "replicas_ready", "last_seen", "stale", "stale_reason", "stale_since", "model", "team", "cluster",
]
_STALE_FIELDS = ["stale", "stale_reason", "stale_since"]
_SEEN_ATTNAMES = [Deployment._meta.get_field(name).attname for name in _SEEN_FIELDS]
_CLIPPED = ("region", "image", "engine_version", "model_version", "owner_source")


def material_hash(spec: ModelSpec) -> str:
    """sha256 of ``spec.material()``: equal hashes mean no new revision."""
    text = json.dumps(spec.material(), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@functools.lru_cache(maxsize=4096)
def team_slug(team: str | None) -> str:
    return slugify(team or "")[:100]


@dataclass
class _Observed:
    spec: ModelSpec
    document: dict[str, Any]
    spec_hash: str
    observed_at: datetime


class _Row(NamedTuple):
    id: int
    cluster_name: str
    namespace: str
    kind: str
    name: str
    unit: str
    spec_hash: str
    stale: bool
    stale_reason: str
    stale_since: datetime | None
    ended_at: datetime | None

    @property
    def key(self) -> Key:
        return (self.cluster_name, self.namespace, self.kind, self.name, self.unit)


_ROW_COLUMNS = _Row._fields


@dataclass
class _References:
    clusters: dict[str, int] = field(default_factory=dict)
    models: dict[str, int] = field(default_factory=dict)
    teams: dict[str, int] = field(default_factory=dict)


@dataclass
class _Counts:
    new: int = 0
    reopened: int = 0
    changed: int = 0
    unchanged: int = 0
    ended: int = 0
    stale: int = 0


def deployments_reconcile(
    *, source: Source, result: CrawlResult, now: datetime | None = None, run: CrawlRun | None = None
) -> CrawlRun:
    """Apply one crawl's result to ``source``'s deployments and record it as a CrawlRun.

    ``run``: an existing (running) CrawlRun to complete instead of creating one.
    """
    now = now or timezone.now()
    crawl_time = result.finished_at or now
    counts = _Counts()
    _sqlite_variable_limit_use()
    with transaction.atomic():
        rules = list(OwnershipRule.objects.filter(enabled=True).select_related("team").order_by("priority", "id"))
        observed = _observe(result.specs, rules=rules, crawl_time=crawl_time)
        refs = _references_ensure(source=source, observed=observed.values(),
                                  capacity=capacity_clusters(result=result))
        live = {
            row.key: row
            for row in map(
                _Row._make,
                Deployment.objects.filter(source=source, ended_at__isnull=True).values_list(*_ROW_COLUMNS),
            )
        }
        ended = _ended_load(source=source, keys=[key for key in observed if key not in live])

        created: list[tuple[Deployment, _Observed]] = []
        rewritten: list[tuple[_Row, _Observed]] = []  # changed or reopened: new revision on an existing row
        unchanged: list[tuple[_Row, _Observed]] = []
        for key, obs in observed.items():
            row = live.get(key)
            if row is None and key in ended:
                rewritten.append((ended[key], obs))
                counts.reopened += 1
            elif row is None:
                created.append((_deployment_new(source=source, obs=obs, refs=refs), obs))
            elif row.spec_hash != obs.spec_hash:
                rewritten.append((row, obs))
                counts.changed += 1
            else:
                unchanged.append((row, obs))
        counts.new = len(created) + counts.reopened
        counts.unchanged = len(unchanged)

        to_end: list[int] = []
        to_stale: list[tuple[int, bool, str, datetime]] = []
        errors = sorted(result.errors, key=lambda e: (e.scope.cluster is None, e.scope.namespace is None))
        for key, row in live.items():
            if key in observed:
                continue
            error = _error_for(errors, cluster=row.cluster_name, namespace=row.namespace)
            if error is not None:
                counts.stale += 1
                if not (row.stale and row.stale_reason == error.message):
                    to_stale.append((row.id, True, error.message, row.stale_since if row.stale else crawl_time))
            elif result.covers(row.cluster_name, row.namespace):
                to_end.append(row.id)
        counts.ended = len(to_end)

        revisions = _rewritten_write(source=source, rewritten=rewritten, refs=refs)
        for batch in _chunks(created, BATCH_SIZE):
            Deployment.objects.bulk_create([deployment for deployment, _ in batch])
        revisions += [
            _revision(deployment_id=deployment.pk, source=source, obs=obs, refs=refs, valid_from=obs.observed_at)
            for deployment, obs in created
        ]
        for batch in _chunks(revisions, BATCH_SIZE):
            DeploymentRevision.objects.bulk_create(batch)
        _unchanged_write(unchanged=unchanged, refs=refs)
        _deployments_end(ids=to_end, at=crawl_time)
        rows_update(Deployment, _STALE_FIELDS, to_stale, batch_size=BATCH_SIZE)

        status = CrawlStatus.OK
        if result.errors:
            status = CrawlStatus.PARTIAL if result.scopes else CrawlStatus.FAILED
        run = _run_record(source=source, result=result, run=run, status=status, counts=counts,
                          specs_seen=len(observed), now=now)
        gpu_nodes, pending_pods = capacity_record(source=source, result=result, run=run, at=crawl_time)
        source_health_record(source=source, status=status, at=crawl_time)

    logger.info(
        "inventory.reconciled source=%s run=%s status=%s specs=%d new=%d reopened=%d changed=%d "
        "unchanged=%d ended=%d stale=%d errors=%d gpu_nodes=%d pending_gpu_pods=%d",
        source.name, run.pk, status, len(observed), counts.new, counts.reopened, counts.changed,
        counts.unchanged, counts.ended, counts.stale, len(result.errors), gpu_nodes, pending_pods,
    )
    return run


# --- reading the crawl -----------------------------------------------------------------------


def _observe(specs: Iterable[ModelSpec], *, rules: Sequence[OwnershipRule], crawl_time: datetime) -> dict[Key, _Observed]:
    observed: dict[Key, _Observed] = {}
    for spec in specs:
        if not spec.owner.team:
            rule = next((rule for rule in rules if rule.matches(spec)), None)
            if rule is not None:
                spec = replace(spec, owner=Owner(team=rule.team.slug, contact=spec.owner.contact,
                                                  source=f"rule:{rule.pk}"))
        if spec.observed_at is None:
            spec = replace(spec, observed_at=crawl_time)
        key = spec.workload.key
        if key in observed:
            # Last one wins; a collector emitting the same workload twice is a collector bug to fix.
            logger.warning("inventory.duplicate_workload key=%s", "/".join(key))
        observed[key] = _Observed(spec=spec, document=spec.to_dict(), spec_hash=material_hash(spec),
                                  observed_at=spec.observed_at)
    return observed


def _error_for(errors: Sequence[CrawlError], *, cluster: str, namespace: str) -> CrawlError | None:
    """The most specific error whose scope covers (cluster, namespace); errors come sorted that way."""
    return next((error for error in errors if error.scope.covers(cluster, namespace)), None)


# --- referenced rows: clusters, models, teams ------------------------------------------------


def _references_ensure(*, source: Source, observed: Iterable[_Observed],
                       capacity: dict[str, tuple[str, str]] | None = None) -> _References:
    """Get-or-create, in bulk, the clusters, models and teams the specs name, and the clusters that only
    the capacity rows name (``capacity``: name → (cloud, region))."""
    clusters: dict[str, tuple[str, str]] = dict(capacity or {})
    models: set[str] = set()
    teams: dict[str, Owner] = {}
    for obs in observed:
        spec = obs.spec
        workload = spec.workload
        if workload.cluster:
            cloud, region = clusters.get(workload.cluster, ("unknown", ""))
            if workload.cloud != "unknown":
                cloud = workload.cloud
            clusters[workload.cluster] = (cloud, workload.region or region)
        if spec.model.name:
            models.add(spec.model.name)
        slug = team_slug(spec.owner.team)
        if slug and slug not in teams:
            teams[slug] = spec.owner
    return _References(
        clusters=_clusters_ensure(source=source, wanted=clusters),
        models=_rows_ensure(
            Model, "name", {name: Model(name=name) for name in models}
        ),
        teams=_rows_ensure(
            Team, "slug",
            {slug: Team(slug=slug, name=(owner.team or slug)[:200], contact=(owner.contact or "")[:200])
             for slug, owner in teams.items()},
        ),
    )


def _rows_ensure(model: type[Model] | type[Team], natural_key: str, wanted: dict[str, Any]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for batch in _chunks(sorted(wanted), BATCH_SIZE):
        ids.update(model.objects.filter(**{f"{natural_key}__in": batch}).values_list(natural_key, "id"))
    missing = [wanted[name] for name in sorted(wanted) if name not in ids]
    if missing:
        # ignore_conflicts: another source's crawl may create the same team or model concurrently.
        model.objects.bulk_create(missing, batch_size=BATCH_SIZE, ignore_conflicts=True)
        for batch in _chunks([getattr(row, natural_key) for row in missing], BATCH_SIZE):
            ids.update(model.objects.filter(**{f"{natural_key}__in": batch}).values_list(natural_key, "id"))
    return ids


def _clusters_ensure(*, source: Source, wanted: dict[str, tuple[str, str]]) -> dict[str, int]:
    ids: dict[str, int] = {}
    stored: list[Cluster] = []
    for batch in _chunks(sorted(wanted), BATCH_SIZE):
        stored += Cluster.objects.filter(source=source, name__in=batch).only("id", "name", "cloud", "region")
    outdated = []
    for cluster in stored:
        ids[cluster.name] = cluster.pk
        cloud, region = wanted[cluster.name]
        if (cloud != "unknown" and cloud != cluster.cloud) or (region and region != cluster.region):
            cluster.cloud = cloud if cloud != "unknown" else cluster.cloud
            cluster.region = region or cluster.region
            outdated.append(cluster)
    if outdated:
        Cluster.objects.bulk_update(outdated, ["cloud", "region"], batch_size=BATCH_SIZE)
    missing = [
        Cluster(source=source, name=name, cloud=cloud, region=region)
        for name, (cloud, region) in sorted(wanted.items()) if name not in ids
    ]
    if missing:
        for batch in _chunks(missing, BATCH_SIZE):
            Cluster.objects.bulk_create(batch)
        ids.update((cluster.name, cluster.pk) for cluster in missing)
    return ids


def _ended_load(*, source: Source, keys: Sequence[Key]) -> dict[Key, _Row]:
    """Ended deployments among ``keys`` (candidates for reopening), looked up by name in batches."""
    if not keys or not Deployment.objects.filter(source=source, ended_at__isnull=False).exists():
        return {}
    wanted = set(keys)
    found: dict[Key, _Row] = {}
    for batch in _chunks(sorted({key[3] for key in keys}), BATCH_SIZE):
        rows = Deployment.objects.filter(source=source, ended_at__isnull=False, name__in=batch)
        for row in map(_Row._make, rows.values_list(*_ROW_COLUMNS)):
            if row.key in wanted:
                found[row.key] = row
    return found


# --- writing ---------------------------------------------------------------------------------


def _columns(obs: _Observed, refs: _References) -> dict[str, Any]:
    """The denormalised WorkloadColumns of one observed spec."""
    spec = obs.spec
    workload = spec.workload
    columns = {
        "cluster_name": workload.cluster or "", "namespace": workload.namespace or "",
        "kind": workload.kind, "name": workload.name, "unit": workload.unit or "",
        "cloud": workload.cloud, "region": workload.region or "",
        "engine": spec.runtime.engine, "platform": spec.runtime.platform, "image": spec.runtime.image or "",
        "engine_version": spec.runtime.engine_version or "", "model_version": spec.model.version or "",
        "accelerator_type": spec.accelerator.type or "",
        "accelerator_per_replica": spec.accelerator.per_replica, "accelerator_total": spec.accelerator.total,
        "replicas_desired": spec.replicas.desired, "environment": spec.environment or "",
        "variant": spec.variant or "", "owner_source": spec.owner.source or "",
        "workload_created_at": workload.created_at, "spec": obs.document, "spec_hash": obs.spec_hash,
        "model_id": refs.models.get(spec.model.name or ""), "team_id": refs.teams.get(team_slug(spec.owner.team)),
    }
    # These columns are for filtering; the exact value always stays in ``spec``.
    for name in _CLIPPED:
        columns[name] = columns[name][: _MAX_LENGTHS[name]]
    return columns


_MAX_LENGTHS = {name: Deployment._meta.get_field(name).max_length for name in _CLIPPED}


def _live_columns(obs: _Observed, refs: _References) -> dict[str, Any]:
    return {
        "cluster_id": refs.clusters.get(obs.spec.workload.cluster or ""),
        "replicas_ready": obs.spec.replicas.ready, "last_seen": obs.observed_at,
        "ended_at": None, "stale": False, "stale_reason": "", "stale_since": None,
    }


def _deployment_new(*, source: Source, obs: _Observed, refs: _References) -> Deployment:
    return Deployment(source=source, first_seen=obs.observed_at, **_columns(obs, refs), **_live_columns(obs, refs))


def _revision(*, deployment_id: int, source: Source, obs: _Observed, refs: _References,
              valid_from: datetime) -> DeploymentRevision:
    return DeploymentRevision(deployment_id=deployment_id, source=source, valid_from=valid_from,
                              **_columns(obs, refs))


def _rewritten_write(*, source: Source, rewritten: list[tuple[_Row, _Observed]],
                     refs: _References) -> list[DeploymentRevision]:
    """Close the open revisions of changed deployments, rewrite their rows; return the new revisions."""
    revisions: list[DeploymentRevision] = []
    for batch in _chunks(rewritten, BATCH_SIZE):
        observed_at = {row.id: obs.observed_at for row, obs in batch}
        open_revisions = DeploymentRevision.objects.filter(
            deployment_id__in=[row.id for row, _ in batch if row.ended_at is None], valid_to__isnull=True
        ).values_list("id", "deployment_id", "valid_from")
        closed = []
        valid_from: dict[int, datetime] = {}
        for revision_id, deployment_id, revision_start in open_revisions:
            # A crawl ingested late must not make an interval run backwards.
            valid_to = max(observed_at[deployment_id], revision_start)
            valid_from[deployment_id] = valid_to
            closed.append((revision_id, valid_to))
        rows_update(DeploymentRevision, ["valid_to"], closed, batch_size=BATCH_SIZE)
        deployments = []
        for row, obs in batch:
            start = valid_from.get(row.id, obs.observed_at)
            if row.ended_at is not None:
                start = max(start, row.ended_at)
            values = {**_columns(obs, refs), **_live_columns(obs, refs)}
            deployments.append((row.id, *(values[name] for name in _SEEN_ATTNAMES)))
            revisions.append(_revision(deployment_id=row.id, source=source, obs=obs, refs=refs, valid_from=start))
        rows_update(Deployment, _SEEN_FIELDS, deployments, batch_size=BATCH_SIZE)
    return revisions


def _unchanged_write(*, unchanged: list[tuple[_Row, _Observed]], refs: _References) -> None:
    """Refresh what may move without a revision. The stored spec differs from the new document only in
    ``observedAt`` and ``replicas.ready`` (everything else is in the hash), so only those two values
    travel and the database patches the JSON in place: sending 20,000 whole documents doubled the time."""
    if not update_from_supported(Deployment):
        rows_update(Deployment, _UNCHANGED_FIELDS, [
            (row.id, obs.document, obs.spec.replicas.ready, obs.observed_at, False, "", None,
             refs.models.get(obs.spec.model.name or ""), refs.teams.get(team_slug(obs.spec.owner.team)),
             refs.clusters.get(obs.spec.workload.cluster or ""))
            for row, obs in unchanged
        ], batch_size=BATCH_SIZE)
        return
    rows = []
    for row, obs in unchanged:
        spec = obs.spec
        rows.append((
            row.id, obs.document["observedAt"], spec.replicas.ready, obs.observed_at,
            refs.models.get(spec.model.name or ""), refs.teams.get(team_slug(spec.owner.team)),
            refs.clusters.get(spec.workload.cluster or ""),
        ))
    field = Deployment._meta.get_field
    columns = [field("id"), TextField(), field("replicas_ready"), field("last_seen"), field("model"),
               field("team"), field("cluster")]
    quote = connection.ops.quote_name
    spec = quote("spec")
    if connection.vendor == "postgresql":
        patched = (f"jsonb_set(jsonb_set({spec}, '{{observedAt}}', to_jsonb(v.column2)), '{{replicas,ready}}', "
                   "COALESCE(to_jsonb(v.column3), 'null'::jsonb))")
    else:
        patched = f"json_set({spec}, '$.observedAt', v.column2, '$.replicas.ready', v.column3)"
    assignments = (
        f"{spec} = {patched}, {quote('replicas_ready')} = v.column3, {quote('last_seen')} = v.column4, "
        f"{quote('model_id')} = v.column5, {quote('team_id')} = v.column6, {quote('cluster_id')} = v.column7, "
        f"{quote('stale')} = FALSE, {quote('stale_reason')} = '', {quote('stale_since')} = NULL"
    )
    values_update(Deployment, assignments, columns, rows, batch_size=BATCH_SIZE)


def _deployments_end(*, ids: list[int], at: datetime) -> None:
    closing_time = Greatest(Value(at, output_field=DateTimeField()), F("valid_from"))
    for batch in _chunks(ids, BATCH_SIZE):
        DeploymentRevision.objects.filter(deployment_id__in=batch, valid_to__isnull=True).update(
            valid_to=closing_time
        )
        Deployment.objects.filter(id__in=batch).update(ended_at=at, stale=False, stale_reason="", stale_since=None)


def _run_record(*, source: Source, result: CrawlResult, run: CrawlRun | None, status: str, counts: _Counts,
                specs_seen: int, now: datetime) -> CrawlRun:
    run = run or CrawlRun(source=source)
    run.started_at = run.started_at or result.started_at or now
    run.finished_at = result.finished_at or now
    run.status = status
    run.objects_seen = result.objects_seen
    run.pages = result.pages
    run.specs_seen = specs_seen
    run.deployments_new = counts.new
    run.deployments_reopened = counts.reopened
    run.deployments_changed = counts.changed
    run.deployments_unchanged = counts.unchanged
    run.deployments_ended = counts.ended
    run.deployments_stale = counts.stale
    run.errors = [error.to_dict() for error in result.errors]
    run.scopes = [{"cluster": scope.cluster, "namespace": scope.namespace} for scope in result.scopes]
    run.save()
    return run


def source_health_record(*, source: Source, status: str, at: datetime) -> None:
    """The one place a crawl's outcome moves a source's health. Failed: one more consecutive failure.
    OK or partial: the source was reached, failures reset (a partial crawl's errors live on its run and
    as stale marks on the deployments it could not see)."""
    source.last_crawl_at = at
    if status == CrawlStatus.FAILED:
        source.consecutive_failures += 1
    else:
        source.consecutive_failures = 0
        source.last_success_at = at
    source.save(update_fields=["last_crawl_at", "last_success_at", "consecutive_failures"])


def _sqlite_variable_limit_use() -> None:
    """Let bulk writes use SQLite's real bound-variable limit.

    Django 5.2 assumes the pre-3.32 limit of 999, so a 1000-row bulk_create of a 35-column table becomes
    ~36 INSERTs; Django 6.0 reads the connection's limit instead (ticket #36143). Same here, per connection.
    """
    if connection.vendor != "sqlite":
        return
    connection.ensure_connection()
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    if limit > connection.features.max_query_params:
        connection.features.max_query_params = limit


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
