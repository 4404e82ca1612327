"""Escalation: the notices an organisation's team leads get a copy of."""
