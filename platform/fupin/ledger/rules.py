"""The pure core of the public, append-only, hash-chained ledger (docs/domain.md §3.7).

Every money-relevant event is one entry::

    {"seq": 7, "at": "2025-03-01T08:15:00Z", "kind": "donation_confirmed",
     "subject": "donation:42", "payload": {...}, "prev_hash": "<64 hex>", "hash": "<64 hex>"}

``hash = SHA-256(prev_hash + canonical_json(entry without "hash"))`` (UTF-8, lowercase hex), and
the first entry's ``prev_hash`` is 64 zeros. Changing any stored entry therefore breaks the chain
at that entry, and anyone holding only the public export can check it (``tools/verify_ledger.py``
is a standard-library-only copy of the verification below; the two are tested to agree, so a
change to the hashing rules here must be made there too, and in ``docs/ledger.md``).

Personal data never enters the public entry (docs/domain.md §3.7: "redacts personal data … without
breaking verification"; docs/rules.md §4: ID numbers are never shown in full). A private field is stored
as a salted commitment ``{"commit": SHA-256(salt + canonical_json(value))}``; the raw value and
its random salt are returned separately as secrets for private storage. The chain is computed over
the public form, so the public export verifies fully without any secret, while whoever holds a
secret (the donor, an auditor) can prove the committed value with :func:`open_commitment`.

Nothing here does I/O: callers pass entries in and get entries, text or results out. Export
helpers produce an exact, canonical byte form (one valid encoding per ledger), so a single
changed byte of an exported file is reported at the entry it belongs to.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import re
import secrets as _secrets
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, TypedDict

from fupin.i18n import _

GENESIS_HASH = "0" * 64
"""``prev_hash`` of entry 1: there is nothing before it."""

ENTRY_FIELDS = ("seq", "at", "kind", "subject", "payload", "prev_hash", "hash")
"""Every entry has exactly these fields; this is also the CSV column order."""

KINDS = frozenset(
    {
        "pledge_made",
        "pledge_amended",
        "pledge_withdrawn",
        "pledge_lapsed",
        "pledge_released",
        "donation_confirmed",
        "donation_reversed",
        "receipt_issued",
        "receipt_voided",
        "need_published",
        "need_completed",
    }
)
"""Event kinds :func:`make_entry` accepts (docs/domain.md §3.7 lists the money-relevant events).

The verifier accepts any well-formed kind, so adding a kind later never invalidates old exports.
"""

MAX_SAFE_INT = 2**53 - 1
"""Largest integer every JSON parser reads exactly (I-JSON, RFC 7493 §2.2): ¥90 trillion in fen."""

SALT_HEX_LEN = 32  # 16 random bytes: a commitment to a name or ID number cannot be brute-forced

CSV_BOM = "\ufeff"  # Excel (the usual tool of a county finance office) needs it to read UTF-8
CSV_HEADER = ",".join(ENTRY_FIELDS) + "\r\n"

_HEX64 = re.compile(r"[0-9a-f]{64}")
_SALT = re.compile(r"[0-9a-f]{32}")
_AT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
# kind ≤ 32 and subject ≤ 160 characters: the widths of the ledger_entry columns
_KIND = re.compile(r"[a-z][a-z0-9_]{0,31}")
_SUBJECT = re.compile(r"[a-z][a-z0-9_]{0,30}:[^\s\x00-\x1f\x7f]{1,128}")
_SEQ_TEXT = re.compile(r"[1-9][0-9]{0,15}")


class LedgerError(ValueError):
    """A ledger entry cannot be built as asked (caller bug or invalid data; nothing is written)."""


class LedgerFormatError(LedgerError):
    """An exported line or row is not a well-formed, canonical ledger entry."""

    def __init__(self, problem: Problem, detail: str) -> None:
        super().__init__(detail)
        self.problem = problem
        self.detail = detail


class Problem(StrEnum):
    """Why verification stopped. The codes are shared with ``tools/verify_ledger.py``."""

    MALFORMED = "malformed"  # not JSON/CSV, wrong fields, wrong types, forbidden values
    NOT_CANONICAL = "not_canonical"  # parses, but is not byte-for-byte the canonical encoding
    SEQ_GAP = "seq_gap"  # an entry is missing, duplicated or out of order
    TIME_BACKWARDS = "time_backwards"  # "at" earlier than the previous entry's
    PREV_HASH_MISMATCH = "prev_hash_mismatch"  # does not link to the previous entry
    HASH_MISMATCH = "hash_mismatch"  # stored hash differs from the recomputed one
    HEAD_NOT_FOUND = "head_not_found"  # a published head hash is absent: truncated or rewritten


class FieldSecret(TypedDict):
    """The private half of one redacted field: store it outside the public ledger row."""

    value: Any
    salt: str


@dataclass(frozen=True, slots=True)
class PublicEntry:
    """One ledger entry as stored and published (private fields already replaced by commitments)."""

    seq: int
    at: str
    kind: str
    subject: str
    payload: Mapping[str, Any]
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        """A fresh plain dict (payload deep-copied), as verified, exported and stored."""
        return {
            "seq": self.seq,
            "at": self.at,
            "kind": self.kind,
            "subject": self.subject,
            "payload": json.loads(canonical_json(self.payload)),
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PublicEntry:
        """Rebuild a stored entry, refusing one whose shape or own hash is wrong."""
        detail = _shape_problem(data)
        if detail is not None:
            raise LedgerFormatError(Problem.MALFORMED, detail)
        if entry_hash(data) != data["hash"]:
            raise LedgerFormatError(Problem.HASH_MISMATCH, f"entry {data['seq']}: hash mismatch")
        return cls(
            seq=data["seq"],
            at=data["at"],
            kind=data["kind"],
            subject=data["subject"],
            payload=json.loads(canonical_json(data["payload"])),
            prev_hash=data["prev_hash"],
            hash=data["hash"],
        )


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """Outcome of a verification.

    ``count`` and ``head_hash`` describe the verified prefix: on success the whole ledger (an empty
    ledger has count 0 and head :data:`GENESIS_HASH`); on failure the entries before the first bad
    one, so ``first_bad_seq == count + 1`` always. ``reason`` is a :class:`Problem` code and
    ``detail`` a technical English explanation (the same text the standalone script prints);
    :func:`describe` gives the translated sentence for users.
    """

    ok: bool
    count: int
    head_hash: str
    first_bad_seq: int | None
    reason: Problem | None
    detail: str = ""


# --- canonical JSON -----------------------------------------------------------------------------


def _check_text(text: str, where: str) -> None:
    if "\x00" in text:
        # PostgreSQL text and jsonb cannot store U+0000, so such an entry could not be kept.
        raise LedgerError(f"{where}: U+0000 is not allowed in ledger text")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise LedgerError(f"{where}: text is not valid Unicode (lone surrogate)") from exc


def _check_json_value(value: Any, where: str) -> None:
    # Only values whose canonical encoding is unambiguous and reads back identically anywhere.
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, str):
        _check_text(value, where)
        return
    if isinstance(value, int):
        if not -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            raise LedgerError(f"{where}: integer {value} is outside ±(2**53 - 1)")
        return
    if isinstance(value, float):
        raise LedgerError(
            f"{where}: floats are not allowed in the ledger; money must be integer fen (分)"
        )
    if isinstance(value, list):
        for index, item in enumerate(value):
            _check_json_value(item, f"{where}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise LedgerError(f"{where}: object keys must be strings, got {key!r}")
            _check_text(key, where)
            _check_json_value(item, f"{where}.{key}")
        return
    hint = "; convert money to integer fen (分)" if type(value).__name__ == "Decimal" else ""
    raise LedgerError(f"{where}: {type(value).__name__} is not allowed in the ledger{hint}")


def canonical_json(value: Any) -> str:
    """The one text form that is hashed: sorted keys, no spaces, UTF-8 characters unescaped.

    Floats are refused (money is integer fen; a float's text form differs between languages), as
    are integers beyond ±(2**53-1), non-string keys, tuples, Decimals, U+0000 and lone surrogates.
    """
    _check_json_value(value, "value")
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def entry_hash(entry: Mapping[str, Any]) -> str:
    """SHA-256 of ``prev_hash + canonical_json(entry without "hash")``, lowercase hex."""
    body = {name: entry[name] for name in ENTRY_FIELDS if name != "hash"}
    data = (entry["prev_hash"] + canonical_json(body)).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


# --- commitments --------------------------------------------------------------------------------


def commitment(value: Any, salt: str) -> str:
    """SHA-256 of ``salt + canonical_json(value)``: hides a personal value, binds its holder to it."""
    if not isinstance(salt, str) or _SALT.fullmatch(salt) is None:
        raise LedgerError("salt must be 32 lowercase hex characters (16 bytes)")
    return hashlib.sha256((salt + canonical_json(value)).encode("utf-8")).hexdigest()


def new_salt() -> str:
    """A fresh random salt; one per field and entry, so equal values never look alike publicly."""
    return _secrets.token_hex(SALT_HEX_LEN // 2)


def is_commitment(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and set(value) == {"commit"}
        and isinstance(value["commit"], str)
        and _HEX64.fullmatch(value["commit"]) is not None
    )


def open_commitment(commitment_value: Mapping[str, Any] | str, value: Any, salt: str) -> bool:
    """True only if ``value`` with ``salt`` is what was committed (the public dict or its hex)."""
    committed = (
        commitment_value.get("commit")
        if isinstance(commitment_value, Mapping)
        else commitment_value
    )
    if not isinstance(committed, str):
        return False
    try:
        computed = commitment(value, salt)
    except LedgerError:
        return False
    return hmac.compare_digest(computed, committed)


def reveal_payload(
    entry: PublicEntry | Mapping[str, Any], secrets: Mapping[str, FieldSecret]
) -> dict[str, Any]:
    """The payload with redacted fields restored, for the donor's own or an auditor's view.

    Every secret must open its commitment: a secret that does not match is a data error, not a
    value to show.
    """
    payload = dict(entry.payload if isinstance(entry, PublicEntry) else entry["payload"])
    for name, secret in secrets.items():
        if name not in payload or not is_commitment(payload[name]):
            raise LedgerError(f"payload.{name}: no commitment for this secret")
        if not open_commitment(payload[name], secret["value"], secret["salt"]):
            raise LedgerError(f"payload.{name}: the secret does not open the commitment")
        payload[name] = secret["value"]
    return payload


# --- building entries ---------------------------------------------------------------------------


def format_at(moment: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC: one text form per second, so it hashes the same anywhere."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise LedgerError("ledger timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def next_at(prev: PublicEntry | Mapping[str, Any] | None, now: datetime) -> str:
    """The timestamp for the next entry: ``now``, but never before the previous entry.

    Several app processes may append with slightly different clocks; the ledger's time must not
    run backwards (daily head hashes depend on it), so a lagging clock is clamped.
    """
    stamp = format_at(now)
    if prev is None:
        return stamp
    prev_at = prev.at if isinstance(prev, PublicEntry) else prev["at"]
    return max(stamp, prev_at)


def _valid_at(text: Any) -> bool:
    if not isinstance(text, str) or _AT.fullmatch(text) is None:
        return False
    try:
        datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return False
    return True


def make_entry(
    prev: PublicEntry | Mapping[str, Any] | None,
    *,
    seq: int,
    at: str | datetime,
    kind: str,
    subject: str,
    payload: Mapping[str, Any],
    private: Mapping[str, Any],
    salts: Mapping[str, str] | None = None,
) -> tuple[PublicEntry, dict[str, FieldSecret]]:
    """Build the next entry after ``prev`` (``None`` for the first) and the secrets it needs.

    ``payload`` holds the public fields, ``private`` the personal ones (an anonymous donor's name
    or participant id, ID numbers, personal names). Each private field appears in the public
    payload as ``{"commit": …}``; its value and random salt come back in the secrets dict, to be
    stored in the same transaction but never published. ``salts`` (tests, or rebuilding an entry
    from its private record) fixes the salts instead of drawing new ones.
    """
    _check_json_value(dict(payload), "payload")
    _check_json_value(dict(private), "private")
    prev_seq = 0
    prev_hash = GENESIS_HASH
    prev_at: str | None = None
    if isinstance(prev, PublicEntry):
        prev_seq, prev_hash, prev_at = prev.seq, prev.hash, prev.at
    elif prev is not None:
        prev_seq, prev_hash, prev_at = prev["seq"], prev["hash"], prev["at"]
    if isinstance(seq, bool) or not isinstance(seq, int) or seq != prev_seq + 1:
        raise LedgerError(f"seq must be {prev_seq + 1} (gapless after the previous entry)")
    at_text = format_at(at) if isinstance(at, datetime) else at
    if not _valid_at(at_text):
        raise LedgerError("at must be a UTC time written YYYY-MM-DDTHH:MM:SSZ")
    if prev_at is not None and at_text < prev_at:
        raise LedgerError(f"at {at_text} is before the previous entry's {prev_at}")
    if kind not in KINDS:
        raise LedgerError(f"unknown ledger kind {kind!r}")
    if not isinstance(subject, str) or _SUBJECT.fullmatch(subject) is None:
        raise LedgerError(f"subject must look like 'pledge:12', got {subject!r}")
    overlap = set(payload) & set(private)
    if overlap:
        raise LedgerError(f"fields both public and private: {sorted(overlap)}")
    for name, value in payload.items():
        if is_commitment(value):
            raise LedgerError(f"payload.{name}: a public value may not look like a commitment")
    salts = salts or {}
    unknown_salts = set(salts) - set(private)
    if unknown_salts:
        raise LedgerError(f"salts for fields that are not private: {sorted(unknown_salts)}")

    public_payload = dict(payload)
    field_secrets: dict[str, FieldSecret] = {}
    for name, value in private.items():
        salt = salts.get(name) or new_salt()
        public_payload[name] = {"commit": commitment(value, salt)}
        field_secrets[name] = {"value": json.loads(canonical_json(value)), "salt": salt}

    body: dict[str, Any] = {
        "seq": seq,
        "at": at_text,
        "kind": kind,
        "subject": subject,
        "payload": json.loads(canonical_json(public_payload)),
        "prev_hash": prev_hash,
    }
    _check_json_value(body, "entry")
    entry = PublicEntry(**body, hash=entry_hash(body))
    return entry, field_secrets


# --- verification -------------------------------------------------------------------------------


def _shape_problem(entry: Any) -> str | None:
    """What is wrong with an entry's fields and types, or None (the hash is checked elsewhere)."""
    if not isinstance(entry, Mapping):
        return "entry is not a JSON object"
    names = set(entry)
    if names != set(ENTRY_FIELDS):
        missing = sorted(set(ENTRY_FIELDS) - names)
        extra = sorted(str(name) for name in names - set(ENTRY_FIELDS))
        return f"wrong fields (missing {missing}, unexpected {extra})"
    seq = entry["seq"]
    if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= MAX_SAFE_INT:
        return "seq must be a positive integer"
    if not _valid_at(entry["at"]):
        return "at must be a UTC time written YYYY-MM-DDTHH:MM:SSZ"
    if not isinstance(entry["kind"], str) or _KIND.fullmatch(entry["kind"]) is None:
        return "kind must be lowercase letters, digits and underscores"
    if not isinstance(entry["subject"], str) or _SUBJECT.fullmatch(entry["subject"]) is None:
        return "subject must look like 'type:id' without spaces"
    if not isinstance(entry["payload"], Mapping):
        return "payload must be a JSON object"
    for name in ("prev_hash", "hash"):
        if not isinstance(entry[name], str) or _HEX64.fullmatch(entry[name]) is None:
            return f"{name} must be 64 lowercase hex characters"
    try:
        _check_json_value(dict(entry["payload"]), "payload")
    except LedgerError as exc:
        return str(exc)
    return None


def verify_chain(
    entries: Iterable[Mapping[str, Any]], *, expected_head: str | None = None
) -> VerifyResult:
    """Check a whole ledger in order: shape, gapless seq from 1, time order, links and hashes.

    Streams (constant memory), so it runs over a million rows. The first problem stops it; the
    result names that entry by the sequence number it should have had. An iterable that raises
    :class:`LedgerFormatError` (the parsers below) is reported the same way.

    The chain alone cannot notice that entries were cut off the end, or that the whole tail was
    rewritten and re-hashed: pass ``expected_head``, a head hash published earlier (the daily
    head on the disclosure page), and the ledger must contain an entry with that hash.
    """
    count = 0
    head = GENESIS_HASH
    prev_at = ""
    head_seen = expected_head is None or expected_head == GENESIS_HASH

    def fail(problem: Problem, detail: str) -> VerifyResult:
        return VerifyResult(False, count, head, count + 1, problem, detail)

    iterator = iter(entries)
    while True:
        expected_seq = count + 1
        try:
            entry = next(iterator)
        except StopIteration:
            break
        except LedgerFormatError as exc:
            return fail(exc.problem, exc.detail)
        detail = _shape_problem(entry)
        if detail is not None:
            return fail(Problem.MALFORMED, f"entry {expected_seq}: {detail}")
        if entry["seq"] != expected_seq:
            return fail(
                Problem.SEQ_GAP,
                f"expected seq {expected_seq}, found seq {entry['seq']} "
                "(an entry is missing, duplicated or out of order)",
            )
        if entry["at"] < prev_at:
            return fail(
                Problem.TIME_BACKWARDS,
                f"entry {expected_seq}: at {entry['at']} is before the previous entry's {prev_at}",
            )
        if entry["prev_hash"] != head:
            return fail(
                Problem.PREV_HASH_MISMATCH,
                f"entry {expected_seq}: prev_hash does not equal the hash of entry {count}",
            )
        if entry_hash(entry) != entry["hash"]:
            return fail(
                Problem.HASH_MISMATCH,
                f"entry {expected_seq}: stored hash does not match the recomputed hash",
            )
        count, head, prev_at = expected_seq, entry["hash"], entry["at"]
        if not head_seen and head == expected_head:
            head_seen = True
    if not head_seen:
        return fail(
            Problem.HEAD_NOT_FOUND,
            f"published head {expected_head} is not in this ledger "
            f"(entries after seq {count} were cut off, or earlier entries were rewritten)",
        )
    return VerifyResult(True, count, head, None, None, "")


def describe(result: VerifyResult) -> str:
    """One translated sentence for the CLI and the public page."""
    if result.ok:
        return _(
            "账本校验通过：共 %(count)s 条记录，最新哈希 %(head)s",
            count=result.count,
            head=result.head_hash,
        )
    messages = {
        Problem.MALFORMED: _("第 %(seq)s 条记录格式错误"),
        Problem.NOT_CANONICAL: _("第 %(seq)s 条记录不是规范编码（文件被修改过）"),
        Problem.SEQ_GAP: _("第 %(seq)s 条记录缺失、重复或顺序错乱"),
        Problem.TIME_BACKWARDS: _("第 %(seq)s 条记录的时间早于上一条"),
        Problem.PREV_HASH_MISMATCH: _("第 %(seq)s 条记录与上一条记录的哈希链接不符"),
        Problem.HASH_MISMATCH: _("第 %(seq)s 条记录的哈希值与重新计算的结果不符"),
        Problem.HEAD_NOT_FOUND: _("公布的哈希不在账本中：第 %(seq)s 条起的记录被截断或改写"),
    }
    assert result.reason is not None  # not ok always carries a reason
    return messages[result.reason] % {"seq": result.first_bad_seq}


@dataclass(frozen=True, slots=True)
class EntryProof:
    """How one entry sits in the chain up to its day's published head: every link checked."""

    ok: bool
    seq: int
    #: the last entry of the entry's UTC day, whose hash is the published daily head
    head_seq: int
    head_hash: str
    #: how many links were checked (the entry's own link to its predecessor included)
    links: int
    #: the first entry whose hash or link failed, when not ok
    bad_seq: int | None = None


def prove_entry(
    previous_hash: str, entries: Iterable[Mapping[str, Any]], *, published_head: str
) -> EntryProof:
    """Check that the first of ``entries`` (one entry and every later entry of its day, in
    order) is bound to ``published_head``: each hash recomputes from its fields and names the
    hash before it, starting from ``previous_hash`` (the predecessor's, or genesis). Changing
    the entry would change its hash and break every link up to the head everyone could copy —
    what the offline verifier proves for the whole ledger, shown here for one entry."""
    head = previous_hash
    first: int | None = None
    last = 0
    links = 0
    for entry in entries:
        seq = int(entry["seq"])
        first = seq if first is None else first
        if entry["prev_hash"] != head or entry_hash(entry) != entry["hash"]:
            return EntryProof(False, first, seq, published_head, links, bad_seq=seq)
        head, last, links = entry["hash"], seq, links + 1
    if first is None:
        raise ValueError("prove_entry needs the entry itself")
    return EntryProof(head == published_head, first, last, published_head, links,
                      bad_seq=None if head == published_head else last)  # fmt: skip


def daily_heads(entries: Iterable[Mapping[str, Any] | PublicEntry]) -> dict[date, str]:
    """The head hash at the end of each UTC day that has entries, in date order.

    Published on the disclosure page (docs/domain.md §3.7) so that a later copy of the ledger can be
    checked to still contain it. A day without entries keeps the previous day's head. Call it on
    a verified ledger: it trusts the order and the ``at`` fields.
    """
    heads: dict[date, str] = {}
    for entry in entries:
        if isinstance(entry, PublicEntry):
            at, head = entry.at, entry.hash
        else:
            at, head = entry["at"], entry["hash"]
        heads[date.fromisoformat(at[:10])] = head
    return heads


# --- export and import --------------------------------------------------------------------------


def _as_dict(entry: PublicEntry | Mapping[str, Any]) -> Mapping[str, Any]:
    return entry.to_dict() if isinstance(entry, PublicEntry) else entry


def iter_jsonl(entries: Iterable[PublicEntry | Mapping[str, Any]]) -> Iterator[str]:
    """JSON Lines export: each entry's canonical JSON (all seven fields) and ``\\n``."""
    for entry in entries:
        data = _as_dict(entry)
        yield canonical_json({name: data[name] for name in ENTRY_FIELDS}) + "\n"


def _csv_cell(text: str) -> str:
    # RFC 4180 minimal quoting, written out so that other languages can reproduce it exactly.
    if any(char in text for char in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_row(data: Mapping[str, Any]) -> str:
    cells = [
        str(data["seq"]),
        data["at"],
        data["kind"],
        data["subject"],
        canonical_json(data["payload"]),
        data["prev_hash"],
        data["hash"],
    ]
    return ",".join(_csv_cell(cell) for cell in cells) + "\r\n"


def iter_csv(entries: Iterable[PublicEntry | Mapping[str, Any]]) -> Iterator[str]:
    """CSV export: BOM, header, one ``\\r\\n``-terminated row per entry, payload as canonical JSON."""
    yield CSV_BOM + CSV_HEADER
    for entry in entries:
        data = _as_dict(entry)
        if _shape_problem(data) is not None:  # a row must be one physical line
            raise LedgerError(f"entry {data.get('seq')!r} cannot be exported: malformed")
        yield _csv_row(data)


def dumps_jsonl(entries: Iterable[PublicEntry | Mapping[str, Any]]) -> str:
    return "".join(iter_jsonl(entries))


def dumps_csv(entries: Iterable[PublicEntry | Mapping[str, Any]]) -> str:
    return "".join(iter_csv(entries))


def _split_lines(data: bytes | str) -> list[bytes]:
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    # Only "\n" ends a line: U+2028, "\r" and friends may legitimately appear inside a JSON string.
    parts = raw.split(b"\n")
    lines = [part + b"\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _reject_constant(text: str) -> Any:
    raise LedgerFormatError(Problem.MALFORMED, f"{text} is not allowed")


def _reject_float(text: str) -> Any:
    raise LedgerFormatError(
        Problem.MALFORMED, f"float {text} is not allowed (money is integer fen)"
    )


def _decode_line(line: bytes, number: int) -> str:
    if not line.endswith(b"\n"):
        raise LedgerFormatError(
            Problem.MALFORMED, f"line {number}: no line end (file cut off mid-line?)"
        )
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LedgerFormatError(Problem.MALFORMED, f"line {number}: not UTF-8") from exc


def _load_json(text: str, number: int) -> Any:
    try:
        return json.loads(text, parse_float=_reject_float, parse_constant=_reject_constant)
    except LedgerFormatError as exc:
        raise LedgerFormatError(exc.problem, f"line {number}: {exc.detail}") from exc
    except (ValueError, RecursionError) as exc:
        raise LedgerFormatError(Problem.MALFORMED, f"line {number}: not valid JSON") from exc


def _canonical_or_none(value: Any) -> str | None:
    try:
        return canonical_json(value)
    except LedgerError:
        return None


def parse_jsonl(lines: Iterable[bytes]) -> Iterator[dict[str, Any]]:
    """Read a JSON Lines export (e.g. a file opened in binary mode) and yield the entries.

    Each line must be exactly the canonical encoding of its entry, so any changed byte is caught
    at that line; field checks are left to :func:`verify_chain`.
    """
    for number, line in enumerate(lines, start=1):
        text = _decode_line(line, number)
        value = _load_json(text[:-1], number)
        canonical = _canonical_or_none(value)
        if canonical is None or not isinstance(value, dict):
            raise LedgerFormatError(Problem.MALFORMED, f"line {number}: not a valid entry object")
        if canonical + "\n" != text:
            raise LedgerFormatError(
                Problem.NOT_CANONICAL, f"line {number}: not in canonical form (re-saved or edited?)"
            )
        yield value


def parse_csv(lines: Iterable[bytes]) -> Iterator[dict[str, Any]]:
    """Read a CSV export (binary lines) and yield the entries; every row must be canonical."""
    iterator = iter(lines)
    first = next(iterator, b"")
    header = _decode_line(first, 1) if first else ""
    if header.removeprefix(CSV_BOM) != CSV_HEADER:
        raise LedgerFormatError(
            Problem.MALFORMED, f"line 1: the CSV header must be {CSV_HEADER.strip()!r}"
        )
    for number, line in enumerate(iterator, start=2):
        text = _decode_line(line, number)
        try:
            rows = list(csv.reader([text], strict=True))
        except csv.Error as exc:
            raise LedgerFormatError(Problem.MALFORMED, f"line {number}: not a CSV row") from exc
        if len(rows) != 1 or len(rows[0]) != len(ENTRY_FIELDS):
            raise LedgerFormatError(
                Problem.MALFORMED, f"line {number}: expected {len(ENTRY_FIELDS)} columns"
            )
        cells = dict(zip(ENTRY_FIELDS, rows[0], strict=True))
        if _SEQ_TEXT.fullmatch(cells["seq"]) is None:
            raise LedgerFormatError(Problem.MALFORMED, f"line {number}: seq is not a number")
        payload = _load_json(cells["payload"], number)
        entry: dict[str, Any] = {**cells, "seq": int(cells["seq"]), "payload": payload}
        if _shape_problem(entry) is not None:
            raise LedgerFormatError(Problem.MALFORMED, f"line {number}: not a valid entry")
        if _csv_row(entry) != text:
            raise LedgerFormatError(
                Problem.NOT_CANONICAL, f"line {number}: not in canonical form (re-saved or edited?)"
            )
        yield entry


def loads_jsonl(data: bytes | str) -> list[dict[str, Any]]:
    """All entries of a JSON Lines export; raises :class:`LedgerFormatError` on the first bad line."""
    return list(parse_jsonl(_split_lines(data)))


def loads_csv(data: bytes | str) -> list[dict[str, Any]]:
    """All entries of a CSV export; raises :class:`LedgerFormatError` on the first bad line."""
    return list(parse_csv(_split_lines(data)))
