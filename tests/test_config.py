"""A bad configuration is stopped at start-up with one line naming file, key and fix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from intake_bot.config import load_settings
from intake_bot.errors import ConfigError

GOOD = """\
[store]
url = "sqlite:///tickets.db"
[smtp]
host = "smtp.example.org"
port = 587
security = "starttls"
username = "bot@example.org"
password_env = "INTAKE_SMTP_PASSWORD"
[[organizations]]
id = "opms"
name = "OPMS"
regime = "quebec"
timezone = "America/Toronto"
default_language = "fr"
reply_from = "OPMS <contact@opms.example>"
[[organizations.mailboxes]]
address = "contact@opms.example"
host = "imap.opms.example"
port = 993
security = "tls"
username = "contact@opms.example"
password_env = "INTAKE_IMAP_PASSWORD_OPMS"
folder = "INBOX"
[[organizations.officers]]
name = "Olivier Pignolet"
email = "privacy@opms.example"
language = "fr"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


def test_the_issue_example_config_loads(tmp_path: Path) -> None:
    """The configuration shown in the intake issue is valid as written."""
    settings = load_settings(_write(tmp_path, GOOD))
    assert settings.organizations[0].mailboxes[0].folder == "INBOX"
    assert settings.store_url == f"sqlite:///{tmp_path / 'tickets.db'}"  # relative to the file


def test_config_example_in_the_repository_is_valid() -> None:
    """config.example.toml, which documents every key, loads as it is."""
    settings = load_settings(Path(__file__).parent.parent / "config.example.toml")
    assert {o.id for o in settings.organizations} == {"opms", "omnitech"}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("port = 587", 'port = "five"'), "smtp.port"),
        (('security = "starttls"', 'security = "ssl"'), "smtp.security"),
        (('timezone = "America/Toronto"', 'timezone = "Mars/Olympus"'), "organizations[0].timezone"),
        (('default_language = "fr"', 'default_language = "de"'), "organizations[0].default_language"),
        (('reply_from = "OPMS <contact@opms.example>"', 'reply_from = "OPMS"'), "reply_from"),
        (('folder = "INBOX"', 'folder = "INBOX"\nfolders = "typo"'), "unknown key"),
        (('host = "smtp.example.org"', 'host = "smtp.example.org"\nsecurity_x = 1'), "smtp.security_x"),
        (
            (
                '[smtp]\nhost = "smtp.example.org"\nport = 587\nsecurity = "starttls"',
                '[smtp]\nhost = "smtp.example.org"\nport = 25\nsecurity = "none"',
            ),
            "loopback",
        ),
        (('id = "opms"', 'id = "OPMS Inc"'), "organizations[0].id"),
        (("[[organizations.officers]]", "[organizations.officerz]\n[[organizations.officers]]"), "officerz"),
    ],
)
def test_bad_values_name_the_key(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    """Each mistake is reported with the file and the key, and what to put there."""
    old, new = change
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert str(path) in message
    assert expected in message


def test_missing_section_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"smtp: missing"):
        load_settings(
            _write(
                tmp_path, GOOD.split("[smtp]")[0] + "[[organizations]]" + GOOD.split("[[organizations]]")[1]
            )
        )
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(_write(tmp_path, "[store\nurl="))
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_settings(tmp_path / "nowhere.toml")


@pytest.mark.parametrize("command", [["check"], ["poll", "--once"], ["tickets", "list"]])
def test_cli_reports_a_bad_config_in_one_line_without_traceback(tmp_path: Path, command: list[str]) -> None:
    """The operator sees one clear line on stderr and a non-zero exit, never a traceback."""
    path = _write(tmp_path, GOOD.replace("port = 993", "port = 99999"))
    child = subprocess.run(
        [sys.executable, "-m", "intake_bot", "--config", str(path), *command],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 2
    assert "Traceback" not in child.stderr
    lines = child.stderr.strip().splitlines()
    assert len(lines) == 1 and "organizations[0].mailboxes[0].port" in lines[0]
    assert str(path) in lines[0]


def test_cli_without_config_says_what_is_missing() -> None:
    child = subprocess.run(
        [sys.executable, "-m", "intake_bot", "tickets", "list"], capture_output=True, text=True, timeout=60
    )
    assert child.returncode == 2
    assert child.stderr.strip() == "intake-bot: tickets needs --config FILE (start from config.example.toml)"


def test_missing_secret_names_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A password environment variable that is not set is named, not silently empty."""
    from intake_bot.config import secret_from_env

    monkeypatch.delenv("INTAKE_NOPE", raising=False)
    with pytest.raises(ConfigError, match=r"INTAKE_NOPE is not set"):
        secret_from_env("INTAKE_NOPE", "smtp.password_env")
