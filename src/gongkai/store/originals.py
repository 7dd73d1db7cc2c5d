"""The originals: bytes in the content-addressed folder (``files.FileStore``), listed in ``stored_file``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import insert, select

from .files import FileStore
from .models import StoredFile, utcnow

if TYPE_CHECKING:
    from . import Store

SF = StoredFile.__table__


class Originals:
    """``store.files``: keep an original (bytes first, then its row), read it back."""

    def __init__(self, store: Store, blobs: FileStore) -> None:
        self.engine = store.engine
        self.blobs = blobs
        self.root = blobs.root

    def put(self, data: bytes, name: str) -> str:
        sha = self.blobs.put(data)
        with self.engine.begin() as conn:
            if conn.execute(select(SF.c.sha256).where(SF.c.sha256 == sha)).first() is None:
                conn.execute(insert(SF).values(sha256=sha, name=name, size=len(data), created_at=utcnow()))
        return sha

    def put_many(self, files: Sequence[tuple[Path, str]]) -> set[str]:
        """Keep the originals (path, sha256 of its bytes) durably, then list them, in one transaction;
        returns the shas kept (a file changed since it was hashed is not)."""
        if not files:
            return set()
        sizes = self.blobs.put_many(files)
        with self.engine.begin() as conn:
            have = set(conn.execute(select(SF.c.sha256).where(SF.c.sha256.in_(sizes))).scalars())
            names = {sha: p.name for p, sha in files}
            rows = [
                {"sha256": sha, "name": names[sha], "size": size, "created_at": utcnow()}
                for sha, size in sizes.items()
                if sha not in have
            ]
            if rows:
                conn.execute(insert(SF), rows)
        return set(sizes)

    def get(self, sha: str) -> bytes:
        return self.blobs.get(sha)

    def path(self, sha: str) -> Path:
        return self.blobs.path(sha)

    def exists(self, sha: str) -> bool:
        return self.blobs.exists(sha)

    def name(self, sha: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(SF.c.name).where(SF.c.sha256 == sha)).scalar()
