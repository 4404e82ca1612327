"""An AAPC membership whose renewal date has passed unrenewed, end to end (issue 15, part 1):
imported as a coder's records are, read by `status`, mailed through a real SMTP server, and
read the other way with REMINDERS_MISSING_HISTORY=settled. On SQLite and PostgreSQL.

Lee: a CPC since 2015 whose AAPC membership renews on 2026-02-28 (CEUs due that day too, as
February is even), with nothing recorded since. AAPC cancels after 2026-05-29.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import CommandLine, write_csv
from tests.smtpserver import SmtpServer


def _import_lee(cli: CommandLine, folder: Path) -> None:
    write_csv(folder / "holders.csv", "holder_id,full_name,email", "h-700,Lee Park,lee@example.org")
    write_csv(folder / "credentials.csv", "holder_id,credential,earned_on", "h-700,CPC,2015-01-10")
    write_csv(folder / "memberships.csv", "holder_id,body,renews_on", "h-700,AAPC,2026-02-28")
    assert cli("import", "all", folder).code == 0


def _status(cli: CommandLine, as_of: str) -> dict[str, object]:
    result = cli("status", "--holder", "h-700", "--as-of", as_of, "--format", "json")
    assert result.code == 0, result.err
    [found] = json.loads(result.out)
    assert isinstance(found, dict)
    return found


def test_a_passed_renewal_date_reads_overdue_then_lapsed_and_is_mailed_as_such(
    cli: CommandLine, database_url: str, mail_env: SmtpServer, tmp_path: Path
) -> None:
    cli.use(database_url)
    assert cli("init").code == 0
    _import_lee(cli, tmp_path)
    overdue = _status(cli, "2026-03-30")
    assert (overdue["status"], overdue["cycle_end"], overdue["deadline"], overdue["unrenewed"]) == (
        "overdue", "2026-02-28", "2026-05-29", "2026-02-28",
    )  # fmt: skip
    lapsed = _status(cli, "2026-06-15")
    assert (lapsed["status"], lapsed["unrenewed"]) == ("lapsed", "2026-02-28")
    table = cli("status", "--holder", "h-700", "--as-of", "2026-03-30")
    assert "membership not renewed since 2026-02-28: cancelled after 2026-05-29" in table.out

    assert cli("send", "--as-of", "2026-03-30").code == 0
    [mail] = [m for m in mail_env.inbox.messages if "lee@example.org" in str(m["To"])]
    assert str(mail["Subject"]) == (
        "Overdue: your AAPC membership was due for renewal on February 28, 2026;"
        " act before May 29, 2026"
    )
    text = " ".join(mail.get_body(("plain",)).get_content().split())  # type: ignore[union-attr]
    assert (
        "AAPC (CPC): your AAPC membership was due for renewal on February 28, 2026 and no"
        " renewal is recorded; the CEUs due on February 28, 2026 are not met either." in text
    )
    assert "AAPC cancels the membership, and the credential with it, after May 29, 2026" in text
    assert (
        "What to do: renew the membership with AAPC and complete the 36 CEUs before May 29,"
        " 2026." in text
    )
    assert "Why this mail: the notice 30 days after the renewal date." in text

    # Renewed, and the new date imported: nothing is overdue, and nothing more goes out.
    mail_env.inbox.messages.clear()
    write_csv(tmp_path / "memberships.csv", "holder_id,body,renews_on", "h-700,AAPC,2027-02-28")
    assert cli("import", "memberships", tmp_path / "memberships.csv").code == 0
    renewed = _status(cli, "2026-04-30")
    assert (renewed["status"], renewed["unrenewed"]) == ("on_track", None)
    assert cli("send", "--as-of", "2026-04-30").code == 0
    assert [m for m in mail_env.inbox.messages if "lee@example.org" in str(m["To"])] == []


def test_settled_reads_a_passed_renewal_date_as_history_the_roster_lacks(
    cli: CommandLine, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REMINDERS_MISSING_HISTORY", "settled")
    cli.use(database_url)
    assert cli("init").code == 0
    _import_lee(cli, tmp_path)
    found = _status(cli, "2026-06-15")
    assert (found["status"], found["cycle_start"], found["unrenewed"]) == (
        "behind", "2026-03-01", None,
    )  # fmt: skip
    explanation = found["explanation"]
    assert isinstance(explanation, list)
    assert any("taken as settled" in line for line in explanation)
