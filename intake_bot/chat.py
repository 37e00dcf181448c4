"""The website chat: one conversation, one request, the same ticket as an email.

A visitor writes freely; the same classifiers as for mail read the request; when
they are unsure the bot asks which right is meant. It then asks for the email
address tied to the visitor's data and mails the same 6-digit identity code as
the email acknowledgement; the visitor types it in the chat. The ticket (channel
``chat``) is opened when the address is given, with its legal clock running from
the start of the conversation, exactly as a received email would be. From then
on every line of the conversation is on the ticket's trail, under the same
retention. Before that, the text lives in ``chat_conversations`` and is deleted
when the conversation goes idle.

This module holds the conversation's logic and its writes; ``web.py`` is the HTTP
edge (origins, rate limits, sizes) and the widget.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from intake_bot.classifiers import LABELS, classify_request, detect_language
from intake_bot.config import OrganizationSettings, Settings, code_key
from intake_bot.deadlines import compute_due_date
from intake_bot.errors import IntakeError
from intake_bot.lifecycle import (
    VERIFICATION_WORDS,
    confirm_by_code,
    count_wrong_code,
    find_codes,
    fresh_code_and_acknowledgement,
    judge_code,
    mask_codes,
)
from intake_bot.privacy import event, fingerprint
from intake_bot.responders.compose import LAW_NAMES, format_date, format_rights
from intake_bot.store import (
    ChatConversation,
    OutboxMessage,
    Status,
    Store,
    Ticket,
    acknowledgements_since,
    outbox_row,
)


class ChatStep(StrEnum):
    REQUEST = "request"  # waiting for the visitor's request in their own words
    RIGHTS = "rights"  # unsure: which right is meant?
    EMAIL = "email"  # which address is tied to the visitor's data?
    CODE = "code"  # the code was mailed; waiting for it
    DONE = "done"  # verified: the ticket runs its course
    CLOSED = "closed"  # nothing more this conversation can do (locked code, out of scope)


class ChatError(IntakeError):
    """A chat request the service refuses; ``status`` is the HTTP status to answer with."""

    status = 400

    def __init__(self, lang: str, key: str, **values: object) -> None:
        self.lang, self.key, self.values = lang, key, values
        super().__init__(key)

    def as_json(self) -> dict[str, object]:
        """The refusal in both languages: the widget shows the one it speaks."""
        return {
            "error": self.key,
            "message": {lang: PHRASES[lang][self.key].format(**self.values) for lang in PHRASES},
        }


class ConversationGone(ChatError):
    """The conversation does not exist, or went idle and was deleted."""

    status = 410


class TooManyTurns(ChatError):
    """The visitor has sent more messages than one conversation may hold."""

    status = 429


# Choices the widget shows as buttons; the value comes back instead of text.
OTHER, CHANGE_RIGHTS, CHANGE_EMAIL, RESEND, NEW = "other", "change-rights", "change-email", "resend", "new"

PHRASES: dict[str, dict[str, str]] = {
    "fr": {
        "greeting": "Bonjour! Je reçois les demandes concernant vos renseignements personnels chez "
        "{org} : en obtenir une copie, les faire corriger ou supprimer, ou ne plus recevoir nos "
        "communications. Écrivez-moi ce que vous souhaitez, dans vos mots.",
        "understood": "J'ai compris que vous demandez : {rights}.",
        "ask_email": "Pour confirmer que c'est bien vous, quelle adresse courriel utilisez-vous avec "
        "{org}? Je vous y enverrai un code de 6 chiffres.",
        "ask_rights": "Je veux être sûr de bien comprendre. Que souhaitez-vous? Choisissez ci-dessous "
        "ou écrivez-le dans vos mots.",
        "ask_rights_again": "Je n'arrive toujours pas à le déterminer. Choisissez une des options "
        "ci-dessous, s'il vous plaît.",
        "out_of_scope": "Ce clavardage reçoit les demandes concernant vos renseignements personnels. "
        "Pour toute autre question, écrivez à {address}.",
        "bad_email": "Cela ne ressemble pas à une adresse courriel. Écrivez-la comme nom@exemple.com.",
        "own_address": "C'est notre propre adresse. Indiquez plutôt la vôtre, celle que vous utilisez "
        "avec {org}.",
        "too_many_codes": "Trop de codes ont été envoyés à cette adresse aujourd'hui. Réessayez demain, "
        "ou écrivez à {address}.",
        "code_sent": "Votre demande porte le numéro {ref}. Je viens d'envoyer un code de 6 chiffres à "
        "{email}. Tapez-le ici (il est valide jusqu'au {until}). Pensez à vérifier vos indésirables.",
        "no_code": "Tapez le code de 6 chiffres reçu par courriel, s'il vous plaît.",
        "wrong_code": "Ce code ne correspond pas. Il vous reste {left} essai(s).",
        "locked": "Le code ne correspond pas, trop de fois. Pour vous protéger, la personne responsable "
        "vérifiera votre identité et vous écrira. Votre numéro de demande : {ref}.",
        "expired": "Ce code a expiré. Demandez un nouveau code ci-dessous.",
        "verified": "Merci, votre identité est confirmée. Votre demande {ref} est enregistrée : {org} "
        "vous répondra par écrit au plus tard le {due}, comme le prévoit {law}. Une confirmation "
        "vous a été envoyée par courriel.",
        "already": "Votre demande {ref} est enregistrée. Pour faire une autre demande, commencez une "
        "nouvelle conversation.",
        "gone": "Cette conversation est terminée. Commencez-en une nouvelle, s'il vous plaît.",
        "turns": "Cette conversation a atteint sa limite de messages. Commencez-en une nouvelle, ou "
        "écrivez à {address}.",
        "choice:access": "Obtenir une copie de mes renseignements",
        "choice:correction": "Faire corriger mes renseignements",
        "choice:deletion": "Faire supprimer mes renseignements",
        "choice:opt-out": "Ne plus recevoir vos communications",
        f"choice:{OTHER}": "Autre chose",
        f"choice:{CHANGE_RIGHTS}": "Ce n'est pas ce que je veux",
        f"choice:{CHANGE_EMAIL}": "Utiliser une autre adresse",
        f"choice:{RESEND}": "Envoyer un nouveau code",
        f"choice:{NEW}": "Nouvelle demande",
    },
    "en": {
        "greeting": "Hello! I take requests about your personal information at {org}: getting a "
        "copy, having it corrected or deleted, or no longer receiving our messages. Tell me what "
        "you would like, in your own words.",
        "understood": "I understand that you are asking for: {rights}.",
        "ask_email": "To confirm that it is you, what email address do you use with {org}? I will "
        "send a 6-digit code there.",
        "ask_rights": "I want to be sure I understand. What would you like? Pick below, or write it "
        "in your own words.",
        "ask_rights_again": "I still cannot tell. Please pick one of the options below.",
        "out_of_scope": "This chat takes requests about your personal information. For any other "
        "question, please write to {address}.",
        "bad_email": "That does not look like an email address. Please type it like name@example.com.",
        "own_address": "That is our own address. Please give yours, the one you use with {org}.",
        "too_many_codes": "Too many codes were sent to that address today. Please try again tomorrow, "
        "or write to {address}.",
        "code_sent": "Your request's reference is {ref}. I have just sent a 6-digit code to {email}. "
        "Please type it here (it is valid until {until}). Check your spam folder too.",
        "no_code": "Please type the 6-digit code from the email.",
        "wrong_code": "That code does not match. You have {left} more try(ies).",
        "locked": "The code did not match too many times. For your protection, the person in charge "
        "will check your identity and write to you. Your reference: {ref}.",
        "expired": "That code has expired. Ask for a new code below.",
        "verified": "Thank you, your identity is confirmed. Your request {ref} is recorded: {org} "
        "will answer you in writing no later than {due}, as {law} requires. A confirmation is on its "
        "way to your email.",
        "already": "Your request {ref} is recorded. To make another request, start a new conversation.",
        "gone": "This conversation has ended. Please start a new one.",
        "turns": "This conversation has reached its message limit. Please start a new one, or write "
        "to {address}.",
        "choice:access": "Get a copy of my information",
        "choice:correction": "Have my information corrected",
        "choice:deletion": "Have my information deleted",
        "choice:opt-out": "Stop receiving your messages",
        f"choice:{OTHER}": "Something else",
        f"choice:{CHANGE_RIGHTS}": "That is not what I meant",
        f"choice:{CHANGE_EMAIL}": "Use another address",
        f"choice:{RESEND}": "Send a new code",
        f"choice:{NEW}": "New request",
    },
}

# What the bot asks again when a turn brings nothing it can use.
REPROMPT = {
    ChatStep.REQUEST: "ask_rights",
    ChatStep.RIGHTS: "ask_rights",
    ChatStep.EMAIL: "ask_email",
    ChatStep.CODE: "no_code",
}

_EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+"
)


@dataclass
class ChatReply:
    """What the bot answers to one turn, as the widget shows it."""

    lang: str
    step: ChatStep
    messages: list[str]
    choices: list[str] = field(default_factory=list)
    ref: str | None = None

    def as_json(self) -> dict[str, object]:
        phrases = PHRASES[self.lang]
        return {
            "lang": self.lang,
            "step": self.step.value,
            # What the visitor is asked for, so the widget can set the input's type.
            "expects": {ChatStep.EMAIL: "email", ChatStep.CODE: "code"}.get(self.step, "text"),
            "messages": [{"from": "bot", "text": text} for text in self.messages],
            "choices": [{"value": value, "label": phrases[f"choice:{value}"]} for value in self.choices],
            "ref": self.ref,
        }


def greeting(org: OrganizationSettings, lang: str) -> str:
    """The organisation's own greeting in *lang* if it wrote one, else the default."""
    custom = getattr(org.chat, lang).greeting if org.chat is not None else None
    return str(custom or PHRASES[lang]["greeting"].format(org=org.name))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


class ChatService:
    """Conversations for every organisation with an ``[organizations.chat]`` table."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_mail_queued: Callable[[], None] = lambda: None,
    ) -> None:
        self.settings, self.store, self.now = settings, store, now
        self.key = code_key(settings)
        self.on_mail_queued = on_mail_queued

    def organization(self, org_id: str) -> OrganizationSettings | None:
        for org in self.settings.organizations:
            if org.id == org_id and org.chat is not None:
                return org
        return None

    def start(self, org: OrganizationSettings, lang_hint: str) -> tuple[str, ChatReply]:
        """A new conversation: its secret token (only its hash is stored) and the greeting."""
        lang = lang_hint if lang_hint in ("fr", "en") else org.default_language
        token = secrets.token_urlsafe(32)
        now = self.now()
        reply = ChatReply(lang, ChatStep.REQUEST, [greeting(org, lang)])
        with self.store.transaction() as session:
            session.add(
                ChatConversation(
                    token_hash=token_hash(token),
                    org=org.id,
                    lang=lang,
                    step=ChatStep.REQUEST.value,
                    labels_json="[]",
                    request_text="",
                    transcript_json=json.dumps([_line(now, "bot", reply.messages[0])]),
                    turns=0,
                    clarifications=0,
                    ticket_id=None,
                    created_at=now,
                    updated_at=now,
                )
            )
        event("chat started", org=org.id)
        return token, reply

    def say(self, org: OrganizationSettings, token: str, *, text: str = "", choice: str = "") -> ChatReply:
        """One visitor turn (typed *text* or a button's *choice*) and the bot's answer."""
        now = self.now()
        queued = False
        with self.store.transaction() as session:
            conversation = session.scalar(
                select(ChatConversation)
                .where(ChatConversation.token_hash == token_hash(token), ChatConversation.org == org.id)
                .with_for_update()
            )
            idle = timedelta(minutes=self.settings.chat.idle_minutes)
            if conversation is None or conversation.updated_at < now - idle:
                raise ConversationGone(org.default_language, "gone")
            if conversation.turns >= self.settings.chat.max_turns:
                raise TooManyTurns(conversation.lang, "turns", address=_contact(org))
            turn = Turn(self, session, org, conversation, now)
            reply = turn.answer(text.strip(), choice.strip())
            conversation.turns += 1
            conversation.updated_at = now
            turn.record(reply)
            queued = turn.mail_queued
        if queued:
            self.on_mail_queued()
        return reply


def _contact(org: OrganizationSettings) -> str:
    return org.mailboxes[0].address if org.mailboxes else org.reply_address


def _line(at: datetime, who: str, text: str) -> list[str]:
    return [at.isoformat(timespec="seconds"), who, text]


class Turn:
    """One visitor message worked through the conversation's current step."""

    def __init__(
        self,
        service: ChatService,
        session: Session,
        org: OrganizationSettings,
        conversation: ChatConversation,
        now: datetime,
    ) -> None:
        self.service, self.session, self.org = service, session, org
        self.conversation, self.now = conversation, now
        self.said = ""  # the visitor's turn as the trail keeps it
        self.mail_queued = False

    @property
    def lang(self) -> str:
        return self.conversation.lang

    def phrase(self, key: str, **values: object) -> str:
        return PHRASES[self.lang][key].format(org=self.org.name, **values)

    def reply(self, step: ChatStep, messages: list[str], choices: list[str] | None = None) -> ChatReply:
        """Move to *step* and answer; the buttons are the step's own unless *choices* says otherwise."""
        self.conversation.step = step.value
        ticket = self.ticket()
        offered = self.available_choices(step) if choices is None else choices
        return ChatReply(self.lang, step, messages, offered, ticket.ref if ticket else None)

    def ticket(self) -> Ticket | None:
        if self.conversation.ticket_id is None:
            return None
        return self.session.get(Ticket, self.conversation.ticket_id)

    def answer(self, text: str, choice: str) -> ChatReply:
        step = ChatStep(self.conversation.step)
        choices = set(self.available_choices(step))
        if choice and choice not in choices:
            choice = ""  # a stale or forged button: treat the turn as text
            if not text:
                self.said = "[a button no longer offered]"
                if step in REPROMPT:
                    return self.reply(step, [self.phrase(REPROMPT[step])])
                return self.finished(step)
        label = PHRASES[self.lang].get(f"choice:{choice}", "") if choice else ""
        self.said = f"[{label}]" if choice else (mask_codes(text) if step is ChatStep.CODE else text)
        if choice == NEW or step in (ChatStep.DONE, ChatStep.CLOSED):
            return self.finished(step)
        if step is ChatStep.REQUEST:
            return self.on_request(text)
        if step is ChatStep.RIGHTS:
            return self.on_rights(text, choice)
        if step is ChatStep.EMAIL:
            return self.on_email(text, choice)
        return self.on_code(text, choice)

    @staticmethod
    def available_choices(step: ChatStep) -> list[str]:
        return {
            ChatStep.RIGHTS: [*LABELS, OTHER],
            ChatStep.EMAIL: [CHANGE_RIGHTS],
            ChatStep.CODE: [RESEND, CHANGE_EMAIL],
            ChatStep.DONE: [NEW],
            ChatStep.CLOSED: [NEW],
        }.get(step, [])

    def follow_language(self, text: str) -> None:
        guess = detect_language(text)
        if guess.lang is not None and guess.lang != self.conversation.lang:
            self.conversation.lang = guess.lang

    def on_request(self, text: str) -> ChatReply:
        self.follow_language(text)
        self.conversation.request_text = (self.conversation.request_text + "\n" + text).strip()
        result = classify_request(text)
        if result.labels and result.confident:
            return self.understood(result.labels)
        return self.reply(ChatStep.RIGHTS, [self.phrase("ask_rights")])

    def on_rights(self, text: str, choice: str) -> ChatReply:
        if choice == OTHER:
            return self.reply(ChatStep.REQUEST, [self.phrase("out_of_scope", address=_contact(self.org))])
        if choice in LABELS:
            return self.understood([choice])
        if text:
            self.follow_language(text)
            self.conversation.request_text = (self.conversation.request_text + "\n" + text).strip()
            result = classify_request(text)
            if result.labels:  # an answer to "which right?": the visitor has just said it
                return self.understood(result.labels)
        self.conversation.clarifications += 1
        again = "ask_rights_again" if self.conversation.clarifications > 1 else "ask_rights"
        return self.reply(ChatStep.RIGHTS, [self.phrase(again)])

    def understood(self, labels: list[str]) -> ChatReply:
        self.conversation.labels_json = json.dumps([label for label in LABELS if label in labels])
        ticket = self.ticket()
        if ticket is not None:  # the right changed before verification: the ticket follows
            ticket.labels_json = self.conversation.labels_json
            self.event(ticket, "relabelled", f"the visitor chose in the chat: {', '.join(labels)}")
            return self.reply(
                ChatStep.CODE,
                [self.phrase("understood", rights=format_rights(labels, self.lang)), self.phrase("no_code")],
            )
        rights = format_rights(self.conversation.labels, self.lang)
        return self.reply(
            ChatStep.EMAIL,
            [self.phrase("understood", rights=rights), self.phrase("ask_email")],
        )

    def on_email(self, text: str, choice: str) -> ChatReply:
        if choice == CHANGE_RIGHTS:
            return self.reply(ChatStep.RIGHTS, [self.phrase("ask_rights")])
        found = _EMAIL.search(text)
        address = found.group(0).lower() if found else ""
        if not found or "@" not in parseaddr(address)[1]:
            return self.reply(ChatStep.EMAIL, [self.phrase("bad_email")])
        if address in self.service.settings.own_addresses:
            return self.reply(ChatStep.EMAIL, [self.phrase("own_address")])
        if self.codes_sent_to(address) >= self.service.settings.chat.codes_per_address_per_day:
            event("chat code refused", reason="per-address limit", to=fingerprint(address))
            return self.reply(ChatStep.EMAIL, [self.phrase("too_many_codes", address=_contact(self.org))])
        ticket = self.ticket()
        if ticket is None:
            ticket = self.open_ticket(address)
        else:
            old = fingerprint(ticket.requester)
            ticket.requester = address
            self.event(ticket, "requester-changed", "the visitor gave another address in the chat")
            event("chat address changed", ticket=ticket.ref, before=old, after=fingerprint(address))
        until = self.send_code(ticket)
        return self.reply(
            ChatStep.CODE,
            [self.phrase("code_sent", ref=ticket.ref, email=address, until=until)],
        )

    def codes_sent_to(self, address: str) -> int:
        """Identity codes and acknowledgements mailed to *address* in the last 24 hours."""
        found = self.session.execute(
            acknowledgements_since(self.now - timedelta(days=1), address).group_by(OutboxMessage.recipient)
        ).first()
        return int(found[1]) if found else 0

    def open_ticket(self, address: str) -> Ticket:
        """The ticket, as a received email would open it; the clock runs from the conversation's start."""
        org, conversation, now = self.org, self.conversation, self.now
        received = conversation.created_at
        year = received.astimezone(org.zone).year
        ref = f"{org.prefix}-{year}-{Store.reserve_refs(self.session, org.id, year, 1):04d}"
        labels = conversation.labels
        due = compute_due_date(
            org.regime, received, org.zone, calendar_name=org.holiday_calendar, labels=labels
        )
        # The subject officers see in lists: the visitor's own words that carried the request.
        said = [line for line in conversation.request_text.splitlines() if line.strip()]
        ticket = Ticket(
            ref=ref,
            org=org.id,
            mailbox="chat",
            channel="chat",
            requester=address,
            requester_name="",
            subject=("(website chat) " + (said[-1] if said else ""))[:200].strip(),
            lang=conversation.lang,
            labels_json=json.dumps(labels),
            status=Status.AWAITING_VERIFICATION.value,
            received_at=received,
            due_at=due.due_at,
            due_rule=due.rule,
            code_attempts=0,
            extension_days=0,
            created_at=now,
            updated_at=now,
        )
        self.session.add(ticket)
        self.session.flush()
        conversation.ticket_id = ticket.id
        local = received.astimezone(org.zone).isoformat(timespec="seconds")
        self.event(
            ticket,
            "received",
            f"received {local} through the website chat; due "
            f"{due.due_at.astimezone(org.zone).isoformat(timespec='seconds')}: {due.rule}",
        )
        self.event(
            ticket,
            "intake",
            f"chat: language {conversation.lang}; rights {', '.join(labels)} "
            f"({conversation.clarifications} clarifying question(s))",
        )
        # The conversation so far moves to the trail; the conversation row keeps no text.
        for at, who, said in json.loads(conversation.transcript_json):
            self.chat_line(ticket, datetime.fromisoformat(at), f"{who}: {said}")
        conversation.transcript_json = "[]"
        conversation.request_text = ""
        event("chat ticket opened", ticket=ref, requester=fingerprint(address))
        return ticket

    def send_code(self, ticket: Ticket) -> str:
        """A fresh code on the ticket (the old one stops working) and the acknowledgement that carries it."""
        org, now = self.org, self.now
        message, valid_until = fresh_code_and_acknowledgement(
            self.session, org, ticket, self.service.key, now, self.service.settings.intake.code_valid_hours
        )
        self.session.add(
            OutboxMessage(**outbox_row(ticket.id, "acknowledgement", ticket.requester, message, now))
        )
        self.event(
            ticket,
            "reply-queued",
            f"acknowledgement in {ticket.lang} queued as {message['Message-ID']}; identity code valid "
            f"until {valid_until.astimezone(org.zone).isoformat(timespec='seconds')} (stored hashed)",
        )
        self.mail_queued = True
        return str(format_date(valid_until.astimezone(org.zone), self.lang))

    def on_code(self, text: str, choice: str) -> ChatReply:
        ticket = self.ticket()
        assert ticket is not None
        if ticket.status != Status.AWAITING_VERIFICATION.value:  # verified by mail or an officer meanwhile
            return self.finished(ChatStep.DONE)
        if choice == CHANGE_EMAIL:
            return self.reply(ChatStep.EMAIL, [self.phrase("ask_email")])
        limit = self.service.settings.intake.max_code_attempts
        if choice == RESEND:
            if ticket.code_attempts >= limit:
                return self.reply(ChatStep.CLOSED, [self.phrase("locked", ref=ticket.ref)])
            if self.codes_sent_to(ticket.requester) >= self.service.settings.chat.codes_per_address_per_day:
                return self.reply(
                    ChatStep.CODE, [self.phrase("too_many_codes", address=_contact(self.org))], [CHANGE_EMAIL]
                )
            until = self.send_code(ticket)
            return self.reply(
                ChatStep.CODE,
                [self.phrase("code_sent", ref=ticket.ref, email=ticket.requester, until=until)],
            )
        codes = find_codes(text)
        if not codes:
            return self.reply(ChatStep.CODE, [self.phrase("no_code")])
        verdict = judge_code(
            ticket, codes, from_requester=True, at=self.now, key=self.service.key, limit=limit
        )
        self.event(ticket, "intake", f"check-code (chat): {VERIFICATION_WORDS[verdict]}")
        if verdict == "verified":
            return self.verified(ticket)
        if verdict == "expired":
            return self.reply(ChatStep.CODE, [self.phrase("expired")])
        if verdict == "locked" or count_wrong_code(self.session, ticket, limit, self.now):
            return self.reply(ChatStep.CLOSED, [self.phrase("locked", ref=ticket.ref)])
        return self.reply(ChatStep.CODE, [self.phrase("wrong_code", left=limit - ticket.code_attempts)])

    def verified(self, ticket: Ticket) -> ChatReply:
        org = self.org
        confirm_by_code(self.session, org, ticket, "the identity code, typed in the website chat", self.now)
        self.mail_queued = True
        return self.reply(
            ChatStep.DONE,
            [
                self.phrase(
                    "verified",
                    ref=ticket.ref,
                    due=format_date(ticket.due_at.astimezone(org.zone), self.lang),
                    law=LAW_NAMES[org.regime][self.lang],
                )
            ],
        )

    def finished(self, step: ChatStep) -> ChatReply:
        ticket = self.ticket()
        if ticket is None:  # closed without a ticket (out of scope): start over in place
            self.conversation.labels_json = "[]"
            self.conversation.clarifications = 0
            return self.reply(ChatStep.REQUEST, [greeting(self.org, self.lang)])
        return self.reply(step, [self.phrase("already", ref=ticket.ref)])

    def event(self, ticket: Ticket, kind: str, detail: str) -> None:
        Store.add_event(self.session, ticket, kind, detail, at=self.now)

    def chat_line(self, ticket: Ticket, at: datetime, line: str) -> None:
        Store.add_event(self.session, ticket, "chat", line, actor="website chat", at=at)

    def record(self, reply: ChatReply) -> None:
        """The turn and the answer: on the ticket's trail once there is one, else on the conversation."""
        lines = [("visitor", self.said)] + [("bot", text) for text in reply.messages]
        ticket = self.ticket()
        if ticket is not None:
            for who, text in lines:
                self.chat_line(ticket, self.now, f"{who}: {text}")
            ticket.updated_at = self.now
            return
        transcript = json.loads(self.conversation.transcript_json)
        transcript += [_line(self.now, who, text) for who, text in lines]
        self.conversation.transcript_json = json.dumps(transcript, ensure_ascii=False)


def purge_idle_conversations(settings: Settings, store: Store, now: datetime) -> int:
    """Delete conversations idle past ``chat.idle_minutes``: a request without an address
    cannot be answered, and its text must not linger. Tickets keep their own trail."""
    cutoff = now - timedelta(minutes=settings.chat.idle_minutes)
    with store.transaction() as session:
        result = session.execute(delete(ChatConversation).where(ChatConversation.updated_at < cutoff))
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        event("idle chat conversations deleted", count=count)
    return count
