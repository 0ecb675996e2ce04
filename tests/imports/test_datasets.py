"""The shared data sets import with the mappings shipped in docs/mappings, and re-import as all unchanged."""

from __future__ import annotations

import gzip
from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models import Sum

from kokyaku.crm.models import Account, Deal, Rep, Team
from kokyaku.imports.services import import_run
from tests.imports.conftest import DATASETS

MAPPINGS = Path(__file__).resolve().parents[2] / "docs" / "mappings"
MAVEN = DATASETS / "maven_crm"
RETAIL = DATASETS / "online_retail" / "online_retail.csv.gz"

pytestmark = pytest.mark.skipif(not MAVEN.exists(), reason=f"shared data sets not found at {DATASETS}")


def _maven(kind: str, file: str) -> tuple[int, int, int, int]:
    s = import_run(actor=None, kind=kind, path=MAVEN / file, mapping=str(MAPPINGS / f"maven_crm_{kind}.toml"))
    return s.created, s.updated, s.unchanged, s.skipped


def test_maven_crm_imports_accounts_reps_and_deals_then_reimports_unchanged(db: None) -> None:
    assert _maven("accounts", "accounts.csv") == (85, 0, 0, 0)
    assert _maven("reps", "sales_teams.csv") == (35, 0, 0, 0)
    # 8,800 opportunities, 1,425 of them open without an account: skipped and reported
    assert _maven("deals", "sales_pipeline.csv") == (8_800 - 1_425, 0, 0, 1_425)
    assert sorted(Team.objects.values_list("name", flat=True)) == ["Central", "East", "West"]
    assert Account.objects.count() == 85  # every deal's account was in accounts.csv
    assert Rep.objects.count() == 35
    won = Deal.objects.filter(status="won")
    assert won.count() == 4_238
    assert won.aggregate(total=Sum("amount"))["total"] == Decimal("10005534")  # as SOURCE.txt says
    assert Account.objects.filter(industry="technolgy").count() == 0  # the typo is mapped away
    assert Deal.objects.filter(product="GTXPro").count() == 0

    assert _maven("accounts", "accounts.csv") == (0, 0, 85, 0)
    assert _maven("reps", "sales_teams.csv") == (0, 0, 35, 0)
    assert _maven("deals", "sales_pipeline.csv") == (0, 0, 7_375, 1_425)


@pytest.mark.slow
def test_online_retail_head_imports_as_purchases_then_reimports_unchanged(db: None, tmp_path: Path) -> None:
    head = tmp_path / "online_retail_head.csv.gz"
    with gzip.open(RETAIL, "rt", encoding="utf-8") as source, gzip.open(head, "wt", encoding="utf-8") as out:
        for i, line in enumerate(source):
            if i > 20_000:
                break
            out.write(line)
    mapping = str(MAPPINGS / "online_retail_purchases.toml")
    first = import_run(actor=None, kind="purchases", path=head, mapping=mapping)
    assert first.rows == 20_000
    assert first.created == first.invoices > 0
    assert first.skipped > 0
    assert first.skipped_reason == "account empty"
    assert first.credit_notes > 0
    assert first.credit_total < 0
    assert Account.objects.filter(name__startswith="Customer ").count() == first.accounts_created
    assert not Account.objects.filter(name__endswith=".0").exists()
    assert Deal.objects.filter(amount__lte=0).count() == 0
    second = import_run(actor=None, kind="purchases", path=head, mapping=mapping)
    assert (second.created, second.updated, second.unchanged, second.accounts_created) == (0, 0, first.created, 0)
