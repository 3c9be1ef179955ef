"""A real Prometheus (Debian's ``prometheus``/``promtool``) with 14 days of backfilled history, once per test
session. Import the ``prometheus`` fixture into a test module (``from tests.prometheus_fixture import
prometheus``) and mark its tests ``@pytest.mark.prometheus``.

The history is written as OpenMetrics and turned into TSDB blocks with ``promtool tsdb
create-blocks-from openmetrics`` in the data directory before the server starts, so it is there at once.
The server asks for basic auth (``web.config.file``), as a Prometheus behind a proxy would.

History (label ``cluster`` as a Prometheus shared by clusters has it; names from the ``smoke`` scenario;
samples every 10 minutes from ``now - 14d`` to ``now``):

| cluster / namespace / pod | series | story |
|---|---|---|
| prod-use1 search-prod chat-vllm-6f7d9c-{abcde,fghij} | vLLM success counter 1 req/s each (the 2nd restarts 3 days ago), running gauge 3, DCGM 70% | busy |
| prod-use1 ads-prod ads-copywriter-predictor-00001-deployment-5c9f-x1 | vLLM counter, flat for the last 10 days; DCGM 40% | no traffic for 10 days |
| gke-euw4 docs-staging summarizer-tgi-7b9c-aaaaa | TGI counter 0.1 req/s; DCGM 3% | low GPU utilisation |
| gke-euw4 research-dev llama-serve-raycluster-x-worker-gpu-y | vLLM counter 0.5 req/s; DCGM 60% with exported_namespace/exported_pod | busy, ServiceMonitor labels |
| gke-euw4 (no pod) | DCGM 0% of a GPU no pod holds | ignored |
| aks-eastus risk-prod fraud-model-5d4-zzzzz | Triton counter, flat for 14 days | no traffic at all |
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

USERNAME = "footprint"
PASSWORD = "s3cret"
# bcrypt("s3cret"), cost 4 (the lowest: the server checks it on every request), made with crypt(3).
PASSWORD_HASH = "$2b$04$rztVKt4CBTgVNvsoTYRjXunbkxbcX6HUM26iBArQ7Wku2RyuaekLa"
STEP = 600
DAYS = 14
READY_TIMEOUT = 20.0


@dataclass(frozen=True)
class PrometheusServer:
    url: str
    now: datetime              # the last sample of the history
    username: str = USERNAME
    password: str = PASSWORD

    def endpoint(self, cluster: str, **settings) -> dict:
        """A source's ``settings.prometheus`` entry for this server and one of its clusters."""
        return {"url": self.url, "username": self.username, "selector": {"cluster": cluster}, **settings}


def _counter(lines: list[str], name: str, labels: str, start: int, end: int, rate_of) -> None:
    value = 0.0
    for t in range(start, end + 1, STEP):
        value = rate_of(t, value)
        lines.append(f"{name}{{{labels}}} {value:g} {t}")


def history(now: int) -> str:
    """The OpenMetrics history (see the module docstring), ending at ``now`` (epoch seconds)."""
    start = now - DAYS * 86400
    out: list[str] = ["# TYPE vllm:request_success counter"]

    def steady(per_second: float, *, until: int | None = None, restart: int | None = None):
        def step(t: int, value: float) -> float:
            if t == start:
                return 0.0
            if restart is not None and restart <= t < restart + STEP:
                return per_second * STEP      # the process restarted: the counter starts again
            return value + (per_second * STEP if until is None or t <= until else 0.0)
        return step

    prod, gke = 'cluster="prod-use1"', 'cluster="gke-euw4"'
    chat = [f'{prod},namespace="search-prod",pod="chat-vllm-6f7d9c-abcde"',
            f'{prod},namespace="search-prod",pod="chat-vllm-6f7d9c-fghij"']
    ads = f'{prod},namespace="ads-prod",pod="ads-copywriter-predictor-00001-deployment-5c9f-x1"'
    ray = f'{gke},namespace="research-dev",pod="llama-serve-raycluster-x-worker-gpu-y"'
    tgi = f'{gke},namespace="docs-staging",pod="summarizer-tgi-7b9c-aaaaa"'
    fraud = 'cluster="aks-eastus",namespace="risk-prod",pod="fraud-model-5d4-zzzzz"'
    _counter(out, "vllm:request_success_total", f'{chat[0]},finished_reason="stop"', start, now, steady(1.0))
    _counter(out, "vllm:request_success_total", f'{chat[1]},finished_reason="stop"', start, now,
             steady(1.0, restart=now - 3 * 86400))
    _counter(out, "vllm:request_success_total", f'{ads},finished_reason="stop"', start, now,
             steady(0.2, until=now - 10 * 86400))
    _counter(out, "vllm:request_success_total", f'{ray},finished_reason="length"', start, now, steady(0.5))
    out.append("# TYPE vllm:num_requests_running gauge")
    for labels in chat:
        _counter(out, "vllm:num_requests_running", labels, start, now, lambda t, v: 3.0)
    out.append("# TYPE tgi_request_count counter")
    _counter(out, "tgi_request_count", tgi, start, now, steady(0.1))
    out.append("# TYPE nv_inference_request_success counter")
    _counter(out, "nv_inference_request_success", f'{fraud},model="fraud",version="1"', start, now, steady(0.0))
    out.append("# TYPE DCGM_FI_DEV_GPU_UTIL gauge")
    dcgm = [(f'{chat[0]},gpu="0"', 70.0), (f'{chat[1]},gpu="0"', 70.0), (f'{ads},gpu="0"', 40.0),
            (f'{tgi},gpu="0"', 2.0), (f'{tgi},gpu="1"', 4.0),
            (f'{gke},namespace="gpu-operator",pod="nvidia-dcgm-exporter-abcde",exported_namespace="research-dev",'
             'exported_pod="llama-serve-raycluster-x-worker-gpu-y",gpu="0"', 60.0),
            (f'{gke},namespace="",pod="",gpu="3"', 0.0)]
    for labels, util in dcgm:
        # a little swing around the level, so that the max differs from the average
        _counter(out, "DCGM_FI_DEV_GPU_UTIL", labels, start, now,
                 lambda t, v, u=util: u + (5.0 if u and (t // STEP) % 6 == 0 else 0.0))
    out.append("# EOF")
    return "\n".join(out) + "\n"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory) -> Iterator[PrometheusServer]:
    binary, promtool = shutil.which("prometheus"), shutil.which("promtool")
    if not binary or not promtool:
        message = "prometheus/promtool are not installed (Debian package prometheus)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    root: Path = tmp_path_factory.mktemp("prometheus")
    now = int(time.time()) // STEP * STEP
    (root / "history.om").write_text(history(now))
    data = root / "data"
    subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=720h", "-q",
                    str(root / "history.om"), str(data)], check=True, capture_output=True, timeout=60)
    (root / "prometheus.yml").write_text("global:\n  evaluation_interval: 1m\n")
    (root / "web.yml").write_text(f"basic_auth_users:\n  {USERNAME}: {PASSWORD_HASH}\n")
    port = _free_port()
    log = (root / "prometheus.log").open("w")
    process = subprocess.Popen(
        [binary, f"--config.file={root / 'prometheus.yml'}", f"--web.config.file={root / 'web.yml'}",
         f"--storage.tsdb.path={data}", "--storage.tsdb.retention.time=60d",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            try:
                if requests.get(f"{url}/-/ready", auth=(USERNAME, PASSWORD), timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"prometheus did not start: {(root / 'prometheus.log').read_text()[-2000:]}")
            time.sleep(0.05)
        yield PrometheusServer(url=url, now=datetime.fromtimestamp(now, UTC))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def ago(server: PrometheusServer, **delta) -> datetime:
    return server.now - timedelta(**delta)
