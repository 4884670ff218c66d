"""What bench/load.py reads from /proc (bench/procfs.py): the parsing and the sums that say
where the machine's CPU went while 1 or 2 web processes served the load (issue 21), and the
count of listening sockets it waits for before the load starts.

The sums must not lose a PostgreSQL backend that exits during the run: its time then lives only
in the postmaster's cutime/cstime.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.bench import load_bench

procfs = load_bench("procfs")

PROC_STAT = """cpu  16030 5 4683 54070 527 3 168 39 11 0
cpu0 8561 0 1897 27112 95 0 41 16 0 0
cpu1 7469 5 2785 26958 431 3 127 23 11 0
intr 1 2 3
"""


def stat_line(
    pid: int,
    comm: str,
    ppid: int,
    own: tuple[int, int],
    reaped: tuple[int, int] = (0, 0),
    started: int = 1000,
) -> str:
    """A /proc/<pid>/stat line in the kernel's layout (proc(5)), fields we do not read filled."""
    fields = [
        "S", ppid, pid, pid, 0, -1, 4194304, 10, 20, 0, 0,
        own[0], own[1], reaped[0], reaped[1],
        20, 0, 1, 0, started, 222445568, 7369,
    ]  # fmt: skip
    return f"{pid} ({comm}) " + " ".join(str(f) for f in fields) + " 0 0 0\n"


def snapshot(*lines: str) -> dict[int, object]:
    processes = [procfs.parse_process(line) for line in lines]
    return {p.pid: p for p in processes}


def test_the_machine_line_splits_busy_idle_and_steal() -> None:
    times = procfs.parse_machine(PROC_STAT)
    # user nice system idle iowait irq softirq steal; guest (11) is already inside user
    assert times.idle == 54070 + 527
    assert times.steal == 39
    assert times.busy == 16030 + 5 + 4683 + 3 + 168
    assert times.total == times.busy + times.idle + times.steal


def test_a_stat_file_without_the_cpu_line_is_refused() -> None:
    with pytest.raises(ValueError, match="cpu line"):
        procfs.parse_machine("cpu0 1 2 3 4 5 6 7 8 0 0\n")


def test_a_command_name_with_spaces_and_parentheses_does_not_shift_the_fields() -> None:
    line = stat_line(4242, "postgres: a) (b", 2234, own=(70, 30), reaped=(5, 6), started=777)
    process = procfs.parse_process(line)
    assert (process.pid, process.comm, process.ppid) == (4242, "postgres: a) (b", 2234)
    assert (process.own, process.reaped, process.started) == (100, 11, 777)


def test_the_real_stat_line_of_this_process_parses() -> None:
    process = procfs.parse_process(Path("/proc/self/stat").read_text())
    assert process.ppid > 0
    assert process.own >= 0


def test_a_backend_that_exits_during_the_run_is_counted_through_the_postmaster() -> None:
    before = snapshot(
        stat_line(1, "systemd", 0, own=(0, 0)),
        stat_line(2234, "postgres", 1, own=(10, 0), reaped=(100, 0)),
        stat_line(3001, "postgres", 2234, own=(40, 10)),  # exits during the run at 80
        stat_line(3002, "postgres", 2234, own=(5, 0)),
        stat_line(9000, "python", 1, own=(999, 0)),  # not PostgreSQL
    )
    after = snapshot(
        stat_line(1, "systemd", 0, own=(0, 0)),
        stat_line(2234, "postgres", 1, own=(11, 0), reaped=(150, 30)),  # + 3001's final 80
        stat_line(3002, "postgres", 2234, own=(15, 5)),
        stat_line(3003, "postgres", 2234, own=(7, 0), started=5000),  # new during the run
        stat_line(9000, "python", 1, own=(1999, 0)),
    )
    # postmaster 1 + backend 3001 (80 - 50) + 3002 (20 - 5) + 3003 (7)
    assert procfs.tree_ticks(before, after, 2234) == 1 + 30 + 15 + 7
    assert procfs.postmasters(after) == [2234]
    assert procfs.descendants(after, 2234) == {2234, 3002, 3003}


def test_a_reused_pid_is_a_new_process_started_from_zero() -> None:
    before = snapshot(stat_line(500, "python", 1, own=(300, 0), started=100))
    after = snapshot(stat_line(500, "python", 1, own=(20, 0), started=9000))
    assert procfs.tree_ticks(before, after, 500, subtree=False) == 20
    same = snapshot(stat_line(500, "python", 1, own=(320, 0), started=100))
    assert procfs.tree_ticks(before, same, 500, subtree=False) == 20
    assert procfs.tree_ticks(before, {}, 500, subtree=False) == 0


def test_other_processes_are_summed_by_command_name_without_ours() -> None:
    before = snapshot(
        stat_line(10, "pytest", 1, own=(100, 0), reaped=(50, 0)),
        stat_line(11, "python", 10, own=(200, 0)),  # a test worker: exits, reaped by 10
        stat_line(20, "fupin", 1, own=(500, 0)),  # ours
    )
    after = snapshot(
        stat_line(10, "pytest", 1, own=(110, 0), reaped=(50 + 260, 0)),
        stat_line(12, "python", 10, own=(40, 0), started=9000),
        stat_line(20, "fupin", 1, own=(900, 0)),
    )
    ticks = procfs.by_command(before, after, exclude={20})
    # the worker that exited is the pytest parent's (260 - 200); the new one starts at zero
    assert ticks == {"pytest": 10 + 260 - 200, "python": 40}


def test_rows_give_the_share_of_the_machine_and_milliseconds_per_request() -> None:
    (web, idle) = procfs.rows([("web", 30.0), ("idle", 2.0)], wall=20.0, cores=2, requests=2500)
    assert web.share == pytest.approx(0.75)
    assert web.ms_per_request == pytest.approx(12.0)
    assert idle.share == pytest.approx(0.05)


NET_TCP = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:223D 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1
   1: 0100007F:223D 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 2 1
   2: 0100007F:223D 0100007F:D2B4 01 00000000:00000000 00:00000000 00000000     0        0 3 1
   3: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   105        0 4 1
"""


def test_only_sockets_in_listen_on_the_port_count() -> None:
    # 0x223D = 8765: one listening, one bound but not yet listening, one connection
    assert procfs.listeners(NET_TCP, 8765) == 1
    assert procfs.listeners(NET_TCP, 0x1538) == 1
    assert procfs.listeners(NET_TCP, 9999) == 0
