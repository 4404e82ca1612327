"""Whether the daemon's mail goes out, for /healthz: a pure record of delivery passes.

Mail is failing from the first pass in which the mail server could not be reached or refused
us (a refused or dropped connection, a timeout, a failed TLS handshake, a refused greeting,
login or sender, a policy refusal) and nothing was sent, until a pass sends something. The daemon reports unhealthy (503) once that has lasted
REMINDERS_MAIL_UNHEALTHY_SECONDS: a daemon that runs but has reached nobody for half an hour is
not doing its job, and an operator watching `docker ps` or a monitor should see it. Restarting
it will not help, so an orchestrator that restarts on /healthz should look at `mail` first, or
set the setting to 0 (never unhealthy over mail).

A refusal of one recipient's mailbox says nothing about the server: it does not count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass
class MailHealth:
    unhealthy_after_seconds: float
    """0: mail failures never make the daemon unhealthy."""
    failing_since: datetime | None = None
    error: str | None = None
    _failing_since_clock: float | None = None

    def passed(self, sent: int, server_error: str | None, now: datetime, clock: float) -> None:
        """Take a delivery pass into account: `sent` messages went out, `server_error` is the
        last failure to reach the server (None if there was none), at `now` and monotonic
        `clock`."""
        if sent:
            self.failing_since, self.error, self._failing_since_clock = None, None, None
        elif server_error is not None:
            self.error = server_error
            if self.failing_since is None:
                self.failing_since, self._failing_since_clock = now, clock

    def healthy(self, clock: float) -> bool:
        if self._failing_since_clock is None or self.unhealthy_after_seconds <= 0:
            return True
        return clock - self._failing_since_clock < self.unhealthy_after_seconds

    def facts(self, clock: float) -> dict[str, object]:
        """What /healthz shows under `mail`."""
        if self.failing_since is None:
            return {"state": "ok"}
        return {
            "state": "failing" if self.healthy(clock) else "unhealthy",
            "failing_since": self.failing_since.isoformat(),
            "error": self.error,
            "unhealthy_after_seconds": self.unhealthy_after_seconds,
        }
