"""Choose the rights model's input features without touching the held-out or external sets.

    python benchmarks/classifier_select.py ["stems + rule cues"] [--seed N] [--epochs N] [--errors FILE]
                                           [--grid] [--extra DIR] [--shard K/N] [--test DIR]

Cross-author validation: each training file was written in a separate pass, by a
separate author, in different situations. For each file in turn, a variant is
trained on all the other files and scored (rules + model, as in production) on
that file; the figure is the mean macro-F1 over files. This estimates how a
choice generalises to wording the model has not seen, which is what the held-out
set measures, without looking at it. Prints one line per variant.

--extra DIR adds DIR's train*.jsonl to every fold's training data without holding
them out, so a new writing pass can be judged on the same files as before.

--shard K/N holds out only every N-th file, from the K-th (1 <= K <= N): run N processes
with 1/N ... N/N to use N cores, then take the mean of the per-file figures of all N
lines (each line's own mean is over its files only).

--test DIR trains each variant once, on every training file (and --extra), and scores it
on DIR's train*.jsonl instead: writing passes kept out of training (classifiers/data/unused)
check a choice in minutes, on authors no fold has seen.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from spacy.language import Language

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import intake_bot.classifiers.model as model_module  # noqa: E402
import intake_bot.classifiers.train as train_module  # noqa: E402
from intake_bot.classifiers import LABELS, classify_request  # noqa: E402

DATA = ROOT / "classifiers" / "data"
EXTRA: list[dict[str, object]] = []  # rows added to every fold's training data (--extra)
ERRORS: list[str] = []  # where --errors writes each fold's wrong answers (JSON lines)
READINGS: list[str] = []  # where --readings writes every held message's raw scores (JSON lines)
SHARD = [1, 1]  # --shard K/N: this process holds out the files K, K + N, K + 2N, ...
TEST: list[Path] = []  # --test DIR: train once on every file, score on DIR's instead


def held_files() -> list[Path]:
    files = sorted(DATA.glob("train*.jsonl"))
    return files[SHARD[0] - 1 :: SHARD[1]]


def folds() -> list[tuple[list[Path], list[Path]]]:
    """Each fold's training files and the files it is scored on: every file but one, and that
    one; or, with --test, every file, and the test files."""
    files = sorted(DATA.glob("train*.jsonl"))
    if TEST:
        return [(files, TEST)]
    return [([f for f in files if f != held], [held]) for held in held_files()]


def macro_f1(rows: list[dict[str, object]], predict: Callable[[str, str], set[str]]) -> float:
    counts = {label: [0, 0, 0] for label in LABELS}  # tp, fp, fn
    for row in rows:
        predicted = predict(train_module.new_text(row), str(row.get("subject") or ""))
        expected = set(row["labels"])  # type: ignore[call-overload]
        for label in LABELS:
            counts[label][0] += label in predicted and label in expected
            counts[label][1] += label in predicted and label not in expected
            counts[label][2] += label not in predicted and label in expected
    return statistics.mean(2 * tp / (2 * tp + fp + fn) if tp else 0.0 for tp, fp, fn in counts.values())


def with_rules(text: str, subject: str) -> set[str]:
    return set(classify_request(text, subject).labels)


def model_alone(text: str, subject: str) -> set[str]:
    scores = model_module.model_scores(text, subject) or {}
    return {label for label, score in scores.items() if score >= 0.5}


original_reading = model_module.model_reading


def evaluate(name: str, words: Callable[[str], list[str]], **config: object) -> None:
    original_words, original_config = train_module.words_of, dict(train_module.CONFIG["model"])
    original_rule_features = train_module.RULE_FEATURES
    train_module.words_of = words
    train_module.RULE_FEATURES = bool(config.pop("rule_features", False))
    original_repeat = train_module.CUE_REPEAT
    train_module.CUE_REPEAT = int(config.pop("cue_repeat", 1))  # type: ignore[call-overload]
    original_epochs, original_mask = train_module.EPOCHS, train_module.HELD_MASK
    train_module.EPOCHS = int(config.pop("epochs", original_epochs))  # type: ignore[call-overload]
    train_module.HELD_MASK = config.pop("held_mask", False)  # type: ignore[assignment]
    original_sentences = train_module.SENTENCE_MODEL, train_module.SENTENCE_SETTINGS
    train_module.SENTENCE_MODEL = bool(config.pop("sentence_model", False))
    train_module.SENTENCE_SETTINGS = dict(config.pop("sentence_settings", {}))  # type: ignore[call-overload]
    original_pairs = train_module.PAIRS_MODEL
    train_module.PAIRS_MODEL = bool(config.pop("pairs_model", False))
    if "architecture" in config:  # a whole other model instead of settings of the bag of words
        train_module.CONFIG["model"].clear()  # type: ignore[attr-defined]
        train_module.CONFIG["model"].update(config["architecture"])  # type: ignore[attr-defined]
    else:
        train_module.CONFIG["model"].update(config)  # type: ignore[attr-defined]
    scores, alone, held_out = [], [], []
    try:
        for training, tested in folds():
            rows = [r for f in training for r in train_module.load_rows(f)] + EXTRA
            with tempfile.TemporaryDirectory() as folder:
                nlp = train_module.train(rows, Path(folder), quiet=True)
                model_module.model_reading = functools.partial(original_reading, nlp=nlp)  # type: ignore[assignment]
                for held in tested:
                    rows = train_module.load_rows(held)
                    held_out.append(held)
                    scores.append(macro_f1(rows, with_rules))
                    alone.append(macro_f1(rows, model_alone))
                    if ERRORS:
                        write_errors(Path(ERRORS[0]), held, rows)
                    if READINGS:
                        write_readings(Path(READINGS[0]), held, rows, nlp)
    finally:
        model_module.model_reading = original_reading  # type: ignore[assignment]
        train_module.words_of = original_words
        train_module.RULE_FEATURES, train_module.CUE_REPEAT = original_rule_features, original_repeat
        train_module.EPOCHS, train_module.HELD_MASK = original_epochs, original_mask
        train_module.SENTENCE_MODEL, train_module.SENTENCE_SETTINGS = original_sentences
        train_module.PAIRS_MODEL = original_pairs
        train_module.CONFIG["model"].clear()  # type: ignore[attr-defined]
        train_module.CONFIG["model"].update(original_config)  # type: ignore[attr-defined]
    per_file = " ".join(f"{f.stem}={s:.4f}" for f, s in zip(held_out, scores, strict=True))
    summary = f"mean {statistics.mean(scores):.4f} (model alone {statistics.mean(alone):.4f})"
    print(f"{name:26s} {summary}   {per_file}", flush=True)


def write_errors(path: Path, held: Path, rows: list[dict[str, object]]) -> None:
    """Append the held file's wrong answers, with scores and cues, to *path* (for reading
    cross-author mistakes; never the held-out or external sets)."""
    import json

    with path.open("a", encoding="utf-8") as out:
        for row in rows:
            text, subject = train_module.new_text(row), str(row.get("subject") or "")
            result = classify_request(text, subject)
            if set(result.labels) != set(row["labels"]):  # type: ignore[call-overload]
                record = {
                    "file": held.stem,
                    "expected": sorted(row["labels"]),  # type: ignore[call-overload]
                    "got": sorted(result.labels),
                    "scores": {k: round(v, 2) for k, v in result.scores.items()},
                    "cues": result.cues,
                    "subject": subject,
                    "text": text,
                }
                out.write(json.dumps(record, ensure_ascii=False) + "\n")


def write_readings(path: Path, held: Path, rows: list[dict[str, object]], nlp: Language) -> None:
    """Append, for every message of the held file, what classify_request decides from: the
    rules' scores, the model's score for the whole message and for each sentence, and the
    labels given; so that the sentence settings can be studied without training again
    (sentence_study.py)."""
    import json

    from intake_bot.classifiers.requests import rule_cues

    with path.open("a", encoding="utf-8") as out:
        for row in rows:
            text, subject = train_module.new_text(row), str(row.get("subject") or "")
            rules = rule_cues(text, subject)
            raw = model_module.model_rows(nlp, text, subject, rules)
            record = {
                "file": held.stem,
                "expected": sorted(row["labels"]),  # type: ignore[call-overload]
                "got": sorted(classify_request(text, subject).labels),
                "words": len(text.split()),
                "retracted": rules.retracted,
                "withdrawn": sorted(rules.withdrawn),
                "rules": {k: round(v, 4) for k, v in rules.scores.items()},
                "labels": list(raw.labels),
                "whole": [round(float(v), 5) for v in raw.whole],
                "sentences": [[round(float(v), 5) for v in row] for row in raw.rows],
                "subject": subject,
                "text": text,
            }
            out.write(json.dumps(record) + "\n")


TOK2VEC = {
    "@architectures": "spacy.HashEmbedCNN.v2",
    "pretrained_vectors": None,
    "width": 64,
    "depth": 2,
    "embed_size": 2000,
    "window_size": 1,
    "maxout_pieces": 3,
    "subword_features": True,
}
CNN = {"@architectures": "spacy.TextCatCNN.v2", "exclusive_classes": False, "nO": None, "tok2vec": TOK2VEC}
ENSEMBLE = {
    "@architectures": "spacy.TextCatEnsemble.v2",
    "nO": None,
    "tok2vec": TOK2VEC,
    "linear_model": {
        "@architectures": "spacy.TextCatBOW.v3",
        "exclusive_classes": False,
        "ngram_size": 1,
        "no_output_layer": False,
        "length": 2**16,
    },
}


def grid() -> None:
    """The two thresholds that combine model and rules (a rule-sure level of 1.01 means the
    model alone decides), over the same folds, for the chosen features and --epochs."""
    import intake_bot.classifiers.requests as requests_module

    files = sorted(DATA.glob("train*.jsonl"))
    combos = [(m, a) for m in (0.4, 0.45, 0.5, 0.55) for a in (0.85, 0.9, 0.95, 1.01)]
    results: dict[tuple[float, float], list[float]] = {combo: [] for combo in combos}
    for held in held_files():
        rows = [r for f in files if f != held for r in train_module.load_rows(f)] + EXTRA
        with tempfile.TemporaryDirectory() as folder:
            nlp = train_module.train(rows, Path(folder), quiet=True)
            test = train_module.load_rows(held)
            cached = {}
            for row in test:
                text, subject = train_module.new_text(row), str(row.get("subject") or "")
                cached[(text, subject)] = original_reading(text, subject, nlp=nlp)
            model_module.model_reading = lambda text, subject="", rules=None, cached=cached: cached[
                (text, subject)
            ]  # type: ignore[assignment,misc]
            for model_threshold, also in combos:
                requests_module.MODEL_THRESHOLD, requests_module.RULE_SURE = model_threshold, also
                results[(model_threshold, also)].append(macro_f1(test, with_rules))
    for (model_threshold, also), scores in sorted(
        results.items(), key=lambda item: -statistics.mean(item[1])
    ):
        print(f"model threshold {model_threshold}  rule sure {also}  mean {statistics.mean(scores):.4f}")


def main() -> int:
    parser = argparse.ArgumentParser(description="Cross-author validation of the rights model's variants.")
    parser.add_argument("names", nargs="*", help="variants to run: a name, or part of names (default: all)")
    parser.add_argument("--grid", action="store_true", help="the threshold grid instead of the variants")
    parser.add_argument("--seed", type=int, default=train_module.SEED, help="training seed")
    parser.add_argument("--epochs", type=int, default=train_module.EPOCHS, help="training epochs")
    parser.add_argument("--extra", type=Path, help="a folder whose train*.jsonl every fold also trains on")
    parser.add_argument("--errors", type=Path, help="append each fold's wrong answers to this JSON file")
    parser.add_argument(
        "--readings", type=Path, help="append every held message's raw scores to this JSON file"
    )
    parser.add_argument("--shard", default="1/1", help="K/N: hold out only every N-th file, from the K-th")
    parser.add_argument(
        "--test", type=Path, help="train once on every file and score on this folder's train*.jsonl"
    )
    args = parser.parse_args()
    k, _, n = args.shard.partition("/")
    if not (k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
        parser.error(f"--shard takes K/N with 1 <= K <= N, not {args.shard!r}")
    SHARD[:] = [int(k), int(n)]
    train_module.SEED, train_module.EPOCHS = args.seed, args.epochs
    if args.errors:
        ERRORS.append(str(args.errors))
    if args.readings:
        READINGS.append(str(args.readings))
    if args.test and args.grid:
        parser.error("--test scores the variants; --grid runs over the folds")
    if args.test:
        TEST.extend(sorted(args.test.glob("train*.jsonl")))
        if not TEST:
            parser.error(f"--test: no train*.jsonl in {args.test}")
    if args.extra:
        EXTRA.extend(train_module.load_rows(args.extra))
    if args.grid:
        grid()
        return 0
    plain = train_module.plain_words
    cues: dict[str, object] = {"ngram_size": 1, "rule_features": True}
    masked: dict[str, object] = {**cues, "held_mask": True, "sentence_model": True}
    pairs: dict[str, object] = {"ngram_size": 2, "length": 2**17}  # word pairs, in a table twice the size
    variants: list[tuple[str, Callable[[str], list[str]], dict[str, object]]] = [
        ("words (current)", plain, {}),
        ("words, accents folded", train_module.folded_words, {}),
        ("words + 5-letter stems", train_module.stemmed_words, {}),
        ("words, ngram 1", plain, {"ngram_size": 1}),
        ("words, ngram 3", plain, {"ngram_size": 3}),
        ("folded, ngram 1", train_module.folded_words, {"ngram_size": 1}),
        ("stems, ngram 1", train_module.stemmed_words, {"ngram_size": 1}),
        ("stems + rule cues", train_module.stemmed_words, {"ngram_size": 1, "rule_features": True}),
        *(
            (f"stems + rule cues, {n} epochs", train_module.stemmed_words, {**cues, "epochs": n})
            for n in (3, 7, 10, 20)
        ),
        ("stems + rule cues, held clause masked", train_module.stemmed_words, masked),  # no pairs
        (
            "stems + rule cues, held clause masked, word pairs in sentences",  # shipped to 2026-12-06 noon
            train_module.stemmed_words,
            {**masked, "sentence_settings": pairs},
        ),
        (
            "stems + rule cues, held clause dropped, word pairs in sentences",  # shipped to 2026-12-07
            train_module.stemmed_words,
            {**masked, "held_mask": "drop", "sentence_settings": pairs},
        ),
        (
            "stems + rule cues, held clause dropped, word pairs in sentences, mean with pairs",  # shipped
            train_module.stemmed_words,
            {**masked, "held_mask": "drop", "sentence_settings": pairs, "pairs_model": True},
        ),
        (
            "stems + rule cues, held clause dropped, word pairs",  # pairs in the message model too
            train_module.stemmed_words,
            {**masked, **pairs, "held_mask": "drop", "sentence_settings": pairs},
        ),
        *(
            (
                f"stems + rule cues, held clause dropped, word pairs, cues {times}",
                train_module.stemmed_words,
                {**masked, **pairs, "held_mask": "drop", "sentence_settings": pairs, "cue_repeat": n},
            )
            for n, times in ((2, "twice"), (3, "three times"))
        ),
        (
            "stems + rule cues, held clause dropped, word pairs in sentences, cues twice",
            train_module.stemmed_words,
            {**masked, "held_mask": "drop", "sentence_settings": pairs, "cue_repeat": 2},
        ),
        (
            "stems + rule cues, held clause masked, word pairs",
            train_module.stemmed_words,
            {**masked, **pairs, "sentence_settings": pairs},
        ),
        (
            "stems + rule cues, held clause masked, one component",
            train_module.stemmed_words,
            {"ngram_size": 1, "rule_features": True, "held_mask": True},
        ),
        (
            "stems + rule cues, 2^18 table",
            train_module.stemmed_words,
            {"ngram_size": 1, "rule_features": True, "length": 2**18},
        ),
        (
            "stems + rule cues, word pairs",
            train_module.stemmed_words,
            {"ngram_size": 2, "rule_features": True, "length": 2**17},
        ),
        ("stems, CNN", train_module.stemmed_words, {"architecture": CNN}),
        ("stems, ensemble", train_module.stemmed_words, {"architecture": ENSEMBLE}),
        (
            "stems + rule cues, ensemble",
            train_module.stemmed_words,
            {"architecture": ENSEMBLE, "rule_features": True},
        ),
    ]
    exact = [name for name, _, _ in variants if name in args.names]
    for name, words, config in variants:
        if not args.names or name in exact or any(o in name for o in args.names if o not in exact):
            evaluate(name, words, **config)
    return 0


if __name__ == "__main__":
    sys.exit(main())
