"""Sizing: model memory, KV cache, GPU fit and decode cost per token (pure Python, no Django models).

- ``architectures``: ``Architecture``, ``ARCHITECTURES`` (shipped table), ``architecture_for(model_name)``,
  ``architecture_from_config(config_json)``.
- ``gpus``: ``GpuSpec``, ``GPUS`` (canonical accelerator names), ``gpu_spec(name)``.
- ``memory``: ``weight_bytes``, ``kv_bytes_per_token``, ``kv_bytes_per_sequence``, ``capacity``,
  ``max_concurrent_sequences``, ``cheapest_fit``.
- ``throughput``: ``decode_throughput``, ``cost_per_million_output_tokens``.
- ``selectors``: ``model_sizing(model_name, context_len=, concurrency=, config_json=)``, the JSON-able sizing
  the model page and the API render (the one module here that reads the database: the price catalog).
"""
