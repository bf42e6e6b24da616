"""supportbot: a Slack support desk with SLA clocks and follow-the-sun paging."""
