"""Model architectures for sizing: a shipped table of popular open models and a config.json reader.

(Named ``architectures`` so it is not mistaken for Django models.) The table holds the HF ``config.json``
fields that memory and throughput depend on (gpu-catalog.md §3a, cross-checked: every row's parameter
estimate lands within 1 % of its published count, see the tests). Parameter counts are computed from the
dimensions, so an uploaded config.json sizes exactly like a shipped row.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class Architecture:
    name: str
    layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    intermediate: int
    vocab: int
    tied_embeddings: bool = False
    max_position: int | None = None
    dtype: str = "bfloat16"              # checkpoint dtype (config torch_dtype / dtype)
    quantization: str | None = None      # awq, gptq, int4, int8, fp8, mxfp4 (None: plain dtype)
    quant_group_size: int = 128          # int4 scale group size
    gated_mlp: bool = True               # SwiGLU/GeGLU: 3 matrices per MLP, else 2
    encoder: bool = False                # BERT-style: no KV cache
    experts: int = 0                     # routed experts per MoE layer (0: dense)
    experts_per_token: int = 0
    moe_intermediate: int | None = None  # per-expert FFN width when it differs from ``intermediate``
    shared_experts: int = 0
    dense_layers: int = 0                # leading dense layers of an MoE model (DeepSeek first_k_dense_replace)
    sliding_window: int | None = None
    sliding_layers: int = 0              # layers that keep only the last ``sliding_window`` tokens
    kv_lora_rank: int | None = None      # MLA (DeepSeek-V2/V3/R1)
    qk_rope_head_dim: int = 0
    qk_nope_head_dim: int = 0
    q_lora_rank: int | None = None
    v_head_dim: int = 0
    published_params: float | None = None  # the model card's count, for display and the tests

    @property
    def is_mla(self) -> bool:
        return bool(self.kv_lora_rank)

    @property
    def is_moe(self) -> bool:
        return self.experts > 0

    def param_counts(self) -> dict[str, int]:
        """Parameters by part: embed (input table), lm_head (0 when tied), experts (routed), other."""
        h, layers = self.hidden, self.layers
        embed = self.vocab * h + (self.max_position or 0) * h * self.encoder  # BERT learns positions
        lm_head = 0 if self.tied_embeddings or self.encoder else self.vocab * h
        mlp_mats = 3 if self.gated_mlp else 2
        if self.is_mla:
            qk = self.qk_nope_head_dim + self.qk_rope_head_dim
            q = h * self.q_lora_rank + self.q_lora_rank * self.heads * qk if self.q_lora_rank else h * self.heads * qk
            attention = (q + h * (self.kv_lora_rank + self.qk_rope_head_dim)
                         + self.kv_lora_rank * self.heads * (self.qk_nope_head_dim + self.v_head_dim)
                         + self.heads * self.v_head_dim * h)
        else:
            attention = 2 * h * self.heads * self.head_dim + 2 * h * self.kv_heads * self.head_dim
        dense_mlp = mlp_mats * h * self.intermediate
        experts = other_mlp = 0
        if self.is_moe:
            width = self.moe_intermediate or self.intermediate
            moe_layers = layers - self.dense_layers
            experts = moe_layers * self.experts * mlp_mats * h * width
            other_mlp = (self.dense_layers * dense_mlp
                         + moe_layers * (self.shared_experts * mlp_mats * h * width + h * self.experts))
        else:
            other_mlp = layers * dense_mlp
        norms = 2 * h * layers + h
        if self.encoder:  # biases, pooler and LayerNorm betas are a visible share of small encoders
            attention += 4 * h
            other_mlp += layers * (self.intermediate + h + 2 * h) + h * h + h
        return {"embed": embed, "lm_head": lm_head, "experts": experts,
                "other": layers * attention + other_mlp + norms}

    @property
    def params(self) -> int:
        return sum(self.param_counts().values())

    @property
    def active_params(self) -> int:
        """Parameters used per token: all but the routed experts a token does not visit."""
        counts = self.param_counts()
        idle = counts["experts"] * (1 - self.experts_per_token / self.experts) if self.is_moe else 0
        return round(self.params - idle)


def _row(name: str, layers: int, hidden: int, heads: int, kv: int, head_dim: int, inter: int, vocab: int,
         max_pos: int, params: float, **extra: Any) -> Architecture:
    return Architecture(name, layers, hidden, heads, kv, head_dim, inter, vocab, max_position=max_pos,
                        published_params=params, **extra)


_GPT_OSS = dict(experts_per_token=4, quantization="mxfp4", sliding_window=128)
_ENCODER = dict(encoder=True, gated_mlp=False, tied_embeddings=True, dtype="float32")

ARCHITECTURES: dict[str, Architecture] = {a.name: a for a in (
    _row("meta-llama/Llama-3.1-8B-Instruct", 32, 4096, 32, 8, 128, 14336, 128256, 131072, 8.03e9),
    _row("meta-llama/Llama-3.1-70B-Instruct", 80, 8192, 64, 8, 128, 28672, 128256, 131072, 70.6e9),
    _row("meta-llama/Llama-3.1-405B-Instruct", 126, 16384, 128, 8, 128, 53248, 128256, 131072, 405.9e9),
    _row("meta-llama/Llama-3.2-1B-Instruct", 16, 2048, 32, 8, 64, 8192, 128256, 131072, 1.24e9,
         tied_embeddings=True),
    _row("meta-llama/Llama-3.2-3B-Instruct", 28, 3072, 24, 8, 128, 8192, 128256, 131072, 3.21e9,
         tied_embeddings=True),
    _row("mistralai/Mistral-7B-Instruct-v0.3", 32, 4096, 32, 8, 128, 14336, 32768, 32768, 7.25e9),
    _row("mistralai/Mixtral-8x7B-Instruct-v0.1", 32, 4096, 32, 8, 128, 14336, 32000, 32768, 46.7e9,
         experts=8, experts_per_token=2),
    _row("Qwen/Qwen2.5-7B-Instruct", 28, 3584, 28, 4, 128, 18944, 152064, 32768, 7.62e9),
    _row("Qwen/Qwen2.5-14B-Instruct", 48, 5120, 40, 8, 128, 13824, 152064, 32768, 14.7e9),
    _row("Qwen/Qwen2.5-32B-Instruct", 64, 5120, 40, 8, 128, 27648, 152064, 32768, 32.8e9),
    _row("Qwen/Qwen2.5-72B-Instruct", 80, 8192, 64, 8, 128, 29568, 152064, 32768, 72.7e9),
    _row("google/gemma-2-9b-it", 42, 3584, 16, 8, 256, 14336, 256000, 8192, 9.24e9, tied_embeddings=True,
         sliding_window=4096, sliding_layers=21),
    _row("google/gemma-2-27b-it", 46, 4608, 32, 16, 128, 36864, 256000, 8192, 27.2e9, tied_embeddings=True,
         sliding_window=4096, sliding_layers=23),
    _row("microsoft/Phi-3-mini-4k-instruct", 32, 3072, 32, 32, 96, 8192, 32064, 4096, 3.82e9),
    _row("deepseek-ai/DeepSeek-R1-Distill-Qwen-7B", 28, 3584, 28, 4, 128, 18944, 152064, 131072, 7.62e9),
    _row("openai/gpt-oss-20b", 24, 2880, 64, 8, 64, 2880, 201088, 131072, 20.9e9, experts=32,
         sliding_layers=12, **_GPT_OSS),
    _row("openai/gpt-oss-120b", 36, 2880, 64, 8, 64, 2880, 201088, 131072, 116.8e9, experts=128,
         sliding_layers=18, **_GPT_OSS),
    _row("deepseek-ai/DeepSeek-V3", 61, 7168, 128, 128, 192, 18432, 129280, 163840, 671e9, experts=256,
         experts_per_token=8, moe_intermediate=2048, shared_experts=1, dense_layers=3, quantization="fp8",
         kv_lora_rank=512, qk_rope_head_dim=64, qk_nope_head_dim=128, q_lora_rank=1536, v_head_dim=128),
    _row("BAAI/bge-large-en-v1.5", 24, 1024, 16, 16, 64, 4096, 30522, 512, 335e6, **_ENCODER),
    _row("sentence-transformers/all-MiniLM-L6-v2", 6, 384, 12, 12, 32, 1536, 30522, 512, 22.7e6, **_ENCODER),
)}

# Normalised spellings (see ``_normalise``) → table name. Instruct/base/chat variants share an architecture.
ALIASES: dict[str, str] = {
    "llama-3.1-8b": "meta-llama/Llama-3.1-8B-Instruct", "llama-3-8b": "meta-llama/Llama-3.1-8B-Instruct",
    "llama-3.1-70b": "meta-llama/Llama-3.1-70B-Instruct", "llama-3.3-70b": "meta-llama/Llama-3.1-70B-Instruct",
    "llama-3-70b": "meta-llama/Llama-3.1-70B-Instruct",
    "llama-3.1-405b": "meta-llama/Llama-3.1-405B-Instruct",
    "llama-3.2-1b": "meta-llama/Llama-3.2-1B-Instruct", "llama-3.2-3b": "meta-llama/Llama-3.2-3B-Instruct",
    "mistral-7b": "mistralai/Mistral-7B-Instruct-v0.3",
    "mixtral-8x7b": "mistralai/Mixtral-8x7B-Instruct-v0.1",
    "qwen2.5-7b": "Qwen/Qwen2.5-7B-Instruct", "qwen2.5-14b": "Qwen/Qwen2.5-14B-Instruct",
    "qwen2.5-32b": "Qwen/Qwen2.5-32B-Instruct", "qwen2.5-72b": "Qwen/Qwen2.5-72B-Instruct",
    "gemma-2-9b": "google/gemma-2-9b-it", "gemma-2-27b": "google/gemma-2-27b-it",
    "phi-3-mini": "microsoft/Phi-3-mini-4k-instruct", "phi-3-mini-4k": "microsoft/Phi-3-mini-4k-instruct",
    "phi-3-mini-128k": "microsoft/Phi-3-mini-4k-instruct",
    "deepseek-r1-distill-qwen-7b": "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",
    "deepseek-r1-7b": "deepseek-ai/DeepSeek-R1-Distill-Qwen-7B",  # Ollama's name for the distill
    "gpt-oss-20b": "openai/gpt-oss-20b", "gpt-oss-120b": "openai/gpt-oss-120b",
    "deepseek-v3": "deepseek-ai/DeepSeek-V3", "deepseek-r1": "deepseek-ai/DeepSeek-V3",
    "deepseek-v3-0324": "deepseek-ai/DeepSeek-V3", "deepseek-r1-0528": "deepseek-ai/DeepSeek-V3",
    "bge-large-en-v1.5": "BAAI/bge-large-en-v1.5", "bge-large-en": "BAAI/bge-large-en-v1.5",
    "bge-large": "BAAI/bge-large-en-v1.5",
    "all-minilm-l6-v2": "sentence-transformers/all-MiniLM-L6-v2",
    "all-minilm": "sentence-transformers/all-MiniLM-L6-v2", "minilm": "sentence-transformers/all-MiniLM-L6-v2",
}
# Trailing tokens that do not change the architecture (stripped repeatedly) or name a quantisation.
_VARIANT_SUFFIXES = ("instruct", "it", "chat", "hf", "base", "v0.1", "v0.2", "v0.3", "latest")
_QUANT_SUFFIXES = {"awq": "awq", "gptq": "gptq", "int4": "int4", "w4a16": "int4", "4bit": "int4",
                   "bnb-4bit": "int4", "int8": "int8", "w8a8": "int8", "w8a16": "int8", "fp8": "fp8",
                   "fp8-dynamic": "fp8", "mxfp4": "mxfp4"}


def _normalise(model_name: str) -> tuple[str, str | None]:
    """``meta/llama3.1:8b-instruct-fp8`` → (``llama-3.1-8b``, ``fp8``)."""
    key = model_name.strip().lower().rstrip("/")
    key = re.sub(r"^(hf|huggingface)://|^https?://huggingface\.co/", "", key).rsplit("/", 1)[-1]
    key = key.replace(":", "-").replace("_", "-").removeprefix("meta-")
    key = re.sub(r"^(llama|gemma|phi)-?(\d)", r"\1-\2", key)         # llama3.1 → llama-3.1, phi3 → phi-3
    key = re.sub(r"^llama-(\d)-(\d)-", r"llama-\1.\2-", key)         # llama-3-1-8b → llama-3.1-8b
    quantization = None
    stripped = True
    while stripped:
        stripped = False
        for suffix, quant in sorted(_QUANT_SUFFIXES.items(), key=lambda kv: -len(kv[0])):
            if key.endswith("-" + suffix):
                key, quantization, stripped = key[: -len(suffix) - 1], quantization or quant, True
        for suffix in _VARIANT_SUFFIXES:
            if key.endswith("-" + suffix):
                key, stripped = key[: -len(suffix) - 1], True
    return key, quantization


def architecture_for(model_name: str | None) -> Architecture | None:
    """The shipped architecture of a model id (HF, NIM, Ollama or path spellings), or None if unknown.

    A quantisation named in the id (``…-AWQ``, ``…-FP8``) is carried on the result.
    """
    if not model_name:
        return None
    by_lower = {name.lower(): arch for name, arch in ARCHITECTURES.items()}
    arch = by_lower.get(model_name.strip().lower())
    if arch is not None:
        return arch
    key, quantization = _normalise(model_name)
    arch = ARCHITECTURES.get(ALIASES.get(key, ""))
    if arch is not None and quantization and quantization != arch.quantization:
        arch = replace(arch, quantization=quantization)
    return arch


# --- config.json -------------------------------------------------------------------------------

_ENCODER_TYPES = {"bert", "roberta", "xlm-roberta", "distilbert", "mpnet", "electra", "deberta", "deberta-v2",
                  "nomic_bert", "new"}
_UNGATED_TYPES = {"gpt2", "gpt_neox", "gptj", "opt", "bloom", "falcon", "phi", "starcoder2", "gpt_bigcode"}


def _first(config: dict, *keys: str, default: Any = None) -> Any:
    for key in keys:
        if config.get(key) is not None:
            return config[key]
    return default


def _quantization(config: dict) -> tuple[str | None, int]:
    """(scheme, int4 group size) from ``quantization_config``."""
    qc = config.get("quantization_config") or {}
    method = str(qc.get("quant_method") or "").lower()
    group = int(qc.get("group_size") or qc.get("q_group_size") or 128)
    if method in ("awq", "gptq"):
        return (method if int(qc.get("bits", 4)) == 4 else "int8"), group
    if method in ("fp8", "fbgemm_fp8", "mxfp4"):
        return ("mxfp4" if method == "mxfp4" else "fp8"), group
    if method == "bitsandbytes":
        return ("int4" if qc.get("load_in_4bit") else "int8"), 64
    if method == "compressed-tensors":
        for group_cfg in (qc.get("config_groups") or {}).values():
            weights = group_cfg.get("weights") or {}
            bits, kind = int(weights.get("num_bits") or 16), weights.get("type")
            if bits == 4:
                return "int4", int(weights.get("group_size") or 128)
            if bits == 8:
                return ("fp8" if kind == "float" else "int8"), group
    return None, group


def _sliding_layers(config: dict, layers: int, window: int | None) -> int:
    if not window:
        return 0
    if isinstance(config.get("layer_types"), list):
        return sum(1 for kind in config["layer_types"] if kind == "sliding_attention")
    if config.get("use_sliding_window") is False:
        return 0
    model_type = config.get("model_type", "")
    if model_type == "gemma2":  # even layers slide (transformers Gemma2: not layer_idx % 2)
        return math.ceil(layers / 2)
    if model_type.startswith("gemma3"):  # pattern 6: five local layers, then one global
        pattern = int(config.get("sliding_window_pattern") or 6)
        return layers - layers // pattern
    if model_type == "gpt_oss":
        return layers // 2
    if config.get("max_window_layers") is not None:  # Qwen2: layers from max_window_layers on slide
        return max(0, layers - int(config["max_window_layers"]))
    return layers  # Mistral-7B-v0.1 style: every layer slides


def architecture_from_config(config_json: dict, *, name: str | None = None) -> Architecture:
    """Read a Hugging Face ``config.json`` (multimodal configs: the ``text_config`` part)."""
    outer = config_json
    config = {**outer, **outer["text_config"]} if isinstance(outer.get("text_config"), dict) else outer
    model_type = str(config.get("model_type") or "")
    layers = int(_first(config, "num_hidden_layers", "n_layer", "num_layers"))
    hidden = int(_first(config, "hidden_size", "n_embd", "d_model"))
    heads = int(_first(config, "num_attention_heads", "n_head"))
    kv_heads = 1 if config.get("multi_query") else int(_first(config, "num_key_value_heads", "num_kv_heads",
                                                             "n_head_kv", default=heads))
    head_dim = int(_first(config, "head_dim", default=hidden // heads))
    experts = int(_first(config, "num_local_experts", "n_routed_experts", "num_experts", default=0) or 0)
    window = _first(config, "sliding_window")
    quantization, group = _quantization(outer) if outer.get("quantization_config") else _quantization(config)
    encoder = model_type in _ENCODER_TYPES
    return Architecture(
        name=name or str(_first(outer, "_name_or_path", default="") or model_type or "uploaded config"),
        layers=layers, hidden=hidden, heads=heads, kv_heads=kv_heads, head_dim=head_dim,
        intermediate=int(_first(config, "intermediate_size", "ffn_dim", "n_inner", default=4 * hidden)),
        vocab=int(_first(config, "vocab_size", default=0)),
        tied_embeddings=bool(_first(config, "tie_word_embeddings", default=True)),  # transformers default
        max_position=_first(config, "max_position_embeddings", "n_positions", "max_seq_len"),
        dtype=str(_first(outer, "torch_dtype", "dtype", default=None)
                  or _first(config, "torch_dtype", "dtype", default="bfloat16")),
        quantization=quantization, quant_group_size=group,
        gated_mlp=not encoder and model_type not in _UNGATED_TYPES, encoder=encoder,
        experts=experts,
        experts_per_token=int(_first(config, "num_experts_per_tok", "experts_per_token",
                                     "num_experts_per_token", default=0) or 0) if experts else 0,
        moe_intermediate=_first(config, "moe_intermediate_size"),
        shared_experts=int(_first(config, "n_shared_experts", default=0) or 0),
        dense_layers=int(_first(config, "first_k_dense_replace", default=0) or 0),
        sliding_window=int(window) if window else None,
        sliding_layers=_sliding_layers(config, layers, window),
        kv_lora_rank=_first(config, "kv_lora_rank"),
        qk_rope_head_dim=int(_first(config, "qk_rope_head_dim", default=0)),
        qk_nope_head_dim=int(_first(config, "qk_nope_head_dim", default=0)),
        q_lora_rank=_first(config, "q_lora_rank"),
        v_head_dim=int(_first(config, "v_head_dim", default=0)),
    )
