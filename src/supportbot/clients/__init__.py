"""supportbot.clients."""
