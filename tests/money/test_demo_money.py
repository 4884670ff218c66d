"""The demo money step writes real money through the services over the needs demo: every
demo need's amounts are backed by records, the ledger verifies, and a second run adds nothing."""

from __future__ import annotations

from fupin.accounts.service.reference import load_all
from fupin.core.clock import today_cn
from fupin.demo.service.accounts import load_demo_accounts
from fupin.demo.service.money import FOUNDATION_USER, load_demo_money
from fupin.demo.service.needs import load_demo_needs
from fupin.money.models import Donation, Pledge, Receipt, RecipientOrg, RecipientQualification
from fupin.money.service import honour, ledger_check
from fupin.needs.models import Need


async def test_demo_money_backs_the_demo_needs_and_is_idempotent(db, subset_dir) -> None:
    await load_all(subset_dir)
    result = await load_demo_accounts(db)
    await load_demo_needs(db, result, 60)
    with_money = await Need.filter(is_demo=True, pledged_fen__gt=0).count()
    assert with_money >= 10
    await load_demo_money(db, result, 60)
    assert await RecipientOrg.filter(kind="government", region_id="532627").exists()
    foundation = await RecipientOrg.get(kind="qualified_org")
    assert await RecipientQualification.filter(org_id=foundation.id).count() == 2
    assert any(login.username == FOUNDATION_USER for login in result.logins)
    made = await Pledge.filter(is_demo=True).count()
    assert made >= with_money
    assert await Donation.filter(state="confirmed").exists()
    assert await Donation.filter(reverses_id__not_isnull=True).count() == 1
    assert await Receipt.exists()
    assert await Pledge.filter(anonymous=True).exists()
    assert await Pledge.filter(state="lapsed").exists()
    verified = (
        await ledger_check.verify_database()
    )  # includes every need's totals against its records
    assert verified.ok, verified.findings[:3]
    assert (await honour.honour_rate()).due_count >= 1
    # Dates that hold together: no donation before its pledge or before its need was drafted.
    for donation in await Donation.filter(pledge_id__not_isnull=True).prefetch_related(
        "pledge", "need"
    ):
        assert donation.received_on >= today_cn(donation.pledge.created_at), donation.id
        assert donation.received_on >= today_cn(donation.need.created_at), donation.id
    await load_demo_money(db, result, 60)
    assert await Pledge.filter(is_demo=True).count() == made
    # a larger demo later: the new needs are backed too
    await load_demo_needs(db, result, 90)
    await load_demo_money(db, result, 90)
    verified = await ledger_check.verify_database()
    assert verified.ok, verified.findings[:3]
