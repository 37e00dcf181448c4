"""Load the one TOML configuration file into frozen, validated settings.

Every error names the file, the key and what to put there. Secrets never live in
the file: it names environment variables (``password_env``) that hold them.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import tomllib
from datetime import time
from email.utils import parseaddr
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from intake_bot.errors import ConfigError

Security = Literal["tls", "starttls", "none"]
Language = Literal["fr", "en"]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


def is_loopback_host(host: str) -> bool:
    """True for localhost and loopback addresses, the only places plaintext may go."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_plaintext(host: str | None, security: str) -> None:
    if host and security == "none" and not is_loopback_host(host):
        raise ValueError(
            f'security = "none" sends passwords and personal data in clear; it is allowed only '
            f'to a loopback host (127.0.0.1, localhost), not {host!r}: use "tls" or "starttls"'
        )


def _check_address(value: str) -> str:
    _, addr = parseaddr(value)
    if "@" not in addr or addr.startswith("@") or addr.endswith("@"):
        raise ValueError(f"{value!r} is not an email address; write it as name@example.org")
    return value


class StoreSettings(BaseModel):
    model_config = _FROZEN
    url: str = Field(
        "sqlite:///tickets.db",
        description='a SQLAlchemy URL such as "sqlite:///tickets.db" or "postgresql://user@host/dbname"',
    )


class SmtpSettings(BaseModel):
    model_config = _FROZEN
    host: str = Field(description='the SMTP relay\'s host name, e.g. "smtp.example.org"')
    port: int = Field(587, ge=1, le=65535, description="a port number such as 587, 465 or 25")
    security: Security = Field("starttls", description='"tls", "starttls" or "none"')
    username: str | None = Field(None, description="the SMTP login, or leave the key out")
    password_env: str | None = Field(
        None, description="the name of an environment variable holding the SMTP password"
    )
    timeout_seconds: float = Field(30, gt=0, description="seconds before a silent server is given up")

    @model_validator(mode="after")
    def _plaintext_only_to_loopback(self) -> SmtpSettings:
        _check_plaintext(self.host, self.security)
        return self


class MailboxSettings(BaseModel):
    model_config = _FROZEN
    address: str = Field(description="the address people write to, e.g. contact@opms.example")
    host: str | None = Field(None, description='the IMAP server, e.g. "imap.opms.example"')
    port: int = Field(993, ge=1, le=65535, description="the IMAP port, usually 993 (tls) or 143")
    security: Security = Field("tls", description='"tls", "starttls" or "none"')
    username: str | None = Field(None, description="the IMAP login")
    password_env: str | None = Field(
        None, description="the name of an environment variable holding the IMAP password"
    )
    folder: str = Field("INBOX", description='the folder to watch, usually "INBOX"')
    maildir: str | None = Field(
        None, description="a local Maildir folder to read instead of IMAP (relative to the config)"
    )

    _address = field_validator("address")(_check_address)

    @model_validator(mode="after")
    def _one_source(self) -> MailboxSettings:
        if (self.host is None) == (self.maildir is None):
            raise ValueError('give either "host" (an IMAP server) or "maildir" (a local folder)')
        if self.host is not None and self.username is None:
            raise ValueError('an IMAP mailbox needs "username" (and usually "password_env")')
        _check_plaintext(self.host, self.security)
        return self


class OfficerSettings(BaseModel):
    model_config = _FROZEN
    name: str = Field(description="the officer's name as shown in mail")
    email: str = Field(description="where reminders and digests go")
    language: Language = Field("fr", description='"fr" or "en"')

    _email = field_validator("email")(_check_address)


def _channel(hex_colour: str, shift: int) -> float:
    value = int(hex_colour[1 + shift : 3 + shift], 16) / 255
    return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two "#rrggbb" colours (1 to 21)."""

    def luminance(colour: str) -> float:
        red, green, blue = (_channel(colour, shift) for shift in (0, 2, 4))
        return 0.2126 * red + 0.7152 * green + 0.0722 * blue

    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


class ChatStrings(BaseModel):
    """What the chat widget says in one language; every key has a sensible default."""

    model_config = _FROZEN
    title: str | None = Field(None, max_length=80, description="the panel's title")
    launcher: str | None = Field(None, max_length=60, description="the text of the button that opens it")
    greeting: str | None = Field(None, max_length=600, description="the bot's first message")


_COLOUR = r"^#[0-9a-fA-F]{6}$"


class OrganizationChatSettings(BaseModel):
    """The website chat of one organisation (``[organizations.chat]``)."""

    model_config = _FROZEN
    allowed_origins: tuple[str, ...] = Field(
        (),
        description='the websites that may embed the chat, e.g. ["https://www.opms.example"]',
    )
    colour: str = Field("#1d4f91", pattern=_COLOUR, description='the widget\'s main colour, "#rrggbb"')
    text_colour: str = Field(
        "#ffffff", pattern=_COLOUR, description='the text on that colour, "#rrggbb" (contrast 4.5:1 or more)'
    )
    fr: ChatStrings = ChatStrings()
    en: ChatStrings = ChatStrings()

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        cleaned = []
        for origin in value:
            scheme, _, rest = origin.partition("://")
            if scheme not in ("http", "https") or not rest or "/" in rest.rstrip("/"):
                raise ValueError(
                    f"{origin!r} is not a web origin; write only scheme, host and port, "
                    'like "https://www.opms.example" (no path)'
                )
            cleaned.append(origin.rstrip("/").lower())
        return tuple(cleaned)

    @model_validator(mode="after")
    def _readable(self) -> OrganizationChatSettings:
        ratio = contrast_ratio(self.colour, self.text_colour)
        if ratio < 4.5:
            raise ValueError(
                f"text_colour {self.text_colour} on colour {self.colour} has a contrast of {ratio:.1f}:1; "
                "WCAG asks for at least 4.5:1 so everyone can read it: darken one or lighten the other"
            )
        return self


class OrganizationSettings(BaseModel):
    model_config = _FROZEN
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")] = Field(
        description='a short lowercase identifier such as "opms"'
    )
    name: str = Field(description="the organisation's name as requesters know it")
    regime: Literal["quebec", "pipeda", "gdpr", "ccpa"] = Field(
        "quebec", description='the privacy law whose deadlines apply: "quebec", "pipeda", "gdpr" or "ccpa"'
    )
    clock_start: Literal["receipt", "verification"] = Field(
        "receipt",
        description='when the legal clock starts: "receipt", or "verification" where the law allows',
    )
    holiday_calendar: str | None = Field(
        None,
        pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$",
        description='holidays for working days, e.g. "CA-QC" (default: the regime\'s own)',
    )
    retention_days: int = Field(
        365, ge=0, description="days after closure before a ticket's personal data is erased"
    )
    mailbox_delete_after_days: int | None = Field(
        None,
        ge=0,
        description="days after closure before the mail is deleted from the IMAP server (unset: never)",
    )
    timezone: str = Field("America/Toronto", description='an IANA zone such as "America/Toronto"')
    default_language: Language = Field("fr", description='"fr" or "en"')
    reply_from: str = Field(description='the From of replies, e.g. "OPMS <contact@opms.example>"')
    ref_prefix: str | None = Field(
        None,
        pattern=r"^[A-Z0-9]{2,12}$",
        description='the ticket reference prefix, e.g. "OPMS" (default: the id in capitals)',
    )
    reminder_days: tuple[int, ...] = Field(
        (7, 3, 1), description="days before the due date when officers are reminded, e.g. [7, 3, 1]"
    )
    digest_time: str = Field(
        "08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description='local time of the daily digest, "HH:MM"'
    )
    digest_when_empty: bool = Field(
        False, description="send the digest to an officer even when nothing is open"
    )
    mailboxes: tuple[MailboxSettings, ...] = Field(
        (), description="one [[organizations.mailboxes]] table per watched mailbox"
    )
    officers: tuple[OfficerSettings, ...] = Field(
        (), description="one [[organizations.officers]] table per privacy officer"
    )
    chat: OrganizationChatSettings | None = Field(
        None, description="an [organizations.chat] table to offer the website chat (intake-bot serve)"
    )

    _reply_from = field_validator("reply_from")(_check_address)

    @model_validator(mode="after")
    def _clock_allowed(self) -> OrganizationSettings:
        from intake_bot.deadlines import REGIMES

        if self.clock_start == "verification" and not REGIMES[self.regime].clock_may_start_at_verification:
            raise ValueError(
                f'clock_start = "verification" is not allowed with regime = "{self.regime}": its deadline '
                'runs from receipt; use "receipt"'
            )
        return self

    @field_validator("reminder_days")
    @classmethod
    def _positive_days(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(day < 0 for day in value):
            raise ValueError("reminder days count down to the due date: use 0 or more")
        return tuple(sorted(set(value), reverse=True))

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a known IANA time zone") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def digest_at(self) -> time:
        hours, minutes = self.digest_time.split(":")
        return time(int(hours), int(minutes))

    @property
    def prefix(self) -> str:
        return self.ref_prefix or self.id.upper().replace("-", "").replace("_", "")[:12]

    @property
    def reply_address(self) -> str:
        return parseaddr(self.reply_from)[1].lower()


class IntakeSettings(BaseModel):
    model_config = _FROZEN
    max_message_bytes: int = Field(
        25 * 1024 * 1024,
        gt=0,
        description="mail larger than this many bytes becomes a ticket for a human, unparsed",
    )
    batch_size: int = Field(50, ge=1, le=1000, description="messages fetched per IMAP round trip")
    poll_interval_seconds: float = Field(
        60, gt=0, description="how often mailboxes without IMAP IDLE are polled"
    )
    max_replies_per_address_per_day: int = Field(
        3, ge=1, description="automatic replies to one address in 24 hours; stops mail loops"
    )
    code_valid_hours: int = Field(72, ge=1, description="how long the 6-digit verification code stays valid")
    outbox_retry_seconds: float = Field(
        60, gt=0, description="first wait before a failed SMTP send is retried (it doubles)"
    )
    max_code_attempts: int = Field(5, ge=1, description="wrong codes before a ticket's code is locked")
    verification_reminder_days: int = Field(
        3, ge=1, description="days without verification before the requester is reminded, once"
    )
    verification_expires_days: int = Field(
        14, ge=1, description="days without verification before the ticket goes to an officer"
    )
    secret_env: str = Field(
        "INTAKE_BOT_SECRET",
        description="the environment variable holding the key that hashes verification codes",
    )
    secret_file: str = Field(
        "intake-bot.secret",
        description="where the key is kept when that variable is not set (created, mode 0600)",
    )


class ChatSettings(BaseModel):
    """The web service of ``intake-bot serve`` (``[chat]``): where it listens, its limits."""

    model_config = _FROZEN
    host: str = Field("127.0.0.1", description='the address to listen on, e.g. "127.0.0.1"')
    port: int = Field(8025, ge=1, le=65535, description="the port to listen on")
    public_url: str | None = Field(
        None,
        pattern=r"^https?://[^/]+(/.*)?$",
        description='the address visitors reach the service at, e.g. "https://chat.opms.example"',
    )
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description="the reverse proxies trusted to give the client's address (X-Forwarded-For)",
    )
    max_message_chars: int = Field(
        2000, ge=100, le=20000, description="the longest message a visitor may send"
    )
    max_turns: int = Field(40, ge=5, description="messages a visitor may send in one conversation")
    messages_per_minute: int = Field(20, ge=1, description="messages one client address may send a minute")
    conversations_per_hour: int = Field(
        10, ge=1, description="conversations one client address may start an hour"
    )
    codes_per_address_per_day: int = Field(
        3, ge=1, description="identity codes mailed to one email address in 24 hours"
    )
    idle_minutes: int = Field(
        60, ge=5, description="minutes of silence after which a conversation ends and its text is dropped"
    )


class Settings(BaseModel):
    """Everything intake-bot needs, validated; passed in, never read from a global."""

    model_config = _FROZEN
    store: StoreSettings = StoreSettings()
    smtp: SmtpSettings
    intake: IntakeSettings = IntakeSettings()
    chat: ChatSettings = ChatSettings()
    organizations: tuple[OrganizationSettings, ...] = Field(
        description="one [[organizations]] table per organisation"
    )
    source: Path | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _unique(self) -> Settings:
        if not self.organizations:
            raise ValueError("add at least one [[organizations]] table")
        ids = [o.id for o in self.organizations]
        if len(set(ids)) != len(ids):
            raise ValueError(f"organisation ids must be unique, got {ids}")
        addresses = [m.address.lower() for o in self.organizations for m in o.mailboxes]
        if len(set(addresses)) != len(addresses):
            raise ValueError("a mailbox address may belong to one organisation only")
        return self

    def organization(self, org_id: str) -> OrganizationSettings:
        for org in self.organizations:
            if org.id == org_id:
                return org
        raise KeyError(org_id)

    @cached_property
    def own_addresses(self) -> frozenset[str]:
        """Every address the bot sends from or reads: mail from these is never answered."""
        found = {o.reply_address for o in self.organizations}
        found |= {parseaddr(m.address)[1].lower() for o in self.organizations for m in o.mailboxes}
        return frozenset(found)

    def resolve_path(self, value: str) -> Path:
        """A path from the config, taken relative to the config file's folder."""
        path = Path(value).expanduser()
        if not path.is_absolute() and self.source is not None:
            path = self.source.parent / path
        return path

    @property
    def store_url(self) -> str:
        """The store URL with a relative SQLite path resolved against the config's folder."""
        url = self.store.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and url != "sqlite:///:memory:":
            path = url[len(prefix) :]
            if not path.startswith("/"):
                return prefix + str(self.resolve_path(path))
        return url


def code_key(settings: Settings) -> bytes:
    """The key for hashing verification codes: from the environment, else a key file.

    The file is created on first use with a random key and mode 0600, so the
    embedded default works with nothing to set up; production sets the variable.
    """
    value = os.environ.get(settings.intake.secret_env)
    if value:
        return value.encode()
    path = settings.resolve_path(settings.intake.secret_file)
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it meanwhile
        return path.read_bytes().strip()
    except OSError as exc:
        raise ConfigError(
            f"intake.secret_file: cannot create {path} ({exc.strerror}); "
            f"set ${settings.intake.secret_env} instead"
        ) from None
    key = secrets.token_hex(32).encode()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


def secret_from_env(variable: str | None, key: str) -> str | None:
    """Read a secret from the environment variable the config names for *key*."""
    if variable is None:
        return None
    value = os.environ.get(variable)
    if value is None:
        raise ConfigError(f"{key}: the environment variable {variable} is not set; export it first")
    return value


def _format_location(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "function-before") or str(part).startswith("literal["):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _hint(loc: tuple[Any, ...]) -> str | None:
    model: Any = Settings
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        fields = getattr(model, "model_fields", {})
        field = fields.get(part)
        if field is None:
            return None
        annotation = field.annotation
        inner = getattr(annotation, "__args__", None)
        nested = next((a for a in (inner or ()) if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            nested = annotation
        if part == loc[-1] or nested is None:
            return str(field.description) if field.description else None
        model = nested
    return None


def parse_settings(data: dict[str, Any], source: Path | None = None) -> Settings:
    """Validate already-parsed TOML data; raise ConfigError naming file and key."""
    name = str(source) if source else "configuration"
    try:
        return Settings.model_validate({**data, "source": source})
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            where = _format_location(loc)
            message = str(error["msg"]).removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = "unknown key (check its spelling against config.example.toml)"
            elif error["type"] == "missing":
                message = "missing"
            hint = _hint(tuple(p for p in loc if not str(p).startswith("function")))
            if hint and error["type"] not in ("extra_forbidden",):
                message += f"; put {hint}"
            lines.append(f"{name}: {where}: {message}")
        raise ConfigError("\n".join(lines)) from None


def load_settings(path: str | Path) -> Settings:
    """Read and validate the TOML file at *path*."""
    source = Path(path).expanduser().resolve()
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file (start from config.example.toml)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the configuration file: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return parse_settings(data, source)
