"""The pure account rules (accounts/rules.py) and the shipped list of common passwords."""

from __future__ import annotations

import pytest

from fupin.accounts import rules
from fupin.accounts.service.passwords import check_new_password, common_passwords
from fupin.errors import InvalidInput


def test_offices_create_only_roles_below_their_own() -> None:
    assert rules.may_create_role("county_officer", "village_worker")
    for peer_or_above in ("county_officer", "province_office", "national_admin", "auditor"):
        assert not rules.may_create_role("county_officer", peer_or_above)
    assert rules.may_create_role("province_office", "county_officer")
    assert not rules.may_create_role("province_office", "province_office")
    assert not rules.may_create_role("national_admin", "national_admin")
    for role in ("village_worker", "participant_member", "auditor"):
        assert rules.CREATABLE_ROLES.get(role, ()) == ()


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "too_short"),
        ("aaaaaaaaaaaa", "too_simple"),
        ("woaini1314", "common"),
        ("WoAiNi1314", "common"),  # compared in lower case
        ("1234567890", "common"),
        ("qwertyuiop", "common"),
        ("1qaz2wsx3edc", "common"),
        ("5201314520", "common"),
        ("xx-county_officer-2026", "contains_username"),
        ("XX-COUNTY_OFFICER-2026", "contains_username"),
        ("村道通了-2026-石门", None),
        ("correct horse battery", None),
    ],
)
def test_what_a_new_password_must_not_be(password: str, problem: str | None) -> None:
    assert rules.password_problem(password, "county_officer", common_passwords()) == problem


def test_the_common_password_list_has_the_common_chinese_passwords() -> None:
    common = common_passwords()
    assert len(common) >= 300
    for password in ("123456", "woaini1314", "5201314", "qq123456", "a123456", "password"):
        assert password in common
    assert all(p == p.lower() and not p.startswith("#") for p in common)


def test_a_refused_password_names_the_field_with_a_chinese_message() -> None:
    with pytest.raises(InvalidInput) as info:
        check_new_password("woaini1314", "li", field="new_password")
    assert info.value.field == "new_password" and "常见密码" in info.value.message
    assert info.value.code == "password_common"


def test_a_busy_address_is_slowed_never_refused() -> None:
    assert rules.address_delay(0, 30) == 0 and rules.address_delay(29, 30) == 0
    assert rules.address_delay(30, 30) == rules.ADDRESS_DELAY_STEP_SECONDS
    assert rules.address_delay(32, 30) == 3 * rules.ADDRESS_DELAY_STEP_SECONDS
    assert rules.address_delay(10_000, 30) == rules.ADDRESS_MAX_DELAY_SECONDS


@pytest.mark.parametrize(
    ("agent", "label"),
    [
        (
            "Mozilla/5.0 (Linux; Android 12; V2145A) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/96.0.4664.104 Mobile Safari/537.36",
            "Chrome · Android",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.30",
            "微信 · iOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/120.0 Safari/537.36 Edg/120.0",
            "Edge · Windows",
        ),
        ("python-httpx/0.28.1", "httpx"),
        ("SomeRobot/1.0", "SomeRobot/1.0"),
        ("", ""),
    ],
)
def test_browser_label(agent: str, label: str) -> None:
    assert rules.browser_label(agent) == label
