"""CRM contacts imported as key persons (キーマン): Salesforce and HubSpot mappings, upsert, all or nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kokyaku.buyers.models import KeyPerson
from kokyaku.crm.models import Account
from kokyaku.imports.errors import ImportInvalid
from kokyaku.imports.services import import_run

pytestmark = pytest.mark.django_db

SALESFORCE = (
    "Id,AccountId,LastName,FirstName,Title,Department,LastActivityDate,Description\n"
    "003A,ACC-1,山田,太郎,部長,情報システム部,2026-10-01,決裁に関与\n"
    "003B,ACC-1,佐藤,花子,課長,購買部,2026-09-15,\n"
)


def test_salesforce_contacts_become_key_persons_and_a_second_run_updates_them(strong_account: Account, tmp_path: Path) -> None:
    KeyPerson.objects.create(account=strong_account, name="手入力の人")  # added by hand: no external id, left alone
    path = tmp_path / "contacts.csv"
    path.write_text(SALESFORCE, encoding="utf-8")
    first = import_run(actor=None, kind="contacts", path=path, mapping="salesforce")
    assert (first.created, first.updated) == (2, 0)
    yamada = KeyPerson.objects.get(external_id="003A")
    assert (yamada.account, yamada.name, yamada.title, yamada.department) == (
        strong_account,
        "山田 太郎",
        "部長",
        "情報システム部",
    )
    assert (yamada.role, yamada.influence, yamada.stance, yamada.last_contact) == ("other", 3, "neutral", date(2026, 10, 1))
    path.write_text(SALESFORCE.replace("課長", "部長代理"), encoding="utf-8")
    second = import_run(actor=None, kind="contacts", path=path, mapping="salesforce")
    assert (second.created, second.updated, second.unchanged) == (0, 1, 1)
    assert KeyPerson.objects.get(external_id="003B").title == "部長代理"
    assert KeyPerson.objects.count() == 3


def test_hubspot_contacts_with_a_bad_row_write_nothing(strong_account: Account, tmp_path: Path) -> None:
    path = tmp_path / "hubspot.csv"
    path.write_text(
        "Record ID,First Name,Last Name,Job Title,Associated Company IDs (Primary),Last Activity Date\n"
        "501,一郎,鈴木,CFO,ACC-1,2026-08-01\n"
        "502,次郎,高橋,IT Manager,NO-SUCH-COMPANY,2026-08-02\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportInvalid) as err:
        import_run(actor=None, kind="contacts", path=path, mapping="hubspot")
    assert "NO-SUCH-COMPANY" in str(err.value)
    assert "row 3" in str(err.value)
    assert not KeyPerson.objects.exists()


def test_generic_contacts_carry_role_influence_and_stance(strong_account: Account, tmp_path: Path) -> None:
    path = tmp_path / "generic.csv"
    path.write_text(
        "external_id,account,name,role,influence,stance\nK1,Fuji Seiki,田中 社長,decision_maker,5,supporter\n", encoding="utf-8"
    )
    import_run(actor=None, kind="contacts", path=path, mapping="generic")
    person = KeyPerson.objects.get(external_id="K1")
    assert (person.account, person.role, person.influence, person.stance) == (strong_account, "decision_maker", 5, "supporter")
    path.write_text("external_id,account,name,influence\nK2,ACC-1,X,9\n", encoding="utf-8")
    with pytest.raises(ImportInvalid, match="influence"):
        import_run(actor=None, kind="contacts", path=path, mapping="generic")
