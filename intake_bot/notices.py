"""Queue the officers' reminders and digests, each once ever, whatever runs them.

`run` calls these every few minutes; cron users and operators call them through
`intake-bot reminders` and `intake-bot digest`. The guarantee lives in the
store: a notice's key is unique and is written in the same transaction as the
outbox row that carries it, so restarts, reruns and two bot processes never
send one twice (on SQLite and on PostgreSQL alike).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from intake_bot.config import OrganizationSettings, Settings, code_key
from intake_bot.lifecycle import letter
from intake_bot.privacy import event, fingerprint, issue_code
from intake_bot.responders.compose import format_date
from intake_bot.responders.officers import (
    FINISHED,
    OVERDUE,
    PlannedDigest,
    PlannedReminder,
    compose_digest,
    compose_reminder,
    is_digest_time,
    plan_digests,
    plan_reminders,
)
from intake_bot.store import Notice, OutboxMessage, Status, Store, Ticket, outbox_row


@dataclass(frozen=True)
class NoticeLine:
    """One notice, as the CLI reports it."""

    org: str
    officer: str
    language: str
    what: str


def _open_tickets(session: Session, org: OrganizationSettings) -> list[Ticket]:
    return list(session.scalars(select(Ticket).where(Ticket.org == org.id, Ticket.status.not_in(FINISHED))))


def _sent_keys(session: Session, org: OrganizationSettings, kind: str) -> set[str]:
    return set(session.scalars(select(Notice.key).where(Notice.org == org.id, Notice.kind == kind)))


def _queue(
    session: Session,
    org: OrganizationSettings,
    kind: str,
    keys: tuple[str, ...],
    ticket: Ticket | None,
    recipient: str,
    message: object,
    now: datetime,
) -> bool:
    """Write the outbox row and its notice keys in a savepoint; False if another run won."""
    try:
        with session.begin_nested():
            row = OutboxMessage(**outbox_row(ticket.id if ticket else None, kind, recipient, message, now))  # type: ignore[arg-type]
            session.add(row)
            session.flush()
            for key in keys:
                session.add(
                    Notice(
                        key=key,
                        kind=kind,
                        org=org.id,
                        ticket_id=ticket.id if ticket else None,
                        recipient=recipient,
                        outbox_id=row.id,
                        created_at=now,
                    )
                )
            session.flush()
    except IntegrityError:
        return False
    return True


def _describe_reminder(org: OrganizationSettings, plan: PlannedReminder) -> str:
    due = format_date(plan.ticket.due_at.astimezone(org.zone), "en")
    if plan.stage == OVERDUE:
        return f"{plan.ticket.ref} OVERDUE since {due}"
    return f"{plan.ticket.ref} due {due} ({plan.days_left} day(s) left, {plan.stage}-day reminder)"


def queue_reminders(
    settings: Settings, store: Store, now: datetime, *, dry_run: bool = False
) -> list[NoticeLine]:
    """Queue every reminder due at *now*; with *dry_run*, only say what would be sent."""
    lines = []
    for org in settings.organizations:
        with store.transaction() as session:
            plans = plan_reminders(
                org, _open_tickets(session, org), now, _sent_keys(session, org, "reminder")
            )
            for plan in plans:
                line = NoticeLine(
                    org.id, plan.officer.email, plan.officer.language, _describe_reminder(org, plan)
                )
                if dry_run:
                    lines.append(line)
                    continue
                message = compose_reminder(org, plan, now)
                if _queue(session, org, "reminder", plan.keys, plan.ticket, plan.officer.email, message, now):
                    Store.add_event(
                        session,
                        plan.ticket,
                        "reminder-queued",
                        f"{line.what}: reminder to {plan.officer.email} ({plan.officer.language})",
                        at=now,
                    )
                    lines.append(line)
                    event("reminder queued", ticket=plan.ticket.ref, to=fingerprint(plan.officer.email))
    return lines


def queue_digests(
    settings: Settings, store: Store, now: datetime, *, dry_run: bool = False, on_schedule: bool = False
) -> list[NoticeLine]:
    """Queue today's digest for each officer who has not had it.

    *on_schedule* (the scheduler's call) waits for each organisation's local
    digest time; an operator's call sends today's digest now.
    """
    lines = []
    for org in settings.organizations:
        if on_schedule and not is_digest_time(org, now):
            continue
        with store.transaction() as session:
            found = session.execute(
                select(Notice.recipient, func.max(Notice.created_at))
                .where(Notice.org == org.id, Notice.kind == "digest")
                .group_by(Notice.recipient)
            )
            last = {recipient.lower(): at for recipient, at in found}
            plans = plan_digests(
                org, _open_tickets(session, org), now, _sent_keys(session, org, "digest"), last
            )
            for plan in plans:
                line = NoticeLine(org.id, plan.officer.email, plan.officer.language, _describe_digest(plan))
                if dry_run:
                    lines.append(line)
                    continue
                message = compose_digest(org, plan, now)
                if _queue(session, org, "digest", (plan.key,), None, plan.officer.email, message, now):
                    lines.append(line)
                    event("digest queued", org=org.id, to=fingerprint(plan.officer.email))
    return lines


def queue_verification_reminders(
    settings: Settings, store: Store, now: datetime, *, dry_run: bool = False
) -> list[NoticeLine]:
    """Requesters who have not confirmed their identity: one reminder with a fresh code
    after `verification_reminder_days`; at `verification_expires_days`, the ticket goes to
    an officer as verification-expired."""
    intake = settings.intake
    secret = code_key(settings)
    lines = []
    for org in settings.organizations:
        with store.transaction() as session:
            waiting = session.scalars(
                select(Ticket).where(
                    Ticket.org == org.id, Ticket.status == Status.AWAITING_VERIFICATION.value
                )
            ).all()
            sent = _sent_keys(session, org, "verification-reminder")
            for ticket in waiting:
                age = now - ticket.created_at
                if age >= timedelta(days=intake.verification_expires_days):
                    line = NoticeLine(
                        org.id,
                        "-",
                        ticket.lang,
                        f"{ticket.ref} unverified for "
                        f"{intake.verification_expires_days} days: verification-expired",
                    )
                    lines.append(line)
                    if not dry_run:
                        ticket.status, ticket.code_hash = Status.VERIFICATION_EXPIRED.value, None
                        Store.add_event(
                            session,
                            ticket,
                            "verification-expired",
                            f"no identity confirmation after {intake.verification_expires_days} days; "
                            "an officer decides (tickets verify, reject or withdraw)",
                            at=now,
                        )
                    continue
                key = f"verification-reminder:{ticket.id}"
                if (
                    age < timedelta(days=intake.verification_reminder_days)
                    or key in sent
                    or not ticket.requester
                ):
                    continue
                line = NoticeLine(
                    org.id,
                    "the requester",
                    ticket.lang,
                    f"{ticket.ref}: reminder to confirm identity, with a new code",
                )
                if dry_run:
                    lines.append(line)
                    continue
                issued = issue_code(secret, now, intake.code_valid_hours)
                valid_until = issued.valid_until
                message = letter(
                    session,
                    org,
                    ticket,
                    "verification-reminder",
                    now,
                    code=issued.code,
                    code_valid_until=format_date(valid_until.astimezone(org.zone), ticket.lang),
                )
                if _queue(
                    session, org, "verification-reminder", (key,), ticket, ticket.requester, message, now
                ):
                    ticket.code_hash, ticket.code_expires_at = issued.hashed, valid_until
                    Store.add_event(
                        session,
                        ticket,
                        "verification-reminder",
                        f"reminder to confirm identity queued as {message['Message-ID']}, with a new "
                        f"code valid until {valid_until.astimezone(org.zone).isoformat(timespec='minutes')}"
                        " (stored hashed)",
                        at=now,
                    )
                    lines.append(line)
    return lines


def _describe_digest(plan: PlannedDigest) -> str:
    return (
        f"digest: {plan.open_count} open, {len(plan.overdue)} overdue, {len(plan.triage)} to triage, "
        f"{plan.new_count} new"
    )
