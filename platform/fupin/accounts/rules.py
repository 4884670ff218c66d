"""Pure account rules: who may create and manage which accounts, what a new password must not
be, how long tokens and links live, how logins from a busy address are slowed down, and a
readable name for a browser. No I/O (docs/security.md gives the reasons and the values)."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

MIN_PASSWORD_LENGTH = 10
#: A password needs at least this many different characters ("aaaaaaaaaa" is refused).
MIN_DISTINCT_CHARACTERS = 4

#: The roles each office may create and manage: strictly below its own level, so no office
#: makes a peer (a county officer no other county officer, a national administrator no other
#: administrator). National administrators are created by the operator (`fupin users create`).
CREATABLE_ROLES: dict[str, tuple[str, ...]] = {
    "national_admin": (
        "province_office",
        "county_officer",
        "village_worker",
        "participant_member",
        "auditor",
        "supervisor",
    ),
    "province_office": ("county_officer", "village_worker", "supervisor"),
    "county_officer": ("village_worker",),
}


def may_create_role(creator_role: str, role: str) -> bool:
    return role in CREATABLE_ROLES.get(creator_role, ())


#: API token lifetimes offered when a token is made, in days; a year unless chosen otherwise.
TOKEN_LIFETIME_DAYS = (30, 90, 365)
DEFAULT_TOKEN_DAYS = 365

#: A session's last-seen time is written at most this often (one write per minute of use, not
#: per request); the idle timeout is therefore exact to within this much.
SESSION_TOUCH_SECONDS = 60


@dataclass(frozen=True)
class LoginLimits:
    """The login limits of docs/security.md, from the settings."""

    #: failed or pending attempts on one account within the window that lock it
    max_failures: int
    window_seconds: int
    #: failed attempts from one address within the window after which its attempts are slowed
    address_failures: int


#: Slowing down a busy address: one more second per failure over its limit, at most this many.
ADDRESS_DELAY_STEP_SECONDS = 1.0
ADDRESS_MAX_DELAY_SECONDS = 10.0


def address_delay(earlier_failures: int, limit: int) -> float:
    """Seconds an attempt waits before its password is checked, given the failed (and pending)
    attempts from its address earlier in the window. Zero under the limit; the wait is never a
    refusal, so a correct password from behind a crowded NAT still gets in."""
    excess = earlier_failures - limit + 1
    if excess <= 0:
        return 0.0
    return min(ADDRESS_MAX_DELAY_SECONDS, ADDRESS_DELAY_STEP_SECONDS * excess)


def password_problem(password: str, username: str, common: Collection[str]) -> str | None:
    """Why a new password is refused, as a code, or None when it is acceptable:
    ``too_short`` (under MIN_PASSWORD_LENGTH characters), ``too_simple`` (fewer than
    MIN_DISTINCT_CHARACTERS different characters), ``common`` (on the list of common passwords,
    compared in lower case), ``contains_username``."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return "too_short"
    if len(set(password)) < MIN_DISTINCT_CHARACTERS:
        return "too_simple"
    lowered = password.lower()
    if lowered in common:
        return "common"
    if username and username.lower() in lowered:
        return "contains_username"
    return None


_BROWSERS = (
    ("MicroMessenger", "微信"),
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
    ("python-httpx", "httpx"),
)
_SYSTEMS = (
    ("HarmonyOS", "HarmonyOS"),
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)
_WORD = re.compile(r"[\w./-]+")


def browser_label(user_agent: str) -> str:
    """A short name for the browser and system of a User-Agent ("Chrome · Android"), or the
    agent's first word when it is none of the common ones; empty when there is none."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), "")
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), "")
    if not browser and not system:
        first = _WORD.search(user_agent)
        return first.group(0)[:40] if first else ""
    return " · ".join(part for part in (browser, system) if part)
