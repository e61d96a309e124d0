"""Bench: how well credit scoring predicts and warns, on a seeded simulated portfolio; and its latency.

    .venv/bin/python bench/credit_scoring_eval.py            # 2,000 clients × 24 months (the issue's size)
    .venv/bin/python bench/credit_scoring_eval.py --quick    # 300 clients, well under a minute

The simulator (credit_scoring.simulation: latent habits, Chinese New Year strain,
one client in ten deteriorating towards default) yields the facts the platform's
events would have projected; every feature is built by the service's own
point-in-time code (build_credit_file as of the sample's date). Time split: the
models are fitted on the first 18 months and tested on the last 6.

  late-payment model   AUC, Brier, KS on invoices issued in months 19–24 (P(paid > 30 days
                       late)), against the baseline "the customer's prior late ratio" in the same run
  scorecard tiers      bad rate by tier A→D of a snapshot at month 18 (bad = an invoice
                       more than 30 days late within 180 days); must rise strictly
  early warning        for clients deteriorating in the test months: days from the first
                       alert (tier drop, 20-point fall in 30 days, utilisation 80/95%,
                       dunning letter, legal handover; checked every 2 days) to the first
                       invoice going 30+ days late; the median, and the precision of alerts
  latency              event → CreditScoreChanged through a real broker (Tansu) and the
                       service in-process: p50/p95 ms

Targets (issue 6): AUC ≥ 0.85 and ≥ +0.03 over the baseline; tiers strictly increasing;
median warning lead ≥ 14 days.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np

from credit_scoring import modelling, policy, scoring
from credit_scoring.defaults import DEFAULT_TIERS
from credit_scoring.domain import build_credit_file
from credit_scoring.simulation import SimulatedClient, month_start, simulate
from credit_scoring.training import Portfolio, crossed_late_on, late_payment_samples, scorecard_samples

SEED = 424242
DAYS_LATE = 30
TRAIN_MONTHS, MONTHS = 18, 24


def portfolios(clients: list[SimulatedClient]) -> list[Portfolio]:
    return [Portfolio(c.experiences, c.history, c.first_seen_on, c.terms) for c in clients]


def late_payment(ports: list[Portfolio]) -> dict[str, float]:
    end, split = month_start(MONTHS), month_start(TRAIN_MONTHS)
    samples = late_payment_samples(ports, days_late=DAYS_LATE, end=end)
    # Train only on outcomes known by the split date: no label from the test months leaks in.
    train = late_payment_samples(ports, days_late=DAYS_LATE, end=split)
    test = [s for s in samples if s.issued_on >= split]
    model = modelling.fit_late_payment(
        [s.features for s in train],
        [s.late for s in train],
        version="bench",
        features=scoring.LATE_FEATURES,
        days_late=DAYS_LATE,
    )
    y = [s.late for s in test]
    p = [scoring.late_payment_probability(model, s.features) for s in test]
    baseline = [s.prior_late_ratio for s in test]
    calibration = abs(float(np.mean(p)) - float(np.mean(y)))
    return {
        "train_invoices": len(train),
        "test_invoices": len(test),
        "test_late_rate": float(np.mean(y)),
        "auc": modelling.auc(y, p),
        "brier": modelling.brier(y, p),
        "ks": modelling.ks(y, p),
        "calibration_gap": calibration,
        "accuracy_at_0.5": float(np.mean([(pi >= 0.5) == bool(yi) for pi, yi in zip(p, y, strict=True)])),
        "baseline_auc": modelling.auc(y, baseline),
        "baseline_ks": modelling.ks(y, baseline),
    }


def fit_scorecard(ports: list[Portfolio]) -> dict:
    split = month_start(TRAIN_MONTHS)
    snapshots = [month_start(m) + timedelta(days=14) for m in range(3, TRAIN_MONTHS)]
    rows, bad, _ = scorecard_samples(ports, snapshots, end=split, days_late=DAYS_LATE)
    return modelling.fit_scorecard(rows, bad, version="bench", names=list(scoring.CHARACTERISTICS), tiers=DEFAULT_TIERS)


def tiers(ports: list[Portfolio], model: dict) -> dict[str, tuple[int, float]]:
    snapshot = month_start(TRAIN_MONTHS)
    rows, bad, _ = scorecard_samples(ports, [snapshot], end=month_start(MONTHS), days_late=DAYS_LATE)
    by_tier: dict[str, list[int]] = {t: [] for t in "ABCD"}
    for values, b in zip(rows, bad, strict=True):
        score = scoring.score_of_values(model, values)
        by_tier[scoring.tier_of(score, model["tiers"])].append(b)
    scores = [scoring.score_of_values(model, v) for v in rows]
    by_tier_out = {t: (len(v), float(np.mean(v)) if v else float("nan")) for t, v in by_tier.items()}
    return {"tiers": by_tier_out, "auc": modelling.auc(bad, [-s for s in scores])}


def alerts_of(portfolio: Portfolio, model: dict, start: date, end: date, step: int = 2) -> list[tuple[date, str]]:
    """The alerts the service would raise for one client, evaluated every `step` days in [start, end)."""
    raised: list[tuple[date, str]] = []
    recent: list[tuple[date, int]] = []
    previous_tier: str | None = None
    previous_use: Decimal | None = None
    last_of: dict[str, date] = {}
    letters = sorted(
        (d.on, "legal_handover" if d.legal_handover else "dunning_letter")
        for d in portfolio.history.dunning
        if d.legal_handover or d.level >= 3
    )
    day = start
    while day < end:
        file = build_credit_file(
            portfolio.experiences, as_of=day, first_seen_on=portfolio.first_seen_on, history=portfolio.history
        )
        if file.invoices_issued:
            scored = scoring.apply_scorecard(model, file)
            recent = [(d, s) for d, s in recent if d > day - timedelta(days=30)]
            warnings = policy.score_warnings(
                customer_key="c",
                score_id=day.isoformat(),
                score=scored.score,
                tier=scored.tier,
                previous_tier=previous_tier,
                highest_recent_score=max((s for _, s in recent), default=None),
            )
            limit = policy.recommended_limit(file, scored.tier)
            use = policy.utilisation(limit.exposure, limit.limit)
            warnings += policy.utilisation_warnings(customer_key="c", before=previous_use, after=use, stamp="")
            for w in warnings:
                if w.kind in policy.COOLDOWN_KINDS:
                    if w.kind in last_of and (day - last_of[w.kind]).days < policy.COOLDOWN_DAYS:
                        continue  # as the service: these kinds at most once per 30 days
                    last_of[w.kind] = day
                raised.append((day, w.kind))
            recent.append((day, scored.score))
            previous_tier, previous_use = scored.tier, use
        day += timedelta(days=step)
    raised.extend((d, kind) for d, kind in letters if start <= d < end)
    return sorted(raised)


def warning_lead(clients: list[SimulatedClient], ports: list[Portfolio], model: dict) -> dict[str, float]:
    split, end = month_start(TRAIN_MONTHS), month_start(MONTHS)
    leads: list[int] = []
    episode_leads: list[int] = []
    by_kind: dict[str, list[bool]] = {}
    followed, alerts_total = 0, 0
    horizon = timedelta(days=90)
    for client, portfolio in zip(clients, ports, strict=True):
        crossings = sorted(d for e in portfolio.experiences if (d := crossed_late_on(e, DAYS_LATE)) is not None)
        alerts = alerts_of(portfolio, model, split - timedelta(days=60), end)
        # Precision: each client's first alert of an episode in the test months, followed within 90 days?
        for d, kind in alerts:
            if split <= d < end - horizon:
                hit = any(d < c <= d + horizon for c in crossings) or any(
                    c <= d and crossed_open(portfolio, c, d) for c in crossings
                )
                by_kind.setdefault(kind, []).append(hit)
        in_test = [d for d, _ in alerts if split <= d < end - horizon]
        if in_test:
            first = in_test[0]
            alerts_total += 1
            followed += any(first < c <= first + horizon for c in crossings) or any(
                c <= first and crossed_open(portfolio, c, first) for c in crossings
            )
        if client.deteriorates_from is None:
            continue
        first_crossing = next(iter(crossings), None)
        if first_crossing is None or not split <= first_crossing < end:
            continue
        before = [d for d, _ in alerts if d < first_crossing]
        leads.append((first_crossing - before[0]).days if before else 0)
        # The same, counting only alerts of the last 90 days (an older one belongs to another episode).
        episode = [d for d in before if d >= first_crossing - horizon]
        episode_leads.append((first_crossing - episode[0]).days if episode else 0)
    return {
        "deteriorating_clients": len(leads),
        "median_lead_days": float(statistics.median(leads)) if leads else float("nan"),
        "median_episode_lead_days": float(statistics.median(episode_leads)) if episode_leads else float("nan"),
        "share_warned_14_days_ahead": float(np.mean([lead >= 14 for lead in episode_leads]))
        if episode_leads
        else float("nan"),
        "alert_precision": followed / alerts_total if alerts_total else float("nan"),
        "alerted_clients": alerts_total,
        "precision_by_kind": {k: (len(v), float(np.mean(v))) for k, v in sorted(by_kind.items())},
    }


def crossed_open(portfolio: Portfolio, crossing: date, day: date) -> bool:
    """True when an invoice that went 30+ days late is still unpaid on `day` (the client is already bad)."""
    for e in portfolio.experiences:
        if crossed_late_on(e, DAYS_LATE) == crossing and (e.paid_on is None or e.paid_on > day):
            return True
    return False


# --- latency through the broker ----------------------------------------------------------


async def latency(samples: int) -> dict[str, float]:
    """Event → CreditScoreChanged on the credit-scoring topic, through Tansu and the service in-process."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    from arflow.auth import generate_key
    from arflow.events.catalog import (
        CREDIT_SCORING,
        DUNNING,
        INVOICING,
        RECONCILIATION,
        InvoiceIssued,
        InvoicePaid,
        topic_of,
    )
    from arflow.events.envelope import Envelope, wrap
    from arflow.ids import uuid7
    from arflow.messaging.kafka import ensure_topics
    from arflow.money import Money
    from arflow.testing.infrastructure import TestInfrastructure
    from arflow.testing.services import running_service, test_settings
    from credit_scoring import service
    from credit_scoring.config import CreditScoringSettings
    from credit_scoring.main import create_app

    infra = TestInfrastructure.start()
    key = generate_key()
    try:
        topics = [topic_of(s) for s in (INVOICING, RECONCILIATION, DUNNING, CREDIT_SCORING)]
        await ensure_topics(infra.bootstrap, topics)
        settings = test_settings(CreditScoringSettings, infra, key, log_level="ERROR", relay_poll_seconds=0.5)
        async with running_service("credit-scoring", create_app, settings, infra, key) as running:
            reader = AIOKafkaConsumer(
                topic_of(CREDIT_SCORING),
                bootstrap_servers=infra.bootstrap,
                auto_offset_reset="latest",
                group_id=f"bench-{uuid7().hex[:8]}",
                # Our reader must not add its own wait to the figure: ask the broker to answer at once.
                fetch_max_wait_ms=5,
            )
            await reader.start()
            producer = AIOKafkaProducer(bootstrap_servers=infra.bootstrap, acks="all", linger_ms=0)
            await producer.start()

            async def publish(event: object) -> None:
                envelope = wrap(event, occurred_at=datetime.now(UTC), traceparent=None)  # type: ignore[arg-type]
                await producer.send_and_wait(
                    topic_of(INVOICING),
                    envelope.to_bytes(),
                    key=envelope.subject.encode(),
                    headers=envelope.kafka_headers(),
                )

            try:
                await reader.getmany(timeout_ms=1000)
                today = datetime.now(UTC).date()
                timings = []
                for i in range(samples + 3):
                    customer_id, invoice_id = uuid7(), uuid7()
                    amount = Money.of("1000.00", "CNY")
                    invoice_date = today - timedelta(days=90)
                    due = invoice_date + timedelta(days=30)
                    issued = InvoiceIssued(
                        customer_id=customer_id,
                        invoice_id=invoice_id,
                        invoice_number=f"B-{i}",
                        currency="CNY",
                        subtotal=amount,
                        tax_total=Money.zero("CNY"),
                        total=amount,
                        invoice_date=invoice_date,
                        due_date=due,
                        net_days=30,
                        payment_reference="RF00",
                        issued_at=datetime.now(UTC),
                    )
                    await publish(issued)
                    await _wait_for(reader, customer_id)  # scored once: an invoice 60 days past due
                    paid = InvoicePaid(
                        customer_id=customer_id,
                        invoice_id=invoice_id,
                        invoice_number=f"B-{i}",
                        total=amount,
                        invoice_date=invoice_date,
                        due_date=due,
                        paid_on=today,
                        days_beyond_terms=(today - due).days,
                    )
                    started = time.perf_counter()
                    await publish(paid)
                    await _wait_for(reader, customer_id)
                    if i >= 3:  # the first few warm the connections up
                        timings.append((time.perf_counter() - started) * 1000)
                # In process: the handler's own work (project the fact, rescore, outbox) in one transaction.
                in_process = []
                for _ in range(samples):
                    customer_id, invoice_id = uuid7(), uuid7()
                    issued = issued.model_copy(update={"customer_id": customer_id, "invoice_id": invoice_id})
                    paid = paid.model_copy(update={"customer_id": customer_id, "invoice_id": invoice_id})
                    db, clock = running.app.state.db, running.app.state.clock
                    async with db.unit_of_work() as session:
                        await service.record_invoice_issued(session, clock=clock, occurred_at=clock.now(), event=issued)
                        await service.rescore(session, clock=clock, customer_id=customer_id, trigger="bench")
                    started = time.perf_counter()
                    async with db.unit_of_work() as session:
                        await service.record_invoice_paid(session, clock=clock, occurred_at=clock.now(), event=paid)
                        await service.rescore(session, clock=clock, customer_id=customer_id, trigger="bench")
                    in_process.append((time.perf_counter() - started) * 1000)
            finally:
                await producer.stop()
                await reader.stop()
        timings.sort()
        in_process.sort()
        return {
            "samples": len(timings),
            "p50_ms": timings[len(timings) // 2],
            "p95_ms": timings[min(len(timings) - 1, int(len(timings) * 0.95))],
            "in_process_p50_ms": in_process[len(in_process) // 2],
            "in_process_p95_ms": in_process[min(len(in_process) - 1, int(len(in_process) * 0.95))],
        }
    finally:
        await infra.stop()

    _ = Envelope  # (imported for type clarity of the reader's values)


async def _wait_for(reader: object, customer_id: object) -> None:
    from arflow.events.envelope import Envelope

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        batches = await reader.getmany(timeout_ms=50)  # type: ignore[attr-defined]
        for records in batches.values():
            for record in records:
                envelope = Envelope.from_bytes(record.value or b"{}")
                if envelope.type == "CreditScoreChanged" and envelope.subject == str(customer_id):
                    return
    raise TimeoutError("no CreditScoreChanged within 30 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="300 clients and 20 latency samples")
    parser.add_argument("--clients", type=int, default=None)
    parser.add_argument("--no-latency", action="store_true", help="skip the broker latency figure")
    parser.add_argument("--latency-only", action="store_true", help="only the broker latency figure")
    args = parser.parse_args()
    if args.latency_only:
        report_latency(asyncio.run(latency(20 if args.quick else 100)))
        return
    clients_n = args.clients or (300 if args.quick else 2000)
    started = time.perf_counter()
    clients = simulate(clients_n, MONTHS, seed=SEED)
    ports = portfolios(clients)
    invoices = sum(len(c.experiences) for c in clients)
    print(
        f"portfolio: {clients_n} clients × {MONTHS} months, {invoices} invoices, "
        f"{sum(c.deteriorates_from is not None for c in clients)} deteriorating (seed {SEED})"
    )

    late = late_payment(ports)
    print("\nlate-payment model: P(paid > 30 days late), trained on months 1–18, tested on 19–24")
    print(
        f"  invoices: train {late['train_invoices']}, test {late['test_invoices']} "
        f"(late rate {late['test_late_rate']:.3f})"
    )
    print(
        f"  model     AUC {late['auc']:.3f}  Brier {late['brier']:.4f}  KS {late['ks']:.3f}  "
        f"accuracy {late['accuracy_at_0.5']:.3f}  calibration gap {late['calibration_gap']:.3f}"
    )
    print(
        f"  baseline  AUC {late['baseline_auc']:.3f}  KS {late['baseline_ks']:.3f}  (the customer's prior late ratio)"
    )
    lift = late["auc"] - late["baseline_auc"]
    print(
        f"  AUC lift over baseline {lift:+.3f}  (targets: AUC ≥ 0.85: {'met' if late['auc'] >= 0.85 else 'MISSED'}; "
        f"lift ≥ 0.03: {'met' if lift >= 0.03 else 'MISSED'})"
    )

    model = fit_scorecard(ports)
    found = tiers(ports, model)
    print(
        "\nscorecard: fitted on months 1–18 (600 at 50:1, PDO 20); snapshot at the start of month 19,"
        " bad = 30+ days late within 180 days"
    )
    rates = []
    for tier, (count, rate) in found["tiers"].items():
        rates.append(rate)
        print(f"  tier {tier}: {count:5d} clients, bad rate {rate:.3f}")
    increasing = all(a < b for a, b in itertools.pairwise(rates))
    print(
        f"  score AUC {found['auc']:.3f}; bad rate strictly increasing A→D: {'yes' if increasing else 'NO'}"
        f"; D/A separation {rates[3] / rates[0] if rates[0] else float('inf'):.1f}×"
    )

    warned = warning_lead(clients, ports, model)
    print("\nearly warning (alerts checked every 2 days)")
    print(f"  deteriorating clients first 30+ days late in months 19–24: {warned['deteriorating_clients']}")
    print(
        f"  median lead of the first alert within 90 days before: {warned['median_episode_lead_days']:.0f} days; "
        f"of the first alert at all: {warned['median_lead_days']:.0f} days "
        f"(target ≥ 14: {'met' if warned['median_episode_lead_days'] >= 14 else 'MISSED'}); "
        f"warned ≥ 14 days ahead: {warned['share_warned_14_days_ahead']:.0%}"
    )
    print(
        f"  alert precision (first alert followed by a 30+ days late invoice within 90 days, or one already open): "
        f"{warned['alert_precision']:.2f} over {warned['alerted_clients']} alerted clients"
    )
    print(
        "  precision by kind: " + ", ".join(f"{k} {p:.2f} (n={n})" for k, (n, p) in warned["precision_by_kind"].items())
    )
    print(f"\nmodel figures in {time.perf_counter() - started:.1f} s")

    if not args.no_latency:
        report_latency(asyncio.run(latency(20 if args.quick else 100)))


def report_latency(figures: dict[str, float]) -> None:
    print(
        f"\nlatency event → CreditScoreChanged through the broker ({figures['samples']} samples): "
        f"p50 {figures['p50_ms']:.0f} ms, p95 {figures['p95_ms']:.0f} ms (targets: ≤ 300 ms through Kafka)"
    )
    print(
        f"in process (project the fact, rescore, write the outbox; one transaction): "
        f"p50 {figures['in_process_p50_ms']:.1f} ms, p95 {figures['in_process_p95_ms']:.1f} ms (target ≤ 20 ms)"
    )


if __name__ == "__main__":
    main()
