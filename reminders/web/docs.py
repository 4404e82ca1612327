"""The API's documentation pages, served from files inside the installation: Swagger UI at
/docs and ReDoc at /redoc, with their scripts and styles under /docs/static/. FastAPI's own pages
load them from a CDN, which leaves a blank page on a network without the internet (hospitals
and coding vendors run many). The files are fastapi-offline's, a package of them kept current.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
STATIC = "/docs/static"


def serve_docs(app: FastAPI, openapi_url: str = "/openapi.json", title: str = "reminders") -> None:
    """Add /docs and /redoc to `app`, reading the OpenAPI document at `openapi_url`."""
    app.mount(STATIC, StaticFiles(directory=ASSETS), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    async def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} API",
            swagger_js_url=f"{STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC}/favicon.png",
            # Swagger UI asks validator.swagger.io for a badge unless told not to.
            swagger_ui_parameters={"validatorUrl": None},
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{title} API",
            redoc_js_url=f"{STATIC}/redoc.standalone.js",
            redoc_favicon_url=f"{STATIC}/favicon.png",
            with_google_fonts=False,
        )
