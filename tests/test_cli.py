"""The command line as officers and scripts use it: classify, tickets, check, demo."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from intake_bot.relay import SmtpSink
from intake_bot.service import poll_once
from intake_bot.store import Store
from tests.conftest import Org, settings_for, toml_for
from tests.test_intake_imap import FRENCH_DELETION

MAIL = Path(__file__).parent / "mail"
SAMPLES = Path(__file__).parent.parent / "intake_bot" / "samples"


def _cli(*args: str, stdin: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "INTAKE_TEST_IMAP_PASSWORD": "secret"}
    return subprocess.run(
        [sys.executable, "-m", "intake_bot", *args],
        input=stdin.decode() if stdin else None,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=cwd,
    )


def test_classify_json_one_line_per_file_in_order() -> None:
    """`classify --json` needs no config and prints lang, labels, scores and automated per file."""
    files = [SAMPLES / "02-en-access.eml", SAMPLES / "06-auto-reply.eml", SAMPLES / "03-fr-desabonnement.eml"]
    child = _cli("classify", "--json", *map(str, files))
    assert child.returncode == 0, child.stderr
    rows = [json.loads(line) for line in child.stdout.splitlines()]
    assert [r["file"] for r in rows] == [str(f) for f in files]
    assert [(r["lang"], r["labels"], r["automated"]) for r in rows] == [
        ("en", ["access"], False),
        ("fr", [], True),
        ("fr", ["opt-out"], False),
    ]
    assert set(rows[0]["scores"]) == {"access", "correction", "deletion", "opt-out"}
    assert rows[0]["cues"]["access"]  # the words that decided
    assert [r["incident"] for r in rows] == [False, False, False]


def test_classify_says_what_goes_to_an_officer(tmp_path: Path) -> None:
    """The plain output says when a ticket would go to an officer rather than be acknowledged."""
    mail = tmp_path / "incident.eml"
    mail.write_bytes(
        b"From: Aaron <aaron@example.net>\r\nTo: contact@example.org\r\nSubject: Orders\r\n\r\n"
        b"Hi, in my account I can see another customer's orders, with her address.\r\n"
    )
    child = _cli("classify", str(mail), str(SAMPLES / "02-en-access.eml"))
    assert child.returncode == 0, child.stderr
    incident, access = child.stdout.splitlines()
    assert incident.endswith("a possible confidentiality incident, for an officer")
    assert "officer" not in access and "(" not in access


def test_classify_says_why_a_rule_gave_a_right_the_model_scores_low(tmp_path: Path) -> None:
    """A right a rule gives after the model (a statute's article, a reminder) shows why beside
    its low score, so that "access 0.09" does not puzzle an officer."""
    mail = tmp_path / "statute.eml"
    mail.write_bytes(
        b"From: Hannah <h@example.org>\r\nTo: contact@example.org\r\nSubject: GDPR\r\n\r\n"
        b"Hello, please treat this email as a request under Article 15 GDPR. Customer no. 4471.\r\n"
    )
    child = _cli("classify", str(mail))
    assert child.returncode == 0, child.stderr
    assert "access 0.0" in child.stdout
    assert "(a request under the statute's article for it); not sure, for an officer" in child.stdout


def test_classify_reads_stdin_and_reports_unreadable_files() -> None:
    child = _cli("classify", "-", "/nonexistent.eml", stdin=(MAIL / "charset-cp1252-qp.eml").read_bytes())
    assert child.returncode == 2
    assert child.stdout.startswith("-: en  opt-out")
    assert "cannot read /nonexistent.eml" in child.stderr and "Traceback" not in child.stderr


@pytest.mark.dovecot
@pytest.mark.smtp
def test_tickets_list_and_show_json(opms: Org, smtp_sink: SmtpSink, store_url: str, tmp_path: Path) -> None:
    """The JSON fields scripts rely on, with ISO 8601 dates carrying their offset, and why a
    needs-triage ticket waits for an officer (a code in JSON, words in `tickets show`)."""
    settings = settings_for([opms], smtp_sink.port, store_url, tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(toml_for(settings))
    opms.deliver(FRENCH_DELETION.format(to=opms.address, n="cli"))
    opms.deliver(f"""\
        From: Aaron Blake <aaron@example.net>
        To: {opms.address}
        Subject: Orders
        Message-ID: <cli-incident@example.net>

        Hi, in my account I can see another customer's orders, with her address.
        """)
    store = Store.open(store_url)
    poll_once(settings, store)

    listing = _cli("--config", str(config), "tickets", "list", "--json", "--status", "awaiting-verification")
    assert listing.returncode == 0, listing.stderr
    [row] = [json.loads(line) for line in listing.stdout.splitlines()]
    for key in ("ref", "org", "mailbox", "requester", "lang", "labels", "status", "received_at", "due_at"):
        assert key in row
    assert row["org"] == "opms" and row["requester"] == "marie@example.com" and row["labels"] == ["deletion"]
    assert row["triage_reason"] is None
    assert re.search(r"[+-]\d\d:\d\d$", row["due_at"]) and datetime.fromisoformat(row["received_at"]).tzinfo

    shown = _cli("--config", str(config), "tickets", "show", row["ref"], "--json")
    detail = json.loads(shown.stdout)
    kinds = [e["kind"] for e in detail["events"]]
    assert kinds[0] == "received" and "reply-sent" in kinds
    assert detail["ref"] == row["ref"] and detail["triage_reason"] is None
    assert "  triage " not in _cli("--config", str(config), "tickets", "show", row["ref"]).stdout

    waiting = _cli("--config", str(config), "tickets", "list", "--json", "--status", "needs-triage")
    [incident] = [json.loads(line) for line in waiting.stdout.splitlines()]
    assert incident["triage_reason"] == "incident"
    shown = _cli("--config", str(config), "tickets", "show", incident["ref"], "--json")
    assert json.loads(shown.stdout)["triage_reason"] == "incident"
    plain = _cli("--config", str(config), "tickets", "show", incident["ref"]).stdout.splitlines()
    assert plain[:2] == [
        f"{incident['ref']}  needs-triage",
        "  triage        POSSIBLE CONFIDENTIALITY INCIDENT: the sender says they saw or received "
        "someone else's personal information; read it now",
    ]

    text = _cli("--config", str(config), "tickets", "list")
    assert row["ref"] in text.stdout and "30 day(s) left" in text.stdout
    assert text.stdout.split()[:8] == [
        "REF",
        "STATUS",
        "RIGHTS",
        "LANG",
        "VIA",
        "REQUESTER",
        "RECEIVED",
        "DUE",
    ]
    none = _cli("--config", str(config), "tickets", "list", "--status", "closed")
    assert none.stdout.strip() == "no tickets with status closed"
    missing = _cli("--config", str(config), "tickets", "show", "OPMS-1999-9999")
    assert missing.returncode == 2 and "no ticket 'OPMS-1999-9999'" in missing.stderr
    bad_org = _cli("--config", str(config), "tickets", "list", "--org", "nope")
    assert bad_org.returncode == 2 and "no organisation 'nope'" in bad_org.stderr


@pytest.mark.dovecot
@pytest.mark.smtp
def test_check_tries_every_connection(
    opms: Org, smtp_sink: SmtpSink, sqlite_url: str, tmp_path: Path
) -> None:
    """`check` prints one line per component and fails when one cannot be reached."""
    settings = settings_for([opms], smtp_sink.port, sqlite_url, tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(toml_for(settings))
    good = _cli("--config", str(config), "check")
    assert good.returncode == 0, good.stdout + good.stderr
    assert [line.split()[0] for line in good.stdout.splitlines()] == ["ok"] * 4
    assert "IDLE" in good.stdout

    config.write_text(toml_for(settings).replace(f"port = {smtp_sink.port}", "port = 1"))
    bad = _cli("--config", str(config), "check")
    assert bad.returncode == 1
    assert re.search(r"^FAIL\s+smtp: 127.0.0.1:1: ConnectionRefusedError", bad.stdout, re.M)


def test_demo_runs_with_nothing_configured(tmp_path: Path) -> None:
    """The newcomer's first command: samples in, tickets and bilingual replies out."""
    child = _cli("demo", "--dir", str(tmp_path / "demo"))
    assert child.returncode == 0, child.stderr
    out = child.stdout
    assert "Tickets (6)" in out and "needs-triage" in out
    assert "Replies sent (5)" in out
    assert "confirmez votre identité" in out and "please confirm your identity" in out
    assert "1 ignored (auto-reply)" in out and "1 follow-up(s) added" in out
    listing = _cli("--config", str(tmp_path / "demo" / "config.toml"), "tickets", "list", "--json")
    assert len(listing.stdout.splitlines()) == 6
    # each sample asks for what it plainly says: "what you hold on me" is what to delete
    labels = {ticket["subject"]: ticket["labels"] for ticket in map(json.loads, listing.stdout.splitlines())}
    assert labels == {
        "Suppression de mes données": ["deletion"],
        "Request for a copy of my personal information": ["access"],
        "liste": ["opt-out"],
        "Wrong phone number on my account": ["correction"],
        "Demande d'accès": ["access", "correction"],
        "Pricing for 20 seats?": [],
    }
    again = _cli("demo", "--dir", str(tmp_path / "demo"))  # re-running starts afresh
    assert again.returncode == 0 and "Tickets (6)" in again.stdout


@pytest.mark.slow
def test_demo_serves_the_chat_and_shows_its_codes(tmp_path: Path) -> None:
    """`demo --chat` prints each chat page, serves it, and prints the identity code the
    chat mails, so a newcomer can finish a request in the browser; Ctrl-C ends it cleanly."""
    child = subprocess.Popen(
        [sys.executable, "-m", "intake_bot", "demo", "--dir", str(tmp_path / "demo"), "--chat"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        page = None
        for line in child.stdout:
            if match := re.search(r"OPMS: (http://127\.0\.0\.1:\d+/chat/opms/)", line):
                page = match.group(1)
            if line.startswith("Ctrl-C ends the demo"):
                break
        assert page, "the demo printed no chat page"
        origin = page.split("/chat/")[0]
        assert "<script src=" in httpx.get(page).text
        headers = {"Origin": origin}
        token = httpx.post(f"{page}conversations", json={"lang": "fr"}, headers=headers).json()[
            "conversation"
        ]
        for text in ("effacez mes données svp", "visiteur@example.com"):
            reply = httpx.post(f"{page}messages", json={"conversation": token, "text": text}, headers=headers)
        ref = reply.json()["ref"]
        lines = [next(child.stdout), next(child.stdout)]
        assert lines[0].startswith("mail to visiteur@example.com: Votre demande " + ref)
        assert re.match(r"  identity code: \d{6}$", lines[1].rstrip("\n"))
    finally:
        child.send_signal(signal.SIGINT)
        child.wait(30)
    assert child.returncode in (0, 130)
