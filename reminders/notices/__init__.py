"""Notices: what to tell each coder and when (pure planning), and the mail that carries it."""
