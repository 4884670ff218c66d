"""Appending to and reading the public ledger (BRIEF §3.7). Pure hashing is in ledger_chain.

``append`` must run inside the caller's transaction, so an event and its ledger entry commit
together or not at all (a process killed mid-write leaves neither).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import queue
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fupin.domain import ledger_chain, sql
from fupin.models.ledger import LedgerEntry, LedgerHead, LedgerSecret

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


async def wait_for_money_writers() -> None:
    """Take (or, inside a money transaction, keep) the lock every money transaction holds: the
    head row. Work that must not interleave with money transactions — the dashboards' rollups —
    calls this first; it never creates the row (a read of an empty ledger locks nothing).
    SQLite has no row locks to take: its write transactions already run one at a time."""
    if sql.dialect() != "postgres":
        return
    await LedgerHead.filter(id=HEAD_ID).select_for_update().first()


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
        prev,
        seq=head.seq + 1,
        at=at,
        kind=kind,
        subject=subject,
        payload=payload,
        private=private or {},
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
            entry=row,
            field=field,
            value_json=ledger_chain.canonical_json(secret["value"]),
            salt=secret["salt"],
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


# --- reading for the public page and the exports (issue 4) -------------------------------------


async def count_entries() -> int:
    return await LedgerEntry.all().count()


async def page_of_entries(
    *, page: int, per_page: int, kind: str | None = None
) -> tuple[list[dict[str, Any]], int]:
    """Newest first, as published (redacted fields are commitments)."""
    query = LedgerEntry.all()
    if kind:
        query = query.filter(kind=kind)
    total = await query.count()
    rows = await query.order_by("-seq").offset((page - 1) * per_page).limit(per_page)
    return [entry_dict(row) for row in rows], total


async def daily_head_hashes(limit: int = 90) -> list[tuple[str, int, str]]:
    """(UTC day, seq, hash) of the last entry of each of the latest ``limit`` days with entries
    (BRIEF §3.7: a daily head hash is shown publicly, so a later copy can be checked with it)."""
    from tortoise import connections

    conn = connections.get("default")
    rows = await conn.execute_query_dict(
        "SELECT substr(at, 1, 10) AS day, MAX(seq) AS seq FROM ledger_entry "
        "GROUP BY substr(at, 1, 10) ORDER BY day DESC LIMIT " + str(int(limit))
    )
    seqs = [int(row["seq"]) for row in rows]
    hashes = {row.seq: row.hash for row in await LedgerEntry.filter(seq__in=seqs)}
    return [(str(row["day"]), int(row["seq"]), hashes[int(row["seq"])]) for row in rows]


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


@dataclass(frozen=True)
class Finding:
    """One disagreement; ``seq`` is the ledger entry it concerns (None: a record with no entry)."""

    seq: int | None
    detail: str


@dataclass
class DatabaseVerifyResult:
    chain: ledger_chain.VerifyResult
    findings: list[Finding] = dataclasses.field(default_factory=list)
    counts: dict[str, int] = dataclasses.field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.findings

    @property
    def first_bad_seq(self) -> int | None:
        seqs = [f.seq for f in self.findings if f.seq is not None]
        if not self.chain.ok and self.chain.first_bad_seq is not None:
            seqs.append(self.chain.first_bad_seq)
        return min(seqs) if seqs else None

    def first_finding(self) -> Finding | None:
        ordered = sorted(self.findings, key=lambda f: (f.seq is None, f.seq or 0))
        return ordered[0] if ordered else None


def _opened(
    payload: Mapping[str, Any], secrets: Mapping[str, ledger_chain.FieldSecret], name: str
) -> tuple[bool, Any]:
    """The value of a payload field, opening its commitment with the stored secret if private."""
    value = payload.get(name)
    if ledger_chain.is_commitment(value):
        secret = secrets.get(name)
        if secret is None or not ledger_chain.open_commitment(
            value, secret["value"], secret["salt"]
        ):
            return False, None
        return True, secret["value"]
    return True, value


async def verify_database(batch: int = 2000) -> DatabaseVerifyResult:
    """What ``fupin ledger verify`` checks on the database (BRIEF §3.7, §5 durability):

    1. the hash chain (``ledger_chain.verify_chain``) and that the head row matches its end;
    2. every ``donation_confirmed`` / ``donation_reversed`` entry against its donation row
       (amount, need, pledge, recipient, date, kind, targeted flag, donor — opening the
       commitment of an anonymous donor), and every confirmed donation has exactly one entry;
    3. receipts against ``receipt_issued`` / ``receipt_voided`` entries;
    4. each pledge's amount and state against its latest pledge entry;
    5. each need's pledged and received amounts against the sums of the money records.

    Changing one stored ledger row fails (1) at that entry; changing a donation's amount with
    raw SQL fails (2) at that donation's entry.
    """
    from fupin.domain import donations as donations_domain
    from fupin.domain import receipts as receipts_domain
    from fupin.models.money import Donation, Pledge, Receipt

    findings: list[Finding] = []
    entries: list[dict[str, Any]] = []
    donation_seen: dict[int, int] = {}
    receipt_issued_seen: dict[int, int] = {}
    receipt_voided_seen: dict[int, int] = {}
    pledge_latest: dict[int, tuple[int, str, dict[str, Any]]] = {}
    total = 0

    async def check_batch(chunk: list[dict[str, Any]]) -> None:
        donation_ids = [
            int(e["subject"].split(":", 1)[1])
            for e in chunk
            if e["kind"] in ("donation_confirmed", "donation_reversed")
        ]
        receipt_ids = [
            int(e["subject"].split(":", 1)[1])
            for e in chunk
            if e["kind"] in ("receipt_issued", "receipt_voided")
        ]
        rows = {d.id: d for d in await Donation.filter(id__in=donation_ids)}
        receipts = {r.id: r for r in await Receipt.filter(id__in=receipt_ids)}
        secrets = await secrets_for([e["seq"] for e in chunk if e["kind"].startswith("donation_")])
        for entry in chunk:
            seq, kind, payload = entry["seq"], entry["kind"], entry["payload"]
            object_id = entry["subject"].split(":", 1)[1]
            if kind.startswith("pledge_"):
                pledge_latest[int(object_id)] = (seq, kind, payload)
                continue
            if kind in ("donation_confirmed", "donation_reversed"):
                donation_id = int(object_id)
                if donation_id in donation_seen:
                    findings.append(
                        Finding(
                            seq,
                            f"entry {seq}: donation {donation_id} already has entry {donation_seen[donation_id]}",
                        )
                    )
                    continue
                donation_seen[donation_id] = seq
                row = rows.get(donation_id)
                if row is None:
                    findings.append(
                        Finding(
                            seq, f"entry {seq}: donation {donation_id} is missing from the database"
                        )
                    )
                    continue
                expected = (
                    donations_domain.confirmed_payload(row)
                    if kind == "donation_confirmed"
                    else donations_domain.reversal_payload(row)
                )
                if row.state != "confirmed" or (kind == "donation_confirmed") != (
                    row.reverses_id is None
                ):
                    findings.append(
                        Finding(
                            seq,
                            f"entry {seq}: donation {donation_id} is in state {row.state!r}, not a confirmed {kind.removeprefix('donation_')} donation",
                        )
                    )
                    continue
                for name, value in expected.items():
                    if payload.get(name) != value:
                        findings.append(
                            Finding(
                                seq,
                                f"entry {seq} ({kind} donation:{donation_id}): {name} is {value!r} in the database but {payload.get(name)!r} in the ledger",
                            )
                        )
                        break
                else:
                    ok, donor = _opened(payload, secrets.get(seq, {}), "donor_id")
                    if not ok or donor != row.donor_id:
                        findings.append(
                            Finding(
                                seq,
                                f"entry {seq} ({kind} donation:{donation_id}): the donor does not match the ledger",
                            )
                        )
                    elif row.ledger_seq != seq:
                        findings.append(
                            Finding(
                                seq,
                                f"entry {seq}: donation {donation_id} points to ledger entry {row.ledger_seq}",
                            )
                        )
                continue
            if kind in ("receipt_issued", "receipt_voided"):
                receipt_id = int(object_id)
                seen = receipt_issued_seen if kind == "receipt_issued" else receipt_voided_seen
                if receipt_id in seen:
                    findings.append(
                        Finding(
                            seq, f"entry {seq}: receipt {receipt_id} already has a {kind} entry"
                        )
                    )
                    continue
                seen[receipt_id] = seq
                receipt = receipts.get(receipt_id)
                if receipt is None:
                    findings.append(
                        Finding(
                            seq, f"entry {seq}: receipt {receipt_id} is missing from the database"
                        )
                    )
                elif kind == "receipt_issued":
                    expected = receipts_domain.issued_payload(receipt)
                    for name, value in expected.items():
                        if payload.get(name) != value:
                            findings.append(
                                Finding(
                                    seq,
                                    f"entry {seq} (receipt:{receipt_id}): {name} is {value!r} in the database but {payload.get(name)!r} in the ledger",
                                )
                            )
                            break
                elif receipt.state != "voided" or payload.get("number") != receipt.number:
                    findings.append(
                        Finding(
                            seq,
                            f"entry {seq}: receipt {receipt_id} is voided in the ledger but not in the database",
                        )
                    )

    # One streaming pass: the chain is checked in a worker thread by the pure verifier while
    # this task reads batches and cross-checks them, so memory stays bounded on a large ledger.
    handoff: queue.Queue[list[dict[str, Any]] | None] = queue.Queue(maxsize=4)

    def pending() -> Iterator[dict[str, Any]]:
        while (chunk := handoff.get()) is not None:
            yield from chunk

    def check_chain() -> ledger_chain.VerifyResult:
        stream = pending()
        result = ledger_chain.verify_chain(stream)
        for _ in stream:  # it stops at the first bad entry: drain, so the reader never blocks
            pass
        return result

    checking = asyncio.ensure_future(asyncio.to_thread(check_chain))
    try:
        async for entry in iter_entries(batch):
            entries.append(entry)
            total += 1
            if len(entries) >= batch:
                await asyncio.to_thread(handoff.put, entries)
                await check_batch(entries)
                entries = []
        if entries:
            await asyncio.to_thread(handoff.put, entries)
            await check_batch(entries)
    finally:
        await asyncio.to_thread(handoff.put, None)
    chain = await checking
    head = await LedgerHead.get_or_none(id=HEAD_ID)
    if chain.ok and head is not None and (head.seq, head.hash) != (chain.count, chain.head_hash):
        findings.append(
            Finding(
                chain.count or None,
                f"the head row says seq {head.seq} but the ledger ends at seq {chain.count}",
            )
        )

    # Every confirmed donation has its entry; every receipt its issue (and void) entry.
    confirmed = (
        await Donation.filter(state="confirmed").order_by("id").values_list("id", "ledger_seq")
    )
    for donation_id, ledger_seq in confirmed:
        if donation_id not in donation_seen:
            findings.append(
                Finding(ledger_seq, f"donation {donation_id} is confirmed but has no ledger entry")
            )
    for receipt_id, state, ledger_seq in (
        await Receipt.all().order_by("id").values_list("id", "state", "ledger_seq")
    ):
        if receipt_id not in receipt_issued_seen:
            findings.append(
                Finding(ledger_seq, f"receipt {receipt_id} has no receipt_issued entry")
            )
        elif state == "voided" and receipt_id not in receipt_voided_seen:
            findings.append(
                Finding(
                    None,
                    f"receipt {receipt_id} is voided but the ledger has no receipt_voided entry",
                )
            )

    # Pledges: amount and state as their latest entry says.
    pledge_rows = await Pledge.all().order_by("id").values_list("id", "amount_fen", "state")
    for pledge_id, amount_fen, state in pledge_rows:
        latest = pledge_latest.get(pledge_id)
        if latest is None:
            findings.append(Finding(None, f"pledge {pledge_id} has no pledge_made entry"))
            continue
        seq, kind, payload = latest
        expected_state = {"pledge_withdrawn": "withdrawn", "pledge_lapsed": "lapsed"}.get(kind)
        if payload.get("amount_fen") != amount_fen:
            findings.append(
                Finding(
                    seq,
                    f"entry {seq} ({kind} pledge:{pledge_id}): amount_fen is {amount_fen!r} in the database but {payload.get('amount_fen')!r} in the ledger",
                )
            )
        elif expected_state is not None and state != expected_state:
            findings.append(
                Finding(
                    seq,
                    f"entry {seq} ({kind} pledge:{pledge_id}): the pledge is {state!r} in the database",
                )
            )
        elif expected_state is None and state in ("withdrawn", "lapsed"):
            findings.append(
                Finding(
                    seq,
                    f"entry {seq} ({kind} pledge:{pledge_id}): the pledge is {state!r} in the database but active in the ledger",
                )
            )

    findings.extend(await _need_total_findings())
    counts = {
        "entries": total,
        "donations": len(donation_seen),
        "receipts": len(receipt_issued_seen),
        "pledges": len(pledge_rows),
    }
    return DatabaseVerifyResult(chain=chain, findings=findings, counts=counts)


async def _need_total_findings() -> list[Finding]:
    """Need.pledged_fen = Σ committed pledges + Σ confirmed stand-alone donations, and
    Need.received_fen = Σ confirmed donations (reversals are negative): recomputed in SQL."""
    from tortoise import connections

    conn = connections.get("default")
    rows = await conn.execute_query_dict(
        """
        SELECT n.id AS id, n.pledged_fen AS pledged, n.received_fen AS received,
               COALESCE(p.committed, 0) + COALESCE(d.standalone, 0) AS expected_pledged,
               COALESCE(d.received, 0) AS expected_received
          FROM need n
          LEFT JOIN (SELECT need_id, SUM(committed_fen) AS committed FROM pledge GROUP BY need_id) p
                 ON p.need_id = n.id
          LEFT JOIN (SELECT need_id,
                            SUM(amount_fen) AS received,
                            SUM(CASE WHEN pledge_id IS NULL THEN amount_fen ELSE 0 END) AS standalone
                       FROM donation WHERE state = 'confirmed' GROUP BY need_id) d
                 ON d.need_id = n.id
         WHERE n.pledged_fen <> COALESCE(p.committed, 0) + COALESCE(d.standalone, 0)
            OR n.received_fen <> COALESCE(d.received, 0)
         ORDER BY n.id
         LIMIT 100
        """
    )
    return [
        Finding(
            None,
            f"need {row['id']}: pledged_fen {row['pledged']} / received_fen {row['received']} in the "
            f"need row, but the pledges and donations add up to {row['expected_pledged']} / "
            f"{row['expected_received']}",
        )
        for row in rows
    ]
