"""The ticket lifecycle that officers run: each change audited, each letter threaded.

Every command takes the officer who acts and the instant, changes the ticket in
one transaction with its audit event (and, where the requester must be told, the
letter queued in the outbox), and returns a sentence saying what it did.
"""

from __future__ import annotations

import csv
import email
import email.policy
import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import Message
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake_bot.config import OrganizationSettings, Settings
from intake_bot.deadlines import REGIMES, compute_due_date, extension_limit
from intake_bot.errors import UsageError
from intake_bot.privacy import is_code_match, issue_code
from intake_bot.responders.compose import (
    compose_acknowledgement,
    format_date,
    format_rights,
    new_message,
    render,
    thread_headers,
)
from intake_bot.store import Event, OutboxMessage, ReceivedMessage, Status, Store, Ticket, outbox_row

FINISHED = frozenset({Status.CLOSED.value, Status.REJECTED.value, Status.WITHDRAWN.value})

PROVISIONS = {
    "quebec": {
        "fr": "Loi sur la protection des renseignements personnels dans le secteur privé (RLRQ, c. P-39.1)",
        "en": "Act respecting the protection of personal information in the private sector (CQLR, c. P-39.1)",
    },
    "pipeda": {
        "fr": "Loi sur la protection des renseignements personnels et les documents électroniques (LPRPDE)",
        "en": "Personal Information Protection and Electronic Documents Act (PIPEDA)",
    },
    "gdpr": {
        "fr": "Règlement général sur la protection des données (RGPD)",
        "en": "General Data Protection Regulation (GDPR)",
    },
    "ccpa": {"fr": "California Consumer Privacy Act (CCPA)", "en": "California Consumer Privacy Act (CCPA)"},
}
RECOURSE = {
    "quebec": {
        "fr": "la Commission d'accès à l'information du Québec (www.cai.gouv.qc.ca), dans les 30 jours "
        "de ce refus (art. 43 de la Loi)",
        "en": "the Commission d'accès à l'information du Québec (www.cai.gouv.qc.ca), within 30 days "
        "of this refusal (s. 43 of the Act)",
    },
    "pipeda": {
        "fr": "le Commissariat à la protection de la vie privée du Canada (www.priv.gc.ca)",
        "en": "the Office of the Privacy Commissioner of Canada (www.priv.gc.ca)",
    },
    "gdpr": {
        "fr": "l'autorité de contrôle de votre État membre, ou un tribunal (RGPD, art. 77 à 79)",
        "en": "the supervisory authority of your member state, or a court (GDPR art. 77 to 79)",
    },
    "ccpa": {
        "fr": "la California Privacy Protection Agency (cppa.ca.gov)",
        "en": "the California Privacy Protection Agency (cppa.ca.gov)",
    },
}
SUBJECTS = {
    "answer": {"fr": "Réponse à votre demande {ref}", "en": "Answer to your request {ref}"},
    "refusal": {"fr": "Décision sur votre demande {ref}", "en": "Decision on your request {ref}"},
    "extension": {
        "fr": "Prolongation du délai pour votre demande {ref}",
        "en": "Extension of the time for your request {ref}",
    },
    "verified": {"fr": "Identité confirmée : demande {ref}", "en": "Identity confirmed: request {ref}"},
    "verification-reminder": {
        "fr": "Rappel : confirmez votre identité pour la demande {ref}",
        "en": "Reminder: please confirm your identity for request {ref}",
    },
}


@dataclass(frozen=True)
class Actor:
    """Who acts, for the audit trail, and when."""

    officer: str
    now: datetime


def _org(settings: Settings, ticket: Ticket) -> OrganizationSettings:
    try:
        return settings.organization(ticket.org)
    except KeyError:
        raise UsageError(
            f"{ticket.ref} belongs to organisation {ticket.org!r}, which the config does not list"
        ) from None


def letter(
    session: Session, org: OrganizationSettings, ticket: Ticket, kind: str, now: datetime, **values: object
) -> Message:
    """A letter to the requester, in their language, threaded under their first message."""
    lang = ticket.lang if ticket.lang in ("fr", "en") else org.default_language
    body = render(kind, lang, name=ticket.requester_name, ref=ticket.ref, org_name=org.name, **values)
    subject = SUBJECTS[kind][lang].format(ref=ticket.ref)
    message: Message = new_message(org, ticket.requester, subject, body, now=now, ref=ticket.ref)
    thread_headers(message, first_message_id(session, ticket), [])
    return message


def first_message_id(session: Session, ticket: Ticket) -> str | None:
    """The requester's first Message-ID, under which every letter is threaded."""
    return session.scalar(
        select(ReceivedMessage.message_key)
        .where(ReceivedMessage.ticket_id == ticket.id, ReceivedMessage.message_key.startswith("<"))
        .order_by(ReceivedMessage.id)
        .limit(1)
    )


def fresh_code_and_acknowledgement(
    session: Session, org: OrganizationSettings, ticket: Ticket, key: bytes, now: datetime, valid_hours: int
) -> tuple[Message, datetime]:
    """A new identity code on *ticket* (an earlier one stops working) and the acknowledgement
    that carries it, in the ticket's language and threaded under the requester's first mail;
    the caller queues it. Returns the message and the code's expiry."""
    issued = issue_code(key, now, valid_hours)
    ticket.code_hash, ticket.code_expires_at = issued.hashed, issued.valid_until
    by_chat = ticket.channel == "chat"
    message = compose_acknowledgement(
        org,
        ref=ticket.ref,
        lang=ticket.lang,
        to=ticket.requester,
        name=ticket.requester_name,
        labels=ticket.labels,
        received_at=ticket.received_at,
        due_at=ticket.due_at,
        code=issued.code,
        code_valid_until=issued.valid_until,
        original_subject="" if by_chat else ticket.subject,  # a chat has no subject to answer
        original_message_id=None if by_chat else first_message_id(session, ticket),
        original_references=[],
        now=now,
        channel=ticket.channel,
    )
    return message, issued.valid_until


def queue_letter(session: Session, ticket: Ticket, kind: str, message: Message, now: datetime) -> None:
    if not ticket.requester:
        raise UsageError(f"{ticket.ref} has no requester address (erased?): nothing can be mailed")
    session.add(OutboxMessage(**outbox_row(ticket.id, kind, ticket.requester, message, now)))
    Store.add_event(
        session,
        ticket,
        "letter-queued",
        f"{kind} letter in {ticket.lang} queued as {message['Message-ID']}",
        at=now,
    )


def change_ticket(
    store: Store,
    settings: Settings,
    ref: str,
    actor: Actor,
    change: Callable[[Session, OrganizationSettings, Ticket], str],
) -> str:
    """Apply one officer command to ticket *ref* in a single transaction; return what it did."""
    with store.transaction() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.ref == ref.strip().upper()))
        if ticket is None:
            raise UsageError(f"no ticket {ref!r} (see: intake-bot tickets list)")
        org = _org(settings, ticket)
        done = change(session, org, ticket)
        ticket.updated_at = actor.now
        return done


def _require_open(ticket: Ticket, action: str) -> None:
    if ticket.status in FINISHED:
        raise UsageError(f"{ticket.ref} is {ticket.status}: it cannot be {action}; nothing changed")


def assign(store: Store, settings: Settings, ref: str, officer_email: str, actor: Actor) -> str:
    def change(session: Session, org: OrganizationSettings, ticket: Ticket) -> str:
        _require_open(ticket, "assigned")
        ticket.assigned_to = officer_email.strip().lower()
        Store.add_event(
            session,
            ticket,
            "assigned",
            f"assigned to {ticket.assigned_to}",
            actor=actor.officer,
            at=actor.now,
        )
        if ticket.status == Status.VERIFIED.value:  # someone now works on it
            ticket.status = Status.IN_PROGRESS.value
            return f"{ticket.ref} assigned to {ticket.assigned_to}; now in progress"
        return f"{ticket.ref} assigned to {ticket.assigned_to}"

    return change_ticket(store, settings, ref, actor, change)


def relabel(store: Store, settings: Settings, ref: str, labels: list[str], actor: Actor, key: bytes) -> str:
    """An officer's correction of the rights asked for; kept in the trail as future training data.

    A `needs-triage` ticket given rights becomes a request: the requester gets the
    acknowledgement with an identity code, as if the bot had understood it.
    """
    from intake_bot.classifiers import LABELS

    wanted = (
        []
        if labels == ["none"]
        else sorted(set(labels), key=LABELS.index)
        if set(labels) <= set(LABELS)
        else None
    )
    if wanted is None:
        raise UsageError(f"labels are {', '.join(LABELS)}, or none; got {' '.join(labels)}")

    def change(session: Session, org: OrganizationSettings, ticket: Ticket) -> str:
        _require_open(ticket, "relabelled")
        before = ticket.labels
        ticket.labels_json = json.dumps(wanted)
        Store.add_event(
            session,
            ticket,
            "relabelled",
            json.dumps({"from": before, "to": wanted}),
            actor=actor.officer,
            at=actor.now,
        )
        done = f"{ticket.ref} relabelled: {', '.join(before) or 'none'} -> {', '.join(wanted) or 'none'}"
        if ticket.status == Status.NEEDS_TRIAGE.value and wanted and ticket.requester:
            ticket.status = Status.AWAITING_VERIFICATION.value
            ticket.code_attempts = 0
            message, _ = fresh_code_and_acknowledgement(
                session, org, ticket, key, actor.now, settings.intake.code_valid_hours
            )
            queue_letter(session, ticket, "acknowledgement", message, actor.now)
            done += "; now awaiting verification, the acknowledgement with a code is mailed"
        return done

    return change_ticket(store, settings, ref, actor, change)


def note(store: Store, settings: Settings, ref: str, text: str, actor: Actor) -> str:
    def change(session: Session, org: OrganizationSettings, ticket: Ticket) -> str:
        Store.add_event(session, ticket, "note", text, actor=actor.officer, at=actor.now)
        return f"note added to {ticket.ref}"

    return change_ticket(store, settings, ref, actor, change)


def strip_attachments(raw: bytes) -> tuple[bytes, int]:
    """The message without its attachments' content (each replaced by a one-line note)."""
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    removed = 0
    for part in message.walk():
        if part.is_multipart():
            continue
        disposition = str(part.get("content-disposition") or "").lower()
        if "attachment" in disposition or part.get_filename() or part.get_content_maintype() != "text":
            name = part.get_filename() or "(no name)"
            for header in ("content-transfer-encoding", "content-disposition", "content-type"):
                del part[header]
            part["Content-Type"] = "text/plain; charset=utf-8"
            part.set_payload(f"[{name}: removed after the identity check]\n")
            removed += 1
    return message.as_bytes(policy=email.policy.compat32), removed


def _restart_clock_if_needed(org: OrganizationSettings, ticket: Ticket, now: datetime) -> str:
    if org.clock_start != "verification":
        return ""
    due = compute_due_date(
        org.regime,
        now,
        org.zone,
        calendar_name=org.holiday_calendar,
        labels=ticket.labels,
        extension=ticket.extension_days,
        started_by="verification",
    )
    ticket.due_at, ticket.due_rule = due.due_at, due.rule
    return f"; the clock starts at verification: due {due.due_at.astimezone(org.zone).date().isoformat()}"


# A code stands alone: six digits, or three and three ("123 456"); not part of a phone
# number, a date or a reference.
_CODE = re.compile(r"(?<![\d-])(\d{6}|\d{3} \d{3})(?![\d-])")


def find_codes(text: str) -> set[str]:
    """The identity codes a requester's text may carry, spaces removed."""
    return {code.replace(" ", "") for code in _CODE.findall(text)}


def mask_codes(text: str) -> str:
    """*text* with anything that looks like an identity code replaced, for the trail."""
    return _CODE.sub("[code]", text)


VERIFICATION_WORDS = {
    "verified": "the identity code is right: identity verified",
    "wrong": "a wrong identity code",
    "other-address": "a code from an address other than the requester's: ignored",
    "locked": "a code after too many wrong attempts: the code is locked, an officer must verify",
    "expired": "a code after it expired: ignored (the reminder carries a new one)",
}


def judge_code(
    ticket: Ticket, codes: set[str], *, from_requester: bool, at: datetime, key: bytes, limit: int
) -> str:
    """What codes typed or mailed by someone do to *ticket*: "verified", "wrong",
    "other-address", "locked" or "expired". The same rules for mail and chat."""
    if not from_requester:
        return "other-address"
    if ticket.code_attempts >= limit:
        return "locked"
    if ticket.code_hash is None or ticket.code_expires_at is None or ticket.code_expires_at < at:
        return "expired"
    if any(is_code_match(code, ticket.code_hash, key) for code in codes):
        return "verified"
    return "wrong"


def mark_verified(
    session: Session, org: OrganizationSettings, ticket: Ticket, how: str, actor: str, now: datetime
) -> str:
    """Verified: status, time, the fact kept; identity documents in the thread removed."""
    ticket.status = Status.VERIFIED.value
    ticket.verified_at = now
    ticket.code_hash = None  # a used code is worth nothing to anyone
    clock = _restart_clock_if_needed(org, ticket, now)
    Store.add_event(
        session,
        ticket,
        "identity-verified",
        f"identity verified by {actor}: {how}{clock}",
        actor=actor,
        at=now,
    )
    removed = 0
    for receipt in session.scalars(select(ReceivedMessage).where(ReceivedMessage.ticket_id == ticket.id)):
        if receipt.raw:
            receipt.raw, count = strip_attachments(receipt.raw)
            removed += count
    if removed:
        Store.add_event(
            session,
            ticket,
            "documents-removed",
            f"{removed} attachment(s) in the thread removed once identity was checked; "
            "only this fact is kept",
            actor=actor,
            at=now,
        )
    return clock


def confirm_by_code(
    session: Session, org: OrganizationSettings, ticket: Ticket, how: str, now: datetime
) -> None:
    """The right code came back (by mail or in the chat): verified, and the requester gets
    the confirmation letter with the legal due date."""
    mark_verified(session, org, ticket, how, "intake-bot", now)
    due = format_date(ticket.due_at.astimezone(org.zone), ticket.lang)
    queue_letter(session, ticket, "verified", letter(session, org, ticket, "verified", now, due=due), now)


def count_wrong_code(session: Session, ticket: Ticket, limit: int, now: datetime) -> bool:
    """A wrong code counts against the ticket; the one that reaches *limit* locks the code,
    on the trail. True when the code is now locked."""
    ticket.code_attempts += 1
    if ticket.code_attempts >= limit:
        Store.add_event(
            session,
            ticket,
            "code-locked",
            f"{limit} wrong codes: the code is locked; an officer must verify identity",
            at=now,
        )
    return ticket.code_attempts >= limit


def verify(store: Store, settings: Settings, ref: str, method: str, actor: Actor) -> str:
    def change(session: Session, org: OrganizationSettings, ticket: Ticket) -> str:
        _require_open(ticket, "verified")
        if ticket.verified_at is not None:
            raise UsageError(
                f"{ticket.ref} was already verified on {ticket.verified_at.date()}; nothing changed"
            )
        clock = mark_verified(session, org, ticket, method, actor.officer, actor.now)
        return f"{ticket.ref} verified by {actor.officer} ({method}){clock}"

    return change_ticket(store, settings, ref, actor, change)


def extend(store: Store, settings: Settings, ref: str, days: int, reason: str, actor: Actor) -> str:
    def change(session: Session, org: OrganizationSettings, ticket: Ticket) -> str:
        _require_open(ticket, "extended")
        regime = REGIMES[org.regime]
        if not regime.allows_extension:
            raise UsageError(
                f"{ticket.ref}: {regime.title} allows no extension: the deadline stays "
                f"{ticket.due_at.astimezone(org.zone).date()}; nothing changed"
            )
        if ticket.extension_days:
            raise UsageError(
                f"{ticket.ref} was already extended by {ticket.extension_days} days; "
                f"{regime.title} allows one extension; nothing changed"
            )
        if days <= 0:
            raise UsageError("--days must be a positive number of days")
        original = ticket.due_at.astimezone(org.zone).date()
        if actor.now.astimezone(org.zone).date() > original:
            raise UsageError(
                f"{ticket.ref}: the extension notice had to be sent by {original}, before the "
                "original deadline; nothing changed"
            )
        limit = extension_limit(org.regime, original)
        assert limit is not None
        if original + timedelta(days=days) > limit:
            raise UsageError(
                f"{ticket.ref}: {regime.title} allows an extension up to {limit} "
                f"({(limit - original).days} days); {days} days is too many; nothing changed"
            )
        start = (
            ticket.verified_at
            if org.clock_start == "verification" and ticket.verified_at
            else ticket.received_at
        )
        due = compute_due_date(
            org.regime,
            start,
            org.zone,
            calendar_name=org.holiday_calendar,
            labels=ticket.labels,
            extension=days,
            started_by="verification" if start is ticket.verified_at else "receipt",
        )
        previous = ticket.due_at
        ticket.extension_days, ticket.due_at, ticket.due_rule = days, due.due_at, due.rule
        Store.add_event(
            session,
            ticket,
            "extended",
            f"extended by {days} days to {due.due_at.astimezone(org.zone).date()}: {reason}",
            actor=actor.officer,
            at=actor.now,
        )
        lang = ticket.lang
        message = letter(
            session,
            org,
            ticket,
            "extension",
            actor.now,
            reason=reason,
            law=regime.title,
            due=format_date(due.due_at.astimezone(org.zone), lang),
            previous=format_date(previous.astimezone(org.zone), lang),
        )
        queue_letter(session, ticket, "extension", message, actor.now)
        new_due = due.due_at.astimezone(org.zone).date()
        return f"{ticket.ref} extended by {days} days, now due {new_due}; notice mailed to the requester"

    return change_ticket(store, settings, ref, actor, change)


def close(store: Store, settings: Settings, ref: str, text: str, actor: Actor) -> str:
    def change(session: Session, org: OrganizationSettings, ticket: Ticket) -> str:
        _require_open(ticket, "closed")
        if not text.strip():
            raise UsageError("the answer is empty: write the final answer in the --message-file")
        message = letter(session, org, ticket, "answer", actor.now, text=text.strip())
        queue_letter(session, ticket, "answer", message, actor.now)
        ticket.status, ticket.closed_at = Status.CLOSED.value, actor.now
        Store.add_event(
            session,
            ticket,
            "closed",
            "final answer mailed to the requester",
            actor=actor.officer,
            at=actor.now,
        )
        return f"{ticket.ref} closed; the final answer is mailed to the requester"

    return change_ticket(store, settings, ref, actor, change)


def reject(
    store: Store, settings: Settings, ref: str, reason: str, provision: str | None, actor: Actor
) -> str:
    def change(session: Session, org: OrganizationSettings, ticket: Ticket) -> str:
        _require_open(ticket, "rejected")
        lang = ticket.lang
        message = letter(
            session,
            org,
            ticket,
            "refusal",
            actor.now,
            reason=reason,
            rights=format_rights(ticket.labels, lang) if ticket.labels else "—",
            received=format_date(ticket.received_at.astimezone(org.zone), lang),
            provision=provision or PROVISIONS[org.regime][lang],
            recourse=RECOURSE[org.regime][lang],
        )
        queue_letter(session, ticket, "refusal", message, actor.now)
        ticket.status, ticket.closed_at = Status.REJECTED.value, actor.now
        Store.add_event(session, ticket, "rejected", f"refused: {reason}", actor=actor.officer, at=actor.now)
        return f"{ticket.ref} rejected; the refusal, its reasons and the recourse are mailed to the requester"

    return change_ticket(store, settings, ref, actor, change)


def withdraw(store: Store, settings: Settings, ref: str, actor: Actor) -> str:
    def change(session: Session, org: OrganizationSettings, ticket: Ticket) -> str:
        _require_open(ticket, "withdrawn")
        ticket.status, ticket.closed_at = Status.WITHDRAWN.value, actor.now
        Store.add_event(
            session,
            ticket,
            "withdrawn",
            "the requester withdrew the request",
            actor=actor.officer,
            at=actor.now,
        )
        return f"{ticket.ref} withdrawn"

    return change_ticket(store, settings, ref, actor, change)


EXPORT_FIELDS = (
    "ref",
    "org",
    "mailbox",
    "channel",
    "requester",
    "requester_name",
    "subject",
    "lang",
    "labels",
    "status",
    "received_at",
    "due_at",
    "due_rule",
    "assigned_to",
    "verified_at",
    "closed_at",
    "events",
    "triage_reason",  # added last, so that columns read by position keep their place
)


def export(store: Store, settings: Settings, form: str) -> str:
    """Every ticket with its audit trail, for an audit or a regulator; or, with form
    "training", the officers' corrections as rows for the rights model's corpus."""
    if form == "training":
        return _training_rows(store)
    zones = {org.id: org.zone for org in settings.organizations}
    from intake_bot.views import ticket_json

    rows: list[dict[str, object]] = []
    with store.sessions() as session:
        for ticket in session.scalars(select(Ticket).order_by(Ticket.id)):
            zone = zones.get(ticket.org)
            events = session.scalars(select(Event).where(Event.ticket_id == ticket.id).order_by(Event.id))
            rows.append(
                {
                    **ticket_json(ticket, zones),
                    "assigned_to": ticket.assigned_to,
                    "verified_at": _local(ticket.verified_at, zone),
                    "closed_at": _local(ticket.closed_at, zone),
                    "events": [
                        {"at": _local(e.at, zone), "actor": e.actor, "kind": e.kind, "detail": e.detail}
                        for e in events
                    ],
                }
            )
    if form == "json":
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=EXPORT_FIELDS)
    writer.writeheader()
    for row in rows:
        trail_rows = row["events"]
        assert isinstance(trail_rows, list)
        labels = row["labels"]
        assert isinstance(labels, list)
        writer.writerow(
            {
                **row,
                "labels": " ".join(labels),
                "events": "\n".join(f"{e['at']} {e['actor']} {e['kind']}: {e['detail']}" for e in trail_rows),
            }
        )
    return out.getvalue()


def _training_rows(store: Store) -> str:
    """One JSONL row per ticket an officer relabelled, in the format of
    classifiers/data/train*.jsonl: the requester's new text (or, for the chat, what the
    visitor typed before giving an address) and the rights the officer decided. Tickets
    whose personal data was erased have no text left and are skipped."""
    from intake_bot.parsing import parse_message

    out = []
    with store.sessions() as session:
        relabelled = select(Event.ticket_id).where(Event.kind == "relabelled")
        for ticket in session.scalars(
            select(Ticket).where(Ticket.id.in_(relabelled), Ticket.erased_at.is_(None)).order_by(Ticket.id)
        ):
            subject, text = ticket.subject, ""
            raw = session.scalar(
                select(ReceivedMessage.raw)
                .where(ReceivedMessage.ticket_id == ticket.id, ReceivedMessage.raw.is_not(None))
                .order_by(ReceivedMessage.id)
                .limit(1)
            )
            if raw:
                parsed = parse_message(raw)
                subject, text = parsed.subject, parsed.new_text
            elif ticket.channel == "chat":
                said = session.scalars(
                    select(Event.detail)
                    .where(Event.ticket_id == ticket.id, Event.kind == "chat")
                    .where(Event.detail.startswith("visitor: "))
                    .order_by(Event.id)
                ).all()
                subject = ""
                # The visitor's own words: not the address they gave, not the buttons they pressed.
                typed = [line.removeprefix("visitor: ") for line in said]
                text = "\n".join(
                    t for t in typed if "@" not in t and not (t.startswith("[") and t.endswith("]"))
                )
            if text.strip():
                row = {"lang": ticket.lang, "subject": subject, "text": text, "labels": ticket.labels}
                out.append(json.dumps({**row, "source": ticket.ref}, ensure_ascii=False) + "\n")
    return "".join(out)


def _local(moment: datetime | None, zone: ZoneInfo | None) -> str | None:
    return moment.astimezone(zone).isoformat() if moment else None
