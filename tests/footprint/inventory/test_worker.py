"""A crawl through a real Redis broker and a real `celery -A footprint worker` process.

The test process enqueues by task name on a queue of its own (so no other worker on the same Redis takes
the message); the worker runs with DATABASE_URL pointing at this test's database (a file on SQLite, see
tests/conftest.py), which is why the test is transactional: the worker must see committed rows. With
CI set, a Redis that cannot be reached fails the test instead of skipping it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection

from collectors.simulator import FleetSimulator, load_scenario
from footprint.inventory.models import CrawlRun, Deployment, GpuNodeSnapshot
from footprint.inventory.sources import source_create

BROKER = os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/0"
ROOT = Path(__file__).resolve().parents[3]


def redis_required() -> None:
    import redis

    try:
        redis.Redis.from_url(BROKER, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.exceptions.RedisError as error:
        message = f"Redis is not reachable at {BROKER}: {error}"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the worker test against a real Redis broker. {message}")
        pytest.skip(message)


def database_url() -> str:
    """The URL of the database this test uses, for the worker process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        assert "memory" not in str(db["NAME"]), "the worker needs a file database (see tests/conftest.py)"
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    assert connection.vendor == "postgresql", connection.vendor
    credentials = quote(db["USER"] or "", safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_a_crawl_runs_in_a_real_worker_through_redis(tmp_path):
    redis_required()
    queue = f"footprint-test-{uuid.uuid4().hex[:12]}"
    log = tmp_path / "worker.log"
    client = Celery("footprint-test", broker=BROKER, backend=BROKER)
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": BROKER,
        "CELERY_RESULT_BACKEND": BROKER,
        "SECRET_KEY": settings.SECRET_KEY,
        "FOOTPRINT_FERNET_KEY": settings.FERNET_KEY,  # the worker decrypts the credentials this test stored
        "FOOTPRINT_LOG_LEVEL": "INFO",
    }
    with FleetSimulator(load_scenario("smoke")) as sim, log.open("w") as output:
        kubeconfig = sim.kubeconfig(tmp_path / "kubeconfig")
        source = source_create(name="smoke", kind="kubernetes",
                               credentials={"kubeconfig": Path(kubeconfig).read_text()})
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "footprint", "worker", "--queues", queue, "--pool", "prefork",
             "--concurrency", "1", "--hostname", f"{queue}@%h", "--without-gossip", "--without-mingle",
             "--without-heartbeat", "--loglevel", "INFO"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )
        try:
            result = client.send_task("footprint.inventory.crawl_source", args=[source.pk], queue=queue)
            try:
                outcome = result.get(timeout=60)
            except Exception as error:  # noqa: BLE001 - show the worker's log with whatever went wrong
                pytest.fail(f"no result from the worker ({type(error).__name__}: {error}); its log:\n"
                            f"{log.read_text()[-4000:]}")
            result.forget()
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
            client.close()

    run = CrawlRun.objects.get()
    assert outcome == {"source": source.pk, "status": "ok", "run": run.pk}
    assert run.status == "ok" and run.deployments_new == 9
    assert Deployment.objects.filter(source=source, ended_at__isnull=True).count() == 9
    assert GpuNodeSnapshot.objects.filter(run=run).count() == 14
    assert "footprint.inventory.crawl_source" in log.read_text()
