"""Import pages: managers upload, review, validate and confirm; reps get 403."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from kokyaku.crm.models import Deal
from tests.imports.conftest import DEALS_HEADER, deals_csv, web_check, web_import


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, settings: object) -> None:
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]


def _upload(client: Client, text: str, *, name: str = "deals.csv", kind: str = "deals", mapping: str = "generic") -> str:
    response = client.post(
        reverse("imports:start"),
        {"kind": kind, "mapping": mapping, "file": SimpleUploadedFile(name, text.encode())},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return str(response["Location"])


def test_a_rep_cannot_open_or_post_to_the_import_pages(rep_client: Client) -> None:
    assert rep_client.get(reverse("imports:start")).status_code == 403
    response = rep_client.post(reverse("imports:start"), {"kind": "deals", "file": SimpleUploadedFile("d.csv", b"x")})
    assert response.status_code == 403
    assert rep_client.get(reverse("imports:review", args=["0" * 32])).status_code == 403


@pytest.mark.django_db(transaction=True)  # the import is a job: a worker thread reads what the test wrote
def test_a_manager_uploads_previews_validates_and_imports(manager_client: Client, tmp_path: Path) -> None:
    review = _upload(manager_client, deals_csv(30))
    page = manager_client.get(review)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="import-preview"' in html
    assert "Deal 0" in html
    assert "external_id" in html

    check, dry = web_check(manager_client, review, {"mapping_text": _generic_deals()})  # a job, like the import
    assert check.state == "done", check.error
    assert dry.status_code == 200
    assert 'data-testid="import-dry-run"' in dry.content.decode()
    assert 'data-testid="import-preview"' in dry.content.decode()  # back on the review page, beside the first rows
    assert check.result["rows"] == 30
    assert not Deal.objects.exists()

    job, done = web_import(manager_client, review + "import/", {"mapping_text": _generic_deals()})
    assert job.state == "done", job.error
    assert 'data-testid="import-done"' in done
    assert "hx-trigger" not in done  # the progress bar has reached the result: polling stops
    assert Deal.objects.count() == 30
    assert not list((tmp_path / "uploads").iterdir())  # the upload is gone once imported


@pytest.mark.django_db(transaction=True)
def test_the_manager_edits_the_mapping_in_the_textarea(manager_client: Client) -> None:
    review = _upload(manager_client, "id,acct,state,opened,closed\nX1,A1,Closed Won,2024-01-01,2024-02-01\n")
    mapping = (
        'kind = "deals"\n[columns]\nexternal_id = "id"\naccount = "acct"\nstatus = "state"\nopened_on = "opened"\n'
        'closed_on = "closed"\n'
        '[values.status]\n"Closed Won" = "won"\n'
    )
    web_import(manager_client, review + "import/", {"mapping_text": mapping})
    assert Deal.objects.get(external_id="X1").status == "won"


@pytest.mark.django_db(transaction=True)
def test_problems_are_listed_with_row_column_and_value_and_nothing_is_written(manager_client: Client) -> None:
    review = _upload(manager_client, DEALS_HEADER + "D1,A1,Tanaka,x,-4,Won,won,2024-01-01,2024-02-01\n")
    job, html = web_import(manager_client, review + "import/", {"mapping_text": _generic_deals()})
    assert job.state == "failed"
    assert 'data-testid="job-error"' in html
    assert "1 problem found, nothing was written." in html
    assert 'data-testid="import-problems"' in html
    assert "negative value not allowed" in html
    assert "<code>-4</code>" in html
    assert not Deal.objects.exists()


def test_a_broken_mapping_is_explained_on_the_page(manager_client: Client) -> None:
    review = _upload(manager_client, deals_csv(2))
    response = manager_client.post(review + "preview/", {"mapping_text": "kind = 'deals'\n[columns\n"})
    assert "not valid TOML" in response.content.decode()


def test_empty_and_oversized_uploads_are_refused(manager_client: Client) -> None:
    empty = manager_client.post(
        reverse("imports:start"), {"kind": "deals", "mapping": "generic", "file": SimpleUploadedFile("e.csv", b"")}
    )
    assert empty.status_code == 400
    with override_settings(UPLOAD_MAX_MB=1):
        big = manager_client.post(
            reverse("imports:start"),
            {"kind": "deals", "mapping": "generic", "file": SimpleUploadedFile("b.csv", b"x" * (1024 * 1024 + 1))},
        )
    assert big.status_code == 400
    assert "larger than 1 MB" in big.content.decode()


def test_another_managers_upload_is_not_found(manager_client: Client, admin_user: object) -> None:
    review = _upload(manager_client, deals_csv(2))
    from tests.conftest import client_for

    assert client_for("admin").get(review).status_code == 404


def _generic_deals() -> str:
    from kokyaku.imports.mapping import BUILTIN_DIR

    return (BUILTIN_DIR / "generic" / "deals.toml").read_text(encoding="utf-8")


ACTIONS = ["preview/", "save-mapping/", "validate/", "import/", "import-valid/"]


@pytest.mark.django_db(transaction=True)  # validating is a job: a worker thread reads what the test wrote
def test_each_action_has_its_own_url_the_form_posts_to(manager_client: Client) -> None:
    review = _upload(manager_client, DEALS_HEADER + "D1,A1,Tanaka,x,-4,Won,won,2024-01-01,2024-02-01\n")
    _job, page = web_check(manager_client, review, {"mapping_text": _generic_deals()})
    refused = page.content.decode()  # shows import-valid
    posts_to = set(re.findall(r'formaction="([^"]+)"', refused)) | set(
        re.findall(r'action="([^"]+)" data-testid="import-review-form"', refused)
    )
    assert posts_to == {review + action for action in ACTIONS}


def test_the_action_urls_take_posts_only_from_the_manager_who_uploaded(
    manager_client: Client, admin_user: object, rep_client: Client
) -> None:
    from tests.conftest import client_for

    review = _upload(manager_client, deals_csv(2))
    for action in ACTIONS:
        assert manager_client.get(review + action).status_code == 405, action
        assert client_for("admin").post(review + action, {"mapping_text": _generic_deals()}).status_code == 404, action
        assert rep_client.post(review + action, {"mapping_text": _generic_deals()}).status_code == 403, action
    assert not Deal.objects.exists()
    assert manager_client.get(review).status_code == 200  # the upload is still there
