"""The type-checking gate: mypy over the whole package, with a ratchet.

* ``fupin.core`` and every ``rules`` module must have no error (strict settings in
  pyproject.toml ``[tool.mypy]``).
* Every other module may have at most the errors recorded in ``tools/mypy-ratchet.json``, and
  the package as a whole at most their sum (a split module's errors move to new files), so the
  count may only shrink. After fixing some, ``python tools/mypy_ratchet.py --update`` records the
  lower counts (it refuses to record a higher one).

Exit status 0 when the gate holds, 1 otherwise (the offending files and errors are printed).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RATCHET = ROOT / "tools" / "mypy-ratchet.json"
ERROR = re.compile(r"^(?P<file>[^:]+\.py):\d+: error: ")
STRICT = re.compile(r"^platform/fupin/(core/|[a-z_]+/rules(\.py|/))")


def run_mypy() -> tuple[Counter[str], list[str]]:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", "--no-pretty"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode not in (0, 1):
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(2)
    counts: Counter[str] = Counter()
    lines = []
    for line in result.stdout.splitlines():
        match = ERROR.match(line)
        if match:
            name = match["file"]
            name = name if name.startswith("platform/") else f"platform/{name}"
            counts[name] += 1
            lines.append(line)
    return counts, lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="record lower counts")
    args = parser.parse_args()
    counts, lines = run_mypy()
    if RATCHET.exists():
        allowed: dict[str, int] = json.loads(RATCHET.read_text())
    elif args.update:  # the first recording: today's counts become the ceiling
        allowed = dict(counts)
    else:
        allowed = {}
    failures = []
    for name, count in sorted(counts.items()):
        if STRICT.match(name):
            failures.append(f"{name}: {count} error(s) in a strict module (core or rules)")
        elif name in allowed and count > allowed[name]:
            failures.append(f"{name}: {count} error(s), the ratchet allows {allowed[name]}")
    # A module split moves errors into new files: those count against the total, which may only
    # shrink as well.
    if sum(counts.values()) > sum(allowed.values()):
        failures.append(
            f"total: {sum(counts.values())} errors, the ratchet allows {sum(allowed.values())}"
        )
    if failures:
        bad = {f.split(":")[0] for f in failures}
        for line in lines:
            if any(line.startswith(b) or f"platform/{line}".startswith(b) for b in bad):
                print(line)
        print("\n".join(["mypy ratchet FAILED:", *failures]))
        return 1
    lower = {n: c for n, c in allowed.items() if counts.get(n, 0) < c}
    if args.update:
        RATCHET.write_text(json.dumps(dict(sorted(counts.items())), indent=1) + "\n")
        print(f"recorded {sum(counts.values())} errors in {len(counts)} files")
    elif lower:
        print(
            f"mypy: {len(lower)} file(s) have fewer errors than recorded; run "
            "`python tools/mypy_ratchet.py --update` to lower the ratchet"
        )
    print(f"mypy ratchet holds: {sum(counts.values())} errors left outside core and rules")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
