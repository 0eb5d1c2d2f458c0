"""`pricing validate`: every problem at once, with file, line, key, value as written, the fix;
text, JSON and GitHub Actions formats; warnings for unconfirmed facts and stale sources."""

from __future__ import annotations

import io
import json
import re
import shutil
import tomllib
from datetime import date
from pathlib import Path

import pytest
from conftest import RULES

from pricing import load_rules
from pricing.cli import main
from pricing.errors import clip
from pricing.markets.checks import check_sources
from pricing.markets.loader import check_rules
from pricing.markets.report import render_github, run, validate
from pricing.markets.tomltext import LineIndex, toml_value

TODAY = date(2026, 11, 29)
DUTY_RATE = 'rate = "0.05"'
GB_RATE = 'rate = "20"'


#: The markets the tests copy (their own copy: the bundled files keep changing).
MARKETS = ("de", "gb", "fr", "jp", "nz")
_UNCONFIRMED = re.compile(r"^unconfirmed = \[.*?^\]\n|^unconfirmed = \[.*\]\n", re.M | re.S)


def small_rules(root: Path) -> Path:
    """shop.toml, zones/ and a few markets, without the `unconfirmed` lists they may have."""
    (root / "markets").mkdir(parents=True)
    shutil.copy(RULES / "shop.toml", root / "shop.toml")
    shutil.copytree(RULES / "zones", root / "zones")
    for m in MARKETS:
        text = (RULES / "markets" / f"{m}.toml").read_text("utf-8")
        (root / "markets" / f"{m}.toml").write_text(_UNCONFIRMED.sub("", text), "utf-8")
    return root


def edit(root: Path, name: str, old: str, new: str) -> None:
    p = root / name
    text = p.read_text("utf-8")
    assert old in text, (name, old)
    p.write_text(text.replace(old, new, 1), "utf-8")


def stale(root: Path) -> None:
    """Date every source of fr.toml 2025-06-01: 546 days before TODAY, over a year."""
    p = root / "markets/fr.toml"
    p.write_text(re.sub(r"\(checked \d{4}-\d{2}-\d{2}\)", "(checked 2025-06-01)",
                        p.read_text("utf-8")), "utf-8")


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    """Four mistakes in three files, and warnings: one unconfirmed fact, stale sources."""
    root = small_rules(tmp_path / "rules")
    edit(root, "markets/de.toml", 'currency = "EUR"', 'currency = "EUX"')
    edit(root, "markets/de.toml", "{ value = \"0.16\", from = 2020-07-01, to = 2020-12-31 }",
         "{ value = \"0.16\", from = 2020-07-01, to = 2020-12-31T00:00:00 }")
    edit(root, "markets/gb.toml", 'rate = "0.20"', 'rate = "20"')
    edit(root, "markets/nz.toml", 'id = "nz"', 'id = "nz"\nunconfirmed = [{ key = "duty.rate", '
         'why = "placeholder: NZ tariff rates are mostly 0, 5 or 10 %" }]')
    stale(root)
    edit(root, "markets/jp.toml", "sources = [", "sources = [\n  \"Japan Customs, no date\",")
    return root


def lines_of(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln]


def _line(path: Path, fragment: str) -> int:
    return next(i for i, ln in enumerate(path.read_text("utf-8").splitlines(), 1)
                if fragment in ln)


def test_text_lists_every_problem_with_line_key_value_and_fix(broken):
    out, err = io.StringIO(), io.StringIO()
    assert run(broken, stdout=out, stderr=err, today=TODAY) == 1
    assert out.getvalue() == ""
    got = lines_of(err.getvalue())
    assert got[-1] == "4 problems found; nothing was loaded"
    de = broken / "markets/de.toml"
    assert got[:-1] == [
        f'markets/de.toml:{_line(de, "EUX")}: currency: unknown currency code \'EUX\' (found '
        '"EUX"); allowed: an ISO 4217 code such as EUR; did you mean \'UGX\'?',
        f"markets/de.toml:{_line(de, 'T00:00:00')}: tax.components[0].rate[1]: expected a "
        "date, found a date and time 2020-12-31T00:00:00; write the day alone: 2020-12-31 "
        '(found { value = "0.16", from = 2020-07-01, to = 2020-12-31T00:00:00 })',
        f"markets/gb.toml:{_line(broken / 'markets/gb.toml', GB_RATE)}: "
        "tax.components[0].rate: rate '20' is out of range [0, 1]; rates are fractions: did "
        'you mean "0.2" (20%)? (found "20")',
        f"markets/jp.toml:{_line(broken / 'markets/jp.toml', 'no date')}: sources[0]: source "
        "is not dated: say when it was checked (found \"Japan Customs, no date\"); allowed: "
        '"... (checked YYYY-MM-DD)"',
    ]


def test_warnings_list_unconfirmed_facts_and_stale_sources(tmp_path):
    root = small_rules(tmp_path / "rules")
    edit(root, "markets/nz.toml", 'id = "nz"', 'id = "nz"\nunconfirmed = [{ key = "duty.rate", '
         'why = "placeholder" }]')
    stale(root)
    fr, nz = root / "markets/fr.toml", root / "markets/nz.toml"
    n_fr = fr.read_text("utf-8").count("(checked 2025-06-01)")
    out, err = io.StringIO(), io.StringIO()
    assert run(root, warnings=True, stdout=out, stderr=err, today=TODAY) == 0
    assert out.getvalue().startswith(f"ok: {len(MARKETS)} markets")
    assert f", {n_fr + 1} warnings" in out.getvalue()
    got = lines_of(err.getvalue())
    # 2025-06-01 to 2026-11-29 is 546 days: over a year
    assert got[0] == (
        f"markets/fr.toml:{_line(fr, '2025-06-01')}: warning: sources[0]: checked 2025-06-01, "
        "more than a year ago: check the source again and update the date (found "
        f"{toml_value(_first_source(fr))})")
    assert got[-1] == (f"markets/nz.toml:{_line(nz, DUTY_RATE)}: warning: duty.rate: "
                       "unconfirmed: placeholder")
    # without --warnings they are not listed, and never fail the check
    out, err = io.StringIO(), io.StringIO()
    assert run(root, stdout=out, stderr=err, today=TODAY) == 0
    assert err.getvalue() == "" and " warnings" not in out.getvalue()


def test_a_source_is_stale_only_when_checked_more_than_a_year_ago():
    # "more than a year ago" (the warning's words): on 2026-11-29 a source checked 2025-11-29 is
    # exactly a year old (365 days, no 29 February between) and fine; 2025-11-28 (366 days) is
    # stale. A source checked today is fine; tomorrow is "a day still to come".
    found = []

    def report(file, key, message, **_):
        found.append((key, message))

    own = {"sources": [f"Example (checked {day})" for day in
                       ("2025-11-28", "2025-11-29", "2026-11-29", "2026-11-30")]}
    assert check_sources(report, "markets/xx.toml", own, required=True, today=TODAY)
    assert found == [
        (("sources", 0), "checked 2025-11-28, more than a year ago: check the source again and "
                         "update the date"),
        (("sources", 3), "checked 2026-11-30, a day still to come (today is 2026-11-29)")]


def test_an_unconfirmed_key_must_name_a_key_or_one_its_table_leaves_out(tmp_path):
    # nz.toml has two [[regimes]] and no fees. regimes[1] is the last regime; regimes[2] is one
    # past the end. regimes[0].to is left out of a table that exists (the end date is not
    # known: allowed); a whole top-level key the market does not have (fees) is not.
    root = small_rules(tmp_path / "rules")
    edit(root, "markets/nz.toml", 'id = "nz"', 'id = "nz"\nunconfirmed = [{ key = '
         '"regimes[1].name", why = "x" }, { key = "regimes[2].name", why = "y" }, '
         '{ key = "regimes[0].to", why = "z" }, { key = "fees", why = "w" }]')
    checked = check_rules(root, today=TODAY)
    assert [(p.key, p.message, p.value) for p in checked.problems] == [
        ("unconfirmed[1].key", "names no key of this market", '"regimes[2].name"'),
        ("unconfirmed[3].key", "names no key of this market", '"fees"')]
    assert [(w.key, w.message) for w in checked.warnings] == [
        ("regimes[1].name", "unconfirmed: x"), ("regimes[0].to", "unconfirmed: z")]


@pytest.mark.parametrize(("value", "shown"), [
    (999_999_999, "999999999"),             # 9 characters: whole
    (9_999_999_999, "9999999999"),          # 10, the limit: whole
    (99_999_999_999, "999999999…"),         # 11: cut to 9 and the ellipsis
])
def test_clip_cuts_a_value_only_past_its_limit(value: int, shown: str) -> None:
    # clip quotes repr(value) "cut to about limit characters": one that fits is shown whole.
    assert clip(value, 10) == shown


def test_values_in_messages_are_cut_only_past_each_limit():
    # toml_value shows a value in at most `limit` characters (80 by default), strings up to 200
    # characters, lists and tables up to 10 entries, 4 levels of nesting, integers below
    # 10^40 in full: at each limit nothing is cut, one past it an ellipsis says so.
    assert toml_value("x" * 78) == '"' + "x" * 78 + '"'                 # 80 characters
    assert toml_value("x" * 79) == '"' + "x" * 78 + "…"                 # 81, cut to 80
    assert toml_value("x" * 200, limit=300) == '"' + "x" * 200 + '"'
    assert toml_value("x" * 201, limit=300) == '"' + "x" * 200 + '…"'
    assert toml_value(list(range(10))) == "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]"
    assert toml_value(list(range(11))) == "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, …]"
    ten = {f"k{i}": i for i in range(10)}
    assert toml_value(ten, limit=200).endswith("k9 = 9 }")
    assert toml_value({**ten, "k10": 10}, limit=200).endswith("k9 = 9, … }")
    assert toml_value([[[[1]]]]) == "[[[[1]]]]"
    assert toml_value([[[[[1]]]]]) == "[[[[[…]]]]]"
    assert toml_value(10**40 - 1) == "9" * 40
    assert toml_value(10**40) == "an integer of about 40 digits"


def _first_source(path: Path) -> str:
    import tomllib

    return tomllib.loads(path.read_text("utf-8"))["sources"][0]


def test_json_format(broken):
    out = io.StringIO()
    assert run(broken, fmt="json", warnings=True, stdout=out, today=TODAY) == 1
    data = json.loads(out.getvalue())
    assert data["ok"] is False and data["version"] is None
    assert [(p["file"], p["line"], p["key"]) for p in data["problems"]][:1] == [
        ("markets/de.toml", _line(broken / "markets/de.toml", "EUX"), "currency")]
    assert data["problems"][0]["value"] == '"EUX"'
    assert data["problems"][0]["suggestion"] == "UGX"
    assert ("markets/nz.toml", "duty.rate") in {(w["file"], w["key"]) for w in data["warnings"]}
    assert {w["file"] for w in data["warnings"]} == {"markets/nz.toml", "markets/fr.toml"}


def test_github_format_annotates_lines(broken, monkeypatch):
    monkeypatch.chdir(broken.parent)
    out = io.StringIO()
    assert run(Path("rules"), fmt="github", warnings=True, stdout=out, today=TODAY) == 1
    got = lines_of(out.getvalue())
    line = _line(broken / "markets/de.toml", "EUX")
    assert got[0] == (f"::error file=rules/markets/de.toml,line={line},title=pricing validate%3A "
                      "currency::currency: unknown currency code 'EUX' (found \"EUX\"); "
                      "allowed: an ISO 4217 code such as EUR; did you mean 'UGX'?")
    assert sum(ln.startswith("::error ") for ln in got) == 4
    assert sum(ln.startswith("::warning ") for ln in got) >= 2
    assert got[-1] == "4 problems found; nothing was loaded"


def test_github_escapes_what_workflow_commands_reserve():
    from pricing.errors import Problem
    from pricing.markets.report import Report

    report = Report("rules", (Problem("markets/a,b.toml", "k", "50% off\nnext: line",
                                      line=3),), ())
    assert render_github(report).splitlines()[0] == (
        "::error file=rules/markets/a%2Cb.toml,line=3,title=pricing validate%3A k::"
        "k: 50%25 off%0Anext: line")


def test_the_command_line(broken, capsys):
    assert main(["validate", str(broken), "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["problems"]
    assert main(["validate", str(RULES), "--warnings"]) == 0
    assert capsys.readouterr().out.startswith("ok: ")
    assert main(["validate", str(RULES), "--format", "xml"]) == 2
    assert "Invalid value for '--format'" in capsys.readouterr().err


def test_the_bundled_rules_have_no_problem():
    report = validate(RULES, today=TODAY)
    assert report.ok, [str(p) for p in report.problems]


# -- where keys are written, and values as written -------------------------------------------

def test_line_index_of_a_real_market_file():
    text = (RULES / "markets/de.toml").read_text("utf-8")
    index = LineIndex(text)
    lines = text.splitlines()
    for path, fragment in [
        (("currency",), 'currency = "EUR"'),
        (("sources", 1), "EU zone rules"),
        (("tax", "components", 0, "rate", 2), '{ value = "0.19", from = 2021-01-01 }'),
        (("tax", "components", 0, "categories", "books", 1, "from"), '"0.05", from = 2020'),
    ]:
        assert fragment in lines[index.line_of(path) - 1], path


def test_line_index_of_arrays_of_tables_and_strings():
    text = ('a = """\nx = 1\n"""\n[[regimes]]\nid = "a"\n[[regimes]]\nid = "b" # ]\n'
            '[regimes.flat]\nv = 1\nlist = [1, [2, 3], { k = "]" }, 4]\n')
    index = LineIndex(text)
    assert index.line_of(("x",)) is None  # inside a multi-line string
    assert index.line_of(("regimes", 1, "id")) == 7
    assert index.line_of(("regimes", 1, "flat", "v")) == 9
    assert index.line_of(("regimes", 1, "flat", "list", 3)) == 10
    assert index.line_of(("regimes", 1, "flat", "list", 2, "k")) == 10
    assert index.line_of(()) is None


def test_line_index_reads_a_quote_escaped_at_the_start_of_a_line():
    # In a multi-line string, a line that starts with \""" holds an escaped quote and two
    # more quotes: the string does not end there, but on the next line.
    text = 'a = """\n\\""" is inside\n"""\nb = 1\n'
    index = LineIndex(text)
    assert index.line_of(("b",)) == 4


@pytest.mark.parametrize("text", [
    # A backslash in column 0 escapes the quote in column 1: the string goes on, and the
    # `rate = 1` on its next line is text, not a key (the real key is on line 5).
    'note = """\n\\"""\nrate = 1\n"""\nrate = "0.19"\n',
    # The same one column later (a space first).
    'note = """\n \\"""\nrate = 1\n"""\nrate = "0.19"\n',
    # Backslashes in columns 0 and 1 are one escaped backslash: the quotes in columns 2-4
    # end the string, and the key is on the next line.
    'note = """\n\\\\"""\nrate = "0.19"\n',
])
def test_line_index_counts_backslashes_from_column_0(text: str) -> None:
    # TOML 1.0, multi-line basic strings: "any Unicode character may be used except those
    # that must be escaped"; \" is an escaped quote, \\ an escaped backslash. tomllib says
    # which lines are keys; the key's line is where `rate = "0.19"` is written.
    assert tomllib.loads(text)["rate"] == "0.19"
    written = text.splitlines().index('rate = "0.19"') + 1
    assert LineIndex(text).line_of(("rate",)) == written


def test_upcoming_regimes_start_after_the_day():
    # NZ's low-value regime is in force from 2019-12-01: upcoming the day before, in force
    # (and no longer upcoming) on that day.
    nz = load_rules(RULES).market("nz")
    before, on = (nz.summary(on=d) for d in (date(2019, 11, 30), date(2019, 12, 1)))
    assert [r["id"] for r in before["upcoming_regimes"]] == ["low-value"]
    assert [r["id"] for r in on["upcoming_regimes"]] == []
    assert [r["id"] for r in on["regimes"]] == ["low-value", "import"]


@pytest.mark.parametrize(("value", "written"), [
    ("EUX", '"EUX"'), ('a "q"', '"a \\"q\\""'), (True, "true"), (7, "7"),
    (date(2020, 6, 30), "2020-06-30"), ([1, "a"], '[1, "a"]'), ({"a b": 1}, '{ "a b" = 1 }'),
    pytest.param(10**5000, "an integer of about 5000 digits", id="huge-int"),
])
def test_values_are_shown_as_written_in_toml(value, written):
    assert toml_value(value) == written


@pytest.mark.parametrize(("value", "shown"), [
    # clip's docstring: a string of more than `limit` characters says how long it was; one of
    # at most `limit` is a repr like any other, cut with "…" once it does not fit.
    ("x" * 8, "'xxxxxxxx'"),                        # repr of 10 characters: whole
    ("x" * 10, "'xxxxxxxx…"),                       # 10 characters, repr of 12: cut only
    ("x" * 11, "'xxxxxxxxx…' (11 characters)"),     # 11 > 10: cut, with its length
])
def test_clip_says_how_long_a_string_was_only_past_the_limit(value: str, shown: str) -> None:
    assert clip(value, 10) == shown
