"""Keeps the catalogs in step with the code: ``python -m flows.catalogs`` extracts and updates.

``pybabel`` does the work; this only runs it with the project's settings so nobody has to remember
the flags. Translations are then written in the ``.po`` files of nb, nn, sv and en.

Entries are sorted by message and carry no source lines: a change to the code moves no entry, so two
changes that add different messages touch different lines of the catalogs.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "flows" / "locale"
POT = LOCALE / "messages.pot"
KEYWORDS = ["_", "N_", "ngettext:1,2"]


def extract(output: Path = POT) -> None:
    cmd = [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(ROOT / "pyproject.toml")]
    for kw in KEYWORDS:
        cmd += ["-k", kw]
    cmd += ["--no-default-keywords", "--omit-header", "--sort-output", "--no-location", "-o", str(output), "."]
    subprocess.run(cmd, check=True, cwd=ROOT)


def update() -> None:
    extract()
    for lang in ("nb", "nn", "sv", "en"):
        po = LOCALE / lang / "LC_MESSAGES" / "messages.po"
        action = "update" if po.exists() else "init"
        cmd = [sys.executable, "-m", "babel.messages.frontend", action, "-i", str(POT), "-d", str(LOCALE), "-l", lang]
        if action == "update":
            cmd += ["--ignore-obsolete", "--no-fuzzy-matching", "--ignore-pot-creation-date"]
        subprocess.run(cmd, check=True, cwd=ROOT)


if __name__ == "__main__":
    update()
