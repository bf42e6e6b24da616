"""Past incidents imported from another tool, so that reports and trends cover the months
before supportbot: :mod:`.rows` reads and checks a file (pure), :mod:`.store` writes it."""
