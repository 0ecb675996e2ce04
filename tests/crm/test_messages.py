"""What a crm service refuses reaches the reader in their language: the services' messages go through gettext."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from kokyaku.crm.models import Deal, Rep, Target
from kokyaku.crm.services import deal_update

pytestmark = pytest.mark.django_db


def test_an_overlapping_target_is_refused_in_japanese_on_a_japanese_page(manager_client: Client, strong_rep: Rep) -> None:
    Target.objects.create(rep=strong_rep, period_start=date(2026, 4, 1), period_end=date(2026, 6, 30), amount=Decimal(9))
    response = manager_client.post(
        reverse("portfolio:target_set"),
        {"rep": strong_rep.pk, "period": "2026-05", "amount": "1"},
        headers={"Accept-Language": "ja"},
        follow=True,
    )
    html = response.content.decode()
    assert (
        f"period: {strong_rep.name} にはすでに 2026-04-01〜2026-06-30 の目標があり、2026-05-01〜2026-05-31 と重なります。"
        "先にそちらを変更するか削除してください。"
    ) in html
    assert "already has a target" not in html
    assert Target.objects.filter(rep=strong_rep).count() == 1


def test_a_deal_service_message_follows_the_active_language(strong_account: object, manager: User) -> None:
    deal = Deal.objects.get(external_id="D-1")
    with translation.override("ja"), pytest.raises(ValidationError) as refused:
        deal_update(actor=manager, deal=deal, changes={"closed_on": date(2025, 1, 1)})
    assert refused.value.messages == ["closed_on: 2025-01-01 は商談の開始日（2026-01-10）より前です。"]
    with translation.override("en"), pytest.raises(ValidationError) as english:
        deal_update(actor=manager, deal=deal, changes={"closed_on": date(2025, 1, 1)})
    assert english.value.messages == ["closed_on: 2025-01-01 is before the deal was opened (2026-01-10)."]
