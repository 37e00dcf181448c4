"""Legal due dates, with the rule and arithmetic spelled out for the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class DueDate:
    due_at: datetime  # aware, the last moment of the last day, in the organisation's zone
    rule: str  # human explanation: rule, start and arithmetic


def compute_due_date(regime: str, received_at: datetime, zone: ZoneInfo) -> DueDate:
    """The deadline for answering a request received at *received_at*.

    Quebec's Act respecting the protection of personal information in the private
    sector, s. 32: the person holding the file must answer a request for access or
    rectification in writing within 30 days of receiving it; silence at the end of
    that period is deemed a refusal. Calendar days, no extension.
    """
    if regime != "quebec":
        raise ValueError(f"unknown regime {regime!r}")
    local = received_at.astimezone(zone)
    last_day = local.date() + timedelta(days=30)
    due_at = datetime.combine(last_day, time(23, 59, 59), tzinfo=zone)
    rule = (
        f"Quebec private-sector act s. 32: 30 calendar days from receipt, no extension; "
        f"received {local.date().isoformat()} ({zone.key}) + 30 days = {last_day.isoformat()}"
    )
    return DueDate(due_at=due_at, rule=rule)
