"""An embedded SMTP relay (aiosmtpd) that keeps what it receives: for the demo and for tests."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Delivery:
    sender: str
    recipients: tuple[str, ...]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)


class _Keeper:
    """aiosmtpd handler (hooks are found by name): keep every message, or refuse on demand."""

    def __init__(self, on_delivery: Callable[[Delivery], None] | None = None) -> None:
        self.deliveries: list[Delivery] = []
        self.arrived = threading.Condition()
        self.refuse_with: str | None = None
        self.on_delivery = on_delivery

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_with:
            return self.refuse_with
        delivery = Delivery(
            envelope.mail_from, tuple(envelope.rcpt_tos), bytes(envelope.original_content or envelope.content)
        )
        with self.arrived:
            self.deliveries.append(delivery)
            self.arrived.notify_all()
        if self.on_delivery is not None:
            self.on_delivery(delivery)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SmtpSink:
    """A real SMTP server on a loopback port; ``deliveries`` holds what it accepted."""

    def __init__(
        self, port: int | None = None, on_delivery: Callable[[Delivery], None] | None = None
    ) -> None:
        self.port = port or free_port()
        self.keeper = _Keeper(on_delivery)
        self.controller = Controller(self.keeper, hostname="127.0.0.1", port=self.port)

    @property
    def deliveries(self) -> list[Delivery]:
        return self.keeper.deliveries

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def refuse(self, reply: str | None) -> None:
        """Answer DATA with *reply* (e.g. "451 try later") until called with None."""
        self.keeper.refuse_with = reply

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Delivery]:
        with self.keeper.arrived:
            self.keeper.arrived.wait_for(lambda: len(self.deliveries) >= count, timeout)
            return list(self.deliveries)
