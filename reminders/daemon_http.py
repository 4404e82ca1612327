"""The daemon's HTTP ports: the public one (the API, the pages, /healthz; /metrics too unless
there is an admin port) and, with REMINDERS_ADMIN_PORT, the admin port (/metrics, the API's
documentation, the operator page). Both are bound before anything starts or is announced: a
port in use is one line."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST

from reminders.app import App
from reminders.catcher import Catcher
from reminders.web.front import announce
from reminders.web.server import Health, QuietServer, admin, build, http_server, listen


class Ports:
    def __init__(
        self,
        app: App,
        health: Health,
        metrics: Callable[[], Awaitable[bytes]],
        catcher: Catcher | None,
    ) -> None:
        self.app, self.health, self.metrics, self.catcher = app, health, metrics, catcher
        self.public = self._public()

    def _public(self) -> FastAPI:
        web = build(self.app, self.health)
        if self.catcher is not None:
            self.catcher.routes(web)
        if self.app.settings.admin_port is None:
            self._metrics_on(web)
        return web

    def _admin(self) -> FastAPI:
        web = admin(self.public, self.app)
        self._metrics_on(web)
        return web

    def _metrics_on(self, web: FastAPI) -> None:
        @web.get("/metrics", include_in_schema=False)
        async def metrics() -> Response:
            return Response(await self.metrics(), media_type=CONTENT_TYPE_LATEST)

    def serve(self) -> list[tuple[QuietServer, asyncio.Task[None]]]:
        """Bind the ports, then serve each in a task of this event loop."""
        settings = self.app.settings
        servers = [(self.public, listen(settings.http_host, settings.http_port))]
        if settings.admin_port is not None:
            bound = listen(settings.http_host, settings.admin_port)
            servers.append((self._admin(), bound))
        running = []
        for web, bound in servers:
            server = http_server(web, settings.http_header_seconds, lifespan="off")
            running.append((server, asyncio.create_task(server.serve(sockets=[bound]))))
        return running

    def announce(self) -> str:
        """The pages of the public port, as the start-up line names them."""
        return announce(self.public, self.app.settings.base_url)
