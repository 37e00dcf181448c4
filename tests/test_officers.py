"""Officers: reminders before each deadline and once overdue, and the daily digest,
each sent once ever, in each officer's language, on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import os
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from intake_bot.config import OfficerSettings, Settings
from intake_bot.notices import queue_digests, queue_reminders
from intake_bot.relay import SmtpSink
from intake_bot.responders.outbox import send_pending_replies
from intake_bot.service import poll_once
from intake_bot.store import Store, Ticket
from tests.conftest import Org, settings_for, toml_for
from tests.test_intake_imap import REMINDER

pytestmark = [pytest.mark.dovecot, pytest.mark.smtp]

TORONTO = ZoneInfo("America/Toronto")
OFFICERS = (
    OfficerSettings(name="Olivier Pignolet", email="olivier@opms.example", language="fr"),
    OfficerSettings(name="Dana Smith", email="dana@opms.example", language="en"),
)


def _settings(org: Org, sink: SmtpSink, store_url: str, tmp_path: Path, **org_changes: object) -> Settings:
    settings = settings_for([org], sink.port, store_url, tmp_path)
    changed = settings.organizations[0].model_copy(update={"officers": OFFICERS, **org_changes})
    return settings.model_copy(update={"organizations": (changed,)})


def _receive(org: Org, n: str, when: datetime, sender: str = "person@example.com") -> None:
    """A request that arrived at *when* (IMAP APPEND sets the server's arrival date)."""
    raw = (
        f"From: Person <{sender}>\r\nTo: {org.address}\r\nSubject: Demande {n}\r\n"
        f"Message-ID: <officers-{n}@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Bonjour, veuillez supprimer toutes mes données personnelles.\r\n"
    ).encode()
    org.dovecot.append(org.address, raw, when=when)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _notices(sink: SmtpSink, store: Store, settings: Settings, now: datetime, before: int) -> list[str]:
    send_pending_replies(store, settings.smtp, now=now)
    return [d.message["Subject"] for d in sink.deliveries[before:]]


def test_reminders_at_each_threshold_and_overdue_once_each(
    opms: Org, smtp_sink: SmtpSink, store_url: str, store: Store, tmp_path: Path
) -> None:
    """7, 3 and 1 days before the due date and once overdue, each officer gets one reminder
    in their language; running again at the same instant sends nothing."""
    settings = _settings(opms, smtp_sink, store_url, tmp_path)
    _receive(opms, "a", datetime(2026, 11, 1, 10, 0, tzinfo=TORONTO))  # due 2026-12-01
    poll_once(settings, store)
    [ticket] = store.list_tickets()
    assert ticket.due_at.astimezone(TORONTO).date().isoformat() == "2026-12-01"
    start = len(smtp_sink.wait_for(1))

    assert queue_reminders(settings, store, _at("2026-11-23T12:00-05:00")) == []  # 8 days left
    seen = start
    for instant, word_fr, word_en in [
        ("2026-11-24T09:00-05:00", "Rappel", "Reminder"),  # 7 days left
        ("2026-11-28T09:00-05:00", "Rappel", "Reminder"),  # 3
        ("2026-11-30T09:00-05:00", "Rappel", "Reminder"),  # 1
        ("2026-12-02T00:30-05:00", "EN RETARD", "OVERDUE"),  # past 23:59:59 on the due day
    ]:
        now = _at(instant)
        lines = queue_reminders(settings, store, now)
        assert sorted((line.officer, line.language) for line in lines) == [
            ("dana@opms.example", "en"),
            ("olivier@opms.example", "fr"),
        ]
        assert queue_reminders(settings, store, now) == []  # a rerun: nothing more
        subjects = _notices(smtp_sink, store, settings, now, seen)
        seen += len(subjects)
        assert (
            len(subjects) == 2 and any(word_fr in s for s in subjects) and any(word_en in s for s in subjects)
        )
    reminders = [d for d in smtp_sink.deliveries[start:]]
    assert {r.recipients[0] for r in reminders} == {"olivier@opms.example", "dana@opms.example"}
    assert all(r.message["Auto-Submitted"] == "auto-generated" for r in reminders)
    _, events, _ = store.get_ticket(ticket.ref)  # type: ignore[misc]
    assert sum(e.kind == "reminder-queued" for e in events) == 8


def test_missed_thresholds_closed_and_assigned_tickets(
    opms: Org, smtp_sink: SmtpSink, store_url: str, store: Store, tmp_path: Path
) -> None:
    """Back after being down past two thresholds: one reminder, not two. Closed tickets are
    never reminded; an assigned ticket reminds only its officer."""
    settings = _settings(opms, smtp_sink, store_url, tmp_path)
    for n, sender in (("m1", "a@example.com"), ("m2", "b@example.com"), ("m3", "c@example.com")):
        _receive(opms, n, datetime(2026, 11, 10, 9, 0, tzinfo=TORONTO), sender=sender)  # due 2026-12-10
    poll_once(settings, store)
    first, closed, assigned = sorted(store.list_tickets(), key=lambda t: t.ref)
    with store.transaction() as session:
        session.get(Ticket, closed.id).status = "closed"  # type: ignore[union-attr]
        session.get(Ticket, assigned.id).assigned_to = "dana@opms.example"  # type: ignore[union-attr]

    lines = queue_reminders(settings, store, _at("2026-12-08T10:00-05:00"))  # 2 days left: 7 and 3 passed
    assert sorted((line.what.split()[0], line.officer) for line in lines) == sorted(
        [
            (first.ref, "olivier@opms.example"),
            (first.ref, "dana@opms.example"),
            (assigned.ref, "dana@opms.example"),
        ]
    )
    assert all("3-day reminder" in line.what for line in lines)
    later = queue_reminders(settings, store, _at("2026-12-09T10:00-05:00"))  # 1 day left
    assert len(later) == 3 and all("1-day reminder" in line.what for line in later)
    assert all(closed.ref not in line.what for line in lines + later)


def test_daily_digest_per_officer_and_language_across_daylight_saving(
    opms: Org, smtp_sink: SmtpSink, store_url: str, store: Store, tmp_path: Path
) -> None:
    """The digest goes out at 08:00 Toronto time before and after the switch to standard
    time (2026-11-01), once a day per officer, text and HTML, overdue first, triage called
    out, with refs and rights but no requester addresses."""
    settings = _settings(opms, smtp_sink, store_url, tmp_path)
    _receive(opms, "old", datetime(2026, 9, 20, 9, 0, tzinfo=TORONTO))  # due 2026-10-20: overdue
    _receive(opms, "new", datetime(2026, 10, 30, 9, 0, tzinfo=TORONTO))
    opms.dovecot.append(
        opms.address,
        (
            f"From: Tom <tom@example.com>\r\nTo: {opms.address}\r\nSubject: Prix\r\n"
            "Message-ID: <officers-sales@example.com>\r\n\r\nCombien coute votre service ?\r\n"
        ).encode(),
        when=datetime(2026, 10, 30, 10, 0, tzinfo=TORONTO),
    )
    poll_once(settings, store)
    assert len(store.list_tickets()) == 3
    start = len(smtp_sink.wait_for(2))

    def digests(instant: str) -> list[str]:
        return [line.officer for line in queue_digests(settings, store, _at(instant), on_schedule=True)]

    assert digests("2026-10-31T11:59:00+00:00") == []  # 07:59 EDT
    assert sorted(digests("2026-10-31T12:00:00+00:00")) == ["dana@opms.example", "olivier@opms.example"]
    assert digests("2026-10-31T20:00:00+00:00") == []  # already sent today
    assert digests("2026-11-01T12:30:00+00:00") == []  # 07:30 EST, the first day of standard time
    assert len(digests("2026-11-01T13:00:00+00:00")) == 2  # 08:00 EST
    send_pending_replies(store, settings.smtp, now=_at("2026-11-01T13:00:00+00:00"))
    mails = {d.recipients[0]: d.message for d in smtp_sink.wait_for(start + 4)[start:]}
    assert len(smtp_sink.deliveries) == start + 4
    french = (
        smtp_sink.deliveries[-1].message
        if smtp_sink.deliveries[-1].recipients[0].startswith("olivier")
        else smtp_sink.deliveries[-2].message
    )
    assert french.get_content_type() == "multipart/alternative"
    text = french.get_body(("plain",)).get_content()
    html = french.get_body(("html",)).get_content()
    refs = sorted(t.ref for t in store.list_tickets())
    assert "EN RETARD" in text and "À trier (1)" in text and "<table" in html
    triage = text.split("À trier (1)")[1].splitlines()[1]  # the sales question, with what was read in it
    assert "aucune reconnue" in triage and "(aucune reconnue)" in html
    assert text.index(refs[0]) < text.index(refs[1])  # the overdue one first
    assert "person@example.com" not in text and "tom@example.com" not in html
    assert "OVERDUE" in mails["dana@opms.example"].get_body(("plain",)).get_content()


def _append(org: Org, text: str, when: datetime) -> None:
    """Mail written as indented text in the test, received at *when*."""
    raw = textwrap.dedent(text).lstrip().replace("\n", "\r\n").encode()
    org.dovecot.append(org.address, raw, when=when)


def _ask_a_price(org: Org, n: str, when: datetime) -> None:
    """A question that asks for no privacy right: a needs-triage ticket."""
    _append(
        org,
        f"""\
        From: Tom <tom{n}@example.com>
        To: {org.address}
        Subject: Prix {n}
        Message-ID: <officers-price-{n}@example.com>

        Combien coute votre service ?
        """,
        when,
    )


def test_digest_says_why_each_ticket_waits_and_puts_possible_incidents_first(
    opms: Org, smtp_sink: SmtpSink, store_url: str, store: Store, tmp_path: Path
) -> None:
    """The digest's triage list gives each ticket's reason in the officer's language, and a
    possible confidentiality incident comes first under a marker, even when due last (Quebec's
    s. 3.5 asks for prompt action); a ticket from before the reasons were kept shows none.
    The rest of the digest does not repeat the reasons."""
    settings = _settings(opms, smtp_sink, store_url, tmp_path)
    _receive(opms, "ok", datetime(2026, 10, 20, 9, 0, tzinfo=TORONTO))  # a request: not to triage
    _append(
        opms,
        f"""\
        From: Aaron Blake <aaron@example.net>
        To: {opms.address}
        Subject: I can see someone else's info
        Message-ID: <officers-incident@example.net>

        Hi, this is probably urgent. When I opened the "Clients" tab today I could see a list
        of clients that aren't mine: names, phone numbers, addresses. I haven't touched anything.
        """,
        datetime(2026, 10, 30, 12, 0, tzinfo=TORONTO),  # received last, so due last
    )
    _append(opms, REMINDER.format(to=opms.address), datetime(2026, 10, 21, 9, 0, tzinfo=TORONTO))
    for n, day in (("a", 22), ("b", 23), ("c", 24), ("d", 25)):
        _ask_a_price(opms, n, datetime(2026, 10, day, 9, 0, tzinfo=TORONTO))
    poll_once(settings, store)
    tickets = {t.requester: t for t in store.list_tickets()}
    incident, chase = tickets["aaron@example.net"], tickets["paul@example.com"]
    price, unreadable, failed, old = (tickets[f"tom{n}@example.com"] for n in "abcd")
    assert [t.triage_reason for t in (incident, chase, price)] == ["incident", "not-sure", "no-right"]
    # Reasons the pipeline gives to mail this test cannot easily make, and a ticket opened
    # before the column existed.
    with store.transaction() as session:
        for ticket, code in ((unreadable, "unreadable"), (failed, "error"), (old, None)):
            session.get(Ticket, ticket.id).triage_reason = code  # type: ignore[union-attr]
    start = len(smtp_sink.deliveries)

    now = _at("2026-11-02T13:00:00+00:00")
    assert len(queue_digests(settings, store, now)) == 2
    send_pending_replies(store, settings.smtp, now=now)
    mails = {d.recipients[0]: d.message for d in smtp_sink.wait_for(start + 2)[start:]}
    expected = {
        "olivier@opms.example": (
            "À trier (6)",
            "POSSIBLE INCIDENT DE CONFIDENTIALITÉ",
            "la personne dit avoir vu ou reçu les renseignements personnels de quelqu'un d'autre",
            {
                chase.ref: "droit incertain : confirmez les droits demandés",
                price.ref: "aucun droit reconnu",
                unreadable.ref: "trop volumineux ou illisible",
                failed.ref: "le robot a échoué",
            },
        ),
        "dana@opms.example": (
            "To triage (6)",
            "POSSIBLE CONFIDENTIALITY INCIDENT",
            "the sender says they saw or received someone else's personal information; read it now",
            {
                chase.ref: "not sure which right is asked for: confirm the rights",
                price.ref: "no privacy right recognised",
                unreadable.ref: "too large or unreadable",
                failed.ref: "the bot failed",
            },
        ),
    }
    for officer, (heading, marker, incident_words, phrases) in expected.items():
        text = mails[officer].get_body(("plain",)).get_content()
        page = html.unescape(mails[officer].get_body(("html",)).get_content())
        first, *others = text.split(heading)[1].splitlines()[1:7]
        assert first.startswith(f"  {marker}  {incident.ref}  ") and incident_words in first
        # The others keep their order by due date; each says why, except the old ticket.
        refs = [chase.ref, price.ref, unreadable.ref, failed.ref, old.ref]
        assert [line.split()[0] for line in others] == refs
        for line in others[:-1]:
            where, _, why = line.partition("  — ")
            assert phrases[where.split()[0]] in why and marker not in line
        assert "  — " not in others[-1]  # the old ticket: no reason kept, none shown
        assert text.count(marker) == 1 and all(text.count(p) == 1 for p in phrases.values())
        assert page.index(marker) < page.index(incident.ref) < min(page.index(r) for r in phrases)
        assert incident_words in page and all(p in page for p in phrases.values())
        assert "aaron@example.net" not in text + page


def test_no_digest_to_an_officer_with_nothing_open(
    opms: Org, smtp_sink: SmtpSink, sqlite_url: str, tmp_path: Path
) -> None:
    settings = _settings(opms, smtp_sink, sqlite_url, tmp_path)
    store = Store.open(sqlite_url)
    assert queue_digests(settings, store, _at("2026-11-02T15:00:00+00:00")) == []
    keen = _settings(opms, smtp_sink, sqlite_url, tmp_path, digest_when_empty=True)
    assert len(queue_digests(keen, store, _at("2026-11-02T15:00:00+00:00"))) == 2


def test_reminders_and_digest_commands(
    opms: Org, smtp_sink: SmtpSink, sqlite_url: str, tmp_path: Path
) -> None:
    """`reminders --dry-run` says what it would send and sends nothing; without it, it sends."""
    settings = settings_for([opms], smtp_sink.port, sqlite_url, tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(toml_for(settings))
    _receive(opms, "cli", datetime(2026, 11, 1, 10, 0, tzinfo=TORONTO))
    poll_once(settings, Store.open(sqlite_url))
    start = len(smtp_sink.wait_for(1))
    env = {**os.environ, "INTAKE_TEST_IMAP_PASSWORD": "secret"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "intake_bot", "--config", str(config), *args],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )

    dry = cli("reminders", "--now", "2026-11-24T09:00-05:00", "--dry-run")
    assert dry.returncode == 0 and dry.stdout.startswith("would send: opms -> officer@opms.example (fr)")
    assert len(smtp_sink.wait_for(start + 1, timeout=1)) == start
    sent = cli("reminders", "--now", "2026-11-24T09:00-05:00")
    assert "queued:" in sent.stdout and "sent 1 message(s)" in sent.stdout
    assert cli("reminders", "--now", "2026-11-24T09:00-05:00").stdout.startswith("no reminders due")
    digest = cli("digest", "--now", "2026-11-24T09:00-05:00")
    assert "digest: 1 open" in digest.stdout
    assert len(smtp_sink.wait_for(start + 2)) == start + 2
    bad = cli("digest", "--now", "yesterday")
    assert bad.returncode == 2 and "not an ISO 8601 date and time" in bad.stderr
