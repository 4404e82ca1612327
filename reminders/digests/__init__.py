"""Employer compliance digests: when they are due (schedule), what they say (content), and the
use cases that queue and render them (service)."""
