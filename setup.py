"""Build hook: the wheel carries the source tree's sample data as ``pricing/_samples/``.

``rules/`` (the sample market rules), ``locales/`` (label and product translations) and
``catalog/`` (the sample product catalog) live at the top of the repository, where merchants
and translators edit them. A pip user needs them too (labels in the shopper's language,
``pricing init``), so the wheel gets a copy under ``pricing/_samples/`` made at build time:
git holds each file once. An editable install skips the copy; :mod:`pricing.resources` then
finds the source tree's own folders. Everything else is in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SAMPLES = ("rules", "locales", "catalog")  # kept in step with pricing.resources.SAMPLES


class BuildWithSamples(build_py):
    """``build_py`` that also copies the sample folders into the built package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # the source tree is on the path: nothing to copy
            return
        target = Path(self.build_lib) / "pricing" / "_samples"
        for name in SAMPLES:
            source = ROOT / name
            if not source.is_dir():
                raise SystemExit(f"error: {source} is missing; build from a full checkout or sdist")
            shutil.rmtree(target / name, ignore_errors=True)
            shutil.copytree(source, target / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*~", ".*"))


setup(cmdclass={"build_py": BuildWithSamples})
