"""Bench: how well credit scoring predicts and warns, on a seeded simulated portfolio; and its latency.

    .venv/bin/python bench/credit_scoring_eval.py            # 2,000 clients × 24 months (the issue's size)
    .venv/bin/python bench/credit_scoring_eval.py --quick    # 300 clients, well under a minute

The simulator (credit_scoring.models_admin.simulation: latent habits, Chinese New Year strain,
one client in ten deteriorating towards default) yields the facts the platform's
events would have projected; every feature is built by the service's own
point-in-time code (build_credit_file as of the sample's date). Time split: the
models are fitted on the first 18 months and tested on the last 6.

  late-payment model   AUC, Brier, KS on invoices issued in months 19–24 (P(paid > 30 days
                       late)), against the baseline "the customer's prior late ratio" in the same run
  scorecard tiers      bad rate by tier A→D of a snapshot at month 18 (bad = an invoice
                       more than 30 days late within 180 days); must rise strictly
  early warning        the service's warning rules (policy.watch: hysteresis, cooling-off,
                       re-arming) and the previous rules in the same run, checked every 2 days:
                       alerts per kind and their precision (a 30+ days late invoice follows
                       within 90 days, or one is already open), clients alerted, recall of
                       deteriorating clients and the lead from the first alert of the 90 days
                       before their first 30+ days late invoice
  latency              event → CreditScoreChanged through a real broker (Tansu) and the
                       service in-process: p50/p95 ms, SQL statements per rescore, the
                       one-statement read against the previous query-per-table read

Targets (issue 6): AUC ≥ 0.85 and ≥ +0.03 over the baseline; tiers strictly increasing;
median warning lead ≥ 14 days. Warnings (set with the rules): precision ≥ 0.50 (overall and of
the score and limit alerts alone), at most half as many clients alerted that never go 30+ days
late as under the previous rules, median lead still ≥ 14 days.
In-process rescore (issue notes): ≤ 20 ms.
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

from credit_scoring import policy, scoring
from credit_scoring.domain import Portfolio, build_credit_file
from credit_scoring.models_admin import modelling
from credit_scoring.models_admin.defaults import DEFAULT_TIERS
from credit_scoring.models_admin.simulation import SimulatedClient, month_start, simulate
from credit_scoring.models_admin.training import crossed_late_on, late_payment_samples, scorecard_samples

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


def alerts_of(
    portfolio: Portfolio, model: dict, start: date, end: date, step: int = 2
) -> tuple[list[tuple[date, str]], list[tuple[date, str]]]:
    """The alerts the service would raise for one client, evaluated every `step` days in [start, end).

    Returns (alerts under the service's rules, alerts under the previous rules): the previous rules
    raised a tier drop on any lower tier, a score drop on any 20-point fall (30-day cooldown), and a
    utilisation warning on every upward crossing (30-day cooldown); no hysteresis, no re-arming.
    """
    raised: list[tuple[date, str]] = []
    legacy: list[tuple[date, str]] = []
    state = policy.WatchState()
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
            limit = policy.recommended_limit(file, scored.tier)
            use = policy.utilisation(limit.exposure, limit.limit)
            settled = policy.settled_score(model["characteristics"], scored.points)
            seen = policy.Observation(
                day=day,
                score=scored.score,
                tier=scored.tier,
                settled_score=settled,
                settled_tier=scoring.tier_of(settled, model["tiers"]),
                utilisation=use,
            )
            warnings, state = policy.watch(state, seen, customer_key="c")
            raised.extend((day, w.kind) for w in warnings)
            # The previous rules, for comparison in the same run.
            recent = [(d, s) for d, s in recent if d > day - timedelta(days=30)]
            kinds = []
            if previous_tier is not None and "ABCD".index(scored.tier) > "ABCD".index(previous_tier):
                kinds.append("tier_drop")
            highest = max((s for _, s in recent), default=None)
            if highest is not None and highest - scored.score >= 20:
                kinds.append("score_drop")
            for threshold, kind in ((Decimal("0.80"), "utilisation_80"), (Decimal("0.95"), "utilisation_95")):
                if use is not None and use > threshold and not (previous_use is not None and previous_use > threshold):
                    kinds.append(kind)
            for kind in kinds:
                if kind != "tier_drop":
                    if kind in last_of and (day - last_of[kind]).days < 30:
                        continue
                    last_of[kind] = day
                legacy.append((day, kind))
            recent.append((day, scored.score))
            previous_tier, previous_use = scored.tier, use
        day += timedelta(days=step)
    dunning = [(d, kind) for d, kind in letters if start <= d < end]
    return sorted(raised + dunning), sorted(legacy + dunning)


def warning_lead(clients: list[SimulatedClient], ports: list[Portfolio], model: dict) -> dict[str, dict]:
    """Lead, precision and recall of the early warnings, under the service's rules and the previous ones."""
    split, end = month_start(TRAIN_MONTHS), month_start(MONTHS)
    horizon = timedelta(days=90)
    out: dict[str, dict] = {}
    evaluated = [
        (client, portfolio, alerts_of(portfolio, model, split - timedelta(days=60), end))
        for client, portfolio in zip(clients, ports, strict=True)
    ]
    for which, rules in (("rules", 0), ("previous", 1)):
        leads: list[int] = []
        episode_leads: list[int] = []
        by_kind: dict[str, list[bool]] = {}
        followed, alerts_total, alerts_all, false_alarms = 0, 0, 0, 0
        for client, portfolio, both in evaluated:
            alerts = both[rules]
            crossings = sorted(d for e in portfolio.experiences if (d := crossed_late_on(e, DAYS_LATE)) is not None)

            def bad_within(d: date, crossings: list[date] = crossings, portfolio: Portfolio = portfolio) -> bool:
                """A 30+ days late invoice within 90 days after the alert, or one already open at it."""
                return any(d < c <= d + horizon for c in crossings) or any(
                    c <= d and crossed_open(portfolio, c, d) for c in crossings
                )

            for d, kind in alerts:
                if split <= d < end - horizon:
                    by_kind.setdefault(kind, []).append(bad_within(d))
            in_test = [d for d, _ in alerts if split <= d < end - horizon]
            alerted = bool([d for d, _ in alerts if split <= d < end])
            alerts_all += alerted
            # A false alarm: alerted, yet no invoice 30+ days late from 60 days before to 90 days after the window.
            false_alarms += alerted and not any(split - timedelta(days=60) <= c < end + horizon for c in crossings)
            if in_test:
                alerts_total += 1
                followed += bad_within(in_test[0])
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
        hits = sum(sum(v) for v in by_kind.values())
        count = sum(len(v) for v in by_kind.values())
        # Dunning letters and legal handovers come when an invoice is already far overdue (precision 1 by
        # construction): the alerts this service decides on are the score and limit ones.
        own = [hit for kind, v in by_kind.items() if kind not in ("dunning_letter", "legal_handover") for hit in v]
        out[which] = {
            "deteriorating_clients": len(leads),
            "median_lead_days": float(statistics.median(leads)) if leads else float("nan"),
            "median_episode_lead_days": float(statistics.median(episode_leads)) if episode_leads else float("nan"),
            "recall": float(np.mean([lead > 0 for lead in episode_leads])) if episode_leads else float("nan"),
            "recall_14": float(np.mean([lead >= 14 for lead in episode_leads])) if episode_leads else float("nan"),
            "first_alert_precision": followed / alerts_total if alerts_total else float("nan"),
            "alert_precision": hits / count if count else float("nan"),
            "score_limit_precision": float(np.mean(own)) if own else float("nan"),
            "score_limit_alerts": len(own),
            "alerts": count,
            "alerted_clients": alerts_all,
            "false_alarm_clients": false_alarms,
            "by_kind": {k: (len(v), float(np.mean(v))) for k, v in sorted(by_kind.items())},
        }
    return out


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
    from sqlalchemy import event, text

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
    from credit_scoring.config import CreditScoringSettings
    from credit_scoring.deps import SYSTEM
    from credit_scoring.experience.service import record_invoice_issued, record_invoice_paid
    from credit_scoring.files import repository as files_repository
    from credit_scoring.files.service import load_portfolios, portfolio_of
    from credit_scoring.limits.repository import get_limit
    from credit_scoring.main import create_app
    from credit_scoring.models_admin.repository import latest_model
    from credit_scoring.rescore_io import rescore_snapshot
    from credit_scoring.scores.repository import latest_score
    from credit_scoring.scores.service import rescore

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
                db, clock = running.app.state.db, running.app.state.clock
                statements = [0]

                def count(*_: object) -> None:
                    statements[0] += 1

                in_process, per_rescore, customers = [], [], []
                for _ in range(samples):
                    customer_id, invoice_id = uuid7(), uuid7()
                    customers.append(customer_id)
                    issued = issued.model_copy(update={"customer_id": customer_id, "invoice_id": invoice_id})
                    paid = paid.model_copy(update={"customer_id": customer_id, "invoice_id": invoice_id})
                    async with db.unit_of_work() as session:
                        await record_invoice_issued(
                            session, clock=clock, occurred_at=clock.now(), event=issued, actor=SYSTEM
                        )
                        await rescore(session, clock=clock, customer_id=customer_id, trigger="bench", actor=SYSTEM)
                    started = time.perf_counter()
                    async with db.unit_of_work() as session:
                        await record_invoice_paid(
                            session, clock=clock, occurred_at=clock.now(), event=paid, actor=SYSTEM
                        )
                        # Count this transaction's statements only (the outbox relay works on its own connection).
                        connection = (await session.connection()).sync_connection
                        assert connection is not None
                        event.listen(connection, "before_cursor_execute", count)
                        before = statements[0]
                        await rescore(session, clock=clock, customer_id=customer_id, trigger="bench", actor=SYSTEM)
                        per_rescore.append(statements[0] - before)
                        event.remove(connection, "before_cursor_execute", count)
                    in_process.append((time.perf_counter() - started) * 1000)
                # The floor on this machine: a transaction with one trivial statement and its commit.
                floor = []
                for _ in range(samples):
                    started = time.perf_counter()
                    async with db.unit_of_work() as session:
                        await session.execute(text("SELECT 1"))
                    floor.append((time.perf_counter() - started) * 1000)
                # What a rescore reads, the general loader (a query per table, as rescores used to) against the
                # one-statement snapshot, on the same customers in the same run.
                loader, snapshot = [], []
                for customer_id in customers:
                    async with db.unit_of_work() as session:
                        started = time.perf_counter()
                        customer = await files_repository.get_customer(session, customer_id)
                        assert customer is not None
                        await load_portfolios(session, [customer])
                        await latest_score(session, customer_id)
                        await get_limit(session, customer_id, lock=True)
                        await latest_model(session, "scorecard")
                        loader.append((time.perf_counter() - started) * 1000)
                    async with db.unit_of_work() as session:
                        started = time.perf_counter()
                        found = await rescore_snapshot(session, customer_id)
                        assert found is not None
                        portfolio_of(found)
                        snapshot.append((time.perf_counter() - started) * 1000)
            finally:
                await producer.stop()
                await reader.stop()
        return {
            "samples": len(timings),
            "p50_ms": _percentile(timings, 50),
            "p95_ms": _percentile(timings, 95),
            "in_process_p50_ms": _percentile(in_process, 50),
            "in_process_p95_ms": _percentile(in_process, 95),
            "statements_per_rescore": statistics.median(per_rescore),
            "floor_p50_ms": _percentile(floor, 50),
            "floor_p95_ms": _percentile(floor, 95),
            "loader_p50_ms": _percentile(loader, 50),
            "loader_p95_ms": _percentile(loader, 95),
            "snapshot_p50_ms": _percentile(snapshot, 50),
            "snapshot_p95_ms": _percentile(snapshot, 95),
        }
    finally:
        await infra.stop()

    _ = Envelope  # (imported for type clarity of the reader's values)


def _percentile(values: list[float], q: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, len(ordered) * q // 100)]


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
    parser.add_argument("--warnings-only", action="store_true", help="only the early-warning figures")
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

    if args.warnings_only:
        report_warnings(warning_lead(clients, ports, fit_scorecard(ports)), clients_n)
        return
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

    report_warnings(warning_lead(clients, ports, model), clients_n)
    print(f"\nmodel figures in {time.perf_counter() - started:.1f} s")

    if not args.no_latency:
        report_latency(asyncio.run(latency(20 if args.quick else 100)))


def report_warnings(found: dict[str, dict], clients_n: int) -> None:
    print(
        "\nearly warning (alerts checked every 2 days over months 19–24; an alert is right when a 30+ days late"
        " invoice follows within 90 days, or one is already open)"
    )
    for which, title in (("rules", "the service's rules"), ("previous", "previous rules, same run")):
        w = found[which]
        print(
            f"  {title}: {w['alerts']} alerts in months 19–21, {w['alerted_clients']} of {clients_n} clients alerted"
            f" in months 19–24 ({w['false_alarm_clients']} of them never 30+ days late)"
        )
        print(
            f"    precision {w['alert_precision']:.2f} (first alert per client {w['first_alert_precision']:.2f};"
            f" score and limit alerts only {w['score_limit_precision']:.2f} over {w['score_limit_alerts']})"
        )
        print(
            f"    deteriorating clients first 30+ days late in months 19–24: {w['deteriorating_clients']}; "
            f"recall (an alert in the 90 days before) {w['recall']:.0%}, ≥ 14 days ahead {w['recall_14']:.0%}; "
            f"median lead {w['median_episode_lead_days']:.0f} days (of the first alert at all"
            f" {w['median_lead_days']:.0f})"
        )
        print("    by kind (count, precision): " + ", ".join(f"{k} {n} {p:.2f}" for k, (n, p) in w["by_kind"].items()))
    rules, previous = found["rules"], found["previous"]
    print(
        f"  targets: precision ≥ 0.50 overall: {'met' if rules['alert_precision'] >= 0.5 else 'MISSED'}, "
        f"and of score and limit alerts: {'met' if rules['score_limit_precision'] >= 0.5 else 'MISSED'}; "
        f"clients alerted that never go 30+ days late ≤ half of before ({rules['false_alarm_clients']} vs "
        f"{previous['false_alarm_clients']}): "
        f"{'met' if rules['false_alarm_clients'] * 2 <= previous['false_alarm_clients'] else 'MISSED'}; "
        f"median lead ≥ 14 days: {'met' if rules['median_episode_lead_days'] >= 14 else 'MISSED'}"
    )


def report_latency(figures: dict[str, float]) -> None:
    print(
        f"\nlatency event → CreditScoreChanged through the broker ({figures['samples']} samples): "
        f"p50 {figures['p50_ms']:.0f} ms, p95 {figures['p95_ms']:.0f} ms (targets: ≤ 300 ms through Kafka)"
    )
    print(
        f"in process (project the fact, rescore, write the outbox; one transaction): "
        f"p50 {figures['in_process_p50_ms']:.1f} ms, p95 {figures['in_process_p95_ms']:.1f} ms (target ≤ 20 ms); "
        f"{figures['statements_per_rescore']:.0f} SQL statements per rescore: one read, one write (was ≈ 15)"
    )
    print(
        f"  the floor here: a transaction of one SELECT 1 and its commit p50 {figures['floor_p50_ms']:.1f} ms, "
        f"p95 {figures['floor_p95_ms']:.1f} ms"
    )
    print(
        f"reading what a rescore needs: one statement p50 {figures['snapshot_p50_ms']:.1f} ms, "
        f"p95 {figures['snapshot_p95_ms']:.1f} ms; the previous query-per-table reads (7 statements) "
        f"p50 {figures['loader_p50_ms']:.1f} ms, p95 {figures['loader_p95_ms']:.1f} ms "
        f"({figures['loader_p50_ms'] / figures['snapshot_p50_ms']:.1f}× at p50)"
    )


if __name__ == "__main__":
    main()
