"""How tickets look to officers: aligned tables, plain explanations, and stable JSON."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from intake_bot.responders.officers import INCIDENT_MARKER, is_possible_incident, triage_words
from intake_bot.store import Event, OutboxMessage, Ticket


def _zone(ticket: Ticket, zones: dict[str, ZoneInfo]) -> ZoneInfo:
    return zones.get(ticket.org, ZoneInfo("UTC"))


def days_left(ticket: Ticket, now: datetime) -> int:
    """Whole days until the due date (negative once overdue)."""
    return (ticket.due_at - now).days if ticket.due_at >= now else -((now - ticket.due_at).days + 1)


def ticket_json(ticket: Ticket, zones: dict[str, ZoneInfo]) -> dict[str, Any]:
    zone = _zone(ticket, zones)
    return {
        "ref": ticket.ref,
        "org": ticket.org,
        "mailbox": ticket.mailbox,
        "channel": ticket.channel,
        "requester": ticket.requester,
        "requester_name": ticket.requester_name,
        "subject": ticket.subject,
        "lang": ticket.lang,
        "labels": ticket.labels,
        "status": ticket.status,
        "received_at": ticket.received_at.astimezone(zone).isoformat(),
        "due_at": ticket.due_at.astimezone(zone).isoformat(),
        "due_rule": ticket.due_rule,
        "triage_reason": ticket.triage_reason,
    }


def ticket_detail_json(
    ticket: Ticket, events: list[Event], outbox: list[OutboxMessage], zones: dict[str, ZoneInfo]
) -> dict[str, Any]:
    zone = _zone(ticket, zones)
    data = ticket_json(ticket, zones)
    data["events"] = [
        {"at": e.at.astimezone(zone).isoformat(), "actor": e.actor, "kind": e.kind, "detail": e.detail}
        for e in events
    ]
    data["replies"] = [
        {
            "kind": o.kind,
            "status": o.status,
            "message_id": o.message_id,
            "attempts": o.attempts,
            "sent_at": o.sent_at.astimezone(zone).isoformat() if o.sent_at else None,
        }
        for o in outbox
    ]
    return data


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)).rstrip()
        for row in [header, *rows]
    ]
    return printable("\n".join(lines))


def due_words(ticket: Ticket, now: datetime) -> str:
    left = days_left(ticket, now)
    if ticket.status in ("closed", "rejected", "withdrawn"):
        return ""
    if left < 0:
        return f"OVERDUE by {-left} day(s)"
    return "due today" if left == 0 else f"{left} day(s) left"


def reply_state(row: OutboxMessage, zone: ZoneInfo) -> str:
    """An outbox row's state in words an officer can act on."""
    at = row.next_attempt_at.astimezone(zone)
    match row.status:
        case "sent":
            return f"sent {row.sent_at.astimezone(zone):%Y-%m-%d %H:%M}" if row.sent_at else "sent"
        case "pending":
            return "waiting to be sent"
        case "sending":
            return "being sent"
        case "failed":
            return (
                f"not sent yet ({row.last_error}); next attempt {at:%Y-%m-%d %H:%M} (tried {row.attempts}x)"
            )
        case "bounced":
            return "sent, then bounced: reach the requester another way"
        case "undeliverable":
            return f"refused by the relay ({row.last_error}): reach the requester another way"
        case "uncertain":
            return "the bot stopped while sending it: check whether it went out"
    return row.status


def tickets_table(tickets: list[Ticket], zones: dict[str, ZoneInfo], now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    rows = []
    for t in tickets:
        zone = _zone(t, zones)
        rows.append(
            [
                t.ref,
                t.status,
                ", ".join(t.labels) or "-",
                t.lang,
                t.channel,
                printable(t.requester) or "-",
                t.received_at.astimezone(zone).strftime("%Y-%m-%d"),
                f"{t.due_at.astimezone(zone):%Y-%m-%d} {due_words(t, now)}".strip(),
            ]
        )
    return table(rows, ["REF", "STATUS", "RIGHTS", "LANG", "VIA", "REQUESTER", "RECEIVED", "DUE"])


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Text from a requester made safe for a terminal: control characters (escape
    sequences that could rewrite the officer's screen, bidirectional overrides) shown as "?"."""
    return _CONTROL.sub("?", text)


def ticket_text(
    ticket: Ticket,
    events: list[Event],
    outbox: list[OutboxMessage],
    zones: dict[str, ZoneInfo],
    now: datetime | None = None,
) -> str:
    now = now or datetime.now(UTC)
    zone = _zone(ticket, zones)
    who = f"{ticket.requester_name} <{ticket.requester}>" if ticket.requester_name else ticket.requester
    lines = [f"{ticket.ref}  {ticket.status}"]
    if why := triage_words(ticket, "en"):
        marker = f"{INCIDENT_MARKER['en']}: " if is_possible_incident(ticket) else ""
        lines.append(f"  triage        {marker}{why}")
    lines += [
        f"  organisation  {ticket.org}   mailbox {ticket.mailbox}   channel {ticket.channel}",
        f"  requester     {who or '-'}",
        f"  subject       {ticket.subject or '-'}",
        f"  rights        {', '.join(ticket.labels) or 'none recognised'}   language {ticket.lang}",
        f"  received      {ticket.received_at.astimezone(zone):%Y-%m-%d %H:%M %z}",
        f"  due           {ticket.due_at.astimezone(zone):%Y-%m-%d %H:%M %z}   {due_words(ticket, now)}",
        f"                {ticket.due_rule}",
    ]
    if outbox:
        lines.append("  replies")
        for o in outbox:
            lines.append(f"    {o.kind}: {reply_state(o, zone)}")
    lines.append("  audit trail")
    for e in events:
        first, *rest = e.detail.split("\n")
        lines.append(f"    {e.at.astimezone(zone):%Y-%m-%d %H:%M:%S}  {e.actor}  {e.kind}: {first}")
        lines.extend(f"{'':>34}{line}" for line in rest)
    return printable("\n".join(lines))
