"""What bench/load.py reads from /proc (Linux), without psutil: where the CPU goes during a load
run, and how many sockets listen on the served port.

bench/load.py asks whether a second web process can be faster on this machine at all: that
depends on whether the cores were idle, and on who else used them — the load generator,
PostgreSQL, the worker, other sessions. Two snapshots of /proc, one before and one after the
run, answer it:

- the machine: the ``cpu`` line of /proc/stat (busy, idle, steal, in clock ticks);
- a process tree (the web supervisor and its processes, the ``fupin worker``, the postmaster and
  its backends): for each process ``own`` = utime + stime and ``reaped`` = cutime + cstime, the
  time of its children that exited and were waited for. When a child exits, the kernel adds its
  own and reaped time to its parent's reaped time, so Σ (own + reaped) over the live processes
  of a tree loses nothing when a backend exits during the run (as long as the root lives), and
  its growth between the snapshots is the tree's CPU during the run. A process that is new at
  the end started at zero; a pid is keyed with its start time, so a reused pid is a new process.

The load generator's processes are the benchmark's own children: ``resource.getrusage`` of the
children, which wait() fills, gives their time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: /proc/stat's cpu line: user nice system idle iowait irq softirq steal (guest and guest_nice
#: are already counted in user and nice).
_FIELDS = 8


@dataclass(frozen=True)
class MachineTimes:
    """Clock ticks since boot summed over every core."""

    busy: int
    idle: int  # idle + iowait: a core with nothing to run
    steal: int  # taken by the hypervisor: neither ours nor idle
    total: int


def parse_machine(proc_stat: str) -> MachineTimes:
    """The aggregate ``cpu`` line of /proc/stat."""
    for line in proc_stat.splitlines():
        parts = line.split()
        if parts and parts[0] == "cpu":
            values = [int(v) for v in parts[1 : 1 + _FIELDS]]
            values += [0] * (_FIELDS - len(values))  # old kernels print fewer fields
            idle = values[3] + values[4]
            steal = values[7]
            total = sum(values)
            return MachineTimes(busy=total - idle - steal, idle=idle, steal=steal, total=total)
    raise ValueError("no aggregate cpu line in /proc/stat")


@dataclass(frozen=True)
class ProcessTimes:
    pid: int
    comm: str
    ppid: int
    own: int  # utime + stime, ticks
    reaped: int  # cutime + cstime: children that exited and were waited for, ticks
    started: int  # starttime, ticks since boot: tells a reused pid from the first one

    @property
    def key(self) -> tuple[int, int]:
        return (self.pid, self.started)


def parse_process(stat: str) -> ProcessTimes:
    """One /proc/<pid>/stat line. The command name is in parentheses and may itself hold spaces
    and parentheses, so the fields are counted from its last closing parenthesis."""
    pid_part, _, rest = stat.partition(" (")
    comm, _, tail = rest.rpartition(") ")
    fields = tail.split()
    # fields[0] is field 3 (state) of proc(5): ppid is 4, utime..cstime 14..17, starttime 22
    return ProcessTimes(
        pid=int(pid_part),
        comm=comm,
        ppid=int(fields[1]),
        own=int(fields[11]) + int(fields[12]),
        reaped=int(fields[13]) + int(fields[14]),
        started=int(fields[19]),
    )


Snapshot = dict[int, ProcessTimes]


def descendants(snapshot: Snapshot, root: int) -> set[int]:
    """``root`` and every process below it in ``snapshot`` (empty when root is not there)."""
    if root not in snapshot:
        return set()
    children: dict[int, list[int]] = {}
    for process in snapshot.values():
        children.setdefault(process.ppid, []).append(process.pid)
    found = {root}
    stack = [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def tree_ticks(before: Snapshot, after: Snapshot, root: int, *, subtree: bool = True) -> int:
    """CPU ticks of ``root`` (and, with ``subtree``, everything below it) between the two
    snapshots: the growth of Σ own + reaped over the tree's live processes (module docstring).
    Without ``subtree``, only the root's own time."""
    if not subtree:
        start, end = before.get(root), after.get(root)
        if end is None:
            return 0
        return end.own - (start.own if start is not None and start.key == end.key else 0)
    end_tree = [after[p] for p in descendants(after, root)]
    start_by_key = {before[p].key: before[p] for p in descendants(before, root)}
    ticks = sum(p.own + p.reaped for p in end_tree)
    # a process of the start tree that is gone at the end was reaped into a parent's ``reaped``
    # (still counted above), so every start process is subtracted, present at the end or not
    ticks -= sum(p.own + p.reaped for p in start_by_key.values())
    return ticks


def by_command(before: Snapshot, after: Snapshot, *, exclude: set[int]) -> dict[str, int]:
    """Growth of own + reaped ticks per command name over the processes outside ``exclude``:
    who else kept the cores busy (other sessions' test runs, say). A process that exited
    during the run ends in its parent's reaped time, so it is counted under its parent's name
    (its grandparent's if the parent went too, and so on)."""
    ticks: dict[str, int] = {}
    for process in after.values():
        if process.pid not in exclude:
            ticks[process.comm] = ticks.get(process.comm, 0) + process.own + process.reaped
    for process in before.values():
        if process.pid in exclude:
            continue
        holder = process
        while (now := after.get(holder.pid)) is None or now.key != holder.key:
            parent = before.get(holder.ppid)
            if parent is None:
                break
            holder = parent
        ticks[holder.comm] = ticks.get(holder.comm, 0) - process.own - process.reaped
    return ticks


def postmasters(snapshot: Snapshot) -> list[int]:
    """PostgreSQL servers: processes named postgres whose parent is not one."""
    found = []
    for process in snapshot.values():
        parent = snapshot.get(process.ppid)
        if process.comm == "postgres" and (parent is None or parent.comm != "postgres"):
            found.append(process.pid)
    return found


def read_machine() -> MachineTimes:
    return parse_machine(Path("/proc/stat").read_text())


def read_processes() -> Snapshot:
    snapshot: Snapshot = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            process = parse_process(Path(entry.path, "stat").read_text())
        except (OSError, ValueError, IndexError):
            continue  # exited while we read
        snapshot[process.pid] = process
    return snapshot


def read_cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class Row:
    label: str
    seconds: float
    share: float  # of the machine's capacity: cores × wall seconds
    ms_per_request: float


def rows(groups: list[tuple[str, float]], *, wall: float, cores: int, requests: int) -> list[Row]:
    """The printed table: each group's CPU seconds as a share of ``cores`` × ``wall`` and in
    milliseconds per request served."""
    capacity = cores * wall
    return [
        Row(
            label=label,
            seconds=seconds,
            share=seconds / capacity if capacity else 0.0,
            ms_per_request=seconds * 1000 / requests if requests else 0.0,
        )
        for label, seconds in groups
    ]


#: /proc/net/tcp's state column: 0A is TCP_LISTEN (include/net/tcp_states.h)
_LISTEN = "0A"


def listeners(proc_net_tcp: str, port: int) -> int:
    """Sockets in LISTEN on ``port`` in a /proc/net/tcp or tcp6 table. With ``fupin serve
    --workers N`` each process listens on a socket of its own (SO_REUSEPORT); the supervisor
    binds them all first, but a socket is only handed connections once its process has called
    listen(), so N listeners means every process takes its share of new connections."""
    count = 0
    for line in proc_net_tcp.splitlines()[1:]:
        fields = line.split()
        if (
            len(fields) > 3
            and fields[3] == _LISTEN
            and int(fields[1].rsplit(":", 1)[1], 16) == port
        ):
            count += 1
    return count


def read_listeners(port: int) -> int:
    return sum(
        listeners(Path(table).read_text(), port)
        for table in ("/proc/net/tcp", "/proc/net/tcp6")
        if Path(table).exists()
    )
