"""Decode roofline and cost per 1M output tokens."""

from __future__ import annotations

import pytest

from footprint.sizing.architectures import architecture_for
from footprint.sizing.throughput import (
    cost_per_million_output_tokens,
    decode_throughput,
    weights_read_per_step,
)

LLAMA_8B = architecture_for("meta-llama/Llama-3.1-8B-Instruct")


def test_roofline_and_cost_against_a_hand_computation():
    # Llama-3.1-8B BF16, 1× H100 (3350 GB/s), batch 1, 1024 cached tokens, pure roofline (efficiency 1):
    # bytes/step = 2 B × (8,030,261,248 params − 525,336,576 input-embedding params) + 1024 × 131,072 B KV
    step_bytes = 2 * (8_030_261_248 - 128256 * 4096) + 1024 * 131_072
    assert step_bytes == 15_144_067_072
    tokens_per_second = 3350e9 / step_bytes                       # ≈ 221.2 tokens/s
    dollars = 6.88 / (tokens_per_second * 3600) * 1e6             # p5.4xlarge $6.88/h ⇒ ≈ $8.64 per 1M tokens
    est = decode_throughput(LLAMA_8B, "H100-80GB", batch=1, context_len=1024, efficiency=1.0)
    assert est.bytes_per_step_per_gpu == step_bytes
    assert est.tokens_per_second == pytest.approx(tokens_per_second, rel=1e-9)
    assert est.bound == "memory" and est.kind.startswith("estimate")
    assert cost_per_million_output_tokens(est, price_per_gpu_hour=6.88) == pytest.approx(dollars, rel=1e-9)
    assert dollars == pytest.approx(8.64, abs=0.01)


def test_cost_counts_every_gpu_of_a_tensor_parallel_group():
    est = decode_throughput(architecture_for("llama-3.1-70b"), "H100-80GB", count=2, batch=8, context_len=4096)
    expected = 2 * 6.88 * 1e6 / (est.tokens_per_second * 3600)
    assert cost_per_million_output_tokens(est, price_per_gpu_hour=6.88) == pytest.approx(expected)


def test_batching_raises_total_throughput_and_lowers_per_sequence_speed():
    runs = [decode_throughput(LLAMA_8B, "H100-80GB", batch=b, context_len=2048) for b in (1, 4, 16, 64, 200)]
    totals = [run.tokens_per_second for run in runs]
    per_sequence = [run.tokens_per_second_per_sequence for run in runs]
    assert totals == sorted(totals) and len(set(totals)) == len(totals)
    assert per_sequence == sorted(per_sequence, reverse=True)
    costs = [cost_per_million_output_tokens(run, price_per_gpu_hour=6.88) for run in runs]
    assert costs == sorted(costs, reverse=True)


def test_longer_context_and_slower_memory_lower_throughput():
    by_context = [decode_throughput(LLAMA_8B, "H100-80GB", batch=8, context_len=c).tokens_per_second
                  for c in (512, 4096, 16000)]
    assert by_context == sorted(by_context, reverse=True)
    by_gpu = [decode_throughput(LLAMA_8B, gpu, batch=1, context_len=2048).tokens_per_second
              for gpu in ("L4", "A10G", "A100-80GB", "H100-80GB", "H200-141GB", "B200")]
    assert by_gpu == sorted(by_gpu)
    bf16 = decode_throughput(LLAMA_8B, "H100-80GB", batch=32, context_len=8192)
    fp8 = decode_throughput(LLAMA_8B, "H100-80GB", batch=32, context_len=8192, dtype="fp8", kv_cache_dtype="fp8")
    assert fp8.tokens_per_second > bf16.tokens_per_second


def test_default_batch_is_what_memory_holds_capped_at_vllm_max_num_seqs():
    assert decode_throughput(LLAMA_8B, "L4", context_len=8192).batch == 2
    assert decode_throughput(LLAMA_8B, "B200", context_len=1024).batch == 256


def test_moe_reads_only_the_experts_a_batch_visits():
    mixtral = architecture_for("mixtral-8x7b")
    one, many = (weights_read_per_step(mixtral, batch=b) for b in (1, 256))
    assert one < many and many == pytest.approx(weights_read_per_step(mixtral, batch=10_000))
    # batch 1 touches 2 of 8 experts: ~12.9 B active params minus the input embedding table, in BF16
    assert one / 2 == pytest.approx(12.9e9 - 32000 * 4096, rel=0.02)


def test_a_model_that_does_not_fit_has_no_throughput_and_no_cost():
    est = decode_throughput(architecture_for("llama-3.1-70b"), "L4", batch=1)
    assert est.tokens_per_second == 0 and "exceed" in est.reason
    assert cost_per_million_output_tokens(est, price_per_gpu_hour=0.8) is None
