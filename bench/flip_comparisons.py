"""Flip each order comparison in the package, one at a time, and see whether the tests notice.

``<`` becomes ``<=`` and back, ``>`` becomes ``>=`` and back: the mistakes that move a limit
by one value ("not exceeding" read as "under"). Each flip is made in a scratch copy of the
repository and the tests that cover its module run there (``-x``, the derandomized ``ci``
Hypothesis profile). A flip the tests miss is a *survivor*: either a limit no test pins (write
the at-the-limit example) or an equivalent flip (say why in docs/testing.md).

Run by hand (minutes, not part of ``make test``)::

    .venv/bin/python bench/flip_comparisons.py                 # every module of pricing/
    .venv/bin/python bench/flip_comparisons.py pricing/regimes.py pricing/taxes.py
    .venv/bin/python bench/flip_comparisons.py --jobs 2 --json flips.json
    .venv/bin/python bench/flip_comparisons.py pricing/payments.py:124   # one line's flips

Exit status 1 when a flip survives, 0 when every flip was caught.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tokenize
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FLIP = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}
#: What a scratch copy needs to run the tests.
COPY = ("pricing", "tests", "rules", "locales", "catalog", "docs", "pyproject.toml",
        "README.md")

ENGINE_TESTS = ("tests/test_thresholds.py", "tests/test_charges.py", "tests/test_engine.py",
                "tests/test_endings.py", "tests/test_money.py", "tests/test_fx.py",
                "tests/test_bundled_rules.py", "tests/test_loader.py",
                "tests/test_engine_properties.py", "tests/test_regime_properties.py",
                "tests/test_testing.py", "tests/test_stages_shipping.py",
                "tests/test_stages_prices.py", "tests/test_stages_customs.py",
                "tests/test_stages_delivery.py")
#: The tests that own each part of the package (first matching prefix wins), fast files first
#: (``-x`` stops at the first failure, so a caught flip rarely runs the slow ones).
LOADER_TESTS = ("tests/test_schema_limits.py", "tests/test_loader.py",
                "tests/test_loader_hardening.py", "tests/test_rules_depth.py",
                "tests/test_bundled_rules.py", "tests/test_report.py",
                "tests/test_markets_emea.py", "tests/test_markets_americas_apac.py",
                "tests/test_markets_overview.py")
FEEDS_TESTS = ("tests/test_feeds_readers.py", "tests/test_feeds_fast.py",
               "tests/test_feeds_command.py", "tests/test_feeds_api.py",
               "tests/test_feeds_dask.py")
SERVICE_TESTS = ("tests/test_service.py", "tests/test_service_hostile.py",
                 "tests/test_metrics.py", "tests/test_preview_api.py")
TESTS_FOR = (
    ("pricing/api/cache.py", ("tests/test_cache.py", *SERVICE_TESTS)),
    ("pricing/api/signing.py", ("tests/test_signing.py", *SERVICE_TESTS)),
    ("pricing/api/watcher.py", ("tests/test_watcher.py",)),
    ("pricing/api/", (*SERVICE_TESTS, "tests/test_feeds_api.py", "tests/test_rateupdate.py")),
    ("pricing/l10n/", ("tests/test_l10n_catalogs.py", "tests/test_l10n_cli.py",
                       "tests/test_l10n_formatting.py", "tests/test_l10n_labels.py",
                       "tests/test_l10n_languages_europe.py",
                       "tests/test_l10n_languages_world.py")),
    ("pricing/cli.py", ("tests/test_cli.py",)),
    ("pricing/console.py", ("tests/test_explain.py", "tests/test_diff.py", "tests/test_cli.py",
                            "tests/test_l10n_cli.py", "tests/test_feeds_command.py")),
    ("pricing/diff.py", ("tests/test_diff.py",)),
    ("pricing/samples.py", ("tests/test_samples.py",)),
    ("pricing/scaffold.py", ("tests/test_scaffold.py",)),
    ("pricing/codes.py", ("tests/test_codes.py", *LOADER_TESTS)),
    ("pricing/payments.py", ("tests/test_payments.py",)),
    ("pricing/plainrequest.py", ("tests/test_plainrequest.py", *SERVICE_TESTS)),
    ("pricing/ratesources.py", ("tests/test_ratesources.py", "tests/test_rateupdate.py",
                                "tests/test_fx.py")),
    ("pricing/rateupdate.py", ("tests/test_rateupdate.py", "tests/test_fx.py")),
    ("pricing/bulk.py", ("tests/test_bulk.py", "tests/test_thresholds.py", "tests/test_charges.py",
                         *FEEDS_TESTS)),
    ("pricing/feeds/", FEEDS_TESTS),
    # Without tests/test_testing.py (a minute of strategies that pricing/testing.py owns).
    ("pricing/markets/", (*LOADER_TESTS, *(t for t in ENGINE_TESTS
                                           if t != "tests/test_testing.py"))),
    ("pricing/errors.py", (*LOADER_TESTS, "tests/test_feeds_readers.py",
                           "tests/test_l10n_catalogs.py", "tests/test_cli.py")),
    ("pricing/testing.py", ("tests/test_testing.py", "tests/test_regime_properties.py",
                            "tests/test_engine_properties.py")),
    ("pricing/", ENGINE_TESTS),
)


@dataclass(frozen=True)
class Flip:
    path: str
    line: int
    col: int
    old: str
    new: str
    source: str


@dataclass
class Outcome:
    flip: Flip
    caught: bool
    seconds: float
    first_failure: str


def find_flips(path: Path) -> list[Flip]:
    """Every ``<``, ``<=``, ``>``, ``>=`` operator token of ``path`` (strings and comments
    are tokens of their own, so they are never touched)."""
    text = path.read_text("utf-8")
    lines = text.splitlines()
    found = []
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.OP and tok.string in FLIP:
            row, col = tok.start
            found.append(Flip(str(path.relative_to(ROOT)), row, col, tok.string,
                              FLIP[tok.string], lines[row - 1].strip()))
    return found


def tests_for(path: str) -> tuple[str, ...]:
    for prefix, tests in TESTS_FOR:
        if path.startswith(prefix):
            return tuple(t for t in dict.fromkeys(tests) if (ROOT / t).exists())
    return ENGINE_TESTS


def scratch_copy() -> Path:
    where = Path(tempfile.mkdtemp(prefix="flips-"))
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, where / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy2(src, where / name)
    return where


def run_flip(flip: Flip, copy: Path, *, python: str) -> Outcome:
    target = copy / flip.path
    original = target.read_text("utf-8")
    lines = original.splitlines(keepends=True)
    line = lines[flip.line - 1]
    assert line[flip.col:flip.col + len(flip.old)] == flip.old, (flip, line)
    lines[flip.line - 1] = line[:flip.col] + flip.new + line[flip.col + len(flip.old):]
    target.write_text("".join(lines), "utf-8")
    # The copy comes first on the path, ahead of the editable install of the real tree.
    env = {**os.environ, "PYTHONPATH": str(copy), "CI": "true", "HYPOTHESIS_PROFILE": "ci",
           "PYTHONDONTWRITEBYTECODE": "1"}
    args = [python, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--no-header",
            "-W", "ignore", *tests_for(flip.path)]
    if flip.path.startswith("pricing/") and "doctest" not in flip.path:
        args.append(flip.path)       # the module's own doctests
    start = time.monotonic()
    try:
        done = subprocess.run(args, cwd=copy, env=env, capture_output=True, text=True,
                              timeout=900)
        caught = done.returncode != 0
        failed = [ln for ln in done.stdout.splitlines()
                  if ln.startswith(("FAILED", "ERROR"))]
        first = failed[0] if failed else (done.stdout.strip().splitlines() or [""])[-1]
    except subprocess.TimeoutExpired:
        caught, first = True, "timeout (900 s)"
    finally:
        target.write_text(original, "utf-8")
    return Outcome(flip, caught, time.monotonic() - start, first[:200])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help="modules to flip, or MODULE:LINE for one line "
                        "(default: all of pricing/)")
    parser.add_argument("--jobs", type=int, default=1, help="flips run at once (default 1)")
    parser.add_argument("--json", type=Path, help="write every outcome to this file")
    parser.add_argument("--list", action="store_true", help="list the flips, run nothing")
    args = parser.parse_args(argv)
    if args.paths:
        flips = []
        for given in args.paths:
            # ``module.py:123`` flips only the comparisons of line 123 (rerun one survivor)
            name, _, line = given.partition(":")
            flips += [f for f in find_flips((ROOT / name).resolve())
                      if not line or f.line == int(line)]
    else:
        flips = [f for p in sorted((ROOT / "pricing").rglob("*.py")) for f in find_flips(p)]
    if args.list:
        for f in flips:
            print(f"{f.path}:{f.line}:{f.col} {f.old} -> {f.new}   {f.source}")
        print(f"{len(flips)} flips")
        return 0
    python = sys.executable
    copies = [scratch_copy() for _ in range(max(1, args.jobs))]
    outcomes: list[Outcome] = []
    try:
        def work(i: int, flip: Flip) -> Outcome:
            return run_flip(flip, copies[i % len(copies)], python=python)

        # One copy per job; flips are dealt round-robin so no two share a copy at once.
        with ThreadPoolExecutor(max_workers=len(copies)) as pool:
            for start in range(0, len(flips), len(copies)):
                batch = flips[start:start + len(copies)]
                for outcome in pool.map(work, range(len(batch)), batch):
                    mark = "caught  " if outcome.caught else "SURVIVED"
                    f = outcome.flip
                    print(f"{mark} {f.path}:{f.line} {f.old} -> {f.new} "
                          f"({outcome.seconds:.0f} s)   {f.source}", flush=True)
                    outcomes.append(outcome)
    finally:
        for c in copies:
            shutil.rmtree(c, ignore_errors=True)
    survivors = [o for o in outcomes if not o.caught]
    print(f"\n{len(outcomes) - len(survivors)} of {len(outcomes)} flips caught; "
          f"{len(survivors)} survived")
    for o in survivors:
        print(f"  {o.flip.path}:{o.flip.line} {o.flip.old} -> {o.flip.new}   {o.flip.source}")
    if args.json:
        args.json.write_text(json.dumps([asdict(o) for o in outcomes], indent=1), "utf-8")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
