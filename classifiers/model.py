"""The trained rights model, shipped inside the package and loaded once, lazily.

`python -m intake_bot.classifiers.train` writes it to classifiers/model/. If the
folder is missing (a checkout before training), classification falls back to
the rules alone rather than failing.
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path

import spacy
from spacy.language import Language

from intake_bot.classifiers.requests import Classification
from intake_bot.classifiers.train import message_doc

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


def model_scores(
    text: str, subject: str = "", rules: Classification | None = None
) -> dict[str, float] | None:
    """The model's probability for each right, or None when no model is installed."""
    nlp = load_model()
    if nlp is None:
        return None
    # The one component is asked directly: going through nlp() costs a third more per message.
    textcat = nlp.get_pipe("textcat_multilabel")
    with _lock:  # spaCy pipelines are not documented as thread-safe
        scores = textcat.predict([message_doc(nlp, subject, text, rules)])  # type: ignore[attr-defined]
        if len(nlp.vocab) > VOCAB_LIMIT:
            load_model.cache_clear()  # the next message loads a fresh copy
    return {label: float(score) for label, score in zip(textcat.labels, scores[0], strict=True)}  # type: ignore[attr-defined]
