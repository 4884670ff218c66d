"""A separate process for the money concurrency and crash tests (not a test module).

    python tests/money/money_worker.py pledge   DB_URL NEED_ID USER_IDS AMOUNTS
    python tests/money/money_worker.py idem     DB_URL NEED_ID USER_ID AMOUNT KEY COUNT
    python tests/money/money_worker.py receipt  DB_URL USER_ID DONATION_IDS
    python tests/money/money_worker.py donate   DB_URL USER_ID RECIPIENT_ID NEED_ID DONOR_ID

Each job opens the database the parent test created, waits for the parent's "go" line on stdin
(so the processes really start together), runs its writes concurrently inside the process too,
and prints one JSON line with what happened. ``donate`` records and confirms donations in an
endless loop, printing a line after every commit, until it is killed.
"""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from fupin.accounts.models import User
from fupin.accounts.service import users as accounts
from fupin.core.clock import today_cn
from fupin.db import close_database, open_database
from fupin.errors import FupinError
from fupin.money.rules.caps import PledgeCaps
from fupin.money.service import donations, idempotency, pledges, receipts
from fupin.settings import Settings


async def _actor(user_id: int):  # type: ignore[no-untyped-def]
    return await accounts.actor_for(await User.get(id=user_id))


def _wait_for_go() -> None:
    print(json.dumps({"ready": True}), flush=True)
    sys.stdin.readline()


NO_CAPS = PledgeCaps(individual_fen=0, new_participant_fen=0)


async def pledge_job(need_id: int, user_ids: list[int], amounts: list[int]) -> dict[str, object]:
    actors = [await _actor(u) for u in user_ids]
    _wait_for_go()
    due = today_cn() + timedelta(days=60)  # by the need's deadline (90 days)

    async def one(index: int) -> tuple[str, int, int | None]:
        try:
            pledge = await pledges.make_pledge(
                actor=actors[index % len(actors)],
                need_id=need_id,
                amount_fen=amounts[index],
                due_date=due,
                caps=NO_CAPS,  # the race is the subject; caps: test_pledge_squatting.py
            )
            return "accepted", amounts[index], pledge.id
        except FupinError as exc:
            return exc.code, amounts[index], getattr(exc, "extra", {}).get("open_fen")

    results = await asyncio.gather(*(one(i) for i in range(len(amounts))))
    return {"results": results}


async def idem_job(
    need_id: int, user_id: int, amount: int, key: str, count: int
) -> dict[str, object]:
    actor = await _actor(user_id)
    _wait_for_go()
    due = today_cn() + timedelta(days=60)  # by the need's deadline (90 days)

    async def one() -> tuple[int, object, bool]:
        async def action() -> tuple[int, object]:
            pledge = await pledges.make_pledge(
                actor=actor, need_id=need_id, amount_fen=amount, due_date=due, caps=NO_CAPS
            )
            return 201, {"id": pledge.id}

        outcome = await idempotency.run_once(
            key=key,
            actor=actor,
            operation="pledge.create",
            payload={"need_id": need_id, "amount_fen": amount},
            action=action,
        )
        return outcome.status, outcome.body, outcome.replayed

    return {"results": await asyncio.gather(*(one() for _ in range(count)))}


async def receipt_job(user_id: int, donation_ids: list[int]) -> dict[str, object]:
    actor = await _actor(user_id)
    _wait_for_go()

    async def one(donation_id: int) -> str:
        receipt = await receipts.issue_receipt(actor=actor, donation_id=donation_id)
        return receipt.number

    return {"numbers": await asyncio.gather(*(one(d) for d in donation_ids))}


async def donate_job(user_id: int, recipient_id: int, need_id: int, donor_id: int) -> None:
    actor = await _actor(user_id)
    _wait_for_go()
    today = today_cn()
    while True:
        donation = await donations.record_donation(
            actor=actor,
            recipient_id=recipient_id,
            need_id=need_id,
            donor_id=donor_id,
            amount_fen=100,
            received_on=today,
            payment_reference="LOOP",
            confirm=True,
        )
        print(json.dumps({"confirmed": donation.id}), flush=True)


async def main(argv: list[str]) -> None:
    job, url, *args = argv
    settings = Settings(env="test", database_url=url, search_worker=False)
    await open_database(settings)
    try:
        if job == "pledge":
            result = await pledge_job(
                int(args[0]),
                [int(x) for x in args[1].split(",")],
                [int(x) for x in args[2].split(",")],
            )
        elif job == "idem":
            result = await idem_job(int(args[0]), int(args[1]), int(args[2]), args[3], int(args[4]))
        elif job == "receipt":
            result = await receipt_job(int(args[0]), [int(x) for x in args[1].split(",")])
        elif job == "donate":
            await donate_job(int(args[0]), int(args[1]), int(args[2]), int(args[3]))
            return
        else:
            raise SystemExit(f"unknown job {job}")
        print(json.dumps(result, ensure_ascii=False), flush=True)
    finally:
        await close_database()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
