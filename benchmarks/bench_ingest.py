#!/usr/bin/env python
"""Ingest benchmark: reconcile N generated ModelSpecs into a throwaway database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python benchmarks/bench_ingest.py --n 20000
    python benchmarks/bench_ingest.py --n 5000          # SQLite (a temporary file)

Phases: first crawl (all new), unchanged re-crawl, re-crawl with 1% changed. For each: seconds, SQL
queries, revisions written. Targets: first crawl < 20 s; unchanged re-crawl < 5 s writing no revision.
The database is created next to the configured one (``footprint_bench_<pid>``) and dropped at the end.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "footprint.settings")

FIRST_TARGET_S = 20.0
UNCHANGED_TARGET_S = 5.0


def _keys_for_standalone_run() -> None:
    """With DATABASE_URL set, settings demand real keys; a benchmark has nothing to protect."""
    from cryptography.fernet import Fernet

    os.environ.setdefault("SECRET_KEY", "benchmark-only-" + Fernet.generate_key().decode())
    os.environ.setdefault("FOOTPRINT_FERNET_KEY", Fernet.generate_key().decode())


def specs_generate(n: int, *, observed_at: datetime) -> list:
    """A fleet shaped like a real one: clusters in several clouds, a few dozen models, engines, GPUs."""
    from collectors.spec import Accelerator, ModelRef, ModelSpec, Owner, Replicas, Runtime, WorkloadRef

    clouds = [("aws", "us-east-1"), ("aws", "eu-west-1"), ("gcp", "us-central1"), ("azure", "westeurope"),
              ("coreweave", "LAS1"), ("nebius", "eu-north1")]
    engines = [("vllm", "vllm/vllm-openai:v0.6.3", "0.6.3"), ("tgi", "ghcr.io/huggingface/text-generation-inference:2.4",
               "2.4"), ("sglang", "lmsysorg/sglang:v0.4.0", "0.4.0"), ("triton", "nvcr.io/nvidia/tritonserver:24.10",
               "24.10"), ("tei", "ghcr.io/huggingface/text-embeddings-inference:1.5", "1.5")]
    gpus = ["A100-80GB", "H100-80GB", "L4", "A10G", "L40S", "H200-141GB"]
    specs = []
    for i in range(n):
        cloud, region = clouds[i % len(clouds)]
        engine, image, version = engines[i % len(engines)]
        replicas = 1 + i % 4
        per_replica = 1 + i % 2
        specs.append(ModelSpec(
            workload=WorkloadRef(kind="Deployment", name=f"serve-{i}", namespace=f"ns-{i % 40}", cloud=cloud,
                                 region=region, cluster=f"{cloud}-{region}-{i % 60}".lower(), source="bench"),
            model=ModelRef(name=f"org-{i % 7}/model-{i % 45}", version=None if i % 3 else "v1"),
            runtime=Runtime(engine=engine, platform="kubernetes", image=image, engine_version=version,
                            settings={"tensorParallelSize": per_replica, "maxModelLen": 8192}),
            replicas=Replicas(desired=replicas, ready=replicas),
            accelerator=Accelerator(type=gpus[i % len(gpus)], per_replica=per_replica, total=per_replica * replicas,
                                    source="nodeSelector"),
            owner=Owner(team=f"team-{i % 25}", source="label:team"),
            environment=("prod", "staging", "dev")[i % 3],
            labels={"app": f"serve-{i}"},
            observed_at=observed_at,
        ))
    return specs


def phase(name: str, source, specs: list, *, at: datetime) -> dict:
    from django.db import connection

    from collectors.spec import CrawlResult, Scope
    from footprint.inventory.ingest import deployments_reconcile
    from footprint.inventory.models import DeploymentRevision

    result = CrawlResult(specs=[replace(s, observed_at=at) for s in specs], scopes=[Scope()],
                         objects_seen=len(specs), started_at=at, finished_at=at)
    before = DeploymentRevision.objects.count()
    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        run = deployments_reconcile(source=source, result=result, now=at)
        seconds = time.perf_counter() - started
    revisions = DeploymentRevision.objects.count() - before
    return {"phase": name, "seconds": seconds, "queries": queries, "revisions": revisions, "run": run.summary()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20000, help="number of specs (default 20000)")
    parser.add_argument("--changed", type=float, default=0.01, help="share changed in the last phase")
    args = parser.parse_args()

    _keys_for_standalone_run()
    import django

    django.setup()
    logging.getLogger("footprint.inventory").setLevel(logging.WARNING)  # one line per crawl is noise here
    from django.db import connection

    from footprint.inventory.models import Source

    settings_dict = connection.settings_dict
    old_name = settings_dict["NAME"]
    if connection.vendor == "sqlite":
        bench_name = str(Path(tempfile.gettempdir()) / f"footprint_bench_{os.getpid()}.sqlite3")
    else:
        bench_name = f"footprint_bench_{os.getpid()}"
    settings_dict.setdefault("TEST", {})["NAME"] = bench_name
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    backend = connection.vendor
    if backend == "postgresql":
        backend += f" {connection.pg_version // 10000}"
    try:
        t0 = datetime(2026, 6, 1, tzinfo=UTC)
        specs = specs_generate(args.n, observed_at=t0)
        step = max(1, round(1 / args.changed)) if args.changed else 0
        changed = [
            replace(s, runtime=replace(s.runtime, image=s.runtime.image + "-patch1")) if step and i % step == 0 else s
            for i, s in enumerate(specs)
        ]
        source = Source.objects.create(name="bench", kind="file")
        rows = [
            phase("first crawl", source, specs, at=t0),
            phase("unchanged re-crawl", source, specs, at=t0 + timedelta(hours=1)),
            phase(f"{args.changed:.0%} changed", source, changed, at=t0 + timedelta(hours=2)),
        ]
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    print(f"bench_ingest: {args.n} specs, {backend}")
    print(f"{'phase':<20} {'seconds':>8} {'queries':>8} {'revisions':>10}  run")
    for row in rows:
        print(f"{row['phase']:<20} {row['seconds']:>8.2f} {row['queries']:>8} {row['revisions']:>10}  {row['run']}")
    first, unchanged = rows[0], rows[1]
    ok = first["seconds"] < FIRST_TARGET_S and unchanged["seconds"] < UNCHANGED_TARGET_S and unchanged["revisions"] == 0
    print(f"targets: first < {FIRST_TARGET_S:.0f} s ({first['seconds'] / FIRST_TARGET_S:.0%} of budget), "
          f"unchanged < {UNCHANGED_TARGET_S:.0f} s ({unchanged['seconds'] / UNCHANGED_TARGET_S:.0%} of budget) "
          f"with 0 revisions: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
