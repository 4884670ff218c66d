#!/usr/bin/env python3
"""Verify an exported Fupin public ledger (扶贫公开账本校验工具).

Usage::

    python verify_ledger.py ledger.jsonl            # or ledger.csv
    python verify_ledger.py ledger.jsonl --head <hash published on the disclosure page>
    python verify_ledger.py ledger.csv --daily-heads

Exit status 0: every entry is intact; the number of entries and the head hash are printed.
Exit status 1: the first bad entry is named (its sequence number and why). Exit status 2: the
command was used wrongly (no such file, unknown extension).

This file needs only Python's standard library (3.8 or newer) and nothing from Fupin: download
it next to the export and run it. The rules it checks are described in docs/ledger.md; they are
the same as fupin.ledger.rules (the project's tests run both on the same files and require
identical results).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import sys
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, NamedTuple

GENESIS_HASH = "0" * 64
ENTRY_FIELDS = ("seq", "at", "kind", "subject", "payload", "prev_hash", "hash")
MAX_SAFE_INT = 2**53 - 1
CSV_BOM = "\ufeff"
CSV_HEADER = ",".join(ENTRY_FIELDS) + "\r\n"

_HEX64 = re.compile(r"[0-9a-f]{64}")
_AT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
_KIND = re.compile(r"[a-z][a-z0-9_]{0,31}")
_SUBJECT = re.compile(r"[a-z][a-z0-9_]{0,30}:[^\s\x00-\x1f\x7f]{1,128}")
_SEQ_TEXT = re.compile(r"[1-9][0-9]{0,15}")

MALFORMED = "malformed"
NOT_CANONICAL = "not_canonical"
SEQ_GAP = "seq_gap"
TIME_BACKWARDS = "time_backwards"
PREV_HASH_MISMATCH = "prev_hash_mismatch"
HASH_MISMATCH = "hash_mismatch"
HEAD_NOT_FOUND = "head_not_found"

EXPLANATIONS = {
    MALFORMED: "格式错误 / the entry is malformed",
    NOT_CANONICAL: "不是规范编码，文件被修改或另存过 / not in canonical form (edited or re-saved)",
    SEQ_GAP: "记录缺失、重复或顺序错乱 / an entry is missing, duplicated or out of order",
    TIME_BACKWARDS: "时间早于上一条记录 / its time is before the previous entry's",
    PREV_HASH_MISMATCH: "与上一条记录的链接不符 / does not link to the previous entry",
    HASH_MISMATCH: "哈希值与重新计算的不符，内容被改动 / hash mismatch: the content was changed",
    HEAD_NOT_FOUND: "公布的哈希不在文件中，记录被截断或改写 / "
    "the published head is missing: entries were cut off or rewritten",
}


class FormatProblem(Exception):
    def __init__(self, problem: str, detail: str) -> None:
        super().__init__(detail)
        self.problem = problem
        self.detail = detail


class Result(NamedTuple):
    ok: bool
    count: int
    head_hash: str
    first_bad_seq: int | None
    reason: str | None
    detail: str


# --- canonical JSON and hashes (docs/ledger.md, "Canonical JSON" and "Hashes") ------------------


class ValueProblem(ValueError):
    pass


def check_text(text: str, where: str) -> None:
    if "\x00" in text:
        raise ValueProblem(f"{where}: U+0000 is not allowed in ledger text")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueProblem(f"{where}: text is not valid Unicode (lone surrogate)") from exc


def check_json_value(value: Any, where: str) -> None:
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, str):
        check_text(value, where)
        return
    if isinstance(value, int):
        if not -MAX_SAFE_INT <= value <= MAX_SAFE_INT:
            raise ValueProblem(f"{where}: integer {value} is outside ±(2**53 - 1)")
        return
    if isinstance(value, float):
        raise ValueProblem(
            f"{where}: floats are not allowed in the ledger; money must be integer fen (分)"
        )
    if isinstance(value, list):
        for index, item in enumerate(value):
            check_json_value(item, f"{where}[{index}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueProblem(f"{where}: object keys must be strings, got {key!r}")
            check_text(key, where)
            check_json_value(item, f"{where}.{key}")
        return
    raise ValueProblem(f"{where}: {type(value).__name__} is not allowed in the ledger")


def canonical_json(value: Any) -> str:
    check_json_value(value, "value")
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def entry_hash(entry: dict[str, Any]) -> str:
    body = {name: entry[name] for name in ENTRY_FIELDS if name != "hash"}
    data = (entry["prev_hash"] + canonical_json(body)).encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def valid_at(text: Any) -> bool:
    if not isinstance(text, str) or _AT.fullmatch(text) is None:
        return False
    try:
        datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return False
    return True


def shape_problem(entry: Any) -> str | None:
    if not isinstance(entry, dict):
        return "entry is not a JSON object"
    names = set(entry)
    if names != set(ENTRY_FIELDS):
        missing = sorted(set(ENTRY_FIELDS) - names)
        extra = sorted(str(name) for name in names - set(ENTRY_FIELDS))
        return f"wrong fields (missing {missing}, unexpected {extra})"
    seq = entry["seq"]
    if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= MAX_SAFE_INT:
        return "seq must be a positive integer"
    if not valid_at(entry["at"]):
        return "at must be a UTC time written YYYY-MM-DDTHH:MM:SSZ"
    if not isinstance(entry["kind"], str) or _KIND.fullmatch(entry["kind"]) is None:
        return "kind must be lowercase letters, digits and underscores"
    if not isinstance(entry["subject"], str) or _SUBJECT.fullmatch(entry["subject"]) is None:
        return "subject must look like 'type:id' without spaces"
    if not isinstance(entry["payload"], dict):
        return "payload must be a JSON object"
    for name in ("prev_hash", "hash"):
        if not isinstance(entry[name], str) or _HEX64.fullmatch(entry[name]) is None:
            return f"{name} must be 64 lowercase hex characters"
    try:
        check_json_value(entry["payload"], "payload")
    except ValueProblem as exc:
        return str(exc)
    return None


# --- verification (docs/ledger.md, "What verification checks") ----------------------------------


def verify(entries: Iterable[dict[str, Any]], expected_head: str | None = None) -> Result:
    count = 0
    head = GENESIS_HASH
    prev_at = ""
    head_seen = expected_head is None or expected_head == GENESIS_HASH

    def fail(problem: str, detail: str) -> Result:
        return Result(False, count, head, count + 1, problem, detail)

    iterator = iter(entries)
    while True:
        expected_seq = count + 1
        try:
            entry = next(iterator)
        except StopIteration:
            break
        except FormatProblem as exc:
            return fail(exc.problem, exc.detail)
        detail = shape_problem(entry)
        if detail is not None:
            return fail(MALFORMED, f"entry {expected_seq}: {detail}")
        if entry["seq"] != expected_seq:
            return fail(
                SEQ_GAP,
                f"expected seq {expected_seq}, found seq {entry['seq']} "
                "(an entry is missing, duplicated or out of order)",
            )
        if entry["at"] < prev_at:
            return fail(
                TIME_BACKWARDS,
                f"entry {expected_seq}: at {entry['at']} is before the previous entry's {prev_at}",
            )
        if entry["prev_hash"] != head:
            return fail(
                PREV_HASH_MISMATCH,
                f"entry {expected_seq}: prev_hash does not equal the hash of entry {count}",
            )
        if entry_hash(entry) != entry["hash"]:
            return fail(
                HASH_MISMATCH,
                f"entry {expected_seq}: stored hash does not match the recomputed hash",
            )
        count, head, prev_at = expected_seq, entry["hash"], entry["at"]
        if not head_seen and head == expected_head:
            head_seen = True
    if not head_seen:
        return fail(
            HEAD_NOT_FOUND,
            f"published head {expected_head} is not in this ledger "
            f"(entries after seq {count} were cut off, or earlier entries were rewritten)",
        )
    return Result(True, count, head, None, None, "")


# --- reading the export files (docs/ledger.md, "File formats") ----------------------------------


def split_lines(raw: bytes) -> list[bytes]:
    # Only "\n" ends a line: "\r", U+2028 and friends may appear inside a JSON string.
    parts = raw.split(b"\n")
    lines = [part + b"\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _reject_constant(text: str) -> Any:
    raise FormatProblem(MALFORMED, f"{text} is not allowed")


def _reject_float(text: str) -> Any:
    raise FormatProblem(MALFORMED, f"float {text} is not allowed (money is integer fen)")


def decode_line(line: bytes, number: int) -> str:
    if not line.endswith(b"\n"):
        raise FormatProblem(MALFORMED, f"line {number}: no line end (file cut off mid-line?)")
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatProblem(MALFORMED, f"line {number}: not UTF-8") from exc


def load_json(text: str, number: int) -> Any:
    try:
        return json.loads(text, parse_float=_reject_float, parse_constant=_reject_constant)
    except FormatProblem as exc:
        raise FormatProblem(exc.problem, f"line {number}: {exc.detail}") from exc
    except (ValueError, RecursionError) as exc:
        raise FormatProblem(MALFORMED, f"line {number}: not valid JSON") from exc


def canonical_or_none(value: Any) -> str | None:
    try:
        return canonical_json(value)
    except ValueProblem:
        return None


def parse_jsonl(lines: Iterable[bytes]) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(lines, start=1):
        text = decode_line(line, number)
        value = load_json(text[:-1], number)
        canonical = canonical_or_none(value)
        if canonical is None or not isinstance(value, dict):
            raise FormatProblem(MALFORMED, f"line {number}: not a valid entry object")
        if canonical + "\n" != text:
            raise FormatProblem(
                NOT_CANONICAL, f"line {number}: not in canonical form (re-saved or edited?)"
            )
        yield value


def csv_cell(text: str) -> str:
    if any(char in text for char in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_row(entry: dict[str, Any]) -> str:
    cells = [
        str(entry["seq"]),
        entry["at"],
        entry["kind"],
        entry["subject"],
        canonical_json(entry["payload"]),
        entry["prev_hash"],
        entry["hash"],
    ]
    return ",".join(csv_cell(cell) for cell in cells) + "\r\n"


def parse_csv(lines: Iterable[bytes]) -> Iterator[dict[str, Any]]:
    iterator = iter(lines)
    first = next(iterator, b"")
    header = decode_line(first, 1) if first else ""
    if header.startswith(CSV_BOM):
        header = header[len(CSV_BOM) :]
    if header != CSV_HEADER:
        raise FormatProblem(MALFORMED, f"line 1: the CSV header must be {CSV_HEADER.strip()!r}")
    for number, line in enumerate(iterator, start=2):
        text = decode_line(line, number)
        try:
            rows = list(csv.reader([text], strict=True))
        except csv.Error as exc:
            raise FormatProblem(MALFORMED, f"line {number}: not a CSV row") from exc
        if len(rows) != 1 or len(rows[0]) != len(ENTRY_FIELDS):
            raise FormatProblem(MALFORMED, f"line {number}: expected {len(ENTRY_FIELDS)} columns")
        cells = {name: rows[0][index] for index, name in enumerate(ENTRY_FIELDS)}
        if _SEQ_TEXT.fullmatch(cells["seq"]) is None:
            raise FormatProblem(MALFORMED, f"line {number}: seq is not a number")
        entry: dict[str, Any] = dict(cells)
        entry["seq"] = int(cells["seq"])
        entry["payload"] = load_json(cells["payload"], number)
        if shape_problem(entry) is not None:
            raise FormatProblem(MALFORMED, f"line {number}: not a valid entry")
        if csv_row(entry) != text:
            raise FormatProblem(
                NOT_CANONICAL, f"line {number}: not in canonical form (re-saved or edited?)"
            )
        yield entry


def parse_file(raw: bytes | Iterable[bytes], fmt: str) -> Iterator[dict[str, Any]]:
    """Entries of a whole file's bytes, or of a file opened in binary mode (streamed)."""
    lines = split_lines(raw) if isinstance(raw, bytes) else raw
    return parse_csv(lines) if fmt == "csv" else parse_jsonl(lines)


# --- command line -------------------------------------------------------------------------------


class _Recorder:
    """Passes entries through while keeping each day's last hash (only verified ones count)."""

    def __init__(self, entries: Iterable[dict[str, Any]]) -> None:
        self.entries = entries
        self.heads: dict[str, str] = {}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for entry in self.entries:
            yield entry
            self.heads[entry["at"][:10]] = entry["hash"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Verify an exported Fupin public ledger (.jsonl or .csv). "
        "校验扶贫公开账本导出文件。"
    )
    parser.add_argument("file", help="ledger.jsonl or ledger.csv")
    parser.add_argument(
        "--format", choices=("jsonl", "csv"), help="file format (default: from the extension)"
    )
    parser.add_argument(
        "--head",
        help="a head hash published on the disclosure page: it must appear in the file",
    )
    parser.add_argument(
        "--daily-heads", action="store_true", help="also print the head hash at the end of each day"
    )
    args = parser.parse_args(argv)

    fmt = args.format
    if fmt is None:
        lowered = args.file.lower()
        if lowered.endswith(".jsonl"):
            fmt = "jsonl"
        elif lowered.endswith(".csv"):
            fmt = "csv"
        else:
            parser.error("cannot tell the format from the file name: use --format jsonl|csv")
    if args.head is not None:
        args.head = args.head.strip().lower()
    if args.head is not None and _HEX64.fullmatch(args.head) is None:
        parser.error("--head must be 64 lowercase hex characters")
    try:
        # Binary lines end only at b"\n" and are read one at a time: a million entries are fine.
        with open(args.file, "rb") as handle:
            recorder = _Recorder(parse_file(handle, fmt))
            result = verify(recorder, expected_head=args.head)
    except OSError as exc:
        parser.error(f"cannot read {args.file}: {exc.strerror}")
    if result.ok:
        print("OK 校验通过")
        print(f"entries 记录数: {result.count}")
        print(f"head 最新哈希: {result.head_hash}")
        if args.head is not None:
            print(f"published head found 已找到公布的哈希: {args.head}")
    else:
        print(f"FAIL 校验失败 at seq 第 {result.first_bad_seq} 条: {result.reason}")
        print(f"  {EXPLANATIONS[str(result.reason)]}")
        print(f"  {result.detail}")
        print(f"verified before it 此前已校验: {result.count} entries, head {result.head_hash}")
    if args.daily_heads:
        for day, head in recorder.heads.items():
            print(f"{day} {head}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
