"""Webhooks: an organisation's events (those its alerts tell) posted to its chat or its own
systems, signed, retried, and stopped when an endpoint keeps failing."""
