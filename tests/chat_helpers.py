"""A running chat service for tests: ``intake-bot serve`` in a thread, on a loopback port,
with its real outbox sender mailing to an aiosmtpd relay."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from intake_bot.config import Settings, parse_settings
from intake_bot.relay import SmtpSink, free_port
from intake_bot.store import Store
from intake_bot.web import serve


def chat_settings(
    smtp_port: int,
    store_url: str,
    config_dir: Path,
    *,
    origins: tuple[str, ...] = ("https://www.opms.example",),
    name: str = "OPMS",
    intake: dict[str, Any] | None = None,
    **chat: Any,
) -> Settings:
    (config_dir / "mail" / "new").mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {
        "store": {"url": store_url},
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "security": "none", "timeout_seconds": 5},
        "intake": {"outbox_retry_seconds": 1, **(intake or {})},
        "chat": {"host": "127.0.0.1", "port": free_port(), **chat},
        "organizations": [
            {
                "id": "opms",
                "name": name,
                "regime": "quebec",
                "timezone": "America/Toronto",
                "default_language": "fr",
                "reply_from": "OPMS <contact@opms.example>",
                "mailboxes": [{"address": "contact@opms.example", "maildir": "mail"}],
                "officers": [{"name": "Officer", "email": "officer@opms.example", "language": "fr"}],
                "chat": {"allowed_origins": list(origins)},
            }
        ],
    }
    return parse_settings(data, config_dir / "config.toml")


@dataclass
class ChatServer:
    settings: Settings
    store: Store
    relay: SmtpSink
    base: str

    @property
    def origin(self) -> str:
        return self.settings.organizations[0].chat.allowed_origins[0]  # type: ignore[union-attr]

    def post(self, path: str, body: Any, *, origin: str | None = "default", **kwargs: Any) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        if origin is not None:
            headers["Origin"] = self.origin if origin == "default" else origin
        return httpx.post(f"{self.base}/chat/opms{path}", json=body, headers=headers, timeout=10, **kwargs)

    def start(self, lang: str = "fr", **kwargs: Any) -> tuple[str, dict[str, Any]]:
        response = self.post("/conversations", {"lang": lang}, **kwargs)
        assert response.status_code == 201, response.text
        body = response.json()
        return body["conversation"], body

    def say(self, token: str, text: str = "", choice: str = "", **kwargs: Any) -> dict[str, Any]:
        response = self.post("/messages", {"conversation": token, "text": text, "choice": choice}, **kwargs)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def code_mailed_to(self, address: str, count: int = 1) -> str:
        """The identity code in the *count*-th mail the relay caught for *address*."""
        for _ in range(50):
            mails = [
                d for d in self.relay.wait_for(len(self.relay.deliveries) + 1, 0.2) if address in d.recipients
            ]
            if len(mails) >= count:
                body = mails[count - 1].message.get_body(("plain",))
                assert body is not None
                found = re.search(r"^\s+(\d{6})\s*$", body.get_content(), re.MULTILINE)
                assert found, body.get_content()
                return found.group(1)
        raise AssertionError(f"no mail number {count} to {address} reached the relay")


def tickets_listed(server: ChatServer, folder: Path) -> list[dict[str, Any]]:
    """What an officer's `intake-bot tickets list --json` shows, run as a separate process."""
    config = folder / "officer.toml"
    config.write_text(
        f'[store]\nurl = "{server.settings.store.url}"\n'
        f'[smtp]\nhost = "127.0.0.1"\nport = {server.settings.smtp.port}\nsecurity = "none"\n'
        '[[organizations]]\nid = "opms"\nname = "OPMS"\nreply_from = "OPMS <contact@opms.example>"\n',
        encoding="utf-8",
    )
    listing = subprocess.run(
        [sys.executable, "-m", "intake_bot", "--config", str(config), "tickets", "list", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return [json.loads(line) for line in listing.stdout.splitlines()]


@contextmanager
def running_chat(settings: Settings, relay: SmtpSink) -> Iterator[ChatServer]:
    store = Store.open(settings.store_url)
    ready, stop = threading.Event(), threading.Event()
    thread = threading.Thread(
        target=serve, args=(settings, store), kwargs={"ready": ready.set, "stop": stop}, daemon=True
    )
    thread.start()
    try:
        assert ready.wait(20), "the chat service did not start"
        yield ChatServer(settings, store, relay, f"http://127.0.0.1:{settings.chat.port}")
    finally:
        stop.set()
        thread.join(20)
        store.close()
