"""The edges: take mail from each mailbox through the pipeline, send the outbox, stay up.

``poll_once`` is what cron or an operator runs; ``run`` keeps one IMAP IDLE
watcher per mailbox (polling where the server lacks IDLE), a sender thread woken
as soon as a reply is queued, and an APScheduler scheduler for periodic work.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import ssl
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler
from imapclient import IMAPClient
from tenacity import RetryError, Retrying, retry_if_exception_type, wait_exponential_jitter

from intake_bot.config import MailboxSettings, OrganizationSettings, Settings
from intake_bot.errors import ConfigError, TransientError
from intake_bot.pipeline import DEFAULT_STEPS, Context, Intake, MailboxMark, Outcome, process, record_batch
from intake_bot.privacy import event, warn
from intake_bot.responders.outbox import SendReport, send_pending_replies
from intake_bot.sources import IMAP_ERRORS, FetchedMail, ImapFolder, MaildirFolder, connect_imap
from intake_bot.store import Store, TriageReason

log = logging.getLogger("intake_bot")

IDLE_RENEW = timedelta(minutes=25)
NOTICE_INTERVAL_SECONDS = 300  # RFC 2177: re-issue IDLE before servers' 29-minute timeout


@dataclass
class PollReport:
    mailbox: str
    taken: int = 0
    opened: list[str] = field(default_factory=list)
    joined: list[str] = field(default_factory=list)
    triage: list[str] = field(default_factory=list)
    replies_queued: int = 0
    dropped: Counter[str] = field(default_factory=Counter)

    def add(self, intake: Intake) -> None:
        self.taken += 1
        if intake.outcome is Outcome.DROPPED:
            self.dropped[intake.drop_reason] += 1
        elif intake.joins and intake.ticket_ref:
            self.joined.append(intake.ticket_ref)
        elif intake.ticket_ref:
            (self.triage if intake.triage_reason else self.opened).append(intake.ticket_ref)
        if intake.wants_reply and intake.ticket_ref:
            self.replies_queued += 1

    def summary(self) -> str:
        parts = [f"{self.taken} new message(s)"]
        if self.opened:
            parts.append(f"{len(self.opened)} ticket(s) opened")
        if self.triage:
            parts.append(f"{len(self.triage)} for an officer to triage")
        if self.joined:
            parts.append(f"{len(self.joined)} follow-up(s) added to tickets")
        for reason, count in sorted(self.dropped.items()):
            parts.append(f"{count} ignored ({reason})")
        return ", ".join(parts)


def mailboxes(settings: Settings) -> Iterator[tuple[OrganizationSettings, MailboxSettings]]:
    for org in settings.organizations:
        for mailbox in org.mailboxes:
            yield org, mailbox


def state_key(mailbox: MailboxSettings) -> str:
    return f"{mailbox.address.lower()}/{mailbox.folder}"


def take_batch(
    mails: Iterable[FetchedMail],
    org: OrganizationSettings,
    mailbox: MailboxSettings,
    context: Context,
    mark: MailboxMark | None = None,
) -> list[Intake]:
    """A batch of messages through the pipeline, then into the store in one transaction."""
    mails = list(mails)
    context.start_batch(mailbox.address.lower(), [(mail.source_key, mail.raw) for mail in mails])
    intakes = []
    for mail in mails:
        intake = Intake(
            org=org,
            mailbox=mailbox.address.lower(),
            source_key=mail.source_key,
            raw=mail.raw,
            received_at=mail.received_at,
            size=mail.size,
            truncated=mail.truncated,
        )
        process(intake, DEFAULT_STEPS, context)
        context.hold(intake)
        intakes.append(intake)
    try:
        record_batch(intakes, context, mark)
    except TransientError:
        raise
    except Exception as exc:
        warn("record failed", error=type(exc).__name__)
        for intake in intakes:
            _shunt(intake, context, exc)
        if mark is not None:
            context.store.save_mailbox_state(mark.key, mark.uidvalidity, mark.last_uid)
    finally:
        context.start_batch()
    return intakes


def _shunt(intake: Intake, context: Context, exc: Exception) -> None:
    """Keep one message as a bare ticket for a human, without a reply: neither lost nor
    retried forever."""
    if intake.duplicate or intake.ticket_ref:
        return
    intake.trail.append(f"record: failed ({type(exc).__name__}); kept for an officer, no reply sent")
    intake.leave_to_officer(TriageReason.ERROR, f"recording failed ({type(exc).__name__})")
    intake.wants_reply, intake.thread, intake.thread_intake = False, None, None
    intake.outcome = Outcome.DONE
    context.start_batch()
    record_batch([intake], context)


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def poll_folder(
    folder: ImapFolder, org: OrganizationSettings, mailbox: MailboxSettings, context: Context
) -> PollReport:
    """Take every message after the stored high-water UID, batch by batch."""
    store, intake_settings = context.store, context.settings.intake
    report = PollReport(mailbox.address)
    key = state_key(mailbox)
    known_validity, last_uid = store.mailbox_state(key)
    if known_validity != folder.uidvalidity:
        if known_validity is not None:
            # UIDs were renumbered (RFC 3501 s. 2.3.1.1): read everything again; the
            # Message-ID dedupe keeps the re-read from opening second tickets.
            warn("uidvalidity changed", mailbox=key, old=known_validity, new=folder.uidvalidity)
        last_uid = 0
    for batch in _chunks(folder.uids_after(last_uid), intake_settings.batch_size):
        fetched = list(folder.fetch(batch, intake_settings.max_message_bytes))
        if not fetched:
            continue
        high = max(mail.uid for mail in fetched)
        intakes = take_batch(fetched, org, mailbox, context, MailboxMark(key, folder.uidvalidity, high))
        for intake in intakes:
            report.add(intake)
    return report


def poll_imap(org: OrganizationSettings, mailbox: MailboxSettings, context: Context) -> PollReport:
    client = connect_imap(mailbox)
    try:
        return poll_folder(ImapFolder(client, mailbox), org, mailbox, context)
    except IMAP_ERRORS as exc:
        raise TransientError(f"mailbox {mailbox.address}: connection lost ({type(exc).__name__})") from exc
    finally:
        with contextlib.suppress(*IMAP_ERRORS):
            client.logout()


def poll_maildir(org: OrganizationSettings, mailbox: MailboxSettings, context: Context) -> PollReport:
    assert mailbox.maildir is not None
    folder = MaildirFolder(context.settings.resolve_path(mailbox.maildir))
    report = PollReport(mailbox.address)
    known = context.store.known_source_keys(mailbox.address.lower())
    waiting = list(folder.fetch_new(known, context.settings.intake.max_message_bytes))
    size = context.settings.intake.batch_size
    for start in range(0, len(waiting), size):
        for intake in take_batch(waiting[start : start + size], org, mailbox, context):
            report.add(intake)
    return report


def poll_mailbox(org: OrganizationSettings, mailbox: MailboxSettings, context: Context) -> PollReport:
    if mailbox.maildir is not None:
        return poll_maildir(org, mailbox, context)
    return poll_imap(org, mailbox, context)


@dataclass
class PollResult:
    reports: list[PollReport]
    failures: list[str]
    sent: SendReport


def poll_once(settings: Settings, store: Store) -> PollResult:
    """Take everything pending in every mailbox, then send the outbox."""
    context = Context(settings, store)
    reports, failures = [], []
    for org, mailbox in mailboxes(settings):
        try:
            reports.append(poll_mailbox(org, mailbox, context))
        except (TransientError, ConfigError) as exc:
            failures.append(str(exc))
            warn("poll failed", mailbox=state_key(mailbox), error=type(exc).__name__)
    try:
        sent = send_pending_replies(
            store, settings.smtp, first_retry=timedelta(seconds=settings.intake.outbox_retry_seconds)
        )
    except TransientError as exc:
        failures.append(str(exc))
        sent = SendReport()
    return PollResult(reports, failures, sent)


# --- staying up ------------------------------------------------------------


class Sender:
    """A thread that sends the outbox when woken, and every 30 s for retries."""

    def __init__(self, settings: Settings, store: Store, stop: threading.Event) -> None:
        self.settings, self.store, self.stop = settings, store, stop
        self.wake = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="outbox-sender", daemon=True)

    def _loop(self) -> None:
        while not self.stop.is_set():
            self.wake.wait(30)
            self.wake.clear()
            if self.stop.is_set():
                break
            try:
                send_pending_replies(
                    self.store,
                    self.settings.smtp,
                    first_retry=timedelta(seconds=self.settings.intake.outbox_retry_seconds),
                )
            except Exception as exc:
                warn("sending round failed", error=type(exc).__name__)
                self.stop.wait(5)


def watch_imap(
    org: OrganizationSettings,
    mailbox: MailboxSettings,
    context: Context,
    stop: threading.Event,
    on_reply_queued: Callable[[], None],
) -> None:
    """Keep one mailbox taken: IDLE where offered, polling elsewhere; reconnect with backoff."""
    retrying = Retrying(
        wait=wait_exponential_jitter(initial=1, max=300),
        retry=retry_if_exception_type((TransientError, ConfigError, *IMAP_ERRORS)),
        stop=lambda _state: stop.is_set(),
        sleep=_sleep_unless_stopped(stop),
        before_sleep=lambda state: warn(
            "mailbox reconnecting",
            mailbox=state_key(mailbox),
            error=type(state.outcome.exception()).__name__ if state.outcome else "?",
            attempt=state.attempt_number,
        ),
    )
    with contextlib.suppress(RetryError):  # stopped while waiting to reconnect
        retrying(_watch_connected, org, mailbox, context, stop, on_reply_queued)


def _took_new_mail_notice(client: IMAPClient) -> bool:
    """Whether an EXISTS came with an earlier command's response, and forget it.

    IDLE reports only what changes after it starts (RFC 2177); a message that
    arrived during our SEARCH or FETCH was announced then, and imaplib keeps such
    untagged responses aside. Without this check it would wait for the next one.
    """
    return bool(client._imap.untagged_responses.pop("EXISTS", None))


def _idle_until_news(client: IMAPClient, stop: threading.Event, until: datetime) -> bool:
    """Wait in IDLE until the server reports a change (True), or *stop* or *until* (False)."""
    if _response_already_read(client):
        return True
    while not stop.is_set() and datetime.now(UTC) < until:
        if client.idle_check(timeout=1):
            return True  # EXISTS (new mail) or another change: take it
    return False


def _response_already_read(client: IMAPClient) -> bool:
    """Whether a server line already sits in imaplib's read buffer.

    Dovecot answers IDLE with "+ idling" and, in the same packet, an EXISTS for
    mail that came just before; imaplib reads both into its buffer, where
    idle_check's socket poll cannot see the EXISTS, so the message would wait
    for the next keepalive or new mail. Peek without blocking: an empty socket
    gives nothing (BlockingIOError, or SSLWantReadError over TLS).
    """
    sock = client.socket()
    timeout = sock.gettimeout()
    sock.setblocking(False)
    try:
        return bool(client._imap.file.peek(1))
    except (BlockingIOError, ssl.SSLWantReadError):
        return False
    finally:
        sock.settimeout(timeout)


def _sleep_unless_stopped(stop: threading.Event) -> Callable[[float], None]:
    """A sleep for tenacity's backoff that SIGTERM cuts short."""

    def sleep(seconds: float) -> None:
        stop.wait(seconds)

    return sleep


def _watch_connected(
    org: OrganizationSettings,
    mailbox: MailboxSettings,
    context: Context,
    stop: threading.Event,
    on_reply_queued: Callable[[], None],
) -> None:
    client = connect_imap(mailbox, timeout=60)
    try:
        folder = ImapFolder(client, mailbox)
        has_idle = folder.has_idle()
        event("mailbox watching", mailbox=state_key(mailbox), idle=has_idle)
        while not stop.is_set():
            report = poll_folder(folder, org, mailbox, context)
            if report.taken:
                event("mailbox polled", mailbox=state_key(mailbox), taken=report.taken)
            if report.replies_queued:
                on_reply_queued()
            if not has_idle:
                stop.wait(context.settings.intake.poll_interval_seconds)
                client.noop()
                continue
            if _took_new_mail_notice(client):
                continue  # mail arrived while we were polling: poll again before idling
            client.idle()
            try:
                _idle_until_news(client, stop, datetime.now(UTC) + IDLE_RENEW)
            finally:
                client.idle_done()
    except IMAP_ERRORS as exc:
        raise TransientError(f"mailbox {mailbox.address}: {type(exc).__name__}") from exc
    finally:
        with contextlib.suppress(*IMAP_ERRORS):
            client.logout()


def run(
    settings: Settings, store: Store, stop: threading.Event | None = None, *, install_signals: bool = True
) -> None:
    """Stay up until SIGTERM/SIGINT (or *stop* is set)."""
    stop = stop or threading.Event()
    if install_signals:

        def _stop(signum: int, _frame: FrameType | None) -> None:
            event("stopping", signal=signal.Signals(signum).name)
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)

    context = Context(settings, store)
    sender = Sender(settings, store, stop)
    sender.thread.start()
    scheduler = BackgroundScheduler(timezone=UTC)
    watchers = []
    for org, mailbox in mailboxes(settings):
        if mailbox.maildir is not None:
            scheduler.add_job(
                _poll_quietly,
                "interval",
                args=(org, mailbox, context, sender.wake),
                seconds=settings.intake.poll_interval_seconds,
                next_run_time=datetime.now(UTC),
                max_instances=1,
                coalesce=True,
                id=f"poll {state_key(mailbox)}",
            )
        else:
            thread = threading.Thread(
                target=watch_imap,
                args=(org, mailbox, context, stop, sender.wake.set),
                name=f"watch {mailbox.address}",
                daemon=True,
            )
            thread.start()
            watchers.append(thread)
    # Reminders and digests: their "once" lives in the store, so running the job
    # often (and on several bot processes) is safe; a missed one goes out on return.
    scheduler.add_job(
        _notices_quietly,
        "interval",
        args=(settings, store, sender.wake),
        seconds=NOTICE_INTERVAL_SECONDS,
        next_run_time=datetime.now(UTC),
        max_instances=1,
        coalesce=True,
        id="officer notices",
    )
    scheduler.add_job(
        _retention_quietly,
        "interval",
        args=(settings, store),
        hours=6,
        next_run_time=datetime.now(UTC),
        max_instances=1,
        coalesce=True,
        id="retention",
    )
    scheduler.start()
    event("running", mailboxes=sum(1 for _ in mailboxes(settings)))
    stop.wait()
    scheduler.shutdown(wait=True)
    sender.wake.set()
    for thread in [*watchers, sender.thread]:
        thread.join(timeout=10)
    event("stopped")


def _notices_quietly(settings: Settings, store: Store, wake: threading.Event) -> None:
    from intake_bot.notices import queue_digests, queue_reminders, queue_verification_reminders

    try:
        now = datetime.now(UTC)
        queued = (
            queue_reminders(settings, store, now)
            + queue_verification_reminders(settings, store, now)
            + queue_digests(settings, store, now, on_schedule=True)
        )
    except Exception as exc:
        warn("notices failed", error=type(exc).__name__)
        return
    if queued:
        wake.set()


def _retention_quietly(settings: Settings, store: Store) -> None:
    from intake_bot.retention import delete_from_mailboxes, erase_expired

    try:
        now = datetime.now(UTC)
        erase_expired(settings, store, now)
        delete_from_mailboxes(settings, store, now)
    except Exception as exc:
        warn("retention failed", error=type(exc).__name__)


def _poll_quietly(
    org: OrganizationSettings, mailbox: MailboxSettings, context: Context, wake: threading.Event
) -> None:
    try:
        report = poll_mailbox(org, mailbox, context)
    except Exception as exc:
        warn("poll failed", mailbox=state_key(mailbox), error=type(exc).__name__)
        return
    if report.replies_queued:
        wake.set()
