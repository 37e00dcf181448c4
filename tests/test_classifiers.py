"""The first classifier's behaviours that the intake relies on (issue 3 measures quality)."""

from __future__ import annotations

import re

import pytest

from intake_bot.classifiers import classify_request, detect_language, screen_automated
from intake_bot.classifiers.requests import rule_cues
from intake_bot.parsing import parse_message


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        ("Je voudrais recevoir une copie de mes renseignements personnels.", ["access"]),
        ("Could you export my account data as CSV and send it to me?", ["access"]),
        ("Mon adresse est erronée, pouvez-vous la mettre à jour ?", ["correction"]),
        ("Please erase all personal data you hold about me (right to be forgotten).", ["deletion"]),
        ("Arrêtez de m'envoyer vos promotions svp", ["opt-out"]),
        ("I withdraw my consent to marketing emails.", ["opt-out"]),
        ("Please unsubscribe me and delete my account.", ["deletion", "opt-out"]),
        ("How much does the premium plan cost?", []),
        ("I want to cancel my subscription at the end of the month.", []),
        ("Merci pour votre aide rapide !", []),
    ],
)
def test_labels(text: str, labels: list[str]) -> None:
    assert classify_request(text).labels == labels


def test_negation_keeps_only_what_is_asked() -> None:
    """ "Don't delete my account, just fix my phone number" is a correction only."""
    result = classify_request("Don't delete my account, just fix my phone number.")
    assert result.labels == ["correction"]
    assert any(cue.startswith("negated") for cue in result.cues["deletion"])
    fr = classify_request("Ne supprimez pas mon compte, corrigez seulement mon numéro de téléphone.")
    assert fr.labels == ["correction"]
    # The same within a letter, where each sentence is also read alone
    letter = (
        "Hi,\n\nPlease don't delete my account, just fix my phone number: it should be "
        "514-555-0199, not the old one.\n\nThanks a lot, Priya"
    )
    assert classify_request(letter, "My phone number").labels == ["correction"]
    lettre = (
        "Bonjour,\n\nNe supprimez surtout pas mon compte. Par contre, mon adresse a changé : "
        "c'est maintenant le 12, rue des Érables à Lévis.\n\nMerci, Lucie"
    )
    assert classify_request(lettre, "Mon adresse").labels == ["correction"]
    # An adverb between the verb and "pas" still negates it
    assert all(
        cue.startswith("negated")
        for cue in rule_cues("Ne supprimez surtout pas mon compte.").cues["deletion"]
    )


def test_saying_what_one_is_not_asking_asks_for_nothing() -> None:
    """A negation with two words before "pas", and "ni" carrying it to the next request."""
    said = rule_cues(
        "Je ne vous demande pas de supprimer mes données ni de me désabonner de quoi que ce soit. "
        "Je veux seulement comprendre pourquoi vous exigez mon NAS."
    )
    assert said.labels == []
    assert said.cues["deletion"] == ["negated: supprimer mes données"]
    assert said.cues["opt-out"] == ["negated: désabonner"]
    # "ni" negates only what follows it: a plain request before it stands
    assert rule_cues("Supprimez mes données, ni plus ni moins.").labels == ["deletion"]


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        ("If I wanted to delete my account, would I lose my points?", []),
        ("Si je veux me désabonner, je fais comment?", []),
        ("Au cas où je voudrais effacer mes données plus tard, qui dois-je contacter?", []),
        # a polite "if" asks
        ("If I could get a copy of my data, that would be great.", ["access"]),
        ("Si vous pouviez supprimer mes données, ce serait apprécié.", ["deletion"]),
        # the supposition ends with its clause
        ("If I decide to stay I'll tell you, but for now unsubscribe me.", ["opt-out"]),
        # the request itself supposed, to ask what would follow
        ("If I unsubscribe from your emails, will I lose my points?", []),
        ("Si je me désabonne de l'infolettre, est-ce que je perds mes rabais?", []),
        ("Unsubscribe me. If I unsubscribe, do I keep my points?", ["opt-out"]),
    ],
)
def test_a_supposed_request_is_not_one(text: str, labels: list[str]) -> None:
    result = rule_cues(text)
    assert result.labels == labels
    if not labels:
        assert all(cue.startswith("supposed") for found in result.cues.values() for cue in found)


def test_retraction_asks_for_nothing() -> None:
    assert classify_request("Never mind, keep it.").labels == []
    assert classify_request("Laissez tomber, finalement gardez mon compte.").labels == []
    retracted = rule_cues("Je vous ai écrit pour supprimer mon compte. Ne faites rien, s'il vous plaît.")
    assert retracted.retracted and retracted.labels == []
    # a threat is no retraction
    assert rule_cues("Supprimez mon compte. Si vous ne faites rien, je porte plainte.").labels == ["deletion"]
    # "forget my … request" takes back the request it names; "don't forget" keeps it
    forgotten = rule_cues("Please forget my deletion request of last week. I'm keeping the account.")
    assert forgotten.retracted or forgotten.withdrawn == ["deletion"]
    assert classify_request("Please forget my deletion request of last week.").labels == []
    kept = rule_cues("Please don't forget my deletion request, delete my account.")
    assert not kept.retracted and kept.withdrawn == [] and kept.labels == ["deletion"]


@pytest.mark.parametrize(
    ("text", "chased"),
    [
        ("My access request of 3 October has had no reply. The deadline has passed.", {"access"}),
        ("Any update on my erasure request? It's been five weeks.", {"deletion"}),
        ("Relance : ma demande de rectification du 5 mai est restée sans réponse.", {"correction"}),
        ("Je réitère ma demande d'accès à mon dossier, envoyée le 2 mars.", {"access"}),
        ("On 1 March I asked for a copy of my personal data. I have not received anything.", {"access"}),
        ("My access and deletion requests from July are still unanswered.", {"access", "deletion"}),
        # unanswered, but no request of a right named
        ("My request for a copy of my invoice has had no reply.", set()),
        ("Ma demande d'accès au gymnase est restée sans réponse.", set()),
        ("I asked you to remove the old banner from the website, still no reply.", set()),
        # a right named, but answered
        ("I've received the file in response to my access request. No reply needed.", set()),
        ("J'ai bien reçu la copie de mon dossier, suite à ma demande d'accès. Merci!", set()),
        ("Je n'attends pas de réponse : ma demande d'accès est réglée.", set()),
        # a right named, nothing said of an answer
        ("Please process my access request.", set()),
        # the writer has gone to the regulator: a notice; a threat to go is still a reminder
        ("My access request got no answer, so I have filed a complaint with the CAI.", set()),
        ("Sans réponse à ma demande d'accès, j'ai saisi la Commission.", set()),
        ("Sans réponse à ma demande d'effacement sous quinze jours, je saisirai la CNIL.", {"deletion"}),
        ("I have not received a response to my access request of 2 May.", {"access"}),
        ("Readers tell me their access requests have gone unanswered. Can you comment?", set()),
        # a condition, not a request left unanswered; an appointment's reminders, not one's own
        ("Sans réponse sous 48 h, votre demande d'accès sera annulée.", set()),
        ("Can I get text reminders about my access request?", set()),
        ("This is my second reminder about my access request.", {"access"}),
        # "avoir reçu" says the answer came, not "sans avoir reçu"
        (
            "Je vous confirme avoir bien reçu le fichier suite à ma demande d'accès. Merci de la relance.",
            set(),
        ),
        ("Sans avoir reçu de réponse à ma demande d'accès du 3 mars, je vous relance.", {"access"}),
    ],
)
def test_a_reminder_chases_the_right_its_request_named(text: str, chased: set[str]) -> None:
    """A reminder of an unanswered request asks again for the right it names; a lower model
    score gives that right (requests.CHASED_THRESHOLD)."""
    from intake_bot.classifiers.requests import chased_rights, normalise

    assert chased_rights(normalise(text).lower())[0] == chased


@pytest.mark.parametrize(
    ("text", "incident", "labels"),
    [
        (
            'When I opened the "Clients" tab today I could see a list of clients that aren\'t mine: names, '
            "phone numbers, addresses. You may want to look into this right away.",
            True,
            [],
        ),
        ("Bonjour, j'ai reçu par la poste le relevé d'une autre cliente. Je l'ai détruit.", True, []),
        ("Dans mon compte, je vois les commandes d'une autre personne!", True, []),
        # the rights read in it stay, for the officer to judge ("see … in my account" is an access cue)
        ("Why can I see another customer's orders in my account?", True, ["access"]),
        ("Can your employees see other customers' files?", False, []),
        ("I received an email meant for someone else, with their invoice attached.", True, []),
        ("I received a patient's lab results by mistake, in my own envelope.", True, []),
        ("Les commandes qui ne sont pas à moi apparaissent dans mon compte.", True, []),
        # a request told with an incident as its context keeps its rights, for an officer to see
        (
            "I can see another customer's orders in my account. Also, unsubscribe me from your newsletter.",
            True,
            ["opt-out"],
        ),
        # a question about who can see what, a request for someone else: no report
        (
            "Do other customers get my address when I order? If so, please delete it from your files.",
            False,
            ["deletion"],
        ),
        ("Les autres clients voient-ils mon adresse? Si oui, supprimez-la.", False, ["deletion"]),
        ("I am writing on behalf of my mother: please send me a copy of her file.", False, ["access"]),
        ("Following your data breach, please delete all my data.", False, ["deletion"]),
    ],
)
def test_a_report_of_someone_elses_data_is_a_possible_incident(
    text: str, incident: bool, labels: list[str]
) -> None:
    """Seeing or receiving someone else's personal information is a confidentiality incident
    for an officer (Law 25, s. 3.5): it is never left to an automatic acknowledgement, whatever
    rights the message also asks for."""
    result = classify_request(text)
    assert (result.incident, result.labels) == (incident, labels)
    if incident:
        assert not result.confident


@pytest.mark.parametrize(
    ("text", "access"),
    [
        ("VPN access request", False),
        ("Access request - parking garage", False),
        ("Hi, can you approve my access request for the shared drive? My manager already signed off.", False),
        ("Bonjour, ma demande d'accès au portail fournisseur est toujours en attente. Merci!", False),
        # access to one's data, said with the same words
        ("Demande d'accès à mes renseignements personnels", True),
        ("Subject access request", True),
        ("Je voudrais avoir accès à mon dossier.", True),
        ("Exercice du droit d'accès – salle d'escalade de Villeurbanne. Envoyez-moi mes données.", True),
        ("My ex has access to my account on your app. Please send me a copy of my data.", True),
    ],
)
def test_access_to_a_system_or_a_place_is_no_access_request(text: str, access: bool) -> None:
    """ "VPN access request", "demande d'accès au portail": access to a system or a place; the
    cue is not read as a request (and shows why), while the right's own name is never read so."""
    result = classify_request(text)
    assert ("access" in result.labels) == access
    if not access:
        assert any(cue.startswith("access to a system or a place") for cue in result.cues["access"])


@pytest.mark.parametrize(
    ("subject", "text", "labels"),
    [
        (
            "Re: Update my mailing address",
            "Any progress? Your statement still went to the old place.",
            ["correction"],
        ),
        ("RE: effacer mon profil", "Des nouvelles? Merci.", ["deletion"]),
        ("Re: Rectification de mon adresse", "Bonjour, toujours en attente.", ["correction"]),
        (
            "Re: Fix my phone number and delete my old email",
            "Just following up on the below.",
            ["correction", "deletion"],
        ),
        ("Re: Demande d'accès à mes renseignements", "Des nouvelles? Ça fait six semaines.", ["access"]),
        # the title asks for nothing of the kind, or the new text does not nudge
        ("Re: Your order #5531", "Still waiting for a response, it has been two weeks.", []),
        ("Re: VPN access request", "Any update? I start working remotely Monday.", []),
        ("Re: Update my mailing address", "Done on my side, thanks.", []),
        ("Re: Your access request - file 0412", "Received everything. Thank you for following up.", []),
        ("Re: Demande d'accès à mes renseignements", "Toujours rien, j'ai donc saisi la Commission.", []),
        # not a reply: the subject is the sender's own words, read with the text as always
        ("Update my mailing address", "Any progress?", ["correction"]),
    ],
)
def test_a_reminder_in_reply_chases_what_its_thread_title_asks(
    subject: str, text: str, labels: list[str]
) -> None:
    """A reminder sent as a reply to one's own request names the request in the thread's title
    only ("Re: Update my mailing address": "any progress?"): it gets the rights the title asks
    for, and an officer looks (the title may be someone else's words)."""
    result = classify_request(text, subject)
    assert result.labels == labels
    if labels and subject.lower().startswith("re"):
        assert not result.confident
        assert any(cue.startswith("a reminder in the thread") for cue in result.cues[labels[0]])


@pytest.mark.parametrize(
    ("subject", "labels"),
    [
        ("Accès à mes renseignements personnels", ["access"]),
        ("Accès au stationnement — relance", []),
        ("Invoice correction", []),
    ],
)
def test_a_reminder_takes_the_rights_its_own_title_asks(subject: str, labels: list[str]) -> None:
    """A reminder whose writer named the request in the subject and only nudges in the body
    ("toujours aucune nouvelle") gets the rights the subject asks for, read alone, at triage."""
    text = (
        "Bonjour, toujours aucune nouvelle depuis mon envoi du 4 avril. Merci de me revenir rapidement.\nLuc"
    )
    result = classify_request(text, subject)
    assert result.labels == labels
    if labels:
        assert not result.confident
        assert any(cue.startswith("a reminder in the thread") for cue in result.cues[labels[0]])


def test_a_reminder_gets_its_right_below_the_usual_bar() -> None:
    text = "Hello, this is my second request: my erasure request of 4 May has gone unanswered."
    result = classify_request(text)
    assert result.labels == ["deletion"]
    assert "a reminder of an unanswered request for it" in result.cues["deletion"]
    assert result.scores["deletion"] < 0.45  # the model alone would not give it
    assert not result.confident  # an officer looks: the bot did not see the first request


@pytest.mark.parametrize(
    ("text", "rights"),
    [
        ("au titre de l'article 16 du RGPD", {"correction"}),
        ("UK GDPR, Art. 17(1)", {"deletion"}),
        ("Articles 15 and 21(2) of Regulation (EU) 2016/679", {"access", "opt-out"}),
        ("pursuant to Article 7(3) GDPR", {"opt-out"}),
        (
            "l'article 27 de la Loi sur la protection des renseignements personnels dans le secteur privé",
            {"access"},
        ),
        ("section 28.1 of Quebec's private sector act", {"deletion"}),
        ("art. 27 de la Loi sur le privé", {"access"}),
        ("Loi 25, art. 28", {"correction"}),
        ("Principle 4.9.5 of PIPEDA", {"correction"}),
        ("Cal. Civ. Code § 1798.106", {"correction"}),
        ("l'article 11 de la Loi canadienne anti-pourriel", {"opt-out"}),
        # another article, another statute's numbering, a range over every right, a year
        ("a data processing agreement under Article 28 GDPR", set()),
        ("article 12(3) du RGPD", set()),
        ("my rights under Articles 15 to 22 GDPR", set()),
        ("Art. 150 GDPR", set()),
        ("the 2017 GDPR guidance", set()),
        ("article 27 du Code civil", set()),
    ],
)
def test_a_statute_article_names_its_right(text: str, rights: set[str]) -> None:
    from intake_bot.classifiers.requests import normalise, statute_rights

    assert statute_rights(normalise(text).lower()) == rights


@pytest.mark.parametrize(
    ("subject", "text", "labels"),
    [
        (
            "GDPR",
            "Hi, kindly treat this message as my Article 20 GDPR request. Account no. 4471.",
            ["access"],
        ),
        ("", "Je me prévaux de l'article 28.1 de la Loi 25 pour le profil publié à mon nom.", ["deletion"]),
        (
            "Follow-up",
            "On 2 May I sent you a request under section 1798.105 of the CCPA. I have not heard back.",
            ["deletion"],
        ),
        # the words tell the right: the article cited beside them adds none
        (
            "",
            "En vertu de l'article 28 de la Loi 25, je vous demande de supprimer mon ancien numéro de "
            "téléphone de votre dossier.",
            ["deletion"],
        ),
        # a question, the law described, an answer received, a request told of and taken back
        ("", "Does Article 15 GDPR oblige you to hand over call recordings?", []),
        ("Newsletter", "Under Article 15 GDPR, a company must answer within one month.", []),
        ("", "I received the file under Article 15 GDPR yesterday, thank you.", []),
        (
            "",
            "Last week I asked you under Article 17 GDPR to close my account. Please disregard it: "
            "I am staying.",
            [],
        ),
    ],
)
def test_a_request_named_only_by_its_statute_article_gets_that_right(
    subject: str, text: str, labels: list[str]
) -> None:
    """A letter that names its request only through the statute's article ("a request under
    Article 15 GDPR") gets that right, for an officer to confirm; only where the words give
    none, and never to a question, a description of the law or a thank-you."""
    result = classify_request(text, subject)
    assert result.labels == labels
    if labels and not any(cue.startswith("model") for cue in result.cues[labels[0]]):
        assert not result.confident
        assert any("the statute's article" in cue for cue in result.cues[labels[0]])


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        (
            "Yesterday I asked you to delete my account, but I still have $65 of store credit on it. "
            "Please hold off on the deletion for now.",
            [],
        ),
        ("Please delete my account. Actually hold off, I need my invoices first.", []),
        ("Hold off on the deletion request, but please unsubscribe me from the newsletter.", ["opt-out"]),
        ("Bonjour, veuillez suspendre ma demande de suppression, je dois récupérer mes factures.", []),
        ("Supprimez mon compte. Pouvez-vous mettre en attente ma demande? Je vous reviens.", []),
        ("Please delete my account. Actually, put my deletion request on hold for now.", []),
        ("Effacez mes données. Hmm, pouvez-vous mettre ma demande sur pause pour l'instant?", []),
        ("Delete my profile please. Hmm, actually hold off for a few days.", []),
        # the pause names the right it holds; a request that is none of the rights is not ours
        ("Send me a copy of my data and delete my account. Actually, hold off on the deletion.", ["access"]),
        ("Unsubscribe me from the newsletter. Please hold off on the account closure though.", ["opt-out"]),
        ("Delete my account. Hold off on the refund request though, I'll call about it.", ["deletion"]),
        ("Désabonnez-moi. Aussi, mettez en attente ma demande de remboursement.", ["opt-out"]),
        # not a pause the writer asks for
        ("Why did you hold off on the deletion? I asked weeks ago. Delete my account now.", ["deletion"]),
        ("Supprimez mon compte. L'agent a voulu suspendre ma demande, je refuse.", ["deletion"]),
        ("We had to hold off on the project. Please delete my account.", ["deletion"]),
        ("Pourquoi avez-vous suspendu ma demande de suppression? Supprimez mon compte svp.", ["deletion"]),
    ],
)
def test_a_pause_asked_for_takes_the_request_back(text: str, labels: list[str]) -> None:
    """ "Please hold off on the deletion", "suspendez ma demande": the writer asks to wait, so
    the request is not answered as one; asking why it was held is no pause."""
    assert rule_cues(text).labels == labels
    assert classify_request(text).labels == labels


def test_what_follows_a_retraction_is_read_anew() -> None:
    """A retraction takes back what came before it; a request after its sentence stands, even
    one no rule marks (the model reads the rest as a message of its own)."""
    anew = classify_request("Cancel that, I'm keeping it. But take me off the newsletter.")
    assert anew.labels == ["opt-out"]
    assert anew.cues["retraction"] == ["cancel that"]
    fr = classify_request(
        "Vous pouvez laisser tomber la suppression finalement, je garde mon compte. "
        "Mais l'infolettre, je veux plus la recevoir."
    )
    assert fr.labels == ["opt-out"]
    # what follows may ask for nothing, and what the retraction's sentence names stays taken back
    assert (
        classify_request(
            "Please ignore the email I sent last week asking you to close my file and delete my "
            "records. I'd like to come back if you'll have me! Can I book a cleaning in May?"
        ).labels
        == []
    )
    thanks = "Laissez tomber, gardez mon compte. Merci pour votre réponse rapide."
    assert classify_request(thanks).labels == []


def test_a_past_wish_denied_is_a_negation() -> None:
    assert rule_cues("no no, I didn't want my data deleted, I wanted my subscription paused").labels == []


def test_a_reason_not_to_keep_something_takes_nothing_back() -> None:
    """ "keep it" retracts a request, but not "you have no reason to keep it"."""
    assert not rule_cues("Please delete my passport scan, you have no reason to keep it.").retracted
    assert rule_cues("Never mind, keep it.").retracted


@pytest.mark.parametrize(
    ("text", "retracted"),
    [
        ("Never mind, keep it.", True),
        ("Sorry. Keep my account.", True),
        ("ok just keep everything please", True),
        ("I asked you to delete my account yesterday. Please disregard it!", True),
        ("I'd like to know what you have about me and how long you keep it.", False),
        ("Why do you keep my account when I closed it?", False),
        ("How do I ignore it?", False),
        ("I withdraw my consent to your newsletter. Actually no, scratch that request.", True),
        ("Cancel that, I'm keeping my account.", True),
        ("Scratch the access request I sent this morning.", True),
        ("There is a scratch that the courier left on the box. Please delete my account.", False),
        ("Can you cancel that order and delete my account?", False),
        ("Ok, cancel that order please and delete my account.", False),
        ("I asked you to delete my account. Cancel that — I'm keeping it.", True),
        # keeping the rest is no change of mind: the card is still to go
        ("Only the old credit card saved under my profile. Delete that. Keep everything else.", False),
        ("Please delete my phone number, please keep everything else as is.", False),
    ],
)
def test_keep_it_takes_back_only_where_it_opens_its_clause(text: str, retracted: bool) -> None:
    """ "keep it" is a change of mind as an answer ("never mind, keep it"), not inside a
    question about how long data is kept. Alone it takes back a deletion (see below)."""
    rules = rule_cues(text)
    assert bool(rules.retracted or rules.withdrawn) == retracted


@pytest.mark.parametrize(
    ("text", "labels", "retracted"),
    [
        ("Remove me from marketing. Keep my account.", ["opt-out"], False),
        (
            "Please keep my account open, I still use it. But stop the emails, three a day is too many.",
            ["opt-out"],
            False,
        ),
        (
            "Oubliez ma demande de suppression d'hier, je garde mon compte. Par contre, mon numéro de "
            "téléphone est encore l'ancien : changez-le pour le 418-555-0101.",
            ["correction"],
            False,
        ),
        ("Never mind, keep it.", [], True),
        ("Please ignore my last email. Keep everything as is.", [], True),
    ],
)
def test_keeping_something_takes_back_only_a_deletion(text: str, labels: list[str], retracted: bool) -> None:
    """ "Keep my account" and a request named as withdrawn ("oubliez ma demande de
    suppression") take back that right only; "never mind" or "ignore my last email" takes
    back everything."""
    assert classify_request(text).labels == labels
    assert rule_cues(text).retracted == retracted


LETTER = (
    "Hello, I closed my account with you in June after the data breach. Please delete my purchase "
    "history, my saved cards, my wish lists, my reviews and the delivery addresses on file, and "
    "erase the backups too. Confirm in writing when everything is erased. Who did you share my "
    "data with?"
)


def test_each_sentence_is_read_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """A letter that asks for two things gets both: the last sentence, which asks for access,
    is read without the words of the erasure, which in a bag of words count against it. The
    answer names the sentence that decided, for an officer."""
    import intake_bot.classifiers.train as train

    result = classify_request(LETTER, "Closing")
    assert result.labels == ["access", "deletion"]
    assert any("sentence: who did you share my data with?" in cue for cue in result.cues["access"])
    monkeypatch.setattr(train, "sentence_spans", lambda rules: [])
    assert classify_request(LETTER, "Closing").labels == ["deletion"]


def test_sentences_are_read_by_the_model_trained_on_sentences() -> None:
    """The model's second component, trained on sentences, reads each sentence; the first,
    trained on whole messages, reads the message."""
    import numpy as np

    from intake_bot.classifiers import model
    from intake_bot.classifiers.train import SENTENCES, sentence_words

    nlp = model.load_model()
    assert nlp is not None and SENTENCES in nlp.pipe_names
    rules = rule_cues(LETTER, "Closing")
    sentences = sentence_words(nlp, rules)
    reading = model.model_reading(LETTER, "Closing", rules)
    assert reading is not None and reading.sentences["access"] == "who did you share my data with?"
    labels, rows = model._probabilities(nlp, [words for _, words in sentences], SENTENCES)
    last = dict(zip(labels, rows[-1], strict=True))
    assert abs(reading.scores["access"] - model.sentence_score(float(last["access"]), len(sentences))) < 1e-6
    _, by_message_component = model._probabilities(nlp, [words for _, words in sentences])
    assert not np.allclose(rows, by_message_component)


def test_a_message_is_read_with_and_without_word_pairs() -> None:
    """The whole message's score is the mean of the probabilities of the message component
    and of the one that also reads word pairs; a model without the second reads with the
    first alone."""
    import numpy as np
    import spacy
    from spacy.tokens import Doc

    from intake_bot.classifiers import model
    from intake_bot.classifiers.train import PAIRS, message_words

    nlp = model.load_model()
    assert nlp is not None and PAIRS in nlp.pipe_names
    text = "Bonjour, pouvez-vous me dire ce que vous avez sur moi et retirer mon numéro?"
    rules = rule_cues(text, "")
    words = [Doc(nlp.vocab, words=message_words(nlp, "", text, rules))]
    alone, paired = (nlp.get_pipe(name).predict(words)[0] for name in ("textcat_multilabel", PAIRS))  # type: ignore[attr-defined]
    assert not np.allclose(alone, paired, atol=1e-3)
    whole = model.model_rows(nlp, text, "", rules).whole
    assert np.allclose(whole, (alone + paired) / 2, atol=1e-5)
    without = spacy.load(model.MODEL, exclude=[PAIRS])  # a model trained before the second
    assert np.allclose(model.model_rows(without, text, "", rules).whole, alone, atol=1e-5)


def test_sentences_learn_their_rights_from_their_message() -> None:
    """Only messages are labelled: a sentence of a message that does not ask for a right does
    not ask for it; of one that does, the sentence the message component scores highest asks
    for it, and the others say nothing of that right. A negated request ("do not delete")
    teaches that it asks for nothing; messages a retraction took something back from, and
    one-sentence messages, teach nothing."""
    import spacy

    from intake_bot.classifiers import model
    from intake_bot.classifiers.train import read_rows, sentence_examples

    nlp = model.load_model()
    assert nlp is not None
    rows: list[dict[str, object]] = [
        {
            "text": "The weather was nice at your shop today. Please erase my account and my data.",
            "labels": ["deletion"],
        },
        {"text": "Please delete my account. Never mind, keep it.", "labels": []},
        {"text": "Do not delete my account. Just fix my phone number to 555-0100.", "labels": ["correction"]},
        {"text": "Please delete my account and all my data.", "labels": ["deletion"]},
    ]
    examples = sentence_examples(nlp, read_rows(rows), spacy.blank("xx").vocab)
    assert len(examples) == 4
    weather, erase, keep, fix = (example.reference.cats for example in examples)
    assert erase == {"access": 0.0, "correction": 0.0, "deletion": 1.0, "opt-out": 0.0}
    assert weather == {"access": 0.0, "correction": 0.0, "opt-out": 0.0}
    assert keep == {"access": 0.0, "deletion": 0.0, "opt-out": 0.0}  # "Do not delete my account."
    assert fix == {"access": 0.0, "correction": 1.0, "deletion": 0.0, "opt-out": 0.0}


def test_a_long_letter_asks_more_of_each_sentence() -> None:
    """Of two sentences, one scoring 0.5 alone gives its right; each further sentence asks
    0.03 more, up to 0.99: a long letter has more sentences that only describe."""
    from intake_bot.classifiers import model
    from intake_bot.classifiers.requests import MODEL_THRESHOLD

    assert [round(model.sentence_needs(n), 2) for n in (2, 3, 10, 40)] == [0.5, 0.53, 0.74, 0.99]
    for n in (2, 5, 10, 40):
        needed = model.sentence_needs(n)
        assert abs(model.sentence_score(needed, n) - MODEL_THRESHOLD) < 1e-9
        assert (
            model.sentence_score(needed - 0.005, n)
            < MODEL_THRESHOLD
            < model.sentence_score(needed + 0.005, n)
        )


def test_sentences_are_the_new_texts_and_carry_their_own_cues() -> None:
    from intake_bot.classifiers.train import rule_features, sentence_spans

    rules = rule_cues(
        "Please delete my account now.\nThanks\nAnd stop sending me your flyers!", "My account details"
    )
    sentences = [rules.body[a:b] for a, b in sentence_spans(rules)]
    assert sentences == ["please delete my account now.", "and stop sending me your flyers!"]
    first, second = (rule_features(rules, span) for span in sentence_spans(rules))
    assert "<deletion>" in first and "<opt-out>" not in first
    assert "<opt-out>" in second and "<deletion>" not in second
    assert sentence_spans(rule_cues("Please delete my account.", "Three words here")) == []


def test_the_model_reads_a_long_letter_to_its_last_paragraph() -> None:
    """A formal letter that tells its story first asks in its last paragraph, past the 2,000
    characters the model once read: its words and its sentences reach the model."""
    from intake_bot.classifiers.model import load_model
    from intake_bot.classifiers.train import message_words, sentence_words

    story = "En mars dernier, j'ai reçu une facture pour des services que je n'ai jamais demandés. " * 40
    letter = f"Madame, Monsieur,\n\n{story}\n\nJe vous prie donc d'effacer toutes mes données."
    assert len(letter) > 3500
    nlp = load_model()
    assert nlp is not None
    assert "effacer" in message_words(nlp, "Lettre", letter)
    sentences = [sentence for sentence, _ in sentence_words(nlp, rule_cues(letter, "Lettre"))]
    assert sentences[-1] == "je vous prie donc d'effacer toutes mes données."


def test_a_sure_rule_decides_only_in_a_short_message() -> None:
    """In a longer message the model weighs "désabonnée" in its context ("by mistake, put me
    back"); in a one-liner, where it has little to go on, the rule decides."""
    text = (
        "Bonjour. Je crois que je me suis désabonnée de votre infolettre par erreur la semaine "
        "dernière en cliquant trop vite. Pouvez-vous me remettre sur la liste? Merci!"
    )
    assert rule_cues(text).scores["opt-out"] >= 0.85
    assert classify_request(text, "Infolettre").labels == []
    assert classify_request("STOP").labels == ["opt-out"]
    assert classify_request("désabonnez-moi svp").labels == ["opt-out"]


def test_a_replys_subject_is_not_the_senders_words() -> None:
    """ "Re: Confirmation de désabonnement" is the title of the organisation's mail; a forward's
    subject may be the request it passes on."""
    assert rule_cues("Merci, bien reçu.", "RE: Confirmation de désabonnement").cues == {}
    assert rule_cues("Thanks!", "Re : Re: Unsubscribe confirmation").labels == []
    assert rule_cues("Oui, supprimez tout.", "Re: Votre demande de désabonnement").labels == []
    assert rule_cues("Voir plus bas.", "TR: Désabonnez-moi").labels == ["opt-out"]
    assert rule_cues("", "Unsubscribe").labels == ["opt-out"]


def test_quoted_history_is_not_the_request() -> None:
    """Only the sender's new text counts: a quote that says "delete" adds nothing."""
    raw = (
        b"From: a@example.com\r\nSubject: Re: hello\r\nContent-Type: text/plain\r\n\r\n"
        b"Thanks for the quick answer!\r\n\r\nOn Mon, Nov 2, 2026, OPMS <c@opms.example> wrote:\r\n"
        b"> We can delete your data or unsubscribe you.\r\n"
    )
    parsed = parse_message(raw)
    assert classify_request(parsed.new_text, parsed.subject).labels == []


def test_rules_need_what_is_wrong_and_a_real_change_of_mind() -> None:
    """Regressions found by cross-author validation: "la mauvaise grandeur" is not a wrong
    field on file, and "Finalement, bonne journée" takes nothing back."""
    assert "correction" not in rule_cues("Annulez ma commande, j'ai commandé la mauvaise grandeur.").cues
    assert rule_cues("Mon numéro est mauvais, c'est le 514-555-0101.").cues == {}
    assert rule_cues("La mauvaise adresse est sur mon dossier.").labels == ["correction"]
    kept = rule_cues("Supprimez mon compte. Finalement, bonne journée et je ne reviendrai pas.")
    assert not kept.retracted and kept.labels == ["deletion"]
    kept_account = rule_cues("Finalement, ne supprimez pas mon compte.")
    assert kept_account.withdrawn == ["deletion"] and kept_account.labels == []
    # "forget my number" asks for erasure; "forget my message" takes it back
    assert not rule_cues("Ne m'appelez plus jamais. Et oubliez mon numéro.").retracted
    assert rule_cues("Oubliez mon message d'hier, je garde mon compte.").retracted
    # the last retraction counts: a request the sender explains after the subject's "ignore"
    # is still taken back by "keep everything"
    assert rule_cues(
        "Please ignore the email I sent asking you to delete my profile.\nSo keep everything as is.",
        "Please ignore my last email",
    ).retracted


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        # off a list is opt-out, not erasure; off a file is erasure
        ("Please remove my number 613-555-0192 from your SMS list.", ["opt-out"]),
        ("Retirez mon courriel de votre liste d'envoi, merci.", ["opt-out"]),
        ("Pouvez-vous retirer mon numéro de vos listes d'appels?", ["opt-out"]),
        ("Remove my cell number from your texting list please", ["opt-out"]),
        ("Please remove my phone number from my file.", ["deletion"]),
        ("Please remove me from the waiting list for the pottery class.", []),
        ("Supprimez mon adresse de votre base de données.", ["deletion"]),
        # "l'infolettre" is not "l'info(rmation)"
        ("Désabonnez-moi de l'infolettre.", ["opt-out"]),
        # taking back an earlier request, unless another one follows in its own clause
        ("Please disregard my request from Monday to unsubscribe, I clicked by accident.", []),
        ("Please cancel my deletion request, I want to stay.", []),
        ("Never mind that, but unsubscribe me.", ["opt-out"]),
        ("Oubliez ma demande de suppression, mais désabonnez-moi de l'infolettre.", ["opt-out"]),
        # a message taken back in the same breath; a reminder's "if it's done" takes nothing back
        ("Please update my email address. Sorry, please ignore this, it was meant for another company.", []),
        ("Pourriez-vous corriger mon adresse courriel? Désolé, ignorez ce message.", []),
        ("Supprimez mes données. Ce courriel était destiné à une autre entreprise, désolé.", []),
        ("Please delete my account. If you have already done it, please disregard this email.", ["deletion"]),
        ("Supprimez mon compte svp. Si c'est déjà fait, ne tenez pas compte de ce message.", ["deletion"]),
        # plain ways of asking that the cues missed
        ("Je veux pu recevoir vos courriels de promotions.", ["opt-out"]),
        ("I never want to hear from you again.", ["opt-out"]),
        ("Please stop all promotional emails.", ["opt-out"]),
        ("Do not sell or share my personal information.", ["opt-out"]),
        ("Ne partagez pas mes coordonnées avec vos commanditaires.", ["opt-out"]),
        ("Je veux que vous effaciez mon numéro de téléphone.", ["deletion"]),
        ("Please delete everything you have on me.", ["deletion"]),
        ("I just need my name corrected, it's Nguyen.", ["correction"]),
        ("Je demande que l'information soit mise à jour.", ["correction"]),
        ("Mon nom de famille est mal écrit dans votre système.", ["correction"]),
        ("This is a right to know request.", ["access"]),
        ("Send me everything you have on me.", ["access"]),
        ("Pouvez-vous m'envoyer tout ce que vous avez sur moi?", ["access"]),
        ("Qui vous a donné mon numéro?", ["access"]),
        ("I don't want your ads anymore.", ["opt-out"]),
        ("Je ne veux plus de vos circulaires, merci.", ["opt-out"]),
        ("Pourriez-vous ne plus m'envoyer vos offres par la poste?", ["opt-out"]),
        ("I'd like to be removed from the promotional list, but keep my invoices coming.", ["opt-out"]),
        ("I'd like to be removed from the waiting list.", []),
        ("Je voudrais être retirée de votre liste d'envoi.", ["opt-out"]),
        ("Pourriez-vous détruire mon CV et mes tests?", ["deletion"]),
        ("I want my voice recordings permanently deleted.", ["deletion"]),
        ("J'aimerais que ce formulaire soit déchiqueté.", ["deletion"]),
        ("Here is my new phone number: 514-555-0199.", ["correction"]),
        ("Qu'est-ce que vous savez sur moi au juste?", ["access"]),
        # "what you hold on me" is what to delete here, not a question
        (
            "Je vous demande de supprimer mon compte et toutes les données personnelles que vous "
            "détenez sur moi.",
            ["deletion"],
        ),
        ("Please delete all the data that you have on me.", ["deletion"]),
        ("pls unsub me from everything except order confirmations", ["opt-out"]),
        ("could u stop the txts", ["opt-out"]),
        (
            "Please correct the spelling of my name and stop the phone solicitations.",
            ["correction", "opt-out"],
        ),
        ("I want you to trash my info. Everything.", ["deletion"]),
        ("The dashcam recorded the lesson. I'd like that footage erased, please.", ["deletion"]),
        ("Je veux PAS me désabonner de l'infolettre, je l'aime bien.", []),
        ("whats on file for me? I need to know for a court thing", ["access"]),
        ("I want ALL my data gone, card, address, everything.", ["deletion"]),
        ("export my data then nuke the account pls", ["access", "deletion"]),
        ("new phone 514-555-0188", ["correction"]),
        ("mon adresse a changer, envoyez moi un formulaire pour la modifier?", ["correction"]),
        ("je demande acces a mon dossier client", ["access"]),
        ("J'ai perdu l'accès à mon compte, je ne peux plus me connecter.", []),
        # "des données", where the rules looked for "mes données"
        ("Merci de m'envoyer une copie des données que vous avez sur moi.", ["access"]),
        ("Je demande la suppression des données de conduite qui ont été collectées.", ["deletion"]),
        ("je veux pu rien recevoir", ["opt-out"]),
        ("Je ne souhaite pas recevoir les communications de vos commanditaires.", ["opt-out"]),
        ("Je ne veux pas recevoir de remboursement.", []),
        ("Je refuse le profilage à des fins publicitaires.", ["opt-out"]),
        ("Je souhaite connaître l'origine de mes coordonnées.", ["access"]),
        ("Je m'oppose à tout démarchage futur.", ["opt-out"]),
        # a demonstrative before the account or the data; a disclaimer's "delete this e-mail" is not
        ("Je ne me suis jamais inscrit. Merci de supprimer ce compte.", ["deletion"]),
        ("Please delete this account, it was opened in my name.", ["deletion"]),
        ("Effacez ces renseignements, je ne suis plus client.", ["deletion"]),
        ("If you received this in error, please delete this e-mail.", []),
        ("Ne supprimez pas ce compte, corrigez juste mon adresse.", ["correction"]),
        ("Pouvez-vous confirmer si vous détenez des renseignements à mon sujet?", ["access"]),
        ("Do you have any personal information about me?", ["access"]),
        ("I need to know what information is on my late father's file.", ["access"]),
        # the pronoun before the verb, and a waiting list is no mailing list
        ("Pourriez-vous me retirer de votre liste d'envoi?", ["opt-out"]),
        ("Vous pouvez m'enlever de la liste des invités, merci.", ["opt-out"]),
        ("Pouvez-vous me retirer de la liste d'attente? J'ai trouvé ailleurs.", []),
        ("efface moi de ta liste d'envoi stp", ["opt-out"]),
        ("pu de pubs svp", ["opt-out"]),
        ("Merci pour tout, plus d'infolettres svp.", ["opt-out"]),
        ("Je ne veux plus d'infolettre.", ["opt-out"]),
        ("Pourquoi je ne reçois plus de promotions par courriel?", []),
        ("Je veux mon dossier.", ["access"]),
        ("I would like to see my whole file please", ["access"]),
        ("I want my file closed.", []),
        ("Fermez mon compte et n'en conservez aucune copie.", ["deletion"]),
        ("Close it and don't keep any records.", ["deletion"]),
        ("D'où tenez-vous mes coordonnées?", ["access"]),
        ("what is on file about me", ["access"]),
        # an e-mail the sender sent is a message, not their address
        ("Sorry, please delete the email I sent at 10:14, wrong attachment.", []),
        ("Merci de supprimer mon courriel précédent, il contenait une erreur.", []),
        ("Please correct the e-mail that I sent yesterday: the date was wrong.", []),
        ("Please delete my email from your database.", ["deletion"]),
        ("Supprimez mon courriel de vos dossiers.", ["deletion"]),
        # thanks for what is done asks nothing; "merci de" before a verb still asks
        ("Merci de m'avoir désabonné. Bonne journée", []),
        ("Thanks for having unsubscribed me so quickly.", []),
        ("Merci de me désabonner.", ["opt-out"]),
        ("Merci de supprimer mon compte.", ["deletion"]),
        # "remove me" alone on its line; removed as a contact, or "take me" alone, asks nothing
        ("remove me", ["opt-out"]),
        ("Retirez-moi svp.", ["opt-out"]),
        ("please take me off", ["opt-out"]),
        ("Take me", []),
        ("Can you remove me as the contact on my son's account?", []),
        ("Ôtez mes coordonnées de vos dossiers.", ["deletion"]),
        # a prohibition after another still forbids; a "do-not-call list" negates nothing
        ("Ne vendez pas et ne partagez pas mes informations personnelles avec des tiers.", ["opt-out"]),
        ("Don't call me again and do not sell my information.", ["opt-out"]),
        ("Put me on your internal do-not-call list and delete my number.", ["deletion"]),
        ("Please take me off the newsletter.", ["opt-out"]),
        ("Cancel that, I'm keeping my account, but do remove me from your newsletter.", ["opt-out"]),
        # a copy of an identity document or an invoice is no copy of one's file
        ("Voici une copie de mon permis de conduire pour vérifier mon identité.", []),
        ("Could you send me a copy of my invoice from March?", []),
        ("Je veux une copie de mon dossier.", ["access"]),
        # "get rid of" is no "get"
        ("Get rid of my details, I'm no longer a customer.", ["deletion"]),
        ("Débarrassez-vous de mes renseignements, je ne suis plus client.", ["deletion"]),
        # the address the mail came from, taken off a list
        ("Bonjour, veuillez retirer cette adresse de votre liste d'envoi. Merci.", ["opt-out"]),
        ("Please remove this address from your newsletter list.", ["opt-out"]),
        ("Enlevez ce numéro de votre liste d'appels svp", ["opt-out"]),
    ],
)
def test_rules_found_by_cross_author_errors(text: str, labels: list[str]) -> None:
    assert rule_cues(text).labels == labels


@pytest.mark.parametrize(
    "text",
    [
        "Quelles données collectez-vous?",
        "J'aimerais savoir quelles données l'appli collecte avant de l'installer.",
        "I'd like to know what data you collect before I sign up.",
        "Quels renseignements conservez-vous, et pendant combien de temps?",
        "What information do you keep about visitors to the website?",
        "Avant de créer mon compte, j'aimerais savoir quelles données vous collectez.",
    ],
)
def test_a_question_about_the_policy_is_no_access_cue(text: str) -> None:
    """The access cue shows as a policy question, and the model reads it apart."""
    rules = rule_cues(text)
    assert rules.labels == []
    assert rules.cues["access"] and all(cue.startswith("policy question: ") for cue in rules.cues["access"])
    assert any(name.startswith("policy access#") for name in rules.fired)


@pytest.mark.parametrize(
    "text",
    [
        "Quelles données collectez-vous sur moi?",
        "Je veux savoir quels renseignements me concernant vous avez transmis à l'assureur.",
        "What information did you collect when I used your wifi?",
        "I'd like to know what personal information you collected at the showing.",
        "What data do you hold?",
        "Pouvez-vous me dire quelles données vous détenez?",
        "Il voudrait savoir quelles informations sont conservées à son dossier.",
        # what you have on me, however it is spelled
        "qu'est ce que vous avez sur moi exactement",
        "je veux savoir ce que vous avez sur moi",
        "c quoi les infos que vous avez sur moi",
        "Que savez-vous de moi?",
        "What info do you guys have about me?",
    ],
)
def test_what_was_collected_about_someone_is_access(text: str) -> None:
    assert rule_cues(text).labels == ["access"]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        # Quebec's private-sector act in its own words (s. 27, 28, 28.1), and formal English
        ("Je désire prendre connaissance de mon dossier.", "access"),
        ("Je requiers la communication intégrale de mon dossier d'employé.", "access"),
        ("Par la présente, je sollicite la transmission de mon dossier client.", "access"),
        ("Je demande la communication des renseignements personnels me concernant.", "access"),
        # since the message is read with word pairs too (2026-12-07), the model gives access
        # 0.45, at the bar (0.58 without pairs, 0.32 with them): a weakness, passing by a hair
        ("Veuillez confirmer l'existence d'un dossier à mon nom et m'en communiquer le contenu.", "access"),
        ("Kindly furnish me with the personal data you process relating to me.", "access"),
        ("Je demande que soient corrigés les renseignements inexacts me concernant.", "correction"),
        ("Les renseignements inexacts qui figurent à mon dossier doivent être rectifiés.", "correction"),
        ("Je vous demande de désindexer tout hyperlien rattaché à mon nom.", "deletion"),
        ("Veuillez cesser la diffusion de ma photo sur votre site.", "deletion"),
        ("Je veux que mon profil soit désindexé de Google.", "deletion"),
        ("Veuillez confirmer l'existence de mon dossier.", "access"),
        (
            "En application de l'article 15, je vous demande la communication de l'ensemble des données "
            "me concernant.",
            "access",
        ),
        ("L'information inexacte dans mon dossier doit être changée.", "correction"),
        # laws that say "disclose" (California's, Canada's)
        ("I request that you disclose to me the personal information you have collected about me.", "access"),
        ("Veuillez me divulguer les renseignements personnels que vous détenez à mon sujet.", "access"),
    ],
)
def test_the_laws_own_words_ask_for_a_right(text: str, label: str) -> None:
    assert label in rule_cues(text).labels
    assert label in classify_request(text).labels


@pytest.mark.parametrize(
    "text",
    [
        "J'autorise la communication de mon dossier à mon assureur.",
        "Je vous transmets la communication reçue de l'assureur concernant mon dossier.",
    ],
)
def test_allowing_a_disclosure_is_no_access_cue(text: str) -> None:
    assert "access" not in rule_cues(text).labels


@pytest.mark.parametrize(
    "text",
    [
        # the law's words about something else than one's own file
        "I can supply my account number if you need it.",
        "Could you supply the account number for the wire transfer refund?",
        "Je viens de prendre connaissance de la fermeture de mon compte. Pourquoi?",
        "Je demande la communication du numéro de dossier de ma plainte.",
        "Je demande la transmission des informations sur vos tarifs 2025.",
        "Pouvez-vous confirmer l'existence d'un dossier de réclamation pour mon sinistre?",
        "J'aimerais que soit modifié mon forfait cellulaire.",
        "J'aimerais que soit modifiée la date de mon rendez-vous.",
        "Vous m'accusez d'avoir fourni des renseignements inexacts.",
        "Votre dernière réponse contenait des informations incomplètes.",
        "Allez-vous désindexer ma rente de retraite?",
        "Veuillez cesser de diffuser vos publicités sur mon cellulaire.",
        "Pouvez-vous me divulguer le nom de votre fournisseur?",
        "I disclosed my address to your agent last week, is that a problem?",
        "Please disclose to me your data retention policy.",
        "Merci de me divulguer vos données de ventes.",
        "Why would you disclose to me another patient's file?",
    ],
)
def test_the_laws_words_about_something_else_ask_nothing(text: str) -> None:
    assert rule_cues(text).labels == []


@pytest.mark.parametrize(
    ("text", "points_at_data"),
    [
        # a pronoun after another request points at what it named: a cue the model weighs
        ("Send me what you've got on me, then wipe it. Thanks.", True),
        ("a) send me all the data you have on me b) then delete it", True),
        ("Envoyez-moi mes données, puis les effacer.", True),
        ("envoyez moi mes infos pis effacez tout", True),
        ("je veux voir ce que vous avez sur moi, corrigez ce qui est faux, ensuite effacez le reste", True),
        ("I saved the draft, then deleted it by mistake.", False),
        ("Then remove the item from my order.", False),
    ],
)
def test_a_pronoun_after_another_request_may_erase(text: str, points_at_data: bool) -> None:
    assert (rule_cues(text).scores["deletion"] > 0) is points_at_data


@pytest.mark.parametrize(
    ("text", "erased"),
    [
        ("Please change it to 819-555-0244 and take his off my file.", True),
        ("Take it off your system and stop emailing me.", True),
        ("I'd like to disappear from your records, please.", True),
        ("Je veux disparaître de vos fichiers.", True),
        ("take my card off my account please", True),
        ("Please don't keep his medical form.", True),
        ("Désabonnez-moi et supprimez tout ce que vous avez sur moi.", True),
        ("Ne gardez pas mes coordonnées svp.", True),
        ("Take my ex-husband off my file, he's not my emergency contact anymore.", True),
        # a bill, a mailing list, a schedule, a shopping cart
        ("Did you take that charge off my account?", False),
        ("Please take the late fee off my account.", False),
        ("Please take me off your mailing list.", False),
        ("Take my email off the promo list, thanks.", False),
        ("Take the afternoon off my schedule.", False),
        ("Supprimez tout ce que vous avez dans mon panier.", False),
    ],
)
def test_taking_data_off_a_file_erases(text: str, erased: bool) -> None:
    assert (rule_cues(text).scores["deletion"] > 0) is erased


@pytest.mark.parametrize(
    ("text", "opts_out"),
    [
        ("Erase everything you have on me and don't send me anything ever again.", True),
        ("Also I'd prefer not to get offers for the highway course.", True),
        ("Please don't send me the flyers for the new aesthetic services.", True),
        ("I don't want to be contacted by your partner companies.", True),
        ("Can you turn those promo texts off for my number?", True),
        ("I AM SICK OF YOUR EMAILS.", True),
        ("I do NOT consent to my face being scanned.", True),
        ("Je demande la fin des envois promotionnels.", True),
        ("Arretez les notifs de promo a minuit.", True),
        ("Je ne veux pas être contactée par vos partenaires.", True),
        ("Je refuse que mes photos soient publiées sur Facebook.", True),
        ("Je ne consens pas à ce que ma voix serve à l'entraînement.", True),
        # other things refused or stopped
        ("Je refuse que vous fermiez mon compte.", False),
        ("Turn it off and on again.", False),
        ("Send me the invoice, don't send me the paper copy.", False),
        ("We're sick of your delays.", False),
        ("Arrêtez les frais.", False),
        # a reviewer's: a receipt, a time to call, a phone's settings, a bill
        ("Why do you never send me the receipt emails?", False),
        ("I don't want to be called before 9am.", False),
        ("Comment arrêter les notifications sur mon cell?", False),
        ("I do not consent to the price increase.", False),
        ("Je ne consens pas à payer ces frais.", False),
    ],
)
def test_more_ways_to_ask_for_no_more_mail(text: str, opts_out: bool) -> None:
    assert (rule_cues(text).scores["opt-out"] > 0) is opts_out


def test_a_request_listed_by_its_nouns_erases_a_photo() -> None:
    listed = "Je demande : copie de mon dossier, correction de ma date de naissance, suppression de ma photo."
    assert rule_cues(listed).labels == ["access", "correction", "deletion"]


@pytest.mark.parametrize(
    ("text", "erased"),
    [
        ("Faites disparaître mon nom de votre base de données s.v.p.", True),
        ("Pouvez-vous faire disparaître ma photo du site?", True),
        ("Je voudrais que vous oubliiez tout ce que vous savez sur moi.", True),
        ("Oubliez-moi svp", True),
        ("Please forget me.", True),
        ("Forget everything you know about me.", True),
        ("forget I exist please", True),
        ("Je veux que vous oubliiez que j'existe.", True),
        # not of one's data, or not asked
        ("Comment faire disparaître la pub sur mon compte?", False),
        ("Ne m'oubliez pas pour le tirage!", False),
        ("Don't forget me for the draw", False),
        ("Oubliez ma demande d'hier.", False),
        ("Oubliez-moi pas pour le tirage!", False),
        ("Your support team seems to forget I exist.", False),
        ("Did you guys forget about me??", False),
        ("Play Forget Me by Lewis Capaldi.", False),
        ("Comment faire disparaître le compte à rebours?", False),
    ],
)
def test_the_right_to_be_forgotten_in_plain_words(text: str, erased: bool) -> None:
    assert ("deletion" in rule_cues(text).labels) is erased


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        # how soon or at what cost, not a negation: the law's own "sans délai"
        ("Je vous demande de procéder sans délai à l'effacement de mes données personnelles.", ["deletion"]),
        ("Veuillez procéder sans aucun délai à l'effacement de mes données.", ["deletion"]),
        ("Merci de procéder sans délai ni frais à l'effacement de mes données.", ["deletion"]),
        ("Je demande sans frais une copie de toutes mes données personnelles.", ["access"]),
        ("Please proceed without further ado to delete my account and my data.", ["deletion"]),
        # "sans" and "without" before a verb still negate it
        ("Sans supprimer mon compte, pouvez-vous corriger mon adresse?", ["correction"]),
        ("Please fix my address without deleting my account.", ["correction"]),
    ],
)
def test_without_delay_is_no_negation(text: str, labels: list[str]) -> None:
    assert rule_cues(text).labels == labels


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Je demande à ne plus figurer dans vos fichiers.", "deletion"),
        ("Je ne veux plus être inscrit dans vos fichiers.", "deletion"),
        ("je veux pu etre inscrit dans vos fichiers", "deletion"),
        ("I no longer wish to appear in your database.", "deletion"),
        ("Please make sure I no longer appear in your records.", "deletion"),
        ("Je demande la suppression de l'ensemble des données me concernant.", "deletion"),
        ("Je demande le retrait de mon adresse courriel de toutes vos listes de diffusion.", "opt-out"),
        ("Je demande la radiation de mes coordonnées des fichiers de prospection.", "opt-out"),
        ("I request the removal of my name from the mailing list.", "opt-out"),
        # a marketing file, a role, a question, thanks for what was done, others' data
        ("Je souhaite ne plus figurer dans votre base de données marketing.", None),
        ("I no longer wish to appear in your records as the emergency contact for my mother.", None),
        ("Is it possible not to be stored in your database when buying as a guest?", None),
        ("Merci pour la suppression de mon adresse de vos listes de diffusion, c'est bien réglé.", None),
        ("La suppression de l'ensemble des données de la plateforme est-elle prévue?", None),
    ],
)
def test_out_of_the_files_erases_off_a_list_opts_out(text: str, label: str | None) -> None:
    assert rule_cues(text).labels == ([label] if label else [])


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        # a second request begins before the list is named: both are asked
        (
            "Je vous prie de procéder sans délai à l'effacement de mes données personnelles et de ne plus "
            "m'envoyer vos infolettres.",
            ["deletion", "opt-out"],
        ),
        ("Please delete my data and stop sending me the newsletter.", ["deletion", "opt-out"]),
        ("please delete my email from your system and stop the newsletter thank u", ["deletion", "opt-out"]),
        # off a list only
        ("Supprimez mon adresse de votre liste d'envoi et de vos infolettres.", ["opt-out"]),
        ("Please remove my email from your mailing list.", ["opt-out"]),
    ],
)
def test_an_erasure_then_no_more_mail_asks_both(text: str, labels: list[str]) -> None:
    assert rule_cues(text).labels == labels


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        # a request denied governs the list after it
        (
            "I am not asking you to cancel my subscription or delete my data. Please stop sending me your "
            "newsletter.",
            ["opt-out"],
        ),
        ("I do not want to close my account or have my data erased.", []),
        (
            "I'm not asking you to delete my account or erase my data, only to fix my phone number.",
            ["correction"],
        ),
        # not past an "and" or a "please", nor a need that ends ("won't need … anymore")
        ("I don't use the app anymore and I want you to close my account or delete my data.", ["deletion"]),
        (
            "I never liked your app. Please close my account or delete my data, whichever is easier.",
            ["deletion"],
        ),
    ],
)
def test_a_request_denied_governs_its_list(text: str, labels: list[str]) -> None:
    assert rule_cues(text).labels == labels


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        (
            "De plus, la loi me donne un droit d'accès et de rectification des informations me "
            "concernant. À ce titre, je demande à ne plus figurer dans votre fichier.",
            ["deletion"],
        ),
        (
            "The Act grants me the right to access and correct my data, but what I want is for you "
            "to delete my account.",
            ["deletion"],
        ),
        # a right exercised, or named and then asked for
        ("J'exerce mon droit d'accès à mes renseignements personnels.", ["access"]),
        ("La loi me donne un droit d'accès. Je vous demande donc une copie de mon dossier.", ["access"]),
        ("Please give us a copy of all the photos in his account.", ["access"]),
    ],
)
def test_a_right_the_law_gives_is_not_asked_for(text: str, labels: list[str]) -> None:
    assert rule_cues(text).labels == labels


def test_an_abbreviation_does_not_end_a_sentence() -> None:
    from intake_bot.classifiers.train import sentence_spans

    rules = rule_cues(
        "I request that Example Inc. deletes all my data, as art. 17 requires. Please write to "
        "M. J. Tremblay, e.g. by e-mail. Thank you very much."
    )
    sentences = [rules.body[a:b] for a, b in sentence_spans(rules)]
    assert sentences == [
        "i request that example inc. deletes all my data, as art. 17 requires.",
        "please write to m. j. tremblay, e.g. by e-mail.",
        "thank you very much.",
    ]


def test_a_line_wrapped_by_the_mail_program_is_read_whole() -> None:
    from intake_bot.classifiers.requests import normalise

    wrapped = (
        "I request that you disclose to me the categories\nand specific pieces of personal information "
        "that your\ncompany has collected about me, as required under\nthe CCPA.\n\nSincerely,\nAlex"
    )
    assert normalise(wrapped).split("\n")[0].endswith("under the CCPA.")
    assert normalise(wrapped).endswith("\n\nSincerely,\nAlex")
    # a phone's one sentence a line: the first line's negation or thanks stays on its line
    for text in (
        "je vous ecris de mon cell sans mes lunettes desole\nsupprimez mon compte svp",
        "I got your reply but honestly I still don't understand\ndelete my account please",
        "Bonjour Mme Tremblay et merci de m'avoir rappelé hier\nsupprimez mon compte svp",
    ):
        assert "\n" in normalise(text)
        assert rule_cues(text).labels == ["deletion"]
    # nor is the subject joined to the body
    assert rule_cues(
        "désabonnez-moi svp", "Je reçois encore vos infolettres et je ne comprends pas"
    ).labels == ["opt-out"]


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        # a fee taken off an account, or a copy of the last bill, is billing, not data
        ("Can you remove the late fee from my account? It was a bank error.", []),
        ("Pouvez-vous enlever les frais de retard de mon compte?", []),
        ("Could you send me a copy of my last invoice?", []),
        ("Pouvez-vous m'envoyer une copie de ma dernière facture?", []),
        ("Pouvez-vous m'envoyer une copie de mes dernières factures?", []),
        ("Could you send me a copy of my monthly bill?", []),
        ("Please remove the late penalty from my account.", []),
        ("Veuillez enlever la pénalité de retard de mon compte.", []),
        ("Can you remove all the late fees from my account?", []),
        ("Please remove the $25 late fee from my account.", []),
        ("Enlevez le 12,50 $ de frais de retard de mon compte.", []),
        # an account's balance, statement or password, a file's status, is support
        ("Where can I view my account balance?", []),
        ("How do I download my account statement for October?", []),
        ("Can you send me the password reset link for my account?", []),
        ("Je voudrais connaître le solde de mon compte.", []),
        ("Comment télécharger le relevé de mon compte de novembre?", []),
        ("Comment obtenir le numéro de mon compte client?", []),
        ("J'aimerais connaître l'état de mon dossier de réclamation.", []),
        # what is one's own still is
        ("Please remove my credit card from my account.", ["deletion"]),
        ("Remove my phone number from my account.", ["deletion"]),
        ("Send me a copy of my file.", ["access"]),
        ("I request a copy of my previous driver trip data", ["access"]),
        ("Please delete my interest profile and all my personal data.", ["deletion"]),
        ("Supprimez mes intérêts et mon profil publicitaire.", ["deletion"]),
        ("Remove the fees and my personal data from your systems.", ["deletion"]),
        ("I want to see all the data attached to my account.", ["access"]),
        ("Je veux voir toutes les données associées à mon compte.", ["access"]),
        ("Je voudrais consulter mon dossier.", ["access"]),
        ("Can I see the address and phone number on my file?", ["access"]),
        ("Pouvez-vous m'envoyer un relevé de toutes mes données personnelles?", ["access"]),
        ("Remove the $25 fee along with my phone number.", ["deletion"]),
        ("Please remove the late fee on my account and my daughter's.", []),
    ],
)
def test_a_bill_is_not_personal_data(text: str, labels: list[str]) -> None:
    assert rule_cues(text).labels == labels


@pytest.mark.parametrize(
    "text",
    [
        "Les appels au service à la clientèle sont-ils enregistrés? Qui peut les écouter?",
        "Est-ce que les images des caméras du magasin sont conservées, et qui peut les visionner?",
        "Does the app keep a history of the locations, and who has access to it?",
        "Are the security camera recordings at your store kept, and who can watch them?",
        # asked through "I'd like to know", "can you tell me": the writer only asks
        "Je voudrais savoir si vos caméras enregistrent aussi le son.",
        "Can you tell me whether you share customer data with advertisers?",
        # or asks "what" of people in general
        "J'aimerais savoir quelles données vous recueillez sur vos clients.",
        "Je me demande quelles informations vous gardez quand on crée un compte.",
        # or as one who has not signed up yet, of whom nothing is held
        "Can you tell me what data is collected when I sign up for the loyalty program?",
        "J'aimerais savoir quelles données vous collectez quand je crée un compte sur l'appli.",
    ],
)
def test_a_question_that_names_no_one_is_no_access_request(text: str) -> None:
    """The model hears access in these questions about practices; with no person named whose
    data it could be, and no access cue, access is not given and the cues say why."""
    from intake_bot.classifiers.requests import MODEL_THRESHOLD

    result = classify_request(text)
    assert result.scores["access"] >= MODEL_THRESHOLD
    assert result.labels == []
    assert any("names no one" in cue for cue in result.cues["access"])


@pytest.mark.parametrize(
    "text",
    [
        "Avez-vous encore mon dossier? J'aimerais le voir.",
        "Est-ce que le dossier de mon fils contient les notes de la psychologue? J'aimerais les lire.",
        "How did you get this number? Who gave it to you?",
        # named only as the one who asks, but asking what is held about someone
        "Can you let me know what you've got on file?",
        "Pouvez-vous me dire ce que vous avez dans vos dossiers?",
        "Can you tell me what's on file under the name Jean Tremblay?",
        "J'aimerais savoir quels renseignements vous détenez.",
        "J'aimerais savoir quelles informations vous avez sur vos clients, dont moi.",
        "I'd like to know what your users can see about me.",
        # staff are not people in general; an account number, an address name someone
        "Can you tell me what data your employees accessed on account #44812 last month?",
        "Pouvez-vous me dire quels documents vos employés ont mis dans le dossier 8812 quand on a appelé?",
        "If I create a new account, will you still have my old data? Please send me a copy of it.",
    ],
)
def test_a_question_that_names_someone_can_ask_for_access(text: str) -> None:
    assert classify_request(text).labels == ["access"]


@pytest.mark.parametrize(
    "text",
    [
        "Pourquoi je ne reçois plus de promotions?",
        "Je reçois pu vos courriels de promotions, pourquoi?",
        "I'm not getting the promo emails anymore, why?",
    ],
)
def test_mail_that_stopped_coming_is_no_opt_out(text: str) -> None:
    """The model hears an opt-out in "promotions" and "emails"; the sender says they no
    longer come, which an opt-out would make worse."""
    from intake_bot.classifiers.requests import MODEL_THRESHOLD

    result = classify_request(text)
    assert result.scores["opt-out"] >= MODEL_THRESHOLD
    assert result.labels == []
    assert any("no longer comes" in cue for cue in result.cues["opt-out"])


@pytest.mark.parametrize(
    "text",
    [
        "Je ne veux plus recevoir vos promotions.",
        "Je ne reçois plus vos courriels et c'est tant mieux. Retirez-moi de la liste.",
        "I keep getting your emails, please stop.",
    ],
)
def test_mail_that_should_stop_is_opt_out(text: str) -> None:
    assert classify_request(text).labels == ["opt-out"]


@pytest.mark.parametrize(
    ("text", "subject", "names_no_one"),
    [
        ("Les appels sont-ils enregistrés? Qui peut les écouter?", "", True),
        ("Ai-je un dossier chez vous?", "", False),  # the writer, after the verb
        ("Son dossier contient-il les notes de la psychologue?", "", False),
        ("Who gave you this number?", "", False),
        ("Les appels sont-ils enregistrés? Qui peut les écouter?", "Re: Votre appel", False),  # a reply
        ("Les appels sont enregistrés. Qui peut les écouter.", "", False),  # no question asked
        # a question asked through its frame, with or without "?"
        ("J'aimerais savoir combien de temps vous gardez les enregistrements.", "", True),
        ("I'd like to know how long you keep the camera footage", "", True),
        ("Je me demande si vos serveurs sont au Canada.", "", True),
        ("Could you let me know whether your website uses cookies?", "", True),
        # "what data": perhaps the writer's own, so the frame stays and names the writer
        ("Could you let me know what information you collect?", "", False),
        ("Je voudrais savoir si le son est enregistré.", "", True),  # "le son", the sound
        ("I'd like to know what information you hold.", "", False),  # what is held
        ("Je voudrais savoir si vous avez mon dossier.", "", False),
        ("Je voudrais savoir si son dossier est complet.", "", False),
    ],
)
def test_who_a_question_names(text: str, subject: str, names_no_one: bool) -> None:
    from intake_bot.classifiers.requests import _names_no_one

    assert _names_no_one(rule_cues(text, subject), subject) is names_no_one


def test_the_sentence_that_asked_for_access_must_be_the_question() -> None:
    """The order ("Send the documents.") gave access; the question ("What are the fees?") is another
    sentence, and alone it names no one."""
    from intake_bot.classifiers.requests import _names_no_one

    rules = rule_cues("Envoyez une copie des documents. Quels sont les frais?")
    assert _names_no_one(rules, "") is True
    assert _names_no_one(rules, "", "envoyez une copie des documents.") is False
    assert _names_no_one(rules, "", "quels sont les frais?") is True


def test_capitals_do_not_matter_to_the_rules() -> None:
    """The rules read a lower-cased body with patterns compiled without re.I (twice as fast),
    so a capital letter in a pattern would silently never match."""
    from intake_bot.classifiers import requests

    helpers = ("_NEGATION", "_CLAUSE_BREAK", "_RETRACTION", "_CONDITION", "_WRONG")
    helpers += ("_FRENCH_NE", "_FRENCH_PAS", "_ASKS_WHAT", "_ABOUT_SOMEONE", "_NAMES_A_PERSON")
    helpers += ("_MAIL_STOPPED", "_ASKING")
    patterns = [pattern for _, _, pattern in requests._CUES]
    patterns += [getattr(requests, name).pattern for name in helpers]
    for pattern in patterns:
        letters = re.sub(r"\\[A-Za-z]", "", pattern)  # \S, \W, \b... are not letters to match
        assert letters == letters.lower(), pattern
    shouted = rule_cues("VEUILLEZ SUPPRIMER MON COMPTE ET ME DÉSABONNER DE L'INFOLETTRE.")
    assert shouted.labels == ["deletion", "opt-out"]
    assert rule_cues("Please DON'T delete my account.").labels == []


def test_the_model_reads_the_rule_cues() -> None:
    """The shipped model was trained with the cues that fired as features; each cue is
    named by its pattern, negated cues apart, and the answer keeps the cues for an officer."""
    from intake_bot.classifiers.model import load_model
    from intake_bot.classifiers.train import message_doc

    nlp = load_model()
    assert nlp is not None and nlp.meta["intake_bot"]["rule_features"]
    words = [t.text for t in message_doc(nlp, "", "Please don't delete my account, unsubscribe me.")]
    assert "<opt-out>" in words and "<negated deletion>" in words and "<deletion>" not in words
    assert any(w.startswith("<negated deletion#") for w in words)
    result = classify_request("Please don't delete my account, unsubscribe me.")
    assert result.labels == ["opt-out"] and result.fired


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("allo svp enlevez moi de votre liste", "fr"),
        ("please remove me", "en"),
        ("supprimez mes données", "fr"),
        ("delete my account", "en"),
        ("Bonjour, je souhaite accéder à mon dossier.", "fr"),
        ("Hi, I'd like a copy of my data please.", "en"),
        # Two or three words, none of them a pronoun that both languages share (regression:
        # these were undecided and took the organisation's default, French).
        ("stop texting me", "en"),
        ("take me off", "en"),
        ("quit spamming me", "en"),
        ("opt out", "en"),
        ("arrêtez les textos", "fr"),
        ("oubliez-moi", "fr"),
    ],
)
def test_short_messages_language(text: str, lang: str) -> None:
    assert detect_language(text).lang == lang


@pytest.mark.parametrize(
    ("text", "subject", "lang"),
    [
        (".", "Unsubscribe", "en"),  # the request in the subject, a dot in the body
        ("Thx\n\nChioma", "Please update my last name to Okafor", "en"),
        ("Merci.\n\n--\nLuc", "Copy of my personal data", "fr"),  # the body tells: the subject is not asked
        ("", "Désabonnement", "fr"),
        ("ok", "Re: Your request", None),  # a reply's subject is the thread's, not the sender's
        ("Thanks!", "Re: Vos données", "en"),
    ],
)
def test_the_subject_tells_where_the_body_cannot(text: str, subject: str, lang: str | None) -> None:
    from intake_bot.classifiers import message_language

    assert message_language(text, subject).lang == lang


def test_too_short_to_tell_says_so() -> None:
    """ "STOP" is French and English: the caller falls back to the thread, then the default."""
    assert detect_language("STOP").lang is None
    assert detect_language("").lang is None


@pytest.mark.parametrize(
    ("headers", "body", "kind"),
    [
        ("Auto-Submitted: auto-replied", "Thanks", "auto-reply"),
        ("Auto-Submitted: auto-generated", "Report", "bulk"),
        ("Precedence: junk", "Win now", "bulk"),
        ("List-Id: <x.lists.example.org>", "Hello list", "bulk"),
        ("List-Unsubscribe: <mailto:u@example.org>", "Offers", "bulk"),
        ("X-Autorespond: yes", "Away", "auto-reply"),
        ("Return-Path: <>", "Returned", "bounce"),
        ("Subject: Out of Office: back Monday", "I am out of the office until Monday.", "auto-reply"),
        (
            "Subject: Re: demande",
            "Je suis absente jusqu'au 3 janvier; en cas d'urgence écrivez à x.",
            "auto-reply",
        ),
        (
            "Subject: Re: request",
            "I am currently out of the office with limited access to email.",
            "auto-reply",
        ),
        # Bounces forwarded or re-sent without their report headers: the servers' wording.
        (
            "Subject: Fwd: your mail",
            "This is the mail system at host mx.example.net.\n\nI'm sorry to have to inform you "
            "that your message could not be delivered to one or more recipients.",
            "bounce",
        ),
        (
            "Subject: Re: demande",
            "Votre message n'a pas pu être remis à jdoe@example.org.\n550 5.1.1 Adresse inconnue",
            "bounce",
        ),
        (
            "Subject: Notice",
            "Delivery has failed to these recipients or groups:\nmarc@example.com\n"
            "The email address you entered couldn't be found.",
            "bounce",
        ),
        (
            "Subject: Mail delivery failed: returning message to sender",
            "This message was created automatically by mail delivery software.\n\nA message that "
            "you sent could not be delivered to one or more of its recipients.",
            "bounce",
        ),
        (
            "Subject: Warning: could not send message for past 4 hours",
            "The original message was received at Mon, 23 Nov 2026 10:00:00 -0500",
            "bounce",
        ),
        (
            "Subject: Fwd: notice",
            "Sorry, we were unable to deliver your message to the following address.\n\n"
            "<jdoe@example.org>: 554: delivery error",
            "bounce",
        ),
        (
            "Subject: Fwd: notice",
            "** Message not delivered **\n\nThere was a problem delivering your message to "
            "jdoe@example.org. See the technical details below.",
            "bounce",
        ),
        (
            "Subject: Fwd: notice",
            "Your message to jdoe@example.org couldn't be delivered.\njdoe wasn't found at example.org.",
            "bounce",
        ),
        (
            "Subject: Fwd: Re: ma demande",
            "Your message did not reach some or all of the intended recipients.\n\n"
            "      Subject: Re: ma demande",
            "bounce",
        ),
        (
            "Subject: TR: avis",
            "Votre message à jdoe@example.org n'a pas pu être remis.\njdoe est introuvable.",
            "bounce",
        ),
        (
            "Subject: TR: avis",
            "** Adresse introuvable **\n\nVotre message n'a pas été distribué à jdoe@example.org, "
            "car l'adresse est introuvable.",
            "bounce",
        ),
        (
            "Subject: TR: avis",
            "La remise aux destinataires ou groupes suivants a échoué :\njdoe@example.org",
            "bounce",
        ),
        ("Subject: Message non remis : Re: demande", "Voir le rapport ci-joint.", "bounce"),
        ("Subject: Notification d'état de la remise (échec)", "Voir le rapport ci-joint.", "bounce"),
        ("Subject: Rapport de non-remise : demande", "Voir le rapport ci-joint.", "bounce"),
        ("Subject: Mail Delivery Failure", "See the attached report.", "bounce"),
        # Domino, OpenSMTPD, Sun Messaging Server, Lotus Notes subjects, French "délivré"
        (
            "Subject: Fwd: notice",
            "Your message\n\n  Subject: Re: demande\n\nwas not delivered to:\n\n  jdoe@example.org",
            "bounce",
        ),
        (
            "Subject: Fwd: notice",
            "Hi!\n\nThis is the MAILER-DAEMON, please DO NOT REPLY to this email.\n\n"
            "An error has occurred while attempting to deliver a message for the following list "
            "of recipients:",
            "bounce",
        ),
        (
            "Subject: Fwd: notice",
            "This report relates to a message you sent with the following header fields:",
            "bounce",
        ),
        ("Subject: Delivery Notification: Delivery has failed", "See below.", "bounce"),
        (
            "Subject: TR: avis",
            "Le message suivant n'a pu être délivré à jdoe@example.org : boîte pleine.",
            "bounce",
        ),
        ("Subject: Courriel non délivré : Re: demande", "Voir le rapport ci-joint.", "bounce"),
    ],
)
def test_automated_mail(headers: str, body: str, kind: str) -> None:
    raw = f"From: someone@example.org\r\n{headers}\r\n\r\n{body}\r\n".encode()
    verdict = screen_automated(parse_message(raw))
    assert verdict is not None and verdict.kind == kind


@pytest.mark.parametrize(
    "body",
    [
        "I was away last week, sorry for the delay: please delete my account.",
        "Je serai en vacances bientôt, pouvez-vous supprimer mes données avant?",
        "Please stop sending me emails.",
        # A person who forwards a bounce to ask about it writes first: still a person.
        "I wrote to your other address and got the message below, please delete my data.\n\n"
        "This is the mail system at host mx.example.net. Your message could not be delivered.",
        "My email could not be delivered to your sales team last week, so I am writing here: "
        "please correct my phone number to 514-555-0101.",
        "The original message was received at your office, I think, but nobody answered. "
        "Please send me a copy of my file.",
        "There was a problem with my last order, please delete my account.",
        "Impossible de vous joindre par téléphone : veuillez supprimer mes données.",
        "My parcel was not delivered to: 12 Main St. Please correct the address on my account.",
        "Votre message n'est pas clair. Je demande la suppression de mes données.",
        "Your message: I read it. Please send me a copy of my file.",
        # People who quote a mailing, or sign with their company's notices: not bulk.
        # A reply to a newsletter: the footer is quoted history.
        "Please take me off this list.\n\nOn Mon, Dec 7, 2026 at 9:00 AM Example <news@example.org> "
        "wrote:\n> View this email in your browser\n> You are receiving this email because you "
        "signed up.\n> Unsubscribe | Update your preferences",
        # A forwarded newsletter under the person's request.
        "The unsubscribe link does not work, please delete my address.\n\n"
        "---------- Forwarded message ---------\nFrom: Example <news@example.org>\n"
        "Subject: News\n\nView this email in your browser\nUnsubscribe | Manage preferences\n"
        "© 2026 Example Inc.",
        # A person who quotes one line of the footer, and signs with a copyright.
        "Your emails say 'You are receiving this email because you signed up' but I never did. "
        "Remove me.\n\nJane Roe\nRoe Design\n© 2026 Roe Design. All rights reserved.",
        "Unsubscribe\n\n--\nMarc Tremblay\nTremblay & fils\nTous droits réservés",
        "The link (click here to unsubscribe) in your newsletter is broken, please remove this "
        "address.\n\nCopyright 2026 Acme Ltd.",
        "Bonjour, je suis sur la liste de diffusion de votre club et je voudrais ne plus recevoir "
        "les courriels. Merci.",
        # Written above a pasted newsletter, with no separator; or signed with one's company's
        # notices, in words no rule knows.
        "No more of these please.\n\nView this email in your browser\nUnsubscribe\n© 2026 Acme",
        "Assez de pub.\n\n--\nAcme\nSe désabonner | Gérer vos préférences\n© 2026 Acme",
        "Bonjour,\n\nEnlevez cette adresse svp\n\n--\nAcme\nAfficher ce courriel dans votre "
        "navigateur\nSe désabonner\n© 2026 Acme",
        "Unsubscribe\n\n--\nMarc Tremblay\nTremblay & fils\n© 2026 Tremblay & fils",
        "J'ai reçu ceci sans jamais m'être inscrite.\n\nView this email in your browser\n"
        "Unsubscribe | Preferences\n© 2026 Acme",
        # A list manager's words, in a person's sentence or with no separator above.
        "To unsubscribe from this list you have to email the admin, which was done twice.",
        "Please take me off your mailing list\nm.roy@example.org\n\nThank you",
    ],
)
def test_people_are_not_flagged_automated(body: str) -> None:
    raw = f"From: person@example.org\r\nSubject: request\r\n\r\n{body}\r\n".encode()
    assert screen_automated(parse_message(raw)) is None


# Mailings that reach us without their list headers (a forwarding rule, a relay): their footers.
@pytest.mark.parametrize(
    "body",
    [
        # Mailman 2 trailer
        "Has anyone tried the new release on ARM?\n\nThanks,\nPaul\n"
        "_______________________________________________\nUsers mailing list\n"
        "users@lists.example.org\nhttps://lists.example.org/mailman/listinfo/users",
        # Mailman 3 trailer
        "Le local sera fermé lundi.\n_______________________________________________\n"
        "Benevoles mailing list -- benevoles@lists.example.org\n"
        "To unsubscribe send an email to benevoles-leave@lists.example.org",
        # Mailman digest
        "Send Users mailing list submissions to\n\tusers@lists.example.org\n\n"
        "Today's Topics:\n\n   1. Re: release notes (Paul)",
        # Google Groups
        "Reminder: the meeting moved to Thursday.\n\n--\nYou received this message because you "
        'are subscribed to the Google Groups "Parents" group.\nTo unsubscribe from this group and '
        "stop receiving emails from it, send an email to parents+unsubscribe@googlegroups.com.",
        # LISTSERV / Sympa
        "Nouvelle offre d'emploi : analyste.\n\n--\nPour vous désabonner de la liste EMPLOIS, "
        "envoyez un courriel à sympa@listes.example.org",
        # A newsletter: browser line, footer to its reader, unsubscribe link, copyright
        "View this email in your browser\n\nBlack Friday: 40% off every plan!\n\n"
        "You are receiving this email because you signed up on our website.\n"
        "Unsubscribe | Update your preferences\n© 2026 Example Software Inc.",
        "Afficher ce courriel dans votre navigateur\n\nNos nouveautés de décembre\n\n"
        "Se désabonner : https://example.com/u/123\nTous droits réservés Exemple inc.",
        "Webinar on Thursday: register now.\n\nCopyright © 2026 Example, All rights reserved.\n"
        "Want to change how you receive these emails?\nYou can update your preferences or "
        "unsubscribe from this list: https://example.us1.list-manage.com/unsubscribe",
    ],
)
def test_a_mailing_without_its_list_headers_is_bulk(body: str) -> None:
    raw = f"From: news@example.org\r\nSubject: News\r\n\r\n{body}\r\n".encode()
    verdict = screen_automated(parse_message(raw))
    assert verdict is not None and verdict.kind == "bulk"


def test_microsoft_365_non_delivery_sender_is_a_bounce() -> None:
    raw = (
        b"From: Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@example.org>\r\n"
        b"Subject: Re: request\r\n\r\nSee the details below.\r\n"
    )
    verdict = screen_automated(parse_message(raw))
    assert verdict is not None and verdict.kind == "bounce"


def test_fast_cue_search_finds_what_the_patterns_find() -> None:
    """Cues opening with "\\b(" are searched without the \\b and the boundary checked by hand:
    that is only the same when every way into the pattern starts with a letter."""
    import re._parser as parser  # the stdlib's own reading of a pattern

    from intake_bot.classifiers import requests

    def starts_with_a_letter(items: list[tuple[object, object]]) -> bool:
        if not items:
            return False
        op, value = items[0]
        if op is parser.LITERAL:
            return chr(value).isalpha()  # type: ignore[arg-type]
        if op is parser.IN:
            return all(o is parser.LITERAL and chr(v).isalpha() for o, v in value)  # type: ignore[attr-defined]
        if op is parser.SUBPATTERN:
            return starts_with_a_letter(value[3].data)  # type: ignore[index]
        if op is parser.BRANCH:
            return all(starts_with_a_letter(branch.data) for branch in value[1])  # type: ignore[index]
        return False

    finders = [cue.finder for cue in requests._CUE_TABLE if cue.finder is not None]
    assert len(finders) > 30
    for finder in [*finders, requests._WRONG_FINDER]:
        assert finder is not None and starts_with_a_letter(parser.parse(finder.pattern).data), finder
    assert not starts_with_a_letter(parser.parse(r"(-?mail|post)").data)
    assert not starts_with_a_letter(parser.parse(r"((personal\s+)?data)").data)
    texts = [
        "undelete my data, then delete my data; resupprimer mes données et supprimer mes données",
        "_delete my account",
        "xunsubscribe unsubscribe désabonnez-moi",
        "ça va? réconnaître, mettre à jour mon adresse, remettre à jour mon nom",
    ]
    for text in texts:
        for compiled, finder in [(c.pattern, c.finder) for c in requests._CUE_TABLE]:
            fast = [(m.span(), m.group(0)) for m in requests._matches(compiled, finder, text)]
            assert fast == [(m.span(), m.group(0)) for m in compiled.finditer(text)]


def test_cue_leads_are_what_every_match_holds() -> None:
    """A cue is skipped when none of its leads occurs in the body: the leads must cover every
    way into the pattern, or be None (always scan)."""
    from intake_bot.classifiers.requests import _leads_of

    words = ("detruire", "détruire", "effacer")
    assert _leads_of(r"\b(d[ée]truire|effacer)\s+mon") == tuple(sorted(w + s for w in words for s in "\n "))
    assert _leads_of(r"\b(supprimer|supprimez)\b") == ("supprimer", "supprimez")
    assert _leads_of(r"\b(e-?mail|address)") == ("address", "e-mail", "email")  # an optional letter
    assert _leads_of(r"\b(e-?mail|adress|\w+)") is None  # a way in that could start anywhere
    # "m" rules nothing out: what every match holds further on does
    assert _leads_of(r"\b(m.enlever|retirer)") == ("enlever", "retirer")
    assert _leads_of(r"(^|,\s*|\bne\s+)(pu|plus)\s+de") == ("plus\n", "plus ", "pu\n", "pu ")
    assert _leads_of(r"\b(no|ne)\s+plus") == ("ne\n", "ne ", "no\n", "no ")  # normalised white space
    assert _leads_of(r"\bne\s*plus") == ("plus",)
    assert _leads_of(r"\bne\s*me") is None  # too short
    assert _leads_of(r"\bne\splus") == ("ne\n", "ne ")
    # what every match holds, past what takes no room or may be absent at its start
    assert _leads_of(r"\b((personal\s+)?data)") == ("data",)
    assert _leads_of(r"^\s*(stop|arr[êe]t)\s*$") == ("arret", "arrêt", "stop")
    assert _leads_of(r"\b(?<!not\s)forget(?!\s+it)\s+my") == ("forget\n", "forget ")
    # "my personal data" holds no "mydata": only what follows the optional part is a lead
    assert _leads_of(r"\bmy\s*((personal\s+)?data)") == ("data",)
    # an optional letter inside a group that follows a lead is kept as one of two ways
    assert _leads_of(r"\bsupp(x?rimer|ression)") == ("suppression", "supprimer", "suppxrimer")


def test_every_match_holds_one_of_its_patterns_leads() -> None:
    """Leads are read from the patterns' text by hand-written rules (requests._leads): on
    real mail, every match of a cue or a retraction must hold one of its leads, else the
    pattern would be skipped where it matches."""
    from intake_bot.classifiers import requests
    from intake_bot.classifiers.train import DATA, load_rows

    patterns = [(cue.pattern, cue.leads) for cue in requests._CUE_TABLE]
    patterns.append((requests._RETRACTION, requests._leads_of(requests._RETRACTION.pattern)))
    assert sum(leads is None for _, leads in patterns) <= 2  # nearly every pattern has leads
    rows = load_rows(DATA / "heldout.jsonl") + load_rows(DATA / "train-22-fr.jsonl")
    bodies = [rule_cues(str(row["text"]), str(row.get("subject") or "")).body for row in rows]
    matched = 0
    for pattern, leads in patterns:
        for body in bodies:
            for match in pattern.finditer(body):
                matched += 1
                assert leads is None or any(lead in match.group(0) for lead in leads), (pattern, match)
    assert matched > 300


def test_an_anchored_cue_matches_where_a_lead_starts_as_a_scan_would() -> None:
    """A cue whose every match starts at one of its leads is matched only where they occur
    (requests._anchored): the leads must open every match, and the matches are a scan's."""
    from intake_bot.classifiers import requests
    from intake_bot.classifiers.requests import _starts_at_lead
    from intake_bot.classifiers.train import DATA, load_rows

    assert _starts_at_lead(r"\b(supprimer|supprimez)\b")
    assert _starts_at_lead(r"\b(?<!not\s)forget(?!\s+it)\s+my")
    assert _starts_at_lead(r"^\s*(stop|arr[êe]t)\s*$") is False  # the match starts before "stop"
    assert _starts_at_lead(r"\b((personal\s+)?data)") is False  # ... or before "data"
    assert _starts_at_lead(r"\b(m.enlever|retirer)") is False  # leads further on
    anchored = [cue for cue in requests._CUE_TABLE if cue.anchored]
    assert len(anchored) > len(requests._CUE_TABLE) / 2
    rows = load_rows(DATA / "heldout.jsonl") + load_rows(DATA / "train-22-en.jsonl")
    bodies = [rule_cues(str(row["text"]), str(row.get("subject") or "")).body for row in rows]
    matched = 0
    for cue in anchored:
        for body in bodies:
            starts = sorted(
                {at.start() for lead in cue.leads or () for at in re.finditer(re.escape(lead), body)}
            )
            scanned = [(m.start(), m.end()) for m in cue.pattern.finditer(body)]
            assert [(m.start(), m.end()) for m in requests._anchored(cue.pattern, body, starts)] == scanned
            matched += len(scanned)
    assert matched > 250


def test_the_lead_finder_lets_in_the_cues_whose_leads_occur() -> None:
    """One pass of the Aho-Corasick automaton picks the same cues as testing each cue's leads
    with `in`, overlapping leads and leads inside other leads included."""
    from intake_bot.classifiers import requests

    bodies = [
        "",
        "stop",
        "désabonnez-moi\nsupprimer mon compte et supprimez mes données",
        "veuillez me retirer de votre liste d'envoi, merci; unsubscribe me and delete my account",
        "je veux mon dossier. i would like to see my whole file please. ne me contactez plus",
        "my address is wrong and my phone number is out of date; corriger mon nom",
    ]
    for body in bodies:
        plain = {
            index
            for index, cue in enumerate(requests._CUE_TABLE)
            if cue.leads is None or any(lead in body for lead in cue.leads)
        }
        found = set(requests._ALWAYS_SCANNED)
        for _, (_, led, _) in requests._LEAD_FINDER.iter(body):
            found |= led
        assert found - {requests._RETRACTING} == plain
    assert len(plain) > len(requests._ALWAYS_SCANNED) + 5  # the last bodies do let cues in


def test_a_normalised_body_has_only_spaces_and_newlines() -> None:
    """Cue leads end a \\s with a space or a newline (requests._BODY_SPACES): any other white
    space left in a rule body would let a match through unseen."""
    from intake_bot.classifiers.requests import _BODY_SPACES, normalise

    odd = "a\tb\r\nc\x0bd\x0ce\x1cf\x85g\xa0h\u2028i\u2029j\u3000k  \n\n l\u200a m"
    spaces = {char for char in normalise(odd) if char.isspace() or re.fullmatch(r"\s", char)}
    assert spaces <= set(_BODY_SPACES)
    assert "\n" in spaces and " " in spaces


def test_no_evaluation_text_is_in_the_training_data() -> None:
    """Evaluation data is never training data: no training message longer than six words is
    also in the held-out set, among the external letters or in the probe sets (one-liners
    such as "STOP" belong to everyone)."""
    import json
    from pathlib import Path

    from intake_bot.classifiers.train import DATA, load_rows

    def words(text: object) -> str:
        return " ".join(re.findall(r"\w+", str(text).lower()))

    evaluation = {words(row["text"]) for row in load_rows(DATA / "heldout.jsonl")}
    external = Path(__file__).resolve().parents[2] / "shared" / "eval" / "external-letters.jsonl"
    if external.exists():  # beside the checkout, here and in CI
        lines = external.read_text(encoding="utf-8").splitlines()
        evaluation |= {words(json.loads(line)["body"]) for line in lines if line.strip()}
    probes = sorted((Path(__file__).resolve().parents[1] / "benchmarks" / "probes").glob("*.jsonl"))
    assert len(probes) >= 3  # the subagents' invented messages, never trained on either
    evaluation |= {words(row["text"]) for probe in probes for row in load_rows(probe)}
    training = [words(row["text"]) for row in load_rows(DATA)]
    assert len(training) > 5000 and len(evaluation) > 250
    assert [text for text in training if len(text.split()) > 6 and text in evaluation] == []


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("Supprimez toutes les données personnelles que vous détenez sur moi.", True),
        ("Corrigez les renseignements qu'vous avez à mon sujet", True),
        ("les informations qui me concernent", True),
        ("Please erase all the data that you hold about me", True),
        ("Delete everything you have on me.", True),
        ("Qu'est-ce que vous avez sur moi?", False),  # a question: access
        ("What do you hold about me?", False),
        ("I want to know what you have on me", False),
        ("Avez-vous des données sur moi?", False),
    ],
)
def test_the_model_reads_what_data_not_which_right(text: str, masked: bool) -> None:
    """'The data you hold on me' says which data, in a deletion as much as in an access
    request; the model leaves it out (train.HELD_MASK), or older models read one placeholder
    for it; a question stays."""
    from intake_bot.classifiers import train
    from intake_bot.classifiers.model import load_model

    assert ("heldclause" in train.message_text("", text, held_mask=True)) == masked
    assert "heldclause" not in train.message_text("", text)
    dropped = train.message_text("", text, held_mask="drop")
    assert "heldclause" not in dropped
    assert (len(dropped.split()) < len(text.split())) == masked
    nlp = load_model()
    assert nlp is not None and nlp.meta["intake_bot"]["held_mask"] == "drop"  # the shipped model reads it so


def test_the_data_you_hold_does_not_ask_for_a_copy() -> None:
    """The demo's deletion request, said bare: the clause that says which data no longer
    draws access beside a deletion or a correction."""
    for text, labels in [
        (
            "je voudrais supprimer mon compte et toutes les données personnelles que vous détenez sur moi",
            ["deletion"],
        ),
        ("Please delete all the personal information that you hold about me.", ["deletion"]),
        (
            "Merci de corriger les renseignements que vous détenez sur moi: mon adresse a changé.",
            ["correction"],
        ),
        ("Veuillez m'envoyer une copie de toutes les données que vous détenez sur moi.", ["access"]),
    ]:
        assert classify_request(text).labels == labels, text


def test_the_model_does_not_grow_with_every_new_word(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading a message builds no spaCy Doc, so spaCy's vocabulary, which keeps every word
    a Doc brings, does not grow; the words' weights kept for speed start again past
    BagOfWords.WORD_LIMIT, which changes no score."""
    from intake_bot.classifiers import model

    text = "Bonjour, supprimez mon compte {w} svp. Et ne m'envoyez plus rien de votre {w} boutique."
    first = model.model_scores(text.format(w="commande-0"))
    loaded = model.load_model()
    assert first is not None and loaded is not None
    vocabulary = len(loaded.vocab)
    monkeypatch.setattr(model.BagOfWords, "WORD_LIMIT", 100)
    bags = model._BAGS[loaded].values()
    for n in range(200):
        model.model_scores(text.format(w=f"commande-{n}-x{n * 7919}"))
        assert len(bags) == 3 and all(bag is not None and len(bag._row) <= 100 + 30 for bag in bags)
    assert len(loaded.vocab) == vocabulary
    assert model.model_scores(text.format(w="commande-0")) == first


def test_the_bag_of_words_scores_as_spacy_does() -> None:
    """BagOfWords sums each word's weights instead of asking spaCy: the same probabilities
    as textcat.predict, for whole messages and sentences (whose component reads word pairs
    too), odd words included ("agent" is one of spaCy's symbols, whose id is not the hash of
    the word)."""
    import numpy as np
    from spacy.tokens import Doc

    from intake_bot.classifiers import model
    from intake_bot.classifiers.train import (
        DATA,
        PAIRS,
        SENTENCES,
        load_rows,
        message_words,
        new_text,
        sentence_words,
    )

    nlp = model.load_model()
    assert nlp is not None
    rows = load_rows(DATA / "train-10-en.jsonl")[:60] + load_rows(DATA / "train-10-fr.jsonl")[:60]
    texts = [(new_text(row), str(row.get("subject") or "")) for row in rows]
    texts += [("", ""), ("agent ORTH PERSON nsubj", "subj"), ("🙂 " * 50, "x" * 300)]
    for component, size in (("textcat_multilabel", 1), (SENTENCES, 2), (PAIRS, 2)):
        textcat = nlp.get_pipe(component)
        bag = model.BagOfWords(nlp, component)
        assert bag._size == size
        for text, subject in texts:
            rules = rule_cues(text, subject)
            words = [message_words(nlp, subject, text, rules), *(w for _, w in sentence_words(nlp, rules))]
            expected = textcat.predict([Doc(nlp.vocab, words=w) for w in words])  # type: ignore[attr-defined]
            assert np.allclose(bag.probabilities(words), expected, atol=1e-5)
        assert bag.labels == tuple(textcat.labels)  # type: ignore[attr-defined]


def test_a_model_that_is_not_a_bag_of_words_is_read_by_spacy(monkeypatch: pytest.MonkeyPatch) -> None:
    """classifier_select tries other architectures; those are read through spaCy's Docs,
    which give the bag of words the same scores."""
    from intake_bot.classifiers import model

    nlp = model.load_model()
    assert nlp is not None
    summed = model.model_scores(LETTER, "Closing")
    monkeypatch.setitem(model._BAGS, nlp, {"textcat_multilabel": None, "sentences": None})
    through_spacy = model.model_scores(LETTER, "Closing")
    assert summed is not None and through_spacy is not None
    assert summed.keys() == through_spacy.keys()
    assert all(abs(summed[label] - through_spacy[label]) < 1e-5 for label in summed)
