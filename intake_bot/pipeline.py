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
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import Message
from enum import StrEnum
from typing import Protocol

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from intake_bot.classifiers import (
    AutomatedVerdict,
    Classification,
    classify_request,
    message_language,
    screen_automated,
)
from intake_bot.config import OrganizationSettings, Settings, code_key
from intake_bot.deadlines import compute_due_date
from intake_bot.errors import Drop, MessageError, TransientError
from intake_bot.lifecycle import VERIFICATION_WORDS, confirm_by_code, count_wrong_code, find_codes, judge_code
from intake_bot.parsing import ParsedMessage, parse_message, peek_message_id
from intake_bot.privacy import event, fingerprint, issue_code
from intake_bot.responders.compose import (
    LAW_NAMES,
    compose_acknowledgement,
    format_date,
    format_rights,
    new_message,
    render,
    thread_headers,
)
from intake_bot.store import (
    Event,
    OutboxMessage,
    ReceivedMessage,
    Status,
    Store,
    Ticket,
    TriageReason,
    outbox_row,
)


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
    triage_reason: str | None = None  # why it is left to an officer, in words, for the trail
    triage_code: TriageReason | None = None  # the same as a code, for the ticket's row
    wants_reply: bool = False
    no_reply_reason: str = ""
    duplicate: bool = False
    drop_reason: str = ""
    outcome: Outcome | None = None
    ticket_ref: str | None = None
    ticket_id: int | None = None
    thread_intake: Intake | None = None  # a reply to a message of the same, unwritten batch
    verification: str | None = None  # what a code in a follow-up did: verified, wrong, locked...
    linked_to: Ticket | None = None  # a verified requester's new right, asked in an existing thread
    trail: list[str] = field(default_factory=list)

    def leave_to_officer(self, code: TriageReason, reason: str) -> None:
        """The ticket goes to needs-triage: *code* for the officers' views, *reason* for the trail."""
        self.triage_code, self.triage_reason = code, reason

    @property
    def joins(self) -> bool:
        """A follow-up in an existing thread rather than a new request."""
        return self.thread is not None or self.thread_intake is not None


@dataclass(frozen=True)
class Context:
    settings: Settings
    store: Store
    now: Callable[[], datetime] = lambda: datetime.now(UTC)
    code_key: bytes = field(default=b"", repr=False)
    # The batch being processed and not yet written: steps must see it as the store would.
    pending: dict[str, Intake] = field(default_factory=dict)
    pending_replies: Counter[str] = field(default_factory=Counter)
    # Read once per batch instead of once per message.
    checked_keys: set[str] = field(default_factory=set)
    known_keys: set[str] = field(default_factory=set)
    recent_replies: Counter[str] = field(default_factory=Counter)

    def start_batch(self, mailbox: str = "", raws: Sequence[tuple[str, bytes]] = ()) -> None:
        """Forget the last batch; look up in one go what the next one will ask the store."""
        for container in (
            self.pending,
            self.pending_replies,
            self.checked_keys,
            self.known_keys,
            self.recent_replies,
        ):
            container.clear()
        if not raws:
            return
        source_keys = [key for key, _ in raws]
        message_ids = [mid for _, raw in raws if (mid := peek_message_id(raw))]
        self.known_keys.update(self.store.known_keys(mailbox, source_keys, message_ids))
        self.checked_keys.update([*source_keys, *message_ids])
        self.recent_replies.update(self.store.recent_reply_counts(self.now() - timedelta(days=1)))

    def is_known(self, mailbox: str, source_key: str, message_key: str) -> bool:
        if source_key in self.pending or message_key in self.pending:
            return True
        if source_key in self.known_keys or message_key in self.known_keys:
            return True
        if source_key in self.checked_keys and message_key in self.checked_keys:
            return False
        return self.store.is_known_message(mailbox, source_key, message_key)

    def replies_today(self, address: str) -> int:
        if not self.checked_keys:  # no batch look-up was made: ask the store
            since = self.now() - timedelta(days=1)
            return self.store.recent_reply_counts(since)[address] + self.pending_replies[address]
        return self.recent_replies[address] + self.pending_replies[address]

    def hold(self, intake: Intake) -> None:
        if not intake.duplicate:
            self.pending[intake.source_key] = intake
            self.pending[intake.message_key] = intake
        if intake.wants_reply and intake.parsed is not None:
            self.pending_replies[intake.parsed.from_address] += 1

    def __post_init__(self) -> None:
        if not self.code_key:
            object.__setattr__(self, "code_key", code_key(self.settings))


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
        intake.leave_to_officer(
            TriageReason.UNREADABLE, f"oversized message ({intake.size} bytes, limit {limit}); not parsed"
        )
    try:
        intake.parsed = parse_message(intake.raw)
    except MessageError as exc:
        if intake.triage_reason is None:
            intake.leave_to_officer(TriageReason.UNREADABLE, f"malformed message: {exc}")
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
    if context.is_known(intake.mailbox, intake.source_key, intake.message_key):
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
    earlier = next((context.pending[mid] for mid in parsed.thread_ids if mid in context.pending), None)
    if earlier is not None and earlier.outcome is Outcome.DONE:
        intake.thread_intake = earlier.thread_intake or earlier
        intake.thread = earlier.thread
        intake.trail.append("find-thread: follow-up to a message taken in the same batch")
        return
    intake.thread = context.store.find_thread_ticket(intake.org.id, parsed.thread_ids, parsed.subject)
    if intake.thread is not None:
        intake.trail.append(f"find-thread: follow-up in the thread of {intake.thread.ref}")


@step("detect-language")
def detect(intake: Intake, context: Context) -> None:
    parsed = intake.parsed
    guess = message_language(parsed.new_text, parsed.subject) if parsed else message_language("")
    if guess.lang is not None:
        intake.lang, intake.lang_method = guess.lang, f"{guess.method} {guess.confidence:.2f}"
    elif intake.thread is not None or intake.thread_intake is not None:
        earlier = intake.thread.lang if intake.thread else intake.thread_intake.lang  # type: ignore[union-attr]
        intake.lang, intake.lang_method = earlier, "the thread's language"
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
        + ("; a possible confidentiality incident" if result.incident else "")
    )


@step("check-code")
def check_code(intake: Intake, context: Context) -> None:
    """A reply in the thread that carries the identity code verifies the request, but only
    from the requester's own address, before the code expires, within the allowed attempts."""
    ticket, parsed = intake.thread, intake.parsed
    if ticket is None or parsed is None or ticket.status != Status.AWAITING_VERIFICATION.value:
        return
    codes = find_codes(f"{parsed.subject}\n{parsed.new_text}")
    if not codes:
        return
    intake.verification = judge_code(
        ticket,
        codes,
        from_requester=parsed.from_address == ticket.requester,
        at=intake.received_at,
        key=context.code_key,
        limit=context.settings.intake.max_code_attempts,
    )
    intake.trail.append(f"check-code: {VERIFICATION_WORDS[intake.verification]}")


@step("open-ticket")
def open_ticket(intake: Intake, context: Context) -> None:
    thread, parsed = intake.thread, intake.parsed
    asked = set(intake.classification.labels) if intake.classification else set()
    if (
        thread is not None
        and parsed is not None
        and thread.status in (Status.VERIFIED.value, Status.IN_PROGRESS.value)
        and parsed.from_address == thread.requester
        and asked - set(thread.labels)
    ):
        # A verified requester asks for another right in the thread: a ticket of its own,
        # with its own clock, linked to the first and already verified.
        intake.linked_to, intake.thread = thread, None
        assert intake.classification is not None
        intake.classification.labels = [
            label for label in intake.classification.labels if label not in thread.labels
        ]
        intake.trail.append(
            f"open-ticket: new ticket for {', '.join(intake.classification.labels)}, "
            f"linked to {thread.ref} (identity already verified there)"
        )
        return
    if intake.joins:
        joined = intake.thread.ref if intake.thread else "the ticket of an earlier message in this batch"
        intake.trail.append(f"open-ticket: joined {joined}")
        return
    labels = intake.classification.labels if intake.classification else []
    if intake.triage_reason is None and intake.classification and intake.classification.incident:
        intake.leave_to_officer(
            TriageReason.INCIDENT,
            "a possible confidentiality incident: the sender says they saw or received someone else's "
            "personal information; an officer should read it without delay",
        )
    elif intake.triage_reason is None and not labels:
        intake.leave_to_officer(
            TriageReason.NO_RIGHT, "no privacy right recognised; an officer should read it"
        )
    elif intake.triage_reason is None and intake.classification and not intake.classification.confident:
        intake.leave_to_officer(
            TriageReason.NOT_SURE, "not sure which right is asked for; an officer should confirm the labels"
        )
    intake.trail.append(
        "open-ticket: new ticket"
        + (f", needs triage: {intake.triage_reason}" if intake.triage_reason else "")
    )


@step("queue-reply")
def queue_reply(intake: Intake, context: Context) -> None:
    if intake.joins:
        intake.no_reply_reason = "follow-up in an existing thread"
    elif intake.linked_to is not None:
        intake.wants_reply = True  # the requester is verified: a short notice, no code
    elif intake.triage_reason is not None:
        intake.no_reply_reason = "left for an officer (needs triage)"
    elif intake.parsed is None or "@" not in intake.parsed.from_address:
        intake.no_reply_reason = "no usable sender address"
    else:
        cap = context.settings.intake.max_replies_per_address_per_day
        if context.replies_today(intake.parsed.from_address) >= cap:
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
    check_code,
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
            intake.leave_to_officer(TriageReason.ERROR, f"the {each.name} step failed ({type(exc).__name__})")
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


@dataclass(frozen=True)
class MailboxMark:
    """How far a folder has been read; saved in the same transaction as the messages."""

    key: str
    uidvalidity: int
    last_uid: int


def record_batch(intakes: list[Intake], context: Context, mark: MailboxMark | None = None) -> None:
    """Write what the pipeline decided for a batch of messages, in one transaction.

    Receipts, tickets, trails, queued replies and the folder's high-water mark
    commit together or not at all; a crash before the commit re-runs the batch.
    If another process recorded one of the messages first, the batch is written
    again one message at a time, and that message counts as already taken.
    """
    fresh = [intake for intake in intakes if not intake.duplicate]
    try:
        _write(fresh, context, mark)
    except IntegrityError:
        if len(fresh) > 1:
            for intake in fresh:
                record_batch([intake], context)
        else:
            for intake in fresh:  # taken by another process (unique mailbox + source key)
                intake.duplicate, intake.outcome, intake.drop_reason = True, Outcome.DROPPED, "already taken"
                intake.ticket_ref, intake.wants_reply = None, False
        if mark is not None:
            context.store.save_mailbox_state(mark.key, mark.uidvalidity, mark.last_uid)
        return
    for intake in fresh:
        if intake.ticket_ref:
            event(
                "message recorded",
                ticket=intake.ticket_ref,
                outcome="joined" if intake.joins else "opened",
                sender=fingerprint(intake.parsed.from_address) if intake.parsed else "-",
            )


def _write(intakes: list[Intake], context: Context, mark: MailboxMark | None) -> None:
    store, now = context.store, context.now()
    opening = [i for i in intakes if i.outcome is Outcome.DONE and not i.joins]
    with store.transaction() as session:
        refs = _allocate_refs(session, opening)
        rows, details, replies = [], [], []
        for intake, ref in zip(opening, refs, strict=True):
            row, detail, reply = _new_ticket(intake, ref, now, context)
            rows.append(row)
            details.append(detail)
            replies.append(reply)
        ids: list[int] = []
        if rows:
            # A plain executemany, then the ids by ref: ordered RETURNING would make
            # PostgreSQL insert row by row.
            session.execute(insert(Ticket), rows)
            found = session.execute(select(Ticket.ref, Ticket.id).where(Ticket.ref.in_(refs)))
            by_ref = {ref: ticket_id for ref, ticket_id in found}
            ids = [by_ref[ref] for ref in refs]
        # Events in the order an auditor reads them: received, what the pipeline found,
        # then the reply queued.
        events: list[dict[str, object]] = []
        outbox: list[dict[str, object]] = []
        opened = dict(
            zip((id(i) for i in opening), zip(ids, rows, details, replies, strict=True), strict=True)
        )
        joined: set[int] = set()
        for intake in intakes:
            if intake.outcome is not Outcome.DONE:
                if intake.bounce_of is not None:
                    events.append(_record_bounce(session, intake, now))
                continue
            trail = "\n".join(intake.trail)
            if id(intake) in opened:
                ticket_id, row, detail, reply = opened[id(intake)]
                intake.ticket_id, intake.ticket_ref = ticket_id, str(row["ref"])
                events.append(_event(ticket_id, "received", detail, now))
                events.append(_event(ticket_id, "intake", trail, now))
                if reply is not None:
                    message, queued = reply
                    outbox.append(
                        outbox_row(ticket_id, "acknowledgement", str(row["requester"]), message, now)
                    )
                    events.append(_event(ticket_id, "reply-queued", queued, now))
                continue
            earlier = intake.thread_intake
            if intake.thread is not None:
                intake.ticket_id, intake.ticket_ref = intake.thread.id, intake.thread.ref
            elif earlier is not None:  # written above: batches keep arrival order
                intake.ticket_id, intake.ticket_ref = earlier.ticket_id, earlier.ticket_ref
            assert intake.ticket_id is not None
            joined.add(intake.ticket_id)
            if intake.verification is not None:
                _apply_verification(session, intake, now, context)
            events.append(
                _event(
                    intake.ticket_id,
                    "follow-up",
                    f"message received {_local(intake.received_at, intake.org)} in the thread "
                    f"({intake.size} bytes)",
                    now,
                )
            )
            events.append(_event(intake.ticket_id, "intake", trail, now))
        if joined:
            session.execute(update(Ticket).where(Ticket.id.in_(joined)).values(updated_at=now))
        receipts = [
            {
                "mailbox": i.mailbox,
                "source_key": i.source_key,
                "message_key": i.message_key,
                "ticket_id": i.ticket_id,
                "outcome": "dropped" if i.outcome is Outcome.DROPPED else ("joined" if i.joins else "opened"),
                "received_at": i.received_at,
                "size": i.size,
                # The raw message is the proof of receipt; dropped mail keeps none.
                "raw": None if i.outcome is Outcome.DROPPED else i.raw,
            }
            for i in intakes
        ]
        for table, values in ((ReceivedMessage, receipts), (Event, events), (OutboxMessage, outbox)):
            if values:
                session.execute(insert(table), values)
        if mark is not None:
            store.mark_mailbox(session, mark.key, mark.uidvalidity, mark.last_uid)


def _apply_verification(session: Session, intake: Intake, now: datetime, context: Context) -> None:
    ticket = session.get(Ticket, intake.ticket_id)
    assert ticket is not None and intake.verification is not None
    if ticket.status != Status.AWAITING_VERIFICATION.value:
        return  # changed meanwhile (an officer verified it): the trail says what the reply held
    if intake.verification == "verified":
        confirm_by_code(
            session, intake.org, ticket, "the identity code, replied from the requester's address", now
        )
    elif intake.verification == "wrong":
        count_wrong_code(session, ticket, context.settings.intake.max_code_attempts, now)


def _allocate_refs(session: Session, opening: list[Intake]) -> list[str]:
    """References in arrival order, counted per organisation and year, with no gaps."""
    wanted: dict[tuple[str, str, int], int] = {}
    for intake in opening:
        key = (intake.org.id, intake.org.prefix, intake.received_at.astimezone(intake.org.zone).year)
        wanted[key] = wanted.get(key, 0) + 1
    firsts = {key: Store.reserve_refs(session, key[0], key[2], count) for key, count in wanted.items()}
    refs = []
    for intake in opening:
        key = (intake.org.id, intake.org.prefix, intake.received_at.astimezone(intake.org.zone).year)
        refs.append(f"{key[1]}-{key[2]}-{firsts[key]:04d}")
        firsts[key] += 1
    return refs


def _event(ticket_id: int | None, kind: str, detail: str, now: datetime) -> dict[str, object]:
    return {"ticket_id": ticket_id, "at": now, "actor": "intake-bot", "kind": kind, "detail": detail}


def _record_bounce(session: Session, intake: Intake, now: datetime) -> dict[str, object]:
    bounced = intake.bounce_of
    assert bounced is not None
    session.execute(update(OutboxMessage).where(OutboxMessage.id == bounced.id).values(status="bounced"))
    return _event(
        bounced.ticket_id,
        "reply-bounced",
        f"the {bounced.kind} sent as {bounced.message_id} bounced "
        f"({intake.automated.reason if intake.automated else 'bounce'}); "
        "an officer must reach the requester another way",
        now,
    )


def _new_ticket(
    intake: Intake, ref: str, now: datetime, context: Context
) -> tuple[dict[str, object], str, tuple[Message, str] | None]:
    """The new ticket's row, its "received" detail and, when one is wanted, its acknowledgement."""
    parsed = intake.parsed
    org = intake.org
    labels = intake.classification.labels if intake.classification else []
    due = compute_due_date(
        org.regime, intake.received_at, org.zone, calendar_name=org.holiday_calendar, labels=labels
    )
    lang = intake.lang or org.default_language
    triage = intake.triage_code  # set with the trail's reason, by Intake.leave_to_officer
    row: dict[str, object] = {
        "ref": ref,
        "org": org.id,
        "mailbox": intake.mailbox,
        "channel": "email",
        "requester": parsed.from_address if parsed else "",
        "requester_name": (parsed.from_name if parsed else "")[:200],
        "subject": (parsed.subject if parsed else "")[:500],
        "lang": lang,
        "labels_json": json.dumps(labels),
        "status": (Status.NEEDS_TRIAGE if triage else Status.AWAITING_VERIFICATION).value,
        "triage_reason": triage.value if triage else None,
        "received_at": intake.received_at,
        "due_at": due.due_at,
        "due_rule": due.rule,
        "code_hash": None,
        "code_expires_at": None,
        "code_attempts": 0,
        "verified_at": None,
        "linked_to": None,
        "created_at": now,
        "updated_at": now,
    }
    detail = (
        f"received {_local(intake.received_at, org)} in {intake.mailbox} "
        f"({intake.size} bytes); due {_local(due.due_at, org)}: {due.rule}"
    )
    reply = None
    if intake.linked_to is not None:
        row.update(
            status=Status.VERIFIED.value, verified_at=now, linked_to=intake.linked_to.id, triage_reason=None
        )
        detail += f"; linked to {intake.linked_to.ref}, whose requester's identity is verified"
    if intake.wants_reply and parsed is not None and intake.linked_to is not None:
        message = new_message(
            org,
            parsed.from_address,
            f"{ref}" + (" : nouvelle demande liée" if lang == "fr" else ": new linked request"),
            render(
                "linked",
                lang,
                name=parsed.from_name,
                ref=ref,
                parent=intake.linked_to.ref,
                rights=format_rights(labels, lang),
                org_name=org.name,
                due=format_date(due.due_at.astimezone(org.zone), lang),
                law=LAW_NAMES[org.regime][lang],
            ),
            now=now,
            ref=ref,
        )
        thread_headers(message, parsed.message_id, parsed.references)
        reply = (message, f"notice of the linked request in {lang} queued as {message['Message-ID']}")
    elif intake.wants_reply and parsed is not None:
        issued = issue_code(context.code_key, now, context.settings.intake.code_valid_hours)
        code, valid_until = issued.code, issued.valid_until
        row["code_hash"], row["code_expires_at"] = issued.hashed, valid_until
        message = compose_acknowledgement(
            org,
            ref=ref,
            lang=lang,
            to=parsed.from_address,
            name=parsed.from_name,
            labels=labels,
            received_at=intake.received_at,
            due_at=due.due_at,
            code=code,
            code_valid_until=valid_until,
            original_subject=parsed.subject,
            original_message_id=parsed.message_id,
            original_references=parsed.references,
            now=now,
        )
        reply = (
            message,
            f"acknowledgement in {lang} queued as {message['Message-ID']}; "
            f"identity code valid until {_local(valid_until, org)} (stored hashed)",
        )
    return row, detail, reply


def _local(moment: datetime, org: OrganizationSettings) -> str:
    return moment.astimezone(org.zone).isoformat(timespec="seconds")
