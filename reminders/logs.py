"""Logging: one line per event; JSON when stderr is not a terminal (for log collectors),
readable text when it is."""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


QUIET = ("apscheduler", "uvicorn.access", "alembic", "mail.log")
"""Loggers that speak of every request, job or SMTP command (aiosmtpd's `mail.log`: a dozen
lines a mail): at WARNING unless the command asks to be verbose."""


def setup_logging(level: int = logging.INFO, verbose: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if sys.stderr.isatty():
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    else:
        handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in QUIET:
        logging.getLogger(noisy).setLevel(logging.INFO if verbose else logging.WARNING)


def fingerprint(address: str) -> str:
    """An e-mail address as logs show it: not in clear, yet the same address always gives the
    same fingerprint (`reminders fingerprint ADDRESS` prints it, to search a log for one)."""
    digest = hashlib.sha256(address.strip().lower().encode()).hexdigest()[:12]
    return f"address#{digest}"
