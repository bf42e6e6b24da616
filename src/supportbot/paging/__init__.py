"""Severity 1 paging: escalation policy runs, the outgoing SMS/call state machine, and
acknowledgements from SMS, phone keypress and Slack."""
