"""The hash-chained public ledger (docs/domain.md §3.7): chain rules, tamper detection, commitments, export,
and the standalone verifier a third party runs on an export (tools/verify_ledger.py)."""

from __future__ import annotations

import ast
import copy
import hashlib
import importlib.util
import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fupin.ledger import rules as lc
from fupin.ledger.rules import (
    GENESIS_HASH,
    KINDS,
    MAX_SAFE_INT,
    LedgerError,
    LedgerFormatError,
    Problem,
    PublicEntry,
    VerifyResult,
    canonical_json,
    commitment,
    daily_heads,
    describe,
    dumps_csv,
    dumps_jsonl,
    entry_hash,
    format_at,
    loads_csv,
    loads_jsonl,
    make_entry,
    next_at,
    open_commitment,
    reveal_payload,
    verify_chain,
)

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "verify_ledger.py"
DOC = ROOT / "docs" / "ledger.md"

PROPERTY = settings(max_examples=40, deadline=None, database=None)


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("verify_ledger_standalone", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


standalone = load_script()


def as_tuple(result: VerifyResult) -> tuple[Any, ...]:
    return (
        result.ok,
        result.count,
        result.head_hash,
        result.first_bad_seq,
        result.reason,
        result.detail,
    )


# --- strategies ---------------------------------------------------------------------------------

TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=10)
SCALARS = (
    st.none() | st.booleans() | st.integers(-MAX_SAFE_INT, MAX_SAFE_INT) | TEXT | st.just("张三")
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(TEXT, children, max_size=3),
    max_leaves=8,
)
PAYLOADS = st.dictionaries(TEXT.map(lambda key: "p" + key), JSON_VALUES, max_size=4)
PRIVATE_FIELDS = ("donor_name", "donor_participant_id", "id_number")
PRIVATES = st.dictionaries(st.sampled_from(PRIVATE_FIELDS), SCALARS, max_size=2)
HEX64 = st.text("0123456789abcdef", min_size=64, max_size=64)
TIMESTAMPS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(format_at)
SUBJECTS = st.builds(
    "{}:{}".format,
    st.sampled_from(["pledge", "donation", "receipt", "need"]),
    st.integers(1, 10**6),
)


@st.composite
def ledgers(
    draw: st.DrawFn, min_size: int = 1, max_size: int = 6
) -> tuple[list[PublicEntry], list[dict[str, lc.FieldSecret]]]:
    """A valid chain spanning a few UTC days (so daily heads differ), with some private fields."""
    moment = datetime(2025, 1, 31, 22, 0, tzinfo=UTC)
    entries: list[PublicEntry] = []
    all_secrets: list[dict[str, lc.FieldSecret]] = []
    for seq in range(1, draw(st.integers(min_size, max_size)) + 1):
        moment += timedelta(seconds=draw(st.integers(0, 30 * 3600)))
        entry, field_secrets = make_entry(
            entries[-1] if entries else None,
            seq=seq,
            at=moment,
            kind=draw(st.sampled_from(sorted(KINDS))),
            subject=draw(SUBJECTS),
            payload=draw(PAYLOADS),
            private=draw(PRIVATES),
        )
        entries.append(entry)
        all_secrets.append(field_secrets)
    return entries, all_secrets


REPLACEMENTS: dict[str, st.SearchStrategy[Any]] = {
    "seq": st.integers(-3, 10**6) | st.booleans() | st.none() | TEXT,
    "at": TIMESTAMPS | TEXT,
    "kind": st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True) | TEXT,
    "subject": SUBJECTS | TEXT,
    "payload": PAYLOADS | JSON_VALUES,
    "prev_hash": HEX64 | TEXT,
    "hash": HEX64 | TEXT,
}


def differs(new: Any, old: Any) -> bool:
    # JSON text, not ==, so that True replacing 1 counts as a change (it is one in the export)
    return json.dumps(new, sort_keys=True) != json.dumps(old, sort_keys=True)


def build(specs: list[tuple[str, dict[str, Any]]]) -> list[PublicEntry]:
    entries: list[PublicEntry] = []
    for seq, (at, payload) in enumerate(specs, start=1):
        entry, _ = make_entry(
            entries[-1] if entries else None,
            seq=seq,
            at=at,
            kind="donation_confirmed",
            subject=f"donation:{seq}",
            payload=payload,
            private={},
        )
        entries.append(entry)
    return entries


def sample_ledger() -> list[PublicEntry]:
    return build(
        [
            ("2025-03-01T08:00:00Z", {"amount_fen": 5_000_000, "need": "村道硬化"}),
            ("2025-03-01T23:59:59Z", {"amount_fen": 120_000, "note": 'quote " comma , 换行\n'}),
            ("2025-03-02T00:00:00Z", {"amount_fen": 1, "items": [1, 2, {"k": None}]}),
            ("2025-03-02T10:30:00Z", {"amount_fen": 99}),
            ("2025-03-04T07:00:00Z", {"amount_fen": 42, "flag": True}),
        ]
    )


# --- building entries and the hash rule ---------------------------------------------------------


def test_first_entry_links_to_sixty_four_zeros_and_hash_is_sha256_of_prev_plus_canonical_json():
    entry, field_secrets = make_entry(
        None,
        seq=1,
        at="2025-03-01T08:00:00Z",
        kind="need_published",
        subject="need:7",
        payload={"target_fen": 5_000_000, "title": "村道"},
        private={},
    )
    assert entry.prev_hash == GENESIS_HASH == "0" * 64
    assert field_secrets == {}
    body = (
        '{"at":"2025-03-01T08:00:00Z","kind":"need_published",'
        '"payload":{"target_fen":5000000,"title":"村道"},'
        f'"prev_hash":"{GENESIS_HASH}","seq":1,"subject":"need:7"}}'
    )
    assert entry.hash == hashlib.sha256((GENESIS_HASH + body).encode("utf-8")).hexdigest()


def test_canonical_json_sorts_keys_drops_spaces_and_keeps_chinese_unescaped():
    assert canonical_json({"b": 1, "a": ["县", None, True]}) == '{"a":["县",null,true],"b":1}'


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"amount_fen": 12.5}, r"payload\.amount_fen: floats are not allowed.*integer fen"),
        ({"items": [{"value": 1.0}]}, r"payload\.items\[0\]\.value: floats are not allowed"),
        ({"amount": Decimal("1")}, r"Decimal.*integer fen"),
        ({"pair": (1, 2)}, r"tuple is not allowed"),
        ({"map": {1: "a"}}, r"keys must be strings"),
        ({"amount_fen": 2**53}, r"outside"),
        ({"name": "a\x00b"}, r"U\+0000"),
        ({"name": "\ud800"}, r"lone surrogate"),
    ],
)
def test_values_without_one_exact_json_form_are_refused_naming_the_field(
    payload: dict[str, Any], message: str
):
    with pytest.raises(LedgerError, match=message):
        make_entry(
            None,
            seq=1,
            at="2025-03-01T08:00:00Z",
            kind="pledge_made",
            subject="pledge:1",
            payload=payload,
            private={},
        )


def test_float_in_a_private_field_is_refused_too():
    with pytest.raises(LedgerError, match=r"private\.donor_id: floats"):
        make_entry(
            None,
            seq=1,
            at="2025-03-01T08:00:00Z",
            kind="pledge_made",
            subject="pledge:1",
            payload={},
            private={"donor_id": 3.0},
        )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"seq": 3}, r"seq must be 2"),
        ({"seq": True}, r"seq must be 2"),
        ({"at": "2025-03-01T07:59:59Z"}, r"before the previous"),
        ({"at": "2025-03-01 09:00:00"}, r"YYYY-MM-DDTHH:MM:SSZ"),
        ({"at": "2025-02-30T09:00:00Z"}, r"YYYY-MM-DDTHH:MM:SSZ"),
        ({"at": datetime(2025, 3, 1, 9, 0)}, r"timezone-aware"),
        ({"kind": "pledge_deleted"}, r"unknown ledger kind"),
        ({"subject": "pledge 12"}, r"subject must look like"),
        ({"subject": "12"}, r"subject must look like"),
        ({"subject": "p" * 32 + ":1"}, r"subject must look like"),
        ({"subject": "p:" + "1" * 129}, r"subject must look like"),
        ({"payload": {"donor_name": "x"}, "private": {"donor_name": "y"}}, r"both public and"),
        ({"payload": {"x": {"commit": "a" * 64}}}, r"may not look like a commitment"),
        ({"private": {"donor_name": "x"}, "salts": {"donor_name": "XYZ"}}, r"salt must be"),
        ({"salts": {"donor_name": "a" * 32}}, r"not private"),
    ],
)
def test_make_entry_refuses_an_entry_that_would_break_the_chain_rules(
    changes: dict[str, Any], message: str
):
    first, _ = make_entry(
        None,
        seq=1,
        at="2025-03-01T08:00:00Z",
        kind="pledge_made",
        subject="pledge:1",
        payload={},
        private={},
    )
    arguments: dict[str, Any] = {
        "seq": 2,
        "at": "2025-03-01T09:00:00Z",
        "kind": "pledge_amended",
        "subject": "pledge:1",
        "payload": {"amount_fen": 6_000_000},
        "private": {},
    }
    with pytest.raises(LedgerError, match=message):
        make_entry(first, **{**arguments, **changes})


def test_next_at_never_runs_behind_the_previous_entry_and_is_written_in_utc():
    entry = build([("2025-03-01T08:00:05Z", {})])[0]
    lagging_clock = datetime(2025, 3, 1, 8, 0, 4, tzinfo=UTC)
    beijing = datetime(2025, 3, 1, 17, 0, 0, 999_999, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert next_at(entry, lagging_clock) == "2025-03-01T08:00:05Z"
    assert next_at(entry, beijing) == "2025-03-01T09:00:00Z"
    assert next_at(None, beijing) == "2025-03-01T09:00:00Z"


def test_entries_made_from_stored_dicts_continue_the_same_chain():
    first = sample_ledger()[0]
    from_row = PublicEntry.from_dict(first.to_dict())
    second, _ = make_entry(
        first.to_dict(),
        seq=2,
        at="2025-03-02T00:00:00Z",
        kind="receipt_issued",
        subject="receipt:1",
        payload={},
        private={},
    )
    assert from_row == first
    assert verify_chain([first.to_dict(), second.to_dict()]).ok


def test_from_dict_refuses_a_row_whose_hash_does_not_match():
    row = sample_ledger()[0].to_dict()
    row["payload"]["amount_fen"] += 1
    with pytest.raises(LedgerFormatError, match="hash mismatch"):
        PublicEntry.from_dict(row)


# --- verification -------------------------------------------------------------------------------


def test_intact_ledger_verifies_with_its_count_and_head_hash():
    entries = sample_ledger()
    result = verify_chain(entry.to_dict() for entry in entries)
    assert result == VerifyResult(True, 5, entries[-1].hash, None, None, "")
    assert describe(result) == f"账本校验通过：共 5 条记录，最新哈希 {entries[-1].hash}"


def test_empty_ledger_verifies_with_the_genesis_head():
    assert verify_chain([]) == VerifyResult(True, 0, GENESIS_HASH, None, None, "")


@PROPERTY
@given(ledgers(), st.data())
def test_changing_any_field_of_any_stored_entry_is_reported_at_exactly_that_entry(
    ledger: tuple[list[PublicEntry], Any], data: st.DataObject
):
    entries, _ = ledger
    rows = [entry.to_dict() for entry in entries]
    index = data.draw(st.integers(0, len(rows) - 1), label="index")
    field = data.draw(st.sampled_from(lc.ENTRY_FIELDS), label="field")
    new_value = data.draw(REPLACEMENTS[field], label="new value")
    assume(differs(new_value, rows[index][field]))
    rows[index][field] = new_value

    result = verify_chain(rows)

    assert not result.ok
    assert result.first_bad_seq == index + 1
    assert result.count == index
    assert result.head_hash == (entries[index - 1].hash if index else GENESIS_HASH)
    assert as_tuple(result) == tuple(standalone.verify(copy.deepcopy(rows)))
    assert describe(result).startswith(f"第 {index + 1} 条")


def test_each_kind_of_single_field_change_names_its_reason():
    entries = sample_ledger()

    def reason_after(field: str, value: Any) -> tuple[int | None, Problem | None]:
        rows = [entry.to_dict() for entry in entries]
        rows[2][field] = value
        result = verify_chain(rows)
        return result.first_bad_seq, result.reason

    assert reason_after("payload", {"amount_fen": 2}) == (3, Problem.HASH_MISMATCH)
    assert reason_after("seq", 4) == (3, Problem.SEQ_GAP)
    assert reason_after("at", "2025-03-01T00:00:00Z") == (3, Problem.TIME_BACKWARDS)
    assert reason_after("at", "2025-03-02T00:00:01Z") == (3, Problem.HASH_MISMATCH)
    assert reason_after("prev_hash", "f" * 64) == (3, Problem.PREV_HASH_MISMATCH)
    assert reason_after("hash", "f" * 64) == (3, Problem.HASH_MISMATCH)
    assert reason_after("payload", {"amount_fen": 1.0}) == (3, Problem.MALFORMED)
    assert reason_after("hash", "F" * 64) == (3, Problem.MALFORMED)


@PROPERTY
@given(ledgers(), st.data())
def test_an_entry_rewritten_with_a_recomputed_hash_is_caught_by_the_next_link_or_the_head(
    ledger: tuple[list[PublicEntry], Any], data: st.DataObject
):
    entries, _ = ledger
    rows = [entry.to_dict() for entry in entries]
    index = data.draw(st.integers(0, len(rows) - 1), label="index")
    rows[index]["payload"] = {**rows[index]["payload"], "amount_fen": -1}
    assume(rows[index] != entries[index].to_dict())
    rows[index]["hash"] = entry_hash(rows[index])

    result = verify_chain(rows)

    if index < len(rows) - 1:
        assert (result.first_bad_seq, result.reason) == (index + 2, Problem.PREV_HASH_MISMATCH)
    else:
        # The chain alone accepts a re-hashed last entry; the published head does not.
        assert result.ok
        against_head = verify_chain(rows, expected_head=entries[-1].hash)
        assert (against_head.ok, against_head.reason) == (False, Problem.HEAD_NOT_FOUND)


@PROPERTY
@given(ledgers(min_size=2), st.data())
def test_deleted_duplicated_or_reordered_rows_are_reported_at_the_first_position_out_of_place(
    ledger: tuple[list[PublicEntry], Any], data: st.DataObject
):
    entries, _ = ledger
    rows = [entry.to_dict() for entry in entries]
    first = data.draw(st.integers(0, len(rows) - 2), label="first")
    second = data.draw(st.integers(first + 1, len(rows) - 1), label="second")

    deleted = rows[:first] + rows[first + 1 :]
    duplicated = rows[: first + 1] + [rows[first]] + rows[first + 1 :]
    swapped = list(rows)
    swapped[first], swapped[second] = swapped[second], swapped[first]

    for tampered, bad_seq in ((deleted, first + 1), (duplicated, first + 2), (swapped, first + 1)):
        result = verify_chain(tampered)
        assert (result.first_bad_seq, result.reason) == (bad_seq, Problem.SEQ_GAP)


@PROPERTY
@given(ledgers(min_size=2), st.data())
def test_cutting_off_the_tail_passes_the_chain_but_fails_against_a_published_head(
    ledger: tuple[list[PublicEntry], Any], data: st.DataObject
):
    entries, _ = ledger
    rows = [entry.to_dict() for entry in entries]
    kept = data.draw(st.integers(0, len(rows) - 1), label="kept")
    truncated = rows[:kept]

    alone = verify_chain(truncated)
    against_head = verify_chain(truncated, expected_head=entries[-1].hash)

    assert alone.ok and alone.count == kept
    assert against_head == VerifyResult(
        False,
        kept,
        entries[kept - 1].hash if kept else GENESIS_HASH,
        kept + 1,
        Problem.HEAD_NOT_FOUND,
        against_head.detail,
    )
    assert f"after seq {kept}" in against_head.detail
    # Every head published for a day still inside the kept prefix is found; later ones are not.
    for head in daily_heads(entries).values():
        position = next(i for i, entry in enumerate(entries) if entry.hash == head)
        assert verify_chain(truncated, expected_head=head).ok == (position < kept)


def test_daily_heads_are_the_last_hash_of_each_utc_day():
    entries = sample_ledger()
    assert daily_heads(entries) == {
        date(2025, 3, 1): entries[1].hash,
        date(2025, 3, 2): entries[3].hash,
        date(2025, 3, 4): entries[4].hash,
    }
    assert daily_heads(entry.to_dict() for entry in entries) == daily_heads(entries)
    assert daily_heads([]) == {}


def test_a_ledger_that_grew_after_publication_still_contains_the_published_head():
    entries = sample_ledger()
    published = daily_heads(entries[:2])[date(2025, 3, 1)]
    assert verify_chain((e.to_dict() for e in entries), expected_head=published).ok


def test_time_running_backwards_is_reported_even_when_hashes_are_consistent():
    rows = [entry.to_dict() for entry in sample_ledger()]
    rows[3]["at"] = "2025-02-28T00:00:00Z"
    for index in range(3, len(rows)):
        rows[index]["prev_hash"] = rows[index - 1]["hash"]
        rows[index]["hash"] = entry_hash(rows[index])
    result = verify_chain(rows)
    assert (result.first_bad_seq, result.reason) == (4, Problem.TIME_BACKWARDS)


def test_a_failure_is_described_in_one_sentence_naming_the_entry():
    rows = [entry.to_dict() for entry in sample_ledger()]
    rows[1]["payload"]["amount_fen"] = 1
    assert describe(verify_chain(rows)) == "第 2 条记录的哈希值与重新计算的结果不符"


# --- commitments --------------------------------------------------------------------------------


@PROPERTY
@given(SCALARS | JSON_VALUES, SCALARS | JSON_VALUES, HEX64.map(lambda text: text[:32]))
def test_a_commitment_opens_only_with_the_committed_value_and_its_salt(
    value: Any, other: Any, other_salt: str
):
    entry, field_secrets = make_entry(
        None,
        seq=1,
        at="2025-03-01T08:00:00Z",
        kind="donation_confirmed",
        subject="donation:1",
        payload={"amount_fen": 100},
        private={"donor_name": value},
    )
    committed = entry.payload["donor_name"]
    salt = field_secrets["donor_name"]["salt"]
    assert open_commitment(committed, value, salt)
    assert open_commitment(committed["commit"], value, salt)
    assert open_commitment(committed, other, salt) == (
        canonical_json(other) == canonical_json(value)
    )
    assert open_commitment(committed, value, other_salt) == (other_salt == salt)
    assert not open_commitment(committed, value, "not a salt")


def test_types_are_part_of_the_committed_value():
    salt = "0" * 32
    assert not open_commitment(commitment(1, salt), "1", salt)
    assert not open_commitment(commitment(1, salt), True, salt)
    assert not open_commitment(commitment("张三", salt), "张三 ", salt)
    assert not open_commitment(commitment("x", salt), 1.5, salt)


def test_private_values_never_reach_the_public_entry_or_its_exports():
    entry, field_secrets = make_entry(
        None,
        seq=1,
        at="2025-03-01T08:00:00Z",
        kind="donation_confirmed",
        subject="donation:9",
        payload={"amount_fen": 100_000, "anonymous": True},
        private={"donor_name": "王秀英", "id_number": "11010519491231002X"},
    )
    for text in (canonical_json(entry.to_dict()), dumps_jsonl([entry]), dumps_csv([entry])):
        assert "王秀英" not in text
        assert "11010519491231002X" not in text
    assert set(field_secrets) == {"donor_name", "id_number"}
    assert all(len(secret["salt"]) == 32 for secret in field_secrets.values())
    assert verify_chain([entry.to_dict()]).ok  # verification needs no secret
    assert reveal_payload(entry, field_secrets) == {
        "amount_fen": 100_000,
        "anonymous": True,
        "donor_name": "王秀英",
        "id_number": "11010519491231002X",
    }


def test_the_same_anonymous_donor_cannot_be_linked_across_entries():
    first, _ = make_entry(
        None,
        seq=1,
        at="2025-03-01T08:00:00Z",
        kind="donation_confirmed",
        subject="donation:1",
        payload={},
        private={"donor_participant_id": 77},
    )
    second, _ = make_entry(
        first,
        seq=2,
        at="2025-03-01T08:00:00Z",
        kind="donation_confirmed",
        subject="donation:2",
        payload={},
        private={"donor_participant_id": 77},
    )
    assert first.payload["donor_participant_id"] != second.payload["donor_participant_id"]


def test_a_wrong_secret_is_refused_when_revealing():
    entry, field_secrets = make_entry(
        None,
        seq=1,
        at="2025-03-01T08:00:00Z",
        kind="pledge_made",
        subject="pledge:1",
        payload={},
        private={"donor_name": "李四"},
    )
    forged = {"donor_name": {**field_secrets["donor_name"], "value": "王五"}}
    with pytest.raises(LedgerError, match="does not open"):
        reveal_payload(entry, forged)
    with pytest.raises(LedgerError, match="no commitment"):
        reveal_payload(entry, {"id_number": field_secrets["donor_name"]})


def test_fixed_salts_rebuild_the_identical_entry_from_the_private_record():
    entry, field_secrets = make_entry(
        None,
        seq=1,
        at="2025-03-01T08:00:00Z",
        kind="pledge_made",
        subject="pledge:1",
        payload={"amount_fen": 5},
        private={"donor_name": "李四"},
    )
    rebuilt, _ = make_entry(
        None,
        seq=1,
        at="2025-03-01T08:00:00Z",
        kind="pledge_made",
        subject="pledge:1",
        payload={"amount_fen": 5},
        private={name: secret["value"] for name, secret in field_secrets.items()},
        salts={name: secret["salt"] for name, secret in field_secrets.items()},
    )
    assert rebuilt == entry


# --- export and import --------------------------------------------------------------------------


@PROPERTY
@given(ledgers(min_size=0))
def test_jsonl_and_csv_exports_round_trip_exactly(ledger: tuple[list[PublicEntry], Any]):
    entries, _ = ledger
    rows = [entry.to_dict() for entry in entries]
    for dumps, loads in ((dumps_jsonl, loads_jsonl), (dumps_csv, loads_csv)):
        text = dumps(entries)
        assert loads(text) == rows
        assert loads(text.encode("utf-8")) == rows
        assert dumps(loads(text)) == text
        assert [PublicEntry.from_dict(row) for row in loads(text)] == entries
        assert verify_chain(loads(text)).ok


def test_csv_export_opens_in_excel_with_a_bom_and_payload_as_one_json_column():
    text = dumps_csv(sample_ledger()[:2])
    lines = text.split("\r\n")
    assert lines[0] == "\ufeffseq,at,kind,subject,payload,prev_hash,hash"
    assert lines[1].startswith(
        '1,2025-03-01T08:00:00Z,donation_confirmed,donation:1,"{""amount_fen"":5000000,'
    )
    assert lines[-1] == ""


def flip_byte(raw: bytes, position: int, new: int) -> bytes:
    return raw[:position] + bytes([new]) + raw[position + 1 :]


@PROPERTY
@given(ledgers(), st.sampled_from(["jsonl", "csv"]), st.data())
def test_any_changed_byte_of_an_export_is_reported_at_the_entry_it_belongs_to(
    ledger: tuple[list[PublicEntry], Any], fmt: str, data: st.DataObject
):
    entries, _ = ledger
    raw = (dumps_jsonl(entries) if fmt == "jsonl" else dumps_csv(entries)).encode("utf-8")
    position = data.draw(st.integers(0, len(raw) - 1), label="position")
    new = data.draw(st.integers(0, 255).filter(lambda byte: byte != raw[position]), label="byte")
    tampered = flip_byte(raw, position, new)
    line_number = raw[:position].count(b"\n")  # 0-based physical line of the changed byte
    header_lines = 1 if fmt == "csv" else 0
    expected_bad_seq = max(line_number - header_lines, 0) + 1

    lines = lc._split_lines(tampered)
    parse = lc.parse_jsonl if fmt == "jsonl" else lc.parse_csv
    result = verify_chain(parse(lines))

    assert not result.ok
    assert result.first_bad_seq == expected_bad_seq
    assert as_tuple(result) == tuple(standalone.verify(standalone.parse_file(tampered, fmt)))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (b'{"seq":1}', Problem.MALFORMED),  # no final newline: a cut-off download
        (b"\xff\n", Problem.MALFORMED),
        (b"[1,2]\n", Problem.MALFORMED),
        (b'{"a":1.5}\n', Problem.MALFORMED),
        (b'{"a":NaN}\n', Problem.MALFORMED),
        (b"[" * 100_000 + b"\n", Problem.MALFORMED),
        (b'{"b":1, "a":2}\n', Problem.NOT_CANONICAL),
        (b'{"a":1,"a":2}\n', Problem.NOT_CANONICAL),
        (b'{"a":"\\u00e9"}\n', Problem.NOT_CANONICAL),
        (b'{"a":1}\r\n', Problem.NOT_CANONICAL),
    ],
)
def test_lines_that_are_not_canonical_entries_are_refused_by_both_verifiers(
    text: bytes, problem: Problem
):
    result = verify_chain(lc.parse_jsonl(lc._split_lines(text)))
    assert (result.first_bad_seq, result.reason) == (1, problem)
    assert as_tuple(result) == tuple(standalone.verify(standalone.parse_file(text, "jsonl")))


def test_csv_without_its_header_or_with_a_numeric_seq_written_differently_is_refused():
    text = dumps_csv(sample_ledger()[:1])
    no_header = text.split("\r\n", 1)[1]
    padded_seq = text.replace("\r\n1,", "\r\n01,")
    for bad, problem in ((no_header, Problem.MALFORMED), (padded_seq, Problem.MALFORMED)):
        result = verify_chain(lc.parse_csv(lc._split_lines(bad)))
        assert (result.first_bad_seq, result.reason) == (1, problem)
    assert verify_chain(loads_csv(text.removeprefix("\ufeff"))).ok  # BOM optional


# --- the standalone script ----------------------------------------------------------------------


def test_standalone_script_uses_the_same_constants_and_patterns():
    for name in ("GENESIS_HASH", "ENTRY_FIELDS", "MAX_SAFE_INT", "CSV_BOM", "CSV_HEADER"):
        assert getattr(standalone, name) == getattr(lc, name), name
    for name in ("_HEX64", "_AT", "_KIND", "_SUBJECT", "_SEQ_TEXT"):
        assert getattr(standalone, name).pattern == getattr(lc, name).pattern, name
    assert {problem.value for problem in Problem} == set(standalone.EXPLANATIONS)


def test_the_longest_allowed_subject_is_accepted():
    subject = "p" * 31 + ":" + "9" * 128
    entry, _ = make_entry(
        None,
        seq=1,
        at="2025-03-01T08:00:00Z",
        kind="pledge_made",
        subject=subject,
        payload={},
        private={},
    )
    assert len(subject) == 160
    assert verify_chain([entry.to_dict()]).ok


def test_standalone_script_imports_only_the_standard_library():
    tree = ast.parse(SCRIPT.read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported <= set(sys.stdlib_module_names)


def run_script(*args: str | Path) -> subprocess.CompletedProcess[str]:
    # -I -S: no site-packages, so fupin cannot be imported; the script must stand alone.
    return subprocess.run(
        [sys.executable, "-I", "-S", str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


@pytest.fixture
def exported(tmp_path: Path) -> tuple[list[PublicEntry], Path, Path]:
    entries = sample_ledger()
    jsonl = tmp_path / "ledger.jsonl"
    jsonl.write_bytes(dumps_jsonl(entries).encode("utf-8"))
    csv_file = tmp_path / "ledger.csv"
    csv_file.write_bytes(dumps_csv(entries).encode("utf-8"))
    return entries, jsonl, csv_file


def test_script_accepts_intact_exports_and_prints_count_and_head(
    exported: tuple[list[PublicEntry], Path, Path],
):
    entries, jsonl, csv_file = exported
    for path in (jsonl, csv_file):
        run = run_script(path, "--daily-heads")
        assert run.returncode == 0, run.stdout + run.stderr
        assert "entries 记录数: 5" in run.stdout
        assert f"head 最新哈希: {entries[-1].hash}" in run.stdout
        assert f"2025-03-02 {entries[3].hash}" in run.stdout


def test_script_names_the_tampered_entry(exported: tuple[list[PublicEntry], Path, Path]):
    _, jsonl, csv_file = exported
    for path in (jsonl, csv_file):
        text = path.read_bytes().decode("utf-8")
        assert text.count("120000") == 1
        path.write_bytes(text.replace("120000", "1200000").encode("utf-8"))
        run = run_script(path)
        assert run.returncode == 1
        assert "at seq 第 2 条: hash_mismatch" in run.stdout


def test_script_names_a_deleted_row(exported: tuple[list[PublicEntry], Path, Path]):
    _, jsonl, csv_file = exported
    for path, separator in ((jsonl, b"\n"), (csv_file, b"\r\n")):
        lines = path.read_bytes().split(separator)
        header = 1 if path is csv_file else 0
        del lines[header + 2]  # entry 3
        path.write_bytes(separator.join(lines))
        run = run_script(path)
        assert run.returncode == 1
        assert "at seq 第 3 条: seq_gap" in run.stdout
        assert "expected seq 3, found seq 4" in run.stdout


def test_script_names_reordered_rows(exported: tuple[list[PublicEntry], Path, Path]):
    _, jsonl, csv_file = exported
    for path, separator in ((jsonl, b"\n"), (csv_file, b"\r\n")):
        lines = path.read_bytes().split(separator)
        header = 1 if path is csv_file else 0
        lines[header + 1], lines[header + 3] = lines[header + 3], lines[header + 1]
        path.write_bytes(separator.join(lines))
        run = run_script(path)
        assert run.returncode == 1
        assert "at seq 第 2 条: seq_gap" in run.stdout


def test_script_detects_a_cut_off_tail_only_with_the_published_head(
    exported: tuple[list[PublicEntry], Path, Path],
):
    entries, jsonl, _ = exported
    published = daily_heads(entries)[date(2025, 3, 4)]
    jsonl.write_bytes(dumps_jsonl(entries[:3]).encode("utf-8"))
    assert run_script(jsonl).returncode == 0
    run = run_script(jsonl, "--head", published.upper())
    assert run.returncode == 1
    assert "at seq 第 4 条: head_not_found" in run.stdout


def test_script_refuses_to_guess_the_format(tmp_path: Path):
    path = tmp_path / "ledger.txt"
    path.write_text("", encoding="utf-8")
    run = run_script(path)
    assert run.returncode == 2
    assert "--format" in run.stderr
    assert run_script(path, "--format", "jsonl").returncode == 0
    assert run_script(tmp_path / "missing.jsonl").returncode == 2


def test_script_and_library_agree_on_the_documented_test_vector():
    doc = DOC.read_text(encoding="utf-8")
    vector = doc.split("<!-- test-vector -->")[1].split("```jsonl\n")[1].split("```")[0]
    rows = loads_jsonl(vector)
    result = verify_chain(rows)
    assert result.ok and result.count == 2
    assert result.head_hash in doc
    assert as_tuple(result) == tuple(
        standalone.verify(standalone.parse_file(vector.encode(), "jsonl"))
    )
    donor = rows[1]["payload"]["donor_name"]
    assert open_commitment(donor, "张三", "00112233445566778899aabbccddeeff")
    rebuilt = build_documented_vector()
    assert dumps_jsonl(rebuilt) == vector
    for line in dumps_csv(rebuilt).removeprefix("\ufeff").split("\r\n"):
        assert line in doc


def build_documented_vector() -> list[PublicEntry]:
    first, _ = make_entry(
        None,
        seq=1,
        at="2025-03-01T08:00:00Z",
        kind="need_published",
        subject="need:7",
        payload={"target_fen": 5_000_000, "title": "村道硬化"},
        private={},
    )
    second, _ = make_entry(
        first,
        seq=2,
        at="2025-03-01T09:30:00Z",
        kind="donation_confirmed",
        subject="donation:42",
        payload={"amount_fen": 1_200_000, "anonymous": True, "need": 7},
        private={"donor_name": "张三"},
        salts={"donor_name": "00112233445566778899aabbccddeeff"},
    )
    return [first, second]


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_every_byte_position_of_an_export_is_covered(fmt: str):
    # Exhaustive over positions (the property test above samples them): the replacement cycles
    # through the bytes most likely to slip past a lax parser.
    entries = sample_ledger()
    raw = (dumps_jsonl(entries) if fmt == "jsonl" else dumps_csv(entries)).encode("utf-8")
    header_lines = 1 if fmt == "csv" else 0
    parse = lc.parse_jsonl if fmt == "jsonl" else lc.parse_csv
    replacements = b'\n\r "\\,0a{}\t\x00\xff'
    for position in range(len(raw)):
        new = replacements[position % len(replacements)]
        if new == raw[position]:
            new ^= 1
        result = verify_chain(parse(lc._split_lines(flip_byte(raw, position, new))))
        expected = max(raw[:position].count(b"\n") - header_lines, 0) + 1
        assert (result.ok, result.first_bad_seq) == (False, expected), (position, new)
