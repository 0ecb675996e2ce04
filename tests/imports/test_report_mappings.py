"""Built-in mappings for exports as the tools write them: a Salesforce report from an English org,
a HubSpot deals export (stage labels in sentence case, probability as 0.2) and a kintone 案件管理
CSV (ヨミ ranks). Each file is built here the way the tool writes it; each imports with its built-in
mapping and no hand edits, and importing it again (or re-saved) changes nothing.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from kokyaku.crm.models import Account, Deal, Rep
from kokyaku.imports.errors import ImportFileError
from kokyaku.imports.mapping import mapping_parse
from kokyaku.imports.services import import_run
from tests.imports.conftest import db_state, write

pytestmark = pytest.mark.usefixtures("seeded")

SF_HEADER = '"Opportunity Name","Account Name","Opportunity Owner","Amount","Stage","Probability (%)","Created Date","Close Date"'
SF_ROWS = [
    '"New line","Fuji Seiki Co., Ltd.","Jane Smith","USD 12,500.00","Closed Won","100","3/5/2024","4/30/2024"',
    '"Renewal","Fuji Seiki Co., Ltd.","Jane Smith","USD 3,000.00","Negotiation/Review","70","3/6/2024","6/30/2024"',
    '"Pilot","Aoba Labs Inc.","John Doe","USD 800.50","Closed Lost","0","1/15/2024","2/28/2024"',
]
# what Salesforce writes under a "details only" report: a blank line, the totals, the notice
SF_FOOTER = ["", '"Grand Totals (3 records)"', '"Confidential Information - Do Not Distribute"',
             '"Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved."']  # fmt: skip


def sf_report(rows: list[str] = SF_ROWS) -> bytes:
    return ("\r\n".join([SF_HEADER, *rows, *SF_FOOTER]) + "\r\n").encode("utf-8")


def test_a_salesforce_report_with_english_labels_imports_as_it_comes(tmp_path: Path) -> None:
    path = write(tmp_path, "report.csv", sf_report())
    summary = import_run(actor=None, kind="deals", path=path, mapping="salesforce_report")
    assert summary.created == 3
    deals = {d.name: d for d in Deal.objects.filter(name__in=["New line", "Renewal", "Pilot"])}
    assert deals["New line"].amount == Decimal("12500.00")
    assert deals["Pilot"].amount == Decimal("800.50")
    assert (deals["New line"].status, deals["New line"].closed_on) == ("won", date(2024, 4, 30))
    assert deals["New line"].opened_on == date(2024, 3, 5)
    assert (deals["Renewal"].status, deals["Renewal"].probability) == ("open", 70)
    assert deals["Renewal"].expected_close_on == date(2024, 6, 30)
    assert deals["Pilot"].status == "lost"
    assert deals["New line"].account_id == deals["Renewal"].account_id
    assert Account.objects.get(pk=deals["Pilot"].account_id).name == "Aoba Labs Inc."
    assert Rep.objects.filter(name="Jane Smith").count() == 1
    assert "footer" in "\n".join(summary.notes)
    state = db_state()
    # re-saved by Excel: ISO dates, amounts without the code; the key (account / opportunity) holds
    resaved = [r.replace("3/5/2024", "2024-03-05").replace("USD 12,500.00", "12500") for r in SF_ROWS]
    again = import_run(
        actor=None, kind="deals", path=write(tmp_path, "resaved.csv", sf_report(resaved)), mapping="salesforce_report"
    )
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert db_state() == state


HUBSPOT_HEADER = "Record ID,Deal Name,Deal Stage,Amount,Close Date,Create Date,Deal owner,Associated Company IDs,Deal probability"
HUBSPOT_ROWS = [
    "9001,Annual plan,Closed won,1200000,2024-04-30,2024-03-01,Hanako Sato,7001,1",
    "9002,Add-on seats,Contract sent,350000,2024-06-30,2024-03-10,Hanako Sato,7001;7002,0.9",
    "9003,Trial,Appointment scheduled,50000,2024-07-31,2024-03-15,Ken Ito,7002,0.2",
    "9004,Old quote,Closed lost,90000,2024-02-28,2024-01-05,Ken Ito,7003,0",
]


def test_a_hubspot_deals_export_with_sentence_case_stages_and_fraction_probabilities(tmp_path: Path) -> None:
    text = "\n".join([HUBSPOT_HEADER, *HUBSPOT_ROWS]) + "\n"
    path = write(tmp_path, "hubspot-crm-exports-all-deals-2024-04-05.csv", text)
    summary = import_run(actor=None, kind="deals", path=path, mapping="hubspot")
    assert summary.created == 4
    deals = {d.external_id: d for d in Deal.objects.filter(external_id__in=["9001", "9002", "9003", "9004"])}
    assert [deals[k].status for k in sorted(deals)] == ["won", "open", "open", "lost"]
    assert [deals[k].probability for k in sorted(deals)] == [100, 90, 20, 0]
    assert deals["9002"].account.external_id == "7001"  # several companies: the first is the account
    assert deals["9003"].stage == "Appointment scheduled"
    state = db_state()
    again = import_run(actor=None, kind="deals", path=path, mapping="hubspot")
    assert again.unchanged == 4
    assert db_state() == state


def test_a_probability_scale_that_is_not_a_number_is_refused() -> None:
    text = (
        'kind = "deals"\n[columns]\nexternal_id="i"\naccount="a"\nstatus="s"\nopened_on="o"\n[options]\nprobability_scale = "x"\n'
    )
    with pytest.raises(ImportFileError, match="probability_scale"):
        mapping_parse(text, name="m.toml")


KINTONE_HEADER = '"レコード番号","顧客名","案件名","担当者","金額","ステータス","ヨミ","作成日時","受注予定日"'
KINTONE_ROWS = [
    '"101","株式会社ＡＢＣ商事","基幹システム更新","山田 太郎","1200000","商談中","A","2024-04-01 09:30","2024-06-30"',
    '"102","(株)ABC商事","保守契約","山田　太郎","300000","受注","受注","2024-03-01 10:00","2024-03-31"',
    '"103","テスト工業株式会社","PoC","佐藤 健","150000","商談中","C","2024-04-10 14:00","2024-09-30"',
    '"104","テスト工業株式会社","追加開発","佐藤 健","500000","失注","ヨミ外","2024-02-01 11:15","2024-03-15"',
]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
def test_a_kintone_csv_with_yomi_ranks_imports_as_it_comes(tmp_path: Path, encoding: str) -> None:
    data = ("\r\n".join([KINTONE_HEADER, *KINTONE_ROWS]) + "\r\n").encode(encoding)
    path = write(tmp_path, "案件管理_20240405.csv", data)
    summary = import_run(actor=None, kind="deals", path=path, mapping="kintone")
    assert summary.created == 4
    deals = {d.external_id: d for d in Deal.objects.filter(external_id__in=["101", "102", "103", "104"])}
    assert [deals[k].probability for k in sorted(deals)] == [80, 100, 20, 0]
    assert [deals[k].status for k in sorted(deals)] == ["open", "won", "open", "lost"]
    assert deals["101"].opened_on == date(2024, 4, 1)
    assert deals["101"].expected_close_on == date(2024, 6, 30)
    assert deals["102"].closed_on == date(2024, 3, 31)
    assert deals["101"].account_id == deals["102"].account_id, "two spellings of one customer"
    assert deals["101"].owner_id == deals["102"].owner_id, "two spacings of one rep"
    state = db_state()
    again = import_run(actor=None, kind="deals", path=path, mapping="kintone")
    assert again.unchanged == 4
    assert db_state() == state
