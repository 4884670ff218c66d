"""The production shape under mixed load, started by the benchmark itself on loopback.

1. a throw-away PostgreSQL database on ``--postgres`` (trust auth; created here, dropped at
   the end unless ``--keep``), then the real commands as an operator runs them: ``fupin
   migrate``, ``fupin data load`` (the whole registry), ``fupin demo --needs N`` (N demo needs
   with their money through the services; 2,000 by default, so the set-up stays within a few
   minutes);
2. accounts made through the accounts service, as ``fupin users create`` / ``fupin users
   token`` make them: ``--donors`` donor logins (members of the demo participants), a national
   administrator and five county officers, each with an API token;
3. for each ``--workers`` count: ``fupin serve --workers N`` with ``FUPIN_SEARCH_WORKER=false``
   and one separate ``fupin worker``, as subprocesses on 127.0.0.1;
4. ``wrk`` (one process per kind of request, all at once, each with a Lua script that rotates
   paths and tokens and counts the answers by class): public list pages, need pages, search
   through the API, the national dashboard (administrator token), pledges of 10–100 yuan from
   the donors' tokens (about a tenth of the requests), and county work (county officers drafting
   needs). Bounded by ``--duration`` seconds per run;
5. throughput, p50/p95/p99 per kind and the 5xx count;
6. where the machine's CPU went during the load (bench/procfs.py, from /proc): each web
   process and their sum (with CPU milliseconds per request), the supervisor, the worker, the
   whole PostgreSQL server (and its backends on this database), the wrk processes, everything
   else by command name (other sessions on a shared machine), idle and steal — as seconds,
   cores busy on average and share of cores × wall; then one line per run side by side;
7. the checks: no need over-pledged (SQL over the pledges), ``fupin ledger verify`` and
   ``fupin rollups verify`` pass, and once the worker has drained the outbox the search index
   holds every public need.

    PYTHONPATH=platform .venv/bin/python bench/load.py --workers 1 2 --duration 20

Needs ``wrk`` on the path (Debian: ``apt-get install wrk``). Not part of the test suite; the
figures go to the README's Figures table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).parent))
import procfs

#: (kind, wrk connections). Pledges and county work use few connections, so they are a small
#: share of the requests; the shares are printed.
KINDS = [
    ("list", 12),
    ("need", 12),
    ("search", 8),
    ("dashboard", 2),
    ("pledge", 12),
    ("county", 2),
]
SEARCH_WORDS = ["饮水", "道路", "学校", "医疗", "产业", "住房", "电商", "养殖", "种植", "桥"]

LUA = r"""
local requests_ = %(requests)s
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) s5 = 0; s4 = 0; s2 = 0; n = math.random(1, #requests_) end
function request()
  n = n %% #requests_ + 1
  local r = requests_[n]
  return wrk.format(r[1], r[2], r[3], r[4])
end
function response(status, headers, body)
  if status >= 500 then s5 = s5 + 1 elseif status >= 400 then s4 = s4 + 1 else s2 = s2 + 1 end
end
function done(summary, latency, requests)
  local t5, t4, t2 = 0, 0, 0
  for _, t in ipairs(threads) do t5 = t5 + t:get("s5"); t4 = t4 + t:get("s4"); t2 = t2 + t:get("s2") end
  io.write(string.format(
    'RESULT {"requests": %%d, "seconds": %%f, "p50": %%f, "p95": %%f, "p99": %%f, "ok": %%d, "4xx": %%d, "5xx": %%d, "errors": %%d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3,
    latency:percentile(95) / 1e3, latency:percentile(99) / 1e3, t2, t4, t5,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def lua_string(value: str) -> str:
    """A Lua string literal of ``value``'s UTF-8 bytes (wrk's LuaJIT reads decimal escapes)."""
    return (
        '"'
        + "".join(
            chr(b) if 32 <= b < 127 and b not in (34, 92) else f"\\{b:03d}" for b in value.encode()
        )
        + '"'
    )


#: (method, path, headers, body) of one request a wrk script sends.
Request = tuple[str, str, dict[str, str], str | None]


def lua_requests(rows: list[Request]) -> str:
    out = []
    for method, path, headers, body in rows:
        hs = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items())
        out.append(
            f"{{{lua_string(method)}, {lua_string(path)}, {{{hs}}}, "
            f"{lua_string(body) if body is not None else 'nil'}}}"
        )
    return "{\n" + ",\n".join(out) + "\n}"


def run(cmd: list[str], env: dict[str, str], label: str) -> str:
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{label} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    print(f"{label}: {took:.1f} s")
    return done.stdout


async def make_accounts(donors: int) -> dict[str, Any]:
    """Donor, administrator and county officer logins with API tokens, through the accounts
    service (what ``fupin users create`` and ``fupin users token`` call)."""
    from fupin.accounts.models import Participant
    from fupin.accounts.service import users as accounts
    from fupin.core.sql import rows
    from fupin.needs.models import Need

    participants = await Participant.all().order_by("id").limit(donors)
    donor_tokens = []
    for i in range(donors):
        participant = participants[i % len(participants)]
        user = await accounts.create_user(
            actor=None,
            username=f"load-donor-{i}-{os.getpid()}",
            password=secrets.token_urlsafe(16),
            role="participant_member",
            display_name=f"load donor {i}",
            participant_id=participant.id,
        )
        donor_tokens.append(await accounts.create_api_token(user=user, name="load", days=30))
    admin = await accounts.create_user(
        actor=None,
        username=f"load-admin-{os.getpid()}",
        password=secrets.token_urlsafe(16),
        role="national_admin",
        display_name="load admin",
    )
    admin_token = await accounts.create_api_token(user=admin, name="load", days=30)
    counties = await rows(
        "SELECT county_code AS c, MIN(region_id) AS v FROM need WHERE length(region_id) = 12 "
        "GROUP BY county_code ORDER BY COUNT(*) DESC LIMIT 5"
    )
    officers = []
    for i, row in enumerate(counties):
        user = await accounts.create_user(
            actor=None,
            username=f"load-county-{i}-{os.getpid()}",
            password=secrets.token_urlsafe(16),
            role="county_officer",
            display_name=f"load county {i}",
            region_code=row["c"],
        )
        officers.append(
            (await accounts.create_api_token(user=user, name="load", days=30), row["v"])
        )
    needs = (
        await Need.filter(state="published").order_by("-id").limit(400).values_list("id", flat=True)
    )
    all_public = (
        await Need.filter(published_at__isnull=False).limit(2000).values_list("id", flat=True)
    )
    return {
        "donors": donor_tokens,
        "admin": admin_token,
        "officers": officers,
        "published": list(needs),
        "public": list(all_public),
    }


def scripts(accounts: dict[str, Any], workdir: Path) -> dict[str, Path]:
    from fupin.core.categories import CATEGORY_CODES
    from fupin.core.clock import today_cn

    today = today_cn()
    due = (today + timedelta(days=60)).isoformat()
    get: dict[str, list[Request]] = {
        "list": [("GET", f"/needs?page={p}", {}, None) for p in range(1, 21)],
        "need": [("GET", f"/needs/{i}", {}, None) for i in accounts["public"][:500]],
        "search": [("GET", f"/api/v1/needs?q={quote(w)}", {}, None) for w in SEARCH_WORDS],
        "dashboard": [
            (
                "GET",
                "/api/v1/dashboards/national",
                {"Authorization": f"Bearer {accounts['admin']}"},
                None,
            )
        ],
    }
    pledges: list[Request] = []
    for k, need_id in enumerate(accounts["published"]):
        token = accounts["donors"][k % len(accounts["donors"])]
        body = {"need_id": need_id, "amount_fen": 1000 * (10 + k % 91), "due_date": due}
        pledges.append(
            (
                "POST",
                "/api/v1/pledges",
                {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                json.dumps(body),
            )
        )
    get["pledge"] = pledges
    county: list[Request] = []
    for k, (token, village) in enumerate(accounts["officers"] * 4):
        body = {
            "region_code": village,
            "category": CATEGORY_CODES[k % len(CATEGORY_CODES)],
            "title": f"压力测试草稿{k}",
            "description": "压力测试时县里起草的项目，用来衡量县级工作的负载。",
            "target_fen": 500_000,
            "beneficiary_people": 20,
            "deadline": (today + timedelta(days=90)).isoformat(),
        }
        county.append(
            (
                "POST",
                "/api/v1/needs",
                {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                json.dumps(body, ensure_ascii=False),
            )
        )
    get["county"] = county
    out = {}
    for kind, rows in get.items():
        path = workdir / f"{kind}.lua"
        path.write_text(LUA % {"requests": lua_requests(rows)}, encoding="utf-8")
        out[kind] = path
    return out


def wait_ready(url: str, port: int, workers: int, seconds: float) -> None:
    """Until ``/readyz`` answers and all ``workers`` processes listen. One process answering is
    not enough: wrk opens its connections once and keeps them for the whole run, so a process
    that was still starting when they arrived gets none of them (seen on a busy machine: one
    process at 11.3 CPU-seconds, the other at 0.3)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=2) as response:
                if response.status == 200 and procfs.read_listeners(port) >= workers:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(
        f"{url} not ready after {seconds} s ({procfs.read_listeners(port)} of {workers} "
        "processes listening)"
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def load_run(
    workers: int, env: dict[str, str], lua: dict[str, Path], args: argparse.Namespace
) -> RunFigures:
    fupin = shutil.which("fupin", path=str(Path(sys.executable).parent)) or "fupin"
    port = args.port
    url = f"http://127.0.0.1:{port}"
    log = open(Path(env["FUPIN_VAR_DIR"]) / f"serve-{workers}.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        [fupin, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen([fupin, "worker"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_ready(url, port, workers, 120)
        load_before = os.getloadavg()[0]
        machine_before, procs_before = procfs.read_machine(), procfs.read_processes()
        wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        runs = {
            kind: subprocess.Popen(
                [
                    "wrk",
                    "-t1",
                    f"-c{connections}",
                    f"-d{args.duration}s",
                    "--timeout",
                    "30s",
                    "-s",
                    str(lua[kind]),
                    url,
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for kind, connections in KINDS
        }
        results: dict[str, dict[str, float]] = {}
        for kind, process in runs.items():
            output, _ = process.communicate(args.duration + 120)
            line = next((s for s in output.splitlines() if s.startswith("RESULT ")), None)
            if line is None:
                raise SystemExit(f"wrk {kind}:\n{output}")
            results[kind] = json.loads(line[len("RESULT ") :])
        wall = time.perf_counter() - started
        machine_after, procs_after = procfs.read_machine(), procfs.read_processes()
        wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cmdlines = {pid: procfs.read_cmdline(pid) for pid in procs_before.keys() | procs_after}
        load_after = os.getloadavg()[0]
    finally:
        stop(server)
        stop(worker)
        log.close()
    total = sum(r["requests"] for r in results.values())
    seconds = max(r["seconds"] for r in results.values())
    print(
        f"\n--workers {workers}: {total / seconds:.1f} req/s over {seconds:.1f} s, "
        f"load average {load_before:.2f} -> {load_after:.2f}"
    )
    print(
        f"{'kind':<10} {'conns':>5} {'requests':>8} {'share':>6} {'req/s':>7} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'4xx':>5} {'5xx':>5} {'sock err':>8}"
    )
    for kind, connections in KINDS:
        r = results[kind]
        print(
            f"{kind:<10} {connections:>5} {r['requests']:>8} "
            f"{r['requests'] / total * 100:>5.1f}% {r['requests'] / r['seconds']:>7.1f} "
            f"{r['p50']:>8.1f} {r['p95']:>8.1f} {r['p99']:>8.1f} {r['4xx']:>5} {r['5xx']:>5} "
            f"{r['errors']:>8}"
        )
    print(f"5xx in all: {sum(r['5xx'] for r in results.values())}")
    usage = cpu_usage(
        CpuRun(
            server=server.pid,
            worker=worker.pid,
            database=env["FUPIN_DATABASE_URL"].rsplit("/", 1)[-1],
            wall=wall,
            machine=(machine_before, machine_after),
            processes=(procs_before, procs_after),
            cmdlines=cmdlines,
            wrk_seconds=(wrk_after.ru_utime + wrk_after.ru_stime)
            - (wrk_before.ru_utime + wrk_before.ru_stime),
        ),
        requests=total,
    )
    return RunFigures(workers=workers, rate=total / seconds, requests=total, cpu=usage, wall=wall)


@dataclass(frozen=True)
class RunFigures:
    workers: int
    rate: float  # requests per second, all kinds
    requests: int
    cpu: dict[str, float]  # seconds per group of cpu_usage
    wall: float


@dataclass(frozen=True)
class CpuRun:
    """What the two /proc snapshots around one run's load hold (bench/procfs.py)."""

    server: int  # the `fupin serve` supervisor; its children are the web processes
    worker: int
    database: str
    wall: float
    machine: tuple[procfs.MachineTimes, procfs.MachineTimes]
    processes: tuple[procfs.Snapshot, procfs.Snapshot]
    cmdlines: dict[int, str]  # read before the processes were stopped
    wrk_seconds: float


def cpu_usage(run: CpuRun, requests: int) -> dict[str, float]:
    """Print where the machine's CPU went during the run, group by group, and return the sums.

    Issue 21 asks a second web process for × 1.3; that can only happen if the cores had idle
    time to give it. The groups are the web processes (each and summed), the supervisor, the
    worker, the whole PostgreSQL server (every backend, those of other sessions' test databases
    too; of which those connected to this run's database), the wrk processes, and whatever else
    kept the cores busy (other sessions, the kernel, this script)."""
    before, after = run.processes
    tick = procfs.TICKS_PER_SECOND
    cores = os.cpu_count() or 1
    web_pids = sorted(
        pid
        for pid in procfs.descendants(before, run.server) | procfs.descendants(after, run.server)
        if (after.get(pid) or before[pid]).ppid == run.server
        and "spawn_main" in run.cmdlines.get(pid, "")
    )
    # one process: `fupin serve` runs uvicorn in its own process, with no supervisor
    web_pids = web_pids or [run.server]
    web = [(pid, procfs.tree_ticks(before, after, pid) / tick) for pid in web_pids]
    web_sum = sum(s for _, s in web)
    supervisor = procfs.tree_ticks(before, after, run.server) / tick - web_sum
    worker = procfs.tree_ticks(before, after, run.worker) / tick
    servers = set(procfs.postmasters(before)) | set(procfs.postmasters(after))
    postgres = sum(procfs.tree_ticks(before, after, pid) for pid in servers) / tick
    backends = [
        pid
        for pid in set().union(*(procfs.descendants(after, p) for p in servers))
        if f" {run.database} " in f" {run.cmdlines.get(pid, '')} "
    ]
    ours = sum(procfs.tree_ticks(before, after, pid, subtree=False) for pid in backends) / tick
    start, end = run.machine
    total = (end.total - start.total) / tick
    busy = (end.busy - start.busy) / tick
    idle = (end.idle - start.idle) / tick
    steal = (end.steal - start.steal) / tick
    script = procfs.tree_ticks(before, after, os.getpid(), subtree=False) / tick
    others = busy - (web_sum + supervisor + worker + postgres + run.wrk_seconds + script)
    groups = [
        *((f"web process {pid}", seconds) for pid, seconds in web),
        (f"web processes ({len(web)})", web_sum),
        ("serve supervisor", supervisor),
        ("fupin worker", worker),
        ("PostgreSQL, whole server", postgres),
        (f"  of which {len(backends)} backends of {run.database}", ours),
        (f"wrk ({len(KINDS)} processes)", run.wrk_seconds),
        ("bench/load.py itself", script),
        ("everything else busy", others),
        ("idle", idle),
        ("steal", steal),
    ]
    ours_trees = set().union(
        *(procfs.descendants(snapshot, root) for snapshot in run.processes
          for root in (run.server, run.worker, os.getpid(), *servers))
    )  # fmt: skip
    rest = procfs.by_command(before, after, exclude=ours_trees)
    top = sorted(rest.items(), key=lambda item: -item[1])[:4]
    groups += [(f"  else: {command}", ticks / tick) for command, ticks in top]
    table = procfs.rows(groups, wall=run.wall, cores=cores, requests=requests)
    print(
        f"\nCPU over the {run.wall:.1f} s of load ({cores} cores: "
        f"{cores * run.wall:.1f} core-seconds; /proc/stat counted {total:.1f}); "
        f"machine idle {idle / total * 100:.1f} %"
    )
    print(f"{'group':<40} {'CPU s':>7} {'cores':>6} {'share':>6} {'ms/req':>7}")
    for row in table:
        print(
            f"{row.label:<40} {row.seconds:>7.1f} {row.seconds / run.wall:>6.2f} "
            f"{row.share * 100:>5.1f}% {row.ms_per_request:>7.2f}"
        )
    return {row.label.strip(): row.seconds for row in table}


def print_cpu_summary(figures: list[RunFigures]) -> None:
    """One line per run: the web processes' CPU per request and how busy each group kept the
    cores (average cores in use), side by side for 1 and 2 web processes."""
    print(
        f"\n{'workers':>7} {'req/s':>7} {'web ms/req':>10} {'web':>5} {'pg':>5} {'wrk':>5} "
        f"{'worker':>6} {'super':>5} {'else':>5} {'idle':>5}   (cores busy on average)"
    )
    for f in figures:

        def cores(prefix: str, f: RunFigures = f) -> float:
            return next(v for k, v in f.cpu.items() if k.startswith(prefix)) / f.wall

        web_ms = cores("web processes") * f.wall * 1000 / f.requests
        print(
            f"{f.workers:>7} {f.rate:>7.1f} {web_ms:>10.2f} {cores('web processes'):>5.2f} "
            f"{cores('PostgreSQL'):>5.2f} {cores('wrk'):>5.2f} {cores('fupin worker'):>6.2f} "
            f"{cores('serve supervisor'):>5.2f} {cores('everything else'):>5.2f} "
            f"{cores('idle'):>5.2f}"
        )


async def checks(settings: Any) -> list[str]:
    """Over-pledging in SQL and the search index against the public needs; the ledger and the
    rollups are verified by their commands."""
    from fupin.core.sql import rows
    from fupin.needs.service import search_outbox as outbox_db
    from fupin.needs.service.search import SearchService

    problems = []
    over = await rows(
        "SELECT n.id AS id, n.target_fen AS target, SUM(p.amount_fen) AS pledged FROM need n "
        "JOIN pledge p ON p.need_id = n.id WHERE p.state IN ('pledged', 'partially_paid', "
        "'honoured') GROUP BY n.id, n.target_fen HAVING SUM(p.amount_fen) > n.target_fen"
    )
    print(f"needs over-pledged: {len(over)}")
    if over:
        problems.append(f"{len(over)} needs over-pledged, e.g. {over[:3]}")
    service = SearchService.from_settings(settings)
    await service.backend.open()
    try:
        for _ in range(120):
            status = await outbox_db.outbox_status()
            if status.pending == 0:
                break
            await outbox_db.make_worker(service.backend).drain_until_empty()
        public = await outbox_db.count_public_needs()
        indexed = await service.backend.count()
    finally:
        await service.close()
    print(f"search index: {indexed} documents, {public} public needs")
    if indexed != public:
        problems.append(f"search index holds {indexed} documents for {public} public needs")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--duration", type=int, default=20, help="seconds of load per run")
    parser.add_argument("--needs", type=int, default=2000, help="demo needs (fupin demo)")
    parser.add_argument("--donors", type=int, default=50)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--database", help="a database kept by --keep: no set-up, and it is kept again"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not on the path (Debian: apt-get install wrk)")
    print("command:", " ".join([Path(sys.executable).as_posix(), *sys.argv]))
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    name = args.database or f"fupin_load_{os.getpid()}"
    admin = f"{args.postgres}/postgres"
    if not args.database:
        subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True)
    fupin = shutil.which("fupin", path=str(Path(sys.executable).parent)) or "fupin"
    try:
        with tempfile.TemporaryDirectory(prefix="fupin-load-") as tmp:
            env = {
                **os.environ,
                "FUPIN_ENV": "production",
                "FUPIN_DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}",
                "FUPIN_VAR_DIR": tmp,
                "FUPIN_SECRET_KEY": secrets.token_urlsafe(32),
                "FUPIN_SEARCH_WORKER": "false",
                "FUPIN_BASE_URL": f"http://127.0.0.1:{args.port}",
            }
            os.environ.update(env)
            # The demo loader refuses a production environment: the set-up runs as development
            # against the same database, the served processes as production.
            setup = {**env, "FUPIN_ENV": "development"}
            if not args.database:
                run([fupin, "migrate"], setup, "fupin migrate")
                run([fupin, "data", "load"], setup, "fupin data load")
                run(
                    [fupin, "demo", "--needs", str(args.needs)],
                    setup,
                    f"fupin demo --needs {args.needs}",
                )
            else:  # a new var directory: the embedded search index is built again
                run([fupin, "reindex"], setup, "fupin reindex")

            from fupin.core.cli import run_with_db
            from fupin.settings import Settings

            settings = Settings.from_env()
            accounts = run_with_db(settings, lambda: make_accounts(args.donors))
            lua = scripts(accounts, Path(tmp))
            figures = [load_run(workers, env, lua, args) for workers in args.workers]
            print_cpu_summary(figures)
            print()
            problems = run_with_db(settings, lambda: checks(settings))
            for command in (["ledger", "verify"], ["rollups", "verify"]):
                out = subprocess.run(
                    [fupin, *command], env=env, capture_output=True, text=True, check=False
                )
                last = (out.stdout.strip().splitlines() or [""])[-1]
                print(f"fupin {' '.join(command)}: exit {out.returncode}: {last}")
                if out.returncode != 0:
                    problems.append(f"fupin {' '.join(command)}: {out.stdout}{out.stderr}")
            if problems:
                raise SystemExit("CHECKS FAILED:\n" + "\n".join(problems))
            print("checks: no over-pledge, ledger and rollups verified, search index complete")
    finally:
        if not (args.keep or args.database):
            subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name}"], check=False)


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    main()
