"""The benches still run: each at a tiny size, as a process, printing its figures (issue 17).

Figures at this size measure nothing (the platform's start-up dominates); what is checked is that a bench
exits 0 having printed every figure it promises, so that one cannot rot between the runs `make bench` does.
Both run at once, each on a broker and databases of its own, to stay within a minute.
"""

from __future__ import annotations

import asyncio
import sys
import time

import pytest

from arflow.devstack.platform import REPO_ROOT

pytestmark = pytest.mark.e2e

# each; together they took about 35 s on a 2-core machine at load 2-4, and the pipeline's alone (with its bare
# floor: four more processes, 200 bare payments) about 2 minutes at load 10-13
WITHIN_SECONDS = 240


async def run_bench(script: str, *args: str) -> str:
    """The bench's output; fails when it does not exit 0 in time."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(REPO_ROOT / "bench" / script),
        *args,
        cwd=REPO_ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        out, _ = await asyncio.wait_for(process.communicate(), timeout=WITHIN_SECONDS)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError(f"{script} did not finish within {WITHIN_SECONDS} s") from None
    text = out.decode(errors="replace")
    assert process.returncode == 0, f"{script} exited {process.returncode}:\n{text[-3000:]}"
    return text


async def test_the_pipeline_and_consumer_benches_run_and_print_their_figures() -> None:
    started = time.monotonic()
    pipeline, consumer = await asyncio.gather(
        run_bench("pipeline.py", "--payments", "5", "--concurrency", "5"),
        run_bench("consumer_batch.py", "--events", "100", "--hops", "10"),
    )
    print(f"both benches in {time.monotonic() - started:.0f} s\n{pipeline}\n{consumer}")

    assert "payments/s" in pipeline
    for stage in ("accepted", "PaymentReceived", "InvoicePaid", "case resolved", "credit file"):
        assert any(line.strip().startswith(stage) and "p99" in line for line in pipeline.splitlines()), stage
    for hop in ("PaymentReceived → invoicing", "InvoicePaid → dunning", "InvoicePaid → credit-scoring"):
        assert any(hop in line and "relay p50" in line and "consume p50" in line for line in pipeline.splitlines())
    assert "pipeline / raw" in pipeline and "pipeline / insert" in pipeline
    assert "bare FastAPI hello" in pipeline and "webhooks accepted" in pipeline
    for service in ("invoicing", "reconciliation", "dunning", "credit-scoring"):  # memory and CPU of each
        assert any(
            line.strip().startswith(service) and " MB " in line and "ms CPU a payment" in line
            for line in pipeline.splitlines()
        ), service
    assert "exactly once: 5 invoices paid" in pipeline
    assert any(
        line.strip().startswith("end to end latency") and "goal p99 <= 1 s" in line for line in pipeline.splitlines()
    )
    assert any(line.strip().startswith("bare pipeline") and "payments/s" in line for line in pipeline.splitlines())
    assert any(
        "floor p99 end to end" in line and "CPU a payment" in line and "cores at most" in line
        for line in pipeline.splitlines()
    )
    assert "pipeline / bare pipeline" in pipeline

    for name in ("raw", "per-event", "batched"):
        assert any(line.startswith(name) and "events/s" in line for line in consumer.splitlines()), name
    assert "exactly once: counter = inbox = 100" in consumer
    assert any(line.startswith("raw  send → received") and "p99" in line for line in consumer.splitlines())
    for hop in ("commit → handler", "pools busy", "2 replicas"):
        assert any(line.startswith("hop") and hop in line and "x raw" in line for line in consumer.splitlines()), hop


async def test_the_get_invoicing_and_import_benches_print_their_bounds() -> None:
    """Each prints, beside its figure, the physical bound that decides whether its target can be met here."""
    get, issue, imports = await asyncio.gather(
        run_bench("http_get.py", "--requests", "200", "--rounds", "1", "--connections", "4"),
        run_bench("invoicing_issue.py", "--invoices", "40", "--concurrency", "4"),
        run_bench("reconciliation_match.py", "-n", "300"),
    )
    print(f"{get}\n{issue}\n{imports}")

    lines = get.splitlines()
    assert any(line.startswith("best") and "bare select" in line and "GET one customer" in line for line in lines)
    assert any(line.startswith("bound     bare select / hello") and "the target is" in line for line in lines)
    assert any(line.startswith("ratio     GET / bare select") for line in lines)

    lines = issue.splitlines()
    assert any(line.startswith("bound     bare endpoint + gapless counter row") for line in lines)
    assert any(line.startswith("bound     one locked counter row") and "commits/s" in line for line in lines)
    assert any(line.startswith("ratio     gapless bound / bare insert endpoint") for line in lines)
    assert any(line.startswith("ratio     api / gapless bound") for line in lines)

    lines = imports.splitlines()
    for fmt in ("camt", "csv"):
        assert f"== {fmt} through the service (PostgreSQL, 300 lines)" in imports
    assert sum(line.startswith("client COPY") and "rows/s" in line for line in lines) == 2
    assert sum(line.startswith("bound            (parse + COPY) / parse") for line in lines) == 2
    assert sum(line.startswith("bound + matching") for line in lines) == 2


async def test_the_hosted_page_bench_runs_and_prints_its_figures() -> None:
    out = await run_bench("hosted_page.py", "--small")
    lines = out.splitlines()
    for page in ("/i/{token} (invoice page)", "/s/{token} (statement page)", "/i/{token} unknown (404)"):
        assert any(line.startswith(page) and "x  " in line for line in lines), page
    assert any(line.startswith("bare FastAPI hello") for line in lines)
    assert "goal p95 <= 200 ms" in out


async def test_the_audit_cost_bench_runs_and_prints_its_figures() -> None:
    out = await run_bench("audit_cost.py", "--writes", "8", "--concurrency", "2", "--rounds", "2")
    lines = out.splitlines()
    for write in ("create customer", "change customer", "credit note", "write-off", "void"):
        assert any(line.startswith(f"write     {write}") and "audit+person" in line and "sql" in line for line in lines)
    assert any(line.startswith("authz") and "µs" in line for line in lines)
    assert "(target <= 10%)" in out
