"""``intake-bot demo``: sample requests through the real pipeline, nothing to set up.

The bundled French and English messages are delivered to a local Maildir per
organisation; the bot reads them, opens tickets in SQLite and sends its replies
to an embedded aiosmtpd relay. The folder stays behind with a config.toml, so
the officer commands can be tried on the result.
"""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import tempfile
import textwrap
import threading
import time
from importlib import resources
from pathlib import Path

from intake_bot import views
from intake_bot.config import load_settings
from intake_bot.lifecycle import find_codes
from intake_bot.relay import Delivery, SmtpSink, free_port
from intake_bot.service import poll_once
from intake_bot.store import Store, Ticket
from intake_bot.web import chat_addresses, serve

ORGS = {
    "contact@opms.example": "opms",
    "info@omnitech.example": "omnitech",
}

CONFIG = """\
# Written by `intake-bot demo`. Every key is explained in config.example.toml.
[store]
url = "sqlite:///tickets.db"

[smtp]                  # the demo's embedded relay; it stops when the demo ends
host = "127.0.0.1"
port = {port}
security = "none"

[chat]                  # intake-bot serve: the website chat
host = "127.0.0.1"
port = {chat_port}

[[organizations]]
id = "opms"
name = "OPMS"
regime = "quebec"
timezone = "America/Toronto"
default_language = "fr"
reply_from = "OPMS <contact@opms.example>"
[[organizations.mailboxes]]
address = "contact@opms.example"
maildir = "mail/opms"
[[organizations.officers]]
name = "Olivier Pignolet"
email = "privacy@opms.example"
language = "fr"
[organizations.chat]    # the chat's own page is always allowed; add the website's origin
allowed_origins = ["https://www.opms.example"]
colour = "#1d4f91"

[[organizations]]
id = "omnitech"
name = "Omnitech Innovations"
regime = "quebec"
timezone = "America/Toronto"
default_language = "en"
reply_from = "Omnitech Innovations <info@omnitech.example>"
[[organizations.mailboxes]]
address = "info@omnitech.example"
maildir = "mail/omnitech"
[[organizations.officers]]
name = "CEO, Omnitech Innovations"
email = "ceo@omnitech.example"
language = "en"
[[organizations.officers]]
name = "QA team leader, Omnitech Innovations"
email = "qa-lead@omnitech.example"
language = "fr"
[organizations.chat]
allowed_origins = ["https://omnitech.example"]
colour = "#6b2c91"
"""


def _deliver_samples(root: Path) -> int:
    count = 0
    samples = sorted(
        (p for p in resources.files("intake_bot.samples").iterdir() if p.name.endswith(".eml")),
        key=lambda p: p.name,
    )
    for org in ORGS.values():
        for sub in ("new", "cur", "tmp"):
            (root / "mail" / org / sub).mkdir(parents=True, exist_ok=True)
    for index, sample in enumerate(samples):
        raw = sample.read_bytes()
        to = email.message_from_bytes(raw, policy=email.policy.compat32).get("To", "").strip().lower()
        org = ORGS.get(to, "opms")
        target = root / "mail" / org / "new" / f"demo{index:02d}.intake-bot"
        target.write_bytes(raw)
        # A Maildir's delivery time is the file's time: the samples arrived over the
        # last few hours, in order.
        arrived = time.time() - (len(samples) - index) * 1500
        os.utime(target, (arrived, arrived))
        count += 1
    return count


def run_demo(folder: Path | None = None, *, chat: bool = False) -> int:
    root = folder or Path(tempfile.mkdtemp(prefix="intake-bot-demo-"))
    root.mkdir(parents=True, exist_ok=True)
    if (root / "tickets.db").exists() or (root / "mail").exists():
        shutil.rmtree(root / "mail", ignore_errors=True)
        for name in ("tickets.db", "tickets.db-wal", "tickets.db-shm"):
            (root / name).unlink(missing_ok=True)
    live = threading.Event()  # set while the chat runs: mail the relay catches is printed
    with SmtpSink(on_delivery=lambda delivery: _show_live(delivery) if live.is_set() else None) as relay:
        config_path = root / "config.toml"
        config_path.write_text(CONFIG.format(port=relay.port, chat_port=free_port()), encoding="utf-8")
        settings = load_settings(config_path)
        waiting = _deliver_samples(root)
        print(f"intake-bot demo, working in {root}")
        print(
            f"{waiting} sample messages wait in the mailboxes of OPMS (contact@) and "
            f"Omnitech Innovations (info@); an embedded SMTP relay listens on 127.0.0.1:{relay.port}."
        )
        print()
        store = Store.open(settings.store_url)
        try:
            result = poll_once(settings, store)
            for report in result.reports:
                print(f"{report.mailbox}: {report.summary()}")
            print()
            tickets = store.list_tickets()
            zones = {org.id: org.zone for org in settings.organizations}
            print(f"Tickets ({len(tickets)}), soonest due first:")
            print(textwrap.indent(views.tickets_table(tickets, zones), "  "))
        finally:
            store.close()
        deliveries = relay.wait_for(len(result.sent.sent), timeout=5)
        _print_replies(deliveries, config_path, tickets)
        pages = chat_addresses(settings, settings.chat.host, settings.chat.port)
        print()
        if not chat:
            print("The website chat: `intake-bot demo --chat` also serves it, with the pages to open.")
            return 0

        def ready() -> None:
            live.set()
            print("The website chat is up. Open a chat page in a browser and make a request:")
            for org, page in pages:
                print(f"  {org.name}: {page}")
            print("The mail it sends (with the identity code) is caught by the demo's relay and shown here.")
            print("Ctrl-C ends the demo.", flush=True)

        store = Store.open(settings.store_url)
        try:
            serve(settings, store, ready=ready)
        finally:
            store.close()
    return 0


def _show_live(delivery: Delivery) -> None:
    """Print a mail the relay caught while the chat runs, with the code a visitor must type."""
    message = delivery.message
    body = message.get_body(("plain",))
    text = body.get_content() if body else ""
    print(f"mail to {', '.join(delivery.recipients)}: {message['Subject']}", flush=True)
    for code in find_codes(text):
        print(f"  identity code: {code}", flush=True)


def _print_replies(deliveries: list[Delivery], config_path: Path, tickets: list[Ticket]) -> None:
    print()
    print(f"Replies sent ({len(deliveries)}), caught by the embedded relay:")
    for delivery in deliveries:
        message = delivery.message
        print(f"  to {', '.join(delivery.recipients)}: {message['Subject']}")
    if deliveries:
        first = deliveries[0].message
        body = first.get_body(("plain",))
        print()
        print("The first reply as the requester sees it:")
        print(
            textwrap.indent(
                f"From: {first['From']}\nTo: {first['To']}\nSubject: {first['Subject']}\n"
                f"Auto-Submitted: {first['Auto-Submitted']}\n\n"
                + (body.get_content().strip() if body else ""),
                "  | ",
                lambda _line: True,
            )
        )
    print()
    print("Try the officers' commands on this demo:")
    print(f"  intake-bot --config {config_path} tickets list")
    if tickets:
        print(f"  intake-bot --config {config_path} tickets show {tickets[0].ref}")
