"""supportbot.contracts."""
