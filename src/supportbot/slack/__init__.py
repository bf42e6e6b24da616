"""Outbound Slack: the Web API client and Block Kit rendering."""
