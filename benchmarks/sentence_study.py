"""How much a sentence read alone must score, studied without training again.

    python benchmarks/classifier_select.py VARIANT --readings R.jsonl [--shard K/N] [--extra DIR]
    python benchmarks/sentence_study.py R.jsonl [...] [--firsts 0.5,0.65] [--steps 0.02,0.03]

classifier_select's --readings stores, for every message of every held-out file, what
classify_request decides from: the rules' scores, the model's score for the whole message
and for each sentence. This script decides again from those, with classify_request's own
rule (requests.given) and model.sentence_score, for each pair of settings (what one of two
sentences must score alone, model.SENTENCE_FIRST; what each further sentence adds,
model.SENTENCE_STEP), and prints the mean macro-F1 over files, by language and by half of
the files (odd and even places), with the files up and down against the settings the
readings were taken with (--base, by default the code's own). It first checks that, at
those settings, it decides exactly as classify_request did.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from intake_bot.classifiers import LABELS, model  # noqa: E402
from intake_bot.classifiers.requests import given  # noqa: E402


def decide(record: dict, first: float, step: float) -> set[str]:
    """The rights classify_request gives the message of *record* with these sentence settings."""
    if record["retracted"]:  # the rules decided, or the text after the retraction did
        return set(record["got"])
    model.SENTENCE_FIRST, model.SENTENCE_STEP = first, step
    sentences = record["sentences"]
    raw = model.Rows(
        tuple(record["labels"]), np.asarray(record["whole"]), [""] * len(sentences), np.asarray(sentences)
    )
    learned = model.read_rows(raw).scores
    return set(given(learned, record["rules"], record["withdrawn"], record["words"])[0])


def per_file(records: list[dict], first: float, step: float) -> dict[str, float]:
    """Macro-F1 of each file (a right never right in a file counts 0, as in classifier_select)."""
    counts: dict[str, dict[str, list[int]]] = {}
    for record in records:
        chosen, expected = decide(record, first, step), set(record["expected"])
        file = counts.setdefault(record["file"], {label: [0, 0, 0] for label in LABELS})
        for label in LABELS:
            file[label][0] += label in chosen and label in expected
            file[label][1] += label in chosen and label not in expected
            file[label][2] += label not in chosen and label in expected
    return {
        name: statistics.mean(2 * tp / (2 * tp + fp + fn) if tp else 0.0 for tp, fp, fn in file.values())
        for name, file in counts.items()
    }


def _floats(text: str) -> list[float]:
    return [float(part) for part in text.split(",")]


def main() -> int:
    parser = argparse.ArgumentParser(description="Sentence settings, decided again from stored readings.")
    parser.add_argument("readings", nargs="+", type=Path, help="written by classifier_select --readings")
    parser.add_argument("--firsts", type=_floats, default=[0.45, 0.5, 0.55, 0.6, 0.65])
    parser.add_argument("--steps", type=_floats, default=[0.0, 0.01, 0.02, 0.03, 0.04])
    parser.add_argument(
        "--base",
        type=_floats,
        default=[model.SENTENCE_FIRST, model.SENTENCE_STEP],
        help="FIRST,STEP the readings had",
    )
    args = parser.parse_args()
    records = [json.loads(line) for path in args.readings for line in path.open(encoding="utf-8")]
    first, step = args.base
    differ = sum(decide(record, first, step) != set(record["got"]) for record in records)
    files = sorted({record["file"] for record in records})
    print(f"{len(records)} messages in {len(files)} files; decided otherwise than classify_request: {differ}")
    halves = {"odd": files[0::2], "even": files[1::2]}
    languages = {lang: [f for f in files if f.endswith(f"-{lang}")] for lang in ("fr", "en")}
    base = per_file(records, first, step)

    def line(scores: dict[str, float]) -> str:
        parts = [f"mean {statistics.mean(scores.values()):.4f}"]
        for name, group in (*halves.items(), *languages.items()):
            if group:
                parts.append(f"{name} {statistics.mean(scores[f] for f in group):.4f}")
        up = sum(scores[f] > base[f] for f in files)
        down = sum(scores[f] < base[f] for f in files)
        return "  ".join(parts) + f"  up {up} down {down}"

    print(f"base       first {first:.3f} step {step:.3f}  {line(base)}")
    for first in args.firsts:
        for step in args.steps:
            scores = per_file(records, first, step)
            print(f"           first {first:.3f} step {step:.3f}  {line(scores)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
