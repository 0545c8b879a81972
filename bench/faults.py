"""Fault table: runs the fault tests (tests/faults) at full size and prints what each one reported.

Each test drives real processes on 127.0.0.1 (API, workers, a receiver that logs every webhook-id)
and prints one line: messages accepted, delivered, duplicated (delivered more than once) and lost.

    python bench/faults.py                     # 50,000 messages per load test, SQLite and PostgreSQL
    python bench/faults.py --messages 5000 -k worker

PostgreSQL comes from HOOKLINE_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test);
its tests are skipped when it is unreachable.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINE = re.compile(r"fault=(.+?) backend=(\S+) accepted=(\d+) delivered=(\d+) duplicated=(\d+) lost=(\d+)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=50_000, help="messages per load test")
    ap.add_argument("-k", dest="select", default=None, help="pytest -k expression to run only some faults")
    args = ap.parse_args(argv)
    env = dict(os.environ, HOOKLINE_FAULT_MESSAGES=str(args.messages))
    cmd = [sys.executable, "-m", "pytest", "tests/faults", "-q", "-s", "-p", "no:cacheprovider",
           "-o", "timeout=3600"] + (["-k", args.select] if args.select else [])  # fmt: skip
    start = time.time()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    rows = [m.groups() for m in LINE.finditer(done.stdout)]
    print("| fault | backend | accepted | delivered | duplicated | lost |\n|---|---|---:|---:|---:|---:|")
    for fault, backend, *counts in rows:
        print(f"| {fault} | {backend} | " + " | ".join(counts) + " |")
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-2000:]
    print(f"\n{summary} ({time.time() - start:.0f} s, {args.messages} messages per load test)")
    if done.returncode != 0:
        print(done.stdout[-6000:], file=sys.stderr)
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
