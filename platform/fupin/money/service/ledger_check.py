"""``fupin ledger verify`` on the database: the hash chain, and every money record against the
ledger entry that recorded it (docs/domain.md §3.7). It lives in money, not in ledger, because it reads the
money records; the chain itself is checked by ``fupin.ledger``."""

from __future__ import annotations

import asyncio
import dataclasses
import queue
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tortoise import connections

from fupin.ledger import rules as ledger_chain
from fupin.ledger.models import LedgerHead
from fupin.ledger.service import HEAD_ID, iter_entries, secrets_for
from fupin.money.models import Donation, Pledge, Receipt
from fupin.money.service import donations as donations_domain
from fupin.money.service import receipts as receipts_domain


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
    """What ``fupin ledger verify`` checks on the database (docs/domain.md §3.7, §5 durability):

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
        expected_state = {
            "pledge_withdrawn": "withdrawn",
            "pledge_released": "withdrawn",
            "pledge_lapsed": "lapsed",
        }.get(kind)
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
