"""ModelSpecList as JSON, YAML or an aligned table (shared by `scan` and `inventory`)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import yaml

from collectors.spec import ModelSpec, spec_list

FORMATS = ("json", "yaml", "table")


def _number(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if float(value).is_integer() else f"{value:.2g}"


def table_rows(specs: Sequence[ModelSpec]) -> list[list[str]]:
    rows = [["CLUSTER", "NAMESPACE", "WORKLOAD", "MODEL", "VERSION", "ENGINE", "PLATFORM", "ACCELERATOR",
             "REPLICAS", "TEAM", "ENV"]]
    for spec in specs:
        w = spec.workload
        acc = spec.accelerator
        accel = "-" if acc.per_replica is None and acc.type is None else (
            f"{_number(acc.per_replica)}x{acc.type or '?'}")
        replicas = _number(spec.replicas.desired)
        if spec.replicas.ready is not None:  # live inventory: ready/desired
            replicas = f"{spec.replicas.ready}/{replicas}"
        if spec.replicas.autoscaled:
            replicas += f" ({_number(spec.replicas.min)}-{_number(spec.replicas.max)})"
        workload = f"{w.kind}/{w.name}" + (f"[{w.unit}]" if w.unit else "")
        rows.append([
            w.cluster or "-", w.namespace or "-", workload, spec.model.name or "?", spec.model.version or "-",
            spec.runtime.engine + (f" {spec.runtime.engine_version}" if spec.runtime.engine_version else ""),
            spec.runtime.platform, accel, replicas, spec.owner.team or "-",
            (spec.environment or "-") + (f"/{spec.variant}" if spec.variant else ""),
        ])
    return rows


def render_table(specs: Sequence[ModelSpec]) -> str:
    rows = table_rows(specs)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    return "\n".join(lines) + "\n"


def dump_specs(specs: Sequence[ModelSpec], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(spec_list(list(specs)), indent=2, ensure_ascii=False) + "\n"
    if fmt == "yaml":
        return yaml.safe_dump(spec_list(list(specs)), sort_keys=False, default_flow_style=False, allow_unicode=True)
    if fmt == "table":
        return render_table(specs)
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
