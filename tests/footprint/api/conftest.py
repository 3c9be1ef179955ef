"""Fixtures of the API tests: an authenticated client (an admin) and a small fleet with history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from collectors.spec import CrawlResult, GpuNode, Scope
from footprint.accounts.roles import Role
from footprint.findings.models import Finding
from footprint.inventory.ingest import deployments_reconcile
from footprint.inventory.models import Deployment, Source, Team
from tests.conftest import spec_make

T1 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _throttle_reset():
    cache.clear()  # throttling counts live in the cache; each test starts with none
    yield
    cache.clear()


@pytest.fixture
def user(db, django_user_model):
    """An admin: the endpoints' behaviour is tested as one; test_roles covers who else may do what."""
    user = django_user_model.objects.create_user(username="admin")  # no password: hashing is slow
    user.groups.add(Group.objects.get(name=Role.ADMIN))
    return user


@pytest.fixture
def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def crawl(source: Source, specs, *, at: datetime, nodes=()) -> None:
    deployments_reconcile(source=source, now=at, result=CrawlResult(
        specs=list(specs), gpu_nodes=list(nodes), scopes=[Scope()], started_at=at, finished_at=at))


@pytest.fixture
def fleet(db):
    """Source "fleet": on T1 chat (v1, search) and embed (ads, eu-west-1) and old (ended on T2); on T2 chat
    moves to version v2. GPU nodes in prod-a price chat and embed by instance type."""
    Team.objects.create(slug="search", name="Search")
    Team.objects.create(slug="ads", name="Ads")
    source = Source.objects.create(name="fleet", kind="file")
    nodes = [GpuNode(cluster="prod-a", name=f"n{i}", cloud="aws", region="us-east-1", instance_type="g5.12xlarge",
                     accelerator="A10G", allocatable=4, requested=2) for i in range(2)]
    chat = dict(name="chat-vllm", accelerator="A10G", image="vllm/vllm-openai:v0.6.3")
    embed = spec_make("embed-tei", engine="tei", team="ads", model="BAAI/bge-m3", accelerator="A10G",
                      image="ghcr.io/huggingface/text-embeddings-inference:1.5", environment="staging")
    old = spec_make("old-tgi", engine="tgi", model="mistralai/Mistral-7B", accelerator=None, per_replica=None,
                    cloud="unknown", region=None, environment="dev")
    crawl(source, [spec_make(version="v1", observed_at=T1, **chat), embed, old], at=T1, nodes=nodes)
    crawl(source, [spec_make(version="v2", observed_at=T2, **chat), embed], at=T2, nodes=nodes)
    return source


def finding_make(*, team: Team | None, deployment: Deployment | None = None, rule: str = "waste.idle_gpu_nodes",
                 severity: str = "high", impact: str | None = "100.00", subject: str = "prod-a/llm/chat-vllm",
                 **fields) -> Finding:
    now = timezone.now()
    return Finding.objects.create(
        rule=rule, title=f"{rule} on {subject}", severity=severity, fingerprint=f"{rule}|{subject}",
        key=fields.pop("key", f"deployment|{subject}"), subject=subject, team=team, deployment=deployment,
        cluster=deployment.cluster if deployment else None, impact_monthly=impact,
        first_seen=fields.pop("first_seen", now), opened_at=fields.pop("opened_at", now), last_seen=now, **fields)
