"""The bot's own data: erase what it no longer needs, on a schedule, with a trace.

After a ticket is closed (closed, rejected or withdrawn) and the organisation's
`retention_days` have passed, the ticket's personal data is erased: requester,
subject, raw mail, the letters sent, and the free text of the trail. The ref,
dates, rights, status and the kinds of event stay, for statistics and to show
that deadlines were met. Separately, `mailbox_delete_after_days` deletes the
original mail from the IMAP server.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

from sqlalchemy import select, update

from intake_bot.config import MailboxSettings, Settings
from intake_bot.errors import IntakeError
from intake_bot.privacy import event, warn
from intake_bot.sources import IMAP_ERRORS, connect_imap
from intake_bot.store import Event, Notice, OutboxMessage, ReceivedMessage, Status, Store, Ticket

FINISHED = (Status.CLOSED.value, Status.REJECTED.value, Status.WITHDRAWN.value)
# Events whose text may quote the requester (cues, notes, reasons); their kind and time stay.
FREE_TEXT_EVENTS = ("intake", "note", "rejected", "extended", "identity-verified", "chat")
ERASED = "[erased under the retention policy]"


def erase_expired(settings: Settings, store: Store, now: datetime, *, dry_run: bool = False) -> list[str]:
    """Erase the personal data of tickets closed more than `retention_days` ago."""
    done = []
    for org in settings.organizations:
        cutoff = now - timedelta(days=org.retention_days)
        with store.transaction() as session:
            due = session.scalars(
                select(Ticket).where(
                    Ticket.org == org.id,
                    Ticket.status.in_(FINISHED),
                    Ticket.erased_at.is_(None),
                    Ticket.closed_at <= cutoff,
                )
            ).all()
            for ticket in due:
                done.append(f"{ticket.ref}: personal data erased (closed {ticket.closed_at:%Y-%m-%d})")
                if dry_run:
                    continue
                ticket.requester = ticket.requester_name = ticket.subject = ""
                ticket.erased_at = now
                session.execute(
                    update(ReceivedMessage).where(ReceivedMessage.ticket_id == ticket.id).values(raw=None)
                )
                session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.ticket_id == ticket.id)
                    .values(raw=b"", recipient="")
                )
                session.execute(
                    update(Event)
                    .where(Event.ticket_id == ticket.id, Event.kind.in_(FREE_TEXT_EVENTS))
                    .values(detail=ERASED)
                )
                Store.add_event(
                    session,
                    ticket,
                    "personal-data-erased",
                    f"requester, subject, stored mail, letters and free text erased, "
                    f"{org.retention_days} days after closure",
                    at=now,
                )
                event("personal data erased", ticket=ticket.ref)
    return done


def delete_from_mailboxes(
    settings: Settings, store: Store, now: datetime, *, dry_run: bool = False
) -> list[str]:
    """Delete the original mail of closed tickets from the IMAP server after the grace period."""
    done = []
    for org in settings.organizations:
        if org.mailbox_delete_after_days is None:
            continue
        cutoff = now - timedelta(days=org.mailbox_delete_after_days)
        for mailbox in org.mailboxes:
            if mailbox.host is None:
                continue
            with store.sessions() as session:
                rows = session.execute(
                    select(ReceivedMessage.id, ReceivedMessage.source_key, Ticket.id, Ticket.ref)
                    .join(Ticket, Ticket.id == ReceivedMessage.ticket_id)
                    .where(
                        ReceivedMessage.mailbox == mailbox.address.lower(),
                        Ticket.status.in_(FINISHED),
                        Ticket.closed_at <= cutoff,
                    )
                ).all()
                deleted = set(session.scalars(select(Notice.key).where(Notice.kind == "mailbox-deletion")))
            todo = [(r[0], r[1], r[2], r[3]) for r in rows if f"mailbox-deletion:{r[0]}" not in deleted]
            if not todo:
                continue
            if dry_run:
                done += [
                    f"{ref}: mail {key} would be deleted from {mailbox.address}" for _, key, _, ref in todo
                ]
                continue
            try:
                done += _delete(store, org.id, mailbox, todo, now)
            except (IntakeError, *IMAP_ERRORS) as exc:
                warn("mailbox deletion failed", mailbox=mailbox.address, error=type(exc).__name__)
    return done


def _delete(
    store: Store, org_id: str, mailbox: MailboxSettings, todo: list[tuple[int, str, int, str]], now: datetime
) -> list[str]:
    client = connect_imap(mailbox)
    done = []
    try:
        info = client.select_folder(mailbox.folder)
        validity = int(info[b"UIDVALIDITY"])
        uids = {
            int(key.split(":")[1]): (receipt, ticket_id, ref)
            for receipt, key, ticket_id, ref in todo
            if key.split(":")[0] == str(validity)
        }
        if uids:
            client.delete_messages(sorted(uids))
            # UID EXPUNGE (RFC 4315) removes only these; plain EXPUNGE would take others' \Deleted too.
            if client.has_capability("UIDPLUS"):
                client.uid_expunge(sorted(uids))
            else:
                client.expunge()
        with store.transaction() as session:
            for receipt, ticket_id, ref in uids.values():
                session.add(
                    Notice(
                        key=f"mailbox-deletion:{receipt}",
                        kind="mailbox-deletion",
                        org=org_id,
                        ticket_id=ticket_id,
                        recipient="",
                        created_at=now,
                    )
                )
                ticket = session.get(Ticket, ticket_id)
                if ticket is not None:
                    Store.add_event(
                        session,
                        ticket,
                        "mail-deleted-from-server",
                        f"the original mail was deleted from {mailbox.address}/{mailbox.folder}",
                        at=now,
                    )
                done.append(f"{ref}: mail deleted from {mailbox.address}")
    finally:
        with contextlib.suppress(*IMAP_ERRORS):
            client.logout()
    return done
