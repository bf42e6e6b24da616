"""The incident domain: lifecycle rules (pure) and the service that applies them."""
