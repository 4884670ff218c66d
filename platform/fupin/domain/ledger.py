"""Appending to and reading the public ledger (BRIEF §3.7). Pure hashing is in ledger_chain.

``append`` must run inside the caller's transaction, so an event and its ledger entry commit
together or not at all (a process killed mid-write leaves neither).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Any

from fupin.domain import ledger_chain
from fupin.models.ledger import LedgerEntry, LedgerHead, LedgerSecret

HEAD_ID = 1


async def _locked_head() -> LedgerHead:
    head = await LedgerHead.filter(id=HEAD_ID).select_for_update().first()
    if head is None:
        await LedgerHead.get_or_create(id=HEAD_ID, defaults={"seq": 0, "hash": ledger_chain.GENESIS_HASH})
        head = await LedgerHead.filter(id=HEAD_ID).select_for_update().first()
        assert head is not None
    return head


async def append(
    *,
    kind: str,
    subject: str,
    payload: Mapping[str, Any],
    private: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> LedgerEntry:
    """Append one entry after the current head. Call inside a transaction."""
    head = await _locked_head()
    prev = None
    if head.seq:
        prev = {"seq": head.seq, "hash": head.hash, "at": head.at}
    at = ledger_chain.next_at(prev, now or datetime.now(UTC))
    entry, secrets = ledger_chain.make_entry(
        prev, seq=head.seq + 1, at=at, kind=kind, subject=subject, payload=payload, private=private or {}
    )
    row = await LedgerEntry.create(
        seq=entry.seq,
        at=entry.at,
        kind=entry.kind,
        subject=entry.subject,
        payload_json=ledger_chain.canonical_json(entry.payload),
        prev_hash=entry.prev_hash,
        hash=entry.hash,
    )
    for field, secret in secrets.items():
        await LedgerSecret.create(
            entry=row, field=field, value_json=ledger_chain.canonical_json(secret["value"]), salt=secret["salt"]
        )
    head.seq, head.hash, head.at = entry.seq, entry.hash, entry.at
    await head.save(update_fields=["seq", "hash", "at"])
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
