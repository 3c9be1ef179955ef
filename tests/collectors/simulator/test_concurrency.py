"""Collectors crawl clusters in parallel: two clusters listed at once from threads, each with its own client."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from kubernetes import client


def test_two_clusters_listed_concurrently(sim, api):
    sim.set_faults("*", latency_ms=200)
    clients = {name: api(name) for name in ("prod-use1", "gke-euw4")}

    def crawl(name: str) -> list[str]:
        apps = client.AppsV1Api(clients[name])
        names, token = [], None
        while True:
            page = apps.list_deployment_for_all_namespaces(limit=1, **({"_continue": token} if token else {}))
            names += [d.metadata.name for d in page.items]
            token = page.metadata._continue
            if not token:
                return names

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(clients, pool.map(crawl, clients), strict=True))
    elapsed = time.monotonic() - started
    assert results["prod-use1"] == ["ads-copywriter-predictor", "coredns", "chat-vllm", "storefront"]
    assert results["gke-euw4"] == ["embeddings", "summarizer-tgi", "coredns"]  # etcd order: namespace/name
    # 4 + 3 pages at 200 ms each: sequential would be >= 1.4 s; in parallel the longer crawl dominates
    assert elapsed < 1.3
    assert {r.path.split("?")[0] for r in sim.requests("gke-euw4")} == {"/clusters/gke-euw4/apis/apps/v1/deployments"}
