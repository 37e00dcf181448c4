"""The chat widget end to end, in a real headless browser: Debian's Chromium driven by
Selenium through Debian's chromedriver (nothing is downloaded). The widget is embedded
in a page of another origin, as on an organisation's website."""

from __future__ import annotations

import functools
import shutil
import tempfile
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from intake_bot.relay import SmtpSink, free_port
from tests.chat_helpers import chat_settings, running_chat, tickets_listed

pytestmark = [pytest.mark.smtp, pytest.mark.browser]

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail(
            "Debian's chromium and chromium-driver are needed: scripts/test-services.sh installs them"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="intake-chromium-")
    for flag in (
        "--headless=new",
        "--no-sandbox",  # the tests run as root
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",  # the machine has no network to talk to
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--lang=fr-CA",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def website(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The organisation's own site on another port: another origin than the chat service."""
    root = tmp_path / "site"
    root.mkdir()
    port = free_port()
    server = ThreadingHTTPServer(
        ("127.0.0.1", port), functools.partial(SimpleHTTPRequestHandler, directory=str(root))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}", root
    finally:
        server.shutdown()
        server.server_close()


def _widget(browser: webdriver.Chrome) -> WebElement:
    host = WebDriverWait(browser, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-intake-bot]"))
    return host


def _part(browser: webdriver.Chrome, selector: str) -> WebElement:
    return _widget(browser).shadow_root.find_element(By.CSS_SELECTOR, selector)


def _bot_lines(browser: webdriver.Chrome) -> list[str]:
    return [e.text for e in _widget(browser).shadow_root.find_elements(By.CSS_SELECTOR, ".log .bot")]


def _wait_for_bot(browser: webdriver.Chrome, words: str) -> str:
    WebDriverWait(browser, 15).until(lambda d: any(words in line for line in _bot_lines(d)))
    return next(line for line in _bot_lines(browser) if words in line)


def _type(browser: webdriver.Chrome, text: str) -> None:
    field = _part(browser, "input")
    field.send_keys(text)
    field.send_keys(Keys.ENTER)


def test_a_french_deletion_request_in_the_browser(
    browser: webdriver.Chrome, website: tuple[str, Path], tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    """The issue's end-to-end path: open the widget on the organisation's page, ask in
    French for deletion, read the code at the relay, type it, see the confirmation, find
    the ticket in `tickets list`. On the way: keyboard use, labels, escaping."""
    site, root = website
    settings = chat_settings(
        smtp_sink.port, f"sqlite:///{tmp_path / 'tickets.db'}", tmp_path, origins=(site,)
    )
    with running_chat(settings, smtp_sink) as chat:
        (root / "index.html").write_text(
            '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>OPMS</title></head>'
            "<body><h1>Politique de confidentialité</h1>"
            f'<script src="{chat.base}/chat/opms/widget.js" async></script></body></html>',
            encoding="utf-8",
        )
        browser.get(f"{site}/index.html")
        launcher = _part(browser, ".launcher")
        assert launcher.text == "Vos renseignements personnels"
        assert launcher.get_attribute("aria-expanded") == "false"

        launcher.send_keys(Keys.ENTER)  # keyboard, not a mouse
        _wait_for_bot(browser, "Bonjour")
        assert launcher.get_attribute("aria-expanded") == "true"
        panel = _part(browser, "[role=dialog]")
        assert panel.get_attribute("lang") == "fr"
        assert _part(browser, "[role=log]").get_attribute("aria-live") == "polite"
        assert _part(browser, "label[for=intake-bot-input]").get_attribute("textContent") == "Votre message"
        assert _part(browser, ".close").get_attribute("aria-label") == "Fermer"

        _type(browser, "Bonjour, je veux que vous effaciez mes données personnelles")
        _wait_for_bot(browser, "quelle adresse courriel")
        assert _part(browser, "input").get_attribute("type") == "email"
        _type(browser, "lucie.gagnon@example.com")
        _wait_for_bot(browser, "code de 6 chiffres à lucie.gagnon@example.com")
        code = chat.code_mailed_to("lucie.gagnon@example.com")
        assert _part(browser, "input").get_attribute("autocomplete") == "one-time-code"
        _type(browser, code)
        confirmed = _wait_for_bot(browser, "votre identité est confirmée")
        ref = next(word.rstrip(":.") for word in confirmed.split() if word.startswith("OPMS-"))

        # Whatever the visitor types is shown as text, never run as markup.
        _type(browser, '<img src=x onerror="window.hacked=1"><b>gras</b>')
        _wait_for_bot(browser, "Pour faire une autre demande")
        visitor = _widget(browser).shadow_root.find_elements(By.CSS_SELECTOR, ".log .visitor")
        assert visitor[-1].text.endswith('<img src=x onerror="window.hacked=1"><b>gras</b>')
        assert _widget(browser).shadow_root.find_elements(By.CSS_SELECTOR, ".log img, .log b") == []
        assert browser.execute_script("return window.hacked === undefined")

        _part(browser, "input").send_keys(Keys.ESCAPE)
        assert _part(browser, "[role=dialog]").get_attribute("hidden") is not None
        assert (
            browser.execute_script(
                "return document.querySelector('[data-intake-bot]').shadowRoot.activeElement.className"
            )
            == "launcher"
        )

        rows = tickets_listed(chat, tmp_path)
        assert [(r["ref"], r["channel"], r["status"], r["labels"]) for r in rows] == [
            (ref, "chat", "verified", ["deletion"])
        ]
