"""`pricing init DIR`: a rules repository a merchant can start from, that validates, quotes with
the product catalog, carries a CI workflow pinned to this version, and never overwrites a file."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import RULES

from pricing import Engine, __version__
from pricing.cli import main
from pricing.resources import sample_dir
from pricing.scaffold import WORKFLOW, ScaffoldError, init_repository, workflow_text

ROOT = RULES.parent


def _files(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*") if p.is_file()}


def test_init_writes_the_samples_and_a_workflow(tmp_path, capsys):
    target = tmp_path / "shop"
    assert main(["init", str(target)]) == 0
    out = capsys.readouterr().out
    written = _files(target)
    assert {f for f in written if f.parts[0] == "rules"} == {
        Path("rules") / f for f in _files(ROOT / "rules")}
    assert Path("catalog/products.csv") in written
    # Product text only: the labels ship with the package (and stay current on upgrade).
    assert {f for f in written if f.parts[0] == "locales"} == {
        Path("locales") / f for f in _files(ROOT / "locales") if f.name.startswith("products.")}
    assert WORKFLOW in written
    markets = len(list((ROOT / "rules" / "markets").glob("*.toml")))
    assert out.startswith(f"ok: wrote {len(written)} files to {target}: rules/ ({markets} "
                          "sample markets)")
    for rel in (Path("rules/shop.toml"), Path("catalog/products.csv")):
        assert (target / rel).read_bytes() == (ROOT / rel).read_bytes()


def test_the_workflow_validates_and_diffs_with_this_version():
    text = workflow_text(__version__)
    assert f'pip install "crossborder-pricing=={__version__}"' in text
    assert "run: pricing validate rules" in text
    assert 'pricing diff --rules rules --before "origin/${GITHUB_BASE_REF}" --after HEAD' in text
    assert "@VERSION@" not in text


def test_the_new_repository_validates_and_quotes_with_its_catalog(tmp_path, capsys):
    made = init_repository(tmp_path / "shop")
    assert main(["validate", str(made.root / "rules")]) == 0
    assert capsys.readouterr().out.startswith("ok: ")
    engine = Engine.from_directory(made.root / "rules")  # locales/ and catalog/ found beside
    quote = engine.quote({
        "destination": {"country": "DE"}, "date": "2026-11-23", "locale": "de_DE",
        "items": [{"sku": "TEE-ORG-WHT-M", "quantity": 1,
                   "price": {"amount": "29.90", "currency": "EUR"}}]}).to_dict()
    # The title from the copied catalog's German products.po.
    assert quote["lines"][0]["title"] == "Bio-T-Shirt aus Baumwolle, Weiß, Größe M"


def test_init_into_a_folder_with_other_files_keeps_them(tmp_path):
    (tmp_path / "README.md").write_text("my shop\n", "utf-8")
    init_repository(tmp_path)
    assert (tmp_path / "README.md").read_text("utf-8") == "my shop\n"
    assert (tmp_path / "rules" / "shop.toml").is_file()


def test_init_never_overwrites_and_writes_nothing_on_a_clash(tmp_path, capsys):
    (tmp_path / "rules").mkdir()
    mine = tmp_path / "rules" / "shop.toml"
    mine.write_text("# my own shop\n", "utf-8")
    assert main(["init", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err == (f"error: {mine} already exists; nothing was written: pricing init starts a "
                   "new rules repository, choose an empty folder")
    assert mine.read_text("utf-8") == "# my own shop\n"
    assert _files(tmp_path) == {Path("rules/shop.toml")}


def test_init_counts_every_clash(tmp_path):
    first = init_repository(tmp_path / "a")
    with pytest.raises(ScaffoldError, match=rf"and {len(first.files) - 1} more\)"):
        init_repository(tmp_path / "a")


def test_init_onto_a_file_is_a_usage_error(tmp_path, capsys):
    path = tmp_path / "taken"
    path.write_text("", "utf-8")
    assert main(["init", str(path)]) == 2
    assert "is a file" in capsys.readouterr().err


def test_samples_come_from_the_source_tree_here():
    # In a checkout (or an editable install) the samples are the repository's own folders;
    # tests/test_packaging.py checks the wheel's copies.
    assert sample_dir("rules") == ROOT / "rules"
    assert sample_dir("locales") == ROOT / "locales"
