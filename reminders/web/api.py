"""The JSON API, /api/v1, authenticated per organisation (`Authorization: Bearer <key>`).

A key sees its organisation's holders (those it created, and the operator's roster holders in
its teams) and its teams, and nothing else: every id outside that scope answers 404, exactly as
an id that does not exist. Organisations may use the same holder_ids: each has its own holder.
A roster holder the operator put in the teams of several organisations is shared: each reads
them, none changes them (403); their records come from the operator's imports.

Writes go through the same checks and upserts as the CSV imports
(reminders.imports.runner.import_objects), so they raise the same change events and the daemon
re-plans the holders they touch at once.

The routes: api_holders (holders, credentials, memberships), api_ceus, api_teams (teams and
digest subscriptions), api_leads (escalation and team leads), api_webhooks; what they share:
api_core.
"""

from __future__ import annotations

from fastapi import APIRouter

from reminders.web import api_ceus, api_holders, api_leads, api_teams, api_webhooks
from reminders.web.api_core import ApiCore
from reminders.webhooks.service import WebhookRules


def router(core: ApiCore, webhooks: WebhookRules) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["api"])
    for module in (api_holders, api_ceus, api_teams, api_leads):
        module.routes(core, api)
    api_webhooks.routes(core, api, webhooks)
    return api
