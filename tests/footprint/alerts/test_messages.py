"""The Block Kit messages keep within Slack's limits whatever the finding holds."""

from __future__ import annotations

from decimal import Decimal

from footprint.alerts.messages import digest_message, event_message
from footprint.findings.models import Finding, FindingEvent
from tests.footprint.alerts.helpers import blocks_of, fields_of, header_of
from tests.footprint.findings.conftest import NOW


def finding(pk: int = 7, **fields) -> Finding:
    values = {"rule": "waste.duplicates", "title": "Duplicate <model> & co " + "x" * 300, "severity": "high",
              "subject": "prod-a/llm/chat", "evidence": {"deployment": 3, "copies": [{"cluster": "a"}] * 200,
                                                         "region": "us-east-1", "note": None},
              "impact_monthly": Decimal("12345.5"), "impact_basis": "2 × p5.48xlarge", "action": {"kind": "scale"},
              "first_seen": NOW, "opened_at": NOW, "last_seen": NOW, **fields}
    return Finding(pk=pk, **values)


def test_an_event_message_is_within_slacks_limits():
    event = FindingEvent(finding=finding(), kind="opened", at=NOW, data={"severity": "high"})

    message = event_message(event=event, route_name="ops")

    assert len(header_of(message)) == 150 and header_of(message).endswith("…")
    assert all(len(f["text"]) <= 2000 for b in blocks_of(message, "section") for f in b.get("fields", []))
    assert all(len(b.get("fields", [])) <= 10 for b in blocks_of(message, "section"))
    fields = fields_of(message)
    assert "deployment" not in fields and "note" not in fields          # ids and empty values left out
    assert fields["region"] == "us-east-1" and len(fields["copies"]) <= 300
    assert "$12,345.50/month" in blocks_of(message, "section")[0]["text"]["text"]
    assert "&lt;model&gt; &amp; co" in message["text"]
    context = [e["text"] for e in blocks_of(message, "context")[0]["elements"]]
    assert context[:2] == ["Impact: 2 × p5.48xlarge", "Suggested action: scale"]


def test_an_unpriced_finding_says_so():
    event = FindingEvent(finding=finding(impact_monthly=None, impact_basis="pending pods are not billed"),
                         kind="opened", at=NOW, data={"severity": "high"})
    assert "impact *not priced*" in blocks_of(event_message(event=event, route_name="ops"), "section")[0]["text"]["text"]


def test_a_long_digest_stays_under_fifty_blocks_and_links_the_rest():
    events = [FindingEvent(finding=finding(pk=i), kind="opened", at=NOW, data={"severity": "high"})
              for i in range(1, 61)]

    message = digest_message(events=events, route_name="ops", at=NOW)

    assert len(message["blocks"]) <= 50
    assert "…and 20 more: <http://127.0.0.1:8000/findings/|all findings>" in [
        b["text"]["text"] for b in blocks_of(message, "section")]
    assert message["text"] == "Footprint digest for ops: 60 opened, 0 raised, 0 resolved"
