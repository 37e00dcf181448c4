"""Each regime's arithmetic around month ends, leap years, weekends and Quebec holidays."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from intake_bot.deadlines import (
    add_business_days,
    add_months,
    compute_due_date,
    extension_limit,
    is_working_day,
)

TORONTO = ZoneInfo("America/Toronto")


def _due(regime: str, received: str, **kwargs: object) -> tuple[date, str]:
    result = compute_due_date(
        regime, datetime.fromisoformat(received).replace(tzinfo=TORONTO), TORONTO, **kwargs
    )  # type: ignore[arg-type]
    return result.due_at.date(), result.rule


@pytest.mark.parametrize(
    ("regime", "received", "due"),
    [
        ("quebec", "2026-01-31T23:30", "2026-03-02"),  # 30 calendar days across February
        ("quebec", "2028-01-31T09:00", "2028-03-01"),  # leap year: February has 29 days
        ("quebec", "2026-12-01T00:05", "2026-12-31"),
        ("pipeda", "2026-11-25T10:00", "2026-12-25"),
        ("gdpr", "2026-01-31T10:00", "2026-02-28"),  # one month: the month's last day
        ("gdpr", "2028-01-31T10:00", "2028-02-29"),
        ("gdpr", "2026-03-15T10:00", "2026-04-15"),
        ("ccpa", "2026-11-10T10:00", "2026-12-25"),  # 45 days
    ],
)
def test_due_dates(regime: str, received: str, due: str) -> None:
    assert _due(regime, received)[0].isoformat() == due


def test_receipt_day_is_in_the_organisations_zone() -> None:
    """Mail at 23:30 in Toronto is received that day, though it is already the next day in UTC."""
    result = compute_due_date("quebec", datetime(2026, 1, 31, 23, 30, tzinfo=TORONTO), TORONTO)
    assert result.due_at == datetime(2026, 3, 2, 23, 59, 59, tzinfo=TORONTO)


def test_a_legal_date_on_a_holiday_shows_the_next_working_day() -> None:
    """Calendar-day deadlines stand; the rule also names the working day (Quebec calendar)."""
    due, rule = _due("quebec", "2026-05-25T10:00")  # + 30 = 2026-06-24, Saint-Jean-Baptiste
    assert due.isoformat() == "2026-06-24"
    assert "2026-06-24 is not a working day" in rule and "next working day is 2026-06-25" in rule
    result = compute_due_date("quebec", datetime(2026, 5, 25, 10, tzinfo=TORONTO), TORONTO)
    assert result.working_day == date(2026, 6, 25)


def test_opt_out_follows_casl_business_days() -> None:
    """An unsubscribe must take effect within 10 business days; Quebec holidays do not count."""
    assert add_business_days(date(2026, 6, 19), 10, "CA-QC") == date(2026, 7, 7)  # skips 24 June and 1 July
    due, rule = _due("quebec", "2026-06-19T10:00", labels=["access", "opt-out"])
    assert due.isoformat() == "2026-07-07" and "CASL" in rule and "earlier date" in rule


def test_working_days() -> None:
    assert not is_working_day(date(2026, 6, 24), "CA-QC")
    assert is_working_day(date(2026, 6, 24), "CA")  # not a federal holiday
    assert not is_working_day(date(2026, 11, 28), "CA-QC")  # a Saturday


def test_extension_limits() -> None:
    assert extension_limit("quebec", date(2026, 12, 1)) is None
    assert extension_limit("pipeda", date(2026, 12, 1)) == date(2026, 12, 31)
    assert extension_limit("gdpr", date(2026, 12, 31)) == date(2027, 2, 28)
    assert extension_limit("ccpa", date(2026, 12, 1)) == date(2027, 1, 15)
    assert add_months(date(2027, 12, 31), 2) == date(2028, 2, 29)
    due, rule = _due("pipeda", "2026-11-02T10:00", extension=20)
    assert due.isoformat() == "2026-12-22" and "extended by 20 days" in rule
