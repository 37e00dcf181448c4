"""French or English: langdetect restricted to the two, seeded, with a word vote for short text.

langdetect is n-gram based and guesses wildly on one-liners ("STOP", "svp
merci"); for short text a vote on function words and accents decides first,
and when neither is sure the caller falls back to the thread's language and then
the organisation's default.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import LangDetectException

Lang = Literal["fr", "en"]

_WORD = re.compile(r"[a-zà-ÿœæ]+(?:['’][a-zà-ÿ]+)?", re.I)

# Frequent words that are unambiguous between the two languages.
_FRENCH = frozenset(
    """
    je j' me m' moi mon ma mes vous votre vos nous notre nos le la les l' un une des du de d' et est
    sont pas ne n' plus que qu' qui pour avec dans sur au aux ce cette ces il elle on svp stp merci
    bonjour allo allô salut bonsoir cordialement veuillez voudrais aimerais souhaite désire demande
    données donnees renseignements informations courriel courriels compte supprimer effacer enlever
    retirer désabonner desabonner désinscrire modifier corriger changer infolettre liste adresse
    numéro numero téléphone telephone envoyer recevoir plaît plait s'il oui non aussi tout tous
    toutes mais ou où car donc avoir être fait faire suis ai avez êtes merci c'est n'est mon
    veux veut voulez voudrions peux pouvez pourriez pouvoir dois devez arrêtez arrêter arrête cessez
    envoyez jamais rien quoi pourquoi comment quand chez sans très bien ça là textos texto pub
    publicité publicités courrier nom prénom dossier fichier profil fermer annuler oubliez
    désabonnement désinscription abonnement lettre nouvelles nouvelle nouveau ancienne ancien
    mettre jour fois encore déjà depuis avoir eu reçu reçois recevez appels appelez vie privée
    consentement effacez supprimez enlevez retirez corrigez modifiez changez
    """.split()
)
_ENGLISH = frozenset(
    """
    i i'm i've i'd me my mine you your we our the a an and is are was not no to of in on for with
    from this that these those it please pls thanks thank hello hi hey dear regards would like want
    need data information info account delete remove erase unsubscribe update change fix correct
    email emails list address phone number send receive copy what which who how do does did have has
    yes also all but or can could should will
    off out opt get keep just any more sending texting texts text spam spamming forget quit leave
    alone again know about don't won't can't stuff messages newsletter newsletters anymore now
    wrong name file records record profile close cancel sell share they them their been be am
    sent emailing calling calls mail mailing marketing promotions subscription
    """.split()
)
_SHARED = frozenset({"stop", "a", "on", "me", "information", "informations", "date", "message"})


@dataclass(frozen=True)
class LanguageGuess:
    lang: Lang | None  # None: too short or mixed to tell; the caller falls back
    confidence: float
    method: str


@cache
def _factory() -> DetectorFactory:
    factory = DetectorFactory()
    profiles = [(Path(PROFILES_DIRECTORY) / code).read_text(encoding="utf-8") for code in ("fr", "en")]
    factory.load_json_profile(profiles)
    factory.set_seed(0)
    return factory


_lock = threading.Lock()


def _langdetect(text: str) -> tuple[Lang | None, float]:
    with _lock:  # langdetect's seeded generator is module state
        detector = _factory().create()
        detector.append(text)
        try:
            probabilities = detector.get_probabilities()
        except LangDetectException:
            return None, 0.0
    best = max(probabilities, key=lambda p: p.prob, default=None)
    if best is None or best.lang not in ("fr", "en"):
        return None, 0.0
    return ("fr" if best.lang == "fr" else "en"), float(best.prob)


# A reply's subject is the thread's title, written by whoever wrote first ("Re: Your
# unsubscribe confirmation"): not the sender's words.
REPLY_SUBJECT = re.compile(r"\s*(re|aw|sv)\s*:", re.I)


def message_language(text: str, subject: str = "") -> LanguageGuess:
    """The language of a message's new *text*; where it cannot tell ("." under the subject
    "Unsubscribe", "Thx" under "Please update my last name"), of the *subject* and the text
    together, unless the subject is a reply's. With no text, of the subject."""
    text = text.strip()
    guess = detect_language(text or subject)
    if guess.lang is not None or not text or not subject or REPLY_SUBJECT.match(subject):
        return guess
    both = detect_language(f"{subject}\n{text}")
    if both.lang is None:
        return guess
    return LanguageGuess(both.lang, both.confidence, f"{both.method}, subject included")


_ACCENTED = re.compile(r"[éèêàçùûôîœ]")


def _vote(words: list[str]) -> tuple[int, int]:
    french = english = 0
    for word in words:
        w = word.replace("’", "'")
        if w in _SHARED:
            continue
        if w in _FRENCH or w.split("'")[0] + "'" in _FRENCH:
            french += 1
        elif w in _ENGLISH:
            english += 1
        if _ACCENTED.search(w):
            french += 1
    return french, english


def detect_language(text: str) -> LanguageGuess:
    """Guess French or English for *text*, or say it cannot tell."""
    words = [w.lower() for w in _WORD.findall(text[:5000])]
    if not words:
        return LanguageGuess(None, 0.0, "no words")
    french, english = _vote(words)
    if len(words) <= 12:
        if french != english and max(french, english) >= 1:
            total = french + english
            lang: Lang = "fr" if french > english else "en"
            return LanguageGuess(lang, max(french, english) / total, "word vote")
        if len(words) < 4:
            return LanguageGuess(None, 0.0, "too short")
    if french + english >= 5 and max(french, english) >= 0.85 * (french + english):
        # Lopsided evidence from function words is as reliable as n-grams, and far cheaper.
        lang = "fr" if french > english else "en"
        return LanguageGuess(lang, max(french, english) / (french + english), "word vote")
    detected, probability = _langdetect(" ".join(words))
    if detected is not None and probability >= 0.8:
        return LanguageGuess(detected, probability, "langdetect")
    if french != english:
        return LanguageGuess("fr" if french > english else "en", 0.6, "word vote")
    return LanguageGuess(None, probability, "undecided")
