"""The ticket store: tickets, their audit trail, received mail, the outbox, mailbox state.

SQLAlchemy over SQLite by default and PostgreSQL for larger installs; the schema
is created and upgraded by Alembic migrations at start-up. Everything one message
changes (its receipt, its ticket, the trail and the queued reply) is written in
one transaction, so a crash leaves either all of it or none.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.message import Message
from enum import StrEnum
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import (
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    Select,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
    func,
    select,
    update,
)
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    sessionmaker,
)

from intake_bot.errors import ConfigError, TransientError
from intake_bot.responders.compose import as_smtp_bytes


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Status(StrEnum):
    AWAITING_VERIFICATION = "awaiting-verification"
    VERIFIED = "verified"
    IN_PROGRESS = "in-progress"
    NEEDS_TRIAGE = "needs-triage"
    CLOSED = "closed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    VERIFICATION_EXPIRED = "verification-expired"


class TriageReason(StrEnum):
    """Why the bot left a ticket to an officer (``needs-triage``); the trail has the details."""

    INCIDENT = "incident"  # the sender says they saw or received someone else's personal information
    NO_RIGHT = "no-right"  # no privacy right recognised
    NOT_SURE = "not-sure"  # rights that rest on a low score
    UNREADABLE = "unreadable"  # too large to parse, or malformed
    ERROR = "error"  # a step of the pipeline, or recording, failed


class Base(DeclarativeBase):
    pass


class Ticket(Base):
    __tablename__ = "tickets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(40), unique=True)
    org: Mapped[str] = mapped_column(String(64), index=True)
    mailbox: Mapped[str] = mapped_column(String(320))
    channel: Mapped[str] = mapped_column(String(16), default="email")
    requester: Mapped[str] = mapped_column(String(320), index=True)
    requester_name: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(Text, default="")
    lang: Mapped[str] = mapped_column(String(2))
    labels_json: Mapped[str] = mapped_column("labels", Text, default="[]")
    status: Mapped[str] = mapped_column(String(32), index=True)
    # A TriageReason when the bot opened the ticket as needs-triage; kept after an officer
    # moves it on, NULL for every other ticket and for tickets older than the column.
    triage_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_rule: Mapped[str] = mapped_column(Text, default="")
    code_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    code_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    code_attempts: Mapped[int] = mapped_column(Integer, default=0)
    assigned_to: Mapped[str | None] = mapped_column(String(320), nullable=True)
    extension_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    linked_to: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    events: Mapped[list[Event]] = relationship(
        order_by="Event.id", back_populates="ticket", foreign_keys="Event.ticket_id"
    )

    @property
    def labels(self) -> list[str]:
        return list(json.loads(self.labels_json))


class Event(Base):
    """One line of a ticket's audit trail."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(320), default="intake-bot")
    kind: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")
    ticket: Mapped[Ticket] = relationship(back_populates="events")


class ReceivedMessage(Base):
    """Every message taken from a mailbox: the dedupe record and the proof of receipt."""

    __tablename__ = "received_messages"
    __table_args__ = (UniqueConstraint("mailbox", "source_key", name="uq_received_source"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(320))
    source_key: Mapped[str] = mapped_column(String(300))
    message_key: Mapped[str] = mapped_column(String(1000), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), nullable=True, index=True)
    outcome: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    size: Mapped[int] = mapped_column(Integer, default=0)
    raw: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


class OutboxMessage(Base):
    """A reply written with its ticket and sent from here, retried until the relay takes it."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True, nullable=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(320), index=True)
    message_id: Mapped[str] = mapped_column(String(300), unique=True)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20), index=True, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Notice(Base):
    """A notice to officers (reminder or digest), by a key that makes it once, ever.

    The key is unique: two bot processes, a restart or a rerun that try to queue
    the same reminder collide here, in the same transaction as the outbox row.
    """

    __tablename__ = "notices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(400), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    org: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), nullable=True, index=True)
    recipient: Mapped[str] = mapped_column(String(320))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MailboxState(Base):
    """How far an IMAP folder has been read: UIDs are valid only with their UIDVALIDITY."""

    __tablename__ = "mailbox_state"
    mailbox: Mapped[str] = mapped_column(String(400), primary_key=True)
    uidvalidity: Mapped[int] = mapped_column(Integer)
    last_uid: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ChatConversation(Base):
    """A website chat in progress. Its text lives here only until a ticket exists (then
    on the ticket's trail) or until it goes idle (then it is deleted)."""

    __tablename__ = "chat_conversations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    org: Mapped[str] = mapped_column(String(64))
    lang: Mapped[str] = mapped_column(String(2))
    step: Mapped[str] = mapped_column(String(20))
    labels_json: Mapped[str] = mapped_column("labels", Text, default="[]")
    request_text: Mapped[str] = mapped_column(Text, default="")
    transcript_json: Mapped[str] = mapped_column("transcript", Text, default="[]")
    turns: Mapped[int] = mapped_column(Integer, default=0)
    clarifications: Mapped[int] = mapped_column(Integer, default=0)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)

    @property
    def labels(self) -> list[str]:
        return list(json.loads(self.labels_json))


class RefCounter(Base):
    """The last reference number given per organisation and year (OPMS-2026-0042)."""

    __tablename__ = "ref_counters"
    org: Mapped[str] = mapped_column(String(64), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


REF_PATTERN = re.compile(r"\b([A-Z0-9]{2,12}-\d{4}-\d{4,})\b")

# Outbox statuses: pending -> sending -> sent; failed waits for its next attempt;
# undeliverable is a permanent refusal by the relay; bounced came back later.
SENDABLE = ("pending", "failed")


def acknowledgements_since(since: datetime, recipient: str | None = None) -> Select[str, int]:
    """Acknowledgements (each with an identity code) counted per recipient since *since*.

    Only acknowledgements answer arbitrary incoming mail or a stranger's chat, so only
    they can feed a loop or flood an inbox; letters in a verified dialogue or from
    officers do not count. The mail reply cap and the chat's code limit both read this.
    """
    query = select(OutboxMessage.recipient, func.count(OutboxMessage.id)).where(
        OutboxMessage.created_at >= since, OutboxMessage.kind == "acknowledgement"
    )
    return query.where(OutboxMessage.recipient == recipient) if recipient is not None else query


def normalise_url(url: str) -> str:
    """Let users write postgresql:// and get the psycopg 3 driver this package ships."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the poller, the sender and the CLI read while one writes; NORMAL
    # sync is durable across process crashes (only power loss can lose the tail).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def migrate(engine: Engine) -> None:
    """Bring the schema up to the newest Alembic revision."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class Store:
    """The ticket store over one SQLAlchemy engine; safe to share between threads."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str, *, migrate_schema: bool = True) -> Store:
        url = normalise_url(url)
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            folder = Path(url[len("sqlite:///") :]).parent
            if not folder.is_dir():
                raise ConfigError(f"store.url: the folder {folder} does not exist; create it first")
        try:
            engine = create_engine(url, pool_pre_ping=True)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise ConfigError(f"store.url: cannot use {url.split('@')[-1]!r}: {exc}") from None
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        store = cls(engine)
        if migrate_schema:
            try:
                migrate(engine)
            except OperationalError as exc:
                raise TransientError(f"the ticket store is unreachable: {exc.orig}") from None
        return store

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: committed on success, rolled back on any error."""
        session = self.sessions()
        try:
            with session.begin():
                yield session
        except OperationalError as exc:
            raise TransientError(f"the ticket store failed: {type(exc.orig).__name__}") from exc
        finally:
            session.close()

    # --- reading -------------------------------------------------------------

    def is_known_message(self, mailbox: str, source_key: str, message_key: str) -> bool:
        """Taken before, by its place in the mailbox or by its Message-ID."""
        with self.engine.connect() as connection:
            query = select(ReceivedMessage.id).where(ReceivedMessage.mailbox == mailbox)
            by_place = connection.scalar(query.where(ReceivedMessage.source_key == source_key).limit(1))
            return (
                by_place is not None
                or connection.scalar(query.where(ReceivedMessage.message_key == message_key).limit(1))
                is not None
            )

    def known_source_keys(self, mailbox: str) -> set[str]:
        with self.sessions() as session:
            rows = session.scalars(
                select(ReceivedMessage.source_key).where(ReceivedMessage.mailbox == mailbox)
            )
            return set(rows)

    def mailbox_state(self, mailbox: str) -> tuple[int | None, int]:
        with self.sessions() as session:
            state = session.get(MailboxState, mailbox)
            return (state.uidvalidity, state.last_uid) if state else (None, 0)

    def find_thread_ticket(self, org: str, message_ids: list[str], subject: str) -> Ticket | None:
        """The ticket a reply belongs to: by the bot's or the requester's Message-IDs, or the ref."""
        with self.sessions() as session:
            if message_ids:
                ticket_id = session.scalar(
                    select(OutboxMessage.ticket_id).where(OutboxMessage.message_id.in_(message_ids)).limit(1)
                ) or session.scalar(
                    select(ReceivedMessage.ticket_id)
                    .where(ReceivedMessage.message_key.in_(message_ids))
                    .where(ReceivedMessage.ticket_id.is_not(None))
                    .limit(1)
                )
                if ticket_id is not None:
                    ticket = session.get(Ticket, ticket_id)
                    if ticket is not None and ticket.org == org:
                        return ticket
            for ref in REF_PATTERN.findall(subject or ""):
                ticket = session.scalar(select(Ticket).where(Ticket.ref == ref, Ticket.org == org))
                if ticket is not None:
                    return ticket
        return None

    def find_outbox(self, message_ids: list[str]) -> OutboxMessage | None:
        if not message_ids:
            return None
        with self.sessions() as session:
            return session.scalar(
                select(OutboxMessage).where(OutboxMessage.message_id.in_(message_ids)).limit(1)
            )

    def recent_reply_counts(self, since: datetime) -> Counter[str]:
        """Acknowledgements per recipient since *since*, for the per-address cap."""
        with self.engine.connect() as connection:
            rows = connection.execute(acknowledgements_since(since).group_by(OutboxMessage.recipient))
            return Counter({recipient: count for recipient, count in rows})

    def known_keys(self, mailbox: str, source_keys: list[str], message_keys: list[str]) -> set[str]:
        """Which of these source keys and Message-IDs this mailbox has taken before."""
        found: set[str] = set()
        with self.engine.connect() as connection:
            for column, keys in (
                (ReceivedMessage.source_key, source_keys),
                (ReceivedMessage.message_key, message_keys),
            ):
                for start in range(0, len(keys), 500):
                    found.update(
                        connection.scalars(
                            select(column)
                            .where(ReceivedMessage.mailbox == mailbox)
                            .where(column.in_(keys[start : start + 500]))
                        )
                    )
        return found

    def list_tickets(self, *, status: str | None = None, org: str | None = None) -> list[Ticket]:
        with self.sessions() as session:
            query = select(Ticket).order_by(Ticket.due_at, Ticket.id)
            if status:
                query = query.where(Ticket.status == status)
            if org:
                query = query.where(Ticket.org == org)
            return list(session.scalars(query))

    def get_ticket(self, ref: str) -> tuple[Ticket, list[Event], list[OutboxMessage]] | None:
        with self.sessions() as session:
            ticket = session.scalar(select(Ticket).where(Ticket.ref == ref.strip().upper()))
            if ticket is None:
                return None
            events = list(
                session.scalars(select(Event).where(Event.ticket_id == ticket.id).order_by(Event.id))
            )
            outbox = list(
                session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.ticket_id == ticket.id)
                    .order_by(OutboxMessage.id)
                )
            )
            return ticket, events, outbox

    # --- writing -------------------------------------------------------------

    @staticmethod
    def reserve_refs(session: Session, org: str, year: int, count: int) -> int:
        """Reserve *count* reference numbers inside the caller's transaction; return the first.

        The counter row is locked (FOR UPDATE on PostgreSQL; SQLite locks the whole
        database for the writer), so two processes never share a number, and a
        rolled-back transaction leaves no gap.
        """
        counter = session.get(RefCounter, (org, year), with_for_update=True)
        if counter is None:
            counter = RefCounter(org=org, year=year, last=0)
            session.add(counter)
            session.flush()  # a concurrent creator makes this an IntegrityError: the batch is retried
        first = counter.last + 1
        counter.last += count
        return first

    def mark_mailbox(self, session: Session, mailbox: str, uidvalidity: int, last_uid: int) -> None:
        state = session.get(MailboxState, mailbox)
        now = datetime.now(UTC)
        if state is None:
            session.add(
                MailboxState(mailbox=mailbox, uidvalidity=uidvalidity, last_uid=last_uid, updated_at=now)
            )
        else:
            state.uidvalidity, state.last_uid, state.updated_at = uidvalidity, last_uid, now

    def save_mailbox_state(self, mailbox: str, uidvalidity: int, last_uid: int) -> None:
        with self.transaction() as session:
            self.mark_mailbox(session, mailbox, uidvalidity, last_uid)

    @staticmethod
    def add_event(
        session: Session,
        ticket: Ticket,
        kind: str,
        detail: str = "",
        actor: str = "intake-bot",
        at: datetime | None = None,
    ) -> None:
        session.add(
            Event(ticket_id=ticket.id, at=at or datetime.now(UTC), actor=actor, kind=kind, detail=detail)
        )

    def due_outbox(self, now: datetime, limit: int = 100) -> list[int]:
        """Ids of the rows due for sending, oldest first."""
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(OutboxMessage.id)
                    .where(OutboxMessage.status.in_(SENDABLE), OutboxMessage.next_attempt_at <= now)
                    .order_by(OutboxMessage.id)
                    .limit(limit)
                )
            )

    def claim_outbox(self, row_id: int, now: datetime) -> OutboxMessage | None:
        """Claim one row just before sending it: one conditional UPDATE, so two senders
        (threads or processes) never take the same row. None if another sender has it."""
        with self.transaction() as session:
            result = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row_id, OutboxMessage.status.in_(SENDABLE))
                .values(status="sending", next_attempt_at=now, attempts=OutboxMessage.attempts + 1)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return None
            return session.get(OutboxMessage, row_id)

    def settle_interrupted_sends(self, now: datetime, stale_after: timedelta) -> int:
        """Rows left in "sending" by a process that died mid-send become "uncertain".

        The relay may or may not have taken such a reply; sending it again could
        answer the requester twice, so an officer decides, from the ticket's trail.
        """
        with self.transaction() as session:
            rows = session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.status == "sending", OutboxMessage.next_attempt_at <= now - stale_after
                )
            ).all()
            for row in rows:
                row.status = "uncertain"
                ticket = session.get(Ticket, row.ticket_id) if row.ticket_id is not None else None
                if ticket is not None:
                    self.add_event(
                        session,
                        ticket,
                        "reply-uncertain",
                        f"the bot stopped while sending the {row.kind} {row.message_id}; "
                        "it may not have reached the requester: check, and resend by hand "
                        "if needed",
                        at=now,
                    )
            return len(rows)

    def finish_outbox(
        self,
        row_id: int,
        status: str,
        now: datetime,
        *,
        error: str = "",
        retry_at: datetime | None = None,
        event_kind: str,
        event_detail: str,
    ) -> None:
        with self.transaction() as session:
            row = session.get(OutboxMessage, row_id)
            if row is None:
                return
            row.status = status
            row.last_error = error
            if status == "sent":
                row.sent_at = now
                # Once sent, the body (with its one-time code) is no longer needed here:
                # keep the headers as the record of what went out, drop the rest.
                row.raw = row.raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n(body removed after sending)\r\n"
            if retry_at is not None:
                row.next_attempt_at = retry_at
            ticket = session.get(Ticket, row.ticket_id) if row.ticket_id is not None else None
            if ticket is not None:
                self.add_event(session, ticket, event_kind, event_detail, at=now)


def outbox_row(
    ticket_id: int | None, kind: str, recipient: str, message: Message, now: datetime
) -> dict[str, object]:
    return {
        "ticket_id": ticket_id,
        "kind": kind,
        "recipient": recipient,
        "message_id": str(message["Message-ID"]),
        "raw": as_smtp_bytes(message),
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": "",
        "created_at": now,
    }
