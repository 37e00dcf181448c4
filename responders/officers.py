"""What officers are told, and when: reminders before each deadline, and the daily digest.

Planning is pure: given the open tickets, the instant and the notices already
sent, it says which notices are due. The notices' keys make each one once,
ever; the store enforces that (intake_bot.notices).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import Message

from intake_bot.config import OfficerSettings, OrganizationSettings
from intake_bot.responders.compose import RIGHT_NAMES, format_date, format_rights, new_message, render
from intake_bot.store import Status, Ticket, TriageReason

FINISHED = frozenset({"closed", "rejected", "withdrawn"})
OVERDUE = "overdue"

# Why a ticket waits for an officer, as the digest (and `tickets show`, in English) says it.
TRIAGE_PHRASES: dict[str, dict[str, str]] = {
    "fr": {
        TriageReason.INCIDENT: "la personne dit avoir vu ou reçu les renseignements personnels de "
        "quelqu'un d'autre ; à lire tout de suite",
        TriageReason.NO_RIGHT: "aucun droit reconnu",
        TriageReason.NOT_SURE: "droit incertain : confirmez les droits demandés",
        TriageReason.UNREADABLE: "trop volumineux ou illisible : lisez l'original dans la boîte de courriel",
        TriageReason.ERROR: "le robot a échoué en le traitant : voyez l'historique de la demande",
    },
    "en": {
        TriageReason.INCIDENT: "the sender says they saw or received someone else's personal information; "
        "read it now",
        TriageReason.NO_RIGHT: "no privacy right recognised",
        TriageReason.NOT_SURE: "not sure which right is asked for: confirm the rights",
        TriageReason.UNREADABLE: "too large or unreadable: read the original in the mailbox",
        TriageReason.ERROR: "the bot failed while handling it: see the audit trail",
    },
}
# Quebec's private-sector act (s. 3.5) asks an organisation that believes a confidentiality
# incident happened to take reasonable measures at once to reduce the risk of injury, and to
# notify the Commission and the people concerned promptly when the risk is serious: such
# tickets lead the triage list, under a marker no officer can miss.
INCIDENT_MARKER = {"fr": "POSSIBLE INCIDENT DE CONFIDENTIALITÉ", "en": "POSSIBLE CONFIDENTIALITY INCIDENT"}


def triage_words(ticket: Ticket, lang: str) -> str:
    """Why a needs-triage ticket waits for an officer, in *lang*; "" for any other ticket,
    and for tickets opened before the bot recorded the reason."""
    if ticket.status != Status.NEEDS_TRIAGE.value or not ticket.triage_reason:
        return ""
    return TRIAGE_PHRASES[lang].get(ticket.triage_reason, "")


def is_possible_incident(ticket: Ticket) -> bool:
    return ticket.status == Status.NEEDS_TRIAGE.value and ticket.triage_reason == TriageReason.INCIDENT


def days_left(ticket: Ticket, now: datetime, org: OrganizationSettings) -> int:
    """Calendar days from today to the due day, in the organisation's time zone
    (negative once overdue); daylight-saving changes do not shift it."""
    due_day = ticket.due_at.astimezone(org.zone).date()
    return (due_day - now.astimezone(org.zone).date()).days


def is_overdue(ticket: Ticket, now: datetime) -> bool:
    return now > ticket.due_at


def recipients_for(ticket: Ticket, org: OrganizationSettings) -> list[OfficerSettings]:
    """The assigned officer, or every officer of the organisation when none is."""
    if ticket.assigned_to:
        chosen = [o for o in org.officers if o.email.lower() == ticket.assigned_to.lower()]
        if chosen:
            return chosen
        # Assigned to someone not listed as an officer: write to them in the org's language.
        return [
            OfficerSettings(name=ticket.assigned_to, email=ticket.assigned_to, language=org.default_language)
        ]
    return list(org.officers)


def reminder_key(ticket: Ticket, stage: int | str, officer: OfficerSettings) -> str:
    return f"reminder:{ticket.id}:{stage}:{officer.email.lower()}"


@dataclass(frozen=True)
class PlannedReminder:
    ticket: Ticket
    officer: OfficerSettings
    stage: int | str  # the most urgent threshold reached, or "overdue"
    days_left: int
    keys: tuple[str, ...]  # this stage and any earlier one it stands in for


def plan_reminders(
    org: OrganizationSettings, tickets: list[Ticket], now: datetime, sent: set[str]
) -> list[PlannedReminder]:
    """Reminders due now. A threshold passed while the bot was down is sent when it
    comes back, once; several passed at once make one reminder, the most urgent."""
    planned = []
    for ticket in tickets:
        if ticket.org != org.id or ticket.status in FINISHED:
            continue
        left = days_left(ticket, now, org)
        reached: list[int | str] = [day for day in org.reminder_days if left <= day]
        if is_overdue(ticket, now):
            reached.append(OVERDUE)
        if not reached:
            continue
        stage = reached[-1]  # thresholds run from far to near; overdue last
        for officer in recipients_for(ticket, org):
            if reminder_key(ticket, stage, officer) in sent:
                continue
            keys = tuple(k for k in (reminder_key(ticket, s, officer) for s in reached) if k not in sent)
            planned.append(PlannedReminder(ticket, officer, stage, left, keys))
    return planned


def digest_key(org: OrganizationSettings, officer: OfficerSettings, day: date) -> str:
    return f"digest:{org.id}:{officer.email.lower()}:{day.isoformat()}"


def is_digest_time(org: OrganizationSettings, now: datetime) -> bool:
    """The digest goes out at its local time; on a daylight-saving day that is still
    the same wall-clock time in the organisation's zone."""
    return now.astimezone(org.zone).time() >= org.digest_at


@dataclass(frozen=True)
class DigestLine:
    ref: str
    rights: str
    status: str
    received: str
    due: str
    days_left: int
    new: bool
    triage: str = ""  # why it waits for an officer, when it does
    incident: bool = False  # a possible confidentiality incident


@dataclass
class PlannedDigest:
    officer: OfficerSettings
    key: str
    overdue: list[DigestLine] = field(default_factory=list)
    upcoming: list[DigestLine] = field(default_factory=list)
    triage: list[DigestLine] = field(default_factory=list)
    new_count: int = 0

    @property
    def open_count(self) -> int:
        return len(self.overdue) + len(self.upcoming)


def plan_digests(
    org: OrganizationSettings,
    tickets: list[Ticket],
    now: datetime,
    sent: set[str],
    last_digest: dict[str, datetime],
) -> list[PlannedDigest]:
    """Today's digest for each officer who has not had it; none for an officer with
    nothing open unless the organisation asks for it."""
    today = now.astimezone(org.zone).date()
    open_tickets = sorted(
        (t for t in tickets if t.org == org.id and t.status not in FINISHED), key=lambda t: (t.due_at, t.ref)
    )
    planned = []
    for officer in org.officers:
        key = digest_key(org, officer, today)
        if key in sent or (not open_tickets and not org.digest_when_empty):
            continue
        since = last_digest.get(officer.email.lower())
        digest = PlannedDigest(officer, key)
        for ticket in open_tickets:
            line = _line(ticket, now, org, officer.language, since)
            (digest.overdue if is_overdue(ticket, now) else digest.upcoming).append(line)
            if ticket.status == "needs-triage":
                digest.triage.append(line)
            digest.new_count += line.new
        digest.triage.sort(key=lambda line: not line.incident)  # incidents first, then by due date
        planned.append(digest)
    return planned


def _line(
    ticket: Ticket, now: datetime, org: OrganizationSettings, lang: str, since: datetime | None
) -> DigestLine:
    nothing = "aucune reconnue" if lang == "fr" else "none recognised"
    labels = [label for label in ticket.labels if label in RIGHT_NAMES[lang]]
    return DigestLine(
        ref=ticket.ref,
        rights=format_rights(labels, lang) if labels else nothing,
        status=ticket.status,
        received=format_date(ticket.received_at.astimezone(org.zone), lang),
        due=format_date(ticket.due_at.astimezone(org.zone), lang),
        days_left=days_left(ticket, now, org),
        new=since is None or ticket.created_at > since,
        triage=triage_words(ticket, lang),
        incident=is_possible_incident(ticket),
    )


REMINDER_SUBJECT = {
    "fr": {
        "overdue": "EN RETARD : {ref} devait être répondue le {due}",
        "soon": "Rappel : {ref} à répondre d'ici le {due}",
    },
    "en": {"overdue": "OVERDUE: {ref} was due on {due}", "soon": "Reminder: {ref} must be answered by {due}"},
}
DIGEST_SUBJECT = {
    "fr": "{org} : {count} demande(s) ouverte(s){overdue} au {today}",
    "en": "{org}: {count} open request(s){overdue} on {today}",
}


def compose_reminder(org: OrganizationSettings, plan: PlannedReminder, now: datetime) -> Message:
    lang, ticket = plan.officer.language, plan.ticket
    due = format_date(ticket.due_at.astimezone(org.zone), lang)
    overdue = plan.stage == OVERDUE
    body = render(
        "reminder",
        lang,
        officer=plan.officer.name,
        org_name=org.name,
        ref=ticket.ref,
        overdue=overdue,
        days_left=plan.days_left,
        due=due,
        rights=format_rights(ticket.labels, lang) if ticket.labels else "—",
        status=ticket.status,
        received=format_date(ticket.received_at.astimezone(org.zone), lang),
        assigned=ticket.assigned_to or "",
    )
    subject = REMINDER_SUBJECT[lang]["overdue" if overdue else "soon"].format(ref=ticket.ref, due=due)
    message: Message = new_message(
        org, plan.officer.email, subject, body, now=now, ref=ticket.ref, auto_submitted="auto-generated"
    )
    return message


def compose_digest(org: OrganizationSettings, plan: PlannedDigest, now: datetime) -> Message:
    lang = plan.officer.language
    today = format_date(now.astimezone(org.zone), lang)
    values = {
        "officer": plan.officer.name,
        "org_name": org.name,
        "today": today,
        "open_count": plan.open_count,
        "overdue": plan.overdue,
        "upcoming": plan.upcoming,
        "triage": plan.triage,
        "incident_marker": INCIDENT_MARKER[lang],
        "new_count": plan.new_count,
    }
    late = ""
    if plan.overdue:
        late = f", {len(plan.overdue)} en retard" if lang == "fr" else f", {len(plan.overdue)} overdue"
    subject = DIGEST_SUBJECT[lang].format(org=org.name, count=plan.open_count, overdue=late, today=today)
    message: Message = new_message(
        org,
        plan.officer.email,
        subject,
        render("digest", lang, **values),
        now=now,
        ref="digest",
        html=render("digest", lang, extension="html", **values),
        auto_submitted="auto-generated",
    )
    return message
