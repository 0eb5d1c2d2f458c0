"""``pricing init DIR``: a rules repository a merchant can start from.

It holds what the package ships as samples (:mod:`pricing.resources`), ready to edit, and a
CI workflow that checks every change:

    rules/                       shop.toml, zones/, markets/: every sample market
    locales/                     products.pot and <lang>/LC_MESSAGES/products.po
    catalog/products.csv         the sample product catalog
    .github/workflows/pricing.yml  pricing validate on every push, pricing diff on every PR

The service's own labels (charge names, delivery times) are not copied: they come with the
package, so an upgrade brings new languages. A ``locales/<lang>/LC_MESSAGES/labels.po`` added
later translates them for that language instead.

Nothing is overwritten: when a file it would write exists, :func:`init_repository` raises
:class:`ScaffoldError` naming it and writes nothing.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from pricing.errors import PricingError
from pricing.resources import sample_dir

__all__ = ["WORKFLOW", "Scaffold", "ScaffoldError", "init_repository", "plan", "workflow_text"]

#: Where the CI workflow goes in the new repository.
WORKFLOW = Path(".github/workflows/pricing.yml")
_TEMPLATE = Path(__file__).resolve().parent / "templates" / "github-workflow.yml"


class ScaffoldError(PricingError, FileExistsError):
    """``pricing init`` would overwrite files; ``value`` is the first, ``field`` the folder."""

    default_message = "the folder already holds files pricing init would write"
    code = "scaffold-exists"


@dataclass(frozen=True, slots=True)
class Scaffold:
    """What :func:`init_repository` wrote: the folder and each file, relative to it."""

    root: Path
    files: tuple[Path, ...]


def _wanted(relative: Path) -> bool:
    # Product text only: the labels ship with the package (see the module docstring).
    parts = relative.parts
    return not any(p.startswith(".") or p == "__pycache__" for p in parts) and (
        parts[0] != "locales" or relative.name.startswith("products."))


def plan() -> dict[Path, Path | None]:
    """Every file of a new repository (relative path) and the sample it copies (None: the
    workflow, written from its template)."""
    files: dict[Path, Path | None] = {}
    for name in ("rules", "locales", "catalog"):
        root = sample_dir(name)
        for source in sorted(root.rglob("*")):
            relative = Path(name) / source.relative_to(root)
            if source.is_file() and _wanted(relative):
                files[relative] = source
    files[WORKFLOW] = None
    return files


def workflow_text(version: str) -> str:
    """The CI workflow, pinned to ``version`` of the package."""
    return _TEMPLATE.read_text("utf-8").replace("@VERSION@", version)


def init_repository(target: str | Path) -> Scaffold:
    """Write a new rules repository into ``target`` (created if needed; files already there
    stay, as long as none is one it would write)."""
    from pricing import __version__

    root = Path(target)
    if root.exists() and not root.is_dir():
        raise ScaffoldError(f"{root} is a file, not a folder", field=str(root), value=str(root))
    files = plan()
    clashes = [r for r in files if (root / r).exists() or (root / r).is_symlink()]
    if clashes:
        more = f" (and {len(clashes) - 1} more)" if len(clashes) > 1 else ""
        raise ScaffoldError(
            f"{root / clashes[0]} already exists{more}; nothing was written: pricing init "
            "starts a new rules repository, choose an empty folder", field=str(root),
            value=str(root / clashes[0]))
    for relative, source in files.items():
        dest = root / relative
        dest.parent.mkdir(parents=True, exist_ok=True)
        if source is None:
            dest.write_text(workflow_text(__version__), "utf-8")
        else:
            shutil.copyfile(source, dest)
    return Scaffold(root, tuple(files))
