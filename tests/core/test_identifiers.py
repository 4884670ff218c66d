"""Identifier validation, masking and hashing (docs/rules.md §4)."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from fupin.core.identifiers import (
    USCC_ALPHABET,
    IdentifierError,
    ParsedId,
    hash_resident_id,
    mask_name,
    mask_resident_id,
    organisation_code_check_char,
    uscc_warnings,
    validate_resident_id,
    validate_uscc,
)

TODAY = datetime.date(2026, 6, 1)
SAMPLE_USCC = "91110108551385082Q"  # docs/rules.md §4.1, checked by hand there
SAMPLE_ID = "11010519491231002X"  # docs/rules.md §4.2, the sample quoted from GB 11643


def with_uscc_check(body: str) -> str:
    return body + uscc.calc_check_digit(body)


def with_id_check(body: str) -> str:
    return body + ric.calc_check_digit(body + "?")


# --- USCC ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (SAMPLE_USCC, SAMPLE_USCC),
        ("  91110108551385082q\n", SAMPLE_USCC),
        ("９１１１０１０８５５１３８５０８２Ｑ", SAMPLE_USCC),  # full-width input from a phone IME
        ("91110000600037341L", "91110000600037341L"),  # python-stdnum's doctest sample
    ],
)
def test_valid_uscc_is_returned_normalised(raw: str, expected: str) -> None:
    assert validate_uscc(raw) == expected


@pytest.mark.parametrize(
    "body",
    [
        "A1110000600037341",  # 军队事业单位: stdnum's own doctest rejects this one
        "N2520402MA6DL1TJ8",  # 村级集体经济组织
        "N1110101MA01ABCD1",  # 组级
        "N3440106MA5C11111",  # 乡镇级
        "Y1110000600037341",  # 其他
    ],
)
def test_army_and_rural_collective_codes_with_right_check_character_are_accepted(
    body: str,
) -> None:
    code = with_uscc_check(body)
    assert validate_uscc(code) == code
    assert not uscc.is_valid(code), "python-stdnum rejects these, which is why we check ourselves"


@pytest.mark.parametrize(
    ("raw", "error_code"),
    [
        ("", "uscc_length"),
        ("91110108551385082", "uscc_length"),
        ("91110108551385082QQ", "uscc_length"),
        ("91110108551385O82Q", "uscc_charset"),  # letter O is not in the 31-character set
        ("9111010855138508IQ", "uscc_charset"),
        ("91110108551385082Z", "uscc_charset"),
        ("9111-108551385082Q", "uscc_charset"),
        ("B1110108551385082Q", "uscc_format"),  # authority B does not exist
        ("01110108551385082Q", "uscc_format"),  # authority 0 does not exist
        ("9A110108551385082Q", "uscc_format"),  # position 2 must be a digit
        ("9111A108551385082Q", "uscc_format"),  # division code must be digits
        ("91110108551385082R", "uscc_check"),
        ("91110108551385083Q", "uscc_check"),
    ],
)
def test_malformed_uscc_is_refused_with_a_reason(raw: str, error_code: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        validate_uscc(raw, field="credit_code")
    assert caught.value.code == error_code
    assert caught.value.field == "credit_code"
    assert caught.value.message
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("position", range(18))
def test_every_one_character_change_of_the_sample_uscc_is_refused(position: int) -> None:
    for replacement in USCC_ALPHABET:
        if replacement == SAMPLE_USCC[position]:
            continue
        changed = SAMPLE_USCC[:position] + replacement + SAMPLE_USCC[position + 1 :]
        with pytest.raises(IdentifierError):
            validate_uscc(changed)


def test_check_character_zero_when_the_sum_is_a_multiple_of_31() -> None:
    # Porting pitfall of docs/rules.md §4.1: r = 0 must give "0", not index past the alphabet.
    body = next(
        b for b in (f"91110108{n:09d}" for n in range(2000)) if uscc.calc_check_digit(b) == "0"
    )
    assert validate_uscc(body + "0") == body + "0"


def test_organisation_code_check_matches_the_sample() -> None:
    # 55138508-2: Σ = 185, 185 mod 11 = 9, 11 - 9 = 2 (GB 11714).
    assert organisation_code_check_char("55138508") == "2"
    assert uscc_warnings(SAMPLE_USCC) == []


def test_organisation_code_mismatch_is_a_warning_not_a_rejection() -> None:
    code = with_uscc_check("91110108551385081")  # org code 55138508-1, GB 11714 expects -2
    assert validate_uscc(code) == code
    warnings = uscc_warnings(code)
    assert [w.code for w in warnings] == ["uscc_org_code_check"]
    assert warnings[0].message


def test_organisation_code_check_maps_ten_to_x() -> None:
    body = next(f"{n:08d}" for n in range(100) if organisation_code_check_char(f"{n:08d}") == "X")
    assert uscc_warnings(with_uscc_check(f"91110108{body}X")) == []


uscc_bodies = st.builds(
    lambda first, second, region, entity: f"{first}{second}{region}{entity}",
    st.sampled_from("123456789ANY"),
    st.sampled_from("0123456789"),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9),
)


@settings(max_examples=150, deadline=None)
@given(body=uscc_bodies)
def test_any_generated_uscc_round_trips(body: str) -> None:
    code = with_uscc_check(body)
    assert validate_uscc(f" {code.lower()} ") == code


@settings(max_examples=150, deadline=None)
@given(
    body=uscc_bodies,
    position=st.integers(min_value=0, max_value=17),
    replacement=st.sampled_from(USCC_ALPHABET + "IOSVZ-*a"),
)
def test_any_single_character_substitution_in_a_uscc_is_refused(
    body: str, position: int, replacement: str
) -> None:
    code = with_uscc_check(body)
    if replacement.upper() == code[position]:
        replacement = "*"
    changed = code[:position] + replacement + code[position + 1 :]
    with pytest.raises(IdentifierError):
        validate_uscc(changed)


# --- resident ID number --------------------------------------------------------------------------


def test_sample_resident_id_is_parsed() -> None:
    parsed = validate_resident_id(SAMPLE_ID, today=TODAY)
    assert parsed == ParsedId(
        number=SAMPLE_ID,
        address_code="110105",
        birth_date=datetime.date(1949, 12, 31),
        sex="female",
        warnings=(),
    )


def test_lower_case_x_and_surrounding_space_are_normalised() -> None:
    assert validate_resident_id(" 11010519491231002x ", today=TODAY).number == SAMPLE_ID


def test_odd_sequence_number_is_male() -> None:
    assert validate_resident_id(with_id_check("11010519491231001"), today=TODAY).sex == "male"


@pytest.mark.parametrize(
    "body",
    [
        "11011619800101001",  # 怀柔区, created 2001, holder born 1980 (late registration)
        "13020920050101001",  # 曹妃甸区, created 2012, holder born 2005
        "99000019900101001",  # address code in no table
        "11000120000101000",  # prefecture-level code: python-stdnum raised KeyError here
    ],
)
def test_unknown_or_anachronistic_address_code_is_only_a_warning(body: str) -> None:
    number = with_id_check(body)
    with pytest.raises((ValidationError, KeyError)):
        ric.validate(number)  # python-stdnum refuses these genuine-looking numbers
    parsed = validate_resident_id(number, today=TODAY)
    assert parsed.number == number
    assert [w.code for w in parsed.warnings] == ["resident_id_address"]


@pytest.mark.parametrize(
    ("raw", "error_code"),
    [
        ("", "resident_id_length"),
        ("110105491231002", "resident_id_length"),  # first-generation 15 digits: out of scope
        ("11010519491231002X1", "resident_id_length"),
        ("1101051949123100XX", "resident_id_charset"),
        ("11010519491231002Y", "resident_id_charset"),
        ("1101051949123a002X", "resident_id_charset"),
        ("11010519491231 02X", "resident_id_charset"),
        ("١١٠١٠٥١٩٤٩١٢٣١٠٠٢X", "resident_id_charset"),  # Arabic-Indic digits are not digits here
        (with_id_check("11010519490231002"), "resident_id_birth_date"),  # 31 February
        (with_id_check("11010519491300002"), "resident_id_birth_date"),
        (with_id_check("11010520260602002"), "resident_id_birth_future"),  # day after TODAY
        (with_id_check("11010518991231002"), "resident_id_birth_too_old"),
        ("110105194912310021", "resident_id_check"),
        ("11010519491231003X", "resident_id_check"),
    ],
)
def test_malformed_resident_id_is_refused_with_a_reason(raw: str, error_code: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        validate_resident_id(raw, today=TODAY, field="id_number")
    assert caught.value.code == error_code
    assert caught.value.field == "id_number"


def test_born_today_and_born_1900_are_accepted() -> None:
    assert validate_resident_id(with_id_check("11010520260601002"), today=TODAY).birth_date == TODAY
    assert (
        validate_resident_id(with_id_check("11010519000101002"), today=TODAY).birth_date.year
        == 1900
    )


resident_id_bodies = st.builds(
    lambda address, born, sequence: f"{address}{born:%Y%m%d}{sequence}",
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.dates(min_value=datetime.date(1900, 1, 1), max_value=TODAY),
    st.text(alphabet="0123456789", min_size=3, max_size=3),
)


@settings(max_examples=150, deadline=None)
@given(body=resident_id_bodies)
def test_any_generated_resident_id_round_trips(body: str) -> None:
    number = with_id_check(body)
    parsed = validate_resident_id(number.lower(), today=TODAY)
    assert parsed.number == number
    assert parsed.birth_date.strftime("%Y%m%d") == body[6:14]


@settings(max_examples=150, deadline=None)
@given(
    body=resident_id_bodies,
    position=st.integers(min_value=0, max_value=17),
    replacement=st.sampled_from("0123456789X"),
)
def test_any_single_character_substitution_in_a_resident_id_is_refused(
    body: str, position: int, replacement: str
) -> None:
    number = with_id_check(body)
    if replacement == number[position]:
        replacement = "A"
    changed = number[:position] + replacement + number[position + 1 :]
    with pytest.raises(IdentifierError):
        validate_resident_id(changed, today=TODAY)


# --- masking and hashing -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        (SAMPLE_ID, "110***********002X"),
        ("11010519491231002x", "110***********002X"),
        ("", "******************"),
        ("110105491231002", "******************"),  # malformed: nothing leaks, not even length
        ("not an id number", "******************"),
    ],
)
def test_resident_id_mask_shows_only_first_three_and_last_four(raw: str, masked: str) -> None:
    assert mask_resident_id(raw) == masked


def test_masked_resident_id_hides_birth_date_and_county() -> None:
    masked = mask_resident_id(SAMPLE_ID)
    assert len(masked) == 18
    assert "19491231" not in masked
    assert "110105" not in masked


def test_resident_id_hash_is_keyed_and_normalised() -> None:
    digest = hash_resident_id(SAMPLE_ID, pepper="server-secret-1")
    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert hash_resident_id(" 11010519491231002x", pepper="server-secret-1") == digest
    assert hash_resident_id(SAMPLE_ID, pepper="server-secret-2") != digest
    assert hash_resident_id(with_id_check("11010519491231001"), pepper="server-secret-1") != digest
    assert SAMPLE_ID not in digest


def test_resident_id_hash_without_pepper_is_refused() -> None:
    with pytest.raises(ValueError, match="pepper"):
        hash_resident_id(SAMPLE_ID, pepper="")


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("王小明", "王**"),
        ("欧阳娜娜", "欧***"),
        ("司马光", "司**"),
        ("阿卜杜拉·买买提", "阿***"),
        ("Maria Gonzalez", "M***"),
        (" 李 四 ", "李*"),
        ("张", "*"),
        ("", ""),
    ],
)
def test_individual_name_keeps_only_its_first_character(name: str, masked: str) -> None:
    assert mask_name(name) == masked
