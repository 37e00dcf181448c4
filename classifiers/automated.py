"""Tell automated mail (auto-replies, bounces, list and bulk mail) from people's mail.

RFC 3834 asks responders never to answer such mail; answering one auto-responder
with another is how mail loops start. Headers decide first; out-of-office text
with no header is recognised by its wording only when it is unmistakable (an
absence phrase together with a return or contact phrase), so that a person who
mentions being away is not silenced; list and newsletter mail with no header, by
its footers, only when nothing in it reads as a person's words (reads_as_mailing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from intake_bot.classifiers.requests import classify_request, rule_cues
from intake_bot.parsing import FIRST_PERSON, ParsedMessage, extract_new_text, is_mailing_footer

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

# Mail that reaches us without its list headers (re-sent by a rule, relayed, or from a
# sender that sets none) is told by what list software and mailing tools write under it:
# a list manager's trailer after its separator line (Mailman, Google Groups, LISTSERV,
# Sympa) or a digest's opening; or two different marks of a newsletter, each on a line of
# its own that opens with it (the footer to its reader, "view in your browser", a row of
# unsubscribe and preference links, a copyright notice with its year).
#
# People paste footers, forward list mail without a separator and sign with their
# company's notices; a newsletter let through is read by the classifier, but a person's
# request dropped is lost. So never when the sender's own words, those lines set aside,
# read as a person's: a line in the first person, or a request cue in what comes first (up
# to the next such line); nor, for a newsletter's marks, when the classifier half reads a
# right (_HALF_READ) in that first paragraph. It reads a newsletter's lines ("40% off every
# plan!") as half an opt-out, as it reads "assez de pub" typed above a pasted one: opt-out
# counts unless the mail opens with the newsletter's "view in your browser".
_SEPARATOR = re.compile(r"^\s*(--|_{10,}|-{10,}|#{10,}|={10,})\s*$")
_LIST_TRAILER = re.compile(
    r"^\s*(<?https?://\S+/(mailman/listinfo|mailman3?/lists|postorius/lists|sympa/info|listinfo)/\S*>?\s*$"
    r"|to unsubscribe,? send an e-?mail to \S+-(leave|unsubscribe|request)@"
    r"|you received this message because you are subscribed to the google groups?\b"
    r"|to unsubscribe from this group and stop receiving e-?mails from it"
    r"|vous recevez ce message,? car vous [êe]tes abonn[ée]e? au groupe"
    r"|(to|pour) (unsubscribe|sign ?off|vous d[ée]sabonner|vous d[ée]sinscrire|quitter)( from)? "
    r"(the|this|de la|de cette|de ce|du|cette|ce) (\S+ )?(list|liste|group|groupe)\b"
    r"|\S[^\n]{0,60} mailing list( -- \S+@\S+)?\s*$)",
    re.I,
)
_DIGEST = re.compile(
    r"^\s*(send \S+ mailing list submissions to|there are \d+ messages totaling \d+ lines)", re.I
)
_LINKS = (
    r"(unsubscribe|opt[- ]out|se d[ée]sabonner|d[ée]sabonnez-vous|d[ée]sabonnement|d[ée]sinscription|"
    r"se d[ée]sinscrire|(update|manage|change) (your )?(e-?mail |subscription |communication )?"
    r"(preferences|subscriptions?|profile)|update profile|"
    r"(g[ée]rer|modifier|mettre [àa] jour) (vos|votre) (pr[ée]f[ée]rences|abonnements?|profil))"
)
_MAILING_MARKS = {
    "browser": re.compile(
        r"^\W{0,3}((view|read|open|see|display) (this|the|it|our) ?(e-?mail|message|newsletter|post|"
        r"issue|online version|web version)? ?(in|on|as) (your|a|the) (web )?(browser|web ?page)|"
        r"(view|read) (in|on) (your |a |the )?(web )?browser|view (as a )?web ?page|view online\b|"
        r"having trouble (viewing|reading|seeing) this|"
        r"(voir|afficher|consulter|lire|ouvrir) (ce|cet|cette|le|la|l.)\s?(courriel|message|e-?mail|"
        r"infolettre|bulletin|version)[^\n]{0,30}(navigateur|en ligne|web)|"
        r"(voir|afficher) dans (le|votre) navigateur)",
        re.I,
    ),
    "links": re.compile(
        # a link alone on its line, or in a row of short links ("Unsubscribe | Preferences")
        rf"^\W{{0,3}}(you can |vous pouvez )?(([^|•·\n]{{1,40}}[|•·]\s*)*{_LINKS}\b"
        r"([^\n|•·]{0,60}(<?https?://\S+)?\s*$|\s*[|•·][^\n]{0,80}$)|"
        r"(click|cliquez) (here|ici) (to|pour)\b[^\n]{0,20}(unsubscribe|opt|d[ée]sabonner|d[ée]sinscri))",
        re.I,
    ),
    "copyright": re.compile(
        r"^\W{0,3}(copyright\s*)?(©|\(c\)|copyright)\s*(\d{4}\s*[-–]\s*)?\d{4}\b[^\n?]{0,90}$", re.I
    ),
}
# A score at which the writer's opening may be a request, read loosely: well below the
# classifier's threshold, since a person's request dropped is lost.
_HALF_READ = 0.2


def reads_as_mailing(text: str) -> bool:
    """A digest's opening, a list's trailer after its separator, or two kinds of newsletter
    marks, outside quoted history, in mail whose own words read as nobody's (see above)."""
    lines = extract_new_text(text, trim=False).split("\n")
    written = [n for n, line in enumerate(lines) if line.strip()]
    if any(_DIGEST.match(lines[n]) for n in written[:3]):
        return True
    marks = {n: kind for n, kind in enumerate(map(_mark, lines)) if kind is not None}
    trailer = {
        n
        for n, line in enumerate(lines)
        if _LIST_TRAILER.match(line) and _after_separator(lines, written, n) and not FIRST_PERSON.search(line)
    }
    if not trailer and len(set(marks.values())) < 2:
        return False
    aside = set(marks) | trailer
    unmarked = "\n".join(line for n, line in enumerate(lines) if n not in aside)
    if FIRST_PERSON.search(extract_new_text(unmarked)):
        return False
    # what a writer would have written first: a newsletter may open with "view in your browser"
    opens_as_newsletter = bool(written) and marks.get(written[0]) == "browser"
    first = next((n for n in written if marks.get(n) != "browser"), len(lines))
    opening = "\n".join(lines[first : min((n for n in aside if n > first), default=len(lines))])
    if rule_cues(opening).fired:
        return False
    if trailer:
        return True
    # a person's request opens their mail, past a greeting; a newsletter opens with a title
    paragraph = next((p for p in re.split(r"\n\s*\n", opening) if len(p.split()) >= 3), "")
    scores = classify_request(paragraph).scores
    if opens_as_newsletter:
        del scores["opt-out"]  # what follows the newsletter's own opening line is its text
    return bool(max(scores.values()) < _HALF_READ)


def _mark(line: str) -> str | None:
    """The kind of newsletter mark *line* is, if any: one kind a line."""
    if len(line) > 200 or FIRST_PERSON.search(line):
        return None
    if is_mailing_footer(line):
        return "footer"
    return next((name for name, mark in _MAILING_MARKS.items() if mark.match(line)), None)


def _after_separator(lines: list[str], written: list[int], n: int) -> bool:
    """Whether a separator comes at most three *written* (non-blank) lines above line *n*."""
    return any(_SEPARATOR.match(lines[k]) for k in [k for k in written if k < n][-3:])


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
    if reads_as_mailing(message.text):
        return AutomatedVerdict("bulk", "a mailing list's or newsletter's footer wording")
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
