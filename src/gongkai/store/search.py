"""Chinese full-text search: rjieba tokens, indexed by FTS5 unicode61 (SQLite) or tsvector 'simple' (PG).

Neither back end segments Chinese, so both get the same space-joined rjieba tokens.
"""

from __future__ import annotations

import unicodedata

import rjieba
from sqlalchemy import text
from sqlalchemy.engine import Connection


def _is_word(tok: str) -> bool:
    return any(unicodedata.category(ch)[0] in "LN" for ch in tok)


def tokens(text_: str) -> list[str]:
    """Search tokens of ``text_`` (punctuation and spaces dropped)."""
    return [t for t in rjieba.cut_for_search(text_) if _is_word(t)]


def document(parts: list[str | None]) -> str:
    return " ".join(tokens("\n".join(p for p in parts if p)))


def index(conn: Connection, version_id: int, doc: str) -> None:
    if conn.dialect.name == "sqlite":
        conn.execute(
            text("INSERT INTO search_fts(rowid, tokens) VALUES (:id, :t)"), {"id": version_id, "t": doc}
        )


def index_many(conn: Connection, docs: list[tuple[int, str]]) -> None:
    """``index`` for a batch of (version id, tokens)."""
    if conn.dialect.name == "sqlite" and docs:
        conn.execute(
            text("INSERT INTO search_fts(rowid, tokens) VALUES (:id, :t)"),
            [{"id": v, "t": d} for v, d in docs],
        )


def query(conn: Connection, q: str, limit: int) -> list[int]:
    """Current version ids whose text has every token of ``q``."""
    toks = tokens(q)
    if not toks:
        return []
    if conn.dialect.name == "sqlite":
        match = " ".join('"' + t.replace('"', '""') + '"' for t in toks)
        sql = (
            "SELECT v.id FROM search_fts f JOIN report_version v ON v.id = f.rowid "
            "WHERE search_fts MATCH :m AND v.is_current ORDER BY f.rank LIMIT :n"
        )
        rows = conn.execute(text(sql), {"m": match, "n": limit})
    else:
        sql = (
            "SELECT v.id FROM search_doc s JOIN report_version v ON v.id = s.version_id, "
            "plainto_tsquery('simple', :q) q WHERE s.search_tsv @@ q AND v.is_current "
            "ORDER BY ts_rank(s.search_tsv, q) DESC, v.id LIMIT :n"
        )
        rows = conn.execute(text(sql), {"q": " ".join(toks), "n": limit})
    return [r[0] for r in rows]
