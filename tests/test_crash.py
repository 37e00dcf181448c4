"""kill -9 at any point of the intake loses no message and never answers one twice."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from intake_bot.relay import SmtpSink
from intake_bot.responders.outbox import send_pending_replies
from intake_bot.service import poll_once
from intake_bot.store import Store
from tests.conftest import Org, settings_for, toml_for
from tests.test_intake_imap import FRENCH_DELETION

pytestmark = [pytest.mark.dovecot, pytest.mark.smtp, pytest.mark.slow]

# Runs `intake-bot poll --once` in a child that SIGKILLs itself at the chosen point.
CRASHER = textwrap.dedent("""
    import os, signal, sys
    import intake_bot.pipeline as pipeline
    import intake_bot.responders.outbox as outbox

    point, config = sys.argv[1], sys.argv[2]

    def die(*_args, **_kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    if point.startswith("after-step:"):
        wanted, steps = point.split(":", 1)[1], []
        for step in pipeline.DEFAULT_STEPS:
            steps.append(step)
            if step.name == wanted:
                die.name = "crash"
                steps.append(die)
        assert len(steps) == len(pipeline.DEFAULT_STEPS) + 1, "unknown step " + wanted
        pipeline.DEFAULT_STEPS = tuple(steps)
    elif point == "after-record":
        original_record = pipeline.record_batch
        def record_then_die(*args):
            original_record(*args)
            die()
        pipeline.record_batch = record_then_die
    elif point == "after-smtp-accepted":
        original_send = outbox.SmtpRelay.send
        def send_then_die(self, raw, sender, recipient):
            original_send(self, raw, sender, recipient)
            die()
        outbox.SmtpRelay.send = send_then_die
    from intake_bot.cli import main
    sys.exit(main(["--config", config, "poll", "--once"]))
""")

STEPS = [
    "parse",
    "dedupe",
    "screen-automated",
    "find-thread",
    "detect-language",
    "classify",
    "check-code",
    "open-ticket",
    "queue-reply",
]


def _crash(point: str, config: Path) -> None:
    env = {**os.environ, "INTAKE_TEST_IMAP_PASSWORD": "secret"}
    child = subprocess.run(
        [sys.executable, "-c", CRASHER, point, str(config)], env=env, capture_output=True, timeout=120
    )
    assert child.returncode == -9, child.stderr.decode()[-2000:]


@pytest.mark.parametrize("point", [*(f"after-step:{s}" for s in STEPS), "after-record"])
def test_crash_during_intake_loses_nothing_and_replies_once(
    point: str, opms: Org, smtp_sink: SmtpSink, store_url: str, tmp_path: Path
) -> None:
    """After a kill -9 anywhere in the pipeline, the next poll opens exactly one ticket
    and sends exactly one acknowledgement."""
    settings = settings_for([opms], smtp_sink.port, store_url, tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(toml_for(settings))
    opms.deliver(FRENCH_DELETION.format(to=opms.address, n=f"crash-{point}"))

    _crash(point, config)
    store = Store.open(store_url)
    poll_once(settings, store)
    poll_once(settings, store)

    assert len(store.list_tickets()) == 1
    assert len(smtp_sink.wait_for(2, timeout=1)) == 1
    store.close()


def test_crash_after_the_relay_took_the_reply_never_sends_it_again(
    opms: Org, smtp_sink: SmtpSink, sqlite_url: str, tmp_path: Path
) -> None:
    """If the bot dies between the relay's 250 and marking the reply sent, the reply is
    not sent a second time: it is marked uncertain on the ticket for an officer."""
    settings = settings_for([opms], smtp_sink.port, sqlite_url, tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(toml_for(settings))
    opms.deliver(FRENCH_DELETION.format(to=opms.address, n="crash-smtp"))

    _crash("after-smtp-accepted", config)
    assert len(smtp_sink.wait_for(1)) == 1
    store = Store.open(sqlite_url)
    poll_once(settings, store)
    send_pending_replies(store, settings.smtp, now=datetime.now(UTC) + timedelta(hours=1))

    assert len(smtp_sink.wait_for(2, timeout=1)) == 1
    [ticket] = store.list_tickets()
    _, events, outbox = store.get_ticket(ticket.ref)  # type: ignore[misc]
    assert outbox[0].status == "uncertain"
    assert any(e.kind == "reply-uncertain" for e in events)
