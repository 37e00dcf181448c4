"""Train the rights model: `python -m intake_bot.classifiers.train` (one documented command).

A spaCy `textcat_multilabel` with a bag-of-words architecture (unigrams and
bigrams over a multilingual tokenizer) learns the four rights from the
bilingual corpus the project writes and keeps in `classifiers/data/train*.jsonl`.
It is small (about a megabyte), needs no pretrained vectors or downloads, and
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

import spacy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import fix_random_seed, minibatch  # type: ignore[attr-defined]

from intake_bot.classifiers.requests import LABELS, Classification, rule_cues
from intake_bot.parsing import extract_new_text

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"  # every train*.jsonl there; never heldout.jsonl
MODEL = HERE / "model"
SEED = 20261122
EPOCHS = 20

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


def message_text(subject: str, text: str) -> str:
    """What the model reads: the subject, then the new text, lower-cased, cut to 2,000 characters."""
    return f"{subject}\n{text}".strip().lower()[:2000]


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
# (benchmarks/classifier_select.py): single words and crude stems generalise to
# wording the model has not seen better than word pairs do.
words_of = stemmed_words


# Whether the model also reads which rule cues fired (see rule_features). Recorded in the
# model's meta.json, so that a model is always fed what it was trained on.
RULE_FEATURES = True


def rule_features(rules: Classification) -> list[str]:
    """The rule cues that fired, as extra words the model weighs like any other: each cue by
    name, and each right the rules recognised or saw negated. The model learns from the
    corpus how far to trust each one, instead of a hand-set weight."""
    labels = {name.split("#")[0] for name in rules.fired}
    return ["|", *(f"<{name}>" for name in rules.fired), *(f"<{label}>" for label in sorted(labels))]


_READS_RULES: weakref.WeakKeyDictionary[Language, bool] = weakref.WeakKeyDictionary()


def _reads_rules(nlp: Language) -> bool:
    """Whether *nlp* was trained with the rule features (spaCy rebuilds `meta` on every read)."""
    if nlp not in _READS_RULES:
        _READS_RULES[nlp] = bool(nlp.meta.get("intake_bot", {}).get("rule_features"))
    return _READS_RULES[nlp]


def message_doc(nlp: Language, subject: str, text: str, rules: Classification | None = None) -> Doc:
    """The model's input, the same in training and in use."""
    words = words_of(message_text(subject, text))
    if _reads_rules(nlp):
        words += rule_features(rules if rules is not None else rule_cues(text, subject))
    return Doc(nlp.vocab, words=words or [""])


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


def train(
    rows: list[dict[str, object]], output: Path, epochs: int = EPOCHS, *, quiet: bool = False
) -> Language:
    fix_random_seed(SEED)
    nlp = spacy.blank("xx")
    nlp.meta["intake_bot"] = {"rule_features": RULE_FEATURES}
    textcat = nlp.add_pipe("textcat_multilabel", config=CONFIG)
    for label in LABELS:
        textcat.add_label(label)  # type: ignore[attr-defined]
    examples = []
    for row in rows:
        doc = message_doc(nlp, str(row.get("subject") or ""), new_text(row))
        wanted = row["labels"]
        labels = set(wanted) if isinstance(wanted, list) else set()
        examples.append(Example.from_dict(doc, {"cats": {label: float(label in labels) for label in LABELS}}))
    optimizer = nlp.initialize(lambda: examples)
    shuffler = random.Random(SEED)
    for epoch in range(epochs):
        shuffler.shuffle(examples)
        losses: dict[str, float] = {}
        for batch in minibatch(examples, size=16):  # type: ignore[no-untyped-call]
            nlp.update(batch, sgd=optimizer, drop=0.2, losses=losses)
        if not quiet:
            print(f"epoch {epoch + 1:2d}  loss {losses['textcat_multilabel']:.3f}", file=sys.stderr)
    output.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output)
    return nlp


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
