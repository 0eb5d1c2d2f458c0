"""The optional parts of the package ("extras"), and a clear error when one is missing.

The distribution on the package index is ``crossborder-pricing`` (the import name is
``pricing``). Installed alone it is the engine: rules, quotes, rates, labels and the command
line. Each extra adds what one role needs:

``service``     ``pricing serve``: FastAPI, uvicorn, orjson, PyJWT, prometheus-client,
                watchfiles, fastapi-offline (the /docs and /redoc assets)
``testing``     :mod:`pricing.testing` for a checkout's own property tests: Hypothesis
``live-rates``  live exchange rates from forex-python
``dev``         everything ``make test`` needs (see pyproject.toml)

>>> install_hint("service")
"pip install 'crossborder-pricing[service]'"
>>> require("testing", feature="pricing.testing")   # installed here, so nothing happens
>>> require("colour", feature="paint")
Traceback (most recent call last):
  ...
ValueError: no extra 'colour'; there are: live-rates, service, testing
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib.util import find_spec

from pricing.errors import MissingExtraError

__all__ = ["DISTRIBUTION", "EXTRAS", "install_hint", "missing", "missing_extra", "require"]

#: The package's name on the package index; ``pricing`` there is somebody else's project.
DISTRIBUTION = "crossborder-pricing"

#: The modules each extra brings, as imported (kept in step with pyproject.toml).
EXTRAS: Mapping[str, tuple[str, ...]] = {
    "live-rates": ("forex_python",),
    "service": ("fastapi", "uvicorn", "orjson", "jwt", "prometheus_client", "watchfiles",
                "fastapi_offline"),
    "testing": ("hypothesis",),
}


def install_hint(extra: str | None = None) -> str:
    """The pip command that installs the package, with ``extra`` when given."""
    return f"pip install '{DISTRIBUTION}[{extra}]'" if extra else f"pip install {DISTRIBUTION}"


def missing(extra: str) -> tuple[str, ...]:
    """The modules of ``extra`` that cannot be imported here."""
    if extra not in EXTRAS:
        raise ValueError(f"no extra {extra!r}; there are: {', '.join(sorted(EXTRAS))}")
    return tuple(m for m in EXTRAS[extra] if find_spec(m) is None)


def missing_extra(extra: str, *, feature: str) -> MissingExtraError | None:
    """The :class:`MissingExtraError` to raise when ``feature`` cannot work here, else None."""
    absent = missing(extra)
    if not absent:
        return None
    hint = install_hint(extra)
    return MissingExtraError(
        f"{feature} needs the {extra!r} extra, which is not installed (missing: "
        f"{', '.join(absent)}); install it with: {hint}",
        field=extra, value=", ".join(absent), expected=hint)


def require(extra: str, *, feature: str) -> None:
    """Raise :class:`MissingExtraError` naming ``extra`` when ``feature`` cannot work here."""
    error = missing_extra(extra, feature=feature)
    if error is not None:
        raise error
