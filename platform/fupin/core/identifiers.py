"""Identifier validation, masking and hashing (docs/rules.md §4, docs/domain.md §3.2).

Two identifiers reach Fupin: the Unified Social Credit Code of an organisation (USCC, GB 32100-2015)
and the resident ID number of an individual (GB 11643-1999). Both are checked here as pure
functions; callers (forms, API, importers) turn :class:`IdentifierError` into a message naming the
field.

Why we do not call python-stdnum's ``validate`` (docs/rules.md §4.3):

* ``stdnum.cn.uscc.validate`` requires the first eight characters to be digits, so it rejects
  correctly check-summed codes of army units (``A1…``), rural collective economic organisations
  (``N1…``/``N2…``/``N3…``, our villages) and others (``Y1…``). We keep its check-character
  function and do the format check ourselves.
* ``stdnum.cn.ric.validate`` rejects a number whose address code is unknown to its table or was
  created after the birth year. The address code is the county where the number was *assigned*, so
  late registrations carry newer counties; that must not refuse a genuine number. We only warn.

A resident ID number is personal data that is never shown in full again once stored
(docs/domain.md §3.2): every surface shows :func:`mask_resident_id`, and the database keeps a keyed hash
(:func:`hash_resident_id`) for duplicate matching next to whatever encrypted copy the receipt needs.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from typing import Literal

from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from fupin.core.clock import today_cn
from fupin.i18n import _

#: The 31 characters of GB 32100-2015: 0-9 and A-Z without I, O, S, V, Z (docs/rules.md §4.1).
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

#: Position 1, the registration authority: 1-9, A (军委改革和编制办公室), N (农业), Y (other).
USCC_AUTHORITIES = frozenset("123456789ANY")

_USCC_SHAPE = re.compile(
    r"[1-9ANY][0-9][0-9]{6}[" + USCC_ALPHABET + r"]{10}",
    re.ASCII,
)
_RESIDENT_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]", re.ASCII)

#: GB 11714 organisation code: weights of its 8 body characters; check = 11 - (sum mod 11).
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

#: Earliest birth year we accept: no living person (nor a plausible typo) is older (docs/rules.md §4.2).
EARLIEST_BIRTH_YEAR = 1900

#: Chinese input methods often produce full-width digits and letters (１１０…Ｘ); map them to ASCII
#: so a number typed on a phone is not refused for its width.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FULL_WIDTH[0x3000] = 0x20  # ideographic space


class IdentifierError(ValueError):
    """An identifier failed validation.

    ``field`` names the form/API field so the edge can show "统一社会信用代码: …"; ``code`` is a
    stable machine-readable reason (``uscc_length``, ``resident_id_check`` …) for the API and tests;
    the message is already translated.
    """

    def __init__(self, field: str, message: str, *, code: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass(frozen=True)
class IdentifierWarning:
    """Something worth telling a reviewer about an identifier that is nevertheless accepted."""

    code: str
    message: str


@dataclass(frozen=True)
class ParsedId:
    """A validated resident ID number and what it says about its holder."""

    number: str
    address_code: str
    birth_date: datetime.date
    sex: Literal["male", "female"]
    warnings: tuple[IdentifierWarning, ...] = field(default=())


def _normalise(value: str) -> str:
    return value.translate(_FULL_WIDTH).strip().upper()


# --- Unified Social Credit Code ------------------------------------------------------------------


def validate_uscc(value: str, *, field: str = "uscc") -> str:
    """Return the normalised USCC (stripped, upper case) or raise :class:`IdentifierError`.

    Format (docs/rules.md §4.1): position 1 ∈ {1-9, A, N, Y}; position 2 a digit (A1 army public
    institutions, N1/N2/N3 rural collectives and Y1 are all "letter + digit"); positions 3-8 the
    GB/T 2260 division code; positions 9-18 from the 31-character set; position 18 the check
    character C18 = (31 - Σ vᵢwᵢ mod 31) mod 31, computed by python-stdnum.

    Position 2 is only required to be a digit, not one of the entity types docs/rules.md lists: each
    registration authority assigns its own types, we have no complete current list, and refusing a
    genuine code is worse than accepting an unlisted type whose check character is right.
    """
    code = _normalise(value)
    if len(code) != 18:
        raise IdentifierError(
            field,
            _("统一社会信用代码应为18位，当前为%(length)d位", length=len(code)),
            code="uscc_length",
        )
    if any(char not in USCC_ALPHABET for char in code):
        raise IdentifierError(
            field,
            _("统一社会信用代码只能包含数字和除I、O、S、V、Z以外的大写字母"),
            code="uscc_charset",
        )
    if not _USCC_SHAPE.fullmatch(code):
        raise IdentifierError(
            field,
            _("统一社会信用代码格式不正确：第1位应为1-9、A、N或Y，第2至8位应为数字"),
            code="uscc_format",
        )
    if code[17] != uscc.calc_check_digit(code[:17]):
        raise IdentifierError(
            field,
            _("统一社会信用代码校验位不正确，请核对后重新输入"),
            code="uscc_check",
        )
    return code


def organisation_code_check_char(body: str) -> str:
    """GB 11714 check character of an 8-character organisation-code body (10 → X, 11 → 0).

    Letters take their position in the full Latin alphabet (A=10 … Z=35), as in GB 11714 itself.
    """
    total = sum(
        int(char, 36) * weight for char, weight in zip(body, _ORG_CODE_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def uscc_warnings(code: str) -> list[IdentifierWarning]:
    """Soft checks on an already validated USCC; never a reason to refuse it.

    Positions 9-17 are meant to be the old GB 11714 organisation code with its own check character.
    Whether that holds for every code issued since 2015 is unverified (docs/rules.md §4.1), so a mismatch
    is only shown to the reviewer.
    """
    code = _normalise(code)
    org_code = code[8:17]
    if organisation_code_check_char(org_code[:8]) != org_code[8]:
        return [
            IdentifierWarning(
                code="uscc_org_code_check",
                message=_(
                    "统一社会信用代码第9至17位（组织机构代码）的校验位不符，"
                    "请核对营业执照或登记证书"
                ),
            )
        ]
    return []


# --- Resident ID number --------------------------------------------------------------------------


def _resident_id_check_char(body: str) -> str:
    # ISO 7064 MOD 11-2 (docs/rules.md §4.2). stdnum's function ignores the last character it is given,
    # so the 17-character body gets a placeholder check character.
    return ric.calc_check_digit(body + "?")


def validate_resident_id(
    value: str,
    *,
    today: datetime.date | None = None,
    field: str = "resident_id",
) -> ParsedId:
    """Validate an 18-character resident ID number (GB 11643-1999) and parse it.

    Hard checks: 17 digits + a check character (lower-case x accepted), ISO 7064 MOD 11-2 check,
    a birth date that exists, is not after ``today`` and not before 1900. An address code python-
    stdnum does not know, or one created after the birth year, is a warning only (docs/rules.md §4.3):
    late registrations are assigned in counties newer than the holder. 15-digit first-generation
    numbers are out of scope and refused by length.
    """
    number = _normalise(value)
    if len(number) != 18:
        raise IdentifierError(
            field,
            _("身份证号码应为18位，当前为%(length)d位", length=len(number)),
            code="resident_id_length",
        )
    if not _RESIDENT_ID_SHAPE.fullmatch(number):
        raise IdentifierError(
            field,
            _("身份证号码前17位应为数字，最后一位为数字或X"),
            code="resident_id_charset",
        )
    try:
        birth_date = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdentifierError(
            field,
            _("身份证号码中的出生日期不存在"),
            code="resident_id_birth_date",
        ) from None
    if birth_date > (today or today_cn()):
        raise IdentifierError(
            field,
            _("身份证号码中的出生日期晚于今天"),
            code="resident_id_birth_future",
        )
    if birth_date.year < EARLIEST_BIRTH_YEAR:
        raise IdentifierError(
            field,
            _("身份证号码中的出生日期早于1900年"),
            code="resident_id_birth_too_old",
        )
    if number[17] != _resident_id_check_char(number[:17]):
        raise IdentifierError(
            field,
            _("身份证号码校验位不正确，请核对后重新输入"),
            code="resident_id_check",
        )
    return ParsedId(
        number=number,
        address_code=number[:6],
        birth_date=birth_date,
        sex="male" if int(number[16]) % 2 else "female",
        warnings=tuple(_address_warnings(number)),
    )


def _address_warnings(number: str) -> list[IdentifierWarning]:
    # python-stdnum raises KeyError (not a ValidationError) for a prefecture-level code such as
    # 110001 that has no county entry; found by the property test.
    try:
        ric.get_birth_place(number)
    except (ValidationError, KeyError, ValueError):
        return [
            IdentifierWarning(
                code="resident_id_address",
                message=_(
                    "身份证号码前6位地址码未能在行政区划表中找到，"
                    "或该区划设立晚于出生年份（补录户籍可能如此），请人工核对"
                ),
            )
        ]
    return []


#: How many leading and trailing characters a masked resident ID number keeps.
ID_MASK_KEEP_START = 3
ID_MASK_KEEP_END = 4


def mask_resident_id(value: str) -> str:
    """The only form in which a resident ID number is ever displayed: ``110***********002X``.

    Kept: the first 3 characters (province and the first digit of the prefecture, far too coarse to
    locate anyone) and the last 4 (sequence number and check character: what a person reads to
    recognise their own number on a receipt, like the last 4 digits of a bank card). Hidden: the
    county (digits 4-6) and the whole birth date, the two parts that identify a person when
    combined with a village and a masked name on a public page. The length stays 18 so the reader
    sees a full number was recorded. Anything not shaped like an ID number is masked completely, so
    a malformed stored value can never leak through this function.
    """
    number = _normalise(value)
    if not _RESIDENT_ID_SHAPE.fullmatch(number):
        return "*" * 18
    hidden = 18 - ID_MASK_KEEP_START - ID_MASK_KEEP_END
    return number[:ID_MASK_KEEP_START] + "*" * hidden + number[-ID_MASK_KEEP_END:]


def hash_resident_id(value: str, *, pepper: str) -> str:
    """Keyed hash of a resident ID number, for duplicate matching without storing the number.

    HMAC-SHA256 keyed with a server-side secret (the pepper, kept in the environment, never in the
    database). A plain hash would not do: there are only about 10^11 plausible numbers (address
    codes × dates × sequences), so an unkeyed SHA-256 is reversed by enumeration in hours; without
    the pepper the stored digest is useless to whoever copies the database. The number is normalised
    first so ``…002x`` and ``…002X`` match. Returns 64 lowercase hex digits. Changing the pepper
    changes every digest, so rotating it needs a re-hash from the encrypted originals.
    """
    if not pepper:
        raise ValueError("hash_resident_id needs a non-empty pepper (server secret)")
    number = _normalise(value)
    return hmac.new(pepper.encode(), number.encode(), hashlib.sha256).hexdigest()


def hash_client_address(address: str, *, pepper: str) -> str:
    """Keyed hash of a sender's network address, so a public form can count one sender's
    submissions without storing the address (there are few enough IPv4 addresses that an unkeyed
    hash would be reversed by enumeration). Empty address, empty result."""
    if not address:
        return ""
    return hmac.new(
        pepper.encode(), b"client-address:" + address.encode(), hashlib.sha256
    ).hexdigest()


#: Most stars a masked name shows, so long names do not reveal their length.
NAME_MASK_MAX_STARS = 3


def mask_name(name: str) -> str:
    """An individual's name as shown on public pages: first character, then one ``*`` per hidden
    character, at most three (张三 → 张*, 王小明 → 王**, 欧阳娜娜 → 欧***).

    Only the first character is kept, even for compound surnames (欧阳, 司马, 诸葛…): a rare
    compound surname next to a village name narrows a donor down far more than a common
    one-character surname, and the rule needs no surname list that would always be incomplete.
    The same rule covers names with a middle dot (阿卜杜拉·买买提 → 阿***) and Latin letters.
    A one-character name shows only ``*``. Organisations are not masked (docs/domain.md §3.2 is about
    personal data).
    """
    cleaned = "".join(name.split())
    if len(cleaned) <= 1:
        return "*" if cleaned else ""
    return cleaned[0] + "*" * min(len(cleaned) - 1, NAME_MASK_MAX_STARS)
