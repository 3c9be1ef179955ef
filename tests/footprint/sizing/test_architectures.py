"""The shipped model table and the config.json reader."""

from __future__ import annotations

import pytest

from footprint.sizing.architectures import ARCHITECTURES, architecture_for, architecture_from_config
from footprint.sizing.memory import kv_bytes_per_sequence, kv_bytes_per_token, weight_bytes

LLAMA_31_8B_CONFIG = {
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4096,
    "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8,
    "vocab_size": 128256, "max_position_embeddings": 131072, "tie_word_embeddings": False,
    "torch_dtype": "bfloat16", "rope_scaling": {"rope_type": "llama3", "factor": 8.0},
}


@pytest.mark.parametrize("arch", ARCHITECTURES.values(), ids=lambda a: a.name)
def test_parameter_count_from_dimensions_matches_the_model_card(arch):
    assert arch.params == pytest.approx(arch.published_params, rel=0.01)


def test_llama_31_8b_parameter_count_is_exact():
    assert ARCHITECTURES["meta-llama/Llama-3.1-8B-Instruct"].params == 8_030_261_248


def test_moe_active_parameters_match_published_figures():
    assert architecture_for("mixtral-8x7b").active_params == pytest.approx(12.9e9, rel=0.02)
    assert architecture_for("deepseek-v3").active_params == pytest.approx(37e9, rel=0.02)


@pytest.mark.parametrize(("spelling", "expected"), [
    ("meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B-Instruct"),
    ("meta-llama/llama-3.1-8b", "meta-llama/Llama-3.1-8B-Instruct"),
    ("meta-llama/Meta-Llama-3.1-8B-Instruct", "meta-llama/Llama-3.1-8B-Instruct"),
    ("meta/llama-3.1-8b-instruct", "meta-llama/Llama-3.1-8B-Instruct"),          # NIM
    ("llama3.1:8b", "meta-llama/Llama-3.1-8B-Instruct"),                         # Ollama
    ("hf://meta-llama/Llama-3.3-70B-Instruct", "meta-llama/Llama-3.1-70B-Instruct"),
    ("/models/Qwen2.5-72B-Instruct/", "Qwen/Qwen2.5-72B-Instruct"),
    ("mistralai/mistral-7b-instruct-v0.3", "mistralai/Mistral-7B-Instruct-v0.3"),
    ("mistralai/mixtral-8x7b-instruct-v0.1", "mistralai/Mixtral-8x7B-Instruct-v0.1"),
    ("google/gemma-2-9b", "google/gemma-2-9b-it"), ("gemma2:27b", "google/gemma-2-27b-it"),
    ("microsoft/phi-3-mini-128k-instruct", "microsoft/Phi-3-mini-4k-instruct"),
    ("deepseek-ai/deepseek-r1", "deepseek-ai/DeepSeek-V3"), ("gpt-oss:20b", "openai/gpt-oss-20b"),
    ("BAAI/bge-large-en", "BAAI/bge-large-en-v1.5"),
    ("sentence-transformers/all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"),
])
def test_architecture_for_common_spellings(spelling, expected):
    assert architecture_for(spelling).name == expected


def test_architecture_for_carries_a_quantisation_named_in_the_id():
    assert architecture_for("Qwen/Qwen2.5-7B-Instruct-AWQ").quantization == "awq"
    assert architecture_for("neuralmagic/Meta-Llama-3.1-70B-Instruct-FP8").quantization == "fp8"
    assert architecture_for("meta-llama/Llama-3.1-8B-Instruct").quantization is None


@pytest.mark.parametrize("unknown", [None, "", "acme/secret-model-13b", "llama-3.1-9b"])
def test_architecture_for_unknown_models_is_none(unknown):
    assert architecture_for(unknown) is None


def test_config_gqa_llama_reads_like_the_shipped_row():
    arch = architecture_from_config(LLAMA_31_8B_CONFIG, name="mine")
    shipped = ARCHITECTURES["meta-llama/Llama-3.1-8B-Instruct"]
    assert (arch.kv_heads, arch.head_dim, arch.params) == (8, 128, shipped.params)
    assert kv_bytes_per_token(arch) == 131_072
    assert arch.name == "mine" and arch.quantization is None


def test_config_without_kv_heads_or_head_dim_is_mha_with_hidden_over_heads():
    llama2_7b = {"model_type": "llama", "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32,
                 "num_attention_heads": 32, "vocab_size": 32000, "max_position_embeddings": 4096,
                 "tie_word_embeddings": False, "torch_dtype": "float16"}
    arch = architecture_from_config(llama2_7b)
    assert (arch.kv_heads, arch.head_dim) == (32, 128)
    assert kv_bytes_per_token(arch) == 2 * 32 * 32 * 128 * 2   # 512 KiB, the Llama-2-7B figure
    assert arch.params == pytest.approx(6.74e9, rel=0.01)


def test_config_nested_text_config_and_newer_dtype_key():
    multimodal = {"model_type": "mistral3", "dtype": "bfloat16", "vision_config": {"hidden_size": 1024},
                  "text_config": {"model_type": "mistral", "hidden_size": 5120, "intermediate_size": 32768,
                                  "num_hidden_layers": 40, "num_attention_heads": 32, "num_key_value_heads": 8,
                                  "head_dim": 128, "vocab_size": 131072, "tie_word_embeddings": False}}
    arch = architecture_from_config(multimodal)
    assert (arch.layers, arch.kv_heads, arch.head_dim, arch.dtype) == (40, 8, 128, "bfloat16")
    assert kv_bytes_per_token(arch) == 2 * 40 * 8 * 128 * 2


def test_config_moe_keys_mixtral_and_deepseek_mla():
    mixtral = {"model_type": "mixtral", "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
               "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 32000,
               "num_local_experts": 8, "num_experts_per_tok": 2, "tie_word_embeddings": False}
    arch = architecture_from_config(mixtral)
    assert (arch.experts, arch.experts_per_token) == (8, 2)
    assert arch.params == pytest.approx(46.7e9, rel=0.01)
    assert kv_bytes_per_token(arch) == 131_072     # experts do not change the KV cache
    deepseek = {"model_type": "deepseek_v3", "hidden_size": 7168, "intermediate_size": 18432,
                "moe_intermediate_size": 2048, "num_hidden_layers": 61, "num_attention_heads": 128,
                "num_key_value_heads": 128, "n_routed_experts": 256, "n_shared_experts": 1,
                "num_experts_per_tok": 8, "first_k_dense_replace": 3, "kv_lora_rank": 512, "q_lora_rank": 1536,
                "qk_rope_head_dim": 64, "qk_nope_head_dim": 128, "v_head_dim": 128, "vocab_size": 129280,
                "tie_word_embeddings": False, "torch_dtype": "bfloat16",
                "quantization_config": {"quant_method": "fp8", "fmt": "e4m3", "weight_block_size": [128, 128]}}
    arch = architecture_from_config(deepseek)
    assert arch.is_mla and arch.quantization == "fp8"
    assert arch.params == pytest.approx(671e9, rel=0.01)
    assert kv_bytes_per_token(arch) == 70_272


def test_config_quantisation_awq_gptq_compressed_tensors_mxfp4():
    base = {**LLAMA_31_8B_CONFIG}
    awq = architecture_from_config({**base, "quantization_config": {"quant_method": "awq", "bits": 4,
                                                                   "group_size": 128, "zero_point": True}})
    gptq8 = architecture_from_config({**base, "quantization_config": {"quant_method": "gptq", "bits": 8}})
    ct = architecture_from_config({**base, "quantization_config": {
        "quant_method": "compressed-tensors",
        "config_groups": {"group_0": {"weights": {"num_bits": 8, "type": "float"}}}}})
    assert (awq.quantization, gptq8.quantization, ct.quantization) == ("awq", "int8", "fp8")
    assert weight_bytes(awq) < weight_bytes(ct) < weight_bytes(architecture_from_config(base))


def test_config_sliding_window_layer_types_and_disabled_windows():
    gpt_oss = {"model_type": "gpt_oss", "hidden_size": 2880, "intermediate_size": 2880, "num_hidden_layers": 24,
               "num_attention_heads": 64, "num_key_value_heads": 8, "head_dim": 64, "vocab_size": 201088,
               "num_local_experts": 32, "experts_per_token": 4, "sliding_window": 128,
               "layer_types": ["sliding_attention", "full_attention"] * 12, "tie_word_embeddings": False,
               "quantization_config": {"quant_method": "mxfp4",
                                       "modules_to_not_convert": ["model.layers.*.self_attn", "lm_head"]}}
    arch = architecture_from_config(gpt_oss)
    assert (arch.sliding_layers, arch.sliding_window, arch.quantization) == (12, 128, "mxfp4")
    assert arch.params == pytest.approx(20.9e9, rel=0.01)
    # at 8192 tokens half the layers hold 128 tokens: (12 × 8192 + 12 × 128) × 2 KiB per layer-token
    assert kv_bytes_per_sequence(arch, 8192) == (12 * 8192 + 12 * 128) * 2 * 8 * 64 * 2
    qwen = {**LLAMA_31_8B_CONFIG, "model_type": "qwen2", "sliding_window": 131072, "use_sliding_window": False,
            "max_window_layers": 28}
    assert architecture_from_config(qwen).sliding_layers == 0
    gemma2 = {"model_type": "gemma2", "hidden_size": 3584, "intermediate_size": 14336, "num_hidden_layers": 42,
              "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 256, "vocab_size": 256000,
              "sliding_window": 4096}
    arch = architecture_from_config(gemma2)
    assert (arch.sliding_layers, arch.tied_embeddings) == (21, True)
    assert arch.params == pytest.approx(9.24e9, rel=0.01)


def test_config_encoder_has_no_kv_cache():
    bge = {"model_type": "bert", "hidden_size": 1024, "intermediate_size": 4096, "num_hidden_layers": 24,
           "num_attention_heads": 16, "vocab_size": 30522, "max_position_embeddings": 512,
           "torch_dtype": "float32"}
    arch = architecture_from_config(bge)
    assert arch.encoder and kv_bytes_per_token(arch) == 0
    assert arch.params == pytest.approx(335e6, rel=0.01)
