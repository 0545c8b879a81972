"""Sign and verify 1 KB webhook bodies: hookline.signing against the svix and standardwebhooks packages.

    python bench/signing.py [--size 1024] [--rounds 7] [--seconds 0.2] [--check]

Every implementation is measured in the same process, interleaved round by round, and the best
round of each is reported. Each is called as its documentation shows: ``sign(msg_id, datetime,
str)``; ``verify(bytes, headers)`` with the headers a framework hands over (lower-case names, both
header families, plus the usual request headers). The svix package's ``verify`` does not parse
JSON, so it is compared with ``verify(..., json_parse=False)``; standardwebhooks' ``verify`` does,
so it is compared with our default ``verify``. ``--check`` exits 1 if hookline is slower than svix.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
import timeit
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version

import standardwebhooks
import svix.webhooks

from hookline.signing import Webhook, generate_secret, signature_headers

MSG_ID = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"


@dataclass(frozen=True)
class Case:
    """One implementation of one operation."""

    operation: str
    implementation: str
    run: Callable[[], object]
    baseline: bool = False


def make_body(size: int) -> str:
    """A JSON event of exactly ``size`` bytes."""
    head, tail = '{"type":"user.updated","data":{"id":"user_29w83sxmDNGwOuEthce5gg56FcC","bio":"', '"}}'
    return head + "x" * (size - len(head) - len(tail)) + tail


def cases(size: int) -> list[Case]:
    """Every (operation, implementation) pair, each checked to work before it is timed."""
    secret = generate_secret()
    body = make_body(size)
    raw = body.encode()
    ts = int(time.time())
    when = datetime.fromtimestamp(ts, UTC)
    ours, theirs, std = Webhook(secret), svix.webhooks.Webhook(secret), standardwebhooks.Webhook(secret)
    signature = ours.sign(MSG_ID, when, body)
    assert signature == theirs.sign(MSG_ID, when, body) == std.sign(MSG_ID, when, body)
    headers = {
        "host": "api.example.com",
        "user-agent": "Svix-Webhooks/1.0",
        "content-length": str(len(raw)),
        "content-type": "application/json",
        "accept": "*/*",
        "accept-encoding": "gzip",
        **signature_headers(MSG_ID, ts, signature),
    }
    result = [
        Case("sign", "hookline", lambda: ours.sign(MSG_ID, when, body)),
        Case("sign", "svix", lambda: theirs.sign(MSG_ID, when, body), baseline=True),
        Case("sign", "standardwebhooks", lambda: std.sign(MSG_ID, when, body)),
        Case("verify", "hookline", lambda: ours.verify(raw, headers, json_parse=False)),
        Case("verify", "svix", lambda: theirs.verify(raw, headers), baseline=True),
        Case("verify + JSON parse", "hookline", lambda: ours.verify(raw, headers)),
        Case("verify + JSON parse", "standardwebhooks", lambda: std.verify(raw, headers), baseline=True),
    ]
    for case in result:
        case.run()  # raises if a signature does not verify
    return result


def measure(all_cases: list[Case], rounds: int, seconds: float) -> dict[tuple[str, str], float]:
    """Return the best seconds-per-operation of each case over ``rounds`` interleaved rounds."""
    numbers = {}
    for case in all_cases:
        timer = timeit.Timer(case.run)
        number, elapsed = timer.autorange()
        numbers[case] = max(1, int(number * seconds / max(elapsed, 1e-9)))
    best: dict[tuple[str, str], float] = {}
    for _ in range(rounds):
        for case in all_cases:
            per_op = timeit.Timer(case.run).timeit(numbers[case]) / numbers[case]
            key = (case.operation, case.implementation)
            best[key] = min(best.get(key, per_op), per_op)
    return best


def table(all_cases: list[Case], best: dict[tuple[str, str], float]) -> list[str]:
    """Format the results: ops/s, µs per operation, and the ratio to the operation's baseline."""
    baseline = {c.operation: best[(c.operation, c.implementation)] for c in all_cases if c.baseline}
    lines = [
        f"| {'operation':<20} | {'implementation':<27} | {'ops/s':>9} | {'µs/op':>6} | {'vs baseline':>11} |",
        f"|{'-' * 22}|{'-' * 29}|{'-' * 10}:|{'-' * 7}:|{'-' * 12}:|",
    ]
    for case in all_cases:
        per_op = best[(case.operation, case.implementation)]
        ratio = baseline[case.operation] / per_op
        name = case.implementation + (" (baseline)" if case.baseline else "")
        lines.append(
            f"| {case.operation:<20} | {name:<27} | {1 / per_op:>9,.0f} | {per_op * 1e6:>6.2f} | {ratio:>10.2f}x |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table; with --check, exit 1 if hookline is slower than svix."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024, help="body size in bytes (default 1024)")
    parser.add_argument("--rounds", type=int, default=7, help="interleaved rounds; the best is kept")
    parser.add_argument("--seconds", type=float, default=0.2, help="target duration of one round per case")
    parser.add_argument("--check", action="store_true", help="exit 1 if hookline is slower than svix")
    args = parser.parse_args(argv)

    all_cases = cases(args.size)
    best = measure(all_cases, args.rounds, args.seconds)
    print(
        f"signing, {args.size}-byte body, best of {args.rounds} rounds; Python {platform.python_version()}, "
        f"svix {version('svix')}, standardwebhooks {version('standardwebhooks')}, {platform.machine()}"
    )
    print("\n".join(table(all_cases, best)))

    slower = [op for op in ("sign", "verify") if best[(op, "hookline")] > best[(op, "svix")]]
    if slower:
        print(f"hookline is slower than svix at: {', '.join(slower)}", file=sys.stderr)
    return 1 if (args.check and slower) else 0


if __name__ == "__main__":
    sys.exit(main())
