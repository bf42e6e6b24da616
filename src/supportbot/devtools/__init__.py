"""supportbot.devtools."""
