"""Plans and the ledger: what a customer bought, what was used, and what is left.

``charging`` holds the pure rules (no I/O); ``ledger`` appends entries and derives balances;
``service`` ties them to incidents, people and Slack.
"""
