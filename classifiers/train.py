"""Train the rights model: `python -m intake_bot.classifiers.train` (one documented command).

A spaCy `textcat_multilabel` with a bag-of-words architecture (single words,
crude five-letter stems and the rule cues that fired; see words_of and
rule_features) learns the four rights from the bilingual corpus the project
writes and keeps in `classifiers/data/train*.jsonl`; a second one, the `sentences`
component, then learns them from the corpus's sentences (sentence_examples), with
word pairs as well; a third, `pairs`, learns them from whole messages like the first,
with word pairs as well.
It is small (one, two and two megabytes), needs no pretrained vectors or downloads, and
runs thousands of messages a second; the rule cues in `requests.py` handle what
statistics do badly (negation, retraction). Training is reproducible: fixed
seed, fixed order, fixed epochs. The held-out set (`heldout.jsonl`) and the
external letters are never read here.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import weakref
from pathlib import Path
from typing import NamedTuple

import spacy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import fix_random_seed, minibatch  # type: ignore[attr-defined]
from spacy.vocab import Vocab

from intake_bot.classifiers.requests import LABELS, Classification, rule_cues
from intake_bot.parsing import extract_new_text

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"  # every train*.jsonl there; never heldout.jsonl
MODEL = HERE / "model"
SEED = 20261122
# Five passes over the corpus, not twenty: a model trained longer fits its authors' wording
# more closely and carries over less well to other writers (cross-author validation, README).
EPOCHS = 5

CONFIG = {
    "threshold": 0.5,
    "model": {
        "@architectures": "spacy.TextCatBOW.v3",
        "exclusive_classes": False,
        "ngram_size": 1,
        "no_output_layer": False,
        "length": 2**16,  # hashed n-gram table: about 1 MB on disk
    },
}


_TOKEN = re.compile(r"\w+|[^\w\s]")


# How much of a message the model reads: a long formal letter (600 words, about 4,000
# characters) often tells its story first and asks in its last paragraph. Mail is rarely
# longer; the rules read 20,000.
MODEL_CHARS = 6000


def message_text(subject: str, text: str, *, held_mask: bool | str = False) -> str:
    """What the model reads: the subject, then the new text, lower-cased, cut to MODEL_CHARS
    characters; with *held_mask*, the clause that says which data is masked (see masked)."""
    return masked(f"{subject}\n{text}".strip().lower()[:MODEL_CHARS], held_mask)


def masked(text: str, held_mask: bool | str) -> str:
    """*text* with the clause that says which data (see _HELD) as one placeholder word if
    *held_mask* is true, left out if it is "drop"."""
    if not held_mask:
        return text
    return _HELD.sub(" " if held_mask == "drop" else " heldclause ", text)


# "les données que vous détenez sur moi", "the information that you hold about me": a clause
# that says which data, in a request to delete it as much as to see it. Most of the corpus's
# messages that say it ask for access, so a bag of words learns to read it as access, even
# beside "supprimer". The model reads one placeholder word for it instead, and the verb
# decides. A question ("qu'est-ce que vous avez sur moi?", "what do you hold about me?") is
# left alone.
_YOU_HOLD = (
    r"\s+(hold|have|keep|store|process|retain|possess|have\s+(collected|gathered|stored|kept))"
    r"(\s+(on\s+file|currently|still))?\s+(on|about|regarding|concerning)\s+me\b"
)
# Every branch opens with a literal ("qu", "that", "you"), its word boundary and what may not
# come before it checked after it, so the regex engine can skip to the possible first letters.
_HELD = re.compile(
    r"qu(?<!\wqu)(?<!est-ce qu)(e\s+|')(vous|tu|votre\s+\w+)\s+(d[ée]tenez|avez|poss[ée]dez|conservez|"
    r"gardez|traitez|stockez|utilisez|avez\s+(recueilli|collect[ée]|amass[ée]|accumul[ée])e?s?)"
    r"(\s+(encore|toujours|actuellement|pr[ée]sentement|d[ée]j[àa]))?\s+(sur\s+moi|[àa]\s+mon\s+"
    r"(sujet|endroit)|me\s+concernant|de\s+moi|sur\s+mon\s+compte)\b|"
    r"qui(?<!\wqui)\s+me\s+concernent\b|"
    rf"(that(?<!\wthat)|which(?<!\wwhich))\s+you{_YOU_HOLD}|"
    rf"you(?<!\wyou)(?<!do you)(?<!did you)(?<!what you){_YOU_HOLD}",
)
# How the model reads that clause: left out ("drop"), or as one placeholder word (True, the
# models of 2026-12-03 to 2026-12-06, midday). Recorded in the model's meta.json, like
# RULE_FEATURES. The placeholder learnt the clause's lean to access as a weight of its own
# (0.9 of a logit, again in its stem), so "je voudrais supprimer mon compte et toutes les
# données personnelles que vous détenez sur moi" still got access at 0.75; left out, 0.35.
HELD_MASK: bool | str = "drop"


def plain_words(text: str) -> list[str]:
    """Words and punctuation: a plain regular-expression split, several times cheaper than
    spaCy's tokenizer."""
    return _TOKEN.findall(text)


_FOLD = str.maketrans("àâäáçéèêëîïíôöóùûüúÿœæ", "aaaaceeeeiiiooouuuuyoa")


def folded_words(text: str) -> list[str]:
    """Words with French accents folded: people in a hurry type "donnees" and "effacer"."""
    return _TOKEN.findall(text.translate(_FOLD))


def stemmed_words(text: str) -> list[str]:
    """Folded words, then each long word's first five letters after a separator, so that
    "supprimer", "supprimez" and "suppression" share a feature (a crude stem)."""
    words = folded_words(text)
    return [*words, "|", *(w[:5] for w in words if len(w) > 5 and w.isalpha())]


# The features used in training and in use, chosen by cross-author validation
# (benchmarks/classifier_select.py): in the message component, single words and crude stems;
# the sentence component reads word pairs too (SENTENCE_SETTINGS). Pairs in the message
# component did worse in the first design; on 2026-12-07 they scored better cross-author
# (0.9486 against 0.9410) but leaned less on the rule cues and lost formal letters (external
# 50 of 60 against 54; 14 of 17 public letters gathered apart from it against 16), so they
# are not kept (README).
words_of = stemmed_words


# Whether the model also reads which rule cues fired (see rule_features). Recorded in the
# model's meta.json, so that a model is always fed what it was trained on.
RULE_FEATURES = True
# How many times the model reads each of those cues: a bag of words counts a word once per
# occurrence, so a cue read twice weighs twice and learns twice as fast as a single word
# beside it. Recorded in the model's meta.json ("cue_repeat"; 1 where it is missing).
CUE_REPEAT = 1


def rule_features(rules: Classification, span: tuple[int, int] | None = None, repeat: int = 1) -> list[str]:
    """The rule cues that fired (within *span* of `rules.body`, if given), as extra words the
    model weighs like any other: each cue by name, and each right the rules recognised or saw
    negated, each *repeat* times. The model learns from the corpus how far to trust each one,
    instead of a hand-set weight."""
    fired = (
        rules.fired
        if span is None
        else [name for name, at in zip(rules.fired, rules.fired_at, strict=True) if span[0] <= at < span[1]]
    )
    labels = {name.split("#")[0] for name in fired}
    cues = [*(f"<{name}>" for name in fired), *(f"<{label}>" for label in sorted(labels))]
    return ["|", *(cue for cue in cues for _ in range(repeat))]


_TRAINED_WITH: weakref.WeakKeyDictionary[Language, tuple[int, bool | str]] = weakref.WeakKeyDictionary()


def _trained_with(nlp: Language) -> tuple[int, bool | str]:
    """How many times *nlp* reads each rule cue (0: it was trained without them), and how it
    reads the held clause (spaCy rebuilds `meta` on every read, so it is read once)."""
    if nlp not in _TRAINED_WITH:
        meta = nlp.meta.get("intake_bot", {})
        cues = int(meta.get("cue_repeat") or 1) if meta.get("rule_features") else 0
        _TRAINED_WITH[nlp] = cues, meta.get("held_mask") or False
    return _TRAINED_WITH[nlp]


def message_words(nlp: Language, subject: str, text: str, rules: Classification | None = None) -> list[str]:
    """The model's input, the same in training and in use: the words, then the rule cues."""
    cues, held_mask = _trained_with(nlp)
    words = words_of(message_text(subject, text, held_mask=held_mask))
    if cues:
        words += rule_features(rules if rules is not None else rule_cues(text, subject), repeat=cues)
    return words or [""]


def message_doc(nlp: Language, subject: str, text: str, rules: Classification | None = None) -> Doc:
    """message_words as the spaCy Doc that training reads."""
    return Doc(nlp.vocab, words=message_words(nlp, subject, text, rules))


# Where a sentence ends: after . ! ? or ; and a space, or at a line break. Not after the
# full stop of an abbreviation that formal letters use inside a sentence ("I request that
# Example Inc. deletes", "conformément à l'art. 27", "M. Tremblay", "e.g.") nor of an
# initial ("J. Smith"). The text is lower-cased.
_ABBREVIATIONS = (
    *("inc", "ltd", "ltée", "corp", "art", "arts", "al", "cf", "vs", "sect", "para", "pp"),
    *("mr", "mrs", "ms", "dr", "st", "ste", "mme", "mmes", "mlle", "e.g", "i.e", "c.-à-d"),
)
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")
# checked only where a sentence would end: a regular expression with a look-behind for each
# abbreviation tried at every position made reading a message about 20% slower
_ABBREVIATED = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, _ABBREVIATIONS)) + r"|[a-z])\.$")
MAX_SENTENCES = 40


def sentence_spans(rules: Classification) -> list[tuple[int, int]]:
    """The new text's sentences of three words or more, as spans of `rules.body` within the
    model's first MODEL_CHARS characters, the first and last MAX_SENTENCES / 2 of a longer
    letter; none when there is only one (the message is the sentence)."""
    body, start = rules.body[:MODEL_CHARS], rules.text_start
    spans = []
    for end in _SENTENCE_END.finditer(body, start):
        if "\n" not in end.group(0) and _ABBREVIATED.search(body, max(0, end.start() - 10), end.start()):
            continue  # "example inc. deletes", "m. tremblay"
        spans.append((start, end.start()))
        start = end.end()
    spans.append((start, len(body)))
    spans = [(a, b) for a, b in spans if len(body[a:b].split()) >= 3]
    if len(spans) > MAX_SENTENCES:  # a letter asks at its start or in its last paragraph
        spans = spans[: MAX_SENTENCES // 2] + spans[-(MAX_SENTENCES // 2) :]
    return spans if len(spans) > 1 else []


def sentence_words(nlp: Language, rules: Classification) -> list[tuple[str, list[str]]]:
    """Each sentence (sentence_spans) and the words the model reads in it, with the cues
    found in it: in a letter that asks for a copy, a correction and an erasure, each request
    is read without the words of the others, which in a bag of words count against it. The
    model's sentence component reads them, and learns from them (sentence_examples)."""
    cues, held_mask = _trained_with(nlp)
    if held_mask and _HELD.search(rules.body, rules.text_start, MODEL_CHARS) is None:
        held_mask = False  # no sentence holds the clause when the text does not: one scan, not one each
    sentences = []
    for span in sentence_spans(rules):
        sentence = rules.body[span[0] : span[1]]
        words = words_of(masked(sentence, held_mask))
        if cues:
            words += rule_features(rules, span, repeat=cues)
        sentences.append((sentence, words))
    return sentences


def new_text(row: dict[str, object]) -> str:
    """What the bot classifies in use: the sender's new words, without quoted history,
    signatures or legal footers (parsing.extract_new_text). Training and evaluation read
    the corpus's messages the same way."""
    return extract_new_text(str(row["text"]))


def load_rows(path: Path) -> list[dict[str, object]]:
    """Rows of one JSONL file, or of every train*.jsonl in a folder (in name order)."""
    files = sorted(path.glob("train*.jsonl")) if path.is_dir() else [path]
    return [
        json.loads(line)
        for file in files
        for line in file.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


# The component that reads each sentence alone: a second bag of words, trained on sentences
# (sentence_examples) after the first one, which reads whole messages. A model without it
# reads sentences with the message component. Chosen by cross-author validation (README).
SENTENCES = "sentences"
SENTENCE_MODEL = True
# The sentence component's model settings where they differ from the message component's:
# it also reads word pairs ("ne supprimez", "mon dossier"), in a table twice the size. In a
# sentence, unlike a whole message, a pair is mostly the request itself; cross-author
# validation (README): 0.9320 to 0.9334, the model alone 0.9304 to 0.9330. BagOfWords reads
# the setting from the model, so an older model without pairs is read as it was trained.
SENTENCE_SETTINGS: dict[str, object] = {"ngram_size": 2, "length": 2**17}
# A third component reads the whole message like the first, with word pairs as well, in a
# table twice the size; a message's score is the mean of the two components' probabilities
# (model.model_rows). Alone, pairs did better on the corpus's unseen authors and worse on
# formal letters written elsewhere, where they lean less on the rule cues; the mean keeps
# most of both. A right is given when the two probabilities add up to 0.9 or more, so one
# component sure of itself on a long letter cannot silence the other (in a mean of logits
# the surer one decides: README). The first two components are trained as without it. A
# model without it reads messages with the first alone.
PAIRS = "pairs"
PAIRS_MODEL = True
PAIRS_SETTINGS: dict[str, object] = {"ngram_size": 2, "length": 2**17}


def _blank(settings: dict[str, object] | None = None) -> Language:
    fix_random_seed(SEED)
    nlp = spacy.blank("xx")
    nlp.meta["intake_bot"] = {
        "rule_features": RULE_FEATURES,
        "held_mask": HELD_MASK,
        "cue_repeat": CUE_REPEAT,
    }
    config = {**CONFIG, "model": {**CONFIG["model"], **(settings or {})}}  # type: ignore[dict-item]
    textcat = nlp.add_pipe("textcat_multilabel", config=config)
    for label in LABELS:
        textcat.add_label(label)  # type: ignore[attr-defined]
    return nlp


class Read(NamedTuple):
    """A corpus message as training reads it."""

    subject: str
    text: str  # the sender's new words (new_text)
    rules: Classification  # the rule cues found in them
    labels: set[str]  # the rights it asks for


def read_rows(rows: list[dict[str, object]]) -> list[Read]:
    """Each row read once (its new text and rule cues), for both components' examples."""
    read = []
    for row in rows:
        subject, text, wanted = str(row.get("subject") or ""), new_text(row), row["labels"]
        labels = set(wanted) if isinstance(wanted, list) else set()
        read.append(Read(subject, text, rule_cues(text, subject), labels))
    return read


def message_examples(nlp: Language, read: list[Read]) -> list[Example]:
    return [
        Example.from_dict(
            message_doc(nlp, each.subject, each.text, each.rules),
            {"cats": {label: float(label in each.labels) for label in LABELS}},
        )
        for each in read
    ]


def sentence_examples(nlp: Language, read: list[Read], vocab: Vocab) -> list[Example]:
    """The corpus's sentences as training examples, labelled from their message, which alone
    is labelled (multiple-instance learning): a sentence of a message that does not ask for a
    right does not ask for it either; of a message that does, the sentence that *nlp*'s
    message component scores highest asks for it, and the others are left unlabelled for that
    right. Messages where a retraction took something back are left out: there, a sentence
    may ask for what the message does not ("Please delete my account. Never mind, keep it").
    Negated requests stay: "don't delete my account" does not ask for a deletion, and its
    sentence teaches the negation's cue. The examples' Docs are of *vocab*, the vocabulary
    of the pipeline that learns from them."""
    textcat = nlp.get_pipe("textcat_multilabel")
    examples = []
    for each in read:
        if each.rules.retracted or each.rules.withdrawn:
            continue
        sentences = [words for _, words in sentence_words(nlp, each.rules)]
        if not sentences:
            continue
        scores = textcat.predict([Doc(nlp.vocab, words=words) for words in sentences])  # type: ignore[attr-defined]
        best = dict(zip(textcat.labels, scores.argmax(axis=0), strict=True))  # type: ignore[attr-defined]
        for n, words in enumerate(sentences):
            cats = {label: 0.0 for label in LABELS if label not in each.labels}
            cats.update({label: 1.0 for label in each.labels if best[label] == n})
            examples.append(Example.from_dict(Doc(vocab, words=words), {"cats": cats}))
    return examples


def train(rows: list[dict[str, object]], output: Path, *, quiet: bool = False) -> Language:
    """The message component, trained on whole messages; then, with SENTENCE_MODEL, the
    sentence component, trained on their sentences as that first component reads them; then,
    with PAIRS_MODEL, the message component with word pairs."""
    read = read_rows(rows)
    nlp = _blank()
    _fit(nlp, message_examples(nlp, read), quiet=quiet, what="messages")
    if SENTENCE_MODEL:
        reader = _blank(SENTENCE_SETTINGS)
        _fit(reader, sentence_examples(nlp, read, reader.vocab), quiet=quiet, what="sentences")
        nlp.add_pipe("textcat_multilabel", name=SENTENCES, source=reader)
    if PAIRS_MODEL:
        paired = _blank(PAIRS_SETTINGS)
        _fit(paired, message_examples(paired, read), quiet=quiet, what="messages, word pairs")
        nlp.add_pipe("textcat_multilabel", name=PAIRS, source=paired)
    output.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)
    return nlp


def _fit(nlp: Language, examples: list[Example], *, quiet: bool, what: str) -> None:
    optimizer = nlp.initialize(lambda: examples)
    shuffler = random.Random(SEED)
    for epoch in range(EPOCHS):  # read when called: classifier_select sets it per variant
        shuffler.shuffle(examples)
        losses: dict[str, float] = {}
        for batch in minibatch(examples, size=16):  # type: ignore[no-untyped-call]
            nlp.update(batch, sgd=optimizer, drop=0.2, losses=losses)
        if not quiet:
            print(
                f"{what}: epoch {epoch + 1}  loss {losses['textcat_multilabel']:.3f}  "
                f"({len(examples)} examples)",
                file=sys.stderr,
            )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--output", type=Path, default=MODEL)
    args = parser.parse_args()
    rows = load_rows(args.data)
    train(rows, args.output)
    size = sum(f.stat().st_size for f in args.output.rglob("*") if f.is_file())
    print(f"trained on {len(rows)} messages; model in {args.output} ({size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
