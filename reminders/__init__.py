"""reminders: recertification reminders for medical coders and compliance digests for employers."""

__version__ = "0.1.0"
