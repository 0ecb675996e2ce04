"""One customer under one name: existing duplicates (accounts and reps) listed for review, then merged.

The names are the issue's: 株式会社ABC商事, 株式会社ＡＢＣ商事, (株)ABC商事 and ㈱ABC商事 (four accounts), and
山田 太郎, 山田　太郎 and 山田太郎 (three reps). A merge moves every row that refers to the records
merged, deletes them and writes one audit line, in one transaction.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from kokyaku.assignment.models import AccountPin
from kokyaku.buyers.models import KeyPerson
from kokyaku.crm.models import Account, Activity, Change, Deal, Rep
from kokyaku.followups.models import FollowUp
from kokyaku.imports.errors import ImportInvalid
from kokyaku.imports.merge import duplicates_find, duplicates_merge, duplicates_merge_all
from kokyaku.imports.models import MergedId, NameMerge
from kokyaku.imports.services import import_run
from tests.conftest import PASSWORD
from tests.imports.conftest import write

pytestmark = pytest.mark.django_db

ACCOUNTS = ["株式会社ABC商事", "株式会社ＡＢＣ商事", "(株)ABC商事", "㈱ABC商事"]
REPS = ["山田 太郎", "山田　太郎", "山田太郎"]
WHEN = datetime(2026, 4, 1, 10, tzinfo=ZoneInfo("Asia/Tokyo"))


@pytest.fixture
def spelled() -> dict[str, list[int]]:
    """Four accounts and three reps, one name each written differently; each with a deal and an activity.

    The first account has the most deals (it is the one suggested to keep); two accounts are pinned
    (an account has one pin at most: the duplicate's is dropped); each account has a key person.
    """
    reps = [Rep.objects.create(external_id=f"REP-Y{i}", name=n) for i, n in enumerate(REPS)]
    accounts = [Account.objects.create(external_id=f"ACC-ABC-{i}", name=n, owner=reps[i % 3]) for i, n in enumerate(ACCOUNTS)]
    Account.objects.create(external_id="ACC-OTHER", name="株式会社ABD商事")  # one letter off: another customer
    for i, account in enumerate(accounts):
        for j in range(2 if i == 0 else 1):
            deal = Deal.objects.create(
                external_id=f"D-{i}-{j}", account=account, owner=reps[i % 3], amount=Decimal(1000 * (i + 1)),
                status=Deal.Status.OPEN, opened_on=date(2026, 3, 1),
            )  # fmt: skip
        Activity.objects.create(external_id=f"A-{i}", account=account, rep=reps[i % 3], deal=deal, kind="call", occurred_at=WHEN)
        KeyPerson.objects.create(account=account, name=f"担当者{i}")
    AccountPin.objects.create(account=accounts[0], note="kept")
    AccountPin.objects.create(account=accounts[2], note="dropped")
    FollowUp.objects.create(account=accounts[3], assignee=reps[1], reason="dormant", due_on=date(2026, 4, 14))
    return {"accounts": [a.pk for a in accounts], "reps": [r.pk for r in reps]}


def test_the_duplicates_are_listed_for_review_and_nothing_merges_by_itself(spelled: dict[str, list[int]]) -> None:
    (accounts,) = duplicates_find("account")
    assert [r.name for r in accounts.records] == ACCOUNTS  # the one with most deals first, then the oldest
    assert accounts.keep.deals == 2
    (reps,) = duplicates_find("rep")
    assert sorted(r.name for r in reps.records) == sorted(REPS)
    assert Account.objects.count() == 5
    assert Rep.objects.count() == 3


def test_merging_makes_one_account_and_one_rep_and_moves_every_row(spelled: dict[str, list[int]]) -> None:
    kept, *gone = spelled["accounts"]
    result = duplicates_merge(actor=None, kind="account", keep=kept, merge=gone)
    assert set(Account.objects.values_list("name", flat=True)) == {"株式会社ABC商事", "株式会社ABD商事"}
    assert Deal.objects.filter(account_id=kept).count() == 5
    assert Activity.objects.filter(account_id=kept).count() == 4
    assert KeyPerson.objects.filter(account_id=kept).count() == 4
    assert FollowUp.objects.filter(account_id=kept).count() == 1
    assert list(AccountPin.objects.values_list("account_id", "note")) == [(kept, "kept")]
    assert result.moved["crm.Deal.account"] == 3
    assert result.dropped == {"assignment.AccountPin.account": 1}
    audit = NameMerge.objects.get()
    assert (audit.kind, audit.kept_id, audit.kept_name) == ("account", kept, "株式会社ABC商事")
    assert sorted(m["name"] for m in audit.merged) == sorted(ACCOUNTS[1:])
    assert {m["external_id"] for m in audit.merged} == {"ACC-ABC-1", "ACC-ABC-2", "ACC-ABC-3"}
    change = Change.objects.get(account_id=kept)
    assert change.new == "株式会社ABC商事"
    assert "㈱ABC商事" in change.old
    assert duplicates_find("account") == []

    (reps,) = duplicates_find("rep")
    duplicates_merge_all(actor=None, kind="rep")
    (rep,) = Rep.objects.all()
    assert rep.pk == reps.keep.pk
    assert Deal.objects.filter(owner=rep).count() == 5
    assert Account.objects.get(pk=kept).owner_id == rep.pk
    assert Activity.objects.filter(rep=rep).count() == 4
    assert FollowUp.objects.get().assignee_id == rep.pk


def test_names_that_differ_are_never_merged_and_nothing_changes(spelled: dict[str, list[int]]) -> None:
    other = Account.objects.get(external_id="ACC-OTHER").pk
    with pytest.raises(ValidationError, match="株式会社ABD商事"):
        duplicates_merge(actor=None, kind="account", keep=spelled["accounts"][0], merge=[spelled["accounts"][1], other])
    assert Account.objects.count() == 5
    assert Deal.objects.filter(account_id=spelled["accounts"][1]).count() == 1
    assert not NameMerge.objects.exists()
    with pytest.raises(ValidationError):
        duplicates_merge(actor=None, kind="account", keep=spelled["accounts"][0], merge=[])
    with pytest.raises(ValidationError, match="999999"):
        duplicates_merge(actor=None, kind="account", keep=spelled["accounts"][0], merge=[999999])


def test_a_login_moves_with_its_rep_and_two_logins_are_refused(spelled: dict[str, list[int]]) -> None:
    first, second, third = spelled["reps"]
    login = User.objects.create_user(username="yamada", password=PASSWORD)
    Rep.objects.filter(pk=third).update(user=login)
    duplicates_merge(actor=None, kind="rep", keep=first, merge=[third])
    assert Rep.objects.get(pk=first).user_id == login.pk
    other = User.objects.create_user(username="yamada2", password=PASSWORD)
    Rep.objects.filter(pk=second).update(user=other)
    with pytest.raises(ValidationError, match="login"):
        duplicates_merge(actor=None, kind="rep", keep=first, merge=[second])
    assert Rep.objects.filter(pk=second).exists()


def test_a_rep_may_not_merge(spelled: dict[str, list[int]], strong_rep: Rep) -> None:
    tanaka = User.objects.get(username="tanaka")
    with pytest.raises(PermissionDenied):
        duplicates_merge(actor=tanaka, kind="account", keep=spelled["accounts"][0], merge=spelled["accounts"][1:])
    assert Account.objects.count() == 5


def test_after_the_merge_a_report_with_any_spelling_finds_the_one_account(spelled: dict[str, list[int]], tmp_path: Path) -> None:
    duplicates_merge_all(actor=None, kind="account")
    csv = (
        "external_id,account,status,opened_on,amount\n"
        "D-NEW-1,(株)ABC商事,open,2026-04-01,100\nD-NEW-2,株式会社ＡＢＣ商事,open,2026-04-01,200\n"
    )
    summary = import_run(actor=None, kind="deals", path=write(tmp_path, "deals.csv", csv))
    assert summary.created == 2
    kept = spelled["accounts"][0]
    assert set(Deal.objects.filter(external_id__startswith="D-NEW").values_list("account_id", flat=True)) == {kept}
    assert Account.objects.count() == 2


def test_the_command_lists_then_merges(spelled: dict[str, list[int]]) -> None:
    out = StringIO()
    call_command("duplicates", "accounts", stdout=out)
    text = out.getvalue()
    assert "㈱ABC商事" in text
    assert "株式会社ABD商事" not in text
    kept, *gone = spelled["accounts"]
    assert f"--keep {kept} --merge {' '.join(map(str, gone))}" in text
    assert Account.objects.count() == 5  # listing merges nothing
    out = StringIO()
    call_command("duplicates", "accounts", "--keep", str(kept), "--merge", *map(str, gone), stdout=out)
    assert "into 株式会社ABC商事" in out.getvalue()
    assert Account.objects.count() == 2
    with pytest.raises(CommandError, match="--merge"):
        call_command("duplicates", "reps", "--keep", "1")
    out = StringIO()
    call_command("duplicates", "reps", "--all", stdout=out)
    assert Rep.objects.count() == 1


def test_the_page_shows_the_groups_and_merges_what_the_manager_ticks(
    spelled: dict[str, list[int]], manager_client: Client, rep_client: Client
) -> None:
    assert rep_client.get("/imports/duplicates/").status_code == 403
    page = manager_client.get("/imports/duplicates/", HTTP_ACCEPT_LANGUAGE="ja")
    html = page.content.decode()
    assert page.status_code == 200
    assert "㈱ABC商事" in html
    assert "山田　太郎" in html
    kept, *gone = spelled["accounts"]
    response = manager_client.post("/imports/duplicates/", {"kind": "account", "keep": kept, "merge": gone[:2]})
    assert response.status_code == 302
    assert Account.objects.filter(name__endswith="ABC商事").count() == 2  # the one not ticked stays
    bad = manager_client.post("/imports/duplicates/", {"kind": "account", "keep": kept, "merge": ["x"]})
    assert bad.status_code == 400
    page = manager_client.get("/imports/duplicates/")
    assert "株式会社ＡＢＣ商事" in page.content.decode()  # in the history of merges


# A merged record's external id stays its kept record's alias (kokyaku.imports.models.MergedId) ----------------


def _import_naming_the_merged_ids(tmp_path: Path, accounts: list[str], reps: list[str]) -> None:
    """Deals, an accounts file and a reps file that name the merged records by their external ids only."""
    deals = "external_id,account,owner,status,opened_on,amount\n" + "".join(
        f"D-ALIAS-{i},{a},{r},open,2026-04-01,100\n" for i, (a, r) in enumerate(zip(accounts, reps, strict=False))
    )
    summary = import_run(actor=None, kind="deals", path=write(tmp_path, "deals.csv", deals))
    assert summary.created == len(deals.splitlines()) - 1
    assert summary.accounts_created == 0
    assert summary.reps_created == 0
    assert any("was merged into" in str(n) for n in summary.notes)
    rows = "external_id,name,region\n" + "".join(f"{a},株式会社ABC商事,関西\n" for a in accounts[:1])
    summary = import_run(actor=None, kind="accounts", path=write(tmp_path, "accounts.csv", rows))
    assert (summary.created, summary.updated) == (0, 1)
    rows = "external_id,name,email\n" + "".join(f"{r},山田太郎,yamada@example.com\n" for r in reps[:1])
    summary = import_run(actor=None, kind="reps", path=write(tmp_path, "reps.csv", rows))
    assert (summary.created, summary.updated) == (0, 1)


def test_after_a_merge_on_the_command_line_an_import_naming_a_merged_id_lands_on_the_kept_record(
    spelled: dict[str, list[int]], tmp_path: Path
) -> None:
    kept, *gone = spelled["accounts"]
    out = StringIO()
    call_command("duplicates", "accounts", "--keep", str(kept), "--merge", *map(str, gone), stdout=out)
    assert "external ids that now name it (a later import lands on it): ACC-ABC-1, ACC-ABC-2, ACC-ABC-3" in out.getvalue()
    kept_rep, *gone_reps = spelled["reps"]
    call_command("duplicates", "reps", "--keep", str(kept_rep), "--merge", *map(str, gone_reps), stdout=StringIO())
    assert sorted(MergedId.objects.filter(kind="account").values_list("external_id", "record_id")) == [
        ("ACC-ABC-1", kept), ("ACC-ABC-2", kept), ("ACC-ABC-3", kept),
    ]  # fmt: skip
    _import_naming_the_merged_ids(tmp_path, ["ACC-ABC-1", "ACC-ABC-3"], ["REP-Y2", "REP-Y1"])
    assert set(Deal.objects.filter(external_id__startswith="D-ALIAS").values_list("account_id", "owner_id")) == {(kept, kept_rep)}
    assert Account.objects.count() == 2
    assert Rep.objects.count() == 1
    account = Account.objects.get(pk=kept)
    assert (account.external_id, account.region) == ("ACC-ABC-0", "関西")  # the kept record was updated, under its own id
    assert Rep.objects.get(pk=kept_rep).email == "yamada@example.com"


def test_after_a_merge_on_the_page_an_import_naming_a_merged_id_lands_on_the_kept_record(
    spelled: dict[str, list[int]], manager_client: Client, tmp_path: Path
) -> None:
    kept, *gone = spelled["accounts"]
    assert manager_client.post("/imports/duplicates/", {"kind": "account", "keep": kept, "merge": gone}).status_code == 302
    kept_rep, *gone_reps = spelled["reps"]
    response = manager_client.post("/imports/duplicates/", {"kind": "rep", "keep": kept_rep, "merge": gone_reps})
    assert response.status_code == 302
    page = manager_client.get("/imports/duplicates/").content.decode()
    assert "ACC-ABC-2" in page  # the merged external ids are shown with the merge that kept them
    _import_naming_the_merged_ids(tmp_path, ["ACC-ABC-2"], ["REP-Y1"])
    assert list(Deal.objects.filter(external_id="D-ALIAS-0").values_list("account_id", "owner_id")) == [(kept, kept_rep)]
    assert not Account.objects.filter(external_id__in=["ACC-ABC-1", "ACC-ABC-2", "ACC-ABC-3"]).exists()


def test_aliases_follow_the_kept_record_when_it_is_merged_in_turn(spelled: dict[str, list[int]], tmp_path: Path) -> None:
    a0, a1, a2, _a3 = spelled["accounts"]
    duplicates_merge(actor=None, kind="account", keep=a0, merge=[a1])
    duplicates_merge(actor=None, kind="account", keep=a2, merge=[a0])
    assert dict(MergedId.objects.filter(kind="account").values_list("external_id", "record_id")) == {
        "ACC-ABC-0": a2,
        "ACC-ABC-1": a2,
    }
    csv = "external_id,account,status,opened_on,amount\n" + "".join(
        f"D-CHAIN-{i},ACC-ABC-{i},open,2026-04-01,1\n" for i in (0, 1)
    )
    summary = import_run(actor=None, kind="deals", path=write(tmp_path, "chain.csv", csv))
    assert (summary.created, summary.accounts_created) == (2, 0)
    assert set(Deal.objects.filter(external_id__startswith="D-CHAIN").values_list("account_id", flat=True)) == {a2}


def test_a_record_given_a_merged_id_again_keeps_it(spelled: dict[str, list[int]], tmp_path: Path) -> None:
    """Someone creates ACC-ABC-1 again after the merge, on purpose: the record that has the id wins over the alias."""
    kept, gone, *_ = spelled["accounts"]
    duplicates_merge(actor=None, kind="account", keep=kept, merge=[gone])
    again = Account.objects.create(external_id="ACC-ABC-1", name="ABC商事 (new branch)")
    csv = "external_id,account,status,opened_on,amount\nD-AGAIN,ACC-ABC-1,open,2026-04-01,1\n"
    import_run(actor=None, kind="deals", path=write(tmp_path, "again.csv", csv))
    assert Deal.objects.get(external_id="D-AGAIN").account_id == again.pk


def test_merges_made_before_the_aliases_get_theirs_from_their_audit_lines(spelled: dict[str, list[int]]) -> None:
    """The data migration (imports.0003) reads each past merge's audit line, oldest first, so chains follow."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("kokyaku.imports.migrations.0003_merged_id")
    a0, a1, a2, _a3 = spelled["accounts"]
    first = NameMerge.objects.create(
        at=WHEN, kind="account", kept_id=a1, kept_name="x", merged=[{"id": 900, "external_id": "OLD-900", "name": "x"}]
    )
    NameMerge.objects.create(
        at=WHEN.replace(hour=11), kind="account", kept_id=a2, kept_name="x",
        merged=[{"id": a1, "external_id": "ACC-ABC-1", "name": "x"}, {"id": 901, "external_id": None, "name": "y"}],
    )  # fmt: skip
    migration.aliases_from_past_merges(apps, None)
    assert dict(MergedId.objects.values_list("external_id", "record_id")) == {"OLD-900": a2, "ACC-ABC-1": a2}
    assert MergedId.objects.get(external_id="OLD-900").merge_id != first.pk  # now kept by the later merge
    assert a0 not in MergedId.objects.values_list("record_id", flat=True)


def test_a_file_with_rows_for_the_kept_and_a_merged_id_is_refused_as_one_record_twice(
    spelled: dict[str, list[int]], tmp_path: Path
) -> None:
    kept, gone, *_ = spelled["accounts"]
    duplicates_merge(actor=None, kind="account", keep=kept, merge=[gone])
    rows = "external_id,name,region\nACC-ABC-0,株式会社ABC商事,東京\nACC-ABC-1,株式会社ABC商事,大阪\n"
    with pytest.raises(ImportInvalid) as caught:
        import_run(actor=None, kind="accounts", path=write(tmp_path, "both.csv", rows))
    assert [p.row for p in caught.value.problems] == [2, 3]
    assert "duplicate external id" in caught.value.problems[0].reason
    assert Account.objects.get(pk=kept).region == ""
