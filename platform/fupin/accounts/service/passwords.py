"""Passwords: Argon2id hashing off the event loop, and what a new password must not be.

Argon2id is memory-hard and deliberately slow (tens of milliseconds of CPU); run on the event
loop, ten concurrent logins stalled every other request for seconds. The ``*_async`` functions
run it in a worker thread (argon2-cffi releases the GIL while hashing)."""

from __future__ import annotations

import asyncio
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from fupin.accounts.rules import MIN_PASSWORD_LENGTH, password_problem
from fupin.errors import InvalidInput
from fupin.i18n import _

#: Argon2id with the library's RFC 9106 "low memory" profile (64 MiB, 3 passes): memory-hard.
_hasher = PasswordHasher()
#: The list of common passwords shipped with the package (its sources are in its header).
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parents[1] / "common_passwords.txt"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@cache
def _dummy_hash() -> str:
    """A hash of nothing anybody knows, verified when there is no usable hash (an unknown user
    name, a deactivated account, one without a password yet), so those answers take as long as
    a wrong password and do not tell which names exist."""
    return _hasher.hash("no such account: the time of a wrong password")


def usable_hash(password_hash: str | None) -> bool:
    return bool(password_hash) and str(password_hash).startswith("$argon2")


def check_against(password_hash: str | None, password: str) -> bool:
    """Verify, always paying one Argon2 verification: against the dummy when the hash is not
    usable (and then the answer is False)."""
    if not usable_hash(password_hash):
        verify_password(_dummy_hash(), password)
        return False
    return verify_password(str(password_hash), password)


async def hash_password_async(password: str) -> str:
    return await asyncio.to_thread(hash_password, password)


async def check_against_async(password_hash: str | None, password: str) -> bool:
    return await asyncio.to_thread(check_against, password_hash, password)


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().lower() for line in lines if line.strip() and not line.startswith("#")
    )


def check_new_password(password: str, username: str, *, field: str = "password") -> None:
    """Refuse a new password that is too short, too simple, common, or contains the user name
    (InvalidInput naming ``field``)."""
    problem = password_problem(password or "", username or "", common_passwords())
    if problem is None:
        return
    messages = {
        "too_short": _("密码至少 %(n)d 位。", n=MIN_PASSWORD_LENGTH),
        "too_simple": _("密码过于简单：请使用更多不同的字符。"),
        "common": _("这是常见密码，很容易被猜到，请换一个。"),
        "contains_username": _("密码不能包含用户名。"),
    }
    raise InvalidInput(messages[problem], field=field, code=f"password_{problem}")
