"""The rule-file watcher (watchfiles): one reload per burst of edits, of the finished state; a
bad edit keeps the last good rules; a folder switched under its path and a rates file elsewhere
are followed; nothing happens while nothing changes. About 10 s, most of it waiting for edits
to settle."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest_service import copy_rules

from pricing.api.provider import EngineProvider, ReloadResult
from pricing.api.watcher import RulesWatcher
from pricing.fx import bundled_rates
from pricing.markets import load_rules

SETTLE = 0.3


class Reloads:
    """The provider's reload results, as they come."""

    def __init__(self, provider: EngineProvider) -> None:
        self.results: list[ReloadResult] = []
        self._event = threading.Condition()
        provider.subscribe(self._add)

    def _add(self, result: ReloadResult) -> None:
        with self._event:
            self.results.append(result)
            self._event.notify_all()

    def wait_for(self, n: int, timeout: float = 15.0) -> list[ReloadResult]:
        with self._event:
            if not self._event.wait_for(lambda: len(self.results) >= n, timeout=timeout):
                raise AssertionError(f"{len(self.results)} reload(s) after {timeout} s, "
                                     f"wanted {n}: {self.results}")
            return list(self.results)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new), "utf-8")


@pytest.fixture
def watched(tmp_path: Path) -> Any:
    started: list[EngineProvider] = []

    def start(rules: Path, **kwargs: Any) -> tuple[EngineProvider, Reloads]:
        provider = EngineProvider.from_directory(rules, **kwargs)
        reloads = Reloads(provider)
        provider.watch(interval=SETTLE)
        started.append(provider)
        return provider, reloads

    yield start
    for provider in started:
        provider.stop_watching()


def test_a_burst_of_edits_gives_one_reload_of_the_finished_state(tmp_path, watched):
    rules = copy_rules(tmp_path / "rules")
    provider, reloads = watched(rules)
    gb, de = rules / "markets" / "gb.toml", rules / "markets" / "de.toml"
    # Three saves of one file and one of another, as a checkout or an editor would make them.
    for markup in ("0.03", "0.04", "0.05"):
        _edit(gb, 'fx_markup = "0.0', f'fx_markup = "{markup}"\n# was "0.0')
    de.write_text(de.read_text("utf-8") + "\n# reviewed\n", "utf-8")
    (result,) = reloads.wait_for(1)
    assert (result.trigger, result.outcome) == ("watch", "ok")
    assert provider.engine.rules.version == load_rules(rules).version  # the finished state
    time.sleep(4 * SETTLE)  # the burst is over: no second reload follows
    assert len(reloads.results) == 1, reloads.results


def test_a_bad_edit_keeps_the_last_good_rules_until_it_is_fixed(tmp_path, watched):
    rules = copy_rules(tmp_path / "rules")
    provider, reloads = watched(rules)
    good = provider.engine
    gb = rules / "markets" / "gb.toml"
    original = gb.read_text("utf-8")
    gb.write_text(original + '\ncolour = "red"\n', "utf-8")
    (failed,) = reloads.wait_for(1)
    assert failed.outcome == "failed" and provider.engine is good
    assert any(e["file"] == "markets/gb.toml" and "colour" in str(e["key"])
               for e in failed.errors), failed.errors
    gb.write_text(original.replace('fx_markup = "0.02"', 'fx_markup = "0.03"'), "utf-8")
    fixed = reloads.wait_for(2)[1]
    assert fixed.outcome == "ok" and provider.engine.rules.version == load_rules(rules).version


@pytest.mark.parametrize("switch", ["symlink", "move"])
def test_a_folder_switched_under_the_path_is_followed(tmp_path, watched, switch):
    releases = tmp_path / "releases"
    v1 = copy_rules(releases / "v1")
    v2 = releases / "v2"
    shutil.copytree(v1, v2)
    _edit(v2 / "markets" / "gb.toml", 'fx_markup = "0.02"', 'fx_markup = "0.03"')
    live = tmp_path / "rules"
    if switch == "symlink":
        live.symlink_to(v1, target_is_directory=True)
    else:
        shutil.copytree(v1, live)
    provider, reloads = watched(live)
    before = provider.engine.rules.version
    if switch == "symlink":  # ln -sfn releases/v2 rules, atomically
        tmp_link = tmp_path / "rules.new"
        tmp_link.symlink_to(v2, target_is_directory=True)
        os.replace(tmp_link, live)
    else:  # the old folder moved away, the new one moved into place
        live.rename(tmp_path / "rules.old")
        v2.rename(live)
    first = reloads.wait_for(1)[0]
    assert first.outcome == "ok" and provider.engine.rules.version != before
    assert provider.engine.rules.version == load_rules(live).version
    # The folder the path leads to now is the one watched.
    _edit(live / "markets" / "gb.toml", 'fx_markup = "0.03"', 'fx_markup = "0.04"')
    second = reloads.wait_for(2)[1]
    assert second.outcome == "ok" and provider.engine.rules.version == load_rules(live).version


def test_the_rates_file_is_watched_wherever_it_lives(tmp_path, watched):
    rules = copy_rules(tmp_path / "rules")
    rates = tmp_path / "elsewhere" / "rates.json"
    rates.parent.mkdir()
    table = bundled_rates().to_dict()
    rates.write_text(json.dumps(table), "utf-8")
    provider, reloads = watched(rules, rates=rates)
    assert str(provider.engine.rates.rates["GBP"]) == table["rates"]["GBP"]
    # `pricing rates update` writes a temporary file and renames it over the old one.
    new = tmp_path / "elsewhere" / "rates.json.tmp"
    new.write_text(json.dumps({**table, "rates": {**table["rates"], "GBP": "0.9000"}}), "utf-8")
    os.replace(new, rates)
    (result,) = reloads.wait_for(1)
    assert result.outcome == "ok" and str(provider.engine.rates.rates["GBP"]) == "0.9000"


def test_nothing_happens_while_nothing_changes_and_stop_ends_the_thread(tmp_path):
    rules = copy_rules(tmp_path / "rules")
    calls: list[str] = []
    watcher = RulesWatcher(rules, calls.append, settle=0.1, tick=0.05)
    watcher.start()
    try:
        time.sleep(1.0)
        assert calls == []
        (rules / "markets" / "gb.toml").touch()
        deadline = time.monotonic() + 10
        while not calls and time.monotonic() < deadline:
            time.sleep(0.05)
        assert calls == [str(rules / "markets" / "gb.toml")]
    finally:
        watcher.stop()
    assert not watcher.running
