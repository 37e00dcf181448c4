"""The trained rights model, shipped inside the package and loaded once, lazily.

`python -m intake_bot.classifiers.train` writes it to classifiers/model/. If the
folder is missing (a checkout before training), classification falls back to
the rules alone rather than failing.
"""

from __future__ import annotations

import math
import threading
from functools import cache
from pathlib import Path
from typing import NamedTuple

import spacy
from spacy.language import Language

from intake_bot.classifiers.requests import Classification, rule_cues
from intake_bot.classifiers.train import message_doc, sentence_docs

MODEL = Path(__file__).resolve().parent / "model"
_lock = threading.Lock()
# spaCy keeps every word it has seen in the model's vocabulary for the life of the process
# (about half a kilobyte each: 20,000 messages with two new words each took 20 MB), so a
# bot that runs for months would grow without end. The bag of words reads hashes of the
# words, not the vocabulary, so reloading the model (0.1 s) gives the same scores.
VOCAB_LIMIT = 200_000


@cache
def load_model() -> Language | None:
    if not (MODEL / "meta.json").exists():
        return None
    return spacy.load(MODEL)


# A sentence read alone must be surer than the whole message: its score is discounted by
# these odds (0.65 alone counts as 0.5), chosen by cross-author validation (README).
SENTENCE_ODDS = math.log(0.65 / 0.35)


class Reading(NamedTuple):
    scores: dict[str, float]  # each right's probability: the whole message's, or a sentence's
    sentences: dict[str, str]  # the sentence that decided a right, where one did


def model_reading(
    text: str, subject: str = "", rules: Classification | None = None, nlp: Language | None = None
) -> Reading | None:
    """The model's reading of the message as a whole and of each of its sentences, or None
    when no model is installed."""
    nlp = nlp or load_model()
    if nlp is None:
        return None
    rules = rules if rules is not None else rule_cues(text, subject)
    # The one component is asked directly: going through nlp() costs a third more per message.
    textcat = nlp.get_pipe("textcat_multilabel")
    with _lock:  # spaCy pipelines are not documented as thread-safe
        sentences = sentence_docs(nlp, rules)
        docs = [message_doc(nlp, subject, text, rules), *(doc for _, doc in sentences)]
        rows = textcat.predict(docs)  # type: ignore[attr-defined]
        if len(nlp.vocab) > VOCAB_LIMIT:
            load_model.cache_clear()  # the next message loads a fresh copy
    labels: tuple[str, ...] = textcat.labels  # type: ignore[attr-defined]
    scores = {label: float(score) for label, score in zip(labels, rows[0], strict=True)}
    deciding: dict[str, str] = {}
    for (sentence, _), row in zip(sentences, rows[1:], strict=True):
        for label, score in zip(labels, row, strict=True):
            alone = _discounted(float(score))
            if alone > scores[label]:
                scores[label], deciding[label] = alone, sentence
    return Reading(scores, deciding)


def model_scores(
    text: str, subject: str = "", rules: Classification | None = None
) -> dict[str, float] | None:
    """The model's probability for each right, or None when no model is installed."""
    reading = model_reading(text, subject, rules)
    return None if reading is None else reading.scores


def _discounted(score: float) -> float:
    score = min(max(score, 1e-9), 1 - 1e-9)
    return 1 / (1 + math.exp(SENTENCE_ODDS - math.log(score / (1 - score))))
