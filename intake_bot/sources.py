"""Where mail comes from: an IMAP folder (imapclient) or a local Maildir.

IMAP: UIDs are tracked with their UIDVALIDITY (RFC 3501 s. 2.3.1.1), the folder
is opened read-only and bodies fetched with BODY.PEEK, so \\Seen is never relied
on nor changed: a message already read in another client is still taken. The
server's INTERNALDATE is the legal time of receipt.
"""

from __future__ import annotations

import mailbox as stdlib_mailbox
import os
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from intake_bot.config import MailboxSettings, secret_from_env
from intake_bot.errors import ConfigError, TransientError


@dataclass(frozen=True)
class FetchedMail:
    source_key: str
    raw: bytes
    received_at: datetime
    size: int
    truncated: bool  # only the header was fetched: the message is over the size limit
    uid: int = 0


IMAP_ERRORS = (IMAPClientError, OSError, socket.timeout, ssl.SSLError, EOFError)


def connect_imap(settings: MailboxSettings, *, timeout: float = 30.0) -> IMAPClient:
    """Log in to the mailbox's server; a wrong password is a ConfigError, a dead server transient."""
    assert settings.host is not None
    password = secret_from_env(settings.password_env, f"mailbox {settings.address}: password_env")
    try:
        client = IMAPClient(
            settings.host, port=settings.port, ssl=settings.security == "tls", timeout=timeout
        )
        if settings.security == "starttls":
            client.starttls(ssl.create_default_context())
        client.normalise_times = False  # keep INTERNALDATE's offset: it is the legal time
        client.login(settings.username or settings.address, password or "")
    except LoginError:
        raise ConfigError(
            f"mailbox {settings.address}: the server refused the login for "
            f"{settings.username!r}; check username and the password in ${settings.password_env}"
        ) from None
    except IMAP_ERRORS as exc:
        raise TransientError(
            f"mailbox {settings.address}: cannot reach {settings.host}:{settings.port} "
            f"({type(exc).__name__}: {exc})"
        ) from exc
    return client


class ImapFolder:
    """An open IMAP folder: its UIDVALIDITY and the messages after a given UID."""

    def __init__(self, client: IMAPClient, settings: MailboxSettings) -> None:
        self.client = client
        self.settings = settings
        info = client.select_folder(settings.folder, readonly=True)
        self.uidvalidity = int(info[b"UIDVALIDITY"])

    def uids_after(self, last_uid: int) -> list[int]:
        # "N:*" always matches the highest UID even when it is below N (RFC 3501
        # s. 6.4.8), so filter on our side.
        return sorted(uid for uid in self.client.search(["UID", f"{last_uid + 1}:*"]) if uid > last_uid)

    def fetch(self, uids: list[int], max_bytes: int) -> Iterator[FetchedMail]:
        """Fetch one batch in two round trips: sizes first, then bodies (headers if too large)."""
        sizes = self.client.fetch(uids, ["RFC822.SIZE", "INTERNALDATE"])
        small = [uid for uid in uids if uid in sizes and sizes[uid][b"RFC822.SIZE"] <= max_bytes]
        large = [uid for uid in uids if uid in sizes and uid not in small]
        bodies = self.client.fetch(small, ["BODY.PEEK[]"]) if small else {}
        headers = self.client.fetch(large, ["BODY.PEEK[HEADER]"]) if large else {}
        for uid in uids:
            if uid not in sizes:  # expunged since the search
                continue
            meta = sizes[uid]
            if uid in bodies:
                raw, truncated = bodies[uid].get(b"BODY[]") or b"", False
            elif uid in headers:
                raw, truncated = headers[uid].get(b"BODY[HEADER]") or b"", True
            else:
                continue
            received = meta.get(b"INTERNALDATE")
            if not isinstance(received, datetime):
                received = datetime.now(UTC)
            elif received.tzinfo is None:
                received = received.astimezone()
            yield FetchedMail(
                source_key=f"{self.uidvalidity}:{uid}",
                raw=bytes(raw),
                received_at=received,
                size=int(meta[b"RFC822.SIZE"]),
                truncated=truncated,
                uid=uid,
            )

    def has_idle(self) -> bool:
        return b"IDLE" in self.client.capabilities()


class MaildirFolder:
    """A local Maildir (the demo's source, and a fit for a local MTA's delivery)."""

    def __init__(self, path: Path) -> None:
        if not (path / "new").is_dir() and not (path / "cur").is_dir():
            raise ConfigError(f"maildir {path}: not a Maildir (it needs new/ and cur/ folders)")
        self.path = path
        self.box = stdlib_mailbox.Maildir(path, factory=None, create=False)

    def fetch_new(self, known: set[str], max_bytes: int) -> Iterator[FetchedMail]:
        keys = sorted(self.box.keys(), key=self._delivered_at)
        for key in keys:
            if key in known:
                continue
            path = self._path(key)
            try:
                size = path.stat().st_size
                with path.open("rb") as handle:
                    raw = handle.read() if size <= max_bytes else _read_header(handle)
            except FileNotFoundError:  # moved away meanwhile
                continue
            yield FetchedMail(
                source_key=key,
                raw=raw,
                received_at=datetime.fromtimestamp(self._delivered_at(key), UTC),
                size=size,
                truncated=size > max_bytes,
            )

    def _path(self, key: str) -> Path:
        # The stdlib keeps no public key-to-path API; _lookup has been there since Python 2.5.
        return self.path / str(self.box._lookup(key))  # type: ignore[attr-defined]

    def _delivered_at(self, key: str) -> float:
        try:
            return os.stat(self._path(key)).st_mtime
        except (FileNotFoundError, KeyError):
            return 0.0


def _read_header(handle: object) -> bytes:
    lines = []
    for line in handle:  # type: ignore[attr-defined]
        lines.append(line)
        if line in (b"\n", b"\r\n"):
            break
    return b"".join(lines)
