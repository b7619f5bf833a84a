"""Print the SHA-256 of a built layer directory: what two builds of one commit must share.

    python3 digest.py DIRECTORY

The digest covers each file's path (relative, sorted), whether it is executable, and its
bytes; not mtimes or owners, which a zip of the directory need not keep either (the layer's
Makefile sets every mtime to one value anyway). Standard library only: the layer's Makefile
runs it where nothing else is installed.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path


def digest(directory: Path) -> str:
    total = hashlib.sha256()
    for path in sorted(p for p in directory.rglob("*") if p.is_file() or p.is_symlink()):
        relative = path.relative_to(directory).as_posix()
        executable = os.access(path, os.X_OK)
        content = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
        total.update(f"{relative}\0{int(executable)}\0{len(content)}\0".encode())
        total.update(content)
    return total.hexdigest()


if __name__ == "__main__":
    print(digest(Path(sys.argv[1])))
