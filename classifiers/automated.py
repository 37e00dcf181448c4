"""Tell automated mail (auto-replies, bounces, list and bulk mail) from people's mail.

RFC 3834 asks responders never to answer such mail; answering one auto-responder
with another is how mail loops start. Headers decide first; out-of-office text
with no header is recognised by its wording only when it is unmistakable (an
absence phrase together with a return or contact phrase), so that a person who
mentions being away is not silenced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from intake_bot.parsing import ParsedMessage

Kind = Literal["auto-reply", "bounce", "bulk"]


@dataclass(frozen=True)
class AutomatedVerdict:
    kind: Kind
    reason: str


# Microsoft 365 sends its non-delivery reports from MicrosoftExchange<hex>@ the sender's domain.
_BOUNCE_SENDER = re.compile(
    r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon|microsoftexchange[0-9a-f]{16,})@", re.I
)
_NOREPLY_SENDER = re.compile(r"^(no-?reply|do-?not-?reply|ne-?pas-?repondre|noreply-[^@]*)@", re.I)
_BOUNCE_SUBJECT = re.compile(
    r"^\s*(undeliverable|undelivered mail|delivery status notification|delivery failure|"
    r"mail delivery failed|returned mail|failure notice|message not delivered|"
    r"non remis|non distribuable|échec de (la )?remise|echec de (la )?remise|"
    r"avis de non-?remise|rapport de non-?remise|notification d.[ée]tat de (la )?remise|"
    r"mail delivery failure|"
    # Exim, Sendmail, Domino, Exchange and hosted senders' other subjects, delays included
    r"message delivery (has )?failed|mail could not be delivered|could not deliver (the )?message|"
    r"non-?delivery (report|notification)|nondeliverable mail|delayed mail|mail delivery delayed|"
    r"delivery (status notification )?\(?delay|warning: could not send message|"
    r"message remis en attente|remise diff[ée]r[ée]e|message delivery failure|mail system error|"
    r"(message|courrier|courriel) non remis|notification d.[ée]chec de (la )?remise|"
    # Lotus Notes, Domino and other servers' subjects, and French wordings of them
    r"delivery notification: delivery has failed|permanent delivery failure|"
    r"message delivery error|mail failure -|"
    r"[ée]chec de (la )?(distribution|livraison|remise) (du|de votre) (message|courriel|courrier)|"
    r"(message|courrier|courriel) non (d[ée]livr[ée]|distribu[ée])|"
    r"(courrier|courriel|message) retourn[ée])",
    re.I,
)
# What mail servers write at the top of a bounce (Postfix, Exim, Sendmail, qmail, Courier,
# Gmail, Yahoo, Exchange, hosted senders; in English and French), for bounces that reach
# us without their report headers, e.g. re-sent by a forwarding rule. The wording must open
# the text: a person who forwards a bounce to ask about it writes their own words first.
_BOUNCE_TEXT = re.compile(
    r"(this is the mail system at host|this is the qmail-send program|"
    r"i'?m sorry to have to inform you that your message could not\s+be\s+delivered|"
    r"delivery to the following recipients? (failed|has failed) permanently|"
    r"delivery has failed to these recipients or groups|"
    r"your message (wasn'?t|was not|couldn'?t be|could not be) delivered to|"
    r"this message was created automatically by mail delivery software|"
    r"the original message was received at (mon|tue|wed|thu|fri|sat|sun)[a-z]*,? \d{1,2} [a-z]{3,9} \d{4}|"
    r"-+ the following addresses had (permanent fatal|transient non-fatal) errors|"
    r"(sorry, )?we were unable to deliver your message to the following address|"
    r"an error occurred while trying to deliver the mail to the following recipients|"
    r"this is a delivery status notification|"
    r"delivery to the following recipients? (has been|is) delayed|"
    r"ce message a [ée]t[ée] cr[ée]{1,2} automatiquement par le logiciel de (livraison|distribution)|"
    r"message (was )?undeliverable|a message that you sent could not be delivered|"
    r"^\s*(diagnostic-code|final-recipient|reporting-mta)\s*:|"
    r"\b5[0-5]\d[ -]5\.\d{1,3}\.\d{1,3}\b|"
    r"votre message n.a pas pu [êe]tre (remis|distribu[ée]|livr[ée])|"
    r"le message (suivant )?n.a pas pu [êe]tre (remis|distribu[ée]|livr[ée])|"
    r"la remise (du message )?(a [ée]chou[ée]|aux destinataires (ou groupes )?suivants a [ée]chou[ée])|"
    # Gmail, Outlook.com and Microsoft 365, older Exchange, Courier and Sendmail, in both languages
    r"there was a (temporary )?problem delivering your message to|"
    r"your message to \S+ (couldn'?t|could not|can ?not|wasn'?t|was not) be delivered|"
    r"your message to \S+ (has been|was) (blocked|rejected)|"
    r"your message to the following recipients? (cannot|could not) be delivered|"
    r"your message did not reach some or all of the intended recipients|"
    r"the following message to \S+ was undeliverable|"
    r"delivery to the following recipients? failed|"
    r"the following recipients? (cannot|could not) be reached|"
    r"(unable|impossible) to deliver (the |your |this )?message to|"
    r"-+ transcript of session follows|"
    r"votre (message|courriel|courrier|e-?mail|mail) (à|a) \S+ n.a (pas )?pu [êe]tre "
    r"(remis|distribu[ée]|livr[ée]|d[ée]livr[ée])|"
    r"votre (message|courriel|courrier|e-?mail|mail) n.a pas [ée]t[ée] "
    r"(remis|distribu[ée]|livr[ée]|d[ée]livr[ée])|"
    r"impossible de (remettre|distribuer|livrer|d[ée]livrer) (le|votre|ce) (message|courriel)|"
    # OpenSMTPD, Sun/Oracle Messaging Server, Domino, MailMarshal, Outlook.com and hosted filters
    r"this is the mailer-daemon, please do not reply|"
    r"an error has occurred while attempting to deliver a message|"
    r"this report relates to a message you sent|"
    r"this is an automatically generated delivery status notification|"
    r"your (mail|message|e-?mail) to the following recipients? could not be delivered|"
    r"-* ?the following addresses had delivery (errors|problems)|"
    r"^\s*your message:?\s*\n\s*(from|to|subject|date)\s*:|"
    r"delivery to the following recipients? (was|has been) (rejected|refused)|"
    r"(mail|message) could not be delivered to (the following|one or more)|"
    r"(le|ce|votre) (message|courriel|courrier) (suivant |que vous avez envoy[ée] )?n.a (pas )?pu "
    r"[êe]tre (remis|distribu[ée]|livr[ée]|d[ée]livr[ée])|"
    r"la (distribution|livraison) (du message )?(a [ée]chou[ée]|aux destinataires suivants a [ée]chou[ée])|"
    r"les destinataires suivants n.ont pas pu [êe]tre (joints|atteints))",
    re.I | re.M,
)
_AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic|matische)?[- ]?(reply|response|antwort)|autoreply|"
    r"réponse automatique|reponse automatique|r[ée]ponse automatique|"
    r"out of (the )?office|ooo\b|absent(e)? du bureau|absence du bureau|"
    r"away from (the )?office|on vacation|en vacances|en congé)",
    re.I,
)
_ABSENCE = re.compile(
    r"(\b(i am|i'm|i will be|i’ll be|i'll be)\s+(currently\s+)?(out of (the )?office|away|on (annual\s+)?"
    r"(leave|vacation|holiday|holidays|parental leave|sick leave)|travell?ing|out of the country)"
    r"|\bje (suis|serai)\s+(actuellement\s+)?(absente?|en (congé|vacances|déplacement|formation))"
    r"|\bthank you for your (e-?mail|message)[.,!]?\s+(i am|i'm|i will be)\s+(away|out)"
    r"|\bmerci (pour|de) votre (courriel|message)[.,!]?\s+je (suis|serai) (absente?|en congé))",
    re.I,
)
_RETURN = re.compile(
    r"(\b(return|returning|back)\b.{0,40}\b(on|until|after|le|monday|tuesday|wednesday|thursday|"
    r"friday|\d{1,2})\b|\buntil\b|\bjusqu|\bde retour\b|\bretour (le|prévu)|\blimited access\b|"
    r"\baccès limité\b|\bacces limite\b|\bin my absence\b|\ben mon absence\b|\burgent\b|\burgence\b|"
    r"\bwill (reply|respond|answer|get back)\b|\brépondrai\b|\brepondrai\b)",
    re.I,
)


def screen_automated(message: ParsedMessage) -> AutomatedVerdict | None:
    """The reason *message* is automated, or None for mail a person wrote."""
    h = message.headers
    sender = message.from_address
    auto_submitted = h.get("auto-submitted", "").split(";")[0].strip().lower()
    if message.report_type == "delivery-status" or h.get("x-failed-recipients"):
        return AutomatedVerdict("bounce", "delivery status notification")
    if _BOUNCE_SENDER.match(sender) or (not sender and _BOUNCE_SUBJECT.match(message.subject)):
        return AutomatedVerdict("bounce", "sent by a mailer daemon")
    if _BOUNCE_SUBJECT.match(message.subject) and h.get("return-path", "").strip() in ("<>", ""):
        return AutomatedVerdict("bounce", "bounce subject from a null sender")
    if auto_submitted and auto_submitted != "no":
        kind: Kind = "auto-reply" if "repl" in auto_submitted else "bulk"
        return AutomatedVerdict(kind, f"auto-submitted: {auto_submitted}")
    precedence = h.get("precedence", "").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply", "auto-reply"):
        kind = "auto-reply" if "reply" in precedence else "bulk"
        return AutomatedVerdict(kind, f"precedence: {precedence}")
    if h.get("list-id"):
        return AutomatedVerdict("bulk", "list-id header (mailing list)")
    if h.get("list-unsubscribe") or h.get("feedback-id") or h.get("x-campaign"):
        return AutomatedVerdict("bulk", "bulk mail headers (list-unsubscribe, feedback-id)")
    if h.get("return-path", "").strip() == "<>":
        return AutomatedVerdict("bounce", "null return-path")
    for name in ("x-autoreply", "x-autorespond", "x-autogenerated"):
        if h.get(name):
            return AutomatedVerdict("auto-reply", f"{name} header")
    if h.get("x-auto-response-suppress") and _AUTO_SUBJECT.match(message.subject):
        return AutomatedVerdict("auto-reply", "x-auto-response-suppress with auto-reply subject")
    if _NOREPLY_SENDER.match(sender):
        return AutomatedVerdict("bulk", "sent from a no-reply address")
    if _BOUNCE_SUBJECT.match(message.subject):
        return AutomatedVerdict("bounce", "delivery failure subject")
    if _AUTO_SUBJECT.match(message.subject):
        return AutomatedVerdict("auto-reply", "auto-reply subject")
    if _opens_with_bounce_wording(message.new_text or message.text):
        return AutomatedVerdict("bounce", "a mail server's delivery failure wording")
    if is_out_of_office_text(message.new_text or message.text):
        return AutomatedVerdict("auto-reply", "out-of-office wording")
    return None


def _opens_with_bounce_wording(text: str) -> bool:
    found = _BOUNCE_TEXT.search(text[:600])
    if found is None:
        return False
    # Before it, at most a banner such as Gmail's "** Address not found **".
    before = "\n".join(
        line for line in text[: found.start()].splitlines() if not line.strip().startswith("**")
    )
    return len(re.sub(r"\W", "", before)) <= 40


def is_out_of_office_text(text: str) -> bool:
    """Absence wording near the top, together with a return or contact phrase."""
    head = text[:600]
    return bool(_ABSENCE.search(head)) and bool(_RETURN.search(head))
