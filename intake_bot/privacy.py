"""Keep the bot's own logs free of personal data: addresses are masked or hashed."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

log = logging.getLogger("intake_bot")


def fingerprint(value: str) -> str:
    """A short, stable, non-reversible tag for an address or Message-ID, for logs."""
    digest = hashlib.sha256(value.strip().lower().encode("utf-8", "replace")).hexdigest()
    return digest[:10]


def mask_address(address: str) -> str:
    """ "jane.doe@example.org" -> "j***@e***.org#1a2b3c4d5e": readable enough to tell apart."""
    local, _, domain = address.strip().partition("@")
    if not domain:
        return f"***#{fingerprint(address)}"
    head, _, tld = domain.rpartition(".")
    masked_domain = f"{(head or tld)[:1]}***.{tld}" if head else f"{domain[:1]}***"
    return f"{local[:1]}***@{masked_domain}#{fingerprint(address)}"


def event(name: str, **context: Any) -> None:
    """Log a short lowercase event with key=value context (never bodies or clear addresses)."""
    if log.isEnabledFor(logging.INFO):
        parts = " ".join(f"{key}={value}" for key, value in context.items())
        log.info("%s %s", name, parts) if parts else log.info("%s", name)


def warn(name: str, **context: Any) -> None:
    parts = " ".join(f"{key}={value}" for key, value in context.items())
    log.warning("%s %s", name, parts)


def new_code() -> str:
    """A 6-digit one-time code from the system's cryptographic generator."""
    return f"{secrets.randbelow(1_000_000):06d}"


@dataclass(frozen=True)
class IssuedCode:
    """A fresh identity code: the plain code goes in one letter only; the hash is stored."""

    code: str
    hashed: str
    valid_until: datetime


def issue_code(key: bytes, now: datetime, valid_hours: int) -> IssuedCode:
    code = new_code()
    return IssuedCode(code, hash_code(code, key), now + timedelta(hours=valid_hours))


def hash_code(code: str, key: bytes, salt: bytes | None = None) -> str:
    """Keyed hash of a verification code: ``hmac-sha256$salt$digest`` in hex.

    A 6-digit code has only a million values, so any unkeyed hash of it can be
    reversed by trying them all. The key lives outside the ticket store (an
    environment variable or a key file), so a copy of the database alone does not
    reveal live codes; the per-code salt keeps equal codes from looking equal.
    """
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hmac.new(key, salt + code.encode(), hashlib.sha256).hexdigest()
    return f"hmac-sha256${salt.hex()}${digest}"


def is_code_match(code: str, stored: str, key: bytes) -> bool:
    _, salt_hex, _ = stored.split("$", 2)
    return hmac.compare_digest(hash_code(code.strip(), key, bytes.fromhex(salt_hex)), stored)
