"""README command 1, step by step, as a newcomer runs it: migrate, load the real data (counts as
in data/README.md), load the demo, serve, and open the home page as a demo user."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from fupin import REPO_ROOT

FUPIN = str(Path(sys.executable).parent / "fupin")


def _run(
    args: list[str], env: dict[str, str], timeout: int = 600
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [FUPIN, *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, (
        f"fupin {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    )
    return result


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def fresh_install(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    var = tmp_path_factory.mktemp("var")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUPIN_")}
    env.update({"FUPIN_VAR_DIR": str(var), "FUPIN_SEARCH_WORKER": "true"})
    return env


def test_help_explains_every_command() -> None:
    out = subprocess.run([FUPIN, "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("serve", "migrate", "data", "demo", "users", "quickstart"):
        assert re.search(rf"^\s+{command}\s+\S", out, re.M), command


def test_first_run_loads_the_real_data_with_the_documented_counts(fresh_install) -> None:
    _run(["migrate"], fresh_install)
    out = _run(["data", "load"], fresh_install).stdout
    assert "provinces 34, prefectures 333, counties 2846" in out
    assert "townships 41352" in out
    assert "832 listed, 831 distinct codes" in out
    assert "73 east–west, 31 designated" in out
    assert (
        "villages 620573 in the file (148705 villages in the poverty counties), 620573 new" in out
    )
    again = _run(["data", "load"], fresh_install).stdout  # idempotent
    assert "new regions 0, new helper participants 0" in again
    assert "620573 in the file" in again and "0 new" in again and "differ" not in again


def test_demo_prints_one_login_per_role_and_a_demo_user_logs_in(fresh_install) -> None:
    # Self-contained (the suite runs tests on several workers, each with its own var dir):
    # every step is idempotent, so repeating the ones another test ran costs little.
    _run(["migrate"], fresh_install)
    _run(["data", "load"], fresh_install)
    out = _run(["demo", "--needs", "60"], fresh_install).stdout
    for role in (
        "national_admin",
        "province_office",
        "county_officer",
        "village_worker",
        "participant_member",
        "auditor",
    ):
        assert role in out
    assert "fupin-demo-2026" in out
    assert "users created 0" in _run(["demo", "--needs", "60"], fresh_install).stdout  # idempotent

    port = _free_port()
    env = {**fresh_install, "FUPIN_PORT": str(port)}
    server = subprocess.Popen(
        [FUPIN, "serve"], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.3)
        with httpx.Client(base_url=base, follow_redirects=False) as client:
            home = client.get("/")
            assert home.status_code == 200 and "原国家级贫困县" in home.text
            login = client.get("/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)
            done = client.post(
                "/login",
                data={
                    "csrf_token": token,
                    "username": "guangnan",
                    "password": "fupin-demo-2026",
                    "next": "/regions/532627",
                },
            )
            assert done.status_code == 303
            county = client.get("/regions/532627")
            assert "广南县" in county.text and "退出" in county.text
            forbidden = client.get("/admin/participants/new")
            assert forbidden.status_code == 403
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_an_unmigrated_database_is_refused_with_the_command_that_fixes_it(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUPIN_")}
    env.update({"FUPIN_VAR_DIR": str(tmp_path), "FUPIN_PORT": str(_free_port())})
    load = subprocess.run(
        [FUPIN, "data", "load"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert load.returncode != 0 and "run `fupin migrate` first" in load.stderr
    # the server does not start (a health check saying ok over failing pages would be worse)
    serve = subprocess.run(
        [FUPIN, "serve"], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert serve.returncode != 0
    assert "run `fupin migrate` first" in serve.stdout + serve.stderr
