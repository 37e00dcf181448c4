"""Identity verification by mail and the officers' lifecycle commands, against Dovecot and
aiosmtpd, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from intake_bot import lifecycle
from intake_bot.config import Settings
from intake_bot.errors import UsageError
from intake_bot.notices import queue_verification_reminders
from intake_bot.relay import Delivery, SmtpSink
from intake_bot.responders.outbox import send_pending_replies
from intake_bot.service import poll_once
from intake_bot.store import ReceivedMessage, Store, Ticket
from tests.conftest import Org, settings_for, toml_for
from tests.test_intake_imap import FRENCH_DELETION

pytestmark = [pytest.mark.dovecot, pytest.mark.smtp]


def _code(delivery: Delivery) -> str:
    body = delivery.message.get_body(("plain",)).get_content()
    [code] = re.findall(r"^\s+(\d{6})\s*$", body, re.M)
    return code


def _reply(
    org: Org, to: Delivery, text: str, n: str, sender: str = "marie@example.com", when: datetime | None = None
) -> None:
    raw = (
        f"From: Marie <{sender}>\r\nTo: {org.address}\r\nSubject: Re: {to.message['Subject']}\r\n"
        f"Message-ID: <reply-{n}@example.com>\r\nIn-Reply-To: {to.message['Message-ID']}\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n\r\n"
        f"Le lun. 23 nov. 2026, OPMS <{org.address}> a écrit :\r\n> Répondez avec le code\r\n"
    ).encode()
    if when is None:
        org.dovecot.deliver(org.address, raw)
    else:
        org.dovecot.append(org.address, raw, when=when)


def _request(org: Org, sink: SmtpSink, settings: Settings, store: Store, n: str) -> tuple[str, Delivery]:
    """A new request, and the acknowledgement threaded under it."""
    org.deliver(FRENCH_DELETION.format(to=org.address, n=n))
    poll_once(settings, store)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        acks = [d for d in sink.deliveries if d.message["In-Reply-To"] == f"<del-{n}@example.com>"]
        if acks:
            [ticket] = [t for t in store.list_tickets() if t.ref in acks[0].message["Subject"]]
            return ticket.ref, acks[0]
        time.sleep(0.05)
    raise AssertionError(f"no acknowledgement for request {n}")


def test_verification_dialogue_by_mail(
    opms: Org, smtp_sink: SmtpSink, store_url: str, store: Store, tmp_path: Path
) -> None:
    """A wrong code, or the right code from another address, changes only the audit trail;
    the right code from the requester verifies the ticket and brings a short confirmation."""
    settings = settings_for([opms], smtp_sink.port, store_url, tmp_path)
    ref, ack = _request(opms, smtp_sink, settings, store, "verify")
    code = _code(ack)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"

    _reply(opms, ack, f"Voici le code : {wrong}", "w1")
    _reply(opms, ack, f"code {code}", "other", sender="mallory@example.net")
    poll_once(settings, store)
    ticket, events, _ = store.get_ticket(ref)  # type: ignore[misc]
    assert ticket.status == "awaiting-verification" and ticket.code_attempts == 1
    trail = "\n".join(e.detail for e in events)
    assert "a wrong identity code" in trail and "an address other than the requester's" in trail
    assert code not in trail and wrong not in trail  # codes never land in the trail
    assert len(smtp_sink.wait_for(2, timeout=0.5)) == 1

    _reply(opms, ack, f"Bonjour, mon code est {code[:3]} {code[3:]}. Merci", "right")
    poll_once(settings, store)
    ticket, events, _ = store.get_ticket(ref)  # type: ignore[misc]
    assert ticket.status == "verified" and ticket.verified_at is not None and ticket.code_hash is None
    confirmation = smtp_sink.wait_for(2)[-1]
    assert confirmation.recipients == ("marie@example.com",)
    assert ref in confirmation.message["Subject"] and "Identité confirmée" in confirmation.message["Subject"]
    assert confirmation.message["In-Reply-To"] == "<del-verify@example.com>"
    assert "identity-verified" in [e.kind for e in events]


def test_too_many_wrong_codes_lock_it_and_an_expired_code_is_refused(
    opms: Org, smtp_sink: SmtpSink, sqlite_url: str, tmp_path: Path
) -> None:
    settings = settings_for([opms], smtp_sink.port, sqlite_url, tmp_path, max_code_attempts=2)
    store = Store.open(sqlite_url)
    ref, ack = _request(opms, smtp_sink, settings, store, "lock")
    code = _code(ack)
    for n in range(2):
        _reply(opms, ack, f"{(int(code) + 7 + n) % 1_000_000:06d}", f"lock{n}")
    poll_once(settings, store)
    _reply(opms, ack, code, "lock-right")
    poll_once(settings, store)
    ticket, events, _ = store.get_ticket(ref)  # type: ignore[misc]
    assert ticket.status == "awaiting-verification"
    assert "code-locked" in [e.kind for e in events]
    assert any("the code is locked" in e.detail for e in events)

    ref2, ack2 = _request(opms, smtp_sink, settings, store, "late")
    with store.transaction() as session:  # as if its 72 hours had passed (Dovecot clamps future dates)
        session.scalar(select(Ticket).where(Ticket.ref == ref2)).code_expires_at = (  # type: ignore[union-attr]
            datetime.now(UTC) - timedelta(minutes=1)
        )
    _reply(opms, ack2, _code(ack2), "late")
    poll_once(settings, store)
    ticket2, events2, _ = store.get_ticket(ref2)  # type: ignore[misc]
    assert ticket2.status == "awaiting-verification"
    assert any("after it expired" in e.detail for e in events2)


def test_unverified_requester_is_reminded_once_then_the_ticket_expires(
    opms: Org, smtp_sink: SmtpSink, store_url: str, store: Store, tmp_path: Path
) -> None:
    settings = settings_for([opms], smtp_sink.port, store_url, tmp_path)
    ref, _ = _request(opms, smtp_sink, settings, store, "slow")
    created = store.get_ticket(ref)[0].created_at  # type: ignore[index]
    assert queue_verification_reminders(settings, store, created + timedelta(days=2)) == []
    at_three = created + timedelta(days=3, minutes=1)
    assert len(queue_verification_reminders(settings, store, at_three)) == 1
    assert queue_verification_reminders(settings, store, at_three + timedelta(hours=5)) == []
    send_pending_replies(store, settings.smtp, now=at_three)
    reminder = smtp_sink.wait_for(2)[-1]
    assert "Rappel : confirmez votre identité" in reminder.message["Subject"]
    new_code = _code(reminder)
    _reply(opms, reminder, new_code, "after-reminder")
    poll_once(settings, store)
    assert store.get_ticket(ref)[0].status == "verified"  # type: ignore[index]

    ref2, _ = _request(opms, smtp_sink, settings, store, "never")
    created2 = store.get_ticket(ref2)[0].created_at  # type: ignore[index]
    lines = queue_verification_reminders(settings, store, created2 + timedelta(days=14, minutes=1))
    assert any("verification-expired" in line.what for line in lines)
    assert store.get_ticket(ref2)[0].status == "verification-expired"  # type: ignore[index]


def test_officer_commands(
    opms: Org, smtp_sink: SmtpSink, store_url: str, store: Store, tmp_path: Path
) -> None:
    """assign, note, verify (identity documents removed), close, reject and withdraw each
    audit the officer and the time; letters go to the requester threaded, with the ref."""
    settings = settings_for([opms], smtp_sink.port, store_url, tmp_path)
    actor = lifecycle.Actor("olivier@opms.example", datetime.now(UTC))
    opms.deliver(f"""\
        From: Marie <marie@example.com>
        To: {opms.address}
        Subject: Suppression de mes données
        Message-ID: <with-id@example.com>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="X"

        --X
        Content-Type: text/plain; charset=utf-8

        Veuillez supprimer mes données. Voici mon permis de conduire.
        --X
        Content-Type: image/jpeg; name="permis.jpg"
        Content-Disposition: attachment; filename="permis.jpg"
        Content-Transfer-Encoding: base64

        /9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP////////////////////////////////////////
        --X--
        """)
    poll_once(settings, store)
    [ticket] = store.list_tickets()
    ref = ticket.ref
    assert (
        lifecycle.assign(store, settings, ref, "Dana@OPMS.example", actor)
        == f"{ref} assigned to dana@opms.example"
    )
    assert lifecycle.note(store, settings, ref, "called her back", actor) == f"note added to {ref}"
    assert "verified by olivier@opms.example" in lifecycle.verify(
        store, settings, ref, "ID checked by phone", actor
    )
    assert lifecycle.assign(store, settings, ref, "dana@opms.example", actor).endswith("now in progress")
    with pytest.raises(UsageError, match="already verified"):
        lifecycle.verify(store, settings, ref, "again", actor)
    with pytest.raises(UsageError, match="allows no extension"):
        lifecycle.extend(store, settings, ref, 10, "busy", actor)
    answer = "Vos données ont été supprimées le 23 novembre 2026."
    assert "closed" in lifecycle.close(store, settings, ref, answer, actor)
    with pytest.raises(UsageError, match="is closed"):
        lifecycle.reject(store, settings, ref, "no", None, actor)

    ticket, events, _ = store.get_ticket(ref)  # type: ignore[misc]
    assert ticket.status == "closed" and ticket.assigned_to == "dana@opms.example"
    by_officer = [e for e in events if e.actor == "olivier@opms.example"]
    assert [e.kind for e in by_officer] == [
        "assigned",
        "note",
        "identity-verified",
        "documents-removed",
        "assigned",
        "closed",
    ]
    assert "ID checked by phone" in by_officer[2].detail
    with store.sessions() as session:
        raw = session.scalar(select(ReceivedMessage.raw).where(ReceivedMessage.ticket_id == ticket.id))
    assert raw is not None and b"/9j/4AAQ" not in raw and b"removed after the identity check" in raw

    send_pending_replies(store, settings.smtp)
    final = smtp_sink.wait_for(2)[-1]
    assert final.recipients == ("marie@example.com",) and ref in final.message["Subject"]
    assert final.message["In-Reply-To"] == "<with-id@example.com>"
    assert answer in final.message.get_body(("plain",)).get_content()

    ref2, _ = _request(opms, smtp_sink, settings, store, "reject")
    assert "rejected" in lifecycle.reject(store, settings, ref2, "Aucun dossier à votre nom.", None, actor)
    send_pending_replies(store, settings.smtp)
    refusal = smtp_sink.wait_for(4)[-1].message.get_body(("plain",)).get_content()
    assert "Aucun dossier à votre nom." in refusal and "Commission d'accès à l'information" in refusal
    assert "P-39.1" in refusal
    ref3, _ = _request(opms, smtp_sink, settings, store, "withdraw")
    assert lifecycle.withdraw(store, settings, ref3, actor) == f"{ref3} withdrawn"
    with pytest.raises(UsageError, match="no ticket"):
        lifecycle.note(store, settings, "OPMS-1999-0001", "x", actor)


def test_extension_where_the_regime_allows_it(
    opms: Org, smtp_sink: SmtpSink, sqlite_url: str, tmp_path: Path
) -> None:
    """PIPEDA: one extension of up to 30 days, before the first deadline, with a notice."""
    base = settings_for([opms], smtp_sink.port, sqlite_url, tmp_path)
    pipeda = base.organizations[0].model_copy(update={"regime": "pipeda"})
    settings = base.model_copy(update={"organizations": (pipeda,)})
    store = Store.open(sqlite_url)
    ref, _ = _request(opms, smtp_sink, settings, store, "extend")
    due = store.get_ticket(ref)[0].due_at  # type: ignore[index]
    actor = lifecycle.Actor("olivier@opms.example", datetime.now(UTC))
    with pytest.raises(UsageError, match="allows an extension up to"):
        lifecycle.extend(store, settings, ref, 31, "too long", actor)
    late = lifecycle.Actor("olivier@opms.example", due + timedelta(days=1))
    with pytest.raises(UsageError, match="had to be sent by"):
        lifecycle.extend(store, settings, ref, 10, "late", late)
    assert store.get_ticket(ref)[0].due_at == due  # type: ignore[index]  # nothing changed
    done = lifecycle.extend(store, settings, ref, 30, "Volume de dossiers à consulter", actor)
    assert "extended by 30 days" in done
    ticket = store.get_ticket(ref)[0]  # type: ignore[index]
    assert (
        ticket.due_at.date() == (due + timedelta(days=30)).date() and "extended by 30 days" in ticket.due_rule
    )
    with pytest.raises(UsageError, match="already extended"):
        lifecycle.extend(store, settings, ref, 1, "again", actor)
    send_pending_replies(store, settings.smtp)
    notice = smtp_sink.wait_for(2)[-1].message
    assert (
        "Prolongation" in notice["Subject"]
        and "Volume de dossiers" in notice.get_body(("plain",)).get_content()
    )


def test_officer_commands_from_the_command_line_and_export(
    opms: Org, smtp_sink: SmtpSink, sqlite_url: str, tmp_path: Path
) -> None:
    settings = settings_for([opms], smtp_sink.port, sqlite_url, tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(toml_for(settings))
    store = Store.open(sqlite_url)
    ref, _ = _request(opms, smtp_sink, settings, store, "cli-officer")
    env = {**os.environ, "INTAKE_TEST_IMAP_PASSWORD": "secret", "INTAKE_BOT_OFFICER": "olivier@opms.example"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "intake_bot", "--config", str(config), "tickets", *args],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )

    assert cli("note", ref, "appel reçu").stdout.strip() == f"note added to {ref}"
    refused = cli("extend", ref, "--days", "5", "--reason", "x")
    assert (
        refused.returncode == 2
        and "allows no extension" in refused.stderr
        and "Traceback" not in refused.stderr
    )
    answer = tmp_path / "answer.txt"
    answer.write_text("Vos données sont supprimées.", encoding="utf-8")
    closed = cli("close", ref, "--message-file", str(answer))
    assert closed.returncode == 0 and "closed" in closed.stdout
    assert len(smtp_sink.wait_for(2)) == 2  # the acknowledgement, then the final answer

    rows = [json.loads(line) for line in cli("export", "--format", "json").stdout.splitlines()]
    assert rows[0]["ref"] == ref and rows[0]["status"] == "closed"
    kinds = [e["kind"] for e in rows[0]["events"]]
    assert kinds.index("letter-queued") < kinds.index("closed") < len(kinds) - 1 and kinds[-1] == "reply-sent"
    assert any(e["actor"] == "olivier@opms.example" for e in rows[0]["events"])
    ref2, _ = _request(opms, smtp_sink, settings, store, "cli-second")
    import csv
    import io

    exported = {
        row["ref"]: row for row in csv.DictReader(io.StringIO(cli("export", "--format", "csv").stdout))
    }
    assert set(exported) == {ref, ref2}
    # Regression: each row carries its own trail (the CSV once repeated the last ticket's).
    assert "closed" in exported[ref]["events"] and "closed" not in exported[ref2]["events"]
    assert rows[0]["triage_reason"] is None and exported[ref]["triage_reason"] == ""  # not left to triage


def test_a_verified_requester_asking_another_right_gets_a_linked_ticket(
    opms: Org, smtp_sink: SmtpSink, sqlite_url: str, tmp_path: Path
) -> None:
    settings = settings_for([opms], smtp_sink.port, sqlite_url, tmp_path)
    store = Store.open(sqlite_url)
    ref, ack = _request(opms, smtp_sink, settings, store, "first")
    _reply(opms, ack, _code(ack), "code")
    poll_once(settings, store)
    assert store.get_ticket(ref)[0].status == "verified"  # type: ignore[index]
    _reply(opms, ack, "Merci. Et désabonnez-moi aussi de votre infolettre, svp.", "more")
    poll_once(settings, store)
    tickets = {t.ref: t for t in store.list_tickets()}
    [new_ref] = [r for r in tickets if r != ref]
    linked = tickets[new_ref]
    assert linked.labels == ["opt-out"] and linked.status == "verified"
    assert linked.linked_to == tickets[ref].id
    notice = [d for d in smtp_sink.wait_for(3) if new_ref in d.message["Subject"]]
    assert len(notice) == 1 and ref in notice[0].message.get_body(("plain",)).get_content()
    assert "code" not in notice[0].message.get_body(("plain",)).get_content().lower()


def test_retention_erases_personal_data_and_deletes_the_mailbox_copy(
    opms: Org, smtp_sink: SmtpSink, store_url: str, store: Store, tmp_path: Path
) -> None:
    """Past the retention period after closure, the ticket keeps its ref, dates, rights and
    outcome, and loses the requester's data; the mail leaves the IMAP server after its grace."""
    from intake_bot.retention import delete_from_mailboxes, erase_expired

    base = settings_for([opms], smtp_sink.port, store_url, tmp_path)
    org = base.organizations[0].model_copy(update={"retention_days": 30, "mailbox_delete_after_days": 7})
    settings = base.model_copy(update={"organizations": (org,)})
    old_ref, _ = _request(opms, smtp_sink, settings, store, "old")
    open_ref, _ = _request(opms, smtp_sink, settings, store, "still-open")
    actor = lifecycle.Actor("olivier@opms.example", datetime.now(UTC))
    lifecycle.note(store, settings, old_ref, "Marie called from 514-555-0199", actor)
    lifecycle.withdraw(store, settings, old_ref, actor)
    now = datetime.now(UTC)

    assert delete_from_mailboxes(settings, store, now + timedelta(days=6)) == []  # grace not over
    assert erase_expired(settings, store, now + timedelta(days=29)) == []
    lines = erase_expired(settings, store, now + timedelta(days=31))
    assert len(lines) == 1 and old_ref in lines[0]
    assert erase_expired(settings, store, now + timedelta(days=32)) == []  # once
    ticket, events, outbox = store.get_ticket(old_ref)  # type: ignore[misc]
    assert ticket.requester == "" and ticket.subject == "" and ticket.erased_at is not None
    assert ticket.labels == ["deletion"] and ticket.status == "withdrawn"
    assert all("514-555-0199" not in e.detail for e in events)
    assert "personal-data-erased" in [e.kind for e in events]
    assert all(row.raw == b"" and row.recipient == "" for row in outbox)
    with store.sessions() as session:
        raws = session.scalars(
            select(ReceivedMessage.raw).where(ReceivedMessage.ticket_id == ticket.id)
        ).all()
    assert raws == [None]
    assert store.get_ticket(open_ref)[0].requester == "marie@example.com"  # type: ignore[index]

    client = opms.dovecot.client(opms.address)
    client.select_folder("INBOX", readonly=True)
    assert len(client.search(["ALL"])) == 2
    client.logout()
    deleted = delete_from_mailboxes(settings, store, now + timedelta(days=8))
    assert deleted == [f"{old_ref}: mail deleted from {opms.address}"]
    assert delete_from_mailboxes(settings, store, now + timedelta(days=9)) == []
    client = opms.dovecot.client(opms.address)
    client.select_folder("INBOX", readonly=True)
    assert len(client.search(["ALL"])) == 1  # the open ticket's mail stays
    client.logout()
    assert "mail-deleted-from-server" in [e.kind for e in store.get_ticket(old_ref)[1]]  # type: ignore[index]


def test_relabel_records_the_correction_and_turns_triage_into_a_request(
    opms: Org, smtp_sink: SmtpSink, sqlite_url: str, tmp_path: Path
) -> None:
    """An officer's relabel is kept in the trail (from/to, as training data); a needs-triage
    ticket given a right gets the acknowledgement with a code."""
    from intake_bot.config import code_key

    settings = settings_for([opms], smtp_sink.port, sqlite_url, tmp_path)
    store = Store.open(sqlite_url)
    opms.deliver(f"""\
        From: Luc <luc@example.com>
        To: {opms.address}
        Subject: Mon dossier
        Message-ID: <triage-1@example.com>

        Bonjour, pouvez-vous me rappeler cette semaine? Merci.
        """)
    poll_once(settings, store)
    [ticket] = store.list_tickets()
    assert (ticket.status, ticket.triage_reason) == ("needs-triage", "no-right")
    actor = lifecycle.Actor("olivier@opms.example", datetime.now(UTC))
    with pytest.raises(UsageError, match="labels are"):
        lifecycle.relabel(store, settings, ticket.ref, ["delete"], actor, code_key(settings))
    done = lifecycle.relabel(store, settings, ticket.ref, ["deletion", "opt-out"], actor, code_key(settings))
    assert "none -> deletion, opt-out" in done and "acknowledgement" in done
    send_pending_replies(store, settings.smtp)
    ack = smtp_sink.wait_for(1)[-1]
    assert ack.recipients == ("luc@example.com",) and len(_code(ack)) == 6
    assert ack.message["In-Reply-To"] == "<triage-1@example.com>"
    ticket, events, _ = store.get_ticket(ticket.ref)  # type: ignore[misc]
    assert ticket.status == "awaiting-verification" and ticket.labels == ["deletion", "opt-out"]
    assert ticket.triage_reason == "no-right"  # why the bot left it to an officer stays on record
    [relabelled] = [e for e in events if e.kind == "relabelled"]
    assert json.loads(relabelled.detail) == {"from": [], "to": ["deletion", "opt-out"]}
    assert relabelled.actor == "olivier@opms.example"
    # The correction, as a row the rights model can be retrained on.
    [row] = [json.loads(line) for line in lifecycle.export(store, settings, "training").splitlines()]
    assert row == {
        "lang": "fr",
        "subject": "Mon dossier",
        "text": "Bonjour, pouvez-vous me rappeler cette semaine? Merci.",
        "labels": ["deletion", "opt-out"],
        "source": ticket.ref,
    }


def test_a_store_from_before_the_triage_reason_is_upgraded_with_its_tickets(store_url: str) -> None:
    """A store created at revision 0004, holding a needs-triage ticket, opens on the newest
    schema: the ticket is kept, with no reason (its reason is only in its trail's words)."""
    from alembic import command
    from alembic.config import Config as AlembicConfig
    from sqlalchemy import create_engine, text

    from intake_bot import store as store_module

    engine = create_engine(store_url)
    config = AlembicConfig()
    config.set_main_option("script_location", str(Path(store_module.__file__).parent / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
        connection.execute(
            text(
                "INSERT INTO tickets (ref, org, mailbox, channel, requester, requester_name, subject, lang, "
                "labels, status, received_at, due_at, due_rule, code_attempts, extension_days, created_at, "
                "updated_at) VALUES ('OPMS-2026-0001', 'opms', 'contact@example.org', 'email', "
                "'a@example.com', '', 'Prix?', 'fr', '[]', 'needs-triage', :at, :due, '', 0, 0, :at, :at)"
            ),
            {"at": datetime(2026, 12, 1, tzinfo=UTC), "due": datetime(2026, 12, 31, tzinfo=UTC)},
        )
    engine.dispose()
    upgraded = Store.open(store_url)
    try:
        [ticket] = upgraded.list_tickets()
        assert (ticket.ref, ticket.status, ticket.triage_reason) == ("OPMS-2026-0001", "needs-triage", None)
    finally:
        upgraded.close()
