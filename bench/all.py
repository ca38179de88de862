"""`make bench`: the four parts in turn, then the plots of docs/performance.md.

    python -m bench.all            # the full run (40 minutes or more on 2 cores)
    python -m bench.all --quick    # a short run (about 10 minutes); results in bench/results/quick/

1. http: POST /orders direct and through the edge against its floor, saga idle and running;
2. saga: 5,000 orders at 20/s offered, then 1,500 at 60/s, and the emulator's own floor;
3. peer: the payments worker against Celery (prefork and threads), gateway at 0 and 300 ms;
4. cost: dollars per million orders from the saga's counts; and the capacity simulations;
5. the SNS+SQS emulator's memory over 20,000 messages, with and without the stack's moto fixes.

The full run's results go to bench/results/ and its plots to docs/performance/ (drawn in
.venv-bench, which `make bench` creates). A quick run writes bench/results/quick/ and draws
nothing: its figures are not the documented ones.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from bench.common import RESULTS, load_average, say
from bench.stack import REPO

PLOTS_PYTHON = REPO / ".venv-bench" / "bin" / "python"


def run(module: str, *arguments: str) -> None:
    started = time.monotonic()
    say(f"\n==> python -m {module} {' '.join(arguments)}  (load {load_average()})")
    subprocess.run([sys.executable, "-m", module, *arguments], cwd=REPO, check=True)
    say(f"==> {module} done in {time.monotonic() - started:.0f} s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.all", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs; results not plotted")
    args = parser.parse_args(argv)
    began = time.monotonic()
    if args.quick:
        folder = RESULTS / "quick"
        day = f"{datetime.now(UTC):%Y-%m-%d}"
        out = {name: str(folder / f"{name}-{day}.json") for name in ("http", "saga", "peer")}
        run("bench.http", "--quick", "--output", out["http"])
        run("bench.saga", "--quick", "--output", out["saga"])
        run("bench.peer", "--quick", "--output", out["peer"])
        run("bench.cost", "--saga", out["saga"], "--output", str(folder / f"cost-{day}.json"))
        capacity = str(folder / f"capacity-{day}.json")
        run("bench.capacity", "--saga", out["saga"], "--output", capacity)
        memory = str(folder / f"emulator-memory-{day}.json")
        run("bench.emulator_memory", "--messages", "4000", "--output", memory)
    else:
        run("bench.http")
        run("bench.saga")
        run("bench.peer")
        run("bench.cost")
        run("bench.capacity")
        run("bench.emulator_memory")
        if PLOTS_PYTHON.exists():
            run_plots()
        else:
            say(f"no {PLOTS_PYTHON}: `make bench-env` first to draw the plots")
    say(f"\nall done in {(time.monotonic() - began) / 60:.1f} min")
    return 0


def run_plots() -> None:
    say("\n==> drawing docs/performance/*.png")
    subprocess.run([str(PLOTS_PYTHON), "-m", "bench.plots"], cwd=REPO, check=True)


if __name__ == "__main__":
    sys.exit(main())
