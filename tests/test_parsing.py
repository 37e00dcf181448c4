"""Parsing mail as real clients send it, and finding the sender's own new words."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from intake_bot.errors import MessageError
from intake_bot.parsing import decode_bytes, extract_new_text, parse_message, unflowed

MAIL = Path(__file__).parent / "mail"


def _raw(text: str) -> bytes:
    return textwrap.dedent(text).lstrip().encode("utf-8")


@pytest.mark.parametrize(
    ("name", "subject", "needle"),
    [
        ("charset-utf8-qp.eml", "Accès à mon dossier", "détenez, s'il vous plaît"),
        ("charset-latin1-8bit.eml", "Mise à jour de mon adresse", "déménagé à Québec"),
        (
            "charset-cp1252-qp.eml",
            "Please stop the newsletter",
            "I don’t want to receive your “monthly news”",
        ),
        ("charset-latin1-label-cp1252-bytes.eml", "Erase my account", "I’d like you to delete"),
        ("charset-base64-utf8.eml", "Désabonnement", "me désabonner de votre infolettre"),
        ("charset-none-8bit-utf8.eml", "Données", "supprimer toutes mes données"),
        ("charset-html-only-outlook.eml", "Effacement", "d’effacer mes données personnelles"),
    ],
)
def test_charsets_and_encodings(name: str, subject: str, needle: str) -> None:
    """utf-8, iso-8859-1, windows-1252 (also mislabelled), QP, base64, RFC 2047, HTML only."""
    parsed = parse_message((MAIL / name).read_bytes())
    assert parsed.subject == subject
    assert needle in parsed.new_text


def test_rfc2047_sender_names() -> None:
    assert parse_message((MAIL / "charset-latin1-8bit.eml").read_bytes()).from_name == "François Lévesque"
    assert parse_message((MAIL / "charset-base64-utf8.eml").read_bytes()).from_name == "Éloïse Bélanger"


def test_html_only_outlook_history_and_footer_are_not_new_text() -> None:
    """Outlook's "De : / Envoyé : / À : / Objet :" block and what follows are history."""
    parsed = parse_message((MAIL / "charset-html-only-outlook.eml").read_bytes())
    assert parsed.html_only
    assert "désabonner" not in parsed.new_text and "Objet" not in parsed.new_text


def test_multipart_alternative_prefers_plain_and_drops_gmail_quote() -> None:
    parsed = parse_message((MAIL / "charset-alternative-gmail.eml").read_bytes())
    assert parsed.new_text == "Hi, what personal data do you hold about me? Please send me a copy."


def test_attachments_are_recorded_not_read() -> None:
    """Name, type and size are kept; the content is never executed nor treated as text."""
    raw = _raw("""
        From: A <a@example.com>
        Subject: ID
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="X"

        --X
        Content-Type: text/plain; charset=utf-8

        Voici ma pièce d'identité.
        --X
        Content-Type: application/pdf; name="permis.pdf"
        Content-Disposition: attachment; filename="permis.pdf"
        Content-Transfer-Encoding: base64

        JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoK
        --X
        Content-Type: application/x-msdownload; name="=?utf-8?q?fa=C3=A7ture.exe?="
        Content-Disposition: attachment; filename*=utf-8''fa%C3%A7ture.exe
        Content-Transfer-Encoding: base64

        TVqQAAMAAAAEAAAA
        --X--
        """)
    parsed = parse_message(raw)
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [
        ("permis.pdf", "application/pdf"),
        ("façture.exe", "application/x-msdownload"),
    ]
    assert parsed.attachments[0].size == 48
    assert parsed.new_text == "Voici ma pièce d'identité."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Gmail / Apple Mail attribution in French, then a quote
        (
            "Merci de supprimer mon compte.\n\nLe lun. 2 nov. 2026 à 10:00, OPMS <c@opms.example> a écrit :\n"
            "> Bonjour\n> Nous supprimons les comptes",
            "Merci de supprimer mon compte.",
        ),
        # English attribution wrapped over two lines by Gmail
        (
            "Please fix my address.\n\nOn Mon, Nov 2, 2026 at 10:00 AM Very Long Name Company <\n"
            "info@omnitech.example> wrote:\n> old text delete",
            "Please fix my address.",
        ),
        # Answers typed between quoted lines are the sender's own words
        (
            "> Do you want your account deleted?\nYes, delete it.\n> And the newsletter?\nStop it too.",
            "Yes, delete it.\nStop it too.",
        ),
        # Outlook: header block, no quote marks
        (
            "Je veux corriger mon nom.\n\nDe : OPMS <c@opms.example>\nEnvoyé : 2 novembre 2026 10:00\n"
            "À : Moi\nObjet : Désabonnement\nCliquez pour vous désabonner",
            "Je veux corriger mon nom.",
        ),
        ("Fix my phone.\n\n-----Original Message-----\nFrom: x\nSent: y\nSubject: delete", "Fix my phone."),
        # Signature separator and mobile signatures
        ("Unsubscribe me.\n-- \nJane Doe\nDelete Corp CEO", "Unsubscribe me."),
        ("Supprimez mes données svp\n\nEnvoyé de mon iPhone", "Supprimez mes données svp"),
        # Legal footers that say "delete"
        (
            "Send me my data.\n\nThis email and any attachments are confidential. If you received it in "
            "error, delete it.",
            "Send me my data.",
        ),
        (
            "Envoyez-moi mes données.\n\nAVIS DE CONFIDENTIALITÉ : si vous avez reçu ce courriel par erreur, "
            "veuillez le supprimer.",
            "Envoyez-moi mes données.",
        ),
        # A mailing's footer that says "unsubscribe" is not the sender's request
        (
            "40% off all boots this week!\n\nYou are receiving this email because you signed up at "
            "shop.example.\nUnsubscribe | Update preferences",
            "40% off all boots this week!",
        ),
        (
            "Nouvelle collection!\nVous recevez ce courriel parce que vous êtes abonné à notre infolettre. "
            "Pour vous désabonner, écrivez-nous.",
            "Nouvelle collection!",
        ),
        (
            "Soldes d'automne.\nSi vous ne souhaitez plus recevoir nos communications, cliquez ici.",
            "Soldes d'automne.",
        ),
        ("Spring sale.\n\nIf you no longer wish to receive these emails, reply STOP.", "Spring sale."),
        ("Promo.\nSe désabonner | Politique de confidentialité", "Promo."),
        ("Promo.\nGérer vos préférences", "Promo."),
        ("Sale!\nYou're receiving this email because you signed up.", "Sale!"),
        ("Promo.\nVous recevez cette infolettre parce que vous êtes abonné.", "Promo."),
        # only the footer line goes: a person who quotes one goes on with their request
        (
            "Your newsletter says:\nIf you no longer wish to receive these emails, click here.\n"
            "I clicked it three times. Delete my data.",
            "Your newsletter says:\nI clicked it three times. Delete my data.",
        ),
        # A person's sentence that merely starts like a footer is kept
        ("Unsubscribe", "Unsubscribe"),
        # the same words, said by the writer or of something else, are the writer's
        (
            "Vous recevez ce courriel en tant que responsable de la protection des renseignements.\n"
            "Je demande la communication de mon dossier.",
            "Vous recevez ce courriel en tant que responsable de la protection des renseignements.\n"
            "Je demande la communication de mon dossier.",
        ),
        (
            "You are receiving this email because you ignored my requests.\nDelete everything.",
            "You are receiving this email because you ignored my requests.\nDelete everything.",
        ),
        (
            "Manage preferences link is broken, so I'm writing here: stop emailing me.",
            "Manage preferences link is broken, so I'm writing here: stop emailing me.",
        ),
        (
            "If you don't want to receive a complaint to the Commission, delete my data.",
            "If you don't want to receive a complaint to the Commission, delete my data.",
        ),
        ("Unsubscribe | account 88812\nStop the texts.", "Unsubscribe | account 88812\nStop the texts."),
        (
            "Please take me off your list.\nUnsubscribe\nThanks",
            "Please take me off your list.\nUnsubscribe\nThanks",
        ),
        (
            "You are receiving this email because I want my data deleted.",
            "You are receiving this email because I want my data deleted.",
        ),
        (
            "Vous recevez ce courriel parce que je veux que mes données soient effacées.",
            "Vous recevez ce courriel parce que je veux que mes données soient effacées.",
        ),
        (
            "This message is intended as a formal request to delete my data.",
            "This message is intended as a formal request to delete my data.",
        ),
        (
            "To unsubscribe me from your newsletter, I am writing to you today.",
            "To unsubscribe me from your newsletter, I am writing to you today.",
        ),
    ],
)
def test_extract_new_text(text: str, expected: str) -> None:
    assert extract_new_text(text) == expected


def test_decode_bytes_never_raises() -> None:
    assert decode_bytes("café".encode("cp1252"), "x-unknown-charset") == "café"
    assert decode_bytes(b"\xff\xfe\x00", "utf-8")  # falls back, does not raise
    assert decode_bytes("naïve".encode(), None) == "naïve"


@pytest.mark.parametrize("delsp", [False, True], ids=["flowed", "flowed-delsp"])
def test_format_flowed_is_read_as_typed(delsp: bool) -> None:
    """RFC 3676: the sender's program cut each paragraph at a space it kept at the line's end
    (or added, under DelSp=yes); the request is one line again, quotes stay quotes and the
    signature separator stays a line of its own."""
    cut = "  " if delsp else " "
    body = (
        f"Bonjour,\r\n\r\nJe vous prie de bien vouloir me divulguer{cut}\r\nles renseignements "
        f"personnels que vous{cut}\r\ndétenez à mon sujet.\r\n\r\n>> Votre message{cut}\r\n>> cité.\r\n"
        "> Le premier.\r\n\r\n-- \r\n From Marie\r\n"
    )
    params = "; delsp=yes" if delsp else ""
    raw = (
        "From: Marie <marie@example.org>\r\nTo: contact@opms.example\r\nSubject: Demande\r\n"
        f"Content-Type: text/plain; charset=utf-8; format=flowed{params}\r\n\r\n{body}"
    ).encode()
    lines = parse_message(raw).text.split("\n")
    asked = "Je vous prie de bien vouloir me divulguer les renseignements personnels que vous détenez"
    assert f"{asked} à mon sujet." in lines
    assert "> > Votre message cité." in lines and "> Le premier." in lines
    assert "-- " in lines and "From Marie" in lines  # space-stuffed "From" unstuffed
    # a paragraph cut just before the signature ends there
    assert unflowed("Merci \n-- \nMarie").split("\n")[1:] == ["-- ", "Marie"]


def test_plain_text_without_format_flowed_keeps_its_lines() -> None:
    raw = b"From: a@example.org\r\nSubject: x\r\nContent-Type: text/plain\r\n\r\nline one \r\nline two\r\n"
    assert parse_message(raw).text.split("\n")[:2] == ["line one ", "line two"]


def test_empty_message_is_a_message_error() -> None:
    with pytest.raises(MessageError):
        parse_message(b"   ")


def test_malformed_headers_do_not_raise() -> None:
    """Broken address and encoded-word headers degrade to text instead of failing."""
    raw = (
        b'From: <<<broken@@example..com\r\nTo: "unterminated\r\nSubject: =?utf-8?q?bad=ZZ?=\r\n'
        b'Message-ID: not-an-id\r\nContent-Type: text/plain; charset="\r\n\r\nDelete my data\r\n'
    )
    parsed = parse_message(raw)
    assert "Delete my data" in parsed.new_text
    assert parsed.message_id is None


@pytest.mark.parametrize("report", [True, False], ids=["delivery-report", "forward"])
def test_returned_original_is_not_read_but_a_forwarded_one_is(report: bool) -> None:
    """In a delivery report the returned original (our own reply) gives its Message-ID and
    is not read as text; a message attached to a person's mail is read like the body."""
    outer = "multipart/report; report-type=delivery-status" if report else "multipart/mixed"
    parsed = parse_message(
        _raw(f"""\
            From: MAILER-DAEMON@mx.example.net
            Subject: Undelivered Mail Returned to Sender
            MIME-Version: 1.0
            Content-Type: {outer}; boundary="B"

            --B
            Content-Type: text/plain

            The mail could not be delivered.
            --B
            Content-Type: message/rfc822

            Message-ID: <ack-1@opms.example>
            Subject: Votre demande

            Pour supprimer vos données, répondez avec ce code.
            --B--
            """)
    )
    assert ("supprimer vos données" in parsed.text) is not report
    assert parsed.bounced_message_ids == (["<ack-1@opms.example>"] if report else [])
