"""Renderers of the ModelSpecList export: byte for byte what ``manage.py inventory --format json|yaml`` prints."""

from __future__ import annotations

import json

import yaml
from rest_framework.renderers import BaseRenderer
from rest_framework.utils.encoders import JSONEncoder


class ModelSpecJSONRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()


class ModelSpecYAMLRenderer(BaseRenderer):
    media_type = "application/yaml"
    format = "yaml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if renderer_context and renderer_context["response"].exception:
            data = json.loads(json.dumps(data, cls=JSONEncoder))  # ErrorDetail (a str subclass) → str
        return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True).encode()
