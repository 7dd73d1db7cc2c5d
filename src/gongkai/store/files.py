"""Content-addressed file store: originals kept as ``<root>/ab/<sha256>``."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


class FileStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, sha: str) -> Path:
        return self.root / sha[:2] / sha

    def exists(self, sha: str) -> bool:
        return self.path(sha).exists()

    def put(self, data: bytes) -> str:
        """Store ``data``; idempotent. Written to a temp file then renamed, so readers never see half."""
        sha = hashlib.sha256(data).hexdigest()
        dest = self.path(sha)
        if dest.exists():
            return sha
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha

    def put_many(self, files: Sequence[tuple[Path, str]], threads: int = 16) -> dict[str, int]:
        """Copy files whose SHA-256 the caller computed; returns {sha: size} of those stored (a file
        whose bytes no longer match its sha, changed since, is left out). Durable on return: the
        fsyncs run in parallel threads, which the file system commits together (one fsync at a time
        costs ~1.3 ms a file here, 16 at a time ~0.2 ms)."""

        def one(item: tuple[Path, str]) -> tuple[str, int] | None:
            src, sha = item
            dest = self.path(sha)
            if dest.exists():
                return sha, dest.stat().st_size
            data = src.read_bytes()
            if hashlib.sha256(data).hexdigest() != sha:
                return None
            self.put(data)
            return sha, len(data)

        with ThreadPoolExecutor(min(threads, len(files)) or 1) as pool:
            return dict(r for r in pool.map(one, files) if r is not None)

    def get(self, sha: str) -> bytes:
        return self.path(sha).read_bytes()
