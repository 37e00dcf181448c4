"""Fixtures that start real servers: Dovecot (IMAP+LMTP), aiosmtpd, SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy

from intake_bot.config import Settings, parse_settings
from intake_bot.relay import SmtpSink
from intake_bot.store import Store
from intake_bot.testing import Dovecot

POSTGRES_ADMIN_URL = os.environ.get(
    "INTAKE_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
MAIL = Path(__file__).parent / "mail"
_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    # Not under pytest's tmp folder: that is mode 0700, and Dovecot's mail processes
    # run as an unprivileged user when the tests run as root.
    root = Path(tempfile.mkdtemp(prefix="intake-dovecot-"))
    server = Dovecot(root)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


def _postgres_database() -> Iterator[str]:
    """A fresh database on the machine's PostgreSQL, dropped afterwards."""
    name = f"intake_test_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    except sqlalchemy.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL at {POSTGRES_ADMIN_URL} is required for these tests: {exc.orig}")
    yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test using it runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tickets.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tickets.db'}"


class Org:
    """One organisation's mailbox on the test Dovecot, with a unique address per test."""

    def __init__(self, dovecot: Dovecot, org_id: str, lang: str) -> None:
        number = next(_numbers)
        self.id = org_id
        self.address = f"privacy{number}@{org_id}.example"
        self.dovecot = dovecot
        dovecot.add_user(self.address, "secret")
        self.lang = lang

    def deliver(self, raw: bytes | str, sender: str = "requester@example.com") -> None:
        if isinstance(raw, str):
            raw = textwrap.dedent(raw).lstrip().replace("\n", "\r\n").encode("utf-8")
        self.dovecot.deliver(self.address, raw, sender=sender)


def settings_for(
    orgs: list[Org], smtp_port: int, store_url: str, config_dir: Path, **intake: Any
) -> Settings:
    data: dict[str, Any] = {
        "store": {"url": store_url},
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "security": "none", "timeout_seconds": 5},
        "intake": {"outbox_retry_seconds": 1, **intake},
        "organizations": [
            {
                "id": org.id,
                "name": org.id.upper(),
                "regime": "quebec",
                "timezone": "America/Toronto",
                "default_language": org.lang,
                "reply_from": f"{org.id.upper()} <{org.address}>",
                "mailboxes": [
                    {
                        "address": org.address,
                        "host": "127.0.0.1",
                        "port": org.dovecot.imap_port,
                        "security": "none",
                        "username": org.address,
                        "password_env": "INTAKE_TEST_IMAP_PASSWORD",
                    }
                ],
                "officers": [{"name": "Officer", "email": f"officer@{org.id}.example", "language": org.lang}],
            }
            for org in orgs
        ],
    }
    return parse_settings(data, config_dir / "config.toml")


@pytest.fixture(autouse=True)
def _imap_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INTAKE_TEST_IMAP_PASSWORD", "secret")


@pytest.fixture
def opms(dovecot: Dovecot) -> Org:
    return Org(dovecot, "opms", "fr")


@pytest.fixture
def omnitech(dovecot: Dovecot) -> Org:
    return Org(dovecot, "omnitech", "en")


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    yield opened
    opened.close()


def toml_for(settings: Settings) -> str:
    """The settings as a TOML file, for tests that drive the CLI in a subprocess."""
    lines = [
        f'[store]\nurl = "{settings.store.url}"\n',
        f'[smtp]\nhost = "{settings.smtp.host}"\nport = {settings.smtp.port}\n'
        f'security = "{settings.smtp.security}"\ntimeout_seconds = 5\n',
        f"[intake]\noutbox_retry_seconds = {settings.intake.outbox_retry_seconds}\n"
        f"poll_interval_seconds = {settings.intake.poll_interval_seconds}\n",
    ]
    for org in settings.organizations:
        lines.append(
            f'[[organizations]]\nid = "{org.id}"\nname = "{org.name}"\nregime = "quebec"\n'
            f'timezone = "{org.timezone}"\ndefault_language = "{org.default_language}"\n'
            f'reply_from = "{org.reply_from}"\n'
        )
        for m in org.mailboxes:
            lines.append(
                f'[[organizations.mailboxes]]\naddress = "{m.address}"\nhost = "{m.host}"\n'
                f'port = {m.port}\nsecurity = "{m.security}"\nusername = "{m.username}"\n'
                f'password_env = "{m.password_env}"\nfolder = "{m.folder}"\n'
            )
        for o in org.officers:
            lines.append(
                f'[[organizations.officers]]\nname = "{o.name}"\nemail = "{o.email}"\n'
                f'language = "{o.language}"\n'
            )
    return "\n".join(lines)
