"""The JSON API: httpx against the real application served by uvicorn, on both databases, with the demo roster's two organisations: Riverside Health (h-001, h-002, h-003,
h-007) and Summit Billing Partners (h-001, h-004, h-005, h-006)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from reminders.app import App
from reminders.db import orgs, webhooks
from reminders.db.engine import make_engine
from reminders.db.models import CeuRecord, Holder, Subscription
from reminders.settings import load_settings
from reminders.web.server import build
from tests.conftest import SECRET, CommandLine, database_rows, database_state, rows
from tests.processes import stop
from tests.webserver import serving

RIVERSIDE, SUMMIT = "Riverside Health", "Summit Billing Partners"
AS_OF = "2026-11-24"


@dataclass
class Web:
    client: httpx.Client
    keys: dict[str, str]
    url: str

    def call(self, org: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.keys[org]}"}
        return self.client.request(method, f"/api/v1{path}", headers=headers, **kwargs)


@pytest.fixture
def web(cli: CommandLine, roster: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Web]:
    monkeypatch.setenv("REMINDERS_SECRET_KEY", SECRET)
    cli.use(roster)
    keys = {}
    for org in (RIVERSIDE, SUMMIT):
        made = cli("org", "create", org)
        assert made.code == 0, made.err
        keys[org] = made.out.splitlines()[-1]
    app = App(load_settings(), as_of=date(2026, 11, 24))
    with serving(build(app)) as base, httpx.Client(base_url=base, timeout=30) as client:
        yield Web(client, keys, roster)
    app.close()


def test_org_create_prints_a_key_once_and_keeps_only_its_hash(
    cli: CommandLine, roster: str
) -> None:
    cli.use(roster)
    made = cli("org", "create", "Lakeside Coding")
    assert made.code == 0
    first, key = made.out.splitlines()
    assert first == "created organisation 'Lakeside Coding'; API key 1:"
    assert key.startswith("rk_") and len(key) > 40
    again = cli("org", "create", "Lakeside Coding").out.splitlines()
    assert again[0] == "found organisation 'Lakeside Coding'; API key 2:" and again[1] != key
    stored = database_state(roster)
    assert key not in json.dumps(stored, default=str)
    listing = cli("org", "keys", "Lakeside Coding").out
    assert key[:10] in listing and key[10:] not in listing


def test_no_key_a_wrong_key_and_a_revoked_key_get_401(web: Web, cli: CommandLine) -> None:
    assert web.client.get("/api/v1/teams").status_code == 401
    wrong = web.client.get("/api/v1/teams", headers={"Authorization": "Bearer rk_nope"})
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"] == "Bearer"
    assert web.call(RIVERSIDE, "GET", "/teams").status_code == 200
    rotated = cli("org", "rotate-key", RIVERSIDE, "1")
    assert rotated.code == 0, rotated.err
    old, web.keys[RIVERSIDE] = web.keys[RIVERSIDE], rotated.out.splitlines()[-1]
    assert web.call(RIVERSIDE, "GET", "/teams").status_code == 200
    response = web.client.get("/api/v1/teams", headers={"Authorization": f"Bearer {old}"})
    assert response.status_code == 401
    assert cli("org", "revoke-key", RIVERSIDE, "3").code == 0
    assert web.call(RIVERSIDE, "GET", "/teams").status_code == 401


def test_a_key_loads_a_roster_and_reads_its_teams_status(web: Web, cli: CommandLine) -> None:
    holder = {
        "holder_id": "h-100", "full_name": "Rosa Díaz", "email": "rosa@riverside.example",
        "timezone": "America/Chicago", "team": "Inpatient",
    }  # fmt: skip
    created = web.call(RIVERSIDE, "POST", "/holders", json=holder)
    assert created.status_code == 201, created.text
    assert created.json()["teams"] == ["Inpatient"]
    assert web.call(RIVERSIDE, "POST", "/holders", json=holder).status_code == 200  # the same
    credential = {"credential": "CPC", "earned_on": "2021-05-01"}
    made = web.call(RIVERSIDE, "POST", "/holders/h-100/credentials", json=credential)
    assert made.status_code == 201 and made.json()["body"] == "AAPC"
    membership = {"body": "AAPC", "renews_on": "2027-05-31"}
    assert (
        web.call(RIVERSIDE, "POST", "/holders/h-100/memberships", json=membership).status_code
        == 201
    )
    ceu = {
        "holder_id": "h-100", "completed_on": "2026-03-02", "hours": 12.5,
        "title": "Outpatient coding update", "bodies": ["AAPC"], "index_number": "AAPC-99",
    }  # fmt: skip
    posted = web.call(RIVERSIDE, "POST", "/ceus", json=ceu)
    assert posted.status_code == 201, posted.text
    assert posted.json() | {"id": 0} == {
        "id": 0, "holder_id": "h-100", "completed_on": "2026-03-02", "hours": 12.5,
        "title": "Outpatient coding update", "provider": None, "index_number": "AAPC-99",
        "bodies": ["AAPC"], "categories": [],
    }  # fmt: skip
    bulk = [
        ceu | {"index_number": f"AAPC-{n}", "title": f"Course {n}", "hours": "1.5"}
        for n in range(3)
    ]
    stored = web.call(RIVERSIDE, "POST", "/ceus/bulk", json=bulk)
    assert stored.status_code == 201, stored.text
    assert len(stored.json()["items"]) == 3
    listed = web.call(RIVERSIDE, "GET", "/holders/h-100/ceus").json()
    assert listed["items"][0]["title"] == "Outpatient coding update"
    assert len(listed["items"]) == 4 and listed["next"] is None
    status = web.call(RIVERSIDE, "GET", "/teams/Inpatient/status").json()
    cli_status = json.loads(
        cli("status", "--as-of", AS_OF, "--holder", "h-100", "--format", "json").out
    )
    assert status == cli_status
    assert status[0]["earned"] == 17 and status[0]["status"] in ("on_track", "behind")
    own = web.call(RIVERSIDE, "GET", "/holders/h-002/status").json()
    assert own == json.loads(
        cli("status", "--as-of", AS_OF, "--holder", "h-002", "--format", "json").out
    )
    first = listed["items"][0]["id"]
    assert web.call(RIVERSIDE, "DELETE", f"/ceus/{first}").status_code == 204
    assert web.call(RIVERSIDE, "GET", f"/ceus/{first}").status_code == 404


def test_writes_record_change_events_for_the_daemon(web: Web) -> None:
    from reminders.db.models import ChangeEvent

    before = len(rows(web.url, select(ChangeEvent.id)))
    ceu = {
        "holder_id": "h-002", "completed_on": "2026-11-20", "hours": 24, "title": "Update",
        "bodies": "AAPC",
    }  # fmt: skip
    assert web.call(RIVERSIDE, "POST", "/ceus", json=ceu).status_code == 201
    events = rows(web.url, select(ChangeEvent.holder_pk, ChangeEvent.reason))
    holder = rows(web.url, select(Holder.id).where(Holder.holder_id == "h-002"))[0][0]
    assert len(events) == before + 1 and tuple(events[-1]) == (holder, "ceus")


def test_invalid_input_is_422_with_the_field_path_and_writes_nothing(web: Web) -> None:
    before = database_rows(web.url)
    bad = {
        "holder_id": "h-002", "completed_on": "2026-11-31", "hours": -1, "title": "X",
        "bodies": "AAPC", "colour": "red",
    }  # fmt: skip
    response = web.call(RIVERSIDE, "POST", "/ceus", json=bad)
    assert response.status_code == 422
    locations = {tuple(error["loc"]) for error in response.json()["detail"]}
    assert {("body", "completed_on"), ("body", "hours"), ("body", "colour")} <= locations
    good = {"holder_id": "h-002", "completed_on": "2026-11-20", "hours": 1, "title": "Fine"}
    batch = [good | {"bodies": "AAPC", "title": f"T{n}"} for n in range(3)]
    batch.append(good | {"bodies": "NOPE"})
    response = web.call(RIVERSIDE, "POST", "/ceus/bulk", json=batch)
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", 3, "bodies"]
    assert "NOPE" in error["msg"]
    assert database_rows(web.url) == before


def test_lists_are_paginated(web: Web) -> None:
    seen: list[str] = []
    after = ""
    while True:
        page = web.call(RIVERSIDE, "GET", "/holders", params={"limit": 3, "after": after}).json()
        seen += [item["holder_id"] for item in page["items"]]
        if page["next"] is None:
            break
        after = page["next"]
    assert seen == ["h-001", "h-002", "h-003", "h-007"]


def _other_ids(url: str) -> dict[str, Any]:
    riverside_only = ["h-002", "h-003", "h-007"]
    ceus = rows(
        url,
        select(CeuRecord.id)
        .join(Holder, Holder.id == CeuRecord.holder_pk)
        .where(Holder.holder_id.in_(riverside_only)),
    )
    subscriptions = rows(
        url, select(Subscription.id).where(Subscription.email.like("%riverside.example"))
    )
    engine = make_engine(url)
    with engine.begin() as connection:
        riverside = orgs.find(connection, RIVERSIDE)
        assert riverside is not None
        hooks = [
            webhooks.add(connection, riverside, f"https://hooks.example.org/{n}", "json", "-",
                         datetime(2026, 11, 24, tzinfo=UTC))
            for n in (1, 2)
        ]  # fmt: skip
    engine.dispose()
    return {
        "holder_id": riverside_only, "team": ["HIM", "Professional Coding"],
        "ceu_id": [row[0] for row in ceus], "subscription": [row[0] for row in subscriptions],
        "credential": ["CPC", "CCS"], "body": ["AAPC", "AHIMA"],
        "email": ["lead@riverside.example", "him.lead@riverside.example"], "webhook": hooks,
    }  # fmt: skip


BODIES: dict[str, dict[str, Any]] = {
    "/api/v1/holders/{holder_id}/credentials": {"credential": "CPC", "earned_on": "2020-01-01"},
    "/api/v1/holders/{holder_id}/memberships": {"body": "AAPC"},
    "/api/v1/teams/{team}/members": {"holder_id": "h-001"},
    "/api/v1/subscriptions/{subscription}": {"paused": True},
    "/api/v1/teams/{team}/leads": {"email": "lead@summit.example"},
}
"""A valid body for each route that takes one, so that only the scope can refuse it."""


def test_nothing_of_another_organisation_can_be_read_written_or_detected(web: Web) -> None:
    """Summit's key, on every route with a parameter, with every id that only Riverside has:
    404, as if it did not exist, and nothing changes."""
    ids = _other_ids(web.url)
    before = database_rows(web.url)
    probed = 0
    paths = web.client.get("/openapi.json").json()["paths"]
    for path, operations in paths.items():
        if not path.startswith("/api/v1/") or "{" not in path:
            continue
        names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
        for method in sorted(name.upper() for name in operations):
            for values in zip(*(ids[name] for name in names), strict=False):
                concrete = path
                for name, value in zip(names, values, strict=True):
                    concrete = concrete.replace("{" + name + "}", str(value))
                body = BODIES.get(path) if method in ("POST", "PATCH") else None
                headers = {"Authorization": f"Bearer {web.keys[SUMMIT]}"}
                response = web.client.request(method, concrete, headers=headers, json=body)
                assert response.status_code == 404, (method, concrete, response.text)
                probed += 1
    assert probed >= 30
    assert database_rows(web.url) == before
    # Listings hold nothing of Riverside's either.
    everything = json.dumps(
        [
            web.call(SUMMIT, "GET", path).json()
            for path in ("/holders", "/teams", "/subscriptions", "/holders/h-001/ceus")
        ]
    )
    for holder_id in ids["holder_id"]:
        assert holder_id not in everything
    assert "riverside" not in everything.lower().replace("maria.alvarez@riverside", "")
    # A write naming another organisation's holder is refused as for one that does not exist.
    ceu = {"completed_on": "2026-11-20", "hours": 1, "title": "X", "bodies": "AAPC"}
    theirs = web.call(SUMMIT, "POST", "/ceus", json=ceu | {"holder_id": "h-002"}).json()
    nobody = web.call(SUMMIT, "POST", "/ceus", json=ceu | {"holder_id": "h-999"}).json()
    assert theirs["detail"][0]["loc"] == nobody["detail"][0]["loc"] == ["body", "holder_id"]


def test_the_rate_limit_answers_429_with_a_retry_time(
    cli: CommandLine, roster: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REMINDERS_SECRET_KEY", SECRET)
    monkeypatch.setenv("REMINDERS_API_RATE_PER_MINUTE", "5")
    cli.use(roster)
    key = cli("org", "create", RIVERSIDE).out.splitlines()[-1]
    app = App(load_settings())
    try:
        with serving(build(app)) as base, httpx.Client(base_url=base) as client:
            codes = [
                client.get("/api/v1/teams", headers={"Authorization": f"Bearer {key}"}).status_code
                for _ in range(6)
            ]
            assert codes == [200] * 5 + [429]
            limited = client.get("/api/v1/teams", headers={"Authorization": f"Bearer {key}"})
            assert int(limited.headers["Retry-After"]) >= 1
    finally:
        app.close()


def test_the_openapi_document_describes_the_api(web: Web) -> None:
    schema = web.client.get("/openapi.json").json()
    assert "/api/v1/ceus" in schema["paths"] and "/api/v1/teams/{team}/status" in schema["paths"]
    assert "/u/{token}" not in schema["paths"]
    assert web.client.get("/docs").status_code == 200


def test_a_holders_due_notices_are_the_ones_plan_lists(web: Web, cli: CommandLine) -> None:
    notices = web.call(RIVERSIDE, "GET", "/holders/h-002/notices")
    assert notices.status_code == 200
    planned = json.loads(cli("plan", "--as-of", AS_OF, "--format", "json").out)
    assert notices.json() == [row for row in planned if row["holder_id"] == "h-002"]
    assert [n["key"] for n in notices.json()] == ["h-002|AAPC|2027-01-31|deadline|90"]


@pytest.mark.parametrize("admin_port", [False, True], ids=["public docs", "admin port"])
def test_reminders_web_serves_the_api_and_its_documentation_on_its_own(
    cli: CommandLine, roster: str, monkeypatch: pytest.MonkeyPatch, admin_port: bool
) -> None:
    """With REMINDERS_ADMIN_PORT set, the documentation leaves the public port; `reminders web`
    served it nowhere then (only the daemon had an admin port)."""
    import os
    import subprocess
    import sys
    import time

    from tests.webserver import free_port

    monkeypatch.setenv("REMINDERS_SECRET_KEY", SECRET)
    cli.use(roster)
    key = cli("org", "create", SUMMIT).out.splitlines()[-1]
    port, admin = free_port(), free_port()
    env = dict(os.environ) | ({"REMINDERS_ADMIN_PORT": str(admin)} if admin_port else {})
    process = subprocess.Popen(
        [sys.executable, "-m", "reminders", "web", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                health = httpx.get(f"{base}/healthz")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "reminders web did not start"
                time.sleep(0.1)
        assert health.status_code == 200 and health.json()["database"] is True
        docs = f"http://127.0.0.1:{admin}/docs" if admin_port else f"{base}/docs"
        assert httpx.get(docs).status_code == 200
        if admin_port:
            assert httpx.get(f"{base}/docs").status_code == 404
            schema = httpx.get(f"http://127.0.0.1:{admin}/openapi.json").json()
            assert "/api/v1/holders" in schema["paths"]
        teams = httpx.get(f"{base}/api/v1/teams", headers={"Authorization": f"Bearer {key}"})
        assert [team["name"] for team in teams.json()] == ["Outpatient", "Risk Adjustment"]
    finally:
        assert stop(process) == 0


def _post_at_once(web: Web, posts: list[tuple[str, dict[str, str]]]) -> list[int]:
    """The status of each (organisation, holder) POST /holders, all sent at the same moment."""
    barrier = threading.Barrier(len(posts))

    def post(item: tuple[str, dict[str, str]]) -> int:
        org, body = item
        with httpx.Client(base_url=str(web.client.base_url), timeout=30) as client:
            barrier.wait()
            headers = {"Authorization": f"Bearer {web.keys[org]}"}
            return client.post("/api/v1/holders", json=body, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=len(posts)) as pool:
        return list(pool.map(post, posts))


def test_two_organisations_may_use_one_holder_id_and_each_keeps_its_own(web: Web) -> None:
    """Holder ids were global: the second organisation to use an id got 409 (which told it the
    id existed), and a holder both had could be renamed or stripped of CEUs by either. Now each
    organisation that creates an id has its own holder, even when both do it at once."""
    for n in range(6):
        ours = {"holder_id": f"e-{n}", "full_name": "Ann Lee", "team": "Coding",
                "email": f"ann{n}@riverside.example"}  # fmt: skip
        theirs = ours | {"full_name": "Bo Chen", "email": f"bo{n}@summit.example"}
        assert _post_at_once(web, [(RIVERSIDE, ours), (SUMMIT, theirs)]) == [201, 201], n
        assert web.call(RIVERSIDE, "GET", f"/holders/e-{n}").json()["full_name"] == "Ann Lee"
        assert web.call(SUMMIT, "GET", f"/holders/e-{n}").json()["full_name"] == "Bo Chen"
    # What one does to its holder leaves the other's alone.
    renamed = {"holder_id": "e-0", "full_name": "Ann Lee-Park", "team": "Coding",
               "email": "ann.park@riverside.example"}  # fmt: skip
    assert web.call(RIVERSIDE, "POST", "/holders", json=renamed).status_code == 200
    ceu = {"holder_id": "e-0", "completed_on": "2026-11-20", "hours": 2, "title": "Audit",
           "bodies": "AAPC"}  # fmt: skip
    stored = web.call(SUMMIT, "POST", "/ceus", json=ceu).json()
    assert web.call(RIVERSIDE, "GET", "/holders/e-0/ceus").json()["items"] == []
    assert web.call(RIVERSIDE, "DELETE", f"/ceus/{stored['id']}").status_code == 404
    assert web.call(RIVERSIDE, "DELETE", "/holders/e-0").status_code == 204
    summit = web.call(SUMMIT, "GET", "/holders/e-0").json()
    assert (summit["full_name"], summit["email"]) == ("Bo Chen", "bo0@summit.example")
    assert [c["id"] for c in web.call(SUMMIT, "GET", "/holders/e-0/ceus").json()["items"]] == [
        stored["id"]
    ]
    assert web.call(RIVERSIDE, "GET", "/holders/e-0").status_code == 404
    owners = rows(web.url, select(Holder.holder_id, Holder.org_pk).where(Holder.holder_id == "e-0"))
    assert len(owners) == 1 and owners[0][1] is not None  # deleted for good, not left over


def test_one_organisation_creating_one_holder_id_twice_at_once_makes_one_holder(
    web: Web,
) -> None:
    for n in range(4):
        body = {"holder_id": f"twice-{n}", "full_name": "Ann Lee", "team": "Coding",
                "email": f"ann{n}@riverside.example"}  # fmt: skip
        assert sorted(_post_at_once(web, [(RIVERSIDE, body), (RIVERSIDE, body)])) == [200, 201]
        made = rows(web.url, select(Holder.id).where(Holder.holder_id == f"twice-{n}"))
        assert len(made) == 1


def test_a_holder_the_operator_shares_between_organisations_is_read_only_to_each(
    web: Web,
) -> None:
    """h-001 is on the operator's roster and in both organisations' teams (teams.csv): each
    reads her, neither changes her records; taking her out of one's teams makes her the
    other's alone again."""
    for org in (RIVERSIDE, SUMMIT):
        holder = web.call(org, "GET", "/holders/h-001").json()
        assert holder["shared"] is True
        assert web.call(org, "GET", "/holders/h-001/ceus").status_code == 200
    before = database_rows(web.url)
    ceu = {"holder_id": "h-001", "completed_on": "2026-11-20", "hours": 2, "title": "Audit",
           "bodies": "AAPC"}  # fmt: skip
    [ceu_id] = rows(
        web.url,
        select(CeuRecord.id).join(Holder).where(Holder.holder_id == "h-001").limit(1),
    )[0]
    writes = [
        ("POST", "/holders", {"holder_id": "h-001", "full_name": "M. A.", "team": "Coding",
                              "email": "other@example.org"}),
        ("POST", "/holders/h-001/credentials", {"credential": "CPC", "earned_on": "2020-01-01"}),
        ("DELETE", "/holders/h-001/credentials/CPC", None),
        ("POST", "/holders/h-001/memberships", {"body": "AAPC", "renews_on": "2027-01-31"}),
        ("DELETE", "/holders/h-001/memberships/AAPC", None),
        ("POST", "/ceus", ceu),
        ("POST", "/ceus/bulk", [ceu]),
        ("DELETE", f"/ceus/{ceu_id}", None),
    ]  # fmt: skip
    for method, path, body in writes:
        answer = web.call(SUMMIT, method, path, json=body)
        assert answer.status_code == 403, (method, path, answer.text)
        assert "shared with another organisation" in answer.json()["detail"]
    assert database_rows(web.url) == before
    assert web.call(SUMMIT, "DELETE", "/holders/h-001").status_code == 204
    assert web.call(SUMMIT, "GET", "/holders/h-001").status_code == 404
    assert web.call(RIVERSIDE, "GET", "/holders/h-001").json()["shared"] is False
    assert web.call(RIVERSIDE, "POST", "/ceus", json=ceu).status_code == 201


def test_the_api_takes_names_and_ids_by_the_import_columns_rules(web: Web) -> None:
    """Team names with U+2028 or U+0085 were accepted by /teams and refused by subscriptions;
    ids such as `a/b` or `..` were created and then unreachable."""
    for name in ("Coding\u2028Team", "Coding\x85Team", "HIM/Coding"):
        answer = web.call(RIVERSIDE, "POST", "/teams", json={"name": name})
        assert answer.status_code == 422, (name, answer.text)
    for holder_id in ("a/b", "..", "."):
        holder = {"holder_id": holder_id, "full_name": "Ann", "email": "ann@example.org",
                  "team": "Coding"}  # fmt: skip
        answer = web.call(RIVERSIDE, "POST", "/holders", json=holder)
        assert answer.status_code == 422, (holder_id, answer.text)
        assert answer.json()["detail"][0]["loc"][-1] == "holder_id"
    assert web.call(RIVERSIDE, "POST", "/teams", json={"name": "Coding Team"}).status_code == 201


def test_an_update_keeps_what_it_does_not_mention(web: Web) -> None:
    """A POST /holders that left out `timezone` reset it to null."""
    holder = {"holder_id": "h-tz", "full_name": "Rosa Díaz", "email": "rosa@riverside.example",
              "timezone": "America/Chicago", "team": "Inpatient"}  # fmt: skip
    assert web.call(RIVERSIDE, "POST", "/holders", json=holder).status_code == 201
    renamed = {k: v for k, v in holder.items() if k != "timezone"} | {"full_name": "Rosa Diaz"}
    updated = web.call(RIVERSIDE, "POST", "/holders", json=renamed)
    assert updated.status_code == 200
    assert (updated.json()["full_name"], updated.json()["timezone"]) == (
        "Rosa Diaz", "America/Chicago",
    )  # fmt: skip
    cleared = web.call(RIVERSIDE, "POST", "/holders", json=renamed | {"timezone": None})
    assert cleared.json()["timezone"] is None  # said explicitly: cleared
