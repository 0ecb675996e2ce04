"""Helpers for the import tests: write files, and take the database's state to compare before and after."""

from __future__ import annotations

import gzip
import html as html_lib
import re
from pathlib import Path
from typing import Any

import pytest

from kokyaku.crm.models import Account, Activity, Deal, Rep, Team

DATASETS = Path("/work/shared/datasets")
if not DATASETS.exists():  # the repository layout: ../shared/datasets beside the project
    DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"

DEALS_HEADER = "external_id,account,owner,name,amount,stage,status,opened_on,closed_on\n"


def write(tmp_path: Path, name: str, text: str | bytes, *, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    data = text if isinstance(text, bytes) else text.encode(encoding)
    if name.endswith(".gz"):
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def db_state() -> dict[str, Any]:
    """Every row of the tables an import writes, so a test can assert nothing changed at all."""
    return {
        "accounts": sorted(Account.objects.values_list("external_id", "name", "industry", "region", "owner_id", "updated_at")),
        "reps": sorted(Rep.objects.values_list("external_id", "name", "team_id", "tier"), key=str),
        "teams": sorted(Team.objects.values_list("name", flat=True)),
        "deals": sorted(
            Deal.objects.values_list("external_id", "account_id", "owner_id", "amount", "status", "opened_on", "closed_on")
        ),
        "activities": sorted(Activity.objects.values_list("external_id", "account_id", "kind", "occurred_at"), key=str),
    }


def deals_csv(rows: int, *, bad_row: int | None = None, bad_value: str = "2017-13-45") -> str:
    """A generic deals CSV of ``rows`` data rows; ``bad_row`` (Excel numbering) gets a bad closed_on."""
    lines = [DEALS_HEADER]
    for i in range(rows):
        row = i + 2
        closed = bad_value if row == bad_row else "2024-02-01"
        lines.append(f"D{i},A{i % 50},Tanaka,Deal {i},{1000 + i},Won,won,2024-01-01,{closed}\n")
    return "".join(lines)


@pytest.fixture
def seeded(db: None) -> None:
    """A database with something in it, so 'left exactly as it was' means something."""
    team = Team.objects.create(name="Osaka")
    rep = Rep.objects.create(external_id="R1", name="Tanaka", team=team)
    account = Account.objects.create(external_id="A0", name="Existing Co", owner=rep)
    Deal.objects.create(
        external_id="SEED-D", account=account, owner=rep, amount=5, status="won", opened_on="2024-01-01", closed_on="2024-02-01"
    )


def picker_form(html: str, picks: dict[str, str]) -> dict[str, str]:
    """The review page's form as a browser submits it: the TOML as shown, every picker at its shown
    column (and that as its initial value) except the fields in ``picks``, which get the column picked."""
    shown = re.search(r'<textarea id="mapping_text"[^>]*>(.*?)</textarea>', html, re.S)
    assert shown is not None, "no mapping textarea on the page"
    form = {"mapping_text": html_lib.unescape(shown[1])}
    for field, initial in re.findall(r'name="initial__(\w+)" value="([^"]*)"', html):
        form[f"column__{field}"], form[f"initial__{field}"] = picks.get(field, initial), initial
    # a money field's unit ([scale]): the option the page selected, unless picked ("scale__amount": "1")
    for field, options in re.findall(r'<select id="scale-\w+" name="scale__(\w+)"[^>]*>(.*?)</select>', html, re.S):
        selected = re.search(r'<option value="([^"]*)" selected>', options)
        form[f"scale__{field}"] = picks.get(f"scale__{field}", selected[1] if selected else "")
        initial = re.search(rf'name="initial_scale__{field}" value="([^"]*)"', html)
        assert initial is not None, f"no initial scale for {field}"
        form[f"initial_scale__{field}"] = initial[1]
    return form


def web_import(client: Any, url: str, data: dict[str, str], *, headers: dict[str, str] | None = None) -> tuple[Any, str]:
    """Post an Import button of the review page: it answers at once with the import job's page; wait for the
    job (a worker thread of this process), then return it and its page as the manager sees it at the end."""
    from kokyaku.jobs import runner

    response = client.post(url, data, headers=headers or {})
    assert response.status_code == 302, response.content.decode()[:2000]
    found = re.fullmatch(r"/imports/jobs/(\d+)/", str(response["Location"]))
    assert found, response["Location"]
    job = runner.wait(int(found.group(1)))
    page = client.get(response["Location"], headers=headers or {})
    assert page.status_code == 200
    return job, page.content.decode()


def web_check(client: Any, review: str, data: dict[str, str], *, headers: dict[str, str] | None = None) -> tuple[Any, Any]:
    """Press *Validate all rows* on a review page: it answers at once with the validation job's progress page;
    wait for the job (a worker thread of this process), follow the page back to the review page, which
    shows what the validation found, and return the job and that response."""
    from kokyaku.jobs import runner

    headers = headers or {}
    response = client.post(review + "validate/", data, headers=headers)
    assert response.status_code == 302, response.content.decode()[:2000]
    found = re.fullmatch(r"/imports/jobs/(\d+)/", str(response["Location"]))
    assert found, response["Location"]
    job = runner.wait(int(found.group(1)))
    assert job.kind == "import_check"
    back = f"{review}?check={job.pk}"
    polled = client.get(response["Location"], headers={**headers, "HX-Request": "true"})  # the progress bar's poll
    assert polled.status_code == 200
    assert polled["HX-Redirect"] == back  # HTMX takes the browser back to the review page
    plain = client.get(response["Location"], headers=headers)  # the page itself, reloaded
    assert plain.status_code == 302
    assert plain["Location"] == back
    return job, client.get(back, headers=headers)
