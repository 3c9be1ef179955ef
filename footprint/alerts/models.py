"""Alert routes (team and/or severity -> Slack channel) and the delivery log."""
