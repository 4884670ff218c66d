"""`fupin ledger verify|export`, `fupin pledges lapse` and `fupin donations import-historical`:
thin shells over the money services.

``fupin donations import-historical FILE --as USER`` enters paper records of earlier years
(docs/domain.md §3.6): the named account must be a national administrator, every row is recorded and
confirmed marked ``historical``, and one bad row imports nothing.

``fupin ledger verify`` checks the database: the hash chain, and every confirmed donation,
receipt and pledge against its ledger entry (docs/domain.md §3.7). ``--file`` verifies an exported file
instead, exactly as the standalone ``tools/verify_ledger.py`` does (no database needed). Exit
status 0 when everything holds, 1 when something does not (the first bad entry is named).
"""

from __future__ import annotations

import csv
import io
import sys
from datetime import date
from pathlib import Path

import click

from fupin.accounts.models import User
from fupin.accounts.service import users as accounts
from fupin.core.cli import load_settings, run_with_db
from fupin.core.money import parse_yuan
from fupin.db import transaction
from fupin.errors import FupinError
from fupin.ledger import rules as ledger_chain
from fupin.ledger import service as ledger_domain
from fupin.money.service import donations as donations_domain
from fupin.money.service import ledger_check
from fupin.money.service import pledges as pledges_domain
from fupin.money.service import rollups as money_rollups


@click.group(help="The public ledger: verify (database or exported file) and export.")
def ledger() -> None:
    pass


def _verify_file(path: Path, fmt: str | None, head: str | None) -> int:
    fmt = fmt or (
        "csv"
        if path.suffix.lower() == ".csv"
        else "jsonl"
        if path.suffix.lower() == ".jsonl"
        else None
    )
    if fmt is None:
        raise click.UsageError("cannot tell the format from the file name: use --format jsonl|csv")
    parse = ledger_chain.parse_csv if fmt == "csv" else ledger_chain.parse_jsonl
    try:
        with path.open("rb") as handle:
            result = ledger_chain.verify_chain(parse(handle), expected_head=head)
    except OSError as exc:
        raise click.UsageError(f"cannot read {path}: {exc.strerror}") from exc
    if result.ok:
        click.echo("OK 校验通过")
        click.echo(f"entries 记录数: {result.count}")
        click.echo(f"head 最新哈希: {result.head_hash}")
        return 0
    click.echo(f"FAIL 校验失败 at seq 第 {result.first_bad_seq} 条: {result.reason}")
    click.echo(f"  {ledger_chain.describe(result)}")
    click.echo(f"  {result.detail}")
    return 1


def _verify_database() -> int:
    settings = load_settings()
    result = run_with_db(settings, ledger_check.verify_database)
    counts = result.counts
    if result.ok:
        click.echo("OK 校验通过")
        click.echo(f"entries 记录数: {counts.get('entries', 0)}")
        click.echo(f"head 最新哈希: {result.chain.head_hash}")
        click.echo(
            f"checked against the records 已核对: {counts.get('donations', 0)} donations, "
            f"{counts.get('receipts', 0)} receipts, {counts.get('pledges', 0)} pledges"
        )
        return 0
    first = result.first_bad_seq
    if not result.chain.ok:
        click.echo(
            f"FAIL 校验失败 at seq 第 {result.chain.first_bad_seq} 条: {result.chain.reason}"
        )
        click.echo(f"  {ledger_chain.describe(result.chain)}")
        click.echo(f"  {result.chain.detail}")
    finding = result.first_finding()
    if finding is not None:
        where = f"at seq 第 {first} 条" if first is not None else "in the records 记录不符"
        if result.chain.ok:
            click.echo(f"FAIL 校验失败 {where}: record_mismatch")
        for item in sorted(result.findings, key=lambda f: (f.seq is None, f.seq or 0))[:20]:
            click.echo(f"  {item.detail}")
        if len(result.findings) > 20:
            click.echo(f"  … {len(result.findings) - 20} more")
    return 1


@ledger.command("verify", help="Verify the ledger in the database (chain + records), or an export.")
@click.option(
    "--file",
    "file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Verify this exported ledger.jsonl / ledger.csv instead of the database.",
)
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default=None)
@click.option("--head", default=None, help="A published daily head hash the file must contain.")
def verify(file: Path | None, fmt: str | None, head: str | None) -> None:
    code = _verify_file(file, fmt, head) if file is not None else _verify_database()
    sys.exit(code)


@ledger.command("export", help="Write the public ledger (JSON Lines or CSV) to a file or stdout.")
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="File to write; default: standard output.",
)
def export(fmt: str, output: Path | None) -> None:
    settings = load_settings()

    async def job() -> int:
        written = 0
        handle = output.open("wb") if output is not None else sys.stdout.buffer
        try:
            async for chunk in ledger_domain.iter_export(fmt):
                handle.write(chunk.encode("utf-8"))
                written += chunk.count("\n")
        finally:
            if output is not None:
                handle.close()
            else:
                handle.flush()
        return written

    lines = run_with_db(settings, job)
    if output is not None:
        click.echo(f"wrote {output} ({lines} lines)", err=True)


@click.group(help="Pledges.")
def pledges() -> None:
    pass


@pledges.command("lapse", help="Lapse every open pledge whose due date has passed unpaid.")
def lapse() -> None:
    settings = load_settings()
    count = run_with_db(settings, pledges_domain.lapse_overdue)
    click.echo(f"lapsed {count} pledge(s)")


@click.group(help="The dashboards' money rollups: verify against the records, or rebuild.")
def rollups() -> None:
    pass


@rollups.command(
    "verify",
    help="Recompute every rollup row from the pledges and donations and list the differences "
    "(exit status 1 if there are any).",
)
@click.option("--limit", default=20, show_default=True, help="Differences to print.")
def rollups_verify(limit: int) -> None:
    differences = run_with_db(load_settings(), money_rollups.verify)
    if not differences:
        click.echo("OK 汇总表与原始记录一致 (rollups agree with the records)")
        return
    click.echo(f"FAIL {len(differences)} 处不一致 (differences); `fupin rollups rebuild` repairs:")
    for difference in differences[:limit]:
        click.echo(f"  {difference.describe()}")
    raise SystemExit(1)


@rollups.command("rebuild", help="Replace every rollup row from the records (one transaction).")
def rollups_rebuild() -> None:
    counts = run_with_db(load_settings(), money_rollups.rebuild)
    for table, count in counts.items():
        click.echo(f"{table}: {count} rows")


@click.group(help="Donations: the national office's historical-records import.")
def donations() -> None:
    pass


#: Columns of the historical-records CSV (UTF-8, header row).
HISTORICAL_COLUMNS = ("recipient_id", "need_id", "donor_id", "amount", "received_on", "note")


@donations.command(
    "import-historical",
    help="Record and confirm paper donation records of earlier years (national administrator "
    "only; each is marked historical on the record and in the ledger). CSV columns: "
    + ", ".join(HISTORICAL_COLUMNS)
    + ", optional payment_reference. All rows or none.",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "username", required=True, help="The national administrator's login.")
def import_historical(file: Path, username: str) -> None:
    settings = load_settings()
    try:
        rows = list(csv.DictReader(io.StringIO(file.read_text(encoding="utf-8-sig"))))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise click.UsageError(f"cannot read {file}: {exc}") from exc
    missing = [c for c in HISTORICAL_COLUMNS if rows and c not in rows[0]]
    if not rows or missing:
        raise click.UsageError(f"{file}: needs a header with {', '.join(HISTORICAL_COLUMNS)}")

    async def job() -> list[int]:
        user = await User.get_or_none(username=username, is_active=True)
        if user is None:
            raise click.ClickException(f"no active account {username!r}")
        actor = await accounts.actor_for(user)
        made: list[int] = []
        async with transaction():
            for number, row in enumerate(rows, start=2):
                try:
                    donation = await donations_domain.import_historical_donation(
                        actor=actor,
                        recipient_id=int(row["recipient_id"]),
                        need_id=int(row["need_id"]),
                        donor_id=int(row["donor_id"]),
                        amount_fen=parse_yuan(row["amount"], field="amount"),
                        received_on=date.fromisoformat(row["received_on"].strip()),
                        payment_reference=row.get("payment_reference") or "",
                        note=row["note"],
                    )
                except (ValueError, FupinError) as exc:
                    field = getattr(exc, "field", None) or "row"
                    message = getattr(exc, "message", str(exc))
                    raise click.ClickException(
                        f"row {number}, {field}: {message} (nothing was imported)"
                    ) from exc
                made.append(donation.id)
        return made

    made = run_with_db(settings, job)
    click.echo(f"imported {len(made)} historical donations: {', '.join(map(str, made))}")


commands = [ledger, pledges, rollups, donations]
