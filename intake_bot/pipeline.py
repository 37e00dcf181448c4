"""One message, one pipeline: small steps with one signature, then one transaction.

Fetching stays outside (sources.py); steps fill in an Intake and append to its
trail; ``record`` then writes the receipt, the ticket, the trail and the queued
reply in one transaction. Delivery is at least once: a crash anywhere re-runs the
message, and the dedupe step makes the re-run harmless.
"""

from __future__ import annotations

import hashlib
import json
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from intake_bot.classifiers import (
    AutomatedVerdict,
    Classification,
    classify_request,
    detect_language,
    screen_automated,
)
from intake_bot.config import OrganizationSettings, Settings
from intake_bot.deadlines import compute_due_date
from intake_bot.errors import Drop, MessageError, TransientError
from intake_bot.parsing import ParsedMessage, parse_message
from intake_bot.privacy import event, fingerprint, hash_code, new_code
from intake_bot.responders.compose import compose_acknowledgement
from intake_bot.store import OutboxMessage, ReceivedMessage, Store, Ticket


class Status(StrEnum):
    AWAITING_VERIFICATION = "awaiting-verification"
    VERIFIED = "verified"
    IN_PROGRESS = "in-progress"
    NEEDS_TRIAGE = "needs-triage"
    CLOSED = "closed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    VERIFICATION_EXPIRED = "verification-expired"


class Outcome(StrEnum):
    DONE = "done"
    DROPPED = "dropped"


@dataclass
class Intake:
    """One message as the steps learn about it; the trail becomes the ticket's audit log."""

    org: OrganizationSettings
    mailbox: str
    source_key: str
    raw: bytes
    received_at: datetime
    size: int
    truncated: bool = False  # only the headers were fetched (oversized mail)
    parsed: ParsedMessage | None = None
    message_key: str = ""
    automated: AutomatedVerdict | None = None
    bounce_of: OutboxMessage | None = None
    thread: Ticket | None = None
    lang: str = ""
    lang_method: str = ""
    classification: Classification | None = None
    triage_reason: str | None = None
    wants_reply: bool = False
    no_reply_reason: str = ""
    duplicate: bool = False
    drop_reason: str = ""
    outcome: Outcome | None = None
    ticket_ref: str | None = None
    trail: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Context:
    settings: Settings
    store: Store
    now: Callable[[], datetime] = lambda: datetime.now(UTC)


class Step(Protocol):
    name: str

    def __call__(self, intake: Intake, context: Context) -> None: ...


def step(name: str) -> Callable[[Callable[[Intake, Context], None]], Step]:
    def wrap(function: Callable[[Intake, Context], None]) -> Step:
        function.name = name  # type: ignore[attr-defined]
        return function  # type: ignore[return-value]

    return wrap


@step("parse")
def parse(intake: Intake, context: Context) -> None:
    limit = context.settings.intake.max_message_bytes
    if intake.truncated or intake.size > limit:
        intake.triage_reason = f"oversized message ({intake.size} bytes, limit {limit}); not parsed"
    try:
        intake.parsed = parse_message(intake.raw)
    except MessageError as exc:
        intake.triage_reason = intake.triage_reason or f"malformed message: {exc}"
    parsed = intake.parsed
    if parsed is not None and parsed.message_id:
        intake.message_key = parsed.message_id
    else:  # no Message-ID: the content itself identifies the message
        intake.message_key = "sha256:" + hashlib.sha256(intake.raw).hexdigest()
    if parsed is not None:
        intake.trail.append(
            f"parse: {len(parsed.text)} characters of text"
            + (", HTML only" if parsed.html_only else "")
            + (
                f", {len(parsed.attachments)} attachment(s): "
                + "; ".join(f"{a.filename} ({a.content_type}, {a.size} bytes)" for a in parsed.attachments)
                if parsed.attachments
                else ""
            )
        )


@step("dedupe")
def dedupe(intake: Intake, context: Context) -> None:
    if context.store.is_known_message(intake.mailbox, intake.source_key, intake.message_key):
        intake.duplicate = True
        raise Drop("already taken")


@step("screen-automated")
def screen(intake: Intake, context: Context) -> None:
    parsed = intake.parsed
    if parsed is None:
        return
    if parsed.from_address in context.settings.own_addresses or parsed.headers.get("x-intake-bot"):
        raise Drop("the bot's own mail")
    verdict = screen_automated(parsed)
    intake.automated = verdict
    if verdict is None:
        return
    if verdict.kind == "bounce":
        # RFC 3464: the returned headers name the reply that bounced.
        intake.bounce_of = context.store.find_outbox([*parsed.bounced_message_ids, *parsed.thread_ids])
    raise Drop(f"automated mail ({verdict.kind}: {verdict.reason})")


@step("find-thread")
def find_thread(intake: Intake, context: Context) -> None:
    parsed = intake.parsed
    if parsed is None:
        return
    intake.thread = context.store.find_thread_ticket(intake.org.id, parsed.thread_ids, parsed.subject)
    if intake.thread is not None:
        intake.trail.append(f"find-thread: follow-up in the thread of {intake.thread.ref}")


@step("detect-language")
def detect(intake: Intake, context: Context) -> None:
    parsed = intake.parsed
    text = (parsed.new_text or parsed.subject) if parsed else ""
    guess = detect_language(text)
    if guess.lang is not None:
        intake.lang, intake.lang_method = guess.lang, f"{guess.method} {guess.confidence:.2f}"
    elif intake.thread is not None:
        intake.lang, intake.lang_method = intake.thread.lang, "the thread's language"
    else:
        intake.lang, intake.lang_method = intake.org.default_language, "the organisation's default"
    intake.trail.append(f"detect-language: {intake.lang} ({intake.lang_method})")


@step("classify")
def classify(intake: Intake, context: Context) -> None:
    parsed = intake.parsed
    if parsed is None:
        return
    result = classify_request(parsed.new_text, parsed.subject)
    intake.classification = result
    cues = "; ".join(
        f"{label}: {', '.join(dict.fromkeys(found[:3]))}" for label, found in result.cues.items()
    )
    intake.trail.append(
        f"classify: {', '.join(result.labels) or 'no right recognised'}"
        + (f" (cues: {cues})" if cues else "")
    )


@step("open-ticket")
def open_ticket(intake: Intake, context: Context) -> None:
    if intake.thread is not None:
        intake.trail.append(f"open-ticket: joined {intake.thread.ref}")
        return
    labels = intake.classification.labels if intake.classification else []
    if intake.triage_reason is None and not labels:
        intake.triage_reason = "no privacy right recognised; an officer should read it"
    intake.trail.append(
        "open-ticket: new ticket"
        + (f", needs triage: {intake.triage_reason}" if intake.triage_reason else "")
    )


@step("queue-reply")
def queue_reply(intake: Intake, context: Context) -> None:
    if intake.thread is not None:
        intake.no_reply_reason = "follow-up in an existing thread"
    elif intake.triage_reason is not None:
        intake.no_reply_reason = "left for an officer (needs triage)"
    elif intake.parsed is None or "@" not in intake.parsed.from_address:
        intake.no_reply_reason = "no usable sender address"
    else:
        cap = context.settings.intake.max_replies_per_address_per_day
        since = context.now() - timedelta(days=1)
        if context.store.count_recent_replies(intake.parsed.from_address, since) >= cap:
            intake.no_reply_reason = f"reply cap reached ({cap} automatic replies in 24 hours)"
        else:
            intake.wants_reply = True
    intake.trail.append(
        "queue-reply: "
        + ("acknowledgement with identity code" if intake.wants_reply else f"none ({intake.no_reply_reason})")
    )


DEFAULT_STEPS: tuple[Step, ...] = (
    parse,
    dedupe,
    screen,
    find_thread,
    detect,
    classify,
    open_ticket,
    queue_reply,
)


def process(intake: Intake, steps: Sequence[Step], context: Context) -> Outcome:
    """Run *intake* through *steps*, recording each on ``intake.trail``.

    A step that fails unexpectedly does not stop the message: it is shunted to a
    ticket for a human with the error's name on the trail, never lost and never
    retried in a loop.
    """
    for each in steps:
        try:
            each(intake, context)
        except Drop as why:
            intake.trail.append(f"{each.name}: dropped ({why})")
            intake.drop_reason = (
                "already taken"
                if intake.duplicate
                else intake.automated.kind
                if intake.automated
                else str(why)
            )
            intake.outcome = Outcome.DROPPED
            return intake.outcome
        except (TransientError, OperationalError) as exc:
            # The store or a server hiccuped: leave the mail unacknowledged, retry later.
            raise TransientError(f"{each.name}: {type(exc).__name__}") from exc
        except Exception as exc:
            intake.triage_reason = f"the {each.name} step failed ({type(exc).__name__})"
            intake.trail.append(f"{each.name}: failed ({type(exc).__name__}); left for an officer")
            event(
                "step failed",
                step=each.name,
                error=type(exc).__name__,
                where=traceback.extract_tb(exc.__traceback__)[-1].name,
            )
            if not intake.message_key:
                intake.message_key = "sha256:" + hashlib.sha256(intake.raw).hexdigest()
            done = steps[: list(steps).index(each) + 1]
            for rest in (open_ticket, queue_reply):
                if rest not in done:
                    rest(intake, context)
            break
    intake.outcome = Outcome.DONE
    return intake.outcome


def record(intake: Intake, context: Context) -> None:
    """Write what the pipeline decided, all in one transaction."""
    if intake.duplicate:
        return
    try:
        _record(intake, context)
    except IntegrityError:
        # Another process recorded the same message first (unique mailbox + source key).
        intake.duplicate, intake.outcome, intake.drop_reason = True, Outcome.DROPPED, "already taken"
        return
    if intake.ticket_ref:
        event(
            "message recorded",
            ticket=intake.ticket_ref,
            outcome=intake.outcome.value if intake.outcome else "-",
            sender=fingerprint(intake.parsed.from_address) if intake.parsed else "-",
        )


def _record(intake: Intake, context: Context) -> None:
    store, now = context.store, context.now()
    with store.transaction() as session:
        receipt = ReceivedMessage(
            mailbox=intake.mailbox,
            source_key=intake.source_key,
            message_key=intake.message_key,
            outcome="",
            received_at=intake.received_at,
            size=intake.size,
            raw=None,
        )
        session.add(receipt)
        if intake.outcome is Outcome.DROPPED:
            receipt.outcome = "dropped"
            _record_bounce(session, intake, now)
            return
        ticket = _ticket_for(session, intake, now)
        receipt.ticket_id = ticket.id
        receipt.outcome = "joined" if intake.thread is not None else "opened"
        receipt.raw = intake.raw  # proof of receipt, erased with the ticket's personal data
        if intake.thread is not None:
            Store.add_event(
                session,
                ticket,
                "follow-up",
                f"message received {_local(intake.received_at, intake.org)} in the thread "
                f"({intake.size} bytes)",
                at=now,
            )
        for line in intake.trail:
            Store.add_event(session, ticket, "intake", line, at=now)
        if intake.wants_reply:
            _queue_acknowledgement(session, intake, ticket, now, context.settings)
    intake.ticket_ref = ticket.ref


def _record_bounce(session: Session, intake: Intake, now: datetime) -> None:
    if intake.bounce_of is None:
        return
    row = session.get(OutboxMessage, intake.bounce_of.id)
    ticket = session.get(Ticket, intake.bounce_of.ticket_id)
    if row is None or ticket is None:
        return
    row.status = "bounced"
    Store.add_event(
        session,
        ticket,
        "reply-bounced",
        f"the {row.kind} sent as {row.message_id} bounced "
        f"({intake.automated.reason if intake.automated else 'bounce'}); "
        "an officer must reach the requester another way",
        at=now,
    )


def _ticket_for(session: Session, intake: Intake, now: datetime) -> Ticket:
    if intake.thread is not None:
        ticket = session.get(Ticket, intake.thread.id)
        assert ticket is not None
        ticket.updated_at = now
        return ticket
    parsed = intake.parsed
    org = intake.org
    due = compute_due_date(org.regime, intake.received_at, org.zone)
    labels = intake.classification.labels if intake.classification else []
    year = intake.received_at.astimezone(org.zone).year
    ticket = Ticket(
        ref=Store.next_ref(session, org.id, org.prefix, year),
        org=org.id,
        mailbox=intake.mailbox,
        channel="email",
        requester=parsed.from_address if parsed else "",
        requester_name=(parsed.from_name if parsed else "")[:200],
        subject=(parsed.subject if parsed else "")[:500],
        lang=intake.lang or org.default_language,
        labels_json=json.dumps(labels),
        status=(Status.NEEDS_TRIAGE if intake.triage_reason else Status.AWAITING_VERIFICATION).value,
        received_at=intake.received_at,
        due_at=due.due_at,
        due_rule=due.rule,
        created_at=now,
        updated_at=now,
    )
    session.add(ticket)
    session.flush()
    Store.add_event(
        session,
        ticket,
        "received",
        f"received {_local(intake.received_at, org)} in {intake.mailbox} "
        f"({intake.size} bytes); due {_local(due.due_at, org)}: {due.rule}",
        at=now,
    )
    return ticket


def _queue_acknowledgement(
    session: Session, intake: Intake, ticket: Ticket, now: datetime, settings: Settings
) -> None:
    parsed = intake.parsed
    assert parsed is not None
    code = new_code()
    valid_until = now + timedelta(hours=settings.intake.code_valid_hours)
    ticket.code_hash = hash_code(code)
    ticket.code_expires_at = valid_until
    message = compose_acknowledgement(
        intake.org,
        ref=ticket.ref,
        lang=ticket.lang,
        to=parsed.from_address,
        name=parsed.from_name,
        labels=ticket.labels,
        received_at=ticket.received_at,
        due_at=ticket.due_at,
        code=code,
        code_valid_until=valid_until,
        original_subject=parsed.subject,
        original_message_id=parsed.message_id,
        original_references=parsed.references,
        now=now,
    )
    Store.queue_mail(session, ticket, "acknowledgement", parsed.from_address, message, now)
    Store.add_event(
        session,
        ticket,
        "reply-queued",
        f"acknowledgement in {ticket.lang} queued as {message['Message-ID']}; "
        f"identity code valid until {valid_until.isoformat()} (stored hashed)",
        at=now,
    )


def _local(moment: datetime, org: OrganizationSettings) -> str:
    return moment.astimezone(org.zone).isoformat(timespec="seconds")
