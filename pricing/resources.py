"""Where the package's own data lives: sample rules, the sample catalog and translations.

The repository keeps them at its top, where merchants and translators edit them:
``rules/``, ``locales/`` (the service's labels and the sample products' text) and
``catalog/``. The wheel carries a copy of each as ``pricing/_samples/<name>`` (setup.py makes
it at build time, so git holds every file once). :func:`sample_dir` finds the copy in an
installed package, else the source tree's folder (a checkout or an editable install):

>>> sample_dir("locales").joinpath("labels.pot").is_file()
True
>>> sample_dir("rules").joinpath("shop.toml").is_file()
True
>>> sample_dir("tests")
Traceback (most recent call last):
  ...
ValueError: no sample folder 'tests'; there are: catalog, locales, rules
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["SAMPLES", "sample_dir"]

#: The sample folders a wheel carries (kept in step with setup.py).
SAMPLES = ("catalog", "locales", "rules")

_PACKAGE = Path(__file__).resolve().parent


def sample_dir(name: str) -> Path:
    """The folder of sample data ``name`` (``rules``, ``locales`` or ``catalog``).

    The installed package's own copy when there is one, else the source tree's folder.
    """
    if name not in SAMPLES:
        raise ValueError(f"no sample folder {name!r}; there are: {', '.join(SAMPLES)}")
    bundled = _PACKAGE / "_samples" / name
    if bundled.is_dir():
        return bundled
    return _PACKAGE.parent / name

