"""``intake-bot serve``: the website chat's HTTP edge, an ASGI app on Starlette.

Routes, per organisation with an ``[organizations.chat]`` table:

- ``GET  /chat/{org}/widget.js``: the widget, one script tag on the organisation's page;
  no third-party assets, styles inside its own shadow root.
- ``GET  /chat/{org}/``: a page that embeds the widget, to try it (and for the demo).
- ``POST /chat/{org}/conversations``: start a conversation; ``{"lang": "fr"}``.
- ``POST /chat/{org}/messages``: ``{"conversation": token, "text": ...}`` or ``{..., "choice": ...}``.

Everything here is about the edge: allowed origins (CORS), request sizes, rate
limits per client address, security headers. The conversation itself is
``chat.py``. Visitor text is never put into HTML by the server; the widget shows
it with ``textContent`` only.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from html import escape
from importlib import resources
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from intake_bot.chat import ChatError, ChatService, purge_idle_conversations
from intake_bot.config import OrganizationSettings, Settings
from intake_bot.privacy import event, warn
from intake_bot.store import Store

MAX_BODY_BYTES = 64 * 1024  # far above the longest allowed message, JSON-escaped

WIDGET_STRINGS = {
    "fr": {
        "launcher": "Vos renseignements personnels",
        "title": "Vos renseignements personnels",
        "input": "Votre message",
        "email": "Votre adresse courriel",
        "code": "Le code à 6 chiffres",
        "send": "Envoyer",
        "close": "Fermer",
        "you": "Vous",
        "choices": "Choix de réponses",
        "offline": "Le service ne répond pas. Réessayez dans un moment.",
        "busy": "Un instant…",
    },
    "en": {
        "launcher": "Your personal information",
        "title": "Your personal information",
        "input": "Your message",
        "email": "Your email address",
        "code": "The 6-digit code",
        "send": "Send",
        "close": "Close",
        "you": "You",
        "choices": "Answer choices",
        "offline": "The service is not answering. Please try again in a moment.",
        "busy": "One moment…",
    },
}

EDGE_ERRORS = {
    "origin": ("Ce site n'est pas autorisé à utiliser ce clavardage.", "This website may not use this chat."),
    "rate": (
        "Trop de messages en peu de temps. Attendez un peu, puis réessayez.",
        "Too many messages in a short time. Please wait a little and try again.",
    ),
    "too-long": (
        "Ce message est trop long ({limit} caractères au plus).",
        "That message is too long (at most {limit} characters).",
    ),
    "bad-request": ("Cette requête n'est pas valide.", "That request is not valid."),
    "unknown": ("Ce clavardage n'existe pas.", "There is no such chat."),
}


class RateLimiter:
    """At most *limit* events per *window* seconds per key (a sliding window in memory).

    One process holds the counts; behind several processes each enforces its own,
    which still bounds a flood. Keys are client addresses, kept only as long as
    their window.
    """

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self.hits: dict[str, deque[float]] = {}
        self.lock = threading.Lock()

    def allow(self, key: str) -> float:
        """0 if the event may happen now (and count it), else the seconds to wait."""
        now = self.clock()
        with self.lock:
            if len(self.hits) > 10_000:  # forget quiet keys so memory stays bounded
                for stale in [k for k, q in self.hits.items() if not q or q[-1] <= now - self.window]:
                    del self.hits[stale]
            queue = self.hits.setdefault(key, deque())
            while queue and queue[0] <= now - self.window:
                queue.popleft()
            if len(queue) >= self.limit:
                return queue[0] + self.window - now
            queue.append(now)
            return 0.0


def _error(status: int, key: str, *, origin: str | None = None, **values: object) -> JSONResponse:
    french, english = EDGE_ERRORS[key]
    response = JSONResponse(
        {"error": key, "message": {"fr": french.format(**values), "en": english.format(**values)}},
        status_code=status,
    )
    if origin:
        _allow(response, origin)
    return response


def _allow(response: Response, origin: str) -> None:
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Vary"] = "Origin"


def _own_origin(request: Request, settings: Settings) -> set[str]:
    own = {f"{request.url.scheme}://{request.url.netloc}".lower()}
    if settings.chat.public_url:
        scheme, _, rest = settings.chat.public_url.partition("://")
        own.add(f"{scheme}://{rest.split('/')[0]}".lower())
    return own


def _script_json(value: object) -> str:
    """JSON safe inside a <script> or a JavaScript file: no way to close the element."""
    return json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")


def create_app(settings: Settings, store: Store, service: ChatService | None = None) -> Starlette:
    chat = service or ChatService(settings, store)
    starts = RateLimiter(settings.chat.conversations_per_hour, 3600)
    messages = RateLimiter(settings.chat.messages_per_minute, 60)
    widget_source = resources.files("intake_bot").joinpath("static/widget.js").read_text(encoding="utf-8")

    def organization(request: Request) -> OrganizationSettings | None:
        return chat.organization(str(request.path_params["org"]))

    def checked_origin(request: Request, org: OrganizationSettings) -> str | None:
        """The request's Origin if the organisation allows it (its sites, or this service's own page)."""
        origin = (request.headers.get("origin") or "").rstrip("/").lower()
        assert org.chat is not None
        if origin and (origin in org.chat.allowed_origins or origin in _own_origin(request, settings)):
            return origin
        return None

    def client_key(request: Request) -> str:
        return request.client.host if request.client else "unknown"

    async def read_json(request: Request) -> dict[str, Any] | None:
        if "application/json" not in request.headers.get("content-type", ""):
            return None
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                raise OverflowError
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None
        return data if isinstance(data, dict) else None

    def api(
        handler: Callable[[Request, OrganizationSettings, str, dict[str, Any]], Awaitable[Response]],
        limiter: RateLimiter,
    ) -> Callable[[Request], Awaitable[Response]]:
        """The checks every API call passes, in order: organisation, origin, preflight, rate, size."""

        async def endpoint(request: Request) -> Response:
            org = organization(request)
            if org is None:
                return _error(404, "unknown")
            origin = checked_origin(request, org)
            if origin is None:
                event("chat refused", org=org.id, reason="origin")
                return _error(403, "origin")
            if request.method == "OPTIONS":  # CORS preflight for the JSON POST
                response = Response(status_code=204)
                _allow(response, origin)
                response.headers["Access-Control-Allow-Methods"] = "POST"
                response.headers["Access-Control-Allow-Headers"] = "Content-Type"
                response.headers["Access-Control-Max-Age"] = "600"
                return response
            wait = limiter.allow(client_key(request))
            if wait:
                event("chat refused", org=org.id, reason="rate")
                response = _error(429, "rate", origin=origin)
                response.headers["Retry-After"] = str(max(1, round(wait)))
                return response
            try:
                data = await read_json(request)
            except OverflowError:
                return _error(413, "too-long", origin=origin, limit=settings.chat.max_message_chars)
            if data is None:
                return _error(400, "bad-request", origin=origin)
            try:
                response = await handler(request, org, origin, data)
            except ChatError as refused:
                response = JSONResponse(refused.as_json(), status_code=refused.status)
            _allow(response, origin)
            response.headers["Cache-Control"] = "no-store"
            return response

        return endpoint

    async def start(
        request: Request, org: OrganizationSettings, origin: str, data: dict[str, Any]
    ) -> Response:
        lang = str(data.get("lang") or "")[:2].lower()
        token, reply = await run_in_threadpool(chat.start, org, lang)
        return JSONResponse({"conversation": token, **reply.as_json()}, status_code=201)

    async def say(request: Request, org: OrganizationSettings, origin: str, data: dict[str, Any]) -> Response:
        token, text, choice = data.get("conversation"), data.get("text", ""), data.get("choice", "")
        if not isinstance(token, str) or not isinstance(text, str) or not isinstance(choice, str):
            return _error(400, "bad-request")
        if len(text) > settings.chat.max_message_chars:
            return _error(413, "too-long", limit=settings.chat.max_message_chars)
        if len(token) > 100 or len(choice) > 40 or not (text.strip() or choice):
            return _error(400, "bad-request")
        reply = await run_in_threadpool(lambda: chat.say(org, token, text=text, choice=choice))
        return JSONResponse(reply.as_json())

    async def widget(request: Request) -> Response:
        org = organization(request)
        if org is None or org.chat is None:
            return Response(
                "// intake-bot: no chat for this organisation\n", 404, media_type="text/javascript"
            )
        base = str(request.url_for("page", org=org.id)).rstrip("/")
        if settings.chat.public_url:
            base = f"{settings.chat.public_url.rstrip('/')}/chat/{org.id}"
        config = {
            "api": base,
            "org": org.name,
            "defaultLang": org.default_language,
            "colour": org.chat.colour,
            "textColour": org.chat.text_colour,
            "maxChars": settings.chat.max_message_chars,
            "strings": {
                lang: {
                    **WIDGET_STRINGS[lang],
                    **{
                        key: value
                        for key, value in (
                            ("title", getattr(org.chat, lang).title),
                            ("launcher", getattr(org.chat, lang).launcher),
                        )
                        if value
                    },
                }
                for lang in ("fr", "en")
            },
        }
        body = widget_source.replace("__INTAKE_BOT_CONFIG__", _script_json(config))
        response = Response(body, media_type="text/javascript; charset=utf-8")
        response.headers["Cache-Control"] = "public, max-age=300"
        response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
        return response

    async def page(request: Request) -> Response:
        org = organization(request)
        if org is None:
            return _error(404, "unknown")
        lang = org.default_language
        title = {"fr": "Vos renseignements personnels", "en": "Your personal information"}[lang]
        html = PAGE.format(
            lang=lang,
            title=f"{escape(org.name)} — {title}",
            intro=escape(
                {
                    "fr": "Cette page montre le clavardage tel qu'il apparaît sur votre site. "
                    "Ouvrez-le avec le bouton en bas à droite.",
                    "en": "This page shows the chat as it appears on your website. "
                    "Open it with the button at the bottom right.",
                }[lang]
            ),
            snippet=escape(f'<script src="{request.url_for("widget", org=org.id)}" async></script>'),
            src=escape(str(request.url_for("widget", org=org.id))),
        )
        response = HTMLResponse(html)
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; "
            "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )
        return response

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    app = Starlette(
        middleware=[Middleware(SecurityHeaders)],
        routes=[
            Route("/health", health),
            Route("/chat/{org}/", page, name="page"),
            Route("/chat/{org}/widget.js", widget, name="widget"),
            Route("/chat/{org}/conversations", api(start, starts), methods=["POST", "OPTIONS"]),
            Route("/chat/{org}/messages", api(say, messages), methods=["POST", "OPTIONS"]),
        ],
    )

    return app


class SecurityHeaders:
    """Headers on every response: no MIME sniffing, no referrer leaving the chat's pages."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "no-referrer"
            await send(message)

        await self.app(scope, receive, send_with_headers if scope["type"] == "http" else send)


PAGE = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
</head>
<body>
<main>
<h1>{title}</h1>
<p>{intro}</p>
<pre><code>{snippet}</code></pre>
</main>
<script src="{src}" async></script>
</body>
</html>
"""


def chat_addresses(settings: Settings, host: str, port: int) -> list[tuple[OrganizationSettings, str]]:
    """Each organisation with a chat and the address of its page."""
    base = (settings.chat.public_url or f"http://{host}:{port}").rstrip("/")
    return [(org, f"{base}/chat/{org.id}/") for org in settings.organizations if org.chat is not None]


def serve(
    settings: Settings,
    store: Store,
    *,
    host: str | None = None,
    port: int | None = None,
    ready: Callable[[], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Run the chat service until SIGTERM/SIGINT (or *stop* is set), with the outbox sender
    and the clean-up job."""
    import uvicorn

    from intake_bot.service import Sender

    stopped = threading.Event()
    sender = Sender(settings, store, stopped)
    service = ChatService(settings, store, on_mail_queued=sender.wake.set)
    sender.thread.start()
    sender.wake.set()  # anything left in the outbox from before
    scheduler = BackgroundScheduler(timezone=UTC)
    scheduler.add_job(
        _purge_quietly,
        "interval",
        args=(settings, store),
        minutes=5,
        next_run_time=datetime.now(UTC) + timedelta(seconds=5),
        max_instances=1,
        coalesce=True,
        id="idle chats",
    )
    scheduler.start()
    config = uvicorn.Config(
        create_app(settings, store, service),
        host=host or settings.chat.host,
        port=port or settings.chat.port,
        access_log=False,  # client addresses are personal data; the app logs what matters
        proxy_headers=True,
        forwarded_allow_ips=settings.chat.forwarded_allow_ips,
        log_level="warning",
        server_header=False,
    )
    server = uvicorn.Server(config)
    threading.Thread(target=_watch_server, args=(server, ready, stop), daemon=True).start()
    try:
        server.run()
    finally:
        scheduler.shutdown(wait=True)
        stopped.set()
        sender.wake.set()
        sender.thread.join(timeout=10)


def _watch_server(server: Any, ready: Callable[[], None] | None, stop: threading.Event | None) -> None:
    """Call *ready* once the server listens; ask it to exit when *stop* is set."""
    while not server.started and not server.should_exit:
        time.sleep(0.05)
    if server.started and ready is not None:
        ready()
    while stop is not None and not server.should_exit:
        if stop.wait(0.2):
            server.should_exit = True


def _purge_quietly(settings: Settings, store: Store) -> None:
    try:
        purge_idle_conversations(settings, store, datetime.now(UTC))
    except Exception as exc:  # the next round tries again
        warn("idle chat clean-up failed", error=type(exc).__name__)
