"""The ``intake-bot`` command: thin entry points around the pipeline and the store.

A user mistake prints one line on stderr and exits non-zero, without a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import os
import smtplib
import ssl
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from intake_bot import __version__
from intake_bot.config import Settings, load_settings
from intake_bot.errors import ConfigError, IntakeError, UsageError
from intake_bot.store import Store

EXIT_USAGE = 2
EXIT_FAILURE = 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="intake-bot",
        description="Privacy-request intake: reads the privacy mailbox, opens tickets with their "
        "legal due dates, and answers requesters in French or English.",
    )
    parser.add_argument("--config", metavar="FILE", help="the TOML configuration file")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens (to stderr)")
    parser.add_argument("--version", action="version", version=f"intake-bot {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser("demo", help="run sample requests through the bot, nothing to set up")
    demo.add_argument(
        "--dir", metavar="DIR", help="keep the demo's files here (default: a new temporary folder)"
    )
    demo.add_argument(
        "--chat",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="then serve the website chat until Ctrl-C (default: when run from a terminal)",
    )

    commands.add_parser("check", help="validate the configuration and try every connection")

    poll = commands.add_parser("poll", help="take the mail waiting in every mailbox")
    poll.add_argument("--once", action="store_true", help="take everything pending, then exit")

    commands.add_parser("run", help="stay up: watch mailboxes (IMAP IDLE), send replies, run schedules")

    serve = commands.add_parser("serve", help="stay up: the website chat (web service and widget)")
    serve.add_argument("--host", metavar="HOST", help="listen on this address (default: [chat] host)")
    serve.add_argument("--port", metavar="PORT", type=int, help="listen on this port (default: [chat] port)")

    for name, what in (
        ("reminders", "queue and send the officers' reminders due now (before each deadline, and overdue)"),
        ("digest", "queue and send today's digest to each officer who has not had it"),
        ("retention", "erase the personal data of tickets closed past the retention period"),
    ):
        notice = commands.add_parser(name, help=what)
        notice.add_argument(
            "--now", metavar="ISO", type=_instant, help="evaluate as of this instant (ISO 8601, with offset)"
        )
        notice.add_argument("--dry-run", action="store_true", help="print what would be sent; send nothing")

    classify = commands.add_parser("classify", help="show how the bot reads .eml files (no config needed)")
    classify.add_argument("files", nargs="+", metavar="FILE.eml", help="message files; - reads stdin")
    classify.add_argument("--json", action="store_true", help="one JSON object per line")
    classify.add_argument(
        "--default-language",
        choices=("fr", "en"),
        default="fr",
        help="language when the text is too short to tell (default: fr)",
    )

    tickets = commands.add_parser("tickets", help="list and inspect tickets")
    ticket_commands = tickets.add_subparsers(dest="tickets_command", metavar="ACTION")
    listing = ticket_commands.add_parser("list", help="tickets, soonest due first")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.add_argument("--status", metavar="S", help="only tickets with this status")
    listing.add_argument("--org", metavar="ID", help="only this organisation's tickets")
    show = ticket_commands.add_parser("show", help="one ticket with its audit trail")
    show.add_argument("ref", metavar="REF")
    show.add_argument("--json", action="store_true", help="as one JSON object")

    def officer_command(name: str, what: str) -> argparse.ArgumentParser:
        command = ticket_commands.add_parser(name, help=what)
        command.add_argument("ref", metavar="REF")
        command.add_argument(
            "--by",
            metavar="EMAIL",
            default=os.environ.get("INTAKE_BOT_OFFICER") or _login_name(),
            help="the officer acting, for the audit trail (default: $INTAKE_BOT_OFFICER, else your login)",
        )
        return command

    officer_command("assign", "give a ticket to an officer").add_argument("email", metavar="EMAIL")
    officer_command("note", "add a note to the audit trail").add_argument("text", metavar="TEXT")
    officer_command("relabel", "correct the rights a ticket asks for (kept as training data)").add_argument(
        "labels", nargs="+", metavar="LABEL", help="access, correction, deletion, opt-out, or none"
    )
    officer_command("verify", "record an identity check made by other means").add_argument(
        "--method", metavar="TEXT", required=True, help='how identity was checked, e.g. "ID checked by phone"'
    )
    extension = officer_command("extend", "extend the deadline where the law allows, and tell the requester")
    extension.add_argument("--days", type=int, required=True, metavar="N")
    extension.add_argument("--reason", required=True, metavar="TEXT")
    closing = officer_command("close", "mail the final answer to the requester and close the ticket")
    closing.add_argument("--message-file", required=True, metavar="F", help="the answer, as UTF-8 text")
    refusal = officer_command("reject", "mail a reasoned refusal with the recourse, and close the ticket")
    refusal.add_argument("--reason", required=True, metavar="TEXT")
    refusal.add_argument("--provision", metavar="TEXT", help="the provision of law the refusal rests on")
    officer_command("withdraw", "record that the requester withdrew the request")
    exporting = ticket_commands.add_parser("export", help="all tickets with their audit trails")
    exporting.add_argument(
        "--format",
        choices=("csv", "json", "training"),
        default="csv",
        help="csv or json: every ticket and its trail; training: the relabelled tickets as "
        "rows for the rights model's corpus (they hold requesters' words: review before use)",
    )
    exporting.add_argument("--output", metavar="F", help="write to this file (default: standard output)")
    return parser


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no user name in the environment nor in the password database
        return "unknown officer"


def _settings(args: argparse.Namespace) -> Settings:
    if not args.config:
        raise UsageError(f"{args.command} needs --config FILE (start from config.example.toml)")
    return load_settings(args.config)


def _zones(settings: Settings) -> dict[str, ZoneInfo]:
    return {org.id: org.zone for org in settings.organizations}


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose or args.command in ("run", "serve") else logging.WARNING,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("apscheduler", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return _dispatch(args, parser)
    except ConfigError as exc:
        print(f"intake-bot: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except UsageError as exc:
        print(f"intake-bot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except IntakeError as exc:
        print(f"intake-bot: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `intake-bot tickets list | head`
        return 0


def _dispatch(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.command == "demo":
        from intake_bot.demo import run_demo

        chat = sys.stdin.isatty() and sys.stdout.isatty() if args.chat is None else args.chat
        return run_demo(Path(args.dir) if args.dir else None, chat=chat)
    if args.command == "classify":
        return _classify(args)
    settings = _settings(args)
    if args.command == "check":
        return _check(settings)
    store = Store.open(settings.store_url)
    try:
        if args.command == "poll":
            return _poll(settings, store, once=args.once)
        if args.command == "run":
            from intake_bot.service import run

            run(settings, store)
            return 0
        if args.command == "serve":
            return _serve(args, settings, store)
        if args.command == "tickets":
            return _tickets(args, settings, store, parser)
        if args.command in ("reminders", "digest"):
            return _notices(args, settings, store)
        if args.command == "retention":
            from intake_bot.retention import delete_from_mailboxes, erase_expired

            now = args.now or datetime.now(UTC)
            lines = erase_expired(settings, store, now, dry_run=args.dry_run)
            lines += delete_from_mailboxes(settings, store, now, dry_run=args.dry_run)
            if not args.dry_run:
                from intake_bot.chat import purge_idle_conversations

                if purged := purge_idle_conversations(settings, store, now):
                    lines.append(f"{purged} idle chat conversation(s) without a ticket deleted")
            for line in lines:
                print(("would do: " if args.dry_run else "") + line)
            if not lines:
                print(f"nothing to erase as of {now.isoformat(timespec='minutes')}")
            return 0
    finally:
        store.close()
    raise UsageError(f"unknown command {args.command}")


def _instant(value: str) -> datetime:
    """--now: an ISO 8601 instant; one without an offset is taken as UTC."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date and time: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _notices(args: argparse.Namespace, settings: Settings, store: Store) -> int:
    from intake_bot.notices import queue_digests, queue_reminders, queue_verification_reminders
    from intake_bot.responders.outbox import send_pending_replies

    now = args.now or datetime.now(UTC)
    if args.command == "reminders":
        lines = queue_reminders(settings, store, now, dry_run=args.dry_run)
        lines += queue_verification_reminders(settings, store, now, dry_run=args.dry_run)
    else:
        lines = queue_digests(settings, store, now, dry_run=args.dry_run)
    verb = "would send" if args.dry_run else "queued"
    for line in lines:
        print(f"{verb}: {line.org} -> {line.officer} ({line.language}): {line.what}")
    if not lines:
        print(f"no {args.command} due as of {now.isoformat(timespec='minutes')}")
    if args.dry_run:
        return 0
    report = send_pending_replies(store, settings.smtp, now=max(now, datetime.now(UTC)))
    print(
        f"sent {len(report.sent)} message(s)"
        + (f", {report.delayed} delayed (will be retried)" if report.delayed else "")
    )
    return 0


def _serve(args: argparse.Namespace, settings: Settings, store: Store) -> int:
    from intake_bot.web import chat_addresses, serve

    host, port = args.host or settings.chat.host, args.port or settings.chat.port
    pages = chat_addresses(settings, host, port)
    if not pages:
        raise UsageError(
            "no organisation has a chat: add an [organizations.chat] table with its allowed_origins "
            "(see config.example.toml)"
        )

    def ready() -> None:
        for org, page in pages:
            print(f"{org.name}: chat page {page}")
            print(f'  embed it with: <script src="{page}widget.js" async></script>')
        print("Ctrl-C stops the service.", flush=True)

    serve(settings, store, host=host, port=port, ready=ready)
    return 0


def _poll(settings: Settings, store: Store, *, once: bool) -> int:
    from intake_bot.service import poll_once

    stop = threading.Event()
    while True:
        result = poll_once(settings, store)
        for report in result.reports:
            print(f"{report.mailbox}: {report.summary()}")
            for ref in report.opened + report.triage:
                print(f"  opened {ref}")
        for failure in result.failures:
            print(f"FAILED {failure}", file=sys.stderr)
        print(
            f"replies: {len(result.sent.sent)} sent"
            + (f", {result.sent.delayed} delayed (will be retried)" if result.sent.delayed else "")
            + (f", {result.sent.refused} refused by the relay" if result.sent.refused else "")
        )
        if once:
            return EXIT_FAILURE if result.failures else 0
        stop.wait(settings.intake.poll_interval_seconds)


def _tickets(
    args: argparse.Namespace, settings: Settings, store: Store, parser: argparse.ArgumentParser
) -> int:
    from intake_bot import views

    zones = _zones(settings)
    if args.tickets_command == "list":
        if args.org and args.org not in zones:
            raise UsageError(f"no organisation {args.org!r} in the config (known: {', '.join(zones)})")
        tickets = store.list_tickets(status=args.status, org=args.org)
        if args.json:
            for ticket in tickets:
                print(json.dumps(views.ticket_json(ticket, zones), ensure_ascii=False))
        elif tickets:
            print(views.tickets_table(tickets, zones))
        else:
            print("no tickets" + (f" with status {args.status}" if args.status else ""))
        return 0
    if args.tickets_command == "show":
        found = store.get_ticket(args.ref)
        if found is None:
            raise UsageError(f"no ticket {args.ref!r} (see: intake-bot tickets list)")
        ticket, events, outbox = found
        if args.json:
            print(json.dumps(views.ticket_detail_json(ticket, events, outbox, zones), ensure_ascii=False))
        else:
            print(views.ticket_text(ticket, events, outbox, zones))
        return 0
    if args.tickets_command == "export":
        from intake_bot.lifecycle import export

        text = export(store, settings, args.format)
        if args.output:
            Path(args.output).write_text(text, encoding="utf-8")
            print(
                f"{text.count(chr(10)) if args.format == 'json' else len(store.list_tickets())} ticket(s) "
                f"written to {args.output}"
            )
        else:
            sys.stdout.write(text)
        return 0
    if args.tickets_command in OFFICER_COMMANDS:
        return _officer_command(args, settings, store)
    parser.parse_args(["tickets", "--help"])
    return EXIT_USAGE


OFFICER_COMMANDS = ("assign", "note", "relabel", "verify", "extend", "close", "reject", "withdraw")


def _officer_command(args: argparse.Namespace, settings: Settings, store: Store) -> int:
    from intake_bot import lifecycle
    from intake_bot.responders.outbox import send_pending_replies

    actor = lifecycle.Actor(officer=args.by, now=datetime.now(UTC))
    command = args.tickets_command
    if command == "assign":
        done = lifecycle.assign(store, settings, args.ref, args.email, actor)
    elif command == "note":
        done = lifecycle.note(store, settings, args.ref, args.text, actor)
    elif command == "relabel":
        from intake_bot.config import code_key

        done = lifecycle.relabel(store, settings, args.ref, args.labels, actor, code_key(settings))
    elif command == "verify":
        done = lifecycle.verify(store, settings, args.ref, args.method, actor)
    elif command == "extend":
        done = lifecycle.extend(store, settings, args.ref, args.days, args.reason, actor)
    elif command == "close":
        try:
            text = Path(args.message_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read the answer in {args.message_file}: {exc}") from None
        done = lifecycle.close(store, settings, args.ref, text, actor)
    elif command == "reject":
        done = lifecycle.reject(store, settings, args.ref, args.reason, args.provision, actor)
    else:
        done = lifecycle.withdraw(store, settings, args.ref, actor)
    print(done)
    if command in ("extend", "close", "reject", "relabel"):
        report = send_pending_replies(store, settings.smtp)
        if report.delayed:
            print("the letter could not be sent yet; it will be retried (see tickets show)")
    return 0


def _read_input(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(name).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {name}: {exc.strerror or exc}") from None


def classify_raw(raw: bytes, default_language: str = "fr") -> dict[str, Any]:
    """What the bot makes of one raw message; the shape of ``classify --json``."""
    from intake_bot.classifiers import classify_request, message_language, screen_automated
    from intake_bot.errors import MessageError
    from intake_bot.parsing import parse_message

    try:
        parsed = parse_message(raw)
    except MessageError as exc:
        return {"lang": default_language, "labels": [], "scores": {}, "automated": False, "error": str(exc)}
    verdict = screen_automated(parsed)
    guess = message_language(parsed.new_text, parsed.subject)
    lang = guess.lang or default_language
    result: dict[str, Any] = {
        "lang": lang,
        "lang_method": guess.method if guess.lang else "default",
        "automated": verdict is not None,
        "automated_kind": verdict.kind if verdict else None,
        "automated_reason": verdict.reason if verdict else None,
    }
    if verdict is None:
        classification = classify_request(parsed.new_text, parsed.subject)
        result.update(
            labels=classification.labels,
            scores=classification.scores,
            cues=classification.cues,
            confident=classification.confident,
            incident=classification.incident,
        )
    else:
        result.update(labels=[], scores={}, cues={}, incident=False)
    return result


def _classify(args: argparse.Namespace) -> int:
    status = 0
    for name in args.files:
        try:
            raw = _read_input(name)
        except UsageError as exc:
            print(f"intake-bot: {exc}", file=sys.stderr)
            status = EXIT_USAGE
            continue
        result = {"file": name, **classify_raw(raw, args.default_language)}
        if args.json:
            print(json.dumps(result, ensure_ascii=False), flush=True)
            continue
        if result["automated"]:
            verdict = f"automated ({result['automated_kind']}: {result['automated_reason']})"
        else:
            shown = ", ".join(
                f"{label} {result['scores'][label]:.2f}{_given_by_rule(result['cues'].get(label, []))}"
                for label in result["labels"]
            )
            verdict = shown or "no privacy right recognised"
            if result.get("incident"):
                verdict += "; a possible confidentiality incident, for an officer"
            elif shown and not result.get("confident", True):
                verdict += "; not sure, for an officer (needs-triage)"
        print(f"{name}: {result['lang']}  {verdict}", flush=True)
    return status


def _given_by_rule(cues: list[str]) -> str:
    """Why a right was given where the model's score alone would not give it, as " (why)",
    without the title a thread-reminder cue quotes; "" when the model's score gave it."""
    from intake_bot.classifiers.requests import AFTER_THE_MODEL

    why = next((cue for cue in cues if cue.startswith(AFTER_THE_MODEL)), "")
    return f" ({why.split(':')[0]})" if why else ""


def _check(settings: Settings) -> int:
    """One line per component; exit non-zero if any fails."""
    from intake_bot.sources import ImapFolder, MaildirFolder, connect_imap

    failures = 0

    def line(ok: bool, what: str, detail: str) -> None:
        nonlocal failures
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'}  {what}: {detail}", flush=True)

    line(True, "config", f"{settings.source} ({len(settings.organizations)} organisation(s))")
    try:
        store = Store.open(settings.store_url)
        line(True, "store", f"{store.engine.dialect.name}, schema up to date")
        store.close()
    except IntakeError as exc:
        line(False, "store", str(exc))
    for org in settings.organizations:
        if not org.mailboxes:
            line(False, f"{org.id}", "no [[organizations.mailboxes]]: nothing will be read")
        for mailbox in org.mailboxes:
            what = f"mailbox {mailbox.address}"
            try:
                if mailbox.maildir is not None:
                    path = settings.resolve_path(mailbox.maildir)
                    MaildirFolder(path)
                    line(True, what, f"Maildir {path}")
                    continue
                client = connect_imap(mailbox, timeout=15)
                try:
                    folder = ImapFolder(client, mailbox)
                    count = client.folder_status(mailbox.folder, ["MESSAGES"])[b"MESSAGES"]
                    line(
                        True,
                        what,
                        f"{mailbox.host}:{mailbox.port} {mailbox.security}, folder "
                        f"{mailbox.folder}: {count} message(s), "
                        f"{'IDLE' if folder.has_idle() else 'no IDLE: polled'}",
                    )
                finally:
                    client.logout()
            except (IntakeError, Exception) as exc:
                line(
                    False, what, str(exc) if isinstance(exc, IntakeError) else f"{type(exc).__name__}: {exc}"
                )
        if not org.officers:
            line(False, f"{org.id} officers", "no [[organizations.officers]]: nobody will be reminded")
    smtp = settings.smtp
    try:
        from intake_bot.responders.outbox import SmtpRelay

        with SmtpRelay(smtp) as relay:
            relay.connect().noop()
        line(
            True,
            "smtp",
            f"{smtp.host}:{smtp.port} {smtp.security}"
            + (f", logged in as {smtp.username}" if smtp.username else ""),
        )
    except (ConfigError, smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        line(
            False,
            "smtp",
            f"{smtp.host}:{smtp.port}: "
            + (str(exc) if isinstance(exc, ConfigError) else f"{type(exc).__name__}: {exc}"),
        )
    return EXIT_FAILURE if failures else 0


if __name__ == "__main__":
    sys.exit(main())
