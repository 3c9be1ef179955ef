"""Decode throughput from a memory-bandwidth roofline, and the cost of a million output tokens.

Each decode step reads, on every tensor-parallel GPU, its share of the weights the step touches plus the
KV cache of every sequence in the batch, and does 2 FLOPs per active parameter per sequence. Step time
is the larger of the two at ``efficiency`` × peak (memory usually wins). These are estimates: no
all-reduce, scheduling or sampling time, no prefill, no speculative decoding.
"""

from __future__ import annotations

from dataclasses import dataclass

from footprint.sizing.architectures import Architecture
from footprint.sizing.gpus import GpuSpec, gpu_spec
from footprint.sizing.memory import capacity, kv_bytes_per_sequence, weight_breakdown, weight_format

MAX_NUM_SEQS = 256          # vLLM's default cap on a batch (--max-num-seqs)
EFFICIENCY = 0.8            # share of peak bandwidth/FLOPS decode kernels reach (typically 70-85 %, unverified)
SECONDS_PER_HOUR = 3600


@dataclass(frozen=True)
class DecodeEstimate:
    gpu: str
    count: int
    batch: int
    context_len: int
    bytes_per_step_per_gpu: int
    step_seconds: float
    tokens_per_second: float             # all sequences together
    bound: str                           # "memory" or "compute"
    reason: str | None = None            # why no estimate (does not fit), tokens_per_second then 0
    assumptions: tuple[str, ...] = ()
    kind: str = "estimate (bandwidth roofline)"

    @property
    def tokens_per_second_per_sequence(self) -> float:
        return self.tokens_per_second / self.batch if self.batch else 0.0


def weights_read_per_step(arch: Architecture, *, batch: int, dtype: str | None = None) -> int:
    """Weight bytes one decode step reads: not the input embedding table (a row lookup), only the routed
    experts some token in the batch visits (expected share ``1 - (1 - k/E)^batch``)."""
    parts = weight_breakdown(arch, dtype=dtype)
    head = parts["lm_head"] if parts["lm_head"] else parts["embed"]   # tied: lm_head is the embed table
    touched = 1 - (1 - arch.experts_per_token / arch.experts) ** batch if arch.is_moe else 1.0
    return round(parts["other"] + head + parts["experts"] * touched)


def decode_throughput(arch: Architecture, gpu: str | GpuSpec, *, count: int = 1, batch: int | None = None,
                      context_len: int = 2048, dtype: str | None = None, kv_cache_dtype: str | None = None,
                      efficiency: float = EFFICIENCY, gpu_memory_utilization: float = 0.9) -> DecodeEstimate:
    """Output tokens/s of ``batch`` sequences with ``context_len`` tokens cached each.

    ``batch`` None: as many sequences as fit in memory (``capacity``), at most vLLM's 256.
    """
    spec = gpu_spec(gpu)
    if spec is None:
        raise ValueError(f"unknown accelerator {gpu!r}")
    fmt = weight_format(arch, dtype)
    fit = capacity(arch, spec, count, context_len, gpu_memory_utilization=gpu_memory_utilization,
                   dtype=fmt, kv_cache_dtype=kv_cache_dtype)
    if batch is None:
        batch = min(fit.sequences, MAX_NUM_SEQS)
    if arch.encoder or not fit.fits or batch < 1:
        reason = "encoders have no decode phase" if arch.encoder else fit.reason or "batch < 1"
        return DecodeEstimate(spec.name, count, max(batch, 0), context_len, 0, 0.0, 0.0, "memory", reason,
                              fit.assumptions)
    weights = weights_read_per_step(arch, batch=batch, dtype=fmt) / count
    kv = batch * kv_bytes_per_sequence(arch, context_len, kv_cache_dtype=kv_cache_dtype, tensor_parallel=count)
    step_bytes = round(weights + kv)
    memory_seconds = step_bytes / (spec.bandwidth_gbps * 1e9 * efficiency)
    tflops = spec.tflops_fp8 if fmt == "fp8" and spec.tflops_fp8 else spec.tflops_16bit
    flops = 2 * arch.active_params * batch / count
    compute_seconds = flops / (tflops * 1e12 * efficiency)
    step = max(memory_seconds, compute_seconds)
    assumptions = (
        f"{spec.name} ×{count}: {spec.bandwidth_gbps:g} GB/s and {tflops:g} dense TFLOPS per GPU at "
        f"{efficiency:.0%} efficiency",
        f"per step per GPU: {weights / 1e9:.2f} GB weights ({fmt}) + {kv / 1e9:.2f} GB KV "
        f"({batch} sequences × {context_len} tokens)",
        "no all-reduce, scheduler, sampling or prefill time; real throughput is lower",
        *fit.assumptions,
    )
    return DecodeEstimate(spec.name, count, batch, context_len, step_bytes, step, batch / step,
                          "memory" if memory_seconds >= compute_seconds else "compute", None, assumptions)


def cost_per_million_output_tokens(estimate: DecodeEstimate, *, price_per_gpu_hour: float) -> float | None:
    """Dollars per 1M output tokens: the GPUs' hourly price over the tokens they make in an hour.

    None when the estimate has no throughput (the model does not fit): unknown, never zero.
    """
    if estimate.tokens_per_second <= 0:
        return None
    return price_per_gpu_hour * estimate.count * 1e6 / (estimate.tokens_per_second * SECONDS_PER_HOUR)
