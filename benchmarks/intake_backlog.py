"""Benchmark: backlog throughput and reply latency against a real Dovecot and aiosmtpd.

    python benchmarks/intake_backlog.py [--messages 2000] [--latency-messages 40] [--store sqlite|postgres]

Backlog: N messages wait in one IMAP folder. The baseline, measured in the same
run on the same folder, merely fetches them over IMAP (BODY.PEEK[] in batches)
and parses them with the standard library (email, policy.default, body
decoded). The intake then takes the same folder into a fresh ticket store: parse,
dedupe, screen, language, classify, open ticket, queue the reply (sending is
timed apart). Rounds alternate so that machine noise hits both alike; medians are
reported.

Latency: with `run` (IMAP IDLE), messages are delivered over LMTP one at a time;
the time from delivery to the acknowledgement arriving at the SMTP relay is
measured per message.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy
from imapclient import IMAPClient

from intake_bot.config import parse_settings
from intake_bot.pipeline import Context
from intake_bot.relay import SmtpSink
from intake_bot.responders.outbox import send_pending_replies
from intake_bot.service import poll_imap, run
from intake_bot.store import Store
from intake_bot.testing import PASSWORD, Dovecot

BODIES = [
    (
        "fr",
        "Demande de suppression",
        "Bonjour,\n\nJe vous prie de supprimer mon compte et les données qui s'y rattachent.\n\nMerci",
    ),
    (
        "fr",
        "Accès",
        "Bonjour, pourriez-vous m'envoyer une copie des renseignements que vous avez à mon sujet ?",
    ),
    ("fr", "Infolettre", "svp arrêtez de m'envoyer l'infolettre"),
    (
        "fr",
        "Changement d'adresse",
        "Bonjour, j'ai déménagé. Pouvez-vous mettre à jour mon adresse postale?\nCordialement",
    ),
    (
        "en",
        "Data request",
        "Hello,\n\nPlease send me a copy of the personal information you keep on file about me.\n\nRegards",
    ),
    ("en", "Delete", "Hi, I'd like my account closed and my data erased. Thanks."),
    ("en", "Unsubscribe", "please take me off your mailing list"),
    ("en", "Wrong name", "Hello, my last name is misspelled in your records, could you correct it?"),
    ("en", "Question", "Hi, does Omni-Assistant work offline? Thanks"),
]


def make_message(index: int, to: str) -> bytes:
    _lang, subject, body = BODIES[index % len(BODIES)]
    quoted = (
        "\n\nOn Mon, Nov 2, 2026 at 9:00 AM Support <support@example.org> wrote:\n"
        "> Thanks for your message.\n"
        if index % 3 == 0
        else ""
    )
    automated = "Auto-Submitted: auto-replied\r\n" if index % 10 == 9 else ""
    text = (
        f"From: Person {index} <person{index}@example.com>\r\nTo: {to}\r\nSubject: {subject} #{index}\r\n"
        f"Message-ID: <bench-{index}@example.com>\r\nDate: Mon, 23 Nov 2026 10:00:00 -0500\r\n{automated}"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
        f"{body}{quoted}\r\n"
    )
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def settings_for(address: str, imap_port: int, smtp_port: int, store_url: str, root: Path):  # type: ignore[no-untyped-def]
    return parse_settings(
        {
            "store": {"url": store_url},
            "smtp": {"host": "127.0.0.1", "port": smtp_port, "security": "none"},
            "intake": {"batch_size": 100, "max_replies_per_address_per_day": 1000},
            "organizations": [
                {
                    "id": "opms",
                    "name": "OPMS",
                    "timezone": "America/Toronto",
                    "default_language": "fr",
                    "reply_from": f"OPMS <{address}>",
                    "mailboxes": [
                        {
                            "address": address,
                            "host": "127.0.0.1",
                            "port": imap_port,
                            "security": "none",
                            "username": address,
                            "password_env": "BENCH_IMAP_PASSWORD",
                        }
                    ],
                }
            ],
        },
        root / "config.toml",
    )


def baseline(dovecot: Dovecot, user: str, batch: int) -> tuple[float, int]:
    """Fetch every message over IMAP and parse it with the standard library."""
    started = time.perf_counter()
    client = IMAPClient("127.0.0.1", port=dovecot.imap_port, ssl=False)
    client.login(user, PASSWORD)
    client.select_folder("INBOX", readonly=True)
    uids = sorted(client.search(["ALL"]))
    count = 0
    for start in range(0, len(uids), batch):
        fetched = client.fetch(uids[start : start + batch], ["BODY.PEEK[]", "INTERNALDATE"])
        for data in fetched.values():
            message = email.message_from_bytes(data[b"BODY[]"], policy=email.policy.default)
            body = message.get_body(("plain", "html"))
            if body is not None:
                body.get_content()
            count += 1
    client.logout()
    return time.perf_counter() - started, count


def intake(settings, store_url: str) -> tuple[float, int, float, int]:  # type: ignore[no-untyped-def]
    store = Store.open(store_url)
    context = Context(settings, store)
    org = settings.organizations[0]
    started = time.perf_counter()
    report = poll_imap(org, org.mailboxes[0], context)
    took = time.perf_counter() - started
    started = time.perf_counter()
    sent = send_pending_replies(store, settings.smtp)
    send_took = time.perf_counter() - started
    store.close()
    return took, report.taken, send_took, len(sent.sent)


POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"
CREATED_DATABASES: list[str] = []


def _postgres(statement: str) -> None:
    admin = sqlalchemy.create_engine(f"{POSTGRES}/test", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(statement))
    admin.dispose()


def fresh_store_url(kind: str, root: Path, label: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{root / f'{label}.db'}"
    name = f"intake_bench_{label}_{int(time.time() * 1000)}"
    _postgres(f'CREATE DATABASE "{name}"')
    CREATED_DATABASES.append(name)
    return f"{POSTGRES}/{name}"


def latency(dovecot: Dovecot, root: Path, count: int, store_kind: str) -> list[float]:
    address = "latency@opms.example"
    dovecot.add_user(address)
    with SmtpSink() as sink:
        settings = settings_for(
            address, dovecot.imap_port, sink.port, fresh_store_url(store_kind, root, "latency"), root
        )
        store = Store.open(settings.store_url)
        stop = threading.Event()
        runner = threading.Thread(target=run, args=(settings, store, stop), kwargs={"install_signals": False})
        runner.start()
        time.sleep(2)  # let the watcher log in and enter IDLE
        samples = []
        for index in range(count):
            # The French deletion request (index 0 of BODIES), from a new sender each time.
            raw = make_message(0, address)
            raw = raw.replace(b"bench-0", f"lat-{index}".encode()).replace(b"person0", f"lat{index}".encode())
            before = len(sink.deliveries)
            started = time.perf_counter()
            dovecot.deliver(address, raw)
            sink.wait_for(before + 1, timeout=30)
            samples.append(time.perf_counter() - started)
            time.sleep(0.2)
        stop.set()
        runner.join()
        store.close()
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency-messages", type=int, default=40)
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()

    import os

    os.environ["BENCH_IMAP_PASSWORD"] = PASSWORD
    root = Path(tempfile.mkdtemp(prefix="intake-bench-"))
    root.chmod(0o755)
    results: dict[str, object] = {
        "messages": args.messages,
        "store": args.store,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    with Dovecot(root / "dovecot") as dovecot:
        address = "backlog@opms.example"
        dovecot.add_user(address)
        client = dovecot.client(address)
        for index in range(args.messages):
            client.append("INBOX", make_message(index, address))
        client.logout()
        print(f"{args.messages} messages waiting in one IMAP folder; store: {args.store}")

        baseline(dovecot, address, 100)  # warm Dovecot's caches for both sides
        base_rates, intake_rates, send_rates = [], [], []
        with SmtpSink() as sink:
            for round_number in range(args.rounds):
                took, count = baseline(dovecot, address, 100)
                base_rates.append(count / took)
                settings = settings_for(
                    address,
                    dovecot.imap_port,
                    sink.port,
                    fresh_store_url(args.store, root, f"round{round_number}"),
                    root,
                )
                took, taken, send_took, sent = intake(settings, settings.store_url)
                assert taken == args.messages, (taken, args.messages)
                intake_rates.append(taken / took)
                send_rates.append(sent / send_took if send_took else 0.0)
                print(
                    f"  round {round_number + 1}: baseline {base_rates[-1]:7.0f} msg/s   "
                    f"intake {intake_rates[-1]:7.0f} msg/s   sending {send_rates[-1]:6.0f} replies/s"
                )
        base, taken_rate = statistics.median(base_rates), statistics.median(intake_rates)
        results.update(
            baseline_msgs_per_s=round(base),
            intake_msgs_per_s=round(taken_rate),
            ratio=round(taken_rate / base, 3),
            sending_replies_per_s=round(statistics.median(send_rates)),
        )
        print(
            f"backlog: baseline (IMAP fetch + stdlib parse) {base:.0f} msg/s; intake {taken_rate:.0f} msg/s "
            f"= {taken_rate / base:.0%} of baseline (target >= 50%)"
        )

        if args.latency_messages:
            samples = sorted(latency(dovecot, root, args.latency_messages, args.store))
            p95 = samples[max(0, round(0.95 * len(samples)) - 1)]
            results.update(
                latency_p50_s=round(statistics.median(samples), 3),
                latency_p95_s=round(p95, 3),
                latency_max_s=round(samples[-1], 3),
                latency_messages=len(samples),
            )
            print(
                f"latency with run (IDLE), delivery to reply at the relay, {len(samples)} messages: "
                f"p50 {statistics.median(samples):.3f} s, p95 {p95:.3f} s, max {samples[-1]:.3f} s "
                "(target p95 <= 2 s)"
            )
    for name in CREATED_DATABASES:
        _postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    shutil.rmtree(root, ignore_errors=True)
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / f"intake_backlog-{args.store}.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
