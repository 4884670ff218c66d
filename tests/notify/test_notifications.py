"""Notifications end to end: the services' events reach the in-app inbox and, through the
outbox and a real SMTP server on loopback, the user's mailbox — once each; preferences, the
daily digest, retries with backoff and the delivery log."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fupin.core import clock
from fupin.core.clock import today_cn
from fupin.money.service import donations, pledges, receipts
from fupin.notify.adapters.smtp import SmtpMailer
from fupin.notify.models import DeliveryAttempt, Notification, NotificationDelivery
from fupin.notify.rules import MAX_ATTEMPTS, next_digest_at
from fupin.notify.service import inbox as notifications
from fupin.notify.service.outbox import drain_once
from tests.money.support import WAN, build_money
from tests.support.smtp import SmtpServer, smtp_server

pytestmark = pytest.mark.both_databases

ADDRESS = "donor@example.org"


def mailer(settings, server: SmtpServer) -> SmtpMailer:
    return SmtpMailer(
        settings.replace(
            smtp_host=server.host, smtp_port=server.port, smtp_security="none", smtp_from="f@x.org"
        )
    )


async def drain(settings, server: SmtpServer | None) -> int:
    return await drain_once(
        "test", mailer(settings, server) if server else None, base_url="https://fupin.example"
    )


async def test_money_events_reach_the_inbox_and_the_mailbox_once_each(db, world) -> None:
    m = await build_money(world)
    await notifications.save_preferences(m.donor, email=ADDRESS, daily_digest=False, channels={})
    pledge = await pledges.make_pledge(
        actor=m.donor,
        need_id=m.need.id,
        amount_fen=30 * WAN,
        due_date=today_cn() + timedelta(days=5),
    )
    # the reminder sweep: once within 7 days of the due date, however often it runs
    assert await pledges.remind_due(today=today_cn()) == 1
    assert await pledges.remind_due(today=today_cn()) == 0
    donation = await donations.record_donation(
        actor=m.officer,
        recipient_id=m.county_gov.id,
        pledge_id=pledge.id,
        amount_fen=30 * WAN,
        received_on=today_cn(),
    )
    await donations.confirm_donation(actor=m.officer, donation_id=donation.id)
    receipt = await receipts.issue_receipt(actor=m.officer, donation_id=donation.id)

    with smtp_server() as server:
        assert await drain(db, server) == 3
        assert await drain(db, server) == 0
    assert [r.to for r in server.received] == [[ADDRESS]] * 3
    subjects = [r.subject for r in server.received]
    assert subjects[0] == f"认捐将于 {pledge.due_date.isoformat()} 到期"
    assert subjects[1] == "捐赠 ¥300,000.00 已确认到账"
    assert subjects[2] == f"捐赠收据 {receipt.number} 已开具"
    assert "https://fupin.example/donations/" in server.received[1].text
    assert "https://fupin.example/me/notifications/settings" in server.received[1].text
    assert len({r.message_id for r in server.received}) == 3
    # the delivery log: one "sent" attempt each, never the address
    log = await DeliveryAttempt.all()
    assert [a.outcome for a in log] == ["sent"] * 3
    assert all("@" not in a.detail for a in log)

    page = await notifications.inbox(m.donor)
    assert page.unread == 3
    assert [i.kind for i in page.items] == ["receipt_issued", "donation_confirmed", "pledge_due"]
    await notifications.mark_read(m.donor, page.items[0].id)
    assert await notifications.unread_count(m.donor) == 2
    assert await notifications.mark_all_read(m.donor) == 2


async def test_preferences_off_in_app_and_the_daily_digest(db, world) -> None:
    m = await build_money(world)
    user_id = m.donor.user_id
    await notifications.save_preferences(
        m.donor,
        email=ADDRESS,
        daily_digest=True,
        channels={"pledge_due": "off", "need_progress": "in_app", "complaint_status": "email"},
    )
    params = {"need_title": "石门村饮水", "summary": "管道已铺设完成"}
    assert await notifications.notify("pledge_due", user_ids=[user_id], params={}) == []
    await notifications.notify("need_progress", user_ids=[user_id], params=params)
    now = clock.now()
    await notifications.notify(
        "complaint_status", user_ids=[user_id], params={"subject": "到账慢", "status": "处理中"}
    )
    await notifications.notify(
        "complaint_status", user_ids=[user_id], params={"subject": "到账慢", "status": "已办结"}
    )
    assert await Notification.filter(user_id=user_id).count() == 3
    deliveries = await NotificationDelivery.all()
    assert [d.channel for d in deliveries] == ["digest", "digest"]  # in-app kind: no e-mail
    assert all(abs(d.due_at - next_digest_at(now)) < timedelta(minutes=1) for d in deliveries)

    with smtp_server() as server:
        assert await drain(db, server) == 0  # not before the digest hour
        await NotificationDelivery.all().update(due_at=now - timedelta(seconds=1))
        assert await drain(db, server) == 2
    [digest] = server.received
    assert digest.subject == "扶贫平台每日通知：2 条"
    assert "处理中" in digest.text and "已办结" in digest.text


async def test_a_refusing_server_is_retried_with_backoff_then_given_up(db, world) -> None:
    m = await build_money(world)
    await notifications.save_preferences(m.donor, email=ADDRESS, daily_digest=False, channels={})
    for status in ("处理中", "已办结"):
        await notifications.notify(
            "complaint_status",
            user_ids=[m.donor.user_id],
            params={"subject": "x", "status": status},
        )
    first, second = await NotificationDelivery.all().order_by("id")
    with smtp_server(
        refusals=["451 4.3.0 try again later", "550 5.1.1 <donor@example.org> unknown"]
    ) as server:
        before = clock.now()
        assert await drain(db, server) == 2
        assert server.received == []
    first = await NotificationDelivery.get(id=first.id)
    second = await NotificationDelivery.get(id=second.id)
    assert (first.state, first.attempts) == ("pending", 1)  # 4xx: again after a minute
    assert timedelta(seconds=55) < first.due_at - before < timedelta(seconds=65)
    assert (second.state, second.attempts) == ("failed", 1)  # 5xx: no point trying again
    assert "<address>" in second.last_error and "@" not in second.last_error

    # the next attempt once due: sent; the log has every attempt
    await NotificationDelivery.filter(id=first.id).update(due_at=clock.now())
    with smtp_server() as server:
        assert await drain(db, server) == 1
    assert len(server.received) == 1
    outcomes = await DeliveryAttempt.filter(delivery_id=first.id).values_list("outcome", flat=True)
    assert outcomes == ["retry", "sent"]

    # a row failing MAX_ATTEMPTS times is given up
    await NotificationDelivery.filter(id=first.id).update(
        state="pending", attempts=MAX_ATTEMPTS - 1, due_at=clock.now()
    )
    with smtp_server(refusals=["421 4.7.0 closing"]) as server:
        await drain(db, server)
    assert (await NotificationDelivery.get(id=first.id)).state == "failed"


async def test_without_a_mail_server_notifications_stay_in_app(db, world) -> None:
    m = await build_money(world)
    await notifications.save_preferences(m.donor, email=ADDRESS, daily_digest=False, channels={})
    await notifications.notify(
        "complaint_status", user_ids=[m.donor.user_id], params={"subject": "x", "status": "y"}
    )
    assert await drain(db, None) == 1
    delivery = await NotificationDelivery.get()
    assert delivery.state == "skipped"
    assert await notifications.unread_count(m.donor) == 1


async def test_a_member_without_an_address_gets_the_participants_contact_address(db, world) -> None:
    m = await build_money(world)
    participant = world.participants["enterprise"]
    participant.contact_email = "office@example.org"
    await participant.save(update_fields=["contact_email"])
    await notifications.notify_participant(
        participant.id, "complaint_status", params={"subject": "x", "status": "y"}
    )
    assert [d.address for d in await NotificationDelivery.all()] == ["office@example.org"]
    # an inactive user gets nothing; a bad address is refused with the field named
    with pytest.raises(Exception) as refused:
        await notifications.save_preferences(
            m.donor, email="not an address", daily_digest=False, channels={}
        )
    assert getattr(refused.value, "field", None) == "email"
