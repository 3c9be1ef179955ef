"""Refresh the dashboard screenshots in docs/screenshots/ (the ones the README shows).

Runs the browser tests (tests/footprint/web/test_browser.py: Playwright driving /usr/bin/chromium against the
live dashboard on the crawled demo fleet), which save a full-page PNG of every main page to var/screenshots/
and its first screen (1440×900) to var/screenshots/first-screen/, then copies the first screens of the main
pages to docs/screenshots/ (small enough to commit).

    .venv/bin/python scripts/screenshots.py            # run the browser tests, then copy
    .venv/bin/python scripts/screenshots.py --no-run   # copy what the last browser test run saved
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAVED = ROOT / "var" / "screenshots" / "first-screen"
DOCS = ROOT / "docs" / "screenshots"
PAGES = ["overview", "inventory", "model", "team", "cluster", "findings", "finding", "costs", "sources"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-run", action="store_true", help="only copy var/screenshots/ to docs/screenshots/")
    args = parser.parse_args(argv)
    if not args.no_run:
        tests = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "browser",
             "tests/footprint/web/test_browser.py", "-k", "screenshots"], cwd=ROOT)
        if tests.returncode != 0:
            print("browser tests failed; docs/screenshots/ left as it was", file=sys.stderr)
            return tests.returncode
    missing = [name for name in PAGES if not (SAVED / f"{name}.png").exists()]
    if missing:
        print(f"no screenshot of {', '.join(missing)} in {SAVED}; run without --no-run", file=sys.stderr)
        return 1
    DOCS.mkdir(parents=True, exist_ok=True)
    for name in PAGES:
        shutil.copyfile(SAVED / f"{name}.png", DOCS / f"{name}.png")
        print(f"docs/screenshots/{name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
