"""The JSON API: httpx against the real application served by uvicorn, on both databases, with the demo roster's two organisations: Riverside Health (h-001, h-002, h-003,
h-007) and Summit Billing Partners (h-001, h-004, h-005, h-006)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from reminders.app import App
from reminders.db.models import CeuRecord, Holder, Subscription
from reminders.settings import load_settings
from reminders.web.server import build
from tests.conftest import SECRET, CommandLine, database_rows, database_state, rows
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
    return {
        "holder_id": riverside_only, "team": ["HIM", "Professional Coding"],
        "ceu_id": [row[0] for row in ceus], "subscription": [row[0] for row in subscriptions],
        "credential": ["CPC", "CCS"], "body": ["AAPC", "AHIMA"],
    }  # fmt: skip


BODIES: dict[str, dict[str, Any]] = {
    "/api/v1/holders/{holder_id}/credentials": {"credential": "CPC", "earned_on": "2020-01-01"},
    "/api/v1/holders/{holder_id}/memberships": {"body": "AAPC"},
    "/api/v1/teams/{team}/members": {"holder_id": "h-001"},
    "/api/v1/subscriptions/{subscription}": {"paused": True},
}


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


def test_reminders_web_serves_the_api_and_its_documentation_on_its_own(
    cli: CommandLine, roster: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import subprocess
    import sys
    import time

    from tests.webserver import free_port

    monkeypatch.setenv("REMINDERS_SECRET_KEY", SECRET)
    cli.use(roster)
    key = cli("org", "create", SUMMIT).out.splitlines()[-1]
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "reminders", "web", "--host", "127.0.0.1", "--port", str(port)],
        env=dict(os.environ),
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
        assert httpx.get(f"{base}/docs").status_code == 200
        teams = httpx.get(f"{base}/api/v1/teams", headers={"Authorization": f"Bearer {key}"})
        assert [team["name"] for team in teams.json()] == ["Outpatient", "Risk Adjustment"]
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_two_organisations_creating_one_holder_id_at_once_never_share_it(web: Web) -> None:
    """Checked apart from the write, the same new id posted by two organisations at the same
    moment got 201 twice (36 rounds of 40) and one organisation read the other's coder."""
    rounds = 12
    with ThreadPoolExecutor(max_workers=2) as pool:
        for n in range(rounds):
            holder = {"holder_id": f"race-{n}", "full_name": "Same Id", "team": "Coding",
                      "email": f"race-{n}@example.org"}  # fmt: skip
            barrier = threading.Barrier(2)

            def post(
                org: str, body: dict[str, str] = holder, barrier: threading.Barrier = barrier
            ) -> tuple[str, int]:
                with httpx.Client(base_url=str(web.client.base_url), timeout=30) as client:
                    barrier.wait()
                    headers = {"Authorization": f"Bearer {web.keys[org]}"}
                    answer = client.post("/api/v1/holders", json=body, headers=headers)
                    return org, answer.status_code

            results = sorted(pool.map(post, (RIVERSIDE, SUMMIT)), key=lambda r: r[1])
            assert [code for _, code in results] == [201, 409], (n, results)
            winner, loser = results[0][0], results[1][0]
            assert web.call(winner, "GET", f"/holders/race-{n}").status_code == 200
            assert web.call(loser, "GET", f"/holders/race-{n}").status_code == 404


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
