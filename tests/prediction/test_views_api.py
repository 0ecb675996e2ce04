"""The model page, the account's deal predictions and the API, with the demo's logins."""

from __future__ import annotations

import pytest
from django.test import Client

from kokyaku.portfolio.services import snapshot_create
from kokyaku.prediction import services
from kokyaku.prediction.models import DealPrediction
from kokyaku.users.services import api_token_create
from tests.portfolio.pages_demo import AS_OF, Demo, demo_client

pytestmark = pytest.mark.django_db


def _api(username: str) -> Client:
    from django.contrib.auth.models import User

    _token, plain = api_token_create(user=User.objects.get(username=username), name="test")
    return Client(headers={"Authorization": f"Bearer {plain}"})


def test_the_model_page_says_no_model_yet_then_shows_the_report(demo: Demo) -> None:
    manager = demo_client("manager")
    page = manager.get("/prediction/")
    assert page.status_code == 200
    assert b'data-testid="no-model"' in page.content
    services.model_train(actor=None, as_of=AS_OF)
    html = manager.get("/prediction/").content.decode()
    for testid in ("deal-metrics", "repeat-metrics", "deal-deciles", "importance", "deal-reliability", "top-predictions"):
        assert f'data-testid="{testid}"' in html
    assert "The model serves." in html
    assert "Naive Bayes (Odoo-style)" in html


def test_reps_may_not_open_the_model_page(demo: Demo) -> None:
    assert demo_client("rep").get("/prediction/").status_code == 403


def test_a_rep_sees_the_predictions_of_their_own_deals_on_the_account_page(demo: Demo) -> None:
    version = services.model_train(actor=None, as_of=AS_OF)
    mine = DealPrediction.objects.filter(version=version, deal__owner=demo.rep).select_related("deal").first()
    assert mine is not None
    rep = demo_client("rep")
    assert b'data-testid="account-predictions"' in rep.get(f"/portfolio/accounts/{mine.deal.account_id}/").content
    fragment = rep.get(f"/prediction/accounts/{mine.deal.account_id}/deals/").content.decode()
    assert 'data-testid="deal-predictions"' in fragment
    assert f"{round(mine.probability * 100)}%" in fragment
    theirs = DealPrediction.objects.filter(version=version).exclude(deal__owner=demo.rep).select_related("deal").first()
    assert theirs is not None
    other = rep.get(f"/prediction/accounts/{theirs.deal.account_id}/deals/").content.decode()
    if not DealPrediction.objects.filter(version=version, deal__account_id=theirs.deal.account_id, deal__owner=demo.rep).exists():
        assert 'data-testid="deal-predictions-empty"' in other


def test_the_api_gives_the_report_and_each_deal_with_its_reasons(demo: Demo) -> None:
    manager = _api("manager")
    assert manager.get("/api/prediction/model").status_code == 404
    version = services.model_train(actor=None, as_of=AS_OF)
    body = manager.get("/api/prediction/model").json()
    assert body["version"] == version.pk
    assert body["deal_serving"] == "model"
    assert set(body["report"]) >= {"deal", "repeat"}
    deals = manager.get("/api/prediction/deals?limit=500").json()
    assert len(deals) == version.predictions.count()
    assert deals[0]["probability"] >= deals[-1]["probability"]
    assert any(r["feature_label"] for d in deals for r in d["reasons"])
    rep_deals = _api("rep").get("/api/prediction/deals?limit=500").json()
    assert rep_deals
    assert {d["owner_id"] for d in rep_deals} == {demo.rep.pk}
    assert manager.get("/api/prediction/deals?limit=0").status_code == 400
    snapshot = snapshot_create(actor=None, as_of=AS_OF)
    listed = {s["id"]: s for s in manager.get("/api/portfolio/snapshots").json()}
    assert listed[snapshot.pk]["notes"]["models"]["version"] == version.pk
    assert listed[snapshot.pk]["notes"]["bands"]["probability"]["code"] in {"ok", "ties_broken"}


def test_the_model_page_groups_thousands_in_its_counts(demo: Demo) -> None:
    """ "25243 closed deals and 4423 customers", "6291" in the N column: every other page writes 25,243."""
    from django.template.loader import render_to_string

    from kokyaku.prediction.models import ModelVersion

    services.model_train(actor=None, as_of=AS_OF)
    ModelVersion.objects.update(closed_deals=25243, customers=4423)  # the sizes of the Maven + Online Retail data
    html = demo_client("manager").get("/prediction/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "25,243 closed deals and 4,423 customers" in html
    row = {"name": "Model", "auc": 0.5, "brier": 0.3786, "log_loss": 2.1232, "ece": 0.378, "n": 6291, "serving": True}
    metrics = render_to_string("prediction/_metrics.html", {"rows": [row], "testid": "deal-metrics"})
    assert '<td class="num">6,291</td>' in metrics
