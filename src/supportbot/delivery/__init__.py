"""supportbot.delivery."""
