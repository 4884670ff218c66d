"""Webhook endpoints: the signature and address rules, registration through the API and the
pages (secret shown once, rotation, audit), the refusals — a URL that is not http(s) or points
inside our network (server-side request forgery) — with nothing written, and who may manage
which endpoint."""

from __future__ import annotations

import time
from typing import Any

import pytest

from fupin.core.models import AuditLog
from fupin.errors import InvalidInput
from fupin.sharing.models import WebhookEndpoint
from fupin.sharing.rules import addresses, events, signing
from fupin.sharing.service import endpoints as webhooks
from tests.money.support import actor
from tests.support.world import CSRF

PUBLIC_URL = "https://93.184.216.34/fupin-hook"  # a public address literal: nothing resolves


def test_signatures_cover_the_timestamp_and_the_body() -> None:
    secret = signing.new_secret()
    assert secret.startswith("whsec_") and len(secret) > 40
    body = b'{"id":1,"type":"need.published"}'
    now = int(time.time())
    header = signing.signature_header(secret, now, body)
    assert header.startswith(f"t={now},v1=")
    assert signing.verify(secret, header, body, now)
    assert not signing.verify(secret, header, body + b" ", now), "tampered body"
    assert not signing.verify(signing.new_secret(), header, body, now), "another secret"
    assert not signing.verify(secret, header, body, now + 301), "stale: outside the tolerance"
    forged = header.replace(f"t={now}", f"t={now + 10}")
    assert not signing.verify(secret, forged, body, now), "the timestamp is signed too"
    assert not signing.verify(secret, "v1=abc", body, now)


@pytest.mark.parametrize(
    ("address", "loopback", "refused"),
    [
        ("93.184.216.34", False, False),
        ("2606:2800:220:1::1", False, False),
        ("127.0.0.1", False, True),
        ("127.0.0.1", True, False),
        ("::1", False, True),
        ("10.1.2.3", True, True),
        ("172.16.0.9", True, True),
        ("192.168.1.1", True, True),
        ("169.254.169.254", True, True),  # cloud metadata
        ("fe80::1", True, True),
        ("fd00::5", True, True),
        ("100.64.0.1", True, True),  # carrier-grade NAT
        ("0.0.0.0", True, True),
        ("224.0.0.1", True, True),
        ("::ffff:10.0.0.1", True, True),  # an IPv4-mapped private address
    ],
)
def test_which_addresses_may_be_called(address: str, loopback: bool, refused: bool) -> None:
    assert (addresses.address_refusal(address, allow_loopback=loopback) is not None) == refused


@pytest.mark.parametrize(
    "url",
    [
        "ftp://partner.example/hook",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "gopher://127.0.0.1:25/",
        "http://user:pw@93.184.216.34/",
        "http:///nohost",
        "https://93.184.216.34:99999/",
    ],
)
def test_only_http_urls_with_a_host(url: str) -> None:
    with pytest.raises(addresses.BadUrl):
        addresses.parse_url(url)


def test_event_filters() -> None:
    place = events.EventPlace("530000", "532627", "532627101201", "roads")
    wanted = {"event_types": ["need.published"], "place_code": "", "categories": []}
    assert events.wants("need.published", place, **wanted)
    assert not events.wants("need.funded", place, **wanted)
    for code in ("530000", "532627", "532627101201"):
        assert events.wants("need.published", place, **{**wanted, "place_code": code})
    assert not events.wants("need.published", place, **{**wanted, "place_code": "513431"})
    assert not events.wants("need.published", place, **{**wanted, "categories": ["housing"]})
    national = events.EventPlace()
    assert events.wants("need.published", national, **{**wanted, "place_code": "513431"})
    assert [events.backoff_seconds(n) for n in (1, 2, 3, 8)] == [30, 60, 120, 3840]
    assert events.backoff_seconds(30) == events.BACKOFF_CAP_SECONDS


BODY = {
    "url": PUBLIC_URL,
    "event_types": ["need.published", "need.funded"],
    "categories": ["roads"],
}
JSON_HEADERS = {"X-CSRF-Token": CSRF}


@pytest.mark.both_databases
async def test_an_office_registers_an_endpoint_and_sees_its_secret_once(
    client_as: Any, world: Any
) -> None:
    office = client_as("county_officer")
    created = await office.post(
        "/api/v1/webhooks", json={**BODY, "place_code": "532627"}, headers=JSON_HEADERS
    )
    assert created.status_code == 201, created.text
    data = created.json()
    secret = data["secret"]
    assert secret.startswith("whsec_")
    assert data["owner_kind"] == "office" and data["office_region_code"] == "532627"
    endpoint_id = data["id"]
    shown = await office.get(f"/api/v1/webhooks/{endpoint_id}")
    assert shown.status_code == 200 and "secret" not in shown.json()
    assert secret not in (await office.get("/api/v1/webhooks")).text
    assert secret not in (await office.get(f"/webhooks/{endpoint_id}")).text
    rotated = await office.post(
        f"/api/v1/webhooks/{endpoint_id}/rotate-secret", headers=JSON_HEADERS
    )
    assert rotated.status_code == 200
    assert rotated.json()["secret"] != secret
    assert (await WebhookEndpoint.get(id=endpoint_id)).secret == rotated.json()["secret"]
    changed = await office.put(
        f"/api/v1/webhooks/{endpoint_id}",
        json={**BODY, "event_types": ["need.funded"]},
        headers=JSON_HEADERS,
    )
    assert changed.status_code == 200 and changed.json()["event_types"] == ["need.funded"]
    paused = await office.post(f"/api/v1/webhooks/{endpoint_id}/pause", headers=JSON_HEADERS)
    assert paused.json()["active"] is False
    actions = await AuditLog.filter(object_type="webhook_endpoint").values_list("action", flat=True)
    assert sorted(actions) == sorted(
        ["webhook.create", "webhook.rotate_secret", "webhook.update", "webhook.pause"]
    )
    audit_text = str(await AuditLog.filter(object_type="webhook_endpoint").values())
    assert secret not in audit_text, "the secret is never written to the audit log"
    # The county's other offices manage it; another county's officer and a participant do not.
    assert (
        await client_as("province_office").get(f"/api/v1/webhooks/{endpoint_id}")
    ).status_code == 200
    for other in ("other_county_officer", "participant_member", "other_province_office"):
        assert (await client_as(other).get(f"/api/v1/webhooks/{endpoint_id}")).status_code == 403, (
            other
        )
    assert (await client_as("village_worker").get("/api/v1/webhooks")).status_code == 403
    assert (await client_as(None).get("/api/v1/webhooks")).status_code == 401
    deleted = await office.delete(f"/api/v1/webhooks/{endpoint_id}", headers=JSON_HEADERS)
    assert deleted.status_code == 204
    assert not await WebhookEndpoint.exists(id=endpoint_id)


@pytest.mark.both_databases
@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://partner.example/hook", "http"),
        ("http://10.0.0.8/hook", "内网"),
        ("http://169.254.169.254/latest/meta-data/", "链路本地"),
        ("http://[::ffff:192.168.0.1]/hook", "内网"),
        ("http://no-such-host.invalid/hook", "无法解析"),
    ],
)
async def test_a_url_that_is_not_http_or_points_inside_is_refused_and_nothing_written(
    client_as: Any, world: Any, url: str, why: str
) -> None:
    audits = await AuditLog.all().count()
    response = await client_as("participant_member").post(
        "/api/v1/webhooks", json={**BODY, "url": url}, headers=JSON_HEADERS
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == "url" and why in error["message"]
    assert await WebhookEndpoint.all().count() == 0
    assert await AuditLog.all().count() == audits


async def test_loopback_is_refused_unless_the_setting_allows_it(world: Any) -> None:
    """Production never allows it (Settings refuses the flag there: test_settings)."""
    member = await actor(world, "participant_member")
    data = webhooks.EndpointInput("http://127.0.0.1:9/hook", "", ["need.published"])
    with pytest.raises(InvalidInput) as refused:
        await webhooks.create(member, data, allow_loopback=False)
    assert refused.value.field == "url" and "回环" in refused.value.message
    with pytest.raises(InvalidInput):
        await webhooks.create(
            member,
            webhooks.EndpointInput("http://localhost:9/h", "", ["need.published"]),
            allow_loopback=False,
        )
    assert await WebhookEndpoint.all().count() == 0
    endpoint, _secret = await webhooks.create(member, data, allow_loopback=True)
    assert endpoint.owner_kind == "participant"


def test_production_refuses_loopback_webhooks() -> None:
    from fupin.settings import Settings, SettingsError

    with pytest.raises(SettingsError, match="FUPIN_WEBHOOK_ALLOW_LOOPBACK"):
        Settings.from_env(
            {
                "FUPIN_ENV": "production",
                "FUPIN_SECRET_KEY": "x7Hq2LmP9vR4tW8yB3nK6cF1dG5jS0aZ",
                "FUPIN_WEBHOOK_ALLOW_LOOPBACK": "true",
            }
        )


async def test_bad_input_is_refused_with_the_field_named(client_as: Any, world: Any) -> None:
    member = client_as("participant_member")
    for body, field in (
        ({**BODY, "event_types": []}, "event_types"),
        ({**BODY, "event_types": ["need.deleted"]}, "event_types[0]"),
        ({**BODY, "categories": ["casino"]}, "categories[0]"),
        ({**BODY, "place_code": "99"}, "place_code"),
        ({**BODY, "place_code": "53abc"}, "place_code"),
    ):
        response = await member.post("/api/v1/webhooks", json=body, headers=JSON_HEADERS)
        assert response.status_code == 422, body
        assert response.json()["error"]["field"] == field, response.json()
    assert await WebhookEndpoint.all().count() == 0


async def test_the_page_shows_the_secret_once_and_keeps_a_refused_form(
    client_as: Any, world: Any
) -> None:
    page = client_as("participant_member")
    form = {
        "csrf_token": CSRF,
        "url": PUBLIC_URL,
        "description": "企业社会责任系统",
        "event_types": ["need.published", "need.completed"],
        "categories": ["education"],
    }
    created = await page.post("/webhooks", data=form)
    assert created.status_code == 200
    endpoint = await WebhookEndpoint.get()
    assert endpoint.secret in created.text
    assert endpoint.event_types == ["need.published", "need.completed"]
    assert endpoint.categories == ["education"]
    listing = await page.get("/webhooks")
    assert PUBLIC_URL in listing.text and endpoint.secret not in listing.text
    rotated = await page.post(f"/webhooks/{endpoint.id}/rotate", data={"csrf_token": CSRF})
    fresh = await WebhookEndpoint.get(id=endpoint.id)
    assert fresh.secret != endpoint.secret and fresh.secret in rotated.text
    refused = await page.post("/webhooks", data={**form, "url": "http://192.168.0.10/hook"})
    assert refused.status_code == 422
    assert "http://192.168.0.10/hook" in refused.text and "内网" in refused.text
    assert await WebhookEndpoint.all().count() == 1


async def test_an_owner_has_at_most_so_many_endpoints(world: Any) -> None:
    member = await actor(world, "participant_member")
    data = webhooks.EndpointInput(PUBLIC_URL, "", ["need.published"])
    for _ in range(webhooks.MAX_ENDPOINTS_PER_OWNER):
        await webhooks.create(member, data, allow_loopback=False)
    from fupin.errors import Conflict

    with pytest.raises(Conflict):
        await webhooks.create(member, data, allow_loopback=False)
    other = await actor(world, "other_participant_member")
    await webhooks.create(other, data, allow_loopback=False)  # another owner's count
