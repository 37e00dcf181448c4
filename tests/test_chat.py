"""The website chat over HTTP, against the real service (uvicorn on a loopback port), its
outbox sender, an aiosmtpd relay, and SQLite or PostgreSQL: whole conversations and abuse."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from intake_bot.chat import purge_idle_conversations
from intake_bot.config import parse_settings
from intake_bot.errors import ConfigError
from intake_bot.relay import SmtpSink
from intake_bot.retention import ERASED, erase_expired
from intake_bot.store import ChatConversation, Event, Status, Ticket
from tests.chat_helpers import ChatServer, chat_settings, running_chat, tickets_listed

pytestmark = pytest.mark.smtp


def _ticket(server: ChatServer, ref: str) -> tuple[Ticket, list[Event]]:
    found = server.store.get_ticket(ref)
    assert found is not None
    ticket, events, _ = found
    return ticket, events


@pytest.fixture
def chat(store_url: str, tmp_path: Path, smtp_sink: SmtpSink, request: pytest.FixtureRequest) -> Any:
    overrides = getattr(request, "param", {})
    settings = chat_settings(smtp_sink.port, store_url, tmp_path, **overrides)
    with running_chat(settings, smtp_sink) as server:
        yield server


def test_french_deletion_in_the_chat_becomes_a_verified_ticket(chat: ChatServer, tmp_path: Path) -> None:
    """The issue's path: a French deletion request typed freely, the address, the code mailed
    in French, a wrong code, the right one: a verified `chat` ticket with its legal due date,
    the transcript on its trail, no code anywhere in the store, visible in `tickets list`."""
    token, first = chat.start("fr")
    assert first["step"] == "request" and first["lang"] == "fr"
    assert "OPMS" in first["messages"][0]["text"]

    asked = chat.say(token, "Bonjour, je veux que vous effaciez toutes mes données svp")
    assert asked["step"] == "email" and asked["expects"] == "email"
    assert "suppression" in asked["messages"][0]["text"]

    sent = chat.say(token, "Mon courriel : Marie.Roy@Example.com")
    assert sent["step"] == "code" and sent["expects"] == "code"
    ref = sent["ref"]
    assert ref and ref.startswith("OPMS-")
    code = chat.code_mailed_to("marie.roy@example.com")
    mail = chat.relay.deliveries[-1].message
    assert "confirmez votre identité" in str(mail["Subject"])
    assert "clavardage" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]

    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert chat.say(token, wrong)["messages"][0]["text"].startswith("Ce code ne correspond pas")
    done = chat.say(token, f"{code[:3]} {code[3:]}")
    assert done["step"] == "done"
    assert ref in done["messages"][0]["text"] and "identité est confirmée" in done["messages"][0]["text"]

    ticket, events = _ticket(chat, ref)
    assert (ticket.channel, ticket.status, ticket.labels, ticket.lang) == (
        "chat",
        "verified",
        ["deletion"],
        "fr",
    )
    assert ticket.requester == "marie.roy@example.com"
    assert ticket.code_hash is None and ticket.code_attempts == 1
    assert (
        ticket.due_at.astimezone(ticket.due_at.tzinfo).date()
        >= (ticket.received_at + timedelta(days=30)).date()
    )
    transcript = [e.detail for e in events if e.kind == "chat"]
    assert "visitor: Bonjour, je veux que vous effaciez toutes mes données svp" in transcript
    assert any(line.startswith("bot: J'ai compris") for line in transcript)
    trail = "\n".join(e.detail for e in events)
    assert code not in trail and wrong not in trail and f"{code[:3]} {code[3:]}" not in trail
    assert "identity verified" in trail

    confirmation = chat.relay.wait_for(2, 10)[-1]
    assert confirmation.recipients == ("marie.roy@example.com",)

    rows = tickets_listed(chat, tmp_path)
    assert [(r["ref"], r["channel"], r["status"]) for r in rows] == [(ref, "chat", "verified")]


def test_an_unsure_request_gets_a_clarifying_question_and_follows_the_visitor_language(
    chat: ChatServer,
) -> None:
    """A greeting says no right: the bot asks which one, with choices; a choice answers it.
    The visitor writes English on a French page: the bot answers in English."""
    token, _ = chat.start("fr")
    asked = chat.say(token, "Hello, I have a question about my account")
    assert asked["lang"] == "en" and asked["step"] == "rights"
    assert {c["value"] for c in asked["choices"]} == {"access", "correction", "deletion", "opt-out", "other"}
    chosen = chat.say(token, choice="opt-out")
    assert chosen["step"] == "email"
    assert (
        chosen["messages"][0]["text"] == "I understand that you are asking for: opt-out from communications."
    )

    token, _ = chat.start("en")
    assert chat.say(token, "hmm")["step"] == "rights"
    typed = chat.say(token, "I would like a copy of the information you have about me")
    assert typed["step"] == "email" and "access" in typed["messages"][0]["text"]


def test_something_else_points_to_the_mailbox_and_opens_no_ticket(chat: ChatServer) -> None:
    token, _ = chat.start("fr")
    chat.say(token, "Quels sont vos heures d'ouverture?")
    other = chat.say(token, choice="other")
    assert "contact@opms.example" in other["messages"][0]["text"]
    assert other["step"] == "request"
    assert chat.store.list_tickets() == []


def test_the_visitor_may_correct_the_right_and_the_address_before_verifying(chat: ChatServer) -> None:
    """'That is not what I meant' and 'use another address' change the open ticket, not open another."""
    token, _ = chat.start("en")
    assert chat.say(token, "please delete my account")["step"] == "email"
    assert chat.say(token, choice="change-rights")["step"] == "rights"
    assert chat.say(token, choice="access")["step"] == "email"
    stale = chat.say(token, choice="resend")  # a button of another step (an old tab, a forged call)
    assert stale["step"] == "email" and stale["messages"][0]["text"].startswith("To confirm that it is you")
    ref = chat.say(token, "first@example.org")["ref"]
    assert chat.say(token, choice="change-email")["step"] == "email"
    again = chat.say(token, "second@example.org")
    assert again["ref"] == ref
    code = chat.code_mailed_to("second@example.org")
    chat.code_mailed_to("first@example.org")
    assert chat.say(token, code)["step"] == "done"
    ticket, events = _ticket(chat, ref)
    assert (ticket.requester, ticket.labels, ticket.status) == ("second@example.org", ["access"], "verified")
    assert any(e.kind == "requester-changed" for e in events)
    assert len(chat.store.list_tickets()) == 1


@pytest.mark.parametrize("chat", [{"intake": {"max_code_attempts": 2}}], indirect=True)
def test_wrong_codes_lock_the_ticket_for_an_officer(chat: ChatServer) -> None:
    token, _ = chat.start("en")
    chat.say(token, "remove me from your mailing list")
    ref = chat.say(token, "someone@example.net")["ref"]
    code = chat.code_mailed_to("someone@example.net")
    wrong = f"{(int(code) + 7) % 1_000_000:06d}"
    assert chat.say(token, wrong)["step"] == "code"
    locked = chat.say(token, wrong)
    assert locked["step"] == "closed" and ref in locked["messages"][0]["text"]
    assert chat.say(token, code)["step"] == "closed"  # even the right code, now
    ticket, events = _ticket(chat, ref)
    assert ticket.status == Status.AWAITING_VERIFICATION.value
    assert any(e.kind == "code-locked" for e in events)


@pytest.mark.parametrize("chat", [{"codes_per_address_per_day": 2}], indirect=True)
def test_codes_to_one_address_are_limited(chat: ChatServer) -> None:
    """Someone typing a stranger's address again and again cannot flood that inbox."""
    for _ in range(2):
        token, _ = chat.start("en")
        chat.say(token, "delete my data")
        assert chat.say(token, "victim@example.com")["step"] == "code"
    token, _ = chat.start("en")
    chat.say(token, "delete my data")
    refused = chat.say(token, "VICTIM@example.com")
    assert refused["step"] == "email" and "Too many codes" in refused["messages"][0]["text"]
    assert len(chat.store.list_tickets()) == 2


def test_the_organisations_own_address_is_refused(chat: ChatServer) -> None:
    token, _ = chat.start("fr")
    chat.say(token, "supprimez mon compte")
    refused = chat.say(token, "contact@opms.example")
    assert refused["step"] == "email" and "notre propre adresse" in refused["messages"][0]["text"]


def test_only_allowed_origins_may_use_the_chat(chat: ChatServer) -> None:
    """CORS: the organisation's sites and the service's own page; anything else is refused,
    including a request with no Origin at all, and nothing is created."""
    evil = chat.post("/conversations", {"lang": "fr"}, origin="https://evil.example")
    assert evil.status_code == 403 and evil.json()["error"] == "origin"
    assert "access-control-allow-origin" not in evil.headers
    assert chat.post("/conversations", {"lang": "fr"}, origin=None).status_code == 403
    preflight = httpx.options(
        f"{chat.base}/chat/opms/conversations",
        headers={"Origin": chat.origin, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == chat.origin
    assert "Content-Type" in preflight.headers["access-control-allow-headers"]
    bad_preflight = httpx.options(
        f"{chat.base}/chat/opms/conversations", headers={"Origin": "https://evil.example"}
    )
    assert bad_preflight.status_code == 403
    ok = chat.post("/conversations", {"lang": "fr"})
    assert ok.status_code == 201 and ok.headers["access-control-allow-origin"] == chat.origin
    own = chat.post("/conversations", {"lang": "fr"}, origin=chat.base)  # the service's own page
    assert own.status_code == 201
    with chat.store.sessions() as session:
        assert len(session.scalars(select(ChatConversation)).all()) == 2
    assert chat.post("/conversations", {}, origin=chat.origin).status_code == 201
    unknown = httpx.post(f"{chat.base}/chat/nobody/conversations", json={}, headers={"Origin": chat.origin})
    assert unknown.status_code == 404


@pytest.mark.parametrize("chat", [{"messages_per_minute": 5, "conversations_per_hour": 3}], indirect=True)
def test_flooding_is_refused_with_retry_after(chat: ChatServer) -> None:
    token, _ = chat.start("fr")
    statuses = [chat.post("/messages", {"conversation": token, "text": "allo"}).status_code for _ in range(7)]
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429, 429]
    limited = chat.post("/messages", {"conversation": token, "text": "allo"})
    assert limited.headers["retry-after"].isdigit() and "fr" in limited.json()["message"]
    starts = [chat.post("/conversations", {"lang": "fr"}).status_code for _ in range(3)]
    assert starts == [201, 201, 429]  # the first start above counted too


@pytest.mark.parametrize("chat", [{"max_message_chars": 200, "max_turns": 5}], indirect=True)
def test_oversized_malformed_and_endless_input_is_refused(chat: ChatServer) -> None:
    token, _ = chat.start("fr")
    too_long = chat.post("/messages", {"conversation": token, "text": "effacez " * 40})
    assert too_long.status_code == 413 and "200" in too_long.json()["message"]["fr"]
    huge = chat.post("/messages", {"conversation": token, "text": "x" * 200_000})
    assert huge.status_code == 413
    not_json = httpx.post(
        f"{chat.base}/chat/opms/messages",
        content=b"text=hello",
        headers={"Origin": chat.origin, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert not_json.status_code == 400
    wrong_types = chat.post("/messages", {"conversation": token, "text": ["a"]})
    assert wrong_types.status_code == 400
    assert chat.post("/messages", {"conversation": "forged", "text": "allo"}).status_code == 410
    for _ in range(5):
        chat.say(token, "allo")
    endless = chat.post("/messages", {"conversation": token, "text": "allo"})
    assert endless.status_code == 429 and endless.json()["error"] == "turns"
    assert chat.store.list_tickets() == []


def test_markup_from_visitors_and_config_is_never_served_as_markup(
    store_url: str, tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    """Visitor text is not echoed back by the server; the organisation's strings reach the
    page escaped and the widget as JSON that cannot close its script."""
    settings = chat_settings(smtp_sink.port, store_url, tmp_path, name="OPMS </script><b>&")
    with running_chat(settings, smtp_sink) as chat:
        token, first = chat.start("fr")
        injected = '<img src=x onerror="alert(1)">'
        reply = chat.say(token, injected)
        assert injected not in json.dumps(reply) and "<img" not in json.dumps(reply)
        page = httpx.get(f"{chat.base}/chat/opms/")
        assert "OPMS &lt;/script&gt;&lt;b&gt;&amp;" in page.text and "</script><b>" not in page.text
        assert "script-src 'self'" in page.headers["content-security-policy"]
        widget = httpx.get(f"{chat.base}/chat/opms/widget.js")
        assert widget.headers["content-type"].startswith("text/javascript")
        assert "</script>" not in widget.text and "\\u003c/script\\u003e" in widget.text
        assert "innerHTML" not in widget.text and "insertAdjacentHTML" not in widget.text
        assert "OPMS </script>" in first["messages"][0]["text"]  # JSON, shown with textContent


def test_idle_conversations_are_deleted_and_end(chat: ChatServer) -> None:
    """A request left without an address cannot be answered; its text must not linger."""
    token, _ = chat.start("fr")
    chat.say(token, "je veux une copie de mon dossier")
    later = datetime.now(UTC) + timedelta(minutes=chat.settings.chat.idle_minutes + 1)
    assert purge_idle_conversations(chat.settings, chat.store, later) == 1
    gone = chat.post("/messages", {"conversation": token, "text": "allo"})
    assert gone.status_code == 410 and gone.json()["error"] == "gone"


def test_retention_erases_the_transcript_with_the_rest(chat: ChatServer) -> None:
    token, _ = chat.start("en")
    chat.say(token, "My name is Jane Roe, delete everything you have on me")
    ref = chat.say(token, "jane.roe@example.com")["ref"]
    with chat.store.transaction() as session:
        ticket = session.scalar(select(Ticket).where(Ticket.ref == ref))
        assert ticket is not None
        ticket.status, ticket.closed_at = Status.CLOSED.value, datetime.now(UTC) - timedelta(days=400)
    erase_expired(chat.settings, chat.store, datetime.now(UTC))
    ticket, events = _ticket(chat, ref)
    assert ticket.requester == "" and ticket.subject == ""
    chat_lines = [e.detail for e in events if e.kind == "chat"]
    assert chat_lines and all(line == ERASED for line in chat_lines)
    assert "Jane" not in "\n".join(e.detail for e in events)


def test_widget_colours_must_be_readable() -> None:
    """Yellow on white fails WCAG's 4.5:1: the config says so instead of shipping it."""
    data = {
        "smtp": {"host": "127.0.0.1", "security": "none"},
        "organizations": [
            {
                "id": "opms",
                "name": "OPMS",
                "reply_from": "contact@opms.example",
                "chat": {"colour": "#ffff00", "text_colour": "#ffffff"},
            }
        ],
    }
    with pytest.raises(ConfigError, match=r"organizations\[0\]\.chat: .*contrast of 1\.\d:1"):
        parse_settings(data)
    data["organizations"][0]["chat"] = {"colour": "#1d4f91", "text_colour": "#ffffff"}  # type: ignore[index]
    assert parse_settings(data).organizations[0].chat is not None


def test_origins_must_be_origins(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a web origin"):
        chat_settings(25, "sqlite:///x.db", tmp_path, origins=("https://www.opms.example/contact",))


def test_an_officers_relabel_of_a_chat_ticket_becomes_a_training_row(chat: ChatServer) -> None:
    """The visitor's own words (not the address, not the bot) and the officer's rights."""
    from intake_bot import lifecycle
    from intake_bot.config import code_key

    token, _ = chat.start("en")
    assert chat.say(token, "I have a question about my account")["step"] == "rights"
    assert chat.say(token, choice="deletion")["step"] == "email"
    ref = chat.say(token, "kim@example.org")["ref"]
    actor = lifecycle.Actor("officer@opms.example", datetime.now(UTC))
    lifecycle.relabel(chat.store, chat.settings, ref, ["access"], actor, code_key(chat.settings))
    [row] = [
        json.loads(line) for line in lifecycle.export(chat.store, chat.settings, "training").splitlines()
    ]
    assert row == {
        "lang": "en",
        "subject": "",
        "text": "I have a question about my account",
        "labels": ["access"],
        "source": ref,
    }


def test_a_chat_ticket_is_in_the_officers_reminders_and_digest(chat: ChatServer) -> None:
    from intake_bot.notices import queue_digests, queue_reminders

    token, _ = chat.start("fr")
    chat.say(token, "je veux savoir quels renseignements vous avez sur moi")
    ref = chat.say(token, "paul@example.ca")["ref"]
    ticket, _ = _ticket(chat, ref)
    reminders = queue_reminders(chat.settings, chat.store, ticket.due_at - timedelta(days=6), dry_run=True)
    assert [line.officer for line in reminders] == ["officer@opms.example"]
    assert ref in reminders[0].what
    digests = queue_digests(chat.settings, chat.store, datetime.now(UTC), dry_run=True)
    assert [(line.officer, line.what) for line in digests] == [
        ("officer@opms.example", "digest: 1 open, 0 overdue, 0 to triage, 1 new")
    ]
