"""The archive's timestamps table: RFC 3161 tokens kept beside the mails (schema: archive.MIGRATIONS).

A mixin of Archive, so the connection and its transactions stay the archive's own."""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Stamp:
    """One RFC 3161 token as kept: over a mail's bytes or over its evidence record."""

    mail_id: int
    subject: str  # "mail" or "record"
    query: bytes
    token: bytes
    tsa_url: str
    gen_time: datetime
    chain: str


class StampStore:
    """Archive's methods for the timestamps table (Archive provides ``_db``, ``_transaction`` and ``path``)."""

    _db: sqlite3.Connection
    path: object

    def _transaction(self) -> AbstractContextManager[None]:
        raise NotImplementedError

    def unstamped(self) -> list[tuple[int, bytes, bytes]]:
        """(id, raw bytes, record JSON as stored) of every mail without a timestamp token yet."""
        rows = self._db.execute(
            "SELECT id, raw, record FROM mails WHERE id NOT IN (SELECT mail_id FROM timestamps) ORDER BY id"
        ).fetchall()
        return [(row[0], as_bytes(row[1]), str(row[2]).encode()) for row in rows]

    def stored_record(self, record_id: int) -> bytes:
        """The evidence record's JSON exactly as stored: what the 'record' token is over."""
        row = self._db.execute("SELECT record FROM mails WHERE id = ?", (record_id,)).fetchone()
        return str(row[0]).encode() if row else b""

    def add_stamps(self, stamps: list[Stamp]) -> None:
        from verifier.evidence.archive import ArchiveError  # archive.py imports this module: import when needed

        try:
            with self._transaction():
                for s in stamps:
                    self._db.execute(
                        "INSERT OR IGNORE INTO timestamps VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (s.mail_id, s.subject, s.query, s.token, s.tsa_url, s.gen_time.isoformat(), s.chain),
                    )
        except sqlite3.Error as err:
            raise ArchiveError(key="stamps_not_stored", path=self.path, why=str(err)) from None

    def stamps(self, record_id: int | None = None) -> list[Stamp]:
        where, args = (" WHERE mail_id = ?", (record_id,)) if record_id is not None else ("", ())
        columns = "mail_id, subject, query, token, tsa_url, gen_time, chain"
        rows = self._db.execute(f"SELECT {columns} FROM timestamps{where} ORDER BY mail_id, subject", args)
        when = datetime.fromisoformat
        return [Stamp(r[0], r[1], as_bytes(r[2]), as_bytes(r[3]), r[4], when(r[5]), r[6]) for r in rows]


def as_bytes(value: object) -> bytes:
    """A BLOB column read back; a tampered file may hold text there instead."""
    return value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogateescape")
