"""The `pricing` command: help, exit codes, rules discovery, and one clear line for every bad
argument, missing or unwritable path, bad date and closed stdout; never a traceback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import click
import pytest
from conftest import RULES

from pricing import bundled_history
from pricing.cli import cli, main

ROOT = RULES.parent
PYTHON = sys.executable


def _request(tmp_path: Path, **destination: str) -> Path:
    req = tmp_path / "req.json"
    req.write_text(json.dumps({
        "destination": destination or {"country": "DE"}, "date": "2026-11-23",
        "ship_from": "CN",
        "items": [{"sku": "A", "quantity": 1, "price": {"amount": "20.00", "currency": "EUR"},
                   "hs_code": "610910"}]}))
    return req


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


# -- help and version ---------------------------------------------------------------------------

def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("pricing 0.1.0 (Python ")


def test_every_command_and_option_has_help_and_examples(capsys):
    commands = list(_commands(cli))
    assert {" ".join(path) for path, _ in commands} >= {
        "validate", "quote", "rates", "rates show", "rates update", "serve", "i18n",
        "i18n extract", "i18n check", "i18n labels"}
    for path, command in commands:
        assert command.help, f"pricing {' '.join(path)} has no help"
        assert "Examples:" in (command.epilog or ""), f"pricing {' '.join(path)}: no examples"
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                assert param.help, f"pricing {' '.join(path)} {param.opts[0]} has no help"
        assert main([*path, "--help"]) == 0
        shown = capsys.readouterr().out
        assert "Examples:" in shown and "``" not in shown  # no raw reStructuredText markup
    assert main(["--help"]) == 0
    top = capsys.readouterr().out
    assert "Exit codes: 0 ok; 1 problems found" in top and "$PRICING_RULES" in top


# -- validate, quote, rates: what works ---------------------------------------------------------

def test_validate_ok(capsys):
    assert main(["validate", str(RULES)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok: ") and "markets" in out and "rules version" in out


def test_validate_lists_every_problem(rules_copy, capsys):
    de = rules_copy / "markets" / "de.toml"
    de.write_text(de.read_text().replace('currency = "EUR"', 'currency = "EUX"'))
    gb = rules_copy / "markets" / "gb.toml"
    gb.write_text(gb.read_text().replace('rate = "0.20"', 'rate = "20"'))
    assert main(["validate", str(rules_copy)]) == 1
    err = capsys.readouterr().err.splitlines()
    # file:line: key: message, the form editors and CI annotations jump to
    assert any(line.startswith("markets/de.toml:7: currency: unknown currency") for line in err)
    assert any(line.startswith("markets/gb.toml:") and ": tax.components[0].rate:" in line
               for line in err)
    assert err[-1] == "2 problems found; nothing was loaded"


def test_quote_json_is_the_quote_and_explain_is_a_table(tmp_path, capsys):
    from pricing import Engine

    req = _request(tmp_path)
    assert main(["quote", "--rules", str(RULES), str(req)]) == 0
    d = json.loads(capsys.readouterr().out)
    # The quote itself: what Engine.quote(...).to_dict() gives for the same request and rules.
    assert d == Engine.from_directory(RULES).quote(json.loads(req.read_text())).to_dict()
    assert main(["quote", "--rules", str(RULES), "--format", "json", str(req)]) == 0
    assert json.loads(capsys.readouterr().out) == d
    assert main(["quote", "--rules", str(RULES), "--explain", str(req)]) == 0
    out = capsys.readouterr().out
    assert "IOSS" in out and "zones/eu.toml#regimes[1]" in out
    assert d["totals"]["total"]["formatted"] in out
    assert main(["quote", "--rules", str(RULES), "--format", "table", "--all", str(req)]) == 0
    assert "Due on delivery" in capsys.readouterr().out  # a zero row, shown with --all


def test_quote_reads_stdin(tmp_path, monkeypatch, capsys):
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO(_request(tmp_path).read_text()))
    assert main(["quote", "--rules", str(RULES), "-"]) == 0
    assert json.loads(capsys.readouterr().out)["market"] == "de"


def test_quote_region_as_checkouts_send_it(tmp_path, capsys):
    # "CA" with country US is California (US-CA), not Canada's Yukon.
    req = _request(tmp_path, country="US", region="CA")
    assert main(["quote", "--rules", str(RULES), str(req)]) == 0
    d = json.loads(capsys.readouterr().out)
    assert [c["name"] for c in d["charges"] if c["kind"] == "tax"] == ["Sales tax (CA)"]


def test_quote_bad_request_exit_1(tmp_path, capsys):
    req = tmp_path / "req.json"
    req.write_text('{"destination": {"country": "DE"}, "items": [{"sku": "A", "quantity": 1, '
                   '"price": {"amount": 9.99, "currency": "EUR"}}]}')
    assert main(["quote", "--rules", str(RULES), str(req)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {req}: items[0].price.amount") and err.count("\n") == 1


def test_rates_show_and_update(tmp_path, capsys):
    assert main(["rates", "show"]) == 0
    history = bundled_history()  # the newest day of the installed ECB history
    out = capsys.readouterr().out
    assert out.startswith(f"ECB, base EUR, as of {history.last_day}")
    assert f"1 EUR = {history.table_on(history.last_day).rates['USD']} USD\n" in out
    # Pegged and snapshot currencies say where their rate comes from.
    assert "AED  (peg 3.6725 AED/USD (Central Bank of the UAE), " in out
    assert "UAH  (fawazahmed0 currency-api, " in out
    src = tmp_path / "in.csv"
    src.write_text("base,date,currency,rate\nEUR,2026-11-20,USD,1.05\nEUR,2026-11-20,GBP,0.87\n")
    out = tmp_path / "rates.json"
    assert main(["rates", "update", "--from", str(src), "--output", str(out)]) == 0
    assert json.loads(out.read_text())["rates"]["USD"] == "1.05"
    bad = tmp_path / "bad.csv"
    bad.write_text("base,date,currency,rate\nEUR,2026-11-20,USD,0\n")
    assert main(["rates", "update", "--from", str(bad), "--output", str(out)]) == 1
    assert json.loads(out.read_text())["rates"]["USD"] == "1.05"  # the good table stays
    assert main(["rates", "show", "--rates", str(out)]) == 0
    assert "2026-11-20" in capsys.readouterr().out
    assert main(["rates", "show", "--rates", str(out), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["rates"]["GBP"] == "0.87"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "in.csv", "rates.json"]


# -- where the rules are found ------------------------------------------------------------------

def test_rules_found_by_option_then_environment_then_upward(tmp_path, monkeypatch, capsys):
    import shutil

    deep = tmp_path / "shop" / "src" / "deep"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    monkeypatch.delenv("PRICING_RULES", raising=False)
    # Nothing above tmp_path/shop/src/deep holds rules (pytest's tmp folders have none).
    assert main(["validate"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no rules folder: ") and f"in {deep} or the " in err
    assert err.count("\n") == 1

    rules_copy = shutil.copytree(RULES, tmp_path / "shop" / "rules")
    assert main(["validate"]) == 0                                  # the nearest rules/ upward
    assert f"({tmp_path / 'shop' / 'rules'})" in capsys.readouterr().out

    monkeypatch.setenv("PRICING_RULES", str(RULES))
    assert main(["validate"]) == 0                                  # the environment first
    assert f"({RULES})" in capsys.readouterr().out
    monkeypatch.setenv("PRICING_RULES", str(tmp_path / "nowhere"))
    assert main(["validate"]) == 2
    assert "PRICING_RULES=" in capsys.readouterr().err
    assert main(["validate", str(rules_copy)]) == 0                 # the argument before all
    monkeypatch.chdir(rules_copy)                                   # inside a rules folder
    monkeypatch.delenv("PRICING_RULES")
    assert main(["validate"]) == 0
    capsys.readouterr()


# -- every bad input: one clear line, the right exit code ---------------------------------------

@pytest.fixture
def bad_inputs(tmp_path):
    """Files for the bad-input table: a request, a broken one, a folder, a file as folder."""
    req = _request(tmp_path)
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "list.json").write_text("[1, 2]")
    (tmp_path / "wrong-region.json").write_text(req.read_text().replace(
        '"country": "DE"', '"country": "US", "region": "QC"'))
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "folder").mkdir()
    (tmp_path / "file.txt").write_text("x")
    return tmp_path


def _unwritable_folder(tmp_path: Path) -> Path:
    """A folder no file can be created in: chmod for ordinary users; root ignores file modes,
    so for root a folder of sysfs, which takes no new files from anyone."""
    if os.geteuid() != 0:
        folder = tmp_path / "locked"
        folder.mkdir()
        folder.chmod(0o500)
        return folder
    return Path("/sys")


BAD = [
    # (arguments, exit code, what the one line must say); {t} is the test's folder
    (["quote", "--date", "23/11/2026", "{t}/req.json"], 2,
     "'--date': '23/11/2026' is not a date as YYYY-MM-DD (e.g. 2026-11-23); did you mean "
     "2026-11-23?"),
    (["quote", "--date", "2026-02-30", "{t}/req.json"], 2, "not a day of the calendar"),
    (["quote", "--date", "tomorrow", "{t}/req.json"], 2, "'tomorrow' is not a date"),
    (["quote", "{t}/missing.json"], 2, "'{t}/missing.json' is not a file"),
    (["quote", "--rules", "{t}/nowhere", "{t}/req.json"], 2,
     "'--rules': '{t}/nowhere' is not a folder"),
    (["quote", "--rules", "{t}/file.txt", "{t}/req.json"], 2, "is not a folder (it is a file)"),
    (["quote", "--rates", "{t}/missing.xml", "{t}/req.json"], 2,
     "'--rates': '{t}/missing.xml' is not a file"),
    (["quote", "--rates", "{t}/empty.csv", "{t}/req.json"], 1, "the file is empty"),
    (["quote", "--format", "xml", "{t}/req.json"], 2, "'xml' is not one of 'json', 'table'"),
    (["quote", "--explain", "--format", "json", "{t}/req.json"], 2, "--explain"),
    (["quote", "{t}/broken.json"], 1, "broken.json: invalid JSON at line 1 column 2"),
    (["quote", "{t}/list.json"], 1, "a quote request is a JSON object"),
    (["quote", "{t}/wrong-region.json"], 1, "destination.region: unknown region 'QC' of US"),
    (["quote"], 2, "Missing argument 'REQUEST.json'"),
    (["quote", "--colour", "{t}/req.json"], 2, "No such option '--colour'"),
    (["rates", "show", "--rates", "{t}/missing.json"], 2, "'{t}/missing.json' is not a file"),
    (["rates", "show", "--rates", "{t}/folder"], 2, "(it is a folder)"),
    (["rates", "show", "--rates", "{t}/broken.json"], 1, "broken.json"),
    (["rates", "update", "--from", "{t}/missing.xml", "--output", "{t}/r.json"], 2,
     "'{t}/missing.xml' is not a file (nor 'ecb' or 'live')"),
    (["rates", "update", "--from", "{t}/empty.csv", "--output", "/missing/dir/x.json"], 2,
     "cannot write '/missing/dir/x.json': the folder '/missing/dir' does not exist"),
    (["rates", "update", "--from", "{t}/empty.csv", "--output", "{t}/file.txt/x.json"], 2,
     "the folder '{t}/file.txt' is a file"),
    (["rates", "update", "--from", "{t}/empty.csv", "--output", "{t}/folder"], 2,
     "'{t}/folder' is a folder"),
    (["rates", "update", "--from", "{t}/empty.csv", "--output", "{locked}/rates.json"], 2,
     "cannot write in the folder '{locked}'"),
    (["rates", "update", "--from", "live", "--timeout", "-1"], 2, "'--timeout'"),
    (["rates", "update"], 2, "Missing option '--from'"),
    (["rates", "convert"], 2, "No such command 'convert'"),
    (["serve", "--port", "99999"], 2, "99999 is not in the range 1<=x<=65535"),
    (["serve", "--workers", "0"], 2, "'--workers'"),
    (["serve", "--rates", "{t}/missing.json"], 2, "'{t}/missing.json' is not a file"),
    (["serve", "--locales", "{t}/nowhere"], 2, "'--locales'"),
    (["serve", "--port", "{busy}"], 2, "cannot listen on 127.0.0.1:{busy}"),
    (["validate", "{t}/nowhere"], 2, "'RULES_DIR': '{t}/nowhere' is not a folder"),
    (["validate", "{t}/folder"], 1, "shop.toml"),
    (["i18n", "check", "--threshold", "1.5"], 2, "'1.5' is not a share between 0 and 1"),
    (["i18n", "check", "--threshold", "NaN"], 2, "'NaN' is not a share"),
    (["i18n", "check", "--market", "xx"], 2, "'--market': no market 'xx'"),
    (["i18n", "check", "--locales", "{t}/nowhere"], 2, "'--locales': '{t}/nowhere'"),
    (["i18n", "check", "--catalog", "{t}/missing.csv"], 2, "'--catalog'"),
    (["i18n", "extract", "{t}/missing.csv"], 2, "'CATALOG'"),
    (["i18n", "extract", "{t}/empty.csv", "--init", "klingon"], 2,
     "'klingon' is not a locale"),
    (["i18n", "extract", "{t}/empty.csv", "--locales", "{t}/file.txt"], 2, "is a file"),
    (["i18n", "labels", "--locales", "{t}/nowhere"], 2, "'--locales'"),
    (["i18n", "translate"], 2, "No such command 'translate'"),
    (["frobnicate"], 2, "No such command 'frobnicate'"),
]


@pytest.mark.parametrize(("argv", "code", "says"), BAD, ids=[" ".join(b[0]) for b in BAD])
def test_bad_input_one_line_and_exit_code(argv, code, says, bad_inputs, monkeypatch, capsys):
    monkeypatch.setenv("PRICING_RULES", str(RULES))
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        fill = {"t": str(bad_inputs), "locked": str(_unwritable_folder(bad_inputs)),
                "busy": str(busy.getsockname()[1])}
        assert main([a.format(**fill) for a in argv]) == code
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 or (code == 1 and lines[-1].endswith("nothing was loaded")), lines
    assert says.format(**fill) in lines[0]
    assert "Traceback" not in captured.err + captured.out
    assert captured.out == ""


def test_no_command_prints_help_exit_2(capsys):
    assert main([]) == 2
    assert "Commands:" in capsys.readouterr().err


# -- a real process: closed stdout, no traceback ------------------------------------------------

CLOSED = [
    ["rates", "show"],
    ["quote", "--explain", "{req}"],
    ["i18n", "check"],
    ["diff", "--before", "{rules}", "--after", "{rules}", "--market", "de"],
    ["--help"],
]


def test_closed_stdout_stops_quietly(tmp_path):
    """`pricing rates show | head -1`: the reader is gone before we write; we stop quietly
    with 141 (128 + SIGPIPE, what the shell reports for tools killed by SIGPIPE)."""
    req = _request(tmp_path)
    env = {**os.environ, "PRICING_RULES": str(RULES), "COLUMNS": "100"}
    running = []
    for argv in CLOSED:
        read, write = os.pipe()
        os.close(read)  # as `head` does once it has its line: every write now fails
        running.append((argv, subprocess.Popen(
            [PYTHON, "-m", "pricing", *(a.format(req=req, rules=RULES) for a in argv)],
            stdout=write,
            stderr=subprocess.PIPE, env=env)))
        os.close(write)
    for argv, proc in running:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 141, (argv, err)
        assert err == b"", (argv, err)  # no traceback, no "Exception ignored" at exit


def test_stdout_not_open_at_all(tmp_path):
    """`pricing quote ... >&-`: nothing to write to; the work is done, nothing is printed."""
    out = tmp_path / "rates.json"
    src = tmp_path / "in.csv"
    src.write_text("base,date,currency,rate\nEUR,2026-11-20,USD,1.05\n")
    done = subprocess.run(
        [PYTHON, "-m", "pricing", "rates", "update", "--from", str(src), "--output", str(out)],
        stdout=None, stderr=subprocess.PIPE, preexec_fn=lambda: os.close(1), timeout=60,
        check=False)
    # stderr holds only the update's warnings (the pegs and older rates it added, by market).
    assert done.returncode == 0
    assert all(line.startswith(b"warning: ") for line in done.stderr.splitlines()), done.stderr
    assert json.loads(out.read_text())["rates"]["USD"] == "1.05"


def test_module_entry_point_exit_codes(tmp_path):
    """`python -m pricing` exits with main()'s code and prints the one line."""
    done = subprocess.run([PYTHON, "-m", "pricing", "quote", "--date", "23/11/2026",
                           str(_request(tmp_path))], capture_output=True, text=True,
                          timeout=60, check=False, env={**os.environ,
                                                        "PRICING_RULES": str(RULES)})
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "did you mean 2026-11-23?" in done.stderr
