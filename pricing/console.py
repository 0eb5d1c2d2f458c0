"""What every ``pricing`` command shares: where it writes, how it fails, how it reads arguments.

Output goes through :class:`Out`: rich (colour, tables, progress bars) when stdout is a
terminal, plain text when piped, nothing at all when stdout is closed. Failures are exceptions
that :func:`pricing.cli.main` turns into one line and an exit code:

====  ==========================================================================================
code  meaning
====  ==========================================================================================
0     success (``pricing diff``: nothing changed)
1     problems found in the rules, a catalog, a request or a rates file (each named with file
      and key), or a write that failed
2     usage: an unknown command or option, a malformed value, a path that does not exist
3     ``pricing diff``: quotes changed
130   interrupted (Ctrl-C)
141   stdout closed early (``pricing rates show | head -1``): the command stops quietly, as
      other Unix tools do on SIGPIPE
====  ==========================================================================================

>>> find_rules(None, environ={}, cwd=Path(__file__).resolve().parents[1]).name
'rules'
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.text import Text

from pricing.errors import CatalogError, PricingError, RulesError

__all__ = [
    "EXIT_CHANGED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_OUTPUT_CLOSED",
    "EXIT_PROBLEMS",
    "EXIT_USAGE",
    "DateType",
    "Fail",
    "LocaleType",
    "Out",
    "OutputClosed",
    "ShareType",
    "find_rules",
    "one_line",
    "out",
    "report",
    "rules_option",
    "stdout_closed",
    "writable_file",
]

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_CHANGED = 3
EXIT_INTERRUPTED = 130
EXIT_OUTPUT_CLOSED = 141


class Fail(Exception):
    """Problems found (exit 1): each line of ``lines`` is printed as it is, the last one being
    a summary when there are several."""

    def __init__(self, *lines: str, code: int = EXIT_PROBLEMS) -> None:
        self.lines = tuple(lines)
        self.code = code
        super().__init__(lines[0] if lines else "")


class OutputClosed(Exception):
    """Whoever read our output has gone (``| head``): stop quietly."""


class _Console(Console):
    def on_broken_pipe(self) -> None:
        # rich would exit with code 1; a closed pipe is not a problem the user must fix.
        raise OutputClosed


class Out:
    """Where a command writes: stdout for results, stderr for errors, warnings and progress."""

    def __init__(self, *, stdout: Any = None, stderr: Any = None) -> None:
        self.stdout = _Console(file=stdout, highlight=False, emoji=False, markup=False,
                               soft_wrap=True)
        self.stderr = _Console(file=stderr, stderr=stderr is None, highlight=False,
                               emoji=False, markup=False, soft_wrap=True)

    @property
    def terminal(self) -> bool:
        """True when stdout is a terminal (rich tables); False when piped (plain text)."""
        return bool(self.stdout.is_terminal)

    def line(self, text: str = "", *, style: str = "") -> None:
        """One line of results on stdout."""
        self.stdout.print(Text(text, style=style if self.terminal else ""))

    def print(self, renderable: Any) -> None:
        """A rich renderable (a table) on stdout, wrapped to the terminal's width."""
        self.stdout.print(renderable, soft_wrap=False)

    def show(self, draw: Callable[[Console], None]) -> None:
        """What ``draw`` prints on a rich console: on the terminal itself (tables wrap to its
        width); piped, plain text as wide as its content, trailing spaces trimmed, so that no
        cell is wrapped and every row stays one line for grep."""
        if self.terminal:
            draw(self.stdout)
            return
        buffer = io.StringIO()
        draw(Console(file=buffer, width=10_000, force_terminal=False, color_system=None,
                     highlight=False, emoji=False, markup=False, soft_wrap=False))
        text = "\n".join(line.rstrip() for line in buffer.getvalue().splitlines())
        self.stdout.print(text, markup=False, highlight=False, soft_wrap=True)

    def json(self, data: Any) -> None:
        """``data`` as indented JSON (UTF-8 text kept as is), coloured on a terminal."""
        text = json.dumps(data, ensure_ascii=False, indent=2)
        if self.terminal:
            self.stdout.print_json(text, indent=2, ensure_ascii=False)
        else:
            self.stdout.print(text, markup=False, highlight=False, soft_wrap=True)

    def error(self, text: str) -> None:
        self.stderr.print(Text(text, style="red" if self.stderr.is_terminal else ""))

    def warning(self, text: str) -> None:
        self.stderr.print(Text(text, style="yellow" if self.stderr.is_terminal else ""))

    def note(self, text: str) -> None:
        """A remark for the person at the terminal (stderr, so that stdout stays data)."""
        self.stderr.print(Text(text, style="dim" if self.stderr.is_terminal else ""))

    def progress(self, *, transient: bool = True) -> Any:
        """A rich progress bar on stderr; silent (disabled) when stderr is not a terminal."""
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                        MofNCompleteColumn(), TimeElapsedColumn(), console=self.stderr,
                        transient=transient, disable=not self.stderr.is_terminal)

    @contextlib.contextmanager
    def status(self, text: str) -> Iterator[None]:
        """A spinner with ``text`` on stderr while the block runs (nothing when piped)."""
        if not self.stderr.is_terminal:
            yield
            return
        with self.stderr.status(text):
            yield


def out() -> Out:
    """The :class:`Out` of the running command."""
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return Out()
    return ctx.ensure_object(Out)


# -- errors -------------------------------------------------------------------------------------

def one_line(e: PricingError) -> str:
    """A :class:`PricingError` as one line: its message, what was found, what is allowed and
    the suggestion, each said once."""
    text = " ".join(e.message.split())
    extra = []
    if e.value is not None and not isinstance(e.value, dict | list) and repr(e.value) not in text \
            and str(e.value) not in text:
        extra.append(f"found {e.value!r}")
    if e.expected and e.expected not in text:
        extra.append(f"allowed: {e.expected}")
    if e.suggestion and "did you mean" not in text:
        extra.append(f"did you mean {e.suggestion!r}?")
    return text + (f" ({'; '.join(extra)})" if extra else "")


def report(e: PricingError, *, where: str = "") -> Fail:
    """The :class:`Fail` for ``e``: every problem of rule files and catalogs on its own line,
    anything else in one line prefixed with ``where`` (the file it came from)."""
    if isinstance(e, RulesError | CatalogError):
        n = len(e.problems)
        tail = "; nothing was loaded" if isinstance(e, RulesError) else " in the catalogs"
        # Each problem starts with its file, as compilers print theirs (editors jump to it).
        return Fail(*(str(p) for p in e.problems),
                    f"{n} problem{'s' if n != 1 else ''} found{tail}")
    text = one_line(e)
    return Fail(f"error: {where + ': ' if where and where not in text else ''}{text}")


# -- finding the rules --------------------------------------------------------------------------

def _is_rules(folder: Path) -> bool:
    return (folder / "shop.toml").is_file() or (folder / "markets").is_dir()


def find_rules(given: str | Path | None, *, environ: Mapping[str, str] | None = None,
               cwd: Path | None = None, param: str = "--rules") -> Path:
    """The rules folder: ``given``, else ``$PRICING_RULES``, else the nearest folder upward from
    ``cwd`` that is a rules folder or holds one named ``rules``.

    A folder that is not there is a usage error (exit 2) that says where it looked.
    """
    env = os.environ if environ is None else environ
    if given is not None:
        path = Path(given)
        if not path.is_dir():
            raise click.BadParameter(
                f"{str(given)!r} is not a folder" + (" (it is a file)" if path.exists() else ""),
                param_hint=f"'{param}'")
        return path
    if env.get("PRICING_RULES"):
        path = Path(env["PRICING_RULES"])
        if not path.is_dir():
            raise click.UsageError(f"PRICING_RULES={env['PRICING_RULES']} is not a folder; "
                                   f"set it to the rules folder or give {param} DIR")
        return path
    here = (cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "shop.toml").is_file() and (folder / "markets").is_dir():
            return folder
        if _is_rules(folder / "rules"):
            return folder / "rules"
    n = len(here.parents)
    give = f"{param} DIR" if param.startswith("-") else param
    raise click.UsageError(
        f"no rules folder: {param} not given, PRICING_RULES not set, and no rules/ folder in "
        f"{here} or the {n} folder{'s' if n != 1 else ''} above it; give {give}")


def _rules_callback(ctx: click.Context, param: click.Parameter, value: Any) -> Path:
    return find_rules(value, param=param.opts[0] if param.opts else "--rules")


def rules_option(func: Any) -> Any:
    """``--rules DIR``, resolved as :func:`find_rules` says."""
    return click.option(
        "--rules", metavar="DIR", default=None, callback=_rules_callback,
        help="Rules folder (shop.toml, markets/, zones/). Default: $PRICING_RULES, else the "
             "nearest rules/ folder in the current folder or above.")(func)


# -- argument types -----------------------------------------------------------------------------

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_DMY = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})")


class DateType(click.ParamType):
    """A calendar date written YYYY-MM-DD; ``23/11/2026`` is refused with the fix."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        text = str(value).strip()
        if _ISO_DAY.fullmatch(text):
            try:
                return date.fromisoformat(text)
            except ValueError as e:
                self.fail(f"{text!r} is not a day of the calendar ({e})", param, ctx)
        hint = ""
        m = _DMY.fullmatch(text)
        if m:
            first, second, year = int(m.group(1)), int(m.group(2)), m.group(3)
            # Only an unambiguous day-month order gets a suggestion: 03/04 could be either.
            if first > 12 >= second:
                hint = f"; did you mean {year}-{second:02d}-{first:02d}?"
            elif second > 12 >= first:
                hint = f"; did you mean {year}-{first:02d}-{second:02d}?"
        self.fail(f"{text!r} is not a date as YYYY-MM-DD (e.g. 2026-11-23){hint}", param, ctx)


class ShareType(click.ParamType):
    """A share between 0 and 1 (``0.9``), or a percentage (``90%``), as an exact Decimal."""

    name = "SHARE"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Decimal:
        if isinstance(value, Decimal):
            return value
        text = str(value).strip()
        try:
            share = (Decimal(text[:-1].strip()) / 100) if text.endswith("%") else Decimal(text)
        except InvalidOperation:
            share = Decimal(-1)
        if not share.is_finite() or not 0 <= share <= 1:
            self.fail(f"{text!r} is not a share between 0 and 1 (e.g. 0.9 or 90%)", param, ctx)
        return share


class LocaleType(click.ParamType):
    """A CLDR locale tag (``de``, ``fr_CA``, ``pt-BR``) in babel's spelling."""

    name = "LOCALE"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        from pricing.codes import normalize_locale

        try:
            return normalize_locale(value)
        except PricingError:
            self.fail(f"{value!r} is not a locale (e.g. de, fr_CA, pt_BR, zh_Hans)", param, ctx)


def writable_file(ctx: click.Context, param: click.Parameter, value: Path | None
                  ) -> Path | None:
    """A file the command will write: its folder must exist and take a new file (checked by
    creating one), so that a bad path fails before any work is done."""
    if value is None:
        return None
    path = Path(value)
    if path.is_dir():
        raise click.BadParameter(f"{str(value)!r} is a folder; give a file name inside it",
                                 ctx=ctx, param=param)
    folder = path.parent
    if not folder.is_dir():
        what = "is a file" if folder.exists() else "does not exist"
        raise click.BadParameter(f"cannot write {str(value)!r}: the folder {str(folder)!r} "
                                 f"{what}", ctx=ctx, param=param)
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=f".{path.name}.", suffix=".check"):
            pass
    except OSError as e:
        raise click.BadParameter(f"cannot write in the folder {str(folder)!r}: "
                                 f"{e.strerror or e}", ctx=ctx, param=param) from None
    return path


def stdout_closed() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, AttributeError, ValueError):
        pass
