"""The calendar files: what icalendar (as Google, Apple and Outlook would) reads back from them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar

from reminders.mail.ical import Deadline, calendar

STAMP = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def test_a_deadline_reads_back_exactly_with_its_alarms() -> None:
    summary = "AAPC CEUs due (CPC, CPMA; CRC) — für Zoë\\ok " + "x" * 80
    deadline = Deadline("h-1-AAPC-2027-03-31@reminders", summary, date(2027, 3, 31),
                        "https://www.aapc.com/certifications/maintain-your-certification")  # fmt: skip
    data = calendar([deadline], STAMP, feed="CEU deadlines")
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))  # folded, in octets
    assert data.endswith(b"END:VCALENDAR\r\n")
    parsed = Calendar.from_ical(data)
    assert str(parsed["X-WR-CALNAME"]) == "CEU deadlines"
    assert str(parsed["METHOD"]) == "PUBLISH"
    [event] = parsed.walk("VEVENT")
    assert str(event["SUMMARY"]) == summary
    assert str(event["UID"]) == deadline.uid
    assert event.decoded("DTSTART") == date(2027, 3, 31)
    assert event.decoded("DTEND") == date(2027, 4, 1)
    assert event.decoded("DTSTAMP") == STAMP
    assert str(event["URL"]) == deadline.url
    alarms = event.walk("VALARM")
    assert [a.decoded("TRIGGER") for a in alarms] == [timedelta(days=-30), timedelta(days=-7)]
    assert [str(a["DESCRIPTION"]) for a in alarms] == [
        f"{summary} in 30 days",
        f"{summary} in 7 days",
    ]


def test_an_empty_calendar_is_still_a_calendar() -> None:
    parsed = Calendar.from_ical(calendar([], STAMP))
    assert parsed.walk("VEVENT") == [] and str(parsed["VERSION"]) == "2.0"
