"""Sizing of one model as JSON-able data, for the model page and the API.

``model_sizing(model_name, context_len=None, concurrency=1, config_json=None)``: architecture facts,
weights per dtype, KV bytes per token, and for every GPU type: does it fit, how many, how many concurrent
sequences at the context, a decode tokens/s estimate and the cost of a million output tokens at the
cheapest list price of that GPU in the catalog (any cloud; which one is named). Figures are estimates
(footprint.sizing.memory / throughput); the ``assumptions`` say on what.
"""

from __future__ import annotations

from footprint.sizing.architectures import Architecture, architecture_for, architecture_from_config
from footprint.sizing.gpus import GPUS
from footprint.sizing.memory import (
    TP_SIZES,
    capacity,
    cheapest_fit,
    kv_bytes_per_sequence,
    kv_bytes_per_token,
    weight_breakdown,
    weight_bytes,
    weight_format,
)
from footprint.sizing.throughput import MAX_NUM_SEQS, cost_per_million_output_tokens, decode_throughput

DEFAULT_CONTEXT = 4096
DTYPES = ("bfloat16", "fp8", "int8", "awq")


def model_sizing(model_name: str, *, context_len: int | None = None, concurrency: int = 1,
                 config_json: dict | None = None, catalog=None) -> dict | None:
    """The sizing of ``model_name`` (its shipped architecture, or ``config_json`` when given), or None when
    the architecture is unknown. ``catalog``: a loaded ``PriceCatalog`` (default: loaded here, 2 queries)."""
    if config_json is not None:
        arch, origin = architecture_from_config(config_json, name=model_name or None), "config.json"
    else:
        arch, origin = architecture_for(model_name), "shipped architecture table"
    if arch is None:
        return None
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    if catalog is None:
        from footprint.costs.catalog import PriceCatalog

        catalog = PriceCatalog.load()
    context = context_len or min(DEFAULT_CONTEXT, arch.max_position or DEFAULT_CONTEXT)
    if context < 1:
        raise ValueError("context_len must be at least 1")
    served = weight_format(arch)
    prices = {name: catalog.cheapest_gpu_hour(name) for name in GPUS}
    gpus = [_gpu_row(arch, name, context, concurrency, prices.get(name)) for name in GPUS]
    fit = cheapest_fit(arch, context, concurrency,
                       prices=lambda name: float(prices[name][0]) if prices.get(name) else None)
    cheapest = None
    if fit.gpu is not None:
        cheapest = next(dict(row) for row in gpus if row["gpu"] == fit.gpu)
        cheapest["alternatives"] = [{"gpu": gpu, "count": count, "hourlyCost": _round(cost, 4)}
                                    for gpu, count, cost in fit.alternatives]
    assumptions = [
        f"architecture from the {origin}; parameters computed from its dimensions",
        f"context {context} tokens per sequence"
        + ("" if context_len else f" (default: {DEFAULT_CONTEXT}, capped at the model's max position)"),
        f"{concurrency} concurrent sequence(s) needed; GPU counts tried per type: "
        f"{', '.join(map(str, TP_SIZES))} (tensor parallel)",
        "memory: vLLM rules at gpu_memory_utilization 0.9, 16-token KV blocks, KV cache in the model dtype",
        f"decode tokens/s: bandwidth/compute roofline at the largest batch memory holds (at most {MAX_NUM_SEQS}),"
        " 80 % efficiency; no prefill, all-reduce or scheduling time: real throughput is lower",
        "price: the cheapest on-demand list price per GPU-hour of that GPU in the catalog across every cloud and "
        "region (an instance's price over its GPUs); negotiated overrides not applied",
        *fit.assumptions,
    ]
    return {
        "model": model_name,
        "source": origin,
        "architecture": _architecture(arch),
        "contextLen": context,
        "concurrency": concurrency,
        "weights": {
            "format": served,
            "bytes": weight_bytes(arch),
            "byPart": weight_breakdown(arch),
            "byDtype": {dtype: weight_bytes(arch, dtype=dtype) for dtype in _dtypes(arch, served)},
        },
        "kvBytesPerToken": kv_bytes_per_token(arch),
        "kvBytesPerTokenFp8": kv_bytes_per_token(arch, kv_cache_dtype="fp8"),
        "kvBytesPerSequence": kv_bytes_per_sequence(arch, context),
        "gpus": gpus,
        "cheapest": cheapest,
        "cheapestReason": fit.reason,
        "cheapestPerToken": min((row for row in gpus if row["costPerMillionOutputTokens"] is not None),
                                key=lambda row: (row["costPerMillionOutputTokens"], row["gpu"]), default=None),
        "assumptions": assumptions,
    }


def _dtypes(arch: Architecture, served: str) -> list[str]:
    return [served, *(d for d in DTYPES if d != served)]


def _gpu_row(arch: Architecture, name: str, context: int, concurrency: int, price) -> dict:
    fit = None
    for count in TP_SIZES:
        fit = capacity(arch, name, count, context)
        if fit.sequences >= concurrency:
            break
    fits = fit is not None and fit.sequences >= concurrency
    row = {"gpu": name, "fits": fits, "count": fit.count if fits else None,
           "maxConcurrentSequences": min(fit.sequences, 1 << 20) if fits else 0,
           "weightsPerGpuBytes": fit.weights_per_gpu, "kvBudgetPerGpuBytes": max(0, fit.kv_budget_per_gpu),
           "decodeTokensPerSecond": None, "decodeBatch": None, "tokensPerSecondPerSequence": None,
           "pricePerGpuHour": None, "priceFrom": None, "hourlyCost": None, "costPerMillionOutputTokens": None,
           "reason": None if fits else (fit.reason or f"holds only {fit.sequences} sequence(s) on {fit.count}")}
    if price is not None:
        per_gpu, entry = price
        row["pricePerGpuHour"] = _round(float(per_gpu), 4)
        row["priceFrom"] = {"cloud": entry.cloud, "region": entry.region or None, "key": entry.key,
                            "gpusPerInstance": entry.gpus_per_instance, "source": entry.source,
                            "asOf": entry.as_of.isoformat()}
    if not fits:
        return row
    if price is not None:
        row["hourlyCost"] = _round(float(price[0]) * fit.count, 4)
    if not arch.encoder:
        estimate = decode_throughput(arch, name, count=fit.count, context_len=context)
        if estimate.tokens_per_second > 0:
            row["decodeTokensPerSecond"] = _round(estimate.tokens_per_second, 1)
            row["decodeBatch"] = estimate.batch
            row["tokensPerSecondPerSequence"] = _round(estimate.tokens_per_second_per_sequence, 1)
            if price is not None:
                row["costPerMillionOutputTokens"] = _round(
                    cost_per_million_output_tokens(estimate, price_per_gpu_hour=float(price[0])), 4)
    return row


def _architecture(arch: Architecture) -> dict:
    return {
        "name": arch.name, "params": arch.params, "activeParams": arch.active_params,
        "publishedParams": arch.published_params, "layers": arch.layers, "hidden": arch.hidden,
        "heads": arch.heads, "kvHeads": arch.kv_heads, "headDim": arch.head_dim, "intermediate": arch.intermediate,
        "vocab": arch.vocab, "maxPosition": arch.max_position, "dtype": arch.dtype, "quantization": arch.quantization,
        "attention": "MLA" if arch.is_mla else ("MHA" if arch.kv_heads == arch.heads else "GQA"),
        "moe": {"experts": arch.experts, "expertsPerToken": arch.experts_per_token,
                "sharedExperts": arch.shared_experts} if arch.is_moe else None,
        "slidingWindow": arch.sliding_window, "slidingLayers": arch.sliding_layers, "encoder": arch.encoder,
    }


def _round(value: float | None, places: int) -> float | None:
    return None if value is None else round(value, places)
