"""The ledger head is the one row every money transaction locks, so it is taken last and held
only for the chain append (docs/architecture.md "Transactions"): the statements a money change
sends after reading the head are counted here by wrapping the database client's execute
methods (the database itself is real)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from tortoise.backends.asyncpg import client as pg
from tortoise.backends.sqlite import client as lite

from fupin import db
from fupin.core.clock import today_cn
from fupin.ledger import service as ledger_service
from fupin.money.models import Donation, PledgeEvent
from fupin.money.service import donations, ledger_check, pledges, receipts
from fupin.money.service import rollups as money_rollups
from tests.money.support import WAN, build_money, due

pytestmark = pytest.mark.both_databases


_METHODS = ("execute_query", "execute_query_dict", "execute_insert", "execute_many")
#: what the chain append writes, and the rows that record an entry's seq
_CHAIN = re.compile(
    r'^(INSERT INTO "ledger_entry"|INSERT INTO "ledger_secret"|UPDATE "ledger_head"'
    r'|SELECT .* FROM "ledger_entry" WHERE "seq">=|UPDATE "(pledge_event|donation|receipt)" '
    r'SET "ledger_seq"=|INSERT INTO "pledge_event")'
)


_GENERATION = {db.WROTE_PG, db.BUMP_GENERATION, db.BUMP_GENERATION_PG}


class Statements:
    def __init__(self) -> None:
        self.sent: list[str] = []

    def after_head(self) -> list[str]:
        """The statements after the head was read (PostgreSQL: ``FOR UPDATE``, the lock; SQLite:
        the write transaction holds the database's one write lock throughout), but for the
        data generation's, which every write transaction ends with: on PostgreSQL a read of
        the transaction's own id (the sequence moves after the commit, outside the lock), on
        SQLite one row under the write lock the whole transaction holds anyway."""
        for i, statement in enumerate(self.sent):
            if statement.lstrip().upper().startswith("SELECT") and '"ledger_head"' in statement:
                return [s for s in self.sent[i + 1 :] if s not in _GENERATION]
        return []


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> Statements:
    seen = Statements()

    def wrap(method: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def recorded(client: Any, query: str, *args: Any, **kw: Any) -> Any:
            seen.sent.append(query)
            return await method(client, query, *args, **kw)

        return recorded

    for cls in (lite.SqliteClient, pg.AsyncpgDBClient, pg.TransactionWrapper):
        for name in _METHODS:
            if name in vars(cls):
                monkeypatch.setattr(cls, name, wrap(vars(cls)[name]))
    return seen


@asynccontextmanager
async def counted(statements: Statements) -> AsyncIterator[Statements]:
    statements.sent.clear()
    yield statements


async def test_a_pledge_sends_at_most_3_statements_after_the_ledger_head(world, statements) -> None:
    m = await build_money(world)
    await pledges.make_pledge(actor=m.donor, need_id=m.need.id, amount_fen=WAN, due_date=due())
    async with counted(statements) as seen:
        pledge = await pledges.make_pledge(
            actor=m.donor, need_id=m.need.id, amount_fen=2 * WAN, due_date=due()
        )
    after = seen.after_head()
    assert len(after) <= 3, after
    assert all(_CHAIN.match(s.lstrip()) for s in after), after
    # everything else of the pledge ran before the head: the refresh included
    before = seen.sent[: len(seen.sent) - len(after)]
    assert any("rollup_need_money" in s for s in before)
    assert any('"search_outbox"' in s for s in before)
    event = await PledgeEvent.get(pledge_id=pledge.id, action="made")
    entry = await ledger_service.LedgerEntry.get(seq=event.ledger_seq)
    assert entry.subject == f"pledge:{pledge.id}"


async def test_under_the_head_money_changes_only_append_the_chain(world, statements) -> None:
    """Anonymous pledges, amendments, withdrawals, a confirmed donation with its receipt and a
    reversal: after the head only the chain (entries, their secrets, the head) and the rows
    that record an entry's seq — never a rollup, an outbox, an audit row or a need."""
    m = await build_money(world)
    # the first entry ever also creates the head row: not the case measured
    await pledges.make_pledge(actor=m.donor, need_id=m.need.id, amount_fen=WAN, due_date=due())
    seen_after: list[str] = []

    async def run(call: Callable[[], Awaitable[Any]]) -> Any:
        async with counted(statements) as seen:
            result = await call()
        seen_after.extend(seen.after_head())
        assert seen.after_head(), "the change appended nothing"
        return result

    anon = await run(
        lambda: pledges.make_pledge(
            actor=m.donor, need_id=m.need.id, amount_fen=3 * WAN, due_date=due(), anonymous=True
        )
    )
    await run(lambda: pledges.amend_pledge(actor=m.donor, pledge_id=anon.id, amount_fen=4 * WAN))
    other = await run(
        lambda: pledges.make_pledge(
            actor=m.other_donor, need_id=m.need.id, amount_fen=WAN, due_date=due()
        )
    )
    await run(lambda: pledges.withdraw_pledge(actor=m.other_donor, pledge_id=other.id, reason="x"))
    donation = await run(
        lambda: donations.record_donation(
            actor=m.officer,
            recipient_id=m.county_gov.id,
            pledge_id=anon.id,
            amount_fen=4 * WAN,
            received_on=today_cn(),
            confirm=True,
        )
    )
    receipt = await run(lambda: receipts.issue_receipt(actor=m.officer, donation_id=donation.id))
    reversal = await run(  # voids the live receipt in the same change: two entries
        lambda: donations.reverse_donation(actor=m.officer, donation_id=donation.id, reason="错账")
    )
    assert seen_after
    assert all(_CHAIN.match(s.lstrip()) for s in seen_after), [
        s for s in seen_after if not _CHAIN.match(s.lstrip())
    ]
    # the rows that name their entries were given the right seq before the commit
    confirmed = await Donation.get(id=donation.id)
    assert confirmed.ledger_seq and reversal.ledger_seq
    assert (await ledger_service.LedgerEntry.get(seq=confirmed.ledger_seq)).subject == (
        f"donation:{donation.id}"
    )
    assert receipt.ledger_seq
    assert (await ledger_check.verify_database()).ok
    assert await money_rollups.verify() == []


async def test_a_pledge_costs_the_same_few_statements_however_many_the_need_holds(
    world, statements
) -> None:
    """A pledge adds its own rollup rows (``rollups.pledge_made_row``) instead of re-reading
    every pledge and donation of the need under its lock, reads the need with its usual
    channel and the donor with its history in one statement each, and on PostgreSQL is not
    asked before the commit whether it wrote: 15 statements in all, data generation included,
    whether the need holds one pledge or forty — and one more here, the cap's read of the
    donor's unpaid promises on the need, which only a donor without a confirmed donation (or
    an individual) is subject to."""
    m = await build_money(world)
    counts = []
    for held in (1, 40):
        while await pledges.Pledge.filter(need_id=m.need.id).count() < held:
            await pledges.make_pledge(
                actor=m.donor, need_id=m.need.id, amount_fen=100, due_date=due()
            )
        async with counted(statements) as seen:
            await pledges.make_pledge(
                actor=m.donor, need_id=m.need.id, amount_fen=WAN, due_date=due()
            )
        assert not [s for s in seen.sent if re.search(r"\bFROM pledge p\b", s)], seen.sent
        assert db.WROTE_PG not in seen.sent
        cap = [s for s in seen.sent if re.search(r'FROM "pledge" WHERE "participant_id"', s)]
        assert len(cap) == 1, seen.sent
        counts.append(len(seen.sent) - len(cap))
    assert counts[0] == counts[1] <= 15, seen.sent
    assert await money_rollups.verify() == []
