"""`fupin demo` shows the whole commendation round and tax papers that deduct:
demo participants of which some consented, a 2021–2025 round on public notice with
nominees, one objection with the office's reply, and demo receipts of which part carry the
official numbers (as a county finance office enters them), so a demo donor's working paper
deducts something. A second run adds nothing."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from fupin.accounts.models import Participant, User
from fupin.accounts.service.reference import load_all
from fupin.commendation.models import CommendationRound, Nomination, Objection
from fupin.demo.service.accounts import load_demo_accounts
from fupin.demo.service.commendation import DEMO_ROUND_YEARS, load_demo_commendation
from fupin.demo.service.money import load_demo_money
from fupin.demo.service.needs import load_demo_needs
from fupin.money.models import Donation
from fupin.money.service import ledger_check
from fupin.tax.service import papers
from tests.conftest import TEST_SECRET
from tests.support.world import CSRF, LoggedInClient, session_cookie

pytestmark = pytest.mark.both_databases


async def test_demo_leaves_a_round_on_notice_and_papers_that_deduct(db, subset_dir) -> None:
    await load_all(subset_dir)
    result = await load_demo_accounts(db)
    await load_demo_needs(db, result, 60)
    await load_demo_money(db, result, 60)
    await load_demo_commendation(db, result, 60)

    demo = Participant.filter(is_demo=True)
    consented = await demo.filter(
        commendation_opt_in=True, commendation_consent_at__not_isnull=True
    )
    assert consented and await demo.filter(commendation_opt_in=False).exists()

    (found,) = await CommendationRound.filter(is_demo=True)
    assert (found.state, found.window_start.year, found.window_end.year) == (
        "notice",
        *DEMO_ROUND_YEARS,
    )
    nominees = await Nomination.filter(round_id=found.id, status="nominee")
    assert len(nominees) >= 2
    (objection,) = await Objection.filter(round_id=found.id)
    assert objection.state != "open" and objection.resolution
    # The paper records of 2021–2025 came in through the national office's historical import.
    old = Donation.filter(received_on__lte=date(DEMO_ROUND_YEARS[1], 12, 31), state="confirmed")
    assert await old.exists() and not await old.filter(historical=False).exists()

    with_numbers = Donation.filter(is_demo=True, state="confirmed").exclude(
        official_receipt_number=""
    )
    assert await with_numbers.exists()
    assert await Donation.filter(
        is_demo=True, state="confirmed", official_receipt_number=""
    ).exists()
    voucher = await with_numbers.filter(donor__kind="enterprise", historical=True).first()
    assert voucher is not None
    donor_id, year = voucher.donor_id, voucher.received_on.year
    years = await papers.paper_years(actor=None, participant_id=donor_id, year=year, system=True)
    paper = await papers.build_working_paper(
        actor=None,
        participant_id=donor_id,
        year=year,
        profit_fen_by_year=dict.fromkeys(years.required, 500000000),
        system=True,
    )
    assert paper.paper.total_deducted_fen > 0
    verified = await ledger_check.verify_database()
    assert verified.ok, verified.findings[:3]

    # A second run adds nothing.
    count = await Donation.all().count()
    await load_demo_commendation(db, result, 60)
    assert await CommendationRound.filter(is_demo=True).count() == 1
    assert await Donation.all().count() == count


async def test_public_notice_evidence_and_objection_form_are_there(db, subset_dir, app) -> None:
    await load_all(subset_dir)
    result = await load_demo_accounts(db)
    await load_demo_needs(db, result, 60)
    await load_demo_money(db, result, 60)
    await load_demo_commendation(db, result, 60)
    found = await CommendationRound.get(is_demo=True)
    anonymous = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
        base_url="http://testserver",
        cookies={"fupin_session": session_cookie(TEST_SECRET, {"csrf": CSRF})},
    )
    public = await anonymous.get(f"/commendation/{found.id}")
    assert public.status_code == 200
    assert 'name="nomination_id"' in public.text and 'name="content"' in public.text
    nominee = await Nomination.filter(round_id=found.id, status="nominee").first()
    assert nominee is not None and nominee.public_name in public.text
    office = LoggedInClient(
        secret=TEST_SECRET,
        user=await User.get(role="national_admin", username="admin"),
        transport=httpx.ASGITransport(app=app),  # type: ignore[arg-type]
        base_url="http://testserver",
        cookies={"fupin_session": session_cookie(TEST_SECRET, {"csrf": CSRF})},
    )
    evidence = await office.get(f"/commendation/office/{found.id}/nominations/{nominee.id}")
    assert evidence.status_code == 200 and "figures-list" in evidence.text
    await anonymous.aclose()
    await office.aclose()
