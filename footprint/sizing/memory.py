"""Memory maths of LLM serving: weights, KV cache, vLLM's KV budget, and the cheapest GPU that fits.

Rules (gpu-catalog.md §3; tests/footprint/sizing/test_memory.py checks them against published figures):
- Weights: parameters × bits of their format. AWQ/GPTQ/FP8/INT8 checkpoints keep the embedding table and
  ``lm_head`` in 16 bits; MXFP4 (gpt-oss) quantises only the routed experts. MoE: all experts are resident.
- KV cache per token: 2 (K, V) × layers × kv_heads × head_dim × bytes; MLA caches one latent of
  (kv_lora_rank + qk_rope_head_dim) per layer. Sliding-window layers hold at most ``window`` tokens.
- Tensor parallel: weights split evenly; KV heads split with a floor of one head per GPU (vLLM
  ``max(1, kv_heads // tp)``); the MLA latent is not split: every rank caches all of it.
- vLLM budget per GPU: ``util × usable − weights/TP − activation peak − non-torch memory``. CUDA-graph
  memory is not subtracted: §3's worked example lists −0.45 GiB for it, but its 51.38 GiB KV figure
  (71.26 − 14.99 − 4.76 − 0.13) leaves it out too, as vLLM's own budget did.

Known gap: gpt-oss weights from the parameter count (MXFP4 experts, BF16 rest) are ~5 % below what vLLM
logs (120b: 60.7 vs 64.38 GiB; 20b: 12.8 vs 13.47 GiB), most likely padding of the expert matrices for
its MXFP4 kernels (unverified); the KV left on one H100 is correspondingly overstated (5.7 vs 3.3 GiB).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from footprint.sizing.architectures import Architecture
from footprint.sizing.gpus import GPUS, GpuSpec, gpu_spec

GiB = 1024**3
BLOCK_TOKENS = 16                     # vLLM CacheConfig.DEFAULT_BLOCK_SIZE
TP_SIZES = (1, 2, 4, 8)
# Activation peak of vLLM's profiling pass, per token of the profiled batch: 4.76 GiB at 16000 tokens for
# Llama-3.1-8B on H100 (llm-d empirical results, §3); the 70B FP8 measurements imply the same ~5 GiB. The
# profiled batch is the context length, at least 2048 (vLLM's floor) and at most 16384 (chunked prefill
# caps a step). Calibrated on 8B/70B Llama; generous for small models, which rarely matters.
ACTIVATION_BYTES_PER_TOKEN = round(4.76 * GiB / 16000)
PROFILE_TOKENS = (2048, 16384)
# CUDA context, cuBLAS workspaces, NCCL buffers: measured 0.13 GiB (TP=1) to 0.55 GiB (TP>1) in §3.
NON_TORCH_BYTES = {1: round(0.15 * GiB), "tp": round(0.55 * GiB)}

# format → (bits per quantised weight, which weights are quantised: all | linear | experts)
WEIGHT_FORMATS: dict[str, tuple[float, str]] = {
    "float32": (32, "all"), "bfloat16": (16, "all"), "float16": (16, "all"),
    "fp8": (8, "linear"), "int8": (8, "linear"),
    "int4": (4, "linear"), "awq": (4, "linear"), "gptq": (4, "linear"),   # + group scales, see _bits
    "mxfp4": (4.25, "experts"),   # OCP MX: 4-bit values + one 8-bit scale per 32 ⇒ 4.25 bits
}
_DTYPE_ALIASES = {"bf16": "bfloat16", "fp16": "float16", "half": "float16", "fp32": "float32",
                  "float": "float32", "awq_marlin": "awq", "gptq_marlin": "gptq", "fp8_e4m3": "fp8",
                  "fbgemm_fp8": "fp8", "w4a16": "int4", "w8a8": "int8", "w8a16": "int8", "bitsandbytes": "int4"}
KV_BYTES = {"auto": 2, "bfloat16": 2, "float16": 2, "bf16": 2, "fp16": 2, "float32": 4,
            "fp8": 1, "fp8_e4m3": 1, "fp8_e5m2": 1, "fp8_ds_mla": 1, "int8": 1}


def weight_format(arch: Architecture, dtype: str | None = None) -> str:
    """The format weights are served in: explicit ``dtype``, else the checkpoint's quantisation or dtype.

    FP32 checkpoints (most encoders) are served in 16 bits: vLLM and TEI downcast them by default.
    """
    chosen = (dtype or "auto").lower()
    chosen = _DTYPE_ALIASES.get(chosen, chosen)
    if chosen in ("auto", "compressed-tensors"):
        chosen = arch.quantization or _DTYPE_ALIASES.get(arch.dtype.lower(), arch.dtype.lower())
        chosen = "bfloat16" if chosen == "float32" else chosen
    if chosen not in WEIGHT_FORMATS:
        raise ValueError(f"unknown weight dtype/quantisation {dtype!r}; known: {', '.join(WEIGHT_FORMATS)}")
    return chosen


def _bits(arch: Architecture, fmt: str) -> float:
    bits, _ = WEIGHT_FORMATS[fmt]
    if bits == 4:  # AWQ/GPTQ: one FP16 scale + one 4-bit zero point per group ⇒ 4.16 bits at group 128
        bits += 20 / arch.quant_group_size if arch.quant_group_size > 0 else 0
    return bits


def weight_breakdown(arch: Architecture, *, dtype: str | None = None) -> dict[str, int]:
    """Bytes by part (embed, lm_head, experts, other) in the served format."""
    fmt = weight_format(arch, dtype)
    bits, scope = _bits(arch, fmt), WEIGHT_FORMATS[fmt][1]
    plain = 32 if scope == "all" and bits == 32 else 16
    quantised = {"all": {"embed", "lm_head", "experts", "other"}, "linear": {"experts", "other"},
                 "experts": {"experts"}}[scope]
    return {part: math.ceil(count * (bits if part in quantised else plain) / 8)
            for part, count in arch.param_counts().items()}


def weight_bytes(arch: Architecture, *, dtype: str | None = None) -> int:
    return sum(weight_breakdown(arch, dtype=dtype).values())


def kv_element_bytes(kv_cache_dtype: str | None) -> int:
    key = (kv_cache_dtype or "auto").lower()
    if key not in KV_BYTES:
        raise ValueError(f"unknown kv_cache_dtype {kv_cache_dtype!r}; known: {', '.join(KV_BYTES)}")
    return KV_BYTES[key]


def _kv_per_layer_token(arch: Architecture, kv_cache_dtype: str | None, tensor_parallel: int) -> int:
    if arch.encoder:
        return 0
    element = kv_element_bytes(kv_cache_dtype)
    if arch.is_mla:  # replicated on every TP rank
        return (arch.kv_lora_rank + arch.qk_rope_head_dim) * element
    heads = max(1, arch.kv_heads // tensor_parallel)
    return 2 * heads * arch.head_dim * element


def kv_bytes_per_token(arch: Architecture, *, kv_cache_dtype: str | None = None, tensor_parallel: int = 1) -> int:
    """KV bytes one token costs with full attention on every layer (per GPU under tensor parallel)."""
    return arch.layers * _kv_per_layer_token(arch, kv_cache_dtype, tensor_parallel)


def kv_bytes_per_sequence(arch: Architecture, context_len: int, *, kv_cache_dtype: str | None = None,
                          tensor_parallel: int = 1, sliding_window_aware: bool = True) -> int:
    """KV bytes of one sequence of ``context_len`` tokens, in whole 16-token blocks, per GPU."""
    per_layer = _kv_per_layer_token(arch, kv_cache_dtype, tensor_parallel)
    blocks = math.ceil(context_len / BLOCK_TOKENS)
    sliding = arch.sliding_layers if sliding_window_aware and arch.sliding_window else 0
    window_blocks = min(blocks, math.ceil((arch.sliding_window or 0) / BLOCK_TOKENS))
    return BLOCK_TOKENS * per_layer * ((arch.layers - sliding) * blocks + sliding * window_blocks)


def activation_reserve_bytes(context_len: int, *, count: int = 1, max_num_batched_tokens: int | None = None) -> int:
    """Per-GPU memory vLLM keeps outside weights and KV: profiled activation peak + non-torch memory."""
    low, high = PROFILE_TOKENS
    tokens = max_num_batched_tokens or min(max(context_len, low), high)
    return tokens * ACTIVATION_BYTES_PER_TOKEN + NON_TORCH_BYTES[1 if count == 1 else "tp"]


def unsupported(arch: Architecture, gpu: GpuSpec, count: int, fmt: str) -> str | None:
    """Why vLLM cannot run this model/format at this tensor-parallel size on this part, or None."""
    if arch.heads % count or (arch.kv_heads % count and count % arch.kv_heads and not arch.is_mla):
        return f"tensor parallel {count} does not divide {arch.heads} attention / {arch.kv_heads} KV heads"
    cc = gpu.compute_capability
    if fmt in ("fp8", "mxfp4") and cc is not None and cc < 8.0:
        return f"{fmt} weights need compute capability ≥ 8.0 (Marlin W8A16/W4A16 on Ampere), {gpu.name} is {cc}"
    if fmt in ("awq", "gptq", "int4") and cc is not None and cc < 7.5:
        return f"4-bit AWQ/GPTQ kernels need compute capability ≥ 7.5, {gpu.name} is {cc}"
    if gpu.vendor == "aws" and fmt in ("awq", "gptq", "int4", "mxfp4"):
        return f"{fmt} weights are not served on AWS Neuron"
    return None


@dataclass(frozen=True)
class Capacity:
    """What ``count`` GPUs of one type hold for one model at one context length (per-GPU bytes)."""

    gpu: str
    count: int
    context_len: int
    weight_format: str
    weights_per_gpu: int
    reserve_per_gpu: int
    kv_budget_per_gpu: int               # negative when the weights do not fit
    kv_bytes_per_sequence_per_gpu: int
    kv_tokens: int                       # full-attention tokens the cache holds (vLLM's "KV cache size")
    sequences: int                       # concurrent sequences of ``context_len`` tokens
    reason: str | None = None            # why nothing fits, when ``sequences`` is 0
    assumptions: tuple[str, ...] = ()

    @property
    def fits(self) -> bool:
        return self.sequences > 0


def capacity(arch: Architecture, gpu: str | GpuSpec, count: int = 1, context_len: int = 4096, *,
             gpu_memory_utilization: float = 0.9, dtype: str | None = None, kv_cache_dtype: str | None = None,
             max_num_batched_tokens: int | None = None, sliding_window_aware: bool = True) -> Capacity:
    spec = gpu_spec(gpu)
    if spec is None:
        raise ValueError(f"unknown accelerator {gpu!r}")
    fmt = weight_format(arch, dtype)
    weights = math.ceil(weight_bytes(arch, dtype=fmt) / count)
    reserve = activation_reserve_bytes(context_len, count=count, max_num_batched_tokens=max_num_batched_tokens)
    budget = math.floor(gpu_memory_utilization * spec.usable_bytes) - weights - reserve
    per_seq = kv_bytes_per_sequence(arch, context_len, kv_cache_dtype=kv_cache_dtype, tensor_parallel=count,
                                    sliding_window_aware=sliding_window_aware)
    per_token = kv_bytes_per_token(arch, kv_cache_dtype=kv_cache_dtype, tensor_parallel=count)
    assumptions = [
        f"{spec.name}: {spec.usable_gib:.2f} GiB usable × gpu_memory_utilization {gpu_memory_utilization}",
        f"weights {fmt}: {weights / GiB:.2f} GiB per GPU (tensor parallel {count})",
        f"activation + non-torch reserve {reserve / GiB:.2f} GiB per GPU (vLLM profiling, calibrated on "
        "llm-d H100 measurements)",
        f"KV {per_token / 1024:.1f} KiB/token per GPU ({kv_cache_dtype or 'auto'}), 16-token blocks",
    ]
    if arch.sliding_layers and sliding_window_aware:
        assumptions.append(f"{arch.sliding_layers}/{arch.layers} layers keep only {arch.sliding_window} tokens "
                           "(vLLM ≥ 0.10 hybrid KV cache manager)")
    if arch.is_mla and count > 1:
        assumptions.append("MLA latent cache is replicated on every tensor-parallel rank")
    if spec.vendor == "aws":
        assumptions.append(spec.source)
    reason = unsupported(arch, spec, count, fmt)
    if reason is None and arch.max_position and context_len > arch.max_position:
        reason = f"context {context_len} exceeds the model's max_position_embeddings {arch.max_position}"
    if reason is None and budget <= 0:
        reason = (f"{weights / GiB:.1f} GiB weights + {reserve / GiB:.1f} GiB reserve exceed "
                  f"{gpu_memory_utilization} × {spec.usable_gib:.1f} GiB on each of {count}× {spec.name}")
    if arch.encoder:  # no KV cache: concurrency is bounded by compute, not memory
        sequences = 0 if reason else 1 << 30
        assumptions.append("encoder: no KV cache; concurrency not limited by memory")
    else:
        sequences = 0 if reason else budget // per_seq
        if not reason and sequences == 0:
            reason = f"KV budget {budget / GiB:.2f} GiB per GPU holds no {context_len}-token sequence"
    return Capacity(spec.name, count, context_len, fmt, weights, reserve, budget, per_seq,
                    max(0, budget) // per_token if per_token else 0, sequences, reason, tuple(assumptions))


def max_concurrent_sequences(arch: Architecture, gpu: str | GpuSpec, count: int = 1, context_len: int = 4096, *,
                             gpu_memory_utilization: float = 0.9, dtype: str | None = None,
                             kv_cache_dtype: str | None = None) -> int:
    """Concurrent ``context_len``-token sequences vLLM can hold on ``count`` GPUs (0: does not fit)."""
    return capacity(arch, gpu, count, context_len, gpu_memory_utilization=gpu_memory_utilization,
                    dtype=dtype, kv_cache_dtype=kv_cache_dtype).sequences


@dataclass(frozen=True)
class FitChoice:
    """The cheapest GPU type and count for a model, context and concurrency; ``gpu`` None if none fits."""

    gpu: str | None
    count: int = 0
    hourly_cost: float | None = None     # count × $/GPU-hour, when prices were given
    capacity: Capacity | None = None
    reason: str | None = None
    assumptions: list[str] = field(default_factory=list)
    alternatives: list[tuple[str, int, float | None]] = field(default_factory=list)  # next-best fits


def cheapest_fit(arch: Architecture, context_len: int, concurrency: int = 1, *,
                 candidates: Iterable[str | GpuSpec] | None = None,
                 prices: Callable[[str], float | None] | None = None, counts: Iterable[int] = TP_SIZES,
                 gpu_memory_utilization: float = 0.9, dtype: str | None = None,
                 kv_cache_dtype: str | None = None) -> FitChoice:
    """Smallest count of each GPU type holding ``concurrency`` sequences of ``context_len``, ranked by
    price (count × $/GPU-hour) or, without prices, by total memory then the higher bandwidth.

    A type without a price ranks after every priced one: an unknown price is never taken as zero.
    """
    specs = [gpu_spec(c) for c in (candidates if candidates is not None else GPUS)]
    fits: list[tuple[tuple, Capacity, float | None]] = []
    rejected: list[str] = []
    for spec in specs:
        if spec is None:
            continue
        last = None
        for count in sorted(counts):
            last = capacity(arch, spec, count, context_len, gpu_memory_utilization=gpu_memory_utilization,
                            dtype=dtype, kv_cache_dtype=kv_cache_dtype)
            if last.sequences >= concurrency:
                break
        else:
            why = last.reason if last and last.reason else f"holds only {last.sequences if last else 0} sequences"
            rejected.append(f"{spec.name}: {why}")
            continue
        price = prices(spec.name) if prices else None
        hourly = price * last.count if price is not None else None
        memory, bandwidth = last.count * spec.memory_mib, last.count * spec.bandwidth_gbps
        key = (hourly is None, hourly or 0.0, memory, -bandwidth, spec.name) if prices else \
            (False, 0.0, memory, -bandwidth, spec.name)
        fits.append((key, last, hourly))
    fits.sort(key=lambda item: item[0])
    basis = "count × $/GPU-hour" if prices else "total GPU memory, then the higher bandwidth (no prices given)"
    assumptions = [f"need {concurrency} × {context_len}-token sequences; ranked by {basis}",
                   f"tensor parallel sizes tried: {', '.join(map(str, sorted(counts)))}"]
    assumptions += [f"rejected {line}" for line in rejected]
    if not fits:
        return FitChoice(None, reason=f"no candidate holds {concurrency} × {context_len}-token sequences of "
                         f"{arch.name} with up to {max(counts)} GPUs", assumptions=assumptions)
    _, best, hourly = fits[0]
    if prices and hourly is None:
        assumptions.append(f"no price known for {best.gpu}: chosen on memory, cost unknown")
    return FitChoice(best.gpu, best.count, hourly, best, None, assumptions + list(best.assumptions),
                     [(cap.gpu, cap.count, cost) for _, cap, cost in fits[1:4]])
