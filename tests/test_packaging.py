"""The wheel installs the one `intake_bot` namespace, with templates and samples, and works."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


@pytest.mark.slow
def test_wheel_installs_and_runs_outside_the_repository(tmp_path: Path) -> None:
    """Built from the repo and installed elsewhere, the package imports, finds its
    templates and samples, and `intake-bot demo` works. Nothing generic at top level."""
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    [wheel] = wheels.glob("intake_bot-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/")[0] for name in names}
    assert {n for n in top_level if not n.endswith(".dist-info")} == {"intake_bot"}
    for expected in (
        "intake_bot/classifiers/requests.py",
        "intake_bot/responders/compose.py",
        "intake_bot/templates/acknowledgement.fr.txt",
        "intake_bot/samples/01-fr-suppression.eml",
        "intake_bot/migrations/versions/0001_initial_schema.py",
        "intake_bot/py.typed",
        "intake_bot/static/widget.js",
        "intake_bot/migrations/versions/0004_chat_conversations.py",
        "intake_bot/migrations/versions/0005_triage_reason.py",
        "intake_bot/classifiers/model/meta.json",
        "intake_bot/classifiers/model/textcat_multilabel/model",
    ):
        assert expected in names
    assert not any("/data/" in name for name in names)  # the corpora stay in the repository

    target = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target), str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    # Run from an empty folder with only the installed copy on the path (-P: not the cwd),
    # so the repository's own folders cannot be what is imported.
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    where = subprocess.run(
        [
            sys.executable,
            "-P",
            "-c",
            "import intake_bot.classifiers, intake_bot.responders;print(intake_bot.classifiers.__file__)",
        ],
        capture_output=True,
        text=True,
        cwd=workdir,
        env=env,
        timeout=120,
    )
    assert where.stdout.startswith(str(target)), where.stdout + where.stderr
    demo = subprocess.run(
        [sys.executable, "-P", "-m", "intake_bot", "demo", "--dir", str(workdir / "demo")],
        capture_output=True,
        text=True,
        cwd=workdir,
        env=env,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert "Replies sent (5)" in demo.stdout
    assert "intake-bot demo --chat" in demo.stdout
