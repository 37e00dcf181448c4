"""`intake-bot run`: IMAP IDLE answers new mail within seconds, survives a dropped
connection, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from intake_bot.relay import SmtpSink
from intake_bot.store import Store
from tests.conftest import Org, settings_for, toml_for
from tests.test_intake_imap import FRENCH_DELETION

pytestmark = [pytest.mark.dovecot, pytest.mark.smtp, pytest.mark.slow]


def _wait_for_log(path: Path, needle: str, timeout: float = 20, count: int = 1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.read_text(errors="replace").count(needle) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"{needle!r} not logged within {timeout}s:\n{path.read_text()[-3000:]}")


def test_run_answers_new_mail_by_idle_and_stops_on_sigterm(
    opms: Org, smtp_sink: SmtpSink, sqlite_url: str, tmp_path: Path
) -> None:
    """Mail delivered while the bot runs is answered within seconds (IDLE, not the poll
    interval); after the server drops the connection the bot reconnects; SIGTERM exits 0."""
    settings = settings_for([opms], smtp_sink.port, sqlite_url, tmp_path, poll_interval_seconds=3600)
    config = tmp_path / "config.toml"
    config.write_text(toml_for(settings))
    log = tmp_path / "run.log"
    env = {**os.environ, "INTAKE_TEST_IMAP_PASSWORD": "secret"}
    with log.open("wb") as handle:
        bot = subprocess.Popen(
            [sys.executable, "-m", "intake_bot", "--config", str(config), "run"],
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        _wait_for_log(log, "mailbox watching")
        started = time.monotonic()
        opms.deliver(FRENCH_DELETION.format(to=opms.address, n="run-1"))
        assert len(smtp_sink.wait_for(1, timeout=10)) == 1, log.read_text()
        assert time.monotonic() - started < 10

        opms.dovecot.kick(opms.address)  # the server drops every connection of the mailbox
        _wait_for_log(log, "mailbox reconnecting")
        _wait_for_log(log, "mailbox watching", timeout=30, count=2)
        opms.deliver(
            FRENCH_DELETION.format(to=opms.address, n="run-2").replace(
                "marie@example.com", "other@example.com"
            )
        )
        assert len(smtp_sink.wait_for(2, timeout=15)) == 2, log.read_text()

        bot.send_signal(signal.SIGTERM)
        assert bot.wait(timeout=20) == 0
    finally:
        if bot.poll() is None:
            bot.kill()
            bot.wait()
    text = log.read_text()
    assert "Traceback" not in text
    assert "marie@example.com" not in text and "other@example.com" not in text  # no clear addresses
    store = Store.open(sqlite_url)
    assert len(store.list_tickets()) == 2


def test_mail_announced_during_a_poll_is_not_left_until_the_next_idle(opms: Org) -> None:
    """Regression (flaky `run` test): a message arriving while the watcher searched was
    announced with the SEARCH response and never again by IDLE, so it waited 25 minutes."""
    from intake_bot.service import _took_new_mail_notice

    client = opms.dovecot.client(opms.address)
    try:
        client.select_folder("INBOX", readonly=True)
        assert client.search(["ALL"]) == []
        opms.deliver(FRENCH_DELETION.format(to=opms.address, n="race"))
        client.search(["ALL"])  # the server announces the new message with this response
        assert _took_new_mail_notice(client)
        assert not _took_new_mail_notice(client)
    finally:
        client.logout()


def test_mail_announced_as_idle_starts_is_not_left_in_the_read_buffer(opms: Org) -> None:
    """Regression (the `run` test failed once in five runs): Dovecot answers IDLE with
    "+ idling" and, in the same packet, an EXISTS for mail delivered just before; imaplib
    read both, idle_check's socket poll saw nothing, and the message waited."""
    from intake_bot.service import _idle_until_news

    client = opms.dovecot.client(opms.address)
    try:
        client.select_folder("INBOX", readonly=True)
        opms.deliver(FRENCH_DELETION.format(to=opms.address, n="idle-race"))  # after SELECT, before IDLE
        time.sleep(0.2)  # let the delivery finish, so IDLE's first check reports it
        client.idle()
        try:
            woken = _idle_until_news(client, threading.Event(), datetime.now(UTC) + timedelta(seconds=3))
        finally:
            client.idle_done()
        assert woken
    finally:
        client.logout()


def test_an_empty_tls_socket_is_not_news(tmp_path: Path) -> None:
    """Over TLS an empty non-blocking read raises SSLWantReadError, not BlockingIOError:
    the buffer check must say "nothing yet" rather than drop the connection."""
    from intake_bot.service import _response_already_read

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client_context.check_hostname, client_context.verify_mode = False, ssl.CERT_NONE
    near, far = socket.socketpair()
    accepted: list[ssl.SSLSocket] = []
    handshake = threading.Thread(
        target=lambda: accepted.append(server_context.wrap_socket(far, server_side=True))
    )
    handshake.start()
    tls = client_context.wrap_socket(near, server_hostname="localhost")
    handshake.join(timeout=10)
    server = accepted[0]
    reader = tls.makefile("rb")
    client = SimpleNamespace(socket=lambda: tls, _imap=SimpleNamespace(file=reader))
    try:
        tls.settimeout(60)
        assert not _response_already_read(client)  # type: ignore[arg-type]
        assert tls.gettimeout() == 60  # the client's timeout is put back
        server.sendall(b"+ idling\r\n* 3 EXISTS\r\n")
        time.sleep(0.2)
        assert reader.readline() == b"+ idling\r\n"  # what imapclient's idle() reads
        assert _response_already_read(client)  # type: ignore[arg-type]
        assert reader.readline() == b"* 3 EXISTS\r\n"
        assert not _response_already_read(client)  # type: ignore[arg-type]
    finally:
        reader.close()
        tls.close()
        server.close()


def test_run_polls_a_server_without_idle(
    smtp_sink: SmtpSink, sqlite_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Where the server does not offer IDLE, `run` polls every poll_interval_seconds; its
    scheduler sends the officers' digest when it is due."""
    import shutil
    import tempfile
    import threading

    from intake_bot.service import run
    from intake_bot.testing import Dovecot

    root = Path(tempfile.mkdtemp(prefix="intake-dovecot-noidle-"))
    caplog.set_level("INFO", logger="intake_bot")
    try:
        with Dovecot(root, capability="IMAP4rev1 LITERAL+ SASL-IR ID ENABLE UIDPLUS") as plain:
            org = Org(plain, "opms", "fr")
            settings = settings_for([org], smtp_sink.port, sqlite_url, tmp_path, poll_interval_seconds=0.5)
            # And the scheduler's officer notices: a digest due from midnight, even if empty.
            eager = settings.organizations[0].model_copy(
                update={"digest_time": "00:00", "digest_when_empty": True}
            )
            settings = settings.model_copy(update={"organizations": (eager,)})
            store = Store.open(sqlite_url)
            stop = threading.Event()
            bot = threading.Thread(
                target=run, args=(settings, store, stop), kwargs={"install_signals": False}
            )
            bot.start()
            try:
                org.deliver(FRENCH_DELETION.format(to=org.address, n="noidle"))
                delivered = smtp_sink.wait_for(2, timeout=10)
                assert sorted(d.recipients[0] for d in delivered) == [
                    "marie@example.com",
                    "officer@opms.example",
                ]
            finally:
                stop.set()
                bot.join(timeout=20)
            assert not bot.is_alive()
            assert "idle=False" in caplog.text
    finally:
        shutil.rmtree(root, ignore_errors=True)
