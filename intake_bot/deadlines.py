"""Legal clocks: due dates per privacy regime, extensions, and working days.

Every result carries the rule, the start and the arithmetic in words, so that
`tickets show` can explain a due date to an officer or an auditor.

- Quebec, Act respecting the protection of personal information in the private
  sector, s. 32: answer within 30 days of receipt; no extension; silence at the
  end is deemed a refusal.
- PIPEDA, s. 8(3)-(4): 30 days; one extension of up to 30 days, with notice to
  the requester within the first 30.
- GDPR, art. 12(3): one month of receipt; extension by up to two further months,
  with notice within the first month.
- CCPA (Cal. Civ. Code 1798.130; regs. 7021): 45 days; one extension of 45 days,
  with notice within the first 45; acknowledgement within 10 business days.
- CASL, s. 11(3): an unsubscribe request takes effect within 10 business days.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays


@dataclass(frozen=True)
class Regime:
    name: str
    title: str
    days: int = 0  # calendar days, or
    months: int = 0  # calendar months
    extension_days: int = 0  # the one extension allowed (0: none)
    extension_months: int = 0
    default_calendar: str = ""  # country[-subdivision] for working days
    clock_may_start_at_verification: bool = False

    @property
    def allows_extension(self) -> bool:
        return bool(self.extension_days or self.extension_months)

    def period(self) -> str:
        return f"{self.months} month(s)" if self.months else f"{self.days} calendar days"


REGIMES = {
    "quebec": Regime(
        "quebec",
        "Quebec private-sector act s. 32",
        days=30,
        default_calendar="CA-QC",
    ),
    "pipeda": Regime(
        "pipeda",
        "PIPEDA s. 8(3)",
        days=30,
        extension_days=30,
        default_calendar="CA",
        clock_may_start_at_verification=True,
    ),
    "gdpr": Regime(
        "gdpr",
        "GDPR art. 12(3)",
        months=1,
        extension_months=2,
        clock_may_start_at_verification=True,
    ),
    "ccpa": Regime(
        "ccpa",
        "CCPA s. 1798.130",
        days=45,
        extension_days=45,
        default_calendar="US-CA",
        clock_may_start_at_verification=True,
    ),
}
CASL_BUSINESS_DAYS = 10


def add_months(day: date, months: int) -> date:
    """Same day of the month *months* later; the month's last day where it has none
    (31 January + 1 month = 28 or 29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@cache
def _holidays(calendar_name: str, year: int) -> holidays.HolidayBase:
    country, _, subdivision = calendar_name.partition("-")
    return holidays.country_holidays(country, subdiv=subdivision or None, years=year)


def is_working_day(day: date, calendar_name: str) -> bool:
    return day.weekday() < 5 and not (calendar_name and day in _holidays(calendar_name, day.year))


def next_working_day(day: date, calendar_name: str) -> date:
    while not is_working_day(day, calendar_name):
        day += timedelta(days=1)
    return day


def add_business_days(day: date, count: int, calendar_name: str) -> date:
    """The *count*-th working day after *day* (weekends and the calendar's holidays skipped)."""
    while count > 0:
        day += timedelta(days=1)
        if is_working_day(day, calendar_name):
            count -= 1
    return day


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=zone)


@dataclass(frozen=True)
class DueDate:
    due_at: datetime  # aware: the last second of the legal last day, in the organisation's zone
    rule: str  # the rule, the start and the arithmetic, in words
    working_day: date | None = None  # set when the legal last day is not a working day


def compute_due_date(
    regime_name: str,
    start: datetime,
    zone: ZoneInfo,
    *,
    calendar_name: str | None = None,
    labels: tuple[str, ...] | list[str] = (),
    extension: int = 0,
    started_by: str = "receipt",
) -> DueDate:
    """The due date of a request whose clock started at *start*.

    *extension* is in days, added to the regime's own period. When the request asks
    to opt out, CASL's 10 business days apply to that part, and the
    ticket is due at the earlier of the two dates.
    """
    regime = REGIMES[regime_name]
    holidays_of = regime.default_calendar if calendar_name is None else calendar_name
    first = start.astimezone(zone).date()
    if regime.months:
        last = add_months(first, regime.months)
        arithmetic = f"{first.isoformat()} + {regime.months} month(s) = {last.isoformat()}"
    else:
        last = first + timedelta(days=regime.days)
        arithmetic = f"{first.isoformat()} + {regime.days} days = {last.isoformat()}"
    rule = (
        f"{regime.title}: {regime.period()} from {started_by}"
        + ("; no extension allowed" if not regime.allows_extension else "")
        + f"; {started_by} {arithmetic} ({zone.key})"
    )
    if extension:
        last += timedelta(days=extension)
        rule += f"; extended by {extension} days to {last.isoformat()}"
    if "opt-out" in labels:
        casl = add_business_days(first, CASL_BUSINESS_DAYS, holidays_of or "CA")
        rule += (
            f". Opt-out: CASL s. 11(3), {CASL_BUSINESS_DAYS} business days"
            f" ({holidays_of or 'CA'} holidays skipped) = {casl.isoformat()}"
        )
        if casl < last:
            last = casl
            rule += "; the ticket is due at that earlier date"
    working = None
    if not is_working_day(last, holidays_of):
        working = next_working_day(last, holidays_of)
        rule += (
            f". {last.isoformat()} is not a working day ({holidays_of or 'weekend'}): the legal date stands; "
            f"the next working day is {working.isoformat()}"
        )
    return DueDate(due_at=end_of_day(last, zone), rule=rule, working_day=working)


def extension_limit(regime_name: str, original_due: date) -> date | None:
    """The latest date one extension may reach, or None where the regime allows none."""
    regime = REGIMES[regime_name]
    if regime.extension_months:
        return add_months(original_due, regime.extension_months)
    if regime.extension_days:
        return original_due + timedelta(days=regime.extension_days)
    return None
