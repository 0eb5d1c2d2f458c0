"""Feed files that appear whole or not at all.

Each feed is written to a hidden temporary file beside its final name and renamed over it only
when the whole run has succeeded (:meth:`FeedFiles.publish`); a run that fails, or is
interrupted, removes its temporary files (:meth:`FeedFiles.discard`) and leaves the feeds a
channel fetches as they were. A rename within one folder is atomic on POSIX and Windows, so a
channel reading a feed sees the old file or the new one, never half of either.

>>> import tempfile
>>> out = Path(tempfile.mkdtemp())
>>> files = FeedFiles(out)
>>> files.open("meta-de-de_DE.csv", "id,price\\n")
>>> files.write("meta-de-de_DE.csv", "TEE,20.99 EUR\\n")
>>> sorted(p.name for p in out.iterdir()) == [f".meta-de-de_DE.csv.{os.getpid()}.tmp"]
True
>>> [p.name for p in files.publish()]
['meta-de-de_DE.csv']
>>> (out / "meta-de-de_DE.csv").read_text()
'id,price\\nTEE,20.99 EUR\\n'
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Any

__all__ = ["FeedFiles", "write_atomic"]


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


class FeedFiles:
    """The files of one feed run, in ``folder``: written as temporaries, published together."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._open: dict[str, tuple[Path, IO[bytes]]] = {}

    def open(self, name: str, header: str) -> None:
        tmp = self.folder / f".{name}.{os.getpid()}.tmp"
        f = tmp.open("wb")
        self._open[name] = (tmp, f)
        f.write(header.encode("utf-8"))

    def write(self, name: str, text: str) -> None:
        if text:
            self._open[name][1].write(text.encode("utf-8"))

    def publish(self) -> list[Path]:
        """Flush every file to disk, then rename each over its final name."""
        for _, f in self._open.values():
            f.flush()
            os.fsync(f.fileno())
            f.close()
        done = []
        for name, (tmp, _) in self._open.items():
            final = self.folder / name
            tmp.replace(final)
            done.append(final)
        self._open.clear()
        return done

    def discard(self) -> None:
        """Close and remove every temporary file; the published feeds stay as they were."""
        for tmp, f in self._open.values():
            f.close()
            tmp.unlink(missing_ok=True)
        self._open.clear()

    def write_json(self, name: str, data: Any) -> Path:
        path = self.folder / name
        write_atomic(path, (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode())
        return path
