"""Send what the outbox holds through the SMTP relay, retrying until the relay takes it.

The outbox row is written in the same transaction as its ticket, so a reply is
never lost; it is claimed before sending and marked after, so two senders never
send it twice. A relay that is down delays mail; only a permanent refusal
(5xx) stops retrying, and the ticket's trail says so.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr

from intake_bot.config import SmtpSettings, secret_from_env
from intake_bot.privacy import event, fingerprint, mask_address, warn
from intake_bot.store import Store

STALE_CLAIM = timedelta(minutes=10)
MAX_BACKOFF = timedelta(hours=1)


@dataclass
class SendReport:
    sent: list[str] = field(default_factory=list)  # outbox Message-IDs
    delayed: int = 0
    refused: int = 0


class SmtpRelay:
    """One SMTP connection per sending round, opened lazily."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.connection: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpRelay:
        return self

    def __exit__(self, *_: object) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                self.connection.close()
            self.connection = None

    def connect(self) -> smtplib.SMTP:
        if self.connection is not None:
            return self.connection
        s = self.settings
        context = ssl.create_default_context()
        connection: smtplib.SMTP
        if s.security == "tls":
            connection = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_seconds, context=context)
        else:
            connection = smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds)
            if s.security == "starttls":
                connection.starttls(context=context)
        password = secret_from_env(s.password_env, "smtp.password_env")
        if s.username and password is not None:
            connection.login(s.username, password)
        self.connection = connection
        return connection

    def send(self, raw: bytes, sender: str, recipient: str) -> None:
        self.connect().sendmail(sender, [recipient], raw)


def _sender_of(raw: bytes) -> str:
    for line in raw.split(b"\n", 60):
        if line.lower().startswith(b"from:"):
            return parseaddr(line[5:].decode("utf-8", "replace").strip())[1]
    return ""


def send_pending_replies(
    store: Store,
    smtp: SmtpSettings,
    *,
    now: datetime | None = None,
    first_retry: timedelta = timedelta(seconds=60),
) -> SendReport:
    """Send every due outbox row once; failures wait for their next attempt.

    Each row is claimed only once the relay is connected, right before its own
    SMTP transaction, so a crash can leave at most that one row in doubt.
    """
    now = now or datetime.now(UTC)
    report = SendReport()
    if store.settle_interrupted_sends(now, STALE_CLAIM):
        warn("interrupted sends found", action="marked uncertain for an officer")
    due = store.due_outbox(now)
    if not due:
        return report
    with SmtpRelay(smtp) as relay:
        for row_id in due:
            row = store.claim_outbox(row_id, now)
            if row is None:  # another sender took it
                continue
            try:
                relay.connect()
                relay.send(row.raw, _sender_of(row.raw), row.recipient)
            except smtplib.SMTPRecipientsRefused as exc:
                codes = [code for code, _ in exc.recipients.values()]
                if all(code >= 500 for code in codes):
                    report.refused += 1
                    store.finish_outbox(
                        row.id,
                        "undeliverable",
                        now,
                        error=f"refused {codes}",
                        event_kind="reply-refused",
                        event_detail=f"the relay refused the recipient ({codes}); "
                        "an officer must contact the requester",
                    )
                    warn("reply refused", outbox=row.id, to=mask_address(row.recipient))
                    continue
                _delay(store, row.id, row.attempts, now, first_retry, f"recipient deferred {codes}")
                report.delayed += 1
            except (smtplib.SMTPException, OSError) as exc:
                # Relay down, timeout, 4xx: keep the row and try again later. When the
                # relay cannot even be reached, the other due rows wait for the next round.
                unreachable = relay.connection is None
                relay.connection = None
                _delay(store, row.id, row.attempts, now, first_retry, type(exc).__name__)
                report.delayed += 1
                if unreachable:
                    report.delayed += len(due) - due.index(row_id) - 1
                    break
            else:
                store.finish_outbox(
                    row.id,
                    "sent",
                    now,
                    event_kind="reply-sent",
                    event_detail=f"{row.kind} sent, Message-ID {row.message_id}",
                )
                report.sent.append(row.message_id)
                event("reply sent", outbox=row.id, kind=row.kind, to=fingerprint(row.recipient))
    return report


def _delay(store: Store, row_id: int, attempts: int, now: datetime, first: timedelta, reason: str) -> None:
    wait = min(first * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)
    store.finish_outbox(
        row_id,
        "failed",
        now,
        error=reason,
        retry_at=now + wait,
        event_kind="reply-delayed",
        event_detail=f"sending failed ({reason}); next attempt after {wait}",
    )
    warn("reply delayed", outbox=row_id, reason=reason, retry_in=str(wait))
