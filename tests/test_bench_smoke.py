"""Every benchmark still runs (``--quick``) and prints JSON lines with a same-run reference.

The figures themselves are judged by people reading ``make bench`` output, never here: this
only keeps the benchmarks from rotting. Slow, so it runs with the fault suite (make test-faults).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
#: Benchmarks and evaluations that compare against a reference measured in the same run.
COMPARED = sorted(p.name for p in BENCH.glob("bench_*.py"))


@pytest.mark.faults
@pytest.mark.timeout(600)
@pytest.mark.parametrize("script", COMPARED)
def test_benchmark_runs_and_reports_against_a_reference(script: str) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / script), "--quick"],
        capture_output=True,
        text=True,
        timeout=540,
        check=False,
        cwd=BENCH.parent,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, f"{script} printed no JSON lines"
    compared = [k for line in lines for k in line if "ratio" in k or "reference" in k]
    assert compared, f"{script} reports nothing against a reference"
