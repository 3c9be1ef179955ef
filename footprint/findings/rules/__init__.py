"""Findings rules (drift.py, desired.py, orphans.py, waste.py, usage.py). A rule is a small class with a code,
a title, a default severity, documented parameters and ``evaluate(context) -> list[Observation]`` (see base.py). Register a
rule by adding it to its module's RULES."""

from __future__ import annotations

from footprint.findings.rules import desired, drift, orphans, usage, waste
from footprint.findings.rules.base import Observation, Rule

RULES: list[Rule] = [rule() for module in (drift, desired, orphans, waste, usage) for rule in module.RULES]
RULES_BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}

__all__ = ["RULES", "RULES_BY_CODE", "Observation", "Rule"]
