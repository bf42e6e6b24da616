"""Test plumbing: signed Slack requests, a live web server, the worker in burst mode."""
