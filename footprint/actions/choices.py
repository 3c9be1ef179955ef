"""Choices of the actions app. The action kinds are the findings' (a finding proposes one of them)."""

from django.db import models

from footprint.findings.choices import ActionKind

__all__ = ["ActionKind", "ActionStatus", "AuditVerb"]


class ActionStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"          # waiting for an approver (or for a preview that works)
    APPROVED = "approved", "Approved"            # by an approver, or by a policy; ready to execute
    REJECTED = "rejected", "Rejected"
    EXECUTING = "executing", "Executing"
    FAILED = "failed", "Failed"                  # refused by the cluster (403, 404, conflict...) or not as expected
    SUCCEEDED = "succeeded", "Succeeded"         # applied, and the re-read object shows it
    VERIFIED = "verified", "Verified"            # ... and the re-crawl's inventory shows it too


OPEN_STATUSES = (ActionStatus.REQUESTED, ActionStatus.APPROVED)


class AuditVerb(models.TextChoices):
    REQUESTED = "requested", "Requested"
    PREVIEWED = "previewed", "Previewed"
    PREVIEW_FAILED = "preview_failed", "Preview failed"
    APPROVED = "approved", "Approved"
    AUTO_APPROVED = "auto_approved", "Approved by policy"
    APPROVAL_RESET = "approval_reset", "Approval reset (the patch changed)"
    REJECTED = "rejected", "Rejected"
    EXECUTED = "executed", "Executed"
    EXECUTION_FAILED = "execution_failed", "Execution failed"
    VERIFIED = "verified", "Verified by a crawl"
    REFUSED = "refused", "Refused (not allowed)"
