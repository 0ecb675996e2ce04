import time
from datetime import date
import pytest
from kokyaku.prediction import services
from kokyaku.portfolio.services import snapshot_create

@pytest.mark.django_db
def test_smoke(demo):
    t = time.perf_counter()
    v = services.model_train(actor=None, as_of=date(2026, 11, 20))
    print("train", time.perf_counter() - t, v.deal_serving, v.deal_reason, v.repeat_serving, v.repeat_reason, v.predictions.count(), v.closed_deals)
    print(v.report["deal"]["metrics"])
    s = snapshot_create(actor=None, as_of=v.as_of)
    print(s.notes)
    from kokyaku.portfolio.models import SnapshotRow
    from django.db.models import Count
    print(list(SnapshotRow.objects.filter(snapshot=s).values("probability_source").annotate(n=Count("id"))))
    print(services.portfolio_backtest(as_of=date(2026, 1, 31), horizon_months=3))
