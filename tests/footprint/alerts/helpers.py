"""Reading what Slack received: blocks by type, section fields by label, the dashboard button."""

from __future__ import annotations

from typing import Any


def blocks_of(message: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [block for block in message["blocks"] if block["type"] == kind]


def header_of(message: dict[str, Any]) -> str:
    return blocks_of(message, "header")[0]["text"]["text"]


def fields_of(message: dict[str, Any]) -> dict[str, str]:
    """Every section field as label → value (fields are "*label*\\nvalue")."""
    fields = {}
    for block in blocks_of(message, "section"):
        for field in block.get("fields", []):
            label, _, value = field["text"].partition("\n")
            fields[label.strip("*")] = value
    return fields


def button_url(message: dict[str, Any]) -> str:
    return blocks_of(message, "actions")[0]["elements"][0]["url"]
