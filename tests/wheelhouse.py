"""A wheelhouse for offline installs in tests: this environment's distributions, packed again.

The tests reach no package index, and pip installs only from wheels or sources. A
distribution installed here holds exactly what its wheel unpacked: the files its RECORD
lists (outside ``bin/``, which pip writes anew from the entry points) and its ``.dist-info``
(METADATA, WHEEL with the platform tag, entry points, licences). :func:`wheelhouse` packs
those again as wheels, for the requirements given and everything they require in turn, so
``pip install --no-index --find-links DIR`` resolves a package's dependencies the way it
would from the index, with the versions this environment tested.
"""

from __future__ import annotations

import base64
import hashlib
import re
import zipfile
from collections.abc import Iterable
from importlib.metadata import Distribution, PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement

__all__ = ["closure", "repack", "wheelhouse"]

# Files pip writes at install time, not part of any wheel.
_INSTALL_ONLY = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}


def closure(requirements: Iterable[str]) -> dict[str, Distribution]:
    """The installed distributions ``requirements`` need (markers evaluated here), by name."""
    found: dict[str, Distribution] = {}
    expanded: set[tuple[str, str]] = set()  # requirement graphs have cycles
    todo = [(Requirement(r), "") for r in requirements]
    while todo:
        req, extra = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": extra}):
            continue
        key = re.sub(r"[-_.]+", "-", req.name).lower()
        if key not in found:
            try:
                found[key] = distribution(req.name)
            except PackageNotFoundError:
                raise LookupError(f"{req.name} is required but not installed here") from None
        for wanted in ("", *sorted(req.extras)):
            if (key, wanted) not in expanded:
                expanded.add((key, wanted))
                todo += [(Requirement(r), wanted) for r in found[key].requires or ()]
    return found


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"sha256={digest.decode()}"


def repack(dist: Distribution, target: Path) -> Path:
    """``dist`` packed as a wheel into ``target``; the wheel's path."""
    files = [f for f in dist.files or () if ".." not in f.parts
             and "__pycache__" not in f.parts]
    info = next(f.parent for f in files
                if f.name == "METADATA" and f.parent.name.endswith(".dist-info"))
    site = Path(str(dist.locate_file("")))
    wheel_meta = (site / info / "WHEEL").read_text("utf-8")
    # Every tag of the WHEEL file, compressed as in its name (py2.py3-none-any).
    tags = [line.split(":", 1)[1].strip().split("-") for line in wheel_meta.splitlines()
            if line.startswith("Tag:")]
    tag = "-".join(".".join(dict.fromkeys(t[i] for t in tags)) for i in range(3))
    path = target / f"{info.name.removesuffix('.dist-info')}-{tag}.whl"
    record = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as whl:
        for f in files:
            name = f.as_posix()
            if f.parent == info and f.name in _INSTALL_ONLY:
                continue
            data = (site / f).read_bytes()
            whl.writestr(name, data)
            record.append(f"{name},{_record_hash(data)},{len(data)}")
        record.append(f"{info.as_posix()}/RECORD,,")
        whl.writestr(f"{info.as_posix()}/RECORD", "\n".join(record) + "\n")
    return path


def wheelhouse(requirements: Iterable[str], target: Path) -> list[Path]:
    """Wheels of everything ``requirements`` need, as installed here, written into ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    return [repack(dist, target) for dist in closure(requirements).values()]
