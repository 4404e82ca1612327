"""Reading the bounce mailbox: a Maildir on this machine, or a folder over IMAP.

Each unseen mail is read, taken (bounces/record.py) and committed, and only then flagged as
seen: a crash in between leaves it unseen, and reading it again finds its report id already
recorded, so nothing is counted twice. Mails are never deleted: the mailbox stays the record of
what came back; expire it with the mail server's tools.
"""

from __future__ import annotations

import imaplib
import logging
import re
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sqlalchemy import Engine

from reminders.bounces.record import BounceRules, Taken, record
from reminders.mail.reports import read_report

log = logging.getLogger("reminders.bounces")

LOOPBACK = ("127.0.0.1", "::1", "localhost")
MAX_BYTES = 10 * 1024 * 1024
"""A bounce carrying more than this is not read whole (its first part says enough)."""


@dataclass
class Tally:
    """What one pass over a mailbox found, by kind, and the addresses it suppressed."""

    kinds: dict[str, int] = field(default_factory=dict)
    suppressed: list[str] = field(default_factory=list)

    def add(self, taken: Taken) -> None:
        self.kinds[taken.kind] = self.kinds.get(taken.kind, 0) + 1
        if taken.suppressed and taken.address is not None:
            self.suppressed.append(taken.address)

    def __str__(self) -> str:
        found = ", ".join(f"{n} {kind}" for kind, n in sorted(self.kinds.items())) or "nothing"
        return f"{found}; {len(self.suppressed)} address(es) suppressed"


def take_one(engine: Engine, rules: BounceRules, data: bytes, source: str, now: datetime) -> Taken:
    """Read and record one mail in its own transaction."""
    return record(engine, rules, read_report(data[:MAX_BYTES]), source, now)


def read_maildir(
    engine: Engine, rules: BounceRules, path: Path, now: Callable[[], datetime]
) -> Tally:
    """Every mail of the Maildir not yet flagged seen (S). A mail is flagged the Maildir way,
    by renaming its file into cur/ with the S flag in its name: its bytes stay as they came
    (Python's mailbox module would write the parsed message back)."""
    tally = Tally()
    for name, info, file in _unseen(path):
        try:
            with file.open("rb") as handle:
                data = handle.read(MAX_BYTES)
        except FileNotFoundError:
            continue  # taken by another reader meanwhile
        tally.add(take_one(engine, rules, data, "maildir", now()))
        flags = "".join(sorted(set(info.removeprefix("2,")) | {"S"}))
        with suppress(FileNotFoundError):
            file.rename(path / "cur" / f"{name}:2,{flags}")
    return tally


def _unseen(path: Path) -> Iterator[tuple[str, str, Path]]:
    """(unique name, info, file) of each mail of new/ and of cur/ without the S flag."""
    for sub in ("new", "cur"):
        for file in sorted((path / sub).iterdir()):
            if file.name.startswith(".") or not file.is_file():
                continue
            name, _, info = file.name.partition(":")
            if sub == "cur" and "S" in info.partition(",")[2]:
                continue
            yield name, info, file


@dataclass(frozen=True)
class ImapAddress:
    host: str
    port: int
    tls: bool
    username: str
    password: str
    folder: str

    @classmethod
    def parse(cls, url: str) -> ImapAddress:
        """imaps://user:password@host[:993][/folder] (TLS), or imap://… (STARTTLS, which is
        required unless the server is on this machine). The folder defaults to INBOX."""
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps"):
            raise ValueError("expected imaps://user:password@host/folder (or imap://)")
        if not parts.hostname or parts.username is None or parts.password is None:
            raise ValueError("expected imaps://user:password@host/folder: a user and password")
        tls = parts.scheme == "imaps"
        folder = unquote(parts.path.lstrip("/")) or "INBOX"
        return cls(
            host=parts.hostname,
            port=parts.port or (993 if tls else 143),
            tls=tls,
            username=unquote(parts.username),
            password=unquote(parts.password),
            folder=folder,
        )


_UIDS = re.compile(rb"\d+")


@contextmanager
def _session(address: ImapAddress, timeout: float) -> Iterator[imaplib.IMAP4]:
    context = ssl.create_default_context()
    client: imaplib.IMAP4
    if address.tls:
        client = imaplib.IMAP4_SSL(address.host, address.port, ssl_context=context, timeout=timeout)
    else:
        client = imaplib.IMAP4(address.host, address.port, timeout=timeout)
        if "STARTTLS" in client.capabilities:
            client.starttls(context)
        elif address.host not in LOOPBACK:
            client.logout()
            raise OSError(f"{address.host} offers no STARTTLS: use imaps:// to log in safely")
    try:
        client.login(address.username, address.password)
        kind, _ = client.select(_quoted(address.folder))
        if kind != "OK":
            raise OSError(f"no IMAP folder {address.folder!r} on {address.host}")
        yield client
    finally:
        with suppress(imaplib.IMAP4.error, OSError):
            client.logout()


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def read_imap(
    engine: Engine,
    rules: BounceRules,
    address: ImapAddress,
    now: Callable[[], datetime],
    timeout: float = 30.0,
) -> Tally:
    """Every unseen mail of the IMAP folder; each flagged \\Seen once it is recorded."""
    tally = Tally()
    try:
        _read_folder(engine, rules, address, now, timeout, tally)
    except imaplib.IMAP4.error as exc:  # a refused login, or a broken session: the server's
        raise OSError(f"IMAP server {address.host}: {_said(exc)}") from exc
    return tally


def _said(exc: imaplib.IMAP4.error) -> str:
    text = exc.args[0] if exc.args else exc
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)


def _read_folder(
    engine: Engine,
    rules: BounceRules,
    address: ImapAddress,
    now: Callable[[], datetime],
    timeout: float,
    tally: Tally,
) -> None:
    with _session(address, timeout) as client:
        kind, found = client.uid("SEARCH", "UNSEEN")
        if kind != "OK":
            raise OSError(f"IMAP search failed: {found!r}")
        for uid in _UIDS.findall(found[0] or b""):
            kind, parts = client.uid("FETCH", uid.decode(), "(BODY.PEEK[])")
            data = next((p[1] for p in parts if isinstance(p, tuple)), None)
            if kind != "OK" or not isinstance(data, bytes):
                continue  # expunged by another client meanwhile
            tally.add(take_one(engine, rules, data, "imap", now()))
            client.uid("STORE", uid.decode(), "+FLAGS", "(\\Seen)")


@dataclass(frozen=True)
class Mailboxes:
    """Where the bounces arrive (REMINDERS_BOUNCE_MAILDIR, REMINDERS_BOUNCE_IMAP_URL)."""

    maildir: Path | None = None
    imap: ImapAddress | None = None

    def __bool__(self) -> bool:
        return self.maildir is not None or self.imap is not None

    def read(
        self, engine: Engine, rules: BounceRules, now: Callable[[], datetime], timeout: float
    ) -> list[tuple[str, Tally]]:
        """One pass over each mailbox: what each one held, by its name."""
        read = []
        if self.maildir is not None:
            read.append(("maildir", read_maildir(engine, rules, self.maildir, now)))
        if self.imap is not None:
            tally = read_imap(engine, rules, self.imap, now, timeout)
            read.append((f"imap {self.imap.host}/{self.imap.folder}", tally))
        return read
