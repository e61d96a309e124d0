"""Run the test suites one pytest session each, then print one total line.

Each session gets its own broker and databases (see the root conftest.py). The
services' in-process test copies subscribe to each other's topics, so in one
shared session they would form a live platform and answer each other's test
events (credit-scoring scoring dunning's test customers, and so on).

    python -m arflow.testing.suites [SUITE ...] [-- PYTEST_ARGS]
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

# A suite that runs longer than this is stopped and counted as failed, so a hang
# shows as a red suite in minutes instead of holding CI until its own limit.
SUITE_TIMEOUT_SECONDS = float(os.environ.get("ARFLOW_SUITE_TIMEOUT_SECONDS", "900"))

SUITES = (
    "libs/common/tests",
    "services/invoicing",
    "services/reconciliation",
    "services/dunning",
    "services/credit-scoring",
    "services/people",
    "services/console",
    "tests",
)


def _counts(report: Path) -> dict[str, int]:
    if not report.exists():
        return {"tests": 0, "failures": 0, "errors": 1, "skipped": 0}
    root = ElementTree.parse(report).getroot()
    suites = [root] if root.tag == "testsuite" else list(root)
    return {key: sum(int(s.get(key, 0)) for s in suites) for key in ("tests", "failures", "errors", "skipped")}


def _run_suite(command: list[str]) -> int:
    """Run one pytest session; past the time limit, ask it for its stacks, then stop its process group."""
    process = subprocess.Popen(command, start_new_session=True)
    try:
        return process.wait(timeout=SUITE_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        print(f"\nsuite still running after {SUITE_TIMEOUT_SECONDS:.0f} s: stopping it", flush=True)
        os.killpg(process.pid, signal.SIGABRT)  # pytest's faulthandler prints every thread's stack
        try:
            return process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            return process.wait()


def main(argv: list[str]) -> int:
    suites, extra = argv, []
    if "--" in argv:
        index = argv.index("--")
        suites, extra = argv[:index], argv[index + 1 :]
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    failed_suites = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        for number, suite in enumerate(suites or SUITES):
            report = Path(tmp) / f"{number}.xml"
            print(f"\n===== {suite} =====", flush=True)
            code = _run_suite([sys.executable, "-m", "pytest", suite, f"--junitxml={report}", *extra])
            counts = _counts(report)
            for key in totals:
                totals[key] += counts[key]
            if code not in (0, 5):  # 5: no tests collected in that suite
                failed_suites.append(suite)
    passed = totals["tests"] - totals["failures"] - totals["errors"] - totals["skipped"]
    failed = totals["failures"] + totals["errors"]
    print(
        f"\nsuites: {len(suites or SUITES)}, failing: {', '.join(failed_suites) or 'none'}; "
        f"{time.monotonic() - started:.0f} s"
    )
    print(f"{passed} passed, {failed} failed, {totals['skipped']} skipped")
    return 1 if failed_suites or failed or totals["tests"] == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
