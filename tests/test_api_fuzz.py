"""The bounded schemathesis run over the whole API: no server error and no status the OpenAPI
document does not list, as an anonymous caller, a donor and a county officer.

``tools/fuzz_api.py`` builds a fresh database (migrations, reference data, a small demo), serves
it and runs schemathesis with a fixed seed and 3 examples per operation — about a minute. Run it
longer by hand: ``tools/fuzz_api.py --examples 500`` (README, "Fuzzing the API").
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_fuzzing_the_api_finds_no_server_error_and_no_undocumented_status() -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "fuzz_api.py")],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    for caller in ("anonymous", "donor", "county-officer"):
        assert f"== {caller}" in run.stdout
    assert "no server error, no undocumented status, for every caller" in run.stdout
