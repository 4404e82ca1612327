"""Signing in to a page by a link mailed to the address, the session that follows, and the
checks every form carries against cross-site requests. One kind of sign-in per page that needs
it (the team dashboard, the operators' page); the kind keeps their links, cookies and
sessions apart.

- **The link** is a token of reminders/tokens.py (encrypted, authenticated, expiring in 15
  minutes) naming the address and a nonce. Opening it changes nothing (a mail scanner fetches
  links); its page's button signs in, and records the nonce: a link signs in once.
- **The session** is a random cookie, `__Host-` prefixed (so: Secure, Path=/, no Domain: no
  other host or path can set or read it), HttpOnly, SameSite=Lax. Only its SHA-256 is stored,
  with its expiry and its CSRF secret (db/sessions.py).
- **Forms** carry a hidden `csrf` field: the session's secret, or before a session (the
  sign-in forms) an HMAC of a random `__Host-` cookie of its own (a double-submit cookie that
  a cross-site page can neither read nor set). A POST whose Origin or Sec-Fetch-Site says it
  came from another site is refused as well.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from fastapi import Request, Response
from sqlalchemy import Connection, Engine

from reminders.db import sessions as store
from reminders.tokens import BadToken, sign, verify

LINK_VALID = timedelta(minutes=15)
FORM_COOKIE = "__Host-reminders-form"
FORM_COOKIE_SECONDS = 24 * 3600
_LINK = "signin"


class Sessions:
    def __init__(
        self,
        engine: Engine,
        secret: bytes,
        clock: Callable[[], datetime],
        kind: str,
        hours: int,
        base_url: str,
    ) -> None:
        self.engine, self.secret, self.clock = engine, secret, clock
        self.kind, self.lifetime = kind, timedelta(hours=hours)
        self.cookie = f"__Host-reminders-{kind}"
        self.own_hosts = {urlsplit(base_url).netloc.lower()}

    # The mailed link.

    def link_token(self, address: str) -> str:
        nonce = secrets.token_urlsafe(24)
        expires = self.clock() + LINK_VALID
        return sign(self.secret, address, f"{_LINK}:{self.kind}:{nonce}", expires)

    def read_link(self, token: str) -> str:
        """The address a link signs in, if it is genuine, unexpired and of this kind; raises
        BadToken otherwise. Changes nothing."""
        return self._open(token)[0]

    def _open(self, token: str) -> tuple[str, str, datetime]:
        grant = verify(self.secret, token, self.clock())
        prefix, kind, nonce = (grant.list.split(":", 2) + ["", ""])[:3]
        if prefix != _LINK or kind != self.kind or not nonce:
            raise BadToken("this is not a sign-in link for this page")
        return grant.address, nonce, grant.expires

    def redeem(self, token: str, response: Response) -> str:
        """Sign in with a link: record its nonce (once only), start a session and set its
        cookie on `response`; the address. Raises BadToken for a link used before."""
        address, nonce, expires = self._open(token)
        with self.engine.begin() as connection:
            if not store.use_link(connection, nonce, self.kind, address, self.clock(), expires):
                raise BadToken("this sign-in link was used already")
            self.start(connection, address, response)
        return address

    def start(self, connection: Connection, who: str, response: Response) -> None:
        """Start a session for `who` (an address, or how a token names its holder) in the
        transaction of `connection`, and set its cookie on `response`."""
        now = self.clock()
        cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        store.prune(connection, now)
        store.create(connection, cookie, self.kind, who, csrf, now, now + self.lifetime)
        response.set_cookie(
            self.cookie, cookie, max_age=int(self.lifetime.total_seconds()), path="/",
            secure=True, httponly=True, samesite="lax",
        )  # fmt: skip

    # The session.

    def current(self, request: Request) -> store.Session | None:
        cookie = request.cookies.get(self.cookie)
        if not cookie:
            return None
        with self.engine.connect() as connection:
            return store.find(connection, cookie, self.kind, self.clock())

    def end(self, request: Request, response: Response) -> None:
        cookie = request.cookies.get(self.cookie)
        if cookie:
            with self.engine.begin() as connection:
                store.end(connection, cookie)
        response.delete_cookie(self.cookie, path="/", secure=True, httponly=True, samesite="lax")

    # Forms.

    def _form_mac(self, seed: str) -> str:
        key = hashlib.sha256(b"reminders form csrf\x00" + self.secret).digest()
        return hmac.new(key, seed.encode(), hashlib.sha256).hexdigest()

    def form_token(self, request: Request) -> tuple[str, str | None]:
        """The `csrf` field of a form shown before a session, bound to this browser's form
        cookie; and that cookie's new value if it has none yet (`keep_form_cookie`)."""
        seed = request.cookies.get(FORM_COOKIE)
        fresh = None
        if not seed:
            seed = fresh = secrets.token_urlsafe(24)
        return self._form_mac(seed), fresh

    def keep_form_cookie(self, response: Response, fresh: str | None) -> None:
        if fresh is not None:
            response.set_cookie(
                FORM_COOKIE, fresh, max_age=FORM_COOKIE_SECONDS, path="/", secure=True,
                httponly=True, samesite="strict",
            )  # fmt: skip

    def form_ok(self, request: Request, field: str) -> bool:
        """A form shown before a session came back from this browser and this site."""
        seed = request.cookies.get(FORM_COOKIE)
        if not seed or not field:
            return False
        return hmac.compare_digest(self._form_mac(seed), field) and self.same_site(request)

    def session_form_ok(self, request: Request, session: store.Session, field: str) -> bool:
        """A form shown in a session came back from it, from this site."""
        return bool(field) and hmac.compare_digest(session.csrf, field) and self.same_site(request)

    def same_site(self, request: Request) -> bool:
        """Not sent from another site, as far as the browser says (older browsers send no
        Sec-Fetch-Site; the tokens above are the check that always holds). Origin is "null"
        on our own forms: the pages' Referrer-Policy is no-referrer, which browsers apply to
        Origin too."""
        fetched = request.headers.get("sec-fetch-site")
        if fetched is not None and fetched not in ("same-origin", "none"):
            return False
        origin = request.headers.get("origin")
        if origin is None or origin == "null":
            return True
        host = urlsplit(origin).netloc.lower()
        return bool(host) and host in self.own_hosts | {request.headers.get("host", "").lower()}
