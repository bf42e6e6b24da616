"""supportbot.desk."""
