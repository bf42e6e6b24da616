"""The web dashboard (GET /dashboard): Sign in with Slack, the live panel, CSV."""
