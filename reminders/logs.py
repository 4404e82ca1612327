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


def setup_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if sys.stderr.isatty():
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    else:
        handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("apscheduler", "uvicorn.access", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def fingerprint(address: str) -> str:
    """An e-mail address as logs show it: not in clear, yet the same address always gives the
    same fingerprint (`reminders fingerprint ADDRESS` prints it, to search a log for one)."""
    digest = hashlib.sha256(address.strip().lower().encode()).hexdigest()[:12]
    return f"address#{digest}"
