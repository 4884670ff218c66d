"""`fupin serve --workers 2` on PostgreSQL: the connections of a burst of clients are spread
over both processes (each listens on its own SO_REUSEPORT socket), and a process that dies is
replaced on its socket, so no connection is left waiting on a socket nobody accepts on."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from fupin import REPO_ROOT
from tests.support.browser import free_port

pytestmark = pytest.mark.postgres_only

FUPIN = str(Path(sys.executable).parent / "fupin")
CONNECTIONS = 16


def serve(settings, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUPIN_")}
    env.update(
        FUPIN_DATABASE_URL=settings.database_url,
        FUPIN_SECRET_KEY="serve-test-secret-key-0123456789-abcdefghijklm",
        FUPIN_VAR_DIR=str(settings.var_dir),
        FUPIN_SEARCH_WORKER="false",
    )
    process = subprocess.Popen(
        [FUPIN, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 90
    while len(serving_children(process.pid, port)) < workers:
        assert process.poll() is None, "fupin serve exited"
        assert time.monotonic() < deadline, "the processes did not start"
        time.sleep(0.3)
    return process


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(child) for child in text]
    return found


def socket_inodes(pid: int) -> set[int]:
    inodes = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(int(target[8:-1]))
    except OSError:
        pass
    return inodes


def tcp_sockets(port: int, state: str) -> set[int]:
    """Inodes of IPv4 TCP sockets on local ``port`` in ``state`` (0A listen, 01 established)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        if local_port == port and fields[3] == state:
            inodes.add(int(fields[9]))
    return inodes


def serving_children(pid: int, port: int) -> list[int]:
    """The children that answer /healthz-ready: they hold a listening socket on the port
    and have opened their own (database) connections, so the app has started."""
    listening = tcp_sockets(port, "0A")
    ready = []
    for child in children(pid):
        if socket_inodes(child) & listening:
            try:
                status = Path(f"/proc/{child}/status").read_text()
            except OSError:
                continue
            if "State:\tZ" not in status:
                ready.append(child)
    return ready


def burst(pid: int, port: int) -> tuple[list[socket.socket], Counter[int]]:
    """CONNECTIONS kept-alive clients connecting at once, each answered once; returns them
    and how many of them each process accepted. The processes are read while the answers
    come (uvicorn closes a kept-alive connection after 5 idle seconds, so on a busy machine
    the first answered may be gone by the time the last is)."""
    clients = [
        socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(CONNECTIONS)
    ]
    for client in clients:
        client.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    accepted: dict[int, int] = {}  # server-side socket inode → the process holding it
    deadline = time.monotonic() + 60
    while len(accepted) < CONNECTIONS:
        assert time.monotonic() < deadline, f"only {len(accepted)} connections were accepted"
        established = tcp_sockets(port, "01")
        for child in children(pid):
            for inode in socket_inodes(child) & established:
                accepted[inode] = child
        time.sleep(0.02)
    for client in clients:
        head = client.recv(65536)
        assert head.startswith(b"HTTP/1.1 200"), head[:80]
    return clients, Counter(accepted.values())


def wait_for_health(port: int) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except OSError:
            assert time.monotonic() < deadline, "no answer"
            time.sleep(0.2)


async def test_two_processes_share_a_burst_of_kept_alive_connections(db) -> None:
    port = free_port()
    server = serve(db, port, workers=2)
    clients: list[socket.socket] = []
    try:
        wait_for_health(port)
        clients, serving = burst(server.pid, port)
        # with one shared socket the first process to wake accepts the whole burst
        assert len(serving) == 2, serving
        for client in clients:
            client.close()

        # a process killed outright is replaced on its own socket: every connection of a new
        # burst is answered (one hashed to an orphaned socket would wait forever)
        victim = next(iter(serving))
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 90
        while True:
            ready = serving_children(server.pid, port)
            if len(ready) == 2 and victim not in ready:
                break
            assert time.monotonic() < deadline, "the killed process was not replaced"
            time.sleep(0.3)
        clients, serving = burst(server.pid, port)
        assert victim not in serving and sum(serving.values()) == CONNECTIONS
    finally:
        for client in clients:
            client.close()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
