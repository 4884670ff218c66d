"""One money unit of work. Every use case that changes money state runs inside
``money_change``, which gives it what it must do in the same transaction and refuses to commit
when something is missing:

* rows are locked through it, in the one order every money transaction follows — donation →
  receipt → pledge → need → receipt counter → ledger head — so two transactions never wait for
  each other in a cycle on PostgreSQL (taking a lock out of order is a programming error and
  rolls the transaction back);
* the public ledger entry (``ledger``) and the audit row (``audit``) are written through it; a
  money change that wrote neither does not commit;
* every need whose money moved (``reserve``, ``release``, ``touch``) is locked and brought up
  to date at the end: search outbox, published ↔ funded, the dashboards' rollups;
* the ledger entries are chained LAST, after all of that: the head is the one lock every money
  transaction shares, so it is held only for the chain append itself (read the head, insert the
  entries and their secrets, move the head) and the few rows that record an entry's ``seq``.

Without it each use case had to remember ``ledger.append``, ``audit.record`` and
``after_need_money_change``; now it cannot forget them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.models import Model

from fupin.core import audit as audit_log
from fupin.core import metrics, sql
from fupin.core.money import format_yuan
from fupin.core.policy import Actor
from fupin.db import transaction, wrote
from fupin.errors import NotFound, RuleViolation
from fupin.i18n import _
from fupin.ledger import service as ledger_service
from fupin.ledger.models import LedgerEntry
from fupin.money.models import Donation, Pledge, Receipt, ReceiptCounter
from fupin.money.service import rollups
from fupin.needs.models import Need
from fupin.needs.service import search_outbox
from fupin.needs.service.lifecycle import refresh_funded_state


class Lock(IntEnum):
    """The documented lock order (docs/architecture.md "Transactions")."""

    DONATION = 1
    RECEIPT = 2
    PLEDGE = 3
    NEED = 4
    RECEIPT_COUNTER = 5
    LEDGER_HEAD = 6


class LockOrderError(RuntimeError):
    """A use case took a lock after one that comes later in the order."""


@dataclass
class PendingEntry:
    """A ledger entry the change appends when it finishes, after everything else it writes:
    its ``seq`` exists only then (``row``). Rows that record the entry's number (``seq_into``,
    each with a ``ledger_seq`` column) receive it in the same transaction."""

    item: ledger_service.NewEntry
    seq_into: list[Model] = field(default_factory=list)
    row: LedgerEntry | None = None

    @property
    def kind(self) -> str:
        return self.item.kind

    @property
    def seq(self) -> int:
        if self.row is None:
            raise RuntimeError("a ledger entry has its seq only once the change is finishing")
        return self.row.seq


class MoneyChange:
    """What a money use case does inside its transaction besides writing its own rows."""

    def __init__(self, actor: Actor | None, *, writes_ledger: bool) -> None:
        self.actor = actor
        self.writes_ledger = writes_ledger
        self.entries: list[PendingEntry] = []
        self.audited = False
        self.needs: set[int] = set()
        #: needs whose row this transaction holds (PostgreSQL: an UPDATE or FOR UPDATE on it)
        self._locked_needs: set[int] = set()
        self._held = 0
        self._taken: set[Lock] = set()
        self._nothing = False
        #: the need's ``(state, target_fen, pledged_fen)`` as this transaction's money move left
        #: it (``UPDATE … RETURNING``): the funded check at the end need not read it again
        self._need_now: dict[int, tuple[str, int, int]] = {}
        #: needs whose only money change here is known row by row (a pledge made): their
        #: rollups receive these rows instead of being recomputed from every record of the need
        self._known_rows: dict[int, list[dict[str, Any]]] = {}
        #: needs this change moves in a way no known row describes: recomputed at the end
        self._recompute: set[int] = set()

    def nothing(self) -> None:
        """Under its locks the use case found nothing to do (the sweep's pledge was paid
        meanwhile): the transaction commits without writing anything."""
        self._nothing = True

    def _take(self, lock: Lock) -> None:
        """Record a lock; a lock already held may be used again at any time."""
        if lock in self._taken:
            return
        if lock < self._held:
            raise LockOrderError(f"{lock.name} locked after {Lock(self._held).name}")
        self._held = lock
        self._taken.add(lock)

    # --- locks, in order -----------------------------------------------------------------------

    async def lock_donation(self, donation_id: int) -> Donation:
        self._take(Lock.DONATION)
        donation = await Donation.filter(id=donation_id).select_for_update().first()
        if donation is None:
            raise NotFound(_("捐赠记录不存在。"), field="donation_id")
        return donation

    async def lock_receipt(self, receipt_id: int) -> Receipt:
        self._take(Lock.RECEIPT)
        receipt = await Receipt.filter(id=receipt_id).select_for_update().first()
        if receipt is None:
            raise NotFound(_("收据不存在。"), field="receipt_id")
        return receipt

    async def lock_live_receipt(self, donation_id: int) -> Receipt | None:
        self._take(Lock.RECEIPT)
        return await Receipt.filter(live_for_id=donation_id).select_for_update().first()

    async def lock_pledge(self, pledge_id: int) -> Pledge:
        self._take(Lock.PLEDGE)
        pledge = await Pledge.filter(id=pledge_id).select_for_update().first()
        if pledge is None:
            raise NotFound(_("认捐不存在。"), field="pledge_id")
        return pledge

    async def reserve(
        self,
        need_id: int,
        amount_fen: int,
        *,
        states: Sequence[str],
        field: str = "amount_fen",
        rollup_rows: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        """Raise the need's pledged amount by ``amount_fen`` if it stays within the target —
        one conditional UPDATE, atomic on both databases (no over-pledging under any number of
        concurrent pledgers); refused with the amount still open.

        ``rollup_rows``: the move's effect on the need's rollups, known row by row (a pledge
        made: ``rollups.pledge_made_row``). They are added as they are at the end instead of
        recomputing the need's rows from all its records — a read of every pledge and
        donation of the need under its lock, which grew with the need. Without them (or when
        the change moves the need in any other way too) the need is recomputed; ``fupin
        rollups verify`` and the rollup equality tests hold either way."""
        self._take(Lock.NEED)
        self.needs.add(need_id)
        if rollup_rows is None:
            self._recompute.add(need_id)
        else:
            self._known_rows.setdefault(need_id, []).extend(dict(r) for r in rollup_rows)
        marks = ", ".join("?" for _ in states)
        updated = await sql.rows(
            "UPDATE need SET pledged_fen = pledged_fen + ? "
            f"WHERE id = ? AND state IN ({marks}) AND pledged_fen <= target_fen - ? "
            "RETURNING state, target_fen, pledged_fen",
            [amount_fen, need_id, *states, amount_fen],
        )
        if updated:
            row = updated[0]
            self._locked_needs.add(need_id)  # the UPDATE holds the row until commit
            self._need_now[need_id] = (row["state"], row["target_fen"], row["pledged_fen"])
            return
        need = await Need.get_or_none(id=need_id)
        if need is None:
            raise NotFound(_("需求不存在。"), field="need_id")
        if need.state not in states:
            raise RuleViolation(
                _("该需求当前不接受认捐或到账登记（状态：%(state)s）。", state=need.state),
                code="need_not_open",
                field="need_id",
            )
        raise over_pledge_error(max(need.target_fen - need.pledged_fen, 0), field=field)

    def _moved_otherwise(self, need_id: int) -> None:
        self._recompute.add(need_id)
        self._need_now.pop(need_id, None)

    async def release(self, need_id: int, amount_fen: int) -> None:
        """Lower the need's pledged amount (a withdrawal or lapse frees it at once)."""
        self._take(Lock.NEED)
        self.needs.add(need_id)
        self._moved_otherwise(need_id)
        if amount_fen:
            await Need.filter(id=need_id).update(pledged_fen=F("pledged_fen") - amount_fen)
            self._locked_needs.add(need_id)
        else:
            await self._lock_need(need_id)

    async def add_received(self, need_id: int, amount_fen: int) -> None:
        """Money confirmed (or, negative, reversed) on the need."""
        self._take(Lock.NEED)
        self.needs.add(need_id)
        self._moved_otherwise(need_id)
        await Need.filter(id=need_id).update(received_fen=F("received_fen") + amount_fen)
        self._locked_needs.add(need_id)

    async def touch(self, need_id: int) -> None:
        """The need's money figures change without its pledged or received amount moving (a
        pledge's schedule or state): its rollups are refreshed at the end all the same, under
        the need's row lock taken now, in the lock order."""
        self._take(Lock.NEED)
        self.needs.add(need_id)
        self._moved_otherwise(need_id)
        await self._lock_need(need_id)

    async def _lock_need(self, need_id: int) -> None:
        """Hold the need's row (PostgreSQL), so one need's refresh at the end runs in one
        transaction at a time, after the others committed. SQLite's write transactions already
        run one at a time."""
        if need_id in self._locked_needs:
            return
        if sql.dialect() == "postgres":
            await Need.filter(id=need_id).select_for_update().values_list("id", flat=True)
        self._locked_needs.add(need_id)

    async def lock_receipt_counter(self, issuer_id: int, year: int) -> None:
        """Hold the issuer-year counter now, before a ledger entry is written (a re-issue voids
        the old receipt, then numbers the new one)."""
        await self._counter(issuer_id, year)

    async def next_serial(self, issuer_id: int, year: int) -> int:
        """The next receipt serial of this issuer and year, under the counter row's lock: gapless
        and unique under any number of concurrent issuers (docs/domain.md §3.6)."""
        counter = await self._counter(issuer_id, year)
        await ReceiptCounter.filter(id=counter.id).update(last_serial=F("last_serial") + 1)
        return counter.last_serial + 1

    async def _counter(self, issuer_id: int, year: int) -> ReceiptCounter:
        self._take(Lock.RECEIPT_COUNTER)
        counter = await _locked_counter(issuer_id, year)
        if counter is None:
            try:
                async with transaction():  # savepoint: a racing first issue of the year may win
                    await ReceiptCounter.create(issuer_id=issuer_id, year=year, last_serial=0)
            except IntegrityError:
                pass
            counter = await _locked_counter(issuer_id, year)
            assert counter is not None
        return counter

    # --- what every money change writes --------------------------------------------------------

    async def ledger(
        self,
        *,
        kind: str,
        subject: str,
        payload: Mapping[str, Any],
        private: Mapping[str, Any] | None = None,
        seq_into: Model | None = None,
    ) -> PendingEntry:
        """The change's public ledger entry, chained when the change finishes (entries of one
        change in the order they were made). ``seq_into``: a row with a ``ledger_seq`` column
        that must name the entry (the pledge event, the donation, the receipt); saved with it
        when not saved yet."""
        self._take(Lock.LEDGER_HEAD)
        entry = PendingEntry(
            ledger_service.NewEntry(kind, subject, payload, private or {}),
            [seq_into] if seq_into is not None else [],
        )
        self.entries.append(entry)
        return entry

    async def audit(
        self,
        *,
        action: str,
        object_type: str,
        object_id: int | str,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        await audit_log.record(
            actor=self.actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            before=before,
            after=after,
        )
        self.audited = True

    async def _finish(self) -> None:
        if self._nothing:
            return
        if self.writes_ledger and not self.entries:
            raise RuntimeError("a money change must write its public ledger entry")
        if not self.audited:
            raise RuntimeError("a money change must write its audit row")
        for need_id in sorted(self.needs):
            await after_need_money_change(
                need_id,
                need_locked=need_id in self._locked_needs,
                current=self._need_now.get(need_id),
                known_rows=None if need_id in self._recompute else self._known_rows.get(need_id),
            )
        # Last: the chain append, the only work under the lock all money transactions share.
        if not self.entries:
            return
        rows = await ledger_service.append_many([entry.item for entry in self.entries])
        for entry, row in zip(self.entries, rows, strict=True):
            entry.row = row
            for target in entry.seq_into:
                target.ledger_seq = row.seq
                if target._saved_in_db:
                    await type(target).filter(pk=target.pk).update(ledger_seq=row.seq)
                else:  # written here, with its seq: one statement, not an insert and an update
                    await target.save()


async def _locked_counter(issuer_id: int, year: int) -> ReceiptCounter | None:
    return await ReceiptCounter.filter(issuer_id=issuer_id, year=year).select_for_update().first()


@asynccontextmanager
async def money_change(
    actor: Actor | None, *, writes_ledger: bool = True
) -> AsyncIterator[MoneyChange]:
    """One money use case's transaction. ``writes_ledger=False`` for changes that are not in
    the public ledger yet (a donation recorded but not confirmed): the audit row is still owed."""
    async with transaction() as conn:
        change = MoneyChange(actor, writes_ledger=writes_ledger)
        yield change
        await change._finish()
        if not change._nothing:
            wrote(conn)
    for entry in change.entries:  # committed: count them (docs/operations.md)
        metrics.MONEY_EVENTS.labels(entry.kind).inc()


async def after_need_money_change(
    need_id: int,
    *,
    need_locked: bool = False,
    current: tuple[str, int, int] | None = None,
    known_rows: Sequence[Mapping[str, Any]] | None = None,
) -> None:
    """Queue the need for search, derive published ↔ funded (docs/domain.md §3.4: "funded" is
    derived from active pledges) and bring the dashboards' rollups in line with the need's
    records. The rollups come last so their shared rows are locked for the shortest time.
    ``need_locked``: the transaction holds the need's row already; ``current``: the row as the
    transaction left it; ``known_rows``: the change's rollup rows (``MoneyChange.reserve``)."""
    await search_outbox.enqueue(need_id)
    await refresh_funded_state(need_id, actor_label="system", current=current)
    if known_rows:
        await rollups.add_need_rows(known_rows)
    else:
        await rollups.refresh_need(need_id, need_locked=need_locked)


def over_pledge_error(open_fen: int, *, field: str = "amount_fen") -> RuleViolation:
    """The refusal a race loser gets: it names the amount still open, in fen and formatted."""
    error = RuleViolation(
        _("认捐金额超过该需求尚未认捐的金额：目前还可认捐 %(open)s。", open=format_yuan(open_fen)),
        code="over_pledge",
        field=field,
    )
    error.extra = {"open_fen": open_fen, "open": format_yuan(open_fen)}  # type: ignore[attr-defined]
    return error
