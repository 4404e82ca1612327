"""Parsers for one CSV cell each: they return the stored value or raise `FieldError`.

Pure functions, called once per cell on the import's hot path, so they avoid work they can skip
(dates are cached; numbers are parsed with a regular expression, not `Decimal`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection
from datetime import date
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

from reminders.settings import known_timezones


class FieldError(ValueError):
    """The cell's value is not acceptable; the message says why, for a person to fix it."""


# C0 and C1 controls (CR, LF, TAB and NEL among them) and the Unicode line and paragraph
# separators: the one rule for text in CSV cells, API bodies and command arguments.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# ASCII digits only: "１２" (full-width) is a number to Python, not to a person or a spreadsheet.
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CEUS = re.compile(r"([0-9]{1,4})(?:\.([0-9]{1,2}))?")
# An id is part of web addresses (/api/v1/holders/{id}): no "/", no "." or ".." alone.
_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]*")
MAX_CEUS_CENTS = 999_99
LATEST_YEAR = 2100
"""Dates after this year are typing mistakes (9999 made a credential silently never count)."""


def text(value: str, max_length: int) -> str:
    value = value.strip()
    if not value:
        raise FieldError("is required")
    found = CONTROL.search(value)
    if found:
        raise FieldError(f"contains a control character ({found.group()!r}); use one line of text")
    if len(value) > max_length:
        raise FieldError(f"is {len(value)} characters long; at most {max_length} are allowed")
    return value


def identifier(value: str, max_length: int) -> str:
    """A holder_id: letters, digits and . _ @ + -, starting with a letter or digit."""
    value = text(value, max_length)
    if not _IDENTIFIER.fullmatch(value):
        raise FieldError(
            f"{value!r} may hold only letters, digits and . _ @ + - (starting with a letter or"
            " digit): it is part of web addresses"
        )
    return value


PERSON_NAME_LENGTH = 100
_NAME_MARKS = frozenset(" .,'’-()")
_PLAIN_NAME = re.compile(r"[A-Za-z .,'’()-]+")


def person_name(value: str, max_length: int = PERSON_NAME_LENGTH) -> str:
    """A person's name, as every mail to them opens with it: letters of any script, with
    spaces and . , ' ’ - ( ) between them, up to 100 characters. No digits, links or markup:
    an API client's only free text in a mail must not be able to carry a message of its own."""
    value = text(value, max_length)
    if _PLAIN_NAME.fullmatch(value):
        return value  # most names: no per-character look-up on the import's hot path
    for character in value:
        if character not in _NAME_MARKS and unicodedata.category(character)[0] not in "LM":
            raise FieldError(
                f"{value!r} is not a person's name: use letters, spaces and . , ' - ( ) only"
                f" (not {character!r})"
            )
    return value


def name(value: str, max_length: int) -> str:
    """An organisation's or team's name: one line of text without "/" (a part of web
    addresses: /api/v1/teams/{name})."""
    value = text(value, max_length)
    if "/" in value:
        raise FieldError(f"{value!r} contains '/'; names are parts of web addresses")
    return value


def optional_name(value: str, max_length: int) -> str | None:
    return name(value, max_length) if value.strip() else None


def optional_text(value: str, max_length: int) -> str | None:
    return text(value, max_length) if value.strip() else None


@lru_cache(maxsize=65_536)
def iso_date(value: str) -> date:
    value = value.strip()
    if not _DATE.fullmatch(value):
        raise FieldError(f"{value!r} is not a date in the form YYYY-MM-DD")
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise FieldError(f"{value} is not a day of the calendar") from None
    if parsed.year < 1900:
        raise FieldError(f"{value} is before 1900")
    if parsed.year > LATEST_YEAR:
        raise FieldError(f"{value} is after {LATEST_YEAR}")
    return parsed


def optional_date(value: str) -> date | None:
    return iso_date(value) if value.strip() else None


@lru_cache(maxsize=4096)
def ceus_cents(value: str) -> int:
    """A number of CEUs (≥ 0, at most two decimal places) as integer hundredths."""
    value = value.strip()
    match = _CEUS.fullmatch(value)
    if not match:
        if value.startswith("-"):
            raise FieldError(f"{value} is negative; CEUs are 0 or more")
        raise FieldError(
            f"{value!r} is not a number of CEUs such as 1 or 1.5 (two decimals at most)"
        )
    whole, fraction = match.groups()
    cents = int(whole) * 100 + (int(fraction.ljust(2, "0")) if fraction else 0)
    if cents > MAX_CEUS_CENTS:
        raise FieldError(f"{value} CEUs is more than {MAX_CEUS_CENTS / 100:g}")
    return cents


def optional_ceus_cents(value: str) -> int | None:
    return ceus_cents(value) if value.strip() else None


def email(value: str) -> str:
    value = value.strip()
    if not value:
        raise FieldError("is required")
    try:
        # Stored as it can be sent: an internationalised domain in its ASCII form (IDNA), and
        # no address whose local part needs SMTPUTF8, which most servers do not offer: such an
        # address sat in retry for ever, and its owner never heard a thing.
        found = validate_email(value, check_deliverability=False, allow_smtputf8=False)
    except EmailNotValidError as exc:
        raise FieldError(f"{value!r} is not a valid e-mail address: {exc}") from None
    assert found.ascii_email is not None  # always set without SMTPUTF8
    return str(found.ascii_email)


def timezone(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    if value not in known_timezones():
        raise FieldError(f"{value!r} is not an IANA time zone such as America/Chicago")
    return value


def choice(allowed: Collection[str], what: str) -> Callable[[str], str]:
    ordered = ", ".join(sorted(allowed))

    def parse(value: str) -> str:
        value = value.strip()
        if not value:
            raise FieldError("is required")
        if value not in allowed:
            raise FieldError(f"unknown {what} {value!r}; expected one of {ordered}")
        return value

    return parse


def code_list(
    value: str, allowed: Collection[str], what: str, *, required: bool
) -> tuple[str, ...]:
    """A `;`-separated list, returned sorted without repeats, so equal lists compare equal."""
    items = sorted({item.strip() for item in value.split(";") if item.strip()})
    if required and not items:
        raise FieldError("is required")
    unknown = [item for item in items if item not in allowed]
    if unknown:
        raise FieldError(
            f"unknown {what} {', '.join(map(repr, unknown))}; expected {', '.join(sorted(allowed))}"
        )
    return tuple(items)
