"""Keep the bot's own logs free of personal data: addresses are masked or hashed."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
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


def hash_code(code: str, salt: bytes | None = None) -> str:
    """Hash a verification code with scrypt and a per-code salt: ``salt$hash`` in hex.

    A 6-digit code has only a million values, so the hash is deliberately slow;
    attempts are also limited where codes are checked.
    """
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(code.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"{salt.hex()}${digest.hex()}"


def is_code_match(code: str, stored: str) -> bool:
    salt_hex, _, _ = stored.partition("$")
    return hmac.compare_digest(hash_code(code, bytes.fromhex(salt_hex)), stored)
