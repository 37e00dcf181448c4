"""The whole intake against a real Dovecot and a real aiosmtpd relay, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from intake_bot.config import Settings
from intake_bot.privacy import is_code_match
from intake_bot.relay import SmtpSink
from intake_bot.service import poll_once
from intake_bot.store import Store, Ticket
from intake_bot.testing import CuttableProxy
from tests.conftest import Org, settings_for

pytestmark = [pytest.mark.dovecot, pytest.mark.smtp]

FRENCH_DELETION = """\
    From: Marie Tremblay <marie@example.com>
    To: {to}
    Subject: Suppression de mes données
    Message-ID: <del-{n}@example.com>
    MIME-Version: 1.0
    Content-Type: text/plain; charset=utf-8

    Bonjour, je vous demande de supprimer mon compte et toutes mes données personnelles.
    Merci
    """


def _tickets(store: Store) -> dict[str, object]:
    return {t.ref: t for t in store.list_tickets()}


def test_request_becomes_ticket_and_threaded_french_reply(
    opms: Org, smtp_sink: SmtpSink, store_url: str, store: Store, tmp_path: Path
) -> None:
    """A French deletion request gets a ticket due 30 days after arrival and one French reply,
    threaded under the request, with the ref in the subject and a 6-digit code."""
    settings = settings_for([opms], smtp_sink.port, store_url, tmp_path)
    opms.deliver(FRENCH_DELETION.format(to=opms.address, n=1))

    result = poll_once(settings, store)

    assert [r.taken for r in result.reports] == [1]
    [ticket] = store.list_tickets()
    assert ticket.labels == ["deletion"]
    assert ticket.lang == "fr"
    assert ticket.status == "awaiting-verification"
    assert ticket.triage_reason is None
    assert ticket.ref.startswith("OPMS-20")
    local_received = ticket.received_at.astimezone(settings.organizations[0].zone)
    assert ticket.due_at.astimezone(settings.organizations[0].zone).date() == (
        local_received.date() + timedelta(days=30)
    )
    assert abs(ticket.received_at - datetime.now(UTC)) < timedelta(minutes=5)  # INTERNALDATE

    [delivery] = smtp_sink.wait_for(1)
    reply = delivery.message
    assert delivery.recipients == ("marie@example.com",)
    assert ticket.ref in reply["Subject"]
    assert reply["In-Reply-To"] == "<del-1@example.com>"
    assert "<del-1@example.com>" in reply["References"]
    assert reply["Auto-Submitted"] == "auto-replied"
    body = reply.get_body(("plain",)).get_content()
    assert "Bonjour" in body and "supprimer" not in body.lower()[:0]
    code = [w for w in body.split() if w.isdigit() and len(w) == 6]
    assert len(code) == 1
    assert code[0] not in (ticket.code_hash or "")  # stored hashed, never in clear
    _, _, outbox = store.get_ticket(ticket.ref)  # type: ignore[misc]
    assert code[0].encode() not in outbox[0].raw  # the sent body is not kept with its code
    assert ticket.ref.encode() in outbox[0].raw  # the headers are, as the record of what went out
    key_file = tmp_path / "intake-bot.secret"  # the embedded default keeps the key beside the config
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert is_code_match(code[0], ticket.code_hash or "", key_file.read_bytes())
    assert not is_code_match(
        f"{(int(code[0]) + 1) % 1_000_000:06d}", ticket.code_hash or "", key_file.read_bytes()
    )
    assert "décembre" in body or "janvier" in body or "novembre" in body  # legal date in words


def test_second_poll_takes_nothing_and_sends_nothing(
    opms: Org, smtp_sink: SmtpSink, store_url: str, store: Store, tmp_path: Path
) -> None:
    """Polling again never re-opens a ticket nor answers the same message twice."""
    settings = settings_for([opms], smtp_sink.port, store_url, tmp_path)
    opms.deliver(FRENCH_DELETION.format(to=opms.address, n=2))
    poll_once(settings, store)
    second = poll_once(settings, store)
    assert second.reports[0].taken == 0
    assert len(store.list_tickets()) == 1
    assert len(smtp_sink.wait_for(2, timeout=1)) == 1


def test_message_already_read_in_another_client_is_taken(
    opms: Org, smtp_sink: SmtpSink, sqlite_url: str, tmp_path: Path
) -> None:
    """\\Seen is never relied on: mail opened by an officer in their own client is still taken."""
    settings = settings_for([opms], smtp_sink.port, sqlite_url, tmp_path)
    raw = FRENCH_DELETION.format(to=opms.address, n=3)
    opms.deliver(raw)
    client = opms.dovecot.client(opms.address)
    client.select_folder("INBOX")
    client.add_flags(client.search(), [b"\\Seen"])
    client.logout()
    store = Store.open(settings.store_url)
    poll_once(settings, store)
    assert len(store.list_tickets()) == 1
    client = opms.dovecot.client(opms.address)
    client.select_folder("INBOX", readonly=True)
    assert client.search(["UNSEEN"]) == []  # and the bot did not change the flags either
    client.logout()


def test_reply_in_thread_joins_its_ticket(
    opms: Org, smtp_sink: SmtpSink, store_url: str, store: Store, tmp_path: Path
) -> None:
    """A reply to the bot's acknowledgement (In-Reply-To its Message-ID) joins the ticket;
    so does a message with the ref in its subject. No new ticket, no second reply."""
    settings = settings_for([opms], smtp_sink.port, store_url, tmp_path)
    opms.deliver(FRENCH_DELETION.format(to=opms.address, n=4))
    poll_once(settings, store)
    [ack] = smtp_sink.wait_for(1)
    ack_id = ack.message["Message-ID"]
    [ticket] = store.list_tickets()

    opms.deliver(f"""\
        From: Marie Tremblay <marie@example.com>
        To: {opms.address}
        Subject: Re: {ack.message["Subject"]}
        Message-ID: <followup-4@example.com>
        In-Reply-To: {ack_id}
        References: <del-4@example.com> {ack_id}
        Content-Type: text/plain; charset=utf-8

        Voici le code : 123456

        Le lun. 23 nov. 2026 à 10:00, OPMS <{opms.address}> a écrit :
        > Répondez avec le code
        """)
    opms.deliver(f"""\
        From: Marie Tremblay <marie@example.com>
        To: {opms.address}
        Subject: Question sur ma demande {ticket.ref}
        Message-ID: <followup-5@example.com>
        Content-Type: text/plain; charset=utf-8

        Où en est ma demande ?
        """)
    report = poll_once(settings, store).reports[0]
    assert report.joined == [ticket.ref, ticket.ref]
    assert len(store.list_tickets()) == 1
    _, events, outbox = store.get_ticket(ticket.ref)  # type: ignore[misc]
    assert sum(e.kind == "follow-up" for e in events) == 2
    assert len(outbox) == 1
    assert len(smtp_sink.wait_for(2, timeout=1)) == 1


AUTOMATED = {
    "auto-submitted": """\
        From: Jane <jane@example.com>
        To: {to}
        Subject: Re: your mail
        Auto-Submitted: auto-replied
        Message-ID: <auto-1-{n}@example.com>

        I am away. Please delete my data is not what this says.
        """,
    "precedence-bulk": """\
        From: News <news@shop.example>
        To: {to}
        Subject: Our November offers
        Precedence: bulk
        Message-ID: <auto-2-{n}@example.com>

        Unsubscribe at any time.
        """,
    "list-id": """\
        From: Someone <someone@example.org>
        To: {to}
        Subject: [privacy-list] delete my data
        List-Id: <privacy.lists.example.org>
        Message-ID: <auto-3-{n}@example.com>

        Please delete my data.
        """,
    "x-autoreply": """\
        From: Bob <bob@example.com>
        To: {to}
        Subject: Re: hello
        X-Autoreply: yes
        Message-ID: <auto-4-{n}@example.com>

        Thanks for your mail, I will read it soon.
        """,
    "out-of-office-text": """\
        From: Sylvie <sylvie@example.com>
        To: {to}
        Subject: Re: Votre demande
        Message-ID: <auto-5-{n}@example.com>
        Content-Type: text/plain; charset=utf-8

        Bonjour, je suis absente du bureau jusqu'au 3 décembre.
        En cas d'urgence, écrivez à accueil@example.com.
        """,
    # a newsletter re-sent without its list headers: told by its footer
    "newsletter-footer": """\
        From: Club de la Rivière <nouvelles@club.example>
        To: {to}
        Subject: Nouvelles de décembre
        Message-ID: <auto-7-{n}@example.com>
        Content-Type: text/plain; charset=utf-8

        Afficher ce courriel dans votre navigateur

        Le souper des fêtes aura lieu le 12 décembre.

        Vous recevez ce courriel parce que vous êtes membre du Club.
        Se désabonner | Gérer vos préférences
        © 2026 Club de la Rivière
        """,
    "mailer-daemon": """\
        From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
        To: {to}
        Subject: Undelivered Mail Returned to Sender
        Message-ID: <auto-6-{n}@example.com>

        This is the mail system. Your message could not be delivered.
        """,
}


@pytest.mark.parametrize("kind", sorted(AUTOMATED))
def test_automated_mail_is_never_answered(
    kind: str, opms: Org, smtp_sink: SmtpSink, sqlite_url: str, tmp_path: Path
) -> None:
    """Auto-replies, list and bulk mail, bounces: no ticket, no reply (RFC 3834)."""
    settings = settings_for([opms], smtp_sink.port, sqlite_url, tmp_path)
    store = Store.open(settings.store_url)
    opms.deliver(AUTOMATED[kind].format(to=opms.address, n=kind))
    report = poll_once(settings, store).reports[0]
    assert report.taken == 1
    assert sum(report.dropped.values()) == 1, report.summary()
    assert store.list_tickets() == []
    assert smtp_sink.wait_for(1, timeout=0.5) == []


def test_null_return_path_is_never_answered(
    opms: Org, smtp_sink: SmtpSink, sqlite_url: str, tmp_path: Path
) -> None:
    """A message delivered with MAIL FROM:<> (Return-Path: <>) is automated by definition."""
    settings = settings_for([opms], smtp_sink.port, sqlite_url, tmp_path)
    store = Store.open(settings.store_url)
    opms.deliver(FRENCH_DELETION.format(to=opms.address, n="null"), sender="")
    report = poll_once(settings, store).reports[0]
    assert report.dropped == {"bounce": 1}
    assert smtp_sink.wait_for(1, timeout=0.5) == []


@pytest.mark.parametrize(
    ("returned", "original_body"),
    [
        ("text/rfc822-headers", ""),
        # Postfix and Exim return the whole original by default: its text is not read.
        ("message/rfc822", "\n        Bonjour, pour supprimer vos données, répondez avec ce code.\n"),
    ],
    ids=["headers-only", "whole-original"],
)
def test_bounce_of_our_reply_is_recorded_on_its_ticket(
    opms: Org,
    smtp_sink: SmtpSink,
    store_url: str,
    store: Store,
    tmp_path: Path,
    returned: str,
    original_body: str,
) -> None:
    """A delivery status notification for the acknowledgement marks it bounced on the ticket."""
    settings = settings_for([opms], smtp_sink.port, store_url, tmp_path)
    opms.deliver(FRENCH_DELETION.format(to=opms.address, n="b"))
    poll_once(settings, store)
    [ack] = smtp_sink.wait_for(1)
    ack_id = ack.message["Message-ID"]
    opms.deliver(
        f"""\
        From: MAILER-DAEMON@mx.example.com (Mail Delivery System)
        To: {opms.address}
        Subject: Undelivered Mail Returned to Sender
        Message-ID: <dsn-1@mx.example.com>
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=delivery-status; boundary="B"

        --B
        Content-Type: text/plain

        This is the mail system. The mail could not be delivered.
        --B
        Content-Type: message/delivery-status

        Reporting-MTA: dns; mx.example.com

        Final-Recipient: rfc822; marie@example.com
        Action: failed
        Status: 5.1.1
        --B
        Content-Type: {returned}

        From: {opms.address}
        To: marie@example.com
        Message-ID: {ack_id}
        Subject: {ack.message["Subject"]}
{original_body}        --B--
        """,
        sender="",
    )
    poll_once(settings, store)
    [ticket] = store.list_tickets()
    _, events, outbox = store.get_ticket(ticket.ref)  # type: ignore[misc]
    assert outbox[0].status == "bounced"
    assert any(e.kind == "reply-bounced" for e in events)
    assert len(smtp_sink.wait_for(2, timeout=0.5)) == 1  # the bounce is not answered


def test_own_mail_is_never_answered(opms: Org, smtp_sink: SmtpSink, sqlite_url: str, tmp_path: Path) -> None:
    """A copy of the bot's own reply landing in the mailbox (Cc, misrouting) is ignored."""
    settings = settings_for([opms], smtp_sink.port, sqlite_url, tmp_path)
    store = Store.open(settings.store_url)
    opms.deliver(f"""\
        From: OPMS <{opms.address}>
        To: {opms.address}
        Subject: Votre demande : supprimer mes données
        Message-ID: <own-1@example.com>

        Veuillez supprimer mes données.
        """)
    report = poll_once(settings, store).reports[0]
    assert sum(report.dropped.values()) == 1
    assert store.list_tickets() == []


def test_reply_cap_stops_a_loop_with_one_address(
    opms: Org, smtp_sink: SmtpSink, sqlite_url: str, tmp_path: Path
) -> None:
    """However many requests one address sends in a day, at most the cap are answered;
    every one still gets its ticket."""
    settings = settings_for([opms], smtp_sink.port, sqlite_url, tmp_path, max_replies_per_address_per_day=2)
    store = Store.open(settings.store_url)
    for n in range(4):
        opms.deliver(FRENCH_DELETION.format(to=opms.address, n=f"cap{n}"))
    poll_once(settings, store)
    assert len(store.list_tickets()) == 4
    assert len(smtp_sink.wait_for(3, timeout=1)) == 2


def test_charsets_and_encodings_through_the_server(
    opms: Org, smtp_sink: SmtpSink, sqlite_url: str, tmp_path: Path
) -> None:
    """Each charset and transfer encoding real clients send is read right, end to end."""
    settings = settings_for([opms], smtp_sink.port, sqlite_url, tmp_path)
    store = Store.open(settings.store_url)
    files = sorted((Path(__file__).parent / "mail").glob("charset-*.eml"))
    assert len(files) >= 5
    for path in files:
        opms.dovecot.deliver(opms.address, path.read_bytes())
    poll_once(settings, store)
    tickets = {t.subject: t for t in store.list_tickets()}
    assert len(tickets) == len(files), sorted(tickets)
    for ticket in tickets.values():
        assert ticket.status == "awaiting-verification", (ticket.subject, ticket.labels)
        assert "�" not in ticket.subject and "=?" not in ticket.subject
        assert "Ã" not in ticket.requester_name  # no mojibake
    replies = smtp_sink.wait_for(len(files))
    assert len(replies) == len(files)


def test_oversized_and_malformed_mail_become_tickets_for_a_human(
    opms: Org, smtp_sink: SmtpSink, sqlite_url: str, tmp_path: Path
) -> None:
    """Mail over the size limit is not parsed and garbage is not fatal: both wait for an officer."""
    settings = settings_for([opms], smtp_sink.port, sqlite_url, tmp_path, max_message_bytes=20_000)
    store = Store.open(settings.store_url)
    big = (
        "From: Big <big@example.com>\r\nTo: x\r\nSubject: Mes documents\r\n"
        "Message-ID: <big-1@example.com>\r\nContent-Type: text/plain\r\n\r\n"
        + "Veuillez supprimer mes données.\r\n"
        + "A" * 60_000
        + "\r\n"
    ).encode()
    opms.dovecot.deliver(opms.address, big)
    opms.dovecot.deliver(opms.address, b"\x00\xff\xfe garbage with no headers at all \x01\r\n\r\n\xc3\x28")
    report = poll_once(settings, store).reports[0]
    assert report.taken == 2
    tickets = store.list_tickets()
    assert sorted(t.status for t in tickets) == ["needs-triage", "needs-triage"]
    big_ticket = next(t for t in tickets if t.requester == "big@example.com")
    assert big_ticket.triage_reason == "unreadable"
    _, events, _ = store.get_ticket(big_ticket.ref)  # type: ignore[misc]
    assert any("oversized" in e.detail for e in events)
    assert smtp_sink.wait_for(1, timeout=0.5) == []


def test_smtp_down_then_up_sends_once(opms: Org, sqlite_url: str, tmp_path: Path) -> None:
    """With the relay down the reply waits in the outbox; when it is back it goes, once."""
    sink = SmtpSink()  # not started: connection refused
    settings = settings_for([opms], sink.port, sqlite_url, tmp_path)
    store = Store.open(settings.store_url)
    opms.deliver(FRENCH_DELETION.format(to=opms.address, n="down"))
    first = poll_once(settings, store)
    assert first.sent.delayed == 1 and first.sent.sent == []
    [ticket] = store.list_tickets()
    from intake_bot.responders.outbox import send_pending_replies

    with sink:
        later = datetime.now(UTC) + timedelta(minutes=5)
        report = send_pending_replies(store, settings.smtp, now=later)
        assert len(report.sent) == 1
        again = send_pending_replies(store, settings.smtp, now=later + timedelta(hours=2))
        assert again.sent == []
        assert len(sink.wait_for(2, timeout=1)) == 1
    _, events, outbox = store.get_ticket(ticket.ref)  # type: ignore[misc]
    assert [e.kind for e in events if e.kind.startswith("reply-")] == [
        "reply-queued",
        "reply-delayed",
        "reply-sent",
    ]
    assert outbox[0].status == "sent" and outbox[0].attempts == 2


def test_smtp_temporary_refusal_is_retried(
    opms: Org, smtp_sink: SmtpSink, sqlite_url: str, tmp_path: Path
) -> None:
    """A 4xx from the relay delays the reply; it is not dropped."""
    settings = settings_for([opms], smtp_sink.port, sqlite_url, tmp_path)
    store = Store.open(settings.store_url)
    smtp_sink.refuse("451 4.3.0 try again later")
    opms.deliver(FRENCH_DELETION.format(to=opms.address, n="451"))
    assert poll_once(settings, store).sent.delayed == 1
    smtp_sink.refuse(None)
    from intake_bot.responders.outbox import send_pending_replies

    assert (
        len(send_pending_replies(store, settings.smtp, now=datetime.now(UTC) + timedelta(minutes=1)).sent)
        == 1
    )


def test_imap_connection_dropped_mid_batch(
    opms: Org, smtp_sink: SmtpSink, store_url: str, store: Store, tmp_path: Path
) -> None:
    """A connection cut in the middle of a FETCH loses nothing and doubles nothing."""
    for n in range(7):
        opms.deliver(
            FRENCH_DELETION.format(to=opms.address, n=f"drop{n}").replace(
                "marie@example.com", f"person{n}@example.com"
            )
        )
    proxy = CuttableProxy(opms.dovecot.imap_port)
    try:
        settings = settings_for([opms], smtp_sink.port, store_url, tmp_path, batch_size=3)
        mailbox = settings.organizations[0].mailboxes[0].model_copy(update={"port": proxy.port})
        org = settings.organizations[0].model_copy(update={"mailboxes": (mailbox,)})
        settings = settings.model_copy(update={"organizations": (org,)})
        # Measure what a whole poll reads (into a throwaway store), then cut the
        # connection at 60% of that: after the first batch, inside a later one.
        measure_url = f"sqlite:///{tmp_path / 'measure.db'}"
        poll_once(
            settings.model_copy(update={"store": settings.store.model_copy(update={"url": measure_url})}),
            Store.open(measure_url),
        )
        proxy.cut_after = int(proxy.bytes_from_server * 0.6)
        smtp_sink.deliveries.clear()
        first = poll_once(settings, store)
        assert first.failures and proxy.cuts >= 1
        taken_first = len(store.list_tickets())
        assert 0 < taken_first < 7
        proxy.cut_after = None
        poll_once(settings, store)
    finally:
        proxy.close()
    tickets = store.list_tickets()
    assert len(tickets) == 7
    assert len({t.requester for t in tickets}) == 7
    assert len(smtp_sink.wait_for(8, timeout=1)) == 7


def test_uidvalidity_change_rereads_without_duplicates(
    opms: Org, smtp_sink: SmtpSink, sqlite_url: str, tmp_path: Path
) -> None:
    """If the server renumbers the folder, the bot re-reads it; Message-IDs stop second tickets."""
    settings = settings_for([opms], smtp_sink.port, sqlite_url, tmp_path)
    store = Store.open(settings.store_url)
    opms.deliver(FRENCH_DELETION.format(to=opms.address, n="uv"))
    poll_once(settings, store)
    key = f"{opms.address}/INBOX"
    validity, last = store.mailbox_state(key)
    store.save_mailbox_state(key, (validity or 0) + 1, last)  # as if the folder were rebuilt
    report = poll_once(settings, store).reports[0]
    assert report.taken == 1 and report.dropped == {"already taken": 1}
    assert len(store.list_tickets()) == 1


def test_two_organisations_each_in_their_language(
    opms: Org, omnitech: Org, smtp_sink: SmtpSink, sqlite_url: str, tmp_path: Path
) -> None:
    """Each mailbox belongs to its organisation: refs, sender and language follow it."""
    settings = settings_for([opms, omnitech], smtp_sink.port, sqlite_url, tmp_path)
    store = Store.open(settings.store_url)
    omnitech.deliver(f"""\
        From: Dan <dan@example.net>
        To: {omnitech.address}
        Subject: Copy of my data
        Message-ID: <omni-1@example.net>

        Hello, I would like a copy of the personal information you hold about me.
        """)
    opms.deliver(FRENCH_DELETION.format(to=opms.address, n="two"))
    poll_once(settings, store)
    refs = sorted(t.ref.split("-")[0] for t in store.list_tickets())
    assert refs == ["OMNITECH", "OPMS"]
    replies = {d.recipients[0]: d.message for d in smtp_sink.wait_for(2)}
    assert omnitech.address in replies["dan@example.net"]["From"]
    assert "Hello" in replies["dan@example.net"].get_body(("plain",)).get_content()
    assert "Bonjour" in replies["marie@example.com"].get_body(("plain",)).get_content()


def test_a_reminder_in_reply_to_a_request_the_bot_never_saw_takes_its_title(
    opms: Org, smtp_sink: SmtpSink, sqlite_url: str, tmp_path: Path
) -> None:
    """A reminder sent as a reply to one's own request, which never reached the bot, names the
    request only in the thread's title: a needs-triage ticket with that right, no reply."""
    settings = settings_for([opms], smtp_sink.port, sqlite_url, tmp_path)
    store = Store.open(settings.store_url)
    opms.deliver(f"""\
        From: Marie Tremblay <marie@example.com>
        To: {opms.address}
        Subject: Re: Effacer mon compte et mes données
        Message-ID: <nudge-1@example.com>
        In-Reply-To: <sent-elsewhere@example.com>

        Des nouvelles? Ça fait six semaines.
        """)
    assert _left_to_an_officer(settings, store, smtp_sink).labels == ["deletion"]


def _left_to_an_officer(settings: Settings, store: Store, smtp_sink: SmtpSink) -> Ticket:
    """One poll makes the one delivered message a needs-triage ticket, and sends nothing."""
    poll_once(settings, store)
    [ticket] = store.list_tickets()
    assert ticket.status == "needs-triage"
    assert smtp_sink.wait_for(1, timeout=0.5) == []
    return ticket


def test_a_letter_naming_its_request_by_the_statute_article_reaches_an_officer_with_that_right(
    opms: Org, smtp_sink: SmtpSink, sqlite_url: str, tmp_path: Path
) -> None:
    """A formal letter that names its request only through the statute ("en vertu de l'article
    27 de la Loi 25") opens a ticket with that right, for an officer to confirm, and is not
    answered automatically."""
    settings = settings_for([opms], smtp_sink.port, sqlite_url, tmp_path)
    store = Store.open(settings.store_url)
    opms.deliver(f"""\
        From: Louise Gagnon <lgagnon@example.com>
        To: {opms.address}
        Subject: Dossier 2026-114
        Message-ID: <statute-1@example.com>

        Madame, Monsieur,

        Je vous adresse la présente en vertu de l'article 27 de la Loi sur la protection des
        renseignements personnels dans le secteur privé.

        Louise Gagnon
        """)
    assert _left_to_an_officer(settings, store, smtp_sink).labels == ["access"]


def test_a_report_of_someone_elses_data_goes_to_an_officer_as_an_incident(
    opms: Org, smtp_sink: SmtpSink, sqlite_url: str, tmp_path: Path
) -> None:
    """A client who sees other clients' data reports a confidentiality incident: a
    needs-triage ticket that says so, in its trail and as its reason for officers, and no
    automatic acknowledgement."""
    settings = settings_for([opms], smtp_sink.port, sqlite_url, tmp_path)
    store = Store.open(settings.store_url)
    opms.deliver(f"""\
        From: Aaron Blake <aaron@example.net>
        To: {opms.address}
        Subject: I can see someone else's info
        Message-ID: <incident-1@example.net>

        Hi, this is probably urgent. When I opened the "Clients" tab today I could see a list
        of clients that aren't mine: names, phone numbers, addresses. I haven't touched anything.
        """)
    ticket = _left_to_an_officer(settings, store, smtp_sink)
    assert ticket.triage_reason == "incident"
    _, events, _ = store.get_ticket(ticket.ref)  # type: ignore[misc]
    assert any("possible confidentiality incident" in e.detail for e in events)


def test_each_needs_triage_ticket_keeps_why_it_waits_for_an_officer(
    opms: Org, smtp_sink: SmtpSink, store_url: str, store: Store, tmp_path: Path
) -> None:
    """A message that asks for no privacy right, and one whose right rests on a low score,
    each wait for an officer with their reason as a code on the ticket (on SQLite and
    PostgreSQL); the trail keeps the reason in words."""
    settings = settings_for([opms], smtp_sink.port, store_url, tmp_path)
    opms.deliver(f"""\
        From: Tom <tom@example.com>
        To: {opms.address}
        Subject: Prix
        Message-ID: <no-right-1@example.com>

        Bonjour, combien coûte votre service pour une petite équipe? Merci.
        """)
    opms.deliver(REMINDER.format(to=opms.address))  # a reminder of a request the bot never saw
    poll_once(settings, store)
    by_sender = {t.requester: t for t in store.list_tickets()}
    price, reminder = by_sender["tom@example.com"], by_sender["paul@example.com"]
    assert (price.status, price.labels, price.triage_reason) == ("needs-triage", [], "no-right")
    assert (reminder.status, reminder.labels, reminder.triage_reason) == (
        "needs-triage",
        ["deletion"],
        "not-sure",
    )
    _, events, _ = store.get_ticket(price.ref)  # type: ignore[misc]
    assert any("needs triage: no privacy right recognised" in e.detail for e in events)
    assert smtp_sink.wait_for(1, timeout=0.5) == []


def test_a_request_in_the_subject_alone_is_answered_in_its_language(
    opms: Org, smtp_sink: SmtpSink, sqlite_url: str, tmp_path: Path
) -> None:
    """A body that cannot tell the language ("." under the subject "Unsubscribe me", sent by a
    phone's mail app) takes the subject's, not the French organisation's default."""
    settings = settings_for([opms], smtp_sink.port, sqlite_url, tmp_path)
    store = Store.open(settings.store_url)
    opms.deliver(f"""\
        From: Kim <kim@example.net>
        To: {opms.address}
        Subject: Unsubscribe me please
        Message-ID: <subject-only@example.net>

        .
        """)
    poll_once(settings, store)
    [ticket] = store.list_tickets()
    assert ticket.lang == "en" and ticket.labels == ["opt-out"]
    [reply] = smtp_sink.wait_for(1)
    assert "Hello" in reply.message.get_body(("plain",)).get_content()


def test_same_batch_duplicate_and_follow_up(
    opms: Org, smtp_sink: SmtpSink, store_url: str, store: Store, tmp_path: Path
) -> None:
    """Within one batch, a second copy of a message is dropped and a reply to an earlier
    message of the batch joins its ticket, exactly as across batches."""
    settings = settings_for([opms], smtp_sink.port, store_url, tmp_path)
    original = FRENCH_DELETION.format(to=opms.address, n="batch")
    opms.deliver(original)
    opms.deliver(original)  # delivered twice (a second MX, a resend by the client)
    opms.deliver(f"""\
        From: Marie Tremblay <marie@example.com>
        To: {opms.address}
        Subject: Re: Suppression de mes données
        Message-ID: <batch-followup@example.com>
        In-Reply-To: <del-batch@example.com>

        ok
        """)
    report = poll_once(settings, store).reports[0]
    assert report.taken == 3
    assert report.dropped == {"already taken": 1}
    [ticket] = store.list_tickets()
    assert report.opened == [ticket.ref] and report.joined == [ticket.ref]
    assert ticket.lang == "fr"
    _, events, _ = store.get_ticket(ticket.ref)  # type: ignore[misc]
    assert [e.kind for e in events].count("follow-up") == 1
    assert len(smtp_sink.wait_for(2, timeout=1)) == 1


def test_a_failing_step_leaves_a_ticket_for_a_human(
    opms: Org, smtp_sink: SmtpSink, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug in one step (here the classifier) does not stop the mailbox nor lose the message:
    it becomes a needs-triage ticket, with the failure on its trail, and gets no reply."""
    import intake_bot.pipeline as pipeline

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("classifier bug")

    monkeypatch.setattr(pipeline, "classify_request", broken)
    settings = settings_for([opms], smtp_sink.port, sqlite_url, tmp_path)
    store = Store.open(settings.store_url)
    opms.deliver(FRENCH_DELETION.format(to=opms.address, n="shunt"))
    _left_to_an_officer_for_an_error(settings, store, smtp_sink, "classify: failed (RuntimeError)")
    assert poll_once(settings, store).reports[0].taken == 0  # not retried in a loop


def _left_to_an_officer_for_an_error(
    settings: Settings, store: Store, smtp_sink: SmtpSink, trail: str
) -> None:
    """One poll leaves the one delivered message as a needs-triage ticket whose reason is an
    error, with *trail* in its audit trail, and sends nothing."""
    report = poll_once(settings, store).reports[0]
    assert report.triage and not report.opened
    [ticket] = store.list_tickets()
    assert (ticket.status, ticket.triage_reason) == ("needs-triage", "error")
    _, events, outbox = store.get_ticket(ticket.ref)  # type: ignore[misc]
    assert any(trail in e.detail for e in events)
    assert outbox == [] and smtp_sink.wait_for(1, timeout=0.5) == []


def test_a_batch_that_cannot_be_recorded_leaves_each_message_to_a_human(
    opms: Org, smtp_sink: SmtpSink, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug while writing a batch (here on its first ticket's row) does not lose it: each
    message is kept alone as a needs-triage ticket whose reason is an error, with no reply."""
    import intake_bot.pipeline as pipeline

    real, calls = pipeline._new_ticket, []

    def fails_once(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise ValueError("a bug in the ticket's row")
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "_new_ticket", fails_once)
    settings = settings_for([opms], smtp_sink.port, sqlite_url, tmp_path)
    store = Store.open(settings.store_url)
    opms.deliver(FRENCH_DELETION.format(to=opms.address, n="unrecorded"))
    _left_to_an_officer_for_an_error(settings, store, smtp_sink, "record: failed (ValueError)")


REMINDER = """\
    From: Paul Gagnon <paul@example.com>
    To: {to}
    Subject: Second request
    Message-ID: <remind-1@example.com>

    Hello, this is my second request: my erasure request of 4 May has gone unanswered.
    """


def test_a_reminder_of_an_unanswered_request_goes_to_an_officer(
    opms: Org, smtp_sink: SmtpSink, sqlite_url: str, tmp_path: Path
) -> None:
    """A reminder of a request the bot never saw (sent by post, or lost) opens a ticket with the
    right it chases, for an officer to look at: no automatic acknowledgement."""
    settings = settings_for([opms], smtp_sink.port, sqlite_url, tmp_path)
    store = Store.open(settings.store_url)
    opms.deliver(REMINDER.format(to=opms.address))
    report = poll_once(settings, store).reports[0]
    assert report.taken == 1
    [ticket] = store.list_tickets()
    assert ticket.labels == ["deletion"]
    assert ticket.status == "needs-triage"
    assert smtp_sink.wait_for(1, timeout=0.5) == []
