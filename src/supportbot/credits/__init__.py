"""SLA credits in practice: outages, maintenance windows and waivers (staff, in Slack)."""
