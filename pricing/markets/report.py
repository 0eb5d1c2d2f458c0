"""``pricing validate``: every problem of every rule file, for people, scripts and pull requests.

:func:`validate` checks a rules folder (all files, all problems at once; sources required)
and returns a :class:`Report`; three renderers write it:

* ``text``: one line per finding, ``file:line: key: message (found VALUE); allowed: ...;
  did you mean ...?``, the form editors and terminals link to; then a summary line;
* ``json``: one object, ``{"ok", "rules", "version", "markets", "countries", "problems",
  "warnings"}``, each finding with ``file``, ``line``, ``key``, ``message``, ``value`` (as
  written in TOML), ``expected``, ``suggestion``;
* ``github``: GitHub Actions workflow commands (``::error file=...,line=...,title=...::...``)
  that annotate the lines of a pull request.

Warnings (``--warnings``): facts a market lists as ``unconfirmed``, and sources checked more
than a year ago (or on a day still to come). They never fail the check.

:func:`run` is the whole command (what the CLI calls): the exit code is 0 when the rules
load, 1 when there are problems.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal, TextIO

from pricing.errors import Problem
from pricing.markets.loader import check_rules

__all__ = ["FORMATS", "Report", "render_github", "render_json", "render_text", "run", "validate"]

Format = Literal["text", "json", "github"]
FORMATS: tuple[Format, ...] = ("text", "json", "github")


@dataclass(frozen=True, slots=True)
class Report:
    """What ``pricing validate`` found in one rules folder."""

    rules: str
    problems: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    version: str | None = None
    markets: int = 0
    countries: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def validate(path: str | Path, *, today: date | None = None) -> Report:
    """Check the rules folder at ``path``: every problem and every warning."""
    checked = check_rules(path, today=today, require_sources=True)
    rules = checked.rules
    return Report(str(path), checked.problems, checked.warnings,
                  version=rules.version if rules else None,
                  markets=len(rules.markets) if rules else 0,
                  countries=len(rules.countries) if rules else 0)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _warning_line(p: Problem) -> str:
    where = p.file + (f":{p.line}" if p.line is not None else "")
    text = f"{where}: warning: " + (f"{p.key}: " if p.key else "") + p.message
    return text + (f" (found {p.value})" if p.value is not None else "")


def render_text(report: Report, *, warnings: bool = False) -> tuple[str, str]:
    """(stdout, stderr) of the text format: findings on stderr, the summary where it belongs."""
    err = [str(p) for p in report.problems]
    if warnings:
        err += [_warning_line(w) for w in report.warnings]
    noted = f", {_plural(len(report.warnings), 'warning')}" if warnings else ""
    if report.problems:
        err.append(f"{_plural(len(report.problems), 'problem')} found{noted}; nothing was "
                   "loaded")
        return "", "\n".join(err) + "\n"
    out = (f"ok: {report.markets} markets, {report.countries} countries, rules version "
           f"{report.version} ({report.rules}){noted}\n")
    return out, "\n".join(err) + "\n" if err else ""


def render_json(report: Report, *, warnings: bool = False) -> str:
    """The report as one JSON object (warnings listed only with ``warnings``)."""
    return json.dumps({
        "ok": report.ok,
        "rules": report.rules,
        "version": report.version,
        "markets": report.markets,
        "countries": report.countries,
        "problems": [p.to_dict() for p in report.problems],
        "warnings": [p.to_dict() for p in report.warnings] if warnings else [],
    }, ensure_ascii=False, indent=2) + "\n"


def _escape_data(text: str) -> str:
    # The escapes of the Actions runner (toolkit/packages/core/src/command.ts)
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _repo_path(rules: str, file: str) -> str:
    """The file's path as the workflow's checkout names it (relative to the working dir)."""
    path = Path(rules) / file
    try:
        return os.path.relpath(path).replace(os.sep, "/")
    except ValueError:  # another drive (Windows)
        return path.as_posix()


def render_github(report: Report, *, warnings: bool = False) -> str:
    """GitHub Actions workflow commands: one annotation per finding, then a summary line."""
    lines = []
    for level, found in (("error", report.problems),
                         ("warning", report.warnings if warnings else ())):
        for p in found:
            props = [f"file={_escape_property(_repo_path(report.rules, p.file))}"]
            if p.line is not None:
                props.append(f"line={p.line}")
                if p.column is not None:
                    props.append(f"col={p.column}")
            title = f"pricing validate: {p.key}" if p.key else "pricing validate"
            props.append(f"title={_escape_property(title)}")
            message = (_warning_line(p) if level == "warning" else str(p)).split(": ", 1)[-1]
            lines.append(f"::{level} {','.join(props)}::{_escape_data(message)}")
    out, err = render_text(report, warnings=False)
    lines.append((out or err.splitlines()[-1]).strip())
    return "\n".join(lines) + "\n"


def run(path: str | Path, *, fmt: Format = "text", warnings: bool = False,
        stdout: TextIO | None = None, stderr: TextIO | None = None,
        today: date | None = None) -> int:
    """``pricing validate``: check, write the report in ``fmt``; 0 when the rules load, else 1."""
    out_stream = stdout or sys.stdout
    err_stream = stderr or sys.stderr
    report = validate(path, today=today)
    if fmt == "json":
        out_stream.write(render_json(report, warnings=warnings))
    elif fmt == "github":
        out_stream.write(render_github(report, warnings=warnings))
    else:
        out, err = render_text(report, warnings=warnings)
        out_stream.write(out)
        err_stream.write(err)
    return 0 if report.ok else 1
