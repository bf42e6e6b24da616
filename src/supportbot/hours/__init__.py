"""supportbot.hours."""
