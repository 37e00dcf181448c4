"""Measure the request classifier on the external evaluation letters (evaluation only).

    python benchmarks/classifier_eval.py [PATH-TO/external-letters.jsonl]

The letters (../shared/eval/, see its README) were written by nobody on this
project: public rights-letter templates and real non-request mail. They are
never training data and no rule is written for their wording, so this script
prints aggregate figures only, not the texts it got wrong.

Each letter becomes a plain message (subject and body, no telling headers), is
parsed and screened like any incoming mail, then language and rights are read.
Mapping to the bot's labels (per the eval README): portability counts as
access, objection as opt-out, other as no label.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from intake_bot.classifiers import classify_request, detect_language, screen_automated
from intake_bot.parsing import parse_message

DEFAULT = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "external-letters.jsonl"
MAPPING = {"portability": "access", "objection": "opt-out", "other": None}
AUTOMATED_KINDS = {"auto-reply", "bounce", "list-mail"}


def as_mail(row: dict[str, object]) -> bytes:
    message = EmailMessage()
    message["From"] = "Sender <sender@example.org>"
    message["To"] = "privacy@example.com"
    message["Subject"] = str(row.get("subject") or "")
    message.set_content(str(row["body"]))
    return bytes(message)


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    primary_right, lang_right, flagged_right = Counter(), Counter(), Counter()
    totals = Counter()
    elapsed = 0.0
    for row in rows:
        parsed = parse_message(as_mail(row))
        started = time.perf_counter()
        verdict = screen_automated(parsed)
        guess = detect_language(parsed.new_text or parsed.subject)
        result = classify_request(parsed.new_text, parsed.subject) if verdict is None else None
        elapsed += time.perf_counter() - started
        lang = str(row["lang"])
        totals[lang] += 1
        lang_right[lang] += (guess.lang or "fr") == lang
        expected = MAPPING.get(str(row["labels"][0]), str(row["labels"][0]))
        predicted = result.labels if result else []
        primary_right[lang] += (expected in predicted) if expected else not predicted
        should_flag = row["kind"] in AUTOMATED_KINDS
        flagged_right[str(row["kind"])] += (verdict is not None) == should_flag
        totals[str(row["kind"])] += 1
    print(f"{len(rows)} external letters from {path.name}")
    for lang in ("fr", "en"):
        print(
            f"  {lang}: primary label right {primary_right[lang]}/{totals[lang]} "
            f"({primary_right[lang] / totals[lang]:.0%}); language right {lang_right[lang]}/{totals[lang]}"
        )
    everyone = sum(primary_right.values())
    print(f"  all: primary label right {everyone}/{len(rows)} ({everyone / len(rows):.0%}) (target >= 95%)")
    print(
        "  automated flag right, by kind: "
        + ", ".join(
            f"{kind} {flagged_right[kind]}/{totals[kind]}"
            for kind in sorted(k for k in totals if k not in ("fr", "en"))
        )
    )
    print(
        f"  screening + language + rights: {len(rows) / elapsed:.0f} messages/s on one core "
        "(parsing excluded)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
