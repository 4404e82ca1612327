"""The rules engine: the certifying bodies' rules as data, and their pure evaluation."""
