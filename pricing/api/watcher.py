"""The rule-file watcher: the operating system says when files change (watchfiles), nothing is
re-read until then.

:class:`RulesWatcher` watches the rules folder with watchfiles (inotify on Linux, FSEvents on
macOS, ReadDirectoryChangesW on Windows; polling where none works, e.g. with
``WATCHFILES_FORCE_POLLING=1`` on a network file system) and calls back once the files have
been quiet for ``settle`` seconds, so that a burst of edits (a ``git checkout``, an editor that
writes a temporary file and renames it) gives one reload of the finished state, not one per
file. Between events it only looks, every ``tick``, whether the rules folder is still the
same folder (a symlink switched to a new release, a folder moved into place: watched anew) and
whether the rates file changed (one ``stat``, as it may live anywhere). The caller reloads and
validates; a bad edit keeps the last good rules (:class:`~pricing.api.provider.EngineProvider`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchfiles import DefaultFilter, watch

__all__ = ["RulesWatcher"]

log = logging.getLogger("pricing.service")

#: The stat fields that tell a changed file or a different folder: (device, inode, size,
#: modification time in ns); None when the path is not there.
_Identity = tuple[int, int, int, int] | None


def _identity(path: Path | None) -> _Identity:
    if path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


def _folder_identity(path: Path) -> tuple[str, _Identity]:
    # A folder's size and mtime change with every file added to it: only where it leads.
    ident = _identity(path)
    return os.path.realpath(path), None if ident is None else (ident[0], ident[1], 0, 0)


class RulesWatcher:
    """Calls ``on_change(reason)`` in its own thread once the watched files settle after a change.

    ``reason`` names what changed (a file, ``rates file``, ``rules folder``). ``tick`` is how
    often the folder's identity and the rates file are looked at (and the stop flag honoured).
    """

    def __init__(self, rules_dir: str | Path, on_change: Callable[[str], None], *,
                 rates_file: str | Path | None = None, settle: float = 1.0,
                 tick: float = 0.25) -> None:
        self.rules_dir = Path(rules_dir)
        self.rates_file = Path(rates_file) if rates_file is not None else None
        self.settle = max(0.0, settle)
        self.tick = max(0.05, min(tick, self.settle or tick))
        self._on_change = on_change
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, *, timeout: float = 5.0) -> None:
        """Start watching (a daemon thread) and return once the operating system watches the
        files (or after ``timeout`` seconds): a change made after this call is seen. Does
        nothing when already watching."""
        if self.running:
            return
        self._stop.clear()
        self._ready.clear()
        self._thread = threading.Thread(target=self._run, name="pricing-rules-watcher",
                                        daemon=True)
        self._thread.start()
        self._ready.wait(timeout)

    def stop(self, *, timeout: float = 5.0) -> None:
        """Stop watching and wait (up to ``timeout`` seconds) for the thread to end."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=timeout)
            self._thread = None

    def _run(self) -> None:
        rates = _identity(self.rates_file)
        pending: str | None = None  # what changed, until the files settle
        last_change = 0.0
        failing = False
        while not self._stop.is_set():
            folder = _folder_identity(self.rules_dir)
            try:
                for changes in watch(self.rules_dir, watch_filter=DefaultFilter(),
                                     stop_event=self._stop, step=50,
                                     rust_timeout=int(self.tick * 1000), yield_on_timeout=True,
                                     raise_interrupt=False, ignore_permission_denied=True):
                    self._ready.set()  # the first answer comes once the watch is in place
                    now = time.monotonic()
                    if changes:
                        pending = pending or min(path for _, path in changes)
                        last_change = now
                    now_rates = _identity(self.rates_file)
                    if now_rates != rates:
                        rates, pending, last_change = now_rates, pending or "rates file", now
                    moved = _folder_identity(self.rules_dir) != folder
                    if moved:
                        pending, last_change = pending or "rules folder", now
                    if pending is not None and now - last_change >= self.settle:
                        reason, pending = pending, None
                        self._call(reason)
                    if moved:
                        break  # watch the folder the path leads to now
            except Exception as e:  # the folder went away, too many inotify watches, ...
                if not failing:  # said once, not every second until it is back
                    log.warning("rules watcher: %s: %s; retrying every second",
                                type(e).__name__, e)
                failing = True
                self._ready.set()  # nothing to wait for: start() returns
                pending, last_change = pending or "rules folder", time.monotonic()
                self._stop.wait(1.0)
            else:
                failing = False

    def _call(self, reason: str) -> None:
        try:
            self._on_change(reason)
        except Exception:  # a failing reload must never stop the watching
            log.exception("rules watcher: reload after a change to %s failed", reason)
