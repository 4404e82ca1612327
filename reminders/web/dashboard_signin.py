"""Signing in to the team dashboard by a link mailed to a subscribed address (the pages are
web/link_signin.py's, the machinery web/sessions.py's): a link goes to an address with a digest
subscription, and names the scopes it opens."""

from __future__ import annotations

from collections.abc import Sequence

from reminders.db import dashboard as store
from reminders.web.link_signin import LinkSignIn


class SignIn(LinkSignIn):
    page = "dashboard"
    not_an_address = "That is not an email address: type the address your digests come to."

    def recipient(self, address: str) -> tuple[str, Sequence[str]] | None:
        with self.engine.connect() as connection:
            subscriptions = store.subscriptions_of(connection, address)
        if not subscriptions:
            return None
        return subscriptions[0].email, [s.scope for s in subscriptions]

    def refusal(self, address: str) -> str | None:
        with self.engine.connect() as connection:
            if not store.subscriptions_of(connection, address):
                return "this address has no digest subscription any more"
        return None
