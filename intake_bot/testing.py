"""Real servers for tests and benchmarks: a throwaway Dovecot (IMAP + LMTP) and a cuttable TCP proxy.

Dovecot comes from Debian's dovecot-imapd and dovecot-lmtpd packages; it is
started in the foreground with its own config, state and mail under a temporary
folder, on free loopback ports, and mail is delivered to it over LMTP as an MTA
would. Import this module only in tests and benchmarks.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import smtplib
import socket
import subprocess
import threading
import time
from datetime import datetime
from pathlib import Path

from imapclient import IMAPClient

from intake_bot.relay import free_port

PASSWORD = "secret"

DOVECOT_CONF = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal_user}
default_login_user = {login_user}
mail_location = maildir:{root}/mail/%u
first_valid_uid = {uid}
last_valid_uid = 0
first_valid_gid = {gid}
mail_uid = {uid}
mail_gid = {gid}
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u allow_all_users=yes
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
protocol imap {{
  mail_max_userip_connections = 100
}}
"""


def find_dovecot() -> str | None:
    return shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot") else None)


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dovecot exited: {log.read_text(errors='replace') if log.exists() else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"dovecot did not listen on {port} within {timeout}s")


class Dovecot:
    """A Dovecot instance of our own; users are added before or after start."""

    def __init__(self, root: Path, *, capability: str | None = None) -> None:
        """*capability* replaces what Dovecot advertises (e.g. to play a server without IDLE)."""
        binary = find_dovecot()
        if binary is None:
            raise RuntimeError("dovecot is not installed: apt-get install dovecot-imapd dovecot-lmtpd")
        self.binary = binary
        self.root = root
        self.imap_port = free_port()
        self.lmtp_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.users: dict[str, str] = {}
        self.capability = capability
        if os.geteuid() == 0:
            # Dovecot refuses mail access as root; mail belongs to nobody here.
            nobody = pwd.getpwnam("nobody")
            self.uid, self.gid = nobody.pw_uid, nobody.pw_gid
            self.internal_user, self.login_user = "dovecot", "dovenull"
        else:
            self.uid, self.gid = os.getuid(), os.getgid()
            name = pwd.getpwuid(self.uid).pw_name
            self.internal_user = self.login_user = name

    def add_user(self, user: str, password: str = PASSWORD) -> None:
        """Any user logs in with the one test password; this only records the name."""
        if password != PASSWORD:
            raise ValueError(f"the test Dovecot accepts only the password {PASSWORD!r}")
        self.users[user] = password

    def start(self) -> Dovecot:
        for sub in ("run", "state", "mail", "home"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        for sub in ("mail", "home"):
            os.chown(self.root / sub, self.uid, self.gid)
        conf = self.root / "dovecot.conf"
        extra = f"imap_capability = {self.capability}\n" if self.capability else ""
        conf.write_text(
            extra
            + DOVECOT_CONF.format(
                root=self.root,
                uid=self.uid,
                gid=self.gid,
                imap_port=self.imap_port,
                lmtp_port=self.lmtp_port,
                password=PASSWORD,
                internal_user=self.internal_user,
                login_user=self.login_user,
            )
        )
        os.chmod(self.root, 0o755)
        self.process = subprocess.Popen(
            [self.binary, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        _wait_for_port(self.imap_port, self.process, self.root / "dovecot.log")
        _wait_for_port(self.lmtp_port, self.process, self.root / "dovecot.log")
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> Dovecot:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def deliver(self, recipient: str, raw: bytes, sender: str = "sender@example.com") -> None:
        """Deliver over LMTP, as an MTA would (Dovecot adds Return-Path and Delivered-To)."""
        with smtplib.LMTP("127.0.0.1", self.lmtp_port) as lmtp:
            lmtp.sendmail(sender, [recipient], raw)

    def client(self, user: str) -> IMAPClient:
        client = IMAPClient("127.0.0.1", port=self.imap_port, ssl=False, timeout=30)
        client.login(user, PASSWORD)
        return client

    def append(
        self,
        user: str,
        raw: bytes,
        when: datetime | None = None,
        folder: str = "INBOX",
        flags: tuple[bytes, ...] = (),
    ) -> None:
        """IMAP APPEND with an arrival date (INTERNALDATE), e.g. for mail received days ago."""
        client = self.client(user)
        try:
            client.append(folder, raw, flags=flags, msg_time=when)
        finally:
            client.logout()

    def kick(self, user: str) -> None:
        subprocess.run(
            ["doveadm", "-c", str(self.root / "dovecot.conf"), "kick", user], check=False, capture_output=True
        )


class CuttableProxy:
    """A loopback TCP proxy that can cut every connection after N bytes from the server.

    Used to drop an IMAP connection in the middle of a FETCH batch.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.cut_after: int | None = None
        self.cuts = 0
        self.bytes_from_server = 0
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        self._server.settimeout(0.2)
        while not self._stopping.is_set():
            try:
                downstream, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            budget = [self.cut_after]
            threading.Thread(target=self._pipe, args=(downstream, upstream, None), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, downstream, budget), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, budget: list[int | None] | None) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if budget is not None:
                    self.bytes_from_server += len(data)
                if budget is not None and budget[0] is not None:
                    if len(data) >= budget[0]:
                        sink.sendall(data[: budget[0]])
                        self.cuts += 1
                        break
                    budget[0] -= len(data)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def close(self) -> None:
        self._stopping.set()
        self._server.close()
