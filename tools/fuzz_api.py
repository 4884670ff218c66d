"""Fuzz the JSON API with schemathesis against a real server, as an anonymous caller, a donor
and a county officer: no request may end in a server error or in a status the OpenAPI document
does not list.

A fresh database in a temporary directory (migrate, the reference data, a small demo), one
`fupin serve` on a free loopback port, then one bounded `schemathesis run` per caller with a
fixed seed, so a run is repeatable and fits the CI gate. Longer runs find more:

    python tools/fuzz_api.py                        # the gate's size: fuzzing, 3 per operation
    python tools/fuzz_api.py --examples 500         # longer: 500 per operation
    python tools/fuzz_api.py --examples 50 --phases examples,coverage,fuzzing --seed 7

The checks are schemathesis's ``not_a_server_error`` and ``status_code_conformance``.
tests/test_api_fuzz.py runs the gate's size under pytest (so `.ci/run` runs it).

Exit status 0 when all three runs pass, 1 otherwise (schemathesis prints each failure with the
request that reproduces it).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FUPIN = str(BIN / "fupin")
SCHEMATHESIS = str(BIN / "schemathesis")
#: Demo logins (fupin demo): the donor's member and the county officer.
CALLERS = {"anonymous": None, "donor": "donor", "county-officer": "guangnan"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fupin(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [FUPIN, *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"fupin {' '.join(args)} failed")
    return result.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--examples", "--max-examples", type=int, default=3, help="test cases per operation"
    )
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument(
        "--phases",
        default="fuzzing",
        help="schemathesis phases (examples, coverage, fuzzing, stateful); coverage sends "
        "every boundary value and takes minutes",
    )
    parser.add_argument("--needs", type=int, default=20, help="demo needs to fuzz over")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fupin-fuzz-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FUPIN_")}
        port = free_port()
        env.update(
            {
                "FUPIN_VAR_DIR": tmp,
                "FUPIN_PORT": str(port),
                "FUPIN_SEARCH_WORKER": "true",
                # the public objection form is rate-limited per sender; a fuzzer is one sender
                "FUPIN_LOGIN_MAX_FAILURES": "1000",
            }
        )
        fupin(env, "migrate")
        fupin(env, "data", "load")
        fupin(env, "demo", "--needs", str(args.needs))
        tokens = {
            name: fupin(env, "users", "token", "--username", user).strip().split()[-1]
            for name, user in CALLERS.items()
            if user
        }
        # The server logs a JSON line per request: into a file, never a pipe nobody reads
        # (a full pipe blocks the server's next log write, and with it every request).
        failed: list[str] = []
        server_log = open(Path(tmp) / "serve.log", "wb")  # noqa: SIM115 (closed below)
        server = subprocess.Popen(
            [FUPIN, "serve"], env=env, cwd=ROOT, stdout=server_log, stderr=subprocess.STDOUT
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(150):  # bounded: about 30 s
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
            else:
                raise SystemExit("the server did not start")
            for name in CALLERS:
                headers = ["-H", f"Authorization: Bearer {tokens[name]}"] if name in tokens else []
                print(f"== {name}", flush=True)
                run = subprocess.run(
                    [
                        SCHEMATHESIS,
                        "run",
                        f"{base}/api/v1/openapi.json",
                        "--checks",
                        "not_a_server_error,status_code_conformance",
                        "--max-examples",
                        str(args.examples),
                        "--seed",
                        str(args.seed),
                        "--phases",
                        args.phases,
                        "--workers",
                        "1",
                        "--no-color",
                        *headers,
                    ],
                    cwd=ROOT,
                    check=False,
                )
                if run.returncode != 0:
                    failed.append(name)
        finally:
            server.terminate()
            server.wait(timeout=30)
            server_log.close()
            if failed or sys.exc_info()[0] is not None:
                tail = (Path(tmp) / "serve.log").read_bytes()[-4000:]
                sys.stderr.write(tail.decode(errors="replace"))
    if failed:
        print(f"fuzzing found failures as: {', '.join(failed)}")
        return 1
    print("fuzzing: no server error, no undocumented status, for every caller")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
