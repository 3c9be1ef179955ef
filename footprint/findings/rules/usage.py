"""Usage rules: endpoints nobody calls and GPUs that mostly idle, judged from the usage signals each crawl
stores with a deployment (``Deployment.usage``: Prometheus or CloudWatch, see collectors/usage.py).

Where a source names no Prometheus/CloudWatch, or a workload publishes no such metric, nothing is known
and nothing fires: "no metrics" is never "no traffic". Evidence holds no value that moves with every
crawl (no observation time, utilisation in whole percent), so an unchanged condition stays unchanged.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from math import ceil
from typing import Any

from footprint.findings.choices import ActionKind, Severity
from footprint.findings.context import Deployed, EvaluationContext
from footprint.findings.rules.base import Observation, Rule, monthly_of


def _usage(d: Deployed) -> dict[str, Any]:
    return d.row.usage if isinstance(d.row.usage, dict) else {}


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _days(window: str | None) -> float | None:
    from collectors.usage import duration_seconds

    try:
        return duration_seconds(window or "") / 86400
    except Exception:  # noqa: BLE001 - an old or hand-edited value: unknown
        return None


def _signals(usage: dict[str, Any], *names: str) -> dict[str, Any]:
    return {"usage": {name: usage.get(name) for name in ("source", "window", *names)}}


class NoTraffic(Rule):
    code = "orphans.no_traffic"
    title = "No traffic for days"
    severity = Severity.HIGH
    params = {"days": 7}
    description = (
        "Request metrics exist for the deployment (vLLM/TGI/Triton counters in Prometheus, SageMaker Invocations "
        "in CloudWatch) and its last request is more than `days` ago; or there was none in the whole lookback "
        "(at least `days` long) of a workload created more than `days` ago. A deployment with no request metric, "
        "or scaled to zero, is not judged. The impact is its whole cost.")

    def evaluate(self, context: EvaluationContext) -> list[Observation]:
        days = context.params(self)["days"]
        cutoff = context.now - timedelta(days=days)
        found = []
        for d in context.deployments:
            usage = _usage(d)
            if usage.get("requestsTotal") is None or d.spec.replicas.desired == 0:
                continue
            if (usage.get("requestsRunningMax") or 0) > 0:
                continue   # requests in flight
            last = _when(usage.get("lastRequestAt"))
            if last is not None:   # the last request decides, even when `days` is shorter than the window
                if last > cutoff:
                    continue
                since = f"since {last:%Y-%m-%d %H:%M} UTC"
            elif usage.get("requestsTotal"):
                continue   # requests within the window, when exactly unknown
            else:
                lookback = _days(usage.get("lookback")) or _days(usage.get("window"))
                created = d.row.workload_created_at or d.row.first_seen
                if lookback is None or lookback < days or created > cutoff:
                    continue
                since = f"in {usage.get('lookback') or usage.get('window')}"
            impact, basis = monthly_of(d, what="cost of an endpoint nobody calls")
            found.append(Observation.on(
                d, title=f"{d.row.name} in {d.row.cluster_name or d.spec.workload.cloud}: no requests {since}",
                evidence={**d.describe(), "days": days,
                          **_signals(usage, "lookback", "lastRequestAt", "requestMetrics")},
                impact_monthly=impact, impact_basis=basis,
                action={"kind": ActionKind.SCALE, "deployment": d.row.pk, "replicas": 0,
                        "note": "or decommission it, once its owner confirms nobody calls it"},
            ))
        return found


class LowGpuUtil(Rule):
    code = "waste.low_gpu_util"
    title = "GPUs mostly idle"
    severity = Severity.MEDIUM
    params = {"max_util_percent": 15, "target_util_percent": 60, "min_replicas": 1}
    description = (
        "The DCGM exporter's GPU utilisation of the deployment's pods, averaged over the usage window, is below "
        "max_util_percent. The impact is the idle share of its cost (100% − utilisation); the suggested action "
        "scales to the replicas that would run at target_util_percent (never below min_replicas), or, at one "
        "replica already, is left to the team (a smaller GPU: waste.wrong_gpu; MIG or time-slicing). "
        "Deployments without DCGM metrics are not judged.")

    def evaluate(self, context: EvaluationContext) -> list[Observation]:
        params = context.params(self)
        found = []
        for d in context.deployments:
            usage = _usage(d)
            average = usage.get("gpuUtilAvg")
            desired = d.spec.replicas.desired or 0
            if average is None or average >= params["max_util_percent"] or not desired:
                continue
            util = int(round(average))   # whole percent: the finding does not change with every crawl
            needed = max(params["min_replicas"], ceil(desired * max(util, 1) / params["target_util_percent"]))
            impact, basis = monthly_of(d, share=Decimal(100 - util) / 100, what=f"GPU time idle ({100 - util}%)")
            action: dict[str, Any] = {}
            if needed < desired:
                action = {"kind": ActionKind.SCALE, "deployment": d.row.pk, "replicas": needed,
                          **({"max": max(needed, d.spec.replicas.min or 0)} if d.spec.replicas.autoscaled else {})}
            window = usage.get("window") or "the window"
            found.append(Observation.on(
                d, title=f"{d.row.name}: GPUs {util}% busy on average over {window} "
                         f"({d.spec.accelerator.total or desired:g}× {d.spec.accelerator.type or 'GPU'})",
                evidence={**d.describe(), "thresholdPercent": params["max_util_percent"],
                          "targetPercent": params["target_util_percent"], "neededReplicas": needed,
                          "usage": {"source": usage.get("source"), "window": usage.get("window"), "gpuUtilAvg": util}},
                impact_monthly=impact, impact_basis=basis, action=action,
            ))
        return found


RULES = [NoTraffic, LowGpuUtil]
