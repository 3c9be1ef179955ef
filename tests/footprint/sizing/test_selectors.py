"""model_sizing: the JSON the model page and the API render, against published figures and the catalog."""

from __future__ import annotations

import json

import pytest

from footprint.costs.catalog import PriceCatalog
from footprint.sizing.selectors import model_sizing

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def catalog(django_db_blocker):
    with django_db_blocker.unblock():
        return PriceCatalog.load()          # the seed price sheet (migration 0002)


@pytest.mark.parametrize(("model", "weights_gb", "kv_bytes"), [
    ("meta-llama/Llama-3.1-8B-Instruct", 16.06, 131_072),     # 8.03 B × 2 B; 32 × 8 × 128 × 2 × 2
    ("meta-llama/Llama-3.1-70B-Instruct", 141.2, 327_680),    # 70.6 B × 2 B; 80 × 8 × 128 × 2 × 2
    ("deepseek-ai/DeepSeek-V3", 673, 70_272),                 # FP8 671 B (+BF16 embeddings); (512 + 64) × 61 × 2
])
def test_published_weights_and_kv_per_token(catalog, model, weights_gb, kv_bytes):
    sizing = model_sizing(model, catalog=catalog)
    assert sizing["weights"]["bytes"] / 1e9 == pytest.approx(weights_gb, rel=0.02)
    assert sizing["kvBytesPerToken"] == kv_bytes
    json.dumps(sizing)  # JSON-able as is


def test_gpu_rows_fit_price_and_cost_per_token(catalog):
    sizing = model_sizing("llama3.1:8b", context_len=8192, concurrency=4, catalog=catalog)
    assert sizing["architecture"]["name"] == "meta-llama/Llama-3.1-8B-Instruct"
    assert sizing["architecture"]["attention"] == "GQA" and sizing["contextLen"] == 8192
    assert sizing["weights"]["byDtype"]["fp8"] < sizing["weights"]["byDtype"]["bfloat16"]
    assert sizing["kvBytesPerSequence"] == 8192 * 131_072       # 512 whole blocks of 16 tokens
    rows = {row["gpu"]: row for row in sizing["gpus"]}
    a10g = rows["A10G"]
    # 16 GB of BF16 weights do not leave room for 4 × 8k sequences on one 24 GB A10G: two are needed
    assert a10g["fits"] and a10g["count"] == 2 and a10g["maxConcurrentSequences"] >= 4
    # the only A10G prices are AWS g5 instances; the cheapest per GPU is g5.xlarge at $1.006/h
    assert a10g["pricePerGpuHour"] == 1.006 and a10g["priceFrom"]["key"] == "g5.xlarge"
    assert a10g["hourlyCost"] == pytest.approx(2.012)
    assert a10g["costPerMillionOutputTokens"] == pytest.approx(
        2.012 * 1e6 / (a10g["decodeTokensPerSecond"] * 3600), rel=1e-3)
    assert rows["H100-80GB"]["count"] == 1
    fitting = [row for row in sizing["gpus"] if row["fits"] and row["hourlyCost"] is not None]
    cheapest = sizing["cheapest"]
    assert cheapest["hourlyCost"] == min(row["hourlyCost"] for row in fitting)
    assert sizing["cheapestPerToken"]["costPerMillionOutputTokens"] == min(
        row["costPerMillionOutputTokens"] for row in fitting if row["costPerMillionOutputTokens"] is not None)
    assert any("cheapest on-demand list price" in text for text in sizing["assumptions"])


def test_a_gpu_without_a_price_has_no_cost_never_zero(catalog):
    rows = {row["gpu"]: row for row in model_sizing("llama-3.1-8b", catalog=catalog)["gpus"]}
    assert rows["MI300X"]["fits"] and rows["MI300X"]["pricePerGpuHour"] is None
    assert rows["MI300X"]["costPerMillionOutputTokens"] is None and rows["MI300X"]["hourlyCost"] is None


def test_a_model_too_big_for_a_gpu_says_why(catalog):
    rows = {row["gpu"]: row for row in model_sizing("deepseek-ai/DeepSeek-V3", catalog=catalog)["gpus"]}
    assert not rows["L4"]["fits"] and rows["L4"]["count"] is None and rows["L4"]["reason"]
    assert rows["L4"]["costPerMillionOutputTokens"] is None


def test_unknown_model_is_none_but_a_config_json_sizes_it(catalog):
    assert model_sizing("acme/secret-model-13b", catalog=catalog) is None
    config = {"model_type": "llama", "num_hidden_layers": 32, "hidden_size": 4096, "num_attention_heads": 32,
              "num_key_value_heads": 8, "intermediate_size": 14336, "vocab_size": 128256,
              "max_position_embeddings": 131072, "torch_dtype": "bfloat16", "tie_word_embeddings": False}
    sizing = model_sizing("acme/secret-model-8b", config_json=config, catalog=catalog)
    assert sizing["source"] == "config.json" and sizing["kvBytesPerToken"] == 131_072
    assert sizing["architecture"]["params"] == 8_030_261_248


def test_encoders_have_no_kv_and_no_decode(catalog):
    sizing = model_sizing("BAAI/bge-large-en-v1.5", catalog=catalog)
    assert sizing["contextLen"] == 512 and sizing["kvBytesPerToken"] == 0
    assert all(row["decodeTokensPerSecond"] is None for row in sizing["gpus"])
