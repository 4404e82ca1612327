"""Employer alerts: the events an employer hears of when they happen, not at the next digest."""
