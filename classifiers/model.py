"""The trained rights model, shipped inside the package and loaded once, lazily.

`python -m intake_bot.classifiers.train` writes it to classifiers/model/. If the
folder is missing (a checkout before training), classification falls back to
the rules alone rather than failing.
"""

from __future__ import annotations

import math
import threading
import weakref
from functools import cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
import spacy
from spacy.language import Language
from spacy.strings import get_string_id
from spacy.tokens import Doc
from thinc.api import NumpyOps

from intake_bot.classifiers import requests
from intake_bot.classifiers.requests import Classification, rule_cues
from intake_bot.classifiers.train import PAIRS, SENTENCES, message_words, sentence_words

MODEL = Path(__file__).resolve().parent / "model"
_lock = threading.Lock()


@cache
def load_model() -> Language | None:
    if not (MODEL / "meta.json").exists():
        return None
    return spacy.load(MODEL)


class BagOfWords:
    """The trained bag of words read as the linear model it is: a text's score for a right is
    the logistic of the bias plus the weights of its words, once per occurrence. Each word's
    weights are asked of the model's own layer (thinc's SparseLinear, which hashes the word
    twice into its table) the first time the word is seen and kept, so that a message and
    each of its sentences are scored with a few sums, with no spaCy Doc built: twice as fast
    as textcat.predict, and spaCy's vocabulary, which keeps every word a Doc brings for the
    life of the process, does not grow. Where the model reads word pairs (ngram_size 2), a
    pair is looked up like a word. The scores are textcat.predict's (the tests compare
    them)."""

    # Past this many words kept (30 MB measured with the index), start again: a bot that runs
    # for months must not grow without end.
    WORD_LIMIT = 200_000

    def __init__(self, nlp: Language, component: str = "textcat_multilabel") -> None:
        textcat = nlp.get_pipe(component)
        self.labels: tuple[str, ...] = tuple(textcat.labels)  # type: ignore[attr-defined]
        self._layer = textcat.model.get_ref("output_layer")  # type: ignore[attr-defined]
        self._bias = np.array(self._layer.get_param("b"), dtype="f")
        ngrams = [node for node in textcat.model.walk() if node.name == "extract_ngrams"]  # type: ignore[attr-defined]
        self._size = int(ngrams[0].attrs["ngram_size"])  # 2: word pairs are features too
        self._forget()

    def _forget(self) -> None:
        self._row: dict[str, int] = {}
        self._weights = np.zeros((1024, len(self.labels)), dtype="f")

    def probabilities(self, texts: list[list[str]]) -> np.ndarray:
        """One row of probabilities per text (a list of words, none empty), in self.labels order."""
        if len(self._row) > self.WORD_LIMIT:
            self._forget()
        if self._size > 1:
            texts = [self._grams(text) for text in texts]
        words = [word for text in texts for word in text]
        get = self._row.get
        found = np.fromiter((get(word, -1) for word in words), dtype=np.intp, count=len(words))
        if found.size and found.min() < 0:  # most words were seen before
            self._learn([word for word in dict.fromkeys(words) if word not in self._row])
            found = np.fromiter(map(self._row.__getitem__, words), dtype=np.intp, count=len(words))
        rows = self._weights.take(found, axis=0)
        if len(texts) == 1:  # the whole message: one sum, without reduceat's bookkeeping
            logits = rows.sum(axis=0, keepdims=True) + self._bias
        else:
            starts = np.cumsum([0, *(len(text) for text in texts[:-1])])
            logits = np.add.reduceat(rows, starts, axis=0) + self._bias
        probabilities: np.ndarray = 1 / (1 + np.exp(-logits))
        return probabilities

    def _grams(self, words: list[str]) -> list[str]:
        """The words, then each run of 2 to ngram_size words, joined by the unit separator
        (U+001F), which no word holds: Python counts it as a space."""
        grams = list(words)
        for n in range(2, self._size + 1):
            # each shifted copy is shorter than the one before: zip stops at the last full run
            grams.extend(map("\x1f".join, zip(*(words[k:] for k in range(n)), strict=False)))
        return grams

    def _learn(self, words: list[str]) -> None:
        keys = np.array([_key(word) for word in words], dtype=np.uint64)
        ones = np.ones(len(words), dtype="f"), np.ones(len(words), dtype="i")
        weights = self._layer.predict((keys, *ones)) - self._bias  # each word alone, minus the bias
        first = len(self._row)
        if first + len(words) > len(self._weights):
            grown = np.zeros((2 * (first + len(words)), len(self.labels)), dtype="f")
            grown[:first] = self._weights[:first]
            self._weights = grown
        self._weights[first : first + len(words)] = weights
        self._row.update((word, first + n) for n, word in enumerate(words))


_NGRAMS = NumpyOps()


def _key(gram: str) -> int:
    """The key the model's layer reads for a word, or for a run of words joined by U+001F
    (which spaCy's extract_ngrams hashes from its words' keys)."""
    if "\x1f" not in gram:
        return int(get_string_id(gram))
    keys = np.array([get_string_id(word) for word in gram.split("\x1f")], dtype=np.uint64)
    return int(_NGRAMS.ngrams(len(keys), keys)[0])


# Each model's bags of words, by component (None where a component is not a bag of words).
_BAGS: weakref.WeakKeyDictionary[Language, dict[str, BagOfWords | None]] = weakref.WeakKeyDictionary()


# A sentence read alone must be surer than the whole message in a long letter, where more
# sentences give more chances of one that only describes: of two sentences, one counts as
# the whole message at the threshold when it scores 0.5; each further sentence asks 0.03
# more (a letter of ten asks 0.74, of sixteen or more 0.92, at most 0.99). Its score is
# discounted by the odds between the two. Chosen by cross-author validation (README): the
# first step was 0.65 until 2026-12-06, late evening; at 0.5 the 32 older files rose from 0.9351
# to 0.9380 (23 up, 8 down) and the long formal letters of passes 23 and 24, each held out
# in turn, stayed at 0.9389 (a lower step lowered them: 0.9025 at none). The discounted
# score is held to requests.MODEL_THRESHOLD like the whole message's.
SENTENCE_FIRST, SENTENCE_STEP, SENTENCE_MOST = 0.5, 0.03, 0.99


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
    return read_rows(model_rows(nlp, text, subject, rules))


class Rows(NamedTuple):
    labels: tuple[str, ...]
    whole: np.ndarray  # the whole message's probability for each label
    sentences: list[str]  # the sentences read alone (none in a message of one)
    rows: np.ndarray  # one row of probabilities per sentence, undiscounted


def model_rows(nlp: Language, text: str, subject: str, rules: Classification) -> Rows:
    """The model's raw probabilities for the whole message and for each sentence, before a
    sentence's is discounted (model_reading; benchmarks/classifier_select.py stores them)."""
    sentences = sentence_words(nlp, rules)
    names = _pipe_names(nlp)
    reader = SENTENCES if SENTENCES in names else "textcat_multilabel"
    message = [message_words(nlp, subject, text, rules)]
    with _lock:  # the word tables are shared by every thread
        labels, whole = _probabilities(nlp, message)
        if PAIRS in names:  # the message read with word pairs too: the mean of the two
            paired = _probabilities(nlp, message, PAIRS)
            assert paired[0] == labels
            whole = (whole + paired[1]) / 2
        rows = _probabilities(nlp, [words for _, words in sentences], reader)[1] if sentences else whole[:0]
    return Rows(labels, whole[0], [sentence for sentence, _ in sentences], rows)


def read_rows(raw: Rows) -> Reading:
    """For each label, the whole message's score or one sentence's read alone (discounted by
    sentence_score), whichever is higher, and that sentence (benchmarks/sentence_study.py
    decides from stored rows with it too)."""
    scores = {label: float(score) for label, score in zip(raw.labels, raw.whole, strict=True)}
    deciding: dict[str, str] = {}
    if not raw.sentences:
        return Reading(scores, deciding)
    # the discount is the same for every sentence of the message and keeps their order: each
    # label's best sentence is its highest raw score, the first of equals
    best = raw.rows.argmax(axis=0)
    for column, label in enumerate(raw.labels):
        at = int(best[column])
        alone = sentence_score(float(raw.rows[at, column]), len(raw.sentences))
        if alone > scores[label]:
            scores[label], deciding[label] = alone, raw.sentences[at]
    return Reading(scores, deciding)


_PIPE_NAMES: weakref.WeakKeyDictionary[Language, frozenset[str]] = weakref.WeakKeyDictionary()


def _pipe_names(nlp: Language) -> frozenset[str]:
    """*nlp*'s components, read once: spaCy rebuilds `pipe_names` on every read, which cost
    about 5% of classifying a message. A model is not given components once it reads mail."""
    if nlp not in _PIPE_NAMES:
        _PIPE_NAMES[nlp] = frozenset(nlp.pipe_names)
    return _PIPE_NAMES[nlp]


_BAG = "with_cpu(extract_ngrams>>resizable(sparse_linear))>>with_cpu(logistic)"


def _probabilities(
    nlp: Language, texts: list[list[str]], component: str = "textcat_multilabel"
) -> tuple[tuple[str, ...], np.ndarray]:
    """The labels, and one row of probabilities per text, as *component* reads them. A bag
    of words is read by BagOfWords; any other architecture (benchmarks/classifier_select.py
    tries some) by spaCy."""
    bags = _BAGS.setdefault(nlp, {})
    if component not in bags:
        plain = nlp.get_pipe(component).model.name == _BAG  # type: ignore[attr-defined]
        bags[component] = BagOfWords(nlp, component) if plain else None
    bag = bags[component]
    if bag is not None:
        return bag.labels, bag.probabilities(texts)
    textcat = nlp.get_pipe(component)
    rows = textcat.predict([Doc(nlp.vocab, words=words) for words in texts])  # type: ignore[attr-defined]
    return tuple(textcat.labels), np.asarray(rows)  # type: ignore[attr-defined]


def model_scores(
    text: str, subject: str = "", rules: Classification | None = None
) -> dict[str, float] | None:
    """The model's probability for each right, or None when no model is installed."""
    reading = model_reading(text, subject, rules)
    return None if reading is None else reading.scores


def sentence_needs(sentences: int) -> float:
    """What one of *sentences* sentences must score alone to give its right."""
    return min(SENTENCE_MOST, SENTENCE_FIRST + SENTENCE_STEP * (sentences - 2))


def sentence_score(score: float, sentences: int) -> float:
    """A sentence's *score*, discounted so that it reaches requests.MODEL_THRESHOLD, like a
    whole message's, exactly when it reaches sentence_needs(sentences)."""
    return 1 / (1 + math.exp(_odds(sentence_needs(sentences), requests.MODEL_THRESHOLD) - _logit(score)))


@cache  # asked for every sentence and right of every message, of a few pairs of values
def _odds(needs: float, threshold: float) -> float:
    return _logit(needs) - _logit(threshold)


def _logit(probability: float) -> float:
    probability = min(max(probability, 1e-9), 1 - 1e-9)
    return math.log(probability / (1 - probability))
