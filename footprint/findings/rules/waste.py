"""Waste rules: GPUs bigger than the model needs, GPU capacity nobody uses or waits for, non-prod sized
like prod, and the same model served twice."""

from __future__ import annotations

from decimal import Decimal
from math import ceil

from footprint.costs.catalog import money
from footprint.costs.choices import PriceKind
from footprint.costs.pricing import HOURS_PER_MONTH, Node, Price
from footprint.findings.choices import ActionKind, Severity
from footprint.findings.context import Deployed, EvaluationContext, by_key
from footprint.findings.rules.base import CENTS, Observation, Rule, monthly_of
from footprint.findings.rules.drift import SERVICE_LABEL
from footprint.sizing.architectures import architecture_for
from footprint.sizing.gpus import GPUS
from footprint.sizing.memory import capacity, weight_format

SAGEMAKER_KIND = "SageMakerEndpoint"


class WrongGpu(Rule):
    code = "waste.wrong_gpu"
    title = "A cheaper GPU type fits the model"
    severity = Severity.MEDIUM
    params = {"default_context_len": 4096, "concurrency": 1, "gpu_memory_utilization": 0.9,
              "min_saving_monthly": 50}
    description = (
        "The sizing engine fits the model (weights + KV cache of `concurrency` sequences at the configured "
        "maxModelLen, else default_context_len) on a cheaper GPU type of the same vendor and cloud at the "
        "same GPU count per replica. The alternative is priced on whole instances (a replica cannot rent 1 GPU of "
        "an 8-GPU machine) or per GPU-hour where the cloud sells GPUs; the saving is current − that, and "
        "must reach min_saving_monthly. Deployments whose current price is unknown are not judged.")

    def evaluate(self, context: EvaluationContext) -> list[Observation]:
        params = context.params(self)
        found = []
        for d in context.deployments:
            spec = d.spec
            count = spec.accelerator.per_replica
            if (d.price.is_unknown or not d.price.hourly or spec.workload.kind == SAGEMAKER_KIND
                    or spec.accelerator.type not in GPUS or not count or count != int(count)):
                continue
            arch = architecture_for(spec.model.name)
            if arch is None:
                continue
            settings = spec.runtime.settings or {}
            context_len = int(settings.get("maxModelLen") or params["default_context_len"])
            dtype = settings.get("quantization") or settings.get("dtype")
            try:
                weight_format(arch, dtype)
            except ValueError:
                dtype = None
            options = []
            vendor = GPUS[spec.accelerator.type].vendor
            for gpu, gpu_spec in GPUS.items():
                # Same vendor only: moving to Neuron or ROCm is a port, not a redeploy.
                if gpu == spec.accelerator.type or gpu_spec.vendor != vendor:
                    continue
                price = self._alternative(context, d, gpu, int(count))
                if price is None or price.hourly >= d.price.hourly:
                    continue
                fit = capacity(arch, gpu, int(count), context_len,
                               gpu_memory_utilization=params["gpu_memory_utilization"], dtype=dtype)
                if fit.sequences >= params["concurrency"]:
                    options.append((price.hourly, gpu, price, fit))
            if not options:
                continue
            _, gpu, price, fit = min(options, key=lambda o: (o[0], o[1]))
            saving = (d.price.monthly - price.monthly).quantize(CENTS)
            if saving < Decimal(str(params["min_saving_monthly"])):
                continue
            found.append(Observation.on(
                d, title=f"{spec.model.name} on {count:g}× {spec.accelerator.type}: {count:g}× {gpu} fits, "
                         f"saving ${saving}/month",
                evidence={**d.describe(), "contextLen": context_len, "cheaperGpu": gpu,
                          "currentMonthly": str(d.price.monthly.quantize(CENTS)), "currentBasis": d.price.basis,
                          "cheaperMonthly": str(price.monthly.quantize(CENTS)), "cheaperBasis": price.basis,
                          "fit": {"weightsPerGpuGiB": round(fit.weights_per_gpu / 1024**3, 2),
                                  "sequences": min(fit.sequences, 1 << 20), "assumptions": list(fit.assumptions)},
                          "alternatives": [{"gpu": g, "monthly": str(p.monthly.quantize(CENTS))}
                                           for _, g, p, _ in sorted(options, key=lambda o: o[0])]},
                impact_monthly=saving,
                impact_basis=f"${d.price.monthly.quantize(CENTS)}/month now ({d.price.basis}) − "
                             f"${price.monthly.quantize(CENTS)}/month on {gpu} ({price.basis})",
                action={"kind": ActionKind.MOVE_GPU, "deployment": d.row.pk, "accelerator": gpu,
                        "perReplica": count},
            ))
        return found

    @staticmethod
    def _alternative(context: EvaluationContext, d: Deployed, gpu: str, count: int) -> Price | None:
        cloud, region = d.spec.workload.cloud, d.spec.workload.region
        rate = context.catalog.entry(cloud=cloud, region=region, key=gpu)
        if rate is not None and rate[0].kind == PriceKind.GPU:
            candidates = [context.price_as(d, accelerator=gpu)]
        else:
            entries, _ = context.catalog.instances(cloud=cloud, region=region, accelerator=gpu)
            candidates = [
                context.price_as(d, accelerator=gpu, per_replica=ceil(count / e.gpus_per_instance) * e.gpus_per_instance,
                                 node=Node(e.key, gpu, e.gpus_per_instance))
                for e in entries if e.gpus_per_instance
            ]
        known = [p for p in candidates if not p.is_unknown]
        return min(known, key=lambda p: p.hourly) if known else None


class IdleGpuNodes(Rule):
    code = "waste.idle_gpu_nodes"
    title = "GPU node with no GPU pods"
    severity = Severity.HIGH
    params = {"min_gpus": 1}
    description = ("A GPU node (current capacity) offering at least min_gpus accelerators runs no pod using "
                   "them: dark capacity. One finding per node, priced from the catalog by instance type, "
                   "else per GPU-hour × its GPUs (list price, overrides not applied).")

    def evaluate(self, context: EvaluationContext) -> list[Observation]:
        params = context.params(self)
        found = []
        for node in context.capacity:
            if node.pods or node.allocatable < params["min_gpus"]:
                continue
            cloud = node.cloud if node.cloud and node.cloud != "unknown" else node.cluster.cloud
            region = node.region or node.cluster.region or None
            impact, basis = self._price(context, cloud, region, node)
            found.append(Observation(
                key=f"node:{node.cluster_id}:{node.node}", subject=f"{node.cluster_name}/{node.node}",
                cluster_id=node.cluster_id, facts={"cluster": node.cluster_name},
                title=f"{node.cluster_name}/{node.node}: {node.allocatable:g}× {node.accelerator_type or 'GPU'} "
                      "with no GPU pods",
                evidence={"cluster": node.cluster_name, "node": node.node, "pool": node.pool or None,
                          "instanceType": node.instance_type or None, "accelerator": node.accelerator_type or None,
                          "allocatable": node.allocatable, "requested": node.requested, "pods": node.pods,
                          "cloud": cloud, "region": region},
                impact_monthly=impact, impact_basis=basis,
                action={"kind": ActionKind.DECOMMISSION, "target": "node", "cluster": node.cluster_name,
                        "node": node.node, "pool": node.pool or None},
            ))
        return found

    @staticmethod
    def _price(context: EvaluationContext, cloud: str, region: str | None, node) -> tuple[Decimal | None, str]:
        catalog = context.catalog
        if node.instance_type:
            found = catalog.entry(cloud=cloud, region=region, key=node.instance_type)
            if found is not None and found[0].kind == PriceKind.INSTANCE:
                entry = found[0]
                monthly = (entry.usd_per_hour * HOURS_PER_MONTH).quantize(CENTS)
                return monthly, f"{entry.key} at ${money(entry.usd_per_hour)}/h list price ({_place(entry)})"
        if node.accelerator_type and node.allocatable:
            found = catalog.entry(cloud=cloud, region=region, key=node.accelerator_type)
            if found is not None and found[0].kind == PriceKind.GPU:
                entry = found[0]
                gpus = Decimal(str(node.allocatable))
                monthly = (entry.usd_per_hour * gpus * HOURS_PER_MONTH).quantize(CENTS)
                return monthly, (f"{node.allocatable:g} × {node.accelerator_type} at ${money(entry.usd_per_hour)}/GPU-h "
                                 f"list price ({_place(entry)})")
        what = node.instance_type or node.accelerator_type or "this node"
        return None, f"cannot price: no catalog price for {what} in {cloud} {region or ''}".rstrip()


def _place(entry) -> str:
    return f"{entry.cloud} {entry.region}" if entry.region else entry.cloud


class PendingGpuPods(Rule):
    code = "waste.pending_gpu_pods"
    title = "GPU pods pending"
    severity = Severity.MEDIUM
    params = {}
    description = ("Pods asking for GPUs that no node gave them (current crawl), one finding per cluster and "
                   "namespace. Not priced: a pending pod is not billed; the finding is the unmet demand.")

    def evaluate(self, context: EvaluationContext) -> list[Observation]:
        groups: dict[tuple[int, str], list] = {}
        for pod in context.pending:
            groups.setdefault((pod.cluster_id, pod.namespace), []).append(pod)
        by_place = by_key(context.deployments, lambda d: (d.row.cluster_id, d.row.namespace))
        found = []
        for (cluster_id, namespace), pods in sorted(groups.items(), key=lambda g: (g[1][0].cluster_name, g[0][1])):
            owners = {}
            for pod in pods:
                matches = [d for d in by_place.get((cluster_id, namespace), [])
                           if pod.name.startswith(f"{d.row.name}-")]
                if matches:
                    owners[pod.name] = max(matches, key=lambda d: len(d.row.name))
            owner = next(iter(owners.values())) if len(set(map(id, owners.values()))) == 1 else None
            gpus = sum(p.requested for p in pods)
            action = {}
            ready = owner.spec.replicas.ready if owner else None
            if owner is not None and ready is not None and ready < (owner.spec.replicas.desired or 0):
                action = {"kind": ActionKind.SCALE, "deployment": owner.row.pk, "replicas": ready,
                          "note": "or add capacity for the pending pods"}
            cluster_name = pods[0].cluster_name
            found.append(Observation(
                key=f"pending:{cluster_id}:{namespace}", subject=f"{cluster_name}/{namespace}",
                facts={**(owner.facts() if owner else {}), "cluster": cluster_name, "namespace": namespace},
                cluster_id=cluster_id, deployment_id=owner.row.pk if owner else None,
                team_id=owner.row.team_id if owner else None,
                title=f"{len(pods)} GPU pod(s) pending in {cluster_name}/{namespace} asking for {gpus:g} GPUs",
                evidence={"pods": [{"name": p.name, "requested": p.requested, "reason": p.reason,
                                    "deployment": owners[p.name].row.pk if p.name in owners else None}
                                   for p in pods],
                          "deployment": owner.describe() if owner else None},
                impact_monthly=None,
                impact_basis="not priced: pending pods are not billed; the cost is the unmet demand",
                action=action,
            ))
        return found


class NonProdLikeProd(Rule):
    code = "waste.nonprod_like_prod"
    title = "Non-prod scaled like prod"
    severity = Severity.LOW
    params = {"environments": ["staging", "dev", "test"], "replicas_threshold": 3, "target_replicas": 1}
    description = ("A non-prod deployment (environments) whose replicas or autoscaling max reach "
                   "replicas_threshold, or exceed target_replicas and reach its prod counterpart's. The "
                   "saving is scaling it to target_replicas.")

    def evaluate(self, context: EvaluationContext) -> list[Observation]:
        params = context.params(self)
        target = params["target_replicas"]
        prod = by_key(context.deployments, lambda d: _prod_key(d, d.spec.environment == "prod"))
        found = []
        for d in context.deployments:
            spec = d.spec
            if d.variant or spec.environment not in params["environments"]:
                continue
            size = max(spec.replicas.desired or 0, spec.replicas.max or 0)
            counterpart = prod.get(_prod_key(d, True), [])
            prod_size = max((max(p.spec.replicas.desired or 0, p.spec.replicas.max or 0) for p in counterpart),
                            default=None)
            like_prod = prod_size is not None and size > target and size >= prod_size
            if size < params["replicas_threshold"] and not like_prod:
                continue
            desired = spec.replicas.desired or 0
            if desired > target:
                impact, basis = monthly_of(d, share=Decimal(desired - target) / Decimal(desired),
                                           what=f"scaling {desired} → {target} replicas")
            else:
                impact, basis = None, f"not priced: {desired} replicas now; the autoscaling max is the risk"
            found.append(Observation.on(
                d, title=f"{spec.environment} {d.row.name} runs {desired} replicas"
                         f"{f' (autoscaling {spec.replicas.min}–{spec.replicas.max})' if spec.replicas.autoscaled else ''}"
                         f"{f', prod runs up to {prod_size}' if prod_size is not None else ''}",
                evidence={**d.describe(), "threshold": params["replicas_threshold"],
                          "prod": [p.describe() for p in counterpart]},
                impact_monthly=impact, impact_basis=basis,
                action={"kind": ActionKind.SCALE, "deployment": d.row.pk, "replicas": target,
                        **({"max": target} if spec.replicas.autoscaled else {})},
            ))
        return found


def _prod_key(d: Deployed, wanted: bool):
    if not wanted or d.variant:
        return None
    service = d.labels.get(SERVICE_LABEL)
    return ("service", service) if service else (("model", d.model_name) if d.model_name else None)


class Duplicates(Rule):
    code = "waste.duplicates"
    title = "Same model served twice in one region and environment"
    severity = Severity.MEDIUM
    params = {}
    description = ("Deployments (variants left out) of one model in one cloud region and environment that "
                   "serve the same version, or belong to different teams. Reported on the newest; the "
                   "impact is the cost of every copy but the oldest.")

    def evaluate(self, context: EvaluationContext) -> list[Observation]:
        groups = by_key(context.deployments, lambda d: None if d.variant or not d.model_name else (
            d.model_name, d.spec.environment or "", d.spec.workload.cloud, d.spec.workload.region or ""))
        found = []
        for key, members in sorted(groups.items()):
            if len(members) < 2:
                continue
            versions = [d.spec.model.version or "" for d in members]
            same_version = len(set(versions)) < len(versions)
            teams = {d.row.team_id for d in members}
            if not same_version and len(teams) < 2:
                continue
            members = sorted(members, key=lambda d: (d.row.workload_created_at or context.now, d.row.pk))
            keep, extra = members[0], members[1:]
            newest = extra[-1]
            impacts = [monthly_of(d, what=f"{d.where}") for d in extra]
            if any(i is None for i, _ in impacts):
                impact = None
                basis = "cannot price: " + "; ".join(b for i, b in impacts if i is None)
            else:
                impact = sum((i for i, _ in impacts), Decimal(0))
                basis = "copies beyond the oldest: " + "; ".join(b for _, b in impacts)
            model, environment, cloud, region = key
            why = "same version" if same_version else f"{len(teams)} teams"
            found.append(Observation(
                key=f"duplicate:{'|'.join(key)}", subject=f"{model} {environment} {cloud} {region}",
                deployment_id=newest.row.pk, cluster_id=newest.row.cluster_id, team_id=newest.row.team_id,
                title=f"{model} served {len(members)}× in {cloud} {region} {environment} ({why})",
                evidence={"group": list(key), "keep": keep.describe(), "deployments": [d.describe() for d in members]},
                impact_monthly=impact, impact_basis=basis,
                action={"kind": ActionKind.DECOMMISSION, "deployments": [d.row.pk for d in extra],
                        "keep": keep.row.pk},
            ))
        return found


RULES = [WrongGpu, IdleGpuNodes, PendingGpuPods, NonProdLikeProd, Duplicates]
