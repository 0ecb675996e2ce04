"""The prediction app on the small seeded demo (tests/portfolio/pages_demo.py): train, store, serve, explain.

Runs on SQLite and, with DATABASE_URL, on PostgreSQL (the CRM frames are read with COPY there).
"""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from kokyaku.crm.models import Activity, Deal
from kokyaku.domain.errors import DomainError
from kokyaku.domain.prediction import BetaGeoModel, DealWinModel, from_bytes
from kokyaku.portfolio.models import SnapshotRow
from kokyaku.portfolio.services import snapshot_create
from kokyaku.prediction import selectors, services
from kokyaku.prediction.models import DealPrediction, ModelVersion
from tests.portfolio.pages_demo import AS_OF, BEFORE, Demo

pytestmark = pytest.mark.django_db


def _payload(value: bytes | memoryview | None) -> bytes:
    assert value is not None, "no stored model"
    return bytes(value)


def _sources(snapshot_id: int) -> dict[str, int]:
    rows = SnapshotRow.objects.filter(snapshot_id=snapshot_id).values("probability_source").annotate(n=Count("id"))
    return {r["probability_source"]: r["n"] for r in rows}


def test_train_stores_both_models_the_report_and_every_open_deal_with_its_reasons(demo: Demo) -> None:
    version = services.model_train(actor=None, as_of=AS_OF)
    assert version.deal_serving == "model", version.report["deal"]["metrics"]
    assert version.deal_reason == "model_beats_base_rate"
    metrics = version.report["deal"]["metrics"]
    assert metrics["model"]["brier"] < metrics["base_rate"]["brier"]
    assert {"model", "base_rate", "naive_bayes"} <= set(metrics)
    assert set(metrics["model"]) >= {"auc", "brier", "log_loss", "ece", "n"}
    assert version.closed_deals == Deal.objects.filter(opened_on__lte=AS_OF, closed_on__lte=AS_OF).exclude(status="open").count()
    deal, meta = from_bytes(_payload(version.deal_payload))
    assert isinstance(deal, DealWinModel)
    assert meta["version"] == version.pk
    assert meta["as_of"] == AS_OF.isoformat()
    repeat, _meta = from_bytes(_payload(version.repeat_payload))
    assert isinstance(repeat, BetaGeoModel)
    open_deals = Deal.objects.filter(status="open", opened_on__lte=AS_OF).count()
    assert version.predictions.count() == open_deals > 0
    reasons = [p.reasons for p in DealPrediction.objects.filter(version=version)]
    assert all(len(r) <= 3 for r in reasons)
    assert any(len(r) == 3 for r in reasons)
    assert all(0.0 < p.probability < 1.0 for p in version.predictions.all())


def test_a_snapshot_uses_the_model_trained_as_of_its_date_never_a_later_one(demo: Demo) -> None:
    early = services.model_train(actor=None, as_of=BEFORE)
    late = services.model_train(actor=None, as_of=AS_OF)
    assert selectors.version_as_of(date(2026, 10, 1)) == early
    assert selectors.version_as_of(AS_OF) == late
    assert selectors.version_as_of(date(2026, 8, 30)) is None
    between = snapshot_create(actor=None, as_of=date(2026, 10, 1))
    assert between.notes["models"]["version"] == early.pk
    current = snapshot_create(actor=None, as_of=AS_OF)
    assert current.notes["models"]["version"] == late.pk
    assert current.notes["models"]["deal"] == {"serving": "model", "reason": "model_beats_base_rate"}
    assert _sources(current.pk).get("model", 0) > 0
    older = snapshot_create(actor=None, as_of=date(2026, 8, 1))
    assert "models" not in older.notes
    assert _sources(older.pk).get("model", 0) == 0
    assert set(current.notes["bands"]) == {"price", "probability"}


def test_a_model_that_does_not_serve_feeds_nothing(demo: Demo) -> None:
    version = services.model_train(actor=None, as_of=AS_OF)
    ModelVersion.objects.filter(pk=version.pk).update(
        deal_serving="base_rate",
        deal_reason="model_not_better_than_base_rate",
        repeat_serving="history",
        repeat_reason="model_not_better_than_history",
    )
    snapshot = snapshot_create(actor=None, as_of=AS_OF)
    assert snapshot.notes["models"]["deal"]["serving"] == "base_rate"
    assert _sources(snapshot.pk).get("model", 0) == 0
    assert services.probabilities_as_of(AS_OF) is not None
    provided = services.probabilities_as_of(AS_OF)
    assert provided is not None
    assert provided.model_probability is None
    assert provided.repeat_probability is None


def test_a_changed_stored_model_is_refused_not_run(demo: Demo) -> None:
    version = services.model_train(actor=None, as_of=AS_OF)
    payload = bytearray(_payload(version.deal_payload))
    payload[-10] ^= 0xFF
    ModelVersion.objects.filter(pk=version.pk).update(deal_payload=bytes(payload))
    with pytest.raises(DomainError, match="checksum"):
        services.load_models(ModelVersion.objects.get(pk=version.pk))


def test_the_serving_rule_is_the_brier_score_against_the_base_rate(demo: Demo) -> None:
    """Outcomes redrawn at random (no signal left): whatever the draw, serving follows the rule."""
    rng = np.random.default_rng(5)
    closed = list(Deal.objects.exclude(status="open").order_by("id"))
    for d in closed:
        d.status = "won" if rng.random() < 0.4 else "lost"
    Deal.objects.bulk_update(closed, ["status"])
    version = services.model_train(actor=None, as_of=AS_OF)
    metrics = version.report["deal"]["metrics"]
    beats = metrics["model"]["brier"] < metrics["base_rate"]["brier"]
    assert version.deal_serving == ("model" if beats else "base_rate")


def test_too_few_closed_deals_fall_back_and_the_snapshot_says_why(demo: Demo) -> None:
    keep = list(Deal.objects.exclude(status="open").order_by("id").values_list("id", flat=True)[:30])
    Deal.objects.exclude(status="open").exclude(id__in=keep).delete()
    version = services.model_train(actor=None, as_of=AS_OF)
    assert (version.deal_serving, version.deal_reason) == ("base_rate", "too_few_closed_deals")
    assert version.predictions.count() == 0  # no stored probability from a model that does not serve
    snapshot = snapshot_create(actor=None, as_of=AS_OF)
    assert snapshot.notes["models"]["deal"] == {"serving": "base_rate", "reason": "too_few_closed_deals"}
    assert _sources(snapshot.pk).get("model", 0) == 0


def test_commands_write_the_json_the_issue_names(demo: Demo, tmp_path: Path) -> None:
    out = tmp_path / "eval.json"
    call_command("evaluate", as_of=AS_OF.isoformat(), json=str(out))
    report = json.loads(out.read_text())
    assert set(report) == {"deal", "repeat"}
    for part in report.values():
        assert part["serving"] in {"model", "base_rate", "history"}
        for m in part["metrics"].values():
            assert set(m) == {"auc", "brier", "log_loss", "ece", "n"}
    assert ModelVersion.objects.count() == 0  # evaluate stores nothing
    call_command("train", as_of=BEFORE.isoformat(), verbosity=0)
    assert ModelVersion.objects.get().as_of == BEFORE
    printed = io.StringIO()
    call_command("snapshot", as_of=AS_OF.isoformat(), verbosity=0, stdout=printed)
    assert f"probability models: version {ModelVersion.objects.get().pk} (data up to {BEFORE})" in printed.getvalue()
    assert "deals: model (model_beats_base_rate)" in printed.getvalue()
    bt = tmp_path / "bt.json"
    call_command("backtest", as_of=BEFORE.isoformat(), horizon=2, json=str(bt))
    result = json.loads(bt.read_text())
    assert set(result["zones"]) == {"A", "B", "C", "unzoned"}
    assert {"accounts", "revenue"} <= set(result["zones"]["A"])
    assert result["models"]["version"] == ModelVersion.objects.get().pk
    assert "a_over_c" in result
    assert "a_capture" in result
    won = Deal.objects.filter(status="won", closed_on__gt=BEFORE, closed_on__lte=date(2026, 10, 31))
    total = sum(float(d.amount or 0) for d in won)
    zoned = sum(result["zones"][z]["revenue"] for z in ("A", "B", "C", "unzoned"))
    assert zoned == pytest.approx(total, abs=1.0)
    assert ModelVersion.objects.get().report["backtest"]["as_of"] == BEFORE.isoformat()
    versus = result["versus_price"]
    assert versus["a_accounts"] == result["zones"]["A"]["accounts"]
    assert versus["verdict"] in ("clearly_better", "not_clearly_better", "worse")
    printed = io.StringIO()
    call_command("backtest", as_of=BEFORE.isoformat(), horizon=2, stdout=printed)
    last = printed.getvalue().strip().splitlines()[-1]
    assert f"same number ({versus['a_accounts']:,}) of top-priced accounts" in last
    said = {"clearly_better": "zone A is clearly better", "not_clearly_better": "NOT clearly better", "worse": "WORSE"}
    assert said[versus["verdict"]] in last


def test_commands_refuse_bad_input_plainly(demo: Demo) -> None:
    with pytest.raises(CommandError, match="--as-of: '2026-13-01' is not a date"):
        call_command("train", as_of="2026-13-01")
    with pytest.raises(CommandError, match="at least one month"):
        call_command("backtest", as_of=BEFORE.isoformat(), horizon=0)
    with pytest.raises(CommandError, match="--json: cannot write"):
        call_command("evaluate", as_of=AS_OF.isoformat(), json="/nonexistent/dir/x.json")
    assert ModelVersion.objects.count() == 0


def test_training_as_of_a_date_reads_nothing_dated_after_it(demo: Demo) -> None:
    """Scramble everything after the date (later deals, later outcomes, later activities): same report, same predictions."""
    before = services.model_train(actor=None, as_of=BEFORE)
    later = datetime.combine(BEFORE + timedelta(days=2), time.min, tzinfo=UTC)
    flipped = list(Deal.objects.filter(closed_on__gt=BEFORE).exclude(status="open"))
    assert flipped
    for d in flipped:
        d.status = "lost" if d.status == "won" else "won"
        d.closed_on = AS_OF
    Deal.objects.bulk_update(flipped, ["status", "closed_on"])
    assert Activity.objects.filter(occurred_at__gte=later).update(minutes=9_999) > 0
    assert Deal.objects.filter(opened_on__gt=BEFORE).exclude(id__in=[d.id for d in flipped]).update(amount=1) > 0
    again = services.model_train(actor=None, as_of=BEFORE)
    assert again.report == before.report
    first = dict(before.predictions.values_list("deal_id", "probability"))
    second = dict(again.predictions.values_list("deal_id", "probability"))
    assert first == second
    assert first
    # ... and the check can fail: change what was known by then, and the report changes.
    Deal.objects.filter(closed_on__lte=BEFORE, status="won").update(status="lost")
    assert services.model_train(actor=None, as_of=BEFORE).report != before.report
