"""Several web processes that really share the load: one listening socket per process.

uvicorn's own ``--workers`` binds one socket and lets every process accept on it. Each process
is woken for every new connection and the first to run accepts everything that is waiting (an
asyncio accept loop takes up to its backlog in one go), so a burst of kept-alive connections —
a load balancer's pool, a browser's six, a load generator's forty-eight — lands on one process
while the others idle (measured: 146 req/s with one process and with two, the second at 0 %
CPU). With ``SO_REUSEPORT`` each process listens on a socket of its own bound to the same
address and the kernel spreads new connections over the sockets by a hash of the client's
address and port, as nginx's ``reuseport`` does.

The supervisor keeps uvicorn's (health checks, restart of a dead or hung process, graceful
SIGTERM, SIGHUP rolling restart); what changes is that slot *i* always serves socket *i*: a
socket that nobody accepts on would still be handed its share of connections, which would hang.
"""

from __future__ import annotations

import logging
import socket

from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.supervisors.multiprocess import Multiprocess, Process

log = logging.getLogger("uvicorn.error")


def reuse_port_supported() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def bind_reuse_port(host: str, port: int, count: int) -> list[socket.socket]:
    """``count`` sockets bound to one address; listen() is left to each process's server."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sockets = []
    for _ in range(count):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
        sock.set_inheritable(True)
        sockets.append(sock)
    return sockets


class SocketPerProcess(Multiprocess):
    """uvicorn's supervisor with process *i* bound to ``sockets[i]`` for its whole life."""

    def __init__(self, config: Config, sockets: list[socket.socket]) -> None:
        super().__init__(config, sockets)
        self.processes_num = len(sockets)

    def _spawn(self, idx: int) -> Process:
        process = Process(self.config, [self.sockets[idx]])
        process.start()
        return process

    def init_processes(self) -> None:
        self.processes = [self._spawn(idx) for idx in range(len(self.sockets))]

    def keep_subprocess_alive(self) -> None:
        if self.should_exit.is_set():
            return
        for idx, process in enumerate(self.processes):
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()  # hung or dead
            process.join()
            if process.exitcode == STARTUP_FAILURE:
                # the app or the bind is broken: every restart would fail the same way
                log.error("Child process [%s] failed to start, stopping.", process.pid)
                self.should_exit.set()
                return
            if self.should_exit.is_set():
                return
            log.info("Child process [%s] died; restarting it on its socket", process.pid)
            self.processes[idx] = self._spawn(idx)

    def restart_all(self) -> None:
        """SIGHUP: replace each process by a new one on the same socket, the new one serving
        before the old one is told to stop (both accept on the socket meanwhile)."""
        for idx, old in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new = self._spawn(idx)
            if not new.wait_until_ready(self.config.timeout_worker_healthcheck, self.should_exit):
                new.kill()
                new.join()
                log.error("New child process [%s] was not ready; restart aborted.", new.pid)
                return
            old.terminate()
            old.join()
            self.processes[idx] = new

    def handle_ttin(self) -> None:
        log.info("SIGTTIN ignored: the number of processes is fixed by --workers")

    def handle_ttou(self) -> None:
        log.info("SIGTTOU ignored: the number of processes is fixed by --workers")


def run(config: Config) -> None:
    """Serve ``config`` with ``config.workers`` processes, one socket each."""
    sockets = bind_reuse_port(config.host, config.port, config.workers)
    log.info(
        "Serving on http://%s:%d with %d processes, one SO_REUSEPORT socket each",
        config.host,
        config.port,
        config.workers,
    )
    try:
        SocketPerProcess(config, sockets).run()
    finally:
        for sock in sockets:
            sock.close()
