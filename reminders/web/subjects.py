"""What a signed link may act on: the token names an address and a list, and the address must
be the one the list belongs to (a holder's, or the digest subscription's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from reminders import links
from reminders.db import digests, leads
from reminders.db.models import Holder
from reminders.tokens import BadToken, verify


class NotFound(Exception):
    """A valid token whose address or list is not (or no longer) here."""


@dataclass(frozen=True)
class Subject:
    address: str
    list: str
    subscriber: digests.Subscriber | None = None
    """For a digest's or an alert's link: its subscription."""
    lead: leads.Lead | None = None
    """For a team lead's copy: the lead, of that team."""

    @property
    def alerts(self) -> bool:
        """An alert's link: leaving stops the alerts and keeps the digest."""
        return self.list.startswith("alerts:")


_OWN_ROUTE = {links.CALENDAR: "this is a calendar link", links.STATUS: "this is a status-page link"}


def resolve(
    connection: Connection, secret: bytes, token: str, now: datetime, kind: str | None = None
) -> Subject:
    """The address and list a token grants, checked against the data; raises BadToken for a
    tampered or expired link (or a calendar or status-page link used elsewhere, or another link
    used for them: `kind` names the one expected), NotFound for one that names nothing here."""
    grant = verify(secret, token, now)
    if kind is not None and grant.list != kind:
        raise BadToken(f"not a {kind} link")
    if kind is None and grant.list in _OWN_ROUTE:
        raise BadToken(_OWN_ROUTE[grant.list])
    if grant.list in (links.NOTICES, links.CALENDAR, links.STATUS):
        known = select(Holder.id).where(Holder.email == grant.address).limit(1)
        if connection.execute(known).first() is None:
            raise NotFound("no reminders go to this address")
        return Subject(grant.address, grant.list)
    prefix, _, number = grant.list.partition(":")
    if prefix == "lead" and number.isdigit():
        found_lead = leads.lead(connection, int(number), grant.address)
        if found_lead is None:
            raise NotFound("this address is not a lead of that team any more")
        return Subject(grant.address, grant.list, lead=found_lead)
    if prefix in ("digest", "alerts") and number.isdigit():
        found = digests.subscribers(connection, int(number))
        if not found or found[0].email != grant.address:
            raise NotFound("this digest subscription does not exist any more")
        return Subject(grant.address, grant.list, found[0])
    raise BadToken(f"unknown list {grant.list!r}")
