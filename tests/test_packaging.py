"""The wheel a pip user gets: built and installed offline into a fresh venv, quoting in French.

How it runs without a package index (about 30-60 s on a shared 2-core machine):

1. the sdist is built from a copy of the source tree, and the wheel from the unpacked sdist,
   as ``python -m build`` does, with this environment's setuptools (its PEP 517 hooks, no
   build isolation: isolation would download setuptools);
2. the engine's dependencies, as installed in this environment, are packed again as wheels
   (tests/wheelhouse.py), so that ``pip install --no-index --find-links`` resolves them from
   the wheel's own metadata, as it would from the index;
3. a venv without system site-packages gets the wheel and nothing else: no FastAPI, no
   Hypothesis, no source tree on its path (``python -I``, run from a temporary folder).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from decimal import Decimal
from email.parser import Parser
from pathlib import Path
from typing import Any

import pytest
from babel.numbers import format_currency
from conftest import RULES
from wheelhouse import wheelhouse

from pricing import __version__
from pricing.resources import SAMPLES

ROOT = RULES.parent
#: What a build needs from the source tree (MANIFEST.in grafts the same for the sdist).
BUILD_INPUTS = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE", "pricing",
                *SAMPLES)


def _run(*cmd: str | Path, cwd: Path, env: dict[str, str] | None = None,
         check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def _build(kind: str, src: Path, out: Path) -> tuple[Path, str]:
    """``build_sdist`` or ``build_wheel`` of the project in ``src``: the file and the log."""
    proc = _run(sys.executable, "-c", "import sys; from setuptools import build_meta as b; "
                f"print(b.build_{kind}(sys.argv[1]))", out, cwd=src)
    return out / proc.stdout.strip().splitlines()[-1], proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The wheel built from the sdist, and everything the two builds printed."""
    work = tmp_path_factory.mktemp("build")
    src = work / "src"
    src.mkdir()
    for name in BUILD_INPUTS:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, src / name,
                            ignore=shutil.ignore_patterns("__pycache__", "_samples"))
        else:
            shutil.copy(source, src / name)
    sdist, sdist_log = _build("sdist", src, work / "dist")
    with tarfile.open(sdist) as tar:
        tar.extractall(work / "unpacked", filter="data")
    (unpacked,) = (work / "unpacked").iterdir()
    wheel, wheel_log = _build("wheel", unpacked, work / "dist")
    return wheel, sdist_log + wheel_log


@pytest.fixture(scope="module")
def venv(built: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the wheel and the engine's dependencies, nothing more."""
    wheel, _ = built
    work = tmp_path_factory.mktemp("venv")
    metadata = _metadata(wheel)
    house = work / "wheels"
    wheelhouse([r for r in metadata.get_all("Requires-Dist") or () if "extra ==" not in r],
               house)
    env_dir = work / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", env_dir, cwd=work)
    python = env_dir / "bin" / "python"
    proc = _run(sys.executable, "-m", "pip", "--python", python, "install", "--isolated",
                "--no-index", "--find-links", house, "--disable-pip-version-check", wheel,
                cwd=work)
    assert "deprecat" not in (proc.stdout + proc.stderr).lower(), proc.stdout + proc.stderr
    return env_dir


def _metadata(wheel: Path) -> Any:
    with zipfile.ZipFile(wheel) as z:
        name = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        return Parser().parsestr(z.read(name).decode("utf-8"))


def _in_venv(venv: Path, *args: str, cwd: Path, check: bool = True
             ) -> subprocess.CompletedProcess[str]:
    """A command of the venv, isolated from this source tree and from our environment."""
    env = {"PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}", "LANG": "C.UTF-8",
           "HOME": str(cwd)}
    return _run(*args, cwd=cwd, env=env, check=check)


# -- the docs -----------------------------------------------------------------------------------

def test_every_install_line_in_the_docs_names_our_distribution():
    lines = [(f.relative_to(ROOT), line) for f in [ROOT / "README.md", *ROOT.glob("docs/*.md")]
             for line in f.read_text("utf-8").splitlines() if "pip install" in line]
    assert lines
    wrong = [(f, line) for f, line in lines
             if not re.search(r"pip install \S*crossborder-pricing\b", line)]
    assert not wrong, wrong


# -- the wheel ----------------------------------------------------------------------------------

def test_the_build_prints_no_deprecation_and_names_the_distribution(built):
    wheel, log = built
    assert "deprecat" not in log.lower(), log
    assert wheel.name == f"crossborder_pricing-{__version__}-py3-none-any.whl"


def test_the_metadata_says_what_a_package_index_shows(built):
    meta = _metadata(built[0])
    assert meta["Name"] == "crossborder-pricing" and meta["Version"] == __version__
    assert meta["License-Expression"] == "Apache-2.0"
    assert not [c for c in meta.get_all("Classifier") if c.startswith("License ::")]  # PEP 639
    assert "Typing :: Typed" in meta.get_all("Classifier")
    assert {u.split(",")[0] for u in meta.get_all("Project-URL")} >= {"Homepage", "Source",
                                                                      "Issues"}
    assert set(meta.get_all("Provides-Extra")) == {"service", "testing", "live-rates", "dev",
                                                   "parquet", "distributed", "mutate"}
    core = {r.split(";")[0].split("<")[0].split(">")[0].strip()
            for r in meta.get_all("Requires-Dist") if "extra ==" not in r}
    # The engine alone: no web stack, no test tools.
    assert not core & {"fastapi", "uvicorn", "orjson", "PyJWT", "prometheus-client",
                       "watchfiles", "hypothesis", "forex-python"}, core
    service = {r.split(">")[0] for r in meta.get_all("Requires-Dist") if 'extra == "service"' in r}
    assert "PyJWT" in service, service
    testing = [r for r in meta.get_all("Requires-Dist") if 'extra == "testing"' in r]
    assert [r.split(">")[0] for r in testing] == ["hypothesis"]


def test_the_wheel_carries_the_samples_and_the_data(built):
    with zipfile.ZipFile(built[0]) as z:
        names = set(z.namelist())
    for sample in SAMPLES:
        here = {p.relative_to(ROOT).as_posix() for p in (ROOT / sample).rglob("*")
                if p.is_file() and "__pycache__" not in p.parts}
        shipped = {n.removeprefix("pricing/_samples/") for n in names
                   if n.startswith(f"pricing/_samples/{sample}/")}
        assert shipped == here, sample
    assert {"pricing/py.typed", "pricing/templates/github-workflow.yml",
            "pricing/api/static/index.html"} <= names
    assert any(n.startswith("pricing/data/") for n in names)
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not any(n.startswith("tests/") or "__pycache__" in n for n in names)


# -- installed from the wheel ---------------------------------------------------------------------

QUEBEC_CART = {
    "destination": {"country": "CA", "region": "QC"}, "locale": "fr_CA", "date": "2026-11-23",
    "ship_from": "US",
    "items": [{"sku": "TEE-ORG-WHT-M", "quantity": 2, "hs_code": "610910", "origin": "PT",
               "price": {"amount": "50.00", "currency": "CAD"},
               "weight": {"value": "0.18", "unit": "kg"}}],
}

_QUOTE = """
import json, sys
import pricing
from pricing import Engine
from pricing.l10n.labels import default_locales_dir
request = json.loads(sys.argv[2])
quote = Engine.from_directory(sys.argv[1]).quote(request).to_dict()
print(json.dumps({"module": pricing.__file__, "locales": str(default_locales_dir()),
                  "quote": quote}))
"""


def test_a_pip_user_quotes_a_quebec_cart_in_french(venv, tmp_path):
    # Rules without a locales/ folder beside them: the labels can only come from the wheel.
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    proc = _in_venv(venv, str(venv / "bin" / "python"), "-I", "-c", _QUOTE, str(rules),
                    json.dumps(QUEBEC_CART), cwd=tmp_path)
    got = json.loads(proc.stdout)
    site = venv / "lib"
    assert Path(got["module"]).is_relative_to(site), got["module"]
    assert Path(got["locales"]).is_relative_to(site) and "_samples" in got["locales"]
    quote = got["quote"]
    # rules/markets/ca.toml: a 50.00 CAD price gets the .99 ending (50.99); shipped from the
    # US at 101.98 CAD of goods, the CUSMA courier regime charges taxes only (CAD 40-150,
    # CBSA); Quebec's GST is 5 % and QST 9.975 % (CRA, Revenu Québec), on the goods:
    #   GST 101.98 x 0.05 = 5.099 -> 5.10;  QST 101.98 x 0.09975 = 10.1725 -> 10.17
    #   total 101.98 + 12.99 standard shipping (band up to 0.5 kg) + 5.10 + 10.17 = 130.24
    taxes = {c["name"]: (c["label"], c["amount"]["amount"]) for c in quote["charges"]
             if c["kind"] == "tax"}
    # French names from the wheel's labels (locales/fr/LC_MESSAGES/labels.po): TPS and TVQ
    # are what Revenu Québec calls the GST and the QST.
    assert taxes == {"GST": ("TPS", "5.10"), "QST": ("TVQ", "10.17")}
    assert quote["shipping_method"]["delivery"] == "Livraison sous 5 à 10 jours"
    total = quote["totals"]["total"]
    assert total["amount"] == "130.24"
    assert total["formatted"] == format_currency(Decimal("130.24"), "CAD", locale="fr_CA")


def test_pricing_init_gives_a_repository_that_validates_and_quotes(venv, tmp_path):
    proc = _in_venv(venv, "pricing", "init", "shop", cwd=tmp_path)
    assert proc.stdout.startswith("ok: wrote ")
    shop = tmp_path / "shop"
    workflow = (shop / ".github" / "workflows" / "pricing.yml").read_text("utf-8")
    assert f'pip install "crossborder-pricing=={__version__}"' in workflow
    assert _in_venv(venv, "pricing", "validate", "shop/rules", cwd=tmp_path).stdout.startswith(
        "ok: ")
    request = tmp_path / "cart.json"
    request.write_text(json.dumps(QUEBEC_CART), "utf-8")
    quote = json.loads(_in_venv(venv, "pricing", "quote", "--rules", "shop/rules", "--format",
                                "json", str(request), cwd=tmp_path).stdout)
    # The product's French title from the scaffold's catalog (locales/fr/.../products.po).
    assert quote["lines"][0]["title"] == "T-shirt en coton bio, blanc, taille M"
    assert quote["totals"]["total"]["amount"] == "130.24"


def test_without_extras_the_service_and_testing_say_which_extra_to_install(venv, tmp_path):
    proc = _in_venv(venv, "pricing", "serve", "--rules", "nowhere", cwd=tmp_path, check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "error: pricing serve needs the 'service' extra, which is not installed (missing: "
        "fastapi, uvicorn, orjson, jwt, prometheus_client, watchfiles, fastapi_offline); "
        "install it with: "
        "pip install 'crossborder-pricing[service]'")
    proc = _in_venv(venv, str(venv / "bin" / "python"), "-I", "-c", "import pricing.testing",
                    cwd=tmp_path, check=False)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        "pricing.errors.MissingExtraError: pricing.testing needs the 'testing' extra, which is "
        "not installed (missing: hypothesis); install it with: "
        "pip install 'crossborder-pricing[testing]'")
