"""/api/v1/webhooks: an organisation's endpoints for its events, and their delivery log.

(No `from __future__ import annotations` here: FastAPI reads the routes' annotations at run
time, and `Auth` is local to `routes`.)
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from reminders.db import webhooks as store
from reminders.web.api_core import ApiCore
from reminders.web.schemas import (
    DeliveryOut,
    Limit,
    Org,
    RowId,
    WebhookCreated,
    WebhookIn,
    WebhookOut,
    invalid,
    not_found,
)
from reminders.webhooks import signing
from reminders.webhooks.address import Refused, check_url
from reminders.webhooks.service import WebhookRules


def _out(hook: store.Endpoint) -> WebhookOut:
    return WebhookOut(
        id=hook.id, url=hook.url, format=hook.format, state=hook.state, created_at=hook.created_at,
        failing_since=hook.failing_since, disabled_at=hook.disabled_at,
        disabled_reason=hook.disabled_reason,
    )  # fmt: skip


def routes(core: ApiCore, api: APIRouter, rules: WebhookRules) -> None:
    Auth = Annotated[Org, Depends(core.org)]

    def own(org: Org, webhook: int) -> store.Endpoint:
        with core.engine.connect() as connection:
            hook = store.endpoint(connection, webhook)
        if hook is None or hook.org_pk != org.pk:
            not_found(f"webhook {webhook}")
        return hook

    @api.get("/webhooks", response_model=list[WebhookOut])
    def list_webhooks(org: Auth) -> list[WebhookOut]:
        with core.engine.connect() as connection:
            return [_out(hook) for hook in store.endpoints(connection, org.pk)]

    @api.post("/webhooks", response_model=WebhookCreated, status_code=201)
    def post_webhook(org: Auth, webhook: WebhookIn) -> WebhookCreated:
        """Add an endpoint. The answer holds its signing secret, which is never shown again."""
        try:
            url = check_url(webhook.url, rules.allow_private)
        except Refused as exc:
            invalid([(["url"], str(exc))])
        secret = signing.new_secret()
        with core.engine.begin() as connection:
            pk = store.add(
                connection, org.pk, url, webhook.format, signing.seal(rules.key, secret),
                core.clock(),
            )  # fmt: skip
        return WebhookCreated(**_out(own(org, pk)).model_dump(), secret=secret)

    @api.delete("/webhooks/{webhook}", status_code=204)
    def delete_webhook(org: Auth, webhook: RowId) -> Response:
        with core.engine.begin() as connection:
            if not store.remove(connection, org.pk, webhook):
                not_found(f"webhook {webhook}")
        return Response(status_code=204)

    @api.post("/webhooks/{webhook}/enable", response_model=WebhookOut)
    def enable_webhook(org: Auth, webhook: RowId) -> WebhookOut:
        """Post to a disabled endpoint again, from the events after now."""
        own(org, webhook)
        with core.engine.begin() as connection:
            store.enable(connection, org.pk, webhook)
        return _out(own(org, webhook))

    @api.get("/webhooks/{webhook}/deliveries", response_model=list[DeliveryOut])
    def list_deliveries(org: Auth, webhook: RowId, limit: Limit = 50) -> list[DeliveryOut]:
        own(org, webhook)
        with core.engine.connect() as connection:
            found = store.log(connection, org.pk, limit, webhook)
        return [
            DeliveryOut(
                id=f"whd_{row.id}",
                webhook=row.webhook,
                created_at=row.created_at,
                state=row.state,
                attempts=row.attempts,
                events=row.events,
                last_status=row.last_status,
                last_error=row.last_error,
                sent_at=row.sent_at,
            )
            for row in found
        ]
