"""The one exception family of intake-bot, and what each member means for the caller."""

from __future__ import annotations


class IntakeError(Exception):
    """Base of every error intake-bot raises on purpose."""


class ConfigError(IntakeError):
    """Raised at start-up when the configuration file is missing, unreadable or invalid.

    The message names the file, the key and what to put there; the CLI prints it
    on one line and exits non-zero. Nothing is retried.
    """


class MessageError(IntakeError):
    """Raised when a message itself is at fault (malformed, oversized, undecodable).

    The message becomes a ticket for a human (`needs-triage`); it is never retried,
    because retrying the same bytes cannot succeed.
    """


class TransientError(IntakeError):
    """Raised when a server hiccups (IMAP, SMTP or the ticket store).

    The mail is left unacknowledged and the work is retried later with backoff.
    """


class UsageError(IntakeError):
    """Raised for a mistake on the command line (unknown ticket, unreadable file).

    Printed as one line on stderr with a non-zero exit, no traceback.
    """


class Drop(Exception):
    """Raised by a pipeline step to say "handled, stop here".

    Duplicates, automated mail and the bot's own mail are dropped: this is not an
    error, and the reason goes into the audit trail.
    """
