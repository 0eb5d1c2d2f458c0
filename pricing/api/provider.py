"""The engine in service and its hot reloads: swapped atomically, the last good one kept.

An :class:`EngineProvider` holds the :class:`~pricing.engine.Engine` in use. A reload (admin
call, SIGHUP, the file watcher) loads and validates the rules off the request path and swaps in
a new engine only when they pass; live exchange rates refresh the same way.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

from pricing.api.watcher import RulesWatcher
from pricing.engine import Engine
from pricing.errors import RatesError, RulesError
from pricing.fx import LiveRates, RateTable, load_rates_file
from pricing.markets import RuleSet, load_rules
from pricing.markets.loader import read_rule_file, rule_files

__all__ = ["EngineProvider", "Outcome", "ReloadResult", "iso_timestamp"]

log = logging.getLogger("pricing.service")

Outcome = Literal["ok", "unchanged", "failed"]


@dataclass(frozen=True, slots=True)
class ReloadResult:
    """What one reload did; ``errors`` lists the rule problems of a failed one."""

    outcome: Outcome
    trigger: str
    at: float
    rules_version: str
    previous_version: str
    errors: tuple[Mapping[str, object], ...] = ()
    seconds: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return {"outcome": self.outcome, "trigger": self.trigger, "at": iso_timestamp(self.at),
                "rules_version": self.rules_version, "previous_version": self.previous_version,
                "seconds": round(self.seconds, 4), "errors": [dict(e) for e in self.errors]}


def iso_timestamp(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


class EngineProvider:
    """Holds the :class:`Engine` in use; :meth:`reload` swaps in a new one atomically.

    Requests read :attr:`engine` once and use that engine to the end, so each response comes
    from one rule set: the old or the new, never a mix. Loading and validation run in the
    caller's thread (a watcher thread, the admin call's worker thread), never on the event
    loop. A reload that fails keeps the current engine and records the problems.
    """

    def __init__(self, engine: Engine, *, rules_dir: str | Path | None = None,
                 rates_file: str | Path | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        root = rules_dir if rules_dir is not None else (engine.rules.root or None)
        self.rules_dir = Path(root) if root else None
        self.rates_file = Path(rates_file) if rates_file is not None else None
        self._clock = clock
        self._engine = engine
        self._loaded_at = clock()
        self._lock = threading.Lock()
        self._last: ReloadResult | None = None
        self._listeners: list[Callable[[ReloadResult], None]] = []
        self._stop = threading.Event()
        self._watcher: RulesWatcher | None = None
        self._fingerprint = self.fingerprint()

    @classmethod
    def from_directory(cls, rules_dir: str | Path, *, rates: RateTable | str | Path | None = None,
                       locales: str | Path | None = None) -> EngineProvider:
        """Load ``rules_dir`` (raises :class:`RulesError`); a rates *file* is re-read on reload."""
        rates_file = rates if isinstance(rates, str | Path) else None
        provider_fp = _fingerprint(Path(rules_dir), Path(rates_file) if rates_file else None)
        engine = Engine.from_directory(rules_dir, rates=rates, locales=locales)
        provider = cls(engine, rules_dir=rules_dir, rates_file=rates_file)
        # The files as they were *before* loading: an edit racing the load is seen when the
        # watcher starts.
        provider._fingerprint = provider_fp
        return provider

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def loaded_at(self) -> float:
        return self._loaded_at

    @property
    def last_reload(self) -> ReloadResult | None:
        return self._last

    @property
    def reload_errors(self) -> tuple[Mapping[str, object], ...]:
        """The problems of the last reload if it failed; empty once a reload succeeds."""
        last = self._last
        return last.errors if last is not None and last.outcome == "failed" else ()

    def subscribe(self, listener: Callable[[ReloadResult], None]) -> None:
        """Call ``listener`` with every :class:`ReloadResult` (from the reloading thread)."""
        self._listeners.append(listener)

    def fingerprint(self) -> str:
        """A hash of the rule files' (and rates file's) names and content."""
        if self.rules_dir is None:
            return ""
        return _fingerprint(self.rules_dir, self.rates_file)

    def reload(self, *, trigger: str = "manual") -> ReloadResult:
        """Load and validate the rules (and the rates file); swap the engine in if they pass."""
        if self.rules_dir is None:
            raise RuntimeError("this provider has no rules directory to reload from")
        with self._lock:
            start = time.perf_counter()
            fp = self.fingerprint()
            old = self._engine
            errors: tuple[Mapping[str, object], ...] = ()
            new: Engine | None = None
            try:
                rules = load_rules(self.rules_dir)
                rates = load_rates_file(self.rates_file) if self.rates_file else old.rates
                new = _engine_like(old, rules, rates)
            except RulesError as e:
                errors = tuple(p.to_dict() for p in e.problems)
            except RatesError as e:
                errors = ({"file": str(self.rates_file), "key": e.field or "",
                           "message": e.message},)
            except Exception:  # a bad edit must never take the service down
                log.exception("reload of %s failed unexpectedly", self.rules_dir)
                errors = ({"file": self.rules_dir.name or "rules", "key": "",
                           "message": "the rules could not be loaded (an internal error, "
                                      "logged with its traceback); run `pricing validate`"},)
            self._fingerprint = fp  # a broken edit is retried when the files change again
            if new is None:
                outcome: Outcome = "failed"
            elif new.rules.version == old.rules.version and new.rates == old.rates:
                outcome = "unchanged"
            else:
                outcome = "ok"
                self._engine = new  # the atomic swap
                self._loaded_at = self._clock()
            result = ReloadResult(outcome, trigger, self._clock(), self._engine.rules.version,
                                  old.rules.version, errors, time.perf_counter() - start)
            self._last = result
        if outcome == "failed":
            log.warning("rules reload (%s) failed with %d problem(s); still serving %s: %s",
                        trigger, len(errors), old.rules.version,
                        "; ".join(str(e.get("message")) for e in errors[:3]))
        else:
            log.info("rules reload (%s): %s, serving %s", trigger, outcome,
                     result.rules_version)
        for listener in list(self._listeners):
            try:
                listener(result)
            except Exception:  # pragma: no cover - a listener must not break reloads
                log.exception("reload listener failed")
        return result

    def use_live_rates(self, live: LiveRates, *, interval: float = 3600.0) -> threading.Thread:
        """Refresh ``live`` now and every ``interval`` seconds in a daemon thread, swapping in
        an engine with the new table. A failed refresh keeps the last good table and every
        quote carries the warning until a refresh succeeds."""

        def refresh_forever() -> None:
            while True:
                warning = live.refresh(today=date.today())
                with self._lock:
                    self._engine = self._engine.with_rules(
                        self._engine.rules, rates=live.table,
                        notices=(warning,) if warning else ())
                if warning:
                    log.warning("%s", warning)
                if self._stop.wait(interval):
                    return

        t = threading.Thread(target=refresh_forever, name="pricing-live-rates", daemon=True)
        t.start()
        return t

    def reload_in_background(self, *, trigger: str) -> threading.Thread:
        """Start :meth:`reload` in a daemon thread (safe to call from a signal handler)."""
        t = threading.Thread(target=self.reload, kwargs={"trigger": trigger},
                             name="pricing-reload", daemon=True)
        t.start()
        return t

    def watch(self, *, interval: float = 1.0) -> None:
        """Reload when the rule files (or the rates file) change, once they have been quiet
        for ``interval`` seconds: the operating system reports changes
        (:class:`~pricing.api.watcher.RulesWatcher`), the files are not re-read until then."""
        if self.rules_dir is None or (self._watcher is not None and self._watcher.running):
            return
        self._stop.clear()
        self._watcher = RulesWatcher(self.rules_dir, lambda _: self.reload(trigger="watch"),
                                     rates_file=self.rates_file, settle=interval)
        self._watcher.start()
        # An edit made between loading and watching: the one time the files are read to look.
        if self.fingerprint() != self._fingerprint:
            self.reload_in_background(trigger="watch")

    def stop_watching(self) -> None:
        """Stop the watcher (and the live-rates refresh)."""
        self._stop.set()
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None


def _fingerprint(rules_dir: Path, rates_file: Path | None) -> str:
    """A hash of the rule files' names and content, read as the loader reads them: a FIFO, a
    device, a link out of the folder or an oversized file is hashed by its refusal, never read."""
    h = hashlib.sha256()
    for f in rule_files(rules_dir):
        try:
            data = read_rule_file(f, root=rules_dir)
        except ValueError as e:
            data = b"\0unreadable: " + str(e).encode()
        h.update(str(f).encode() + b"\0" + data + b"\0")
    if rates_file is not None:
        try:
            data = rates_file.read_bytes() if rates_file.is_file() else b"\0not a file"
        except OSError:
            data = b"\0missing"
        h.update(str(rates_file).encode() + b"\0" + data + b"\0")
    return h.hexdigest()


def _engine_like(old: Engine, rules: RuleSet, rates: RateTable) -> Engine:
    # Keep what the rule files do not define: the product catalog and the engine's clock.
    return old.with_rules(rules, rates=rates)
