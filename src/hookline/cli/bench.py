"""``hookline bench``: run the delivery benchmark of a source checkout."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from hookline.cli.common import CliError


def bench(ctx: typer.Context) -> None:
    """Run the delivery benchmark (bench/delivery.py of a source checkout); options pass through.

    Examples:

      hookline bench --quick

      hookline bench --database postgresql://postgres@127.0.0.1:5432/test
    """
    import importlib.util

    candidates = [
        Path.cwd() / "bench" / "delivery.py",
        # the checkout root, three levels above src/hookline/cli/
        Path(__file__).resolve().parents[3] / "bench" / "delivery.py",
    ]
    script = next((p for p in candidates if p.is_file()), None)
    if script is None:
        raise CliError(
            "bench/delivery.py is not here: the benchmark ships with the source checkout "
            "(git clone the project and run `hookline bench` in it)"
        )
    spec = importlib.util.spec_from_file_location("hookline_bench_delivery", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(script.parent))
    spec.loader.exec_module(module)
    raise typer.Exit(int(module.main(list(ctx.args)) or 0))
