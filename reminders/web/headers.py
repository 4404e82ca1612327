"""Response headers for every page and feed: nothing of a link's token leaks through a Referer,
the pages run no script and cannot be framed, and a page or feed reached by a token (or shown
to a signed-in subscriber or operator: the team dashboard, /admin) is never kept in a cache."""

from __future__ import annotations

from reminders.web.limits import Asgi, Message, Receive, Scope, Send

PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self';"
    " frame-ancestors 'none'; base-uri 'none'"
)
"""The pages behind the mail links: their own inline styles and forms, nothing else."""
TOKEN_PATHS = ("/u/", "/p/", "/s/", "/ics/", "/dashboard", "/admin")
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline';"
    " img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; form-action 'self';"
    " frame-ancestors 'none'; base-uri 'none'"
)
"""The API's documentation (web/docs.py): its own files only. ReDoc's sidebar asks a CDN for
Redocly's logo whatever its options; this keeps the browser from even trying."""
DOCS_PATHS = ("/docs", "/redoc")


class SecurityHeaders:
    def __init__(self, app: Asgi) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token_page = scope["path"].startswith(TOKEN_PATHS)
        docs = scope["path"].startswith(DOCS_PATHS)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                ]
                if token_page:
                    headers += [
                        (b"content-security-policy", PAGE_POLICY.encode()),
                        (b"x-frame-options", b"DENY"),
                        (b"cache-control", b"no-store"),
                    ]
                elif docs:
                    headers.append((b"content-security-policy", DOCS_POLICY.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
