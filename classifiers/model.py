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
    return {label: float(score) for label, score in zip(textcat.labels, scores[0], strict=True)}  # type: ignore[attr-defined]
