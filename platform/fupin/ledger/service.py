"""Appending to and reading the public ledger (docs/domain.md §3.7). Pure hashing is in ledger_chain.

``append`` must run inside the caller's transaction, so an event and its ledger entry commit
together or not at all (a process killed mid-write leaves neither).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise import connections

from fupin.core import clock
from fupin.ledger import rules as ledger_chain
from fupin.ledger.models import LedgerEntry, LedgerHead, LedgerSecret

HEAD_ID = 1


async def _locked_head() -> LedgerHead:
    head = await LedgerHead.filter(id=HEAD_ID).select_for_update().first()
    if head is None:
        await LedgerHead.get_or_create(
            id=HEAD_ID, defaults={"seq": 0, "hash": ledger_chain.GENESIS_HASH}
        )
        head = await LedgerHead.filter(id=HEAD_ID).select_for_update().first()
        assert head is not None
    return head


@dataclass(frozen=True)
class NewEntry:
    kind: str
    subject: str
    payload: Mapping[str, Any]
    #: personal data kept out of the public row, hashed into it as commitments
    private: Mapping[str, Any] = field(default_factory=dict)


async def append_many(
    entries: Sequence[NewEntry], *, now: datetime | None = None
) -> list[LedgerEntry]:
    """The one chain writer: chain ``entries`` after the locked head, in order, and write them
    (in bulk: a loader appends thousands). Call inside a transaction; the head stays locked
    until it commits, so the chain stays linear."""
    if not entries:
        return []
    head = await _locked_head()
    prev = {"seq": head.seq, "hash": head.hash, "at": head.at} if head.seq else None
    stamp = now or clock.now()
    rows: list[LedgerEntry] = []
    secrets_of: list[dict[str, Any]] = []
    for item in entries:
        at = ledger_chain.next_at(prev, stamp)
        entry, secrets = ledger_chain.make_entry(
            prev,
            seq=(prev["seq"] if prev else 0) + 1,
            at=at,
            kind=item.kind,
            subject=item.subject,
            payload=item.payload,
            private=item.private,
        )
        rows.append(
            LedgerEntry(
                seq=entry.seq,
                at=entry.at,
                kind=entry.kind,
                subject=entry.subject,
                payload_json=ledger_chain.canonical_json(entry.payload),
                prev_hash=entry.prev_hash,
                hash=entry.hash,
            )
        )
        secrets_of.append(secrets)
        prev = {"seq": entry.seq, "hash": entry.hash, "at": entry.at}
    if len(rows) == 1:
        await rows[0].save()
    else:
        await LedgerEntry.bulk_create(rows, batch_size=1000)
        rows = list(
            await LedgerEntry.filter(seq__gte=rows[0].seq, seq__lte=rows[-1].seq).order_by("seq")
        )
    secret_rows = [
        LedgerSecret(
            entry_id=row.seq,
            field=name,
            value_json=ledger_chain.canonical_json(secret["value"]),
            salt=secret["salt"],
        )
        for row, secrets in zip(rows, secrets_of, strict=True)
        for name, secret in secrets.items()
    ]
    if secret_rows:  # one statement: the head is locked meanwhile
        await LedgerSecret.bulk_create(secret_rows, batch_size=1000)
    assert prev is not None
    head.seq, head.hash, head.at = prev["seq"], prev["hash"], prev["at"]
    await head.save(update_fields=["seq", "hash", "at"])
    return rows


async def append(
    *,
    kind: str,
    subject: str,
    payload: Mapping[str, Any],
    private: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> LedgerEntry:
    """Append one entry after the current head. Call inside a transaction."""
    (row,) = await append_many([NewEntry(kind, subject, payload, private or {})], now=now)
    return row


def entry_dict(row: LedgerEntry) -> dict[str, Any]:
    """The public form of a stored row, exactly as hashed and exported."""
    return {
        "seq": row.seq,
        "at": row.at,
        "kind": row.kind,
        "subject": row.subject,
        "payload": json.loads(row.payload_json),
        "prev_hash": row.prev_hash,
        "hash": row.hash,
    }


async def iter_entries(batch: int = 5000) -> AsyncIterator[dict[str, Any]]:
    last = 0
    while True:
        rows = await LedgerEntry.filter(seq__gt=last).order_by("seq").limit(batch)
        if not rows:
            return
        for row in rows:
            yield entry_dict(row)
        last = rows[-1].seq


async def verify() -> ledger_chain.VerifyResult:
    """Verify the stored chain and that the head row agrees with the last entry."""
    entries = [e async for e in iter_entries()]
    return ledger_chain.verify_chain(entries)


# --- reading for the public page and the exports -------------------------------------


async def count_entries() -> int:
    return await LedgerEntry.all().count()


async def page_of_entries(
    *,
    page: int,
    per_page: int,
    kind: str | None = None,
    seq: int | None = None,
    subjects: list[str] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Newest first, as published (redacted fields are commitments). ``seq``: that entry only;
    ``subjects``: the entries about these objects ("need:1", "receipt:7"; none when empty)."""
    query = LedgerEntry.all()
    if kind:
        query = query.filter(kind=kind)
    if seq is not None:
        query = query.filter(seq=seq)
    if subjects is not None:
        query = query.filter(subject__in=subjects or ["-"])
    total = await query.count()
    rows = await query.order_by("-seq").offset((page - 1) * per_page).limit(per_page)
    return [entry_dict(row) for row in rows], total


async def daily_head_hashes(limit: int = 90) -> list[tuple[str, int, str]]:
    """(UTC day, seq, hash) of the last entry of each of the latest ``limit`` days with entries
    (docs/domain.md §3.7: a daily head hash is shown publicly, so a later copy can be checked with it)."""
    conn = connections.get("default")
    rows = await conn.execute_query_dict(
        "SELECT substr(at, 1, 10) AS day, MAX(seq) AS seq FROM ledger_entry "
        "GROUP BY substr(at, 1, 10) ORDER BY day DESC LIMIT " + str(int(limit))
    )
    seqs = [int(row["seq"]) for row in rows]
    hashes = {row.seq: row.hash for row in await LedgerEntry.filter(seq__in=seqs)}
    return [(str(row["day"]), int(row["seq"]), hashes[int(row["seq"])]) for row in rows]


async def entry_proof(seq: int) -> tuple[dict[str, Any], ledger_chain.EntryProof] | None:
    """One entry and the check that binds it to the published head of its UTC day (the last
    entry of that day, listed among the daily heads); None when there is no such entry."""
    row = await LedgerEntry.get_or_none(seq=seq)
    if row is None:
        return None
    day = row.at[:10]
    day_end = await LedgerEntry.filter(at__startswith=day).order_by("-seq").first()
    assert day_end is not None  # the entry itself is of that day
    previous = await LedgerEntry.get_or_none(seq=seq - 1)
    chain = await LedgerEntry.filter(seq__gte=seq, seq__lte=day_end.seq).order_by("seq")
    proof = ledger_chain.prove_entry(
        previous.hash if previous else ledger_chain.GENESIS_HASH,
        [entry_dict(r) for r in chain],
        published_head=day_end.hash,
    )
    return entry_dict(row), proof


async def iter_export(fmt: str, batch: int = 5000) -> AsyncIterator[str]:
    """The public export, streamed in the canonical byte form ``tools/verify_ledger.py`` checks."""
    if fmt not in ("jsonl", "csv"):
        raise ValueError(f"unknown ledger export format {fmt!r}")
    if fmt == "csv":
        yield ledger_chain.CSV_BOM + ledger_chain.CSV_HEADER
    chunk: list[dict[str, Any]] = []
    async for entry in iter_entries(batch):
        chunk.append(entry)
        if len(chunk) >= batch:
            yield _export_chunk(fmt, chunk)
            chunk = []
    if chunk:
        yield _export_chunk(fmt, chunk)


#: Media type of each export format (the download's Content-Type).
EXPORT_MEDIA_TYPES = {
    "jsonl": "application/x-ndjson; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
}


async def iter_export_bytes(fmt: str) -> AsyncIterator[bytes]:
    """:func:`iter_export` encoded as UTF-8, for streaming a download."""
    async for chunk in iter_export(fmt):
        yield chunk.encode("utf-8")


def _export_chunk(fmt: str, chunk: list[dict[str, Any]]) -> str:
    if fmt == "jsonl":
        return ledger_chain.dumps_jsonl(chunk)
    return ledger_chain.dumps_csv(chunk).removeprefix(
        ledger_chain.CSV_BOM + ledger_chain.CSV_HEADER
    )


async def secrets_for(seqs: list[int]) -> dict[int, dict[str, ledger_chain.FieldSecret]]:
    """The private halves of the given entries (never published; for verification and the
    donor's own view)."""
    found: dict[int, dict[str, ledger_chain.FieldSecret]] = {}
    for row in await LedgerSecret.filter(entry_id__in=seqs):
        found.setdefault(row.entry_id, {})[row.field] = {
            "value": json.loads(row.value_json),
            "salt": row.salt,
        }
    return found


# --- verifying the database: the chain AND the money records against it -------------------------
