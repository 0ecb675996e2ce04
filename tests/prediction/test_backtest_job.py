"""The back-test from the model page: a background job (kind ``backtest``) whose result the model page charts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from kokyaku.jobs.models import Job
from kokyaku.jobs.registry import kind_of
from kokyaku.prediction.models import ModelVersion
from tests.portfolio.pages_demo import BEFORE, NOW, Demo, demo_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_model_page_queues_a_back_test_and_refuses_a_future_date(demo: Demo) -> None:
    call_command("train", as_of=BEFORE.isoformat(), verbosity=0)
    manager = demo_client("manager")
    page = manager.get(reverse("prediction:model")).content.decode()
    assert 'data-testid="start-backtest"' in page
    response = manager.post(reverse("prediction:backtest"), {"as_of": BEFORE.isoformat(), "horizon_months": "2"})
    job = Job.objects.get(kind="backtest")
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.params == {"as_of": BEFORE.isoformat(), "horizon_months": 2}
    bad = manager.post(reverse("prediction:backtest"), {"as_of": "2099-01-01", "horizon_months": "2"}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400
    assert "needs a past date" in bad.content.decode()
    assert demo_client("rep").post(reverse("prediction:backtest"), {"as_of": BEFORE.isoformat()}).status_code in (302, 403)


def test_the_back_test_kind_reports_its_steps_and_keeps_the_result_with_the_version(demo: Demo) -> None:
    call_command("train", as_of=BEFORE.isoformat(), verbosity=0)
    steps: list[tuple[int, str]] = []
    result = kind_of("backtest").run(None, {"as_of": BEFORE.isoformat(), "horizon_months": 2}, lambda p, s: steps.append((p, s)))
    assert [s for _p, s in steps] == ["computing", "storing"]
    version = ModelVersion.objects.get()
    assert result["version"] == version.pk
    assert version.report["backtest"]["as_of"] == BEFORE.isoformat()
    assert result["a_over_c"] == version.report["backtest"]["a_over_c"]
    described = kind_of("backtest").describe(1, result)  # type: ignore[misc]
    assert described.url == reverse("prediction:model") + "#backtest"
    assert f"as of {BEFORE.isoformat()} over 2 months" in described.text
    assert date.fromisoformat(result["as_of"]) == BEFORE
