"""A big snapshot's accounts download runs as a background job: the page answers at once, the job's page links the file."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from kokyaku.crm.models import Account, Rep
from kokyaku.jobs import runner
from kokyaku.jobs.models import Job
from kokyaku.portfolio.services import snapshot_create

pytestmark = pytest.mark.django_db(transaction=True)  # a worker thread runs the job: it reads what the test committed


@pytest.fixture
def big(settings: object, tmp_path: Path, strong_rep: Rep, manager: User) -> None:
    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]
    settings.EXPORT_SYNC_ACCOUNTS = 2  # type: ignore[attr-defined]  # "big": more than 2 accounts
    Account.objects.bulk_create(Account(external_id=f"X-{i}", name=f"Kochi {i}", owner=strong_rep) for i in range(5))
    snapshot_create(actor=None)


def test_a_big_accounts_download_is_a_job_whose_page_links_the_file(big: None, manager_client: Client) -> None:
    response = manager_client.get(reverse("portfolio:export_accounts"), {"fmt": "csv", "encoding": "cp932"})
    job = Job.objects.get(kind="export_accounts")
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert runner.wait(job.pk).state == Job.State.DONE
    page = manager_client.get(response["Location"], headers={"HX-Request": "true", "Accept-Language": "ja"}).content.decode()
    link = reverse("portfolio:export_download", args=[job.pk])
    assert f'href="{link}"' in page
    assert "を書き出しました：5 行" in page  # in the reader's language
    download = manager_client.get(link)
    assert download["Content-Disposition"].startswith('attachment; filename="kokyaku-accounts-')
    body = b"".join(download.streaming_content)  # type: ignore[attr-defined]
    rows = list(csv.reader(io.StringIO(body.decode("cp932"))))
    assert sorted(r[0] for r in rows if r and r[0].startswith("X-")) == [f"X-{i}" for i in range(5)]


def test_only_the_manager_who_started_it_downloads_it_and_a_small_download_stays_direct(
    big: None, manager_client: Client, rep_client: Client, admin_user: User, settings: object
) -> None:
    manager_client.get(reverse("portfolio:export_accounts"), {"fmt": "csv"})
    job = runner.wait(Job.objects.get(kind="export_accounts").pk)
    link = reverse("portfolio:export_download", args=[job.pk])
    from tests.conftest import client_for

    assert client_for("admin").get(link).status_code == 404  # another manager's file
    assert rep_client.get(link).status_code in (302, 403)
    # a rep's own download is never a job; nor is a small snapshot's
    assert rep_client.get(reverse("portfolio:export_mine"), {"fmt": "csv"}).status_code == 200
    settings.EXPORT_SYNC_ACCOUNTS = 100  # type: ignore[attr-defined]
    direct = manager_client.get(reverse("portfolio:export_accounts"), {"fmt": "csv"})
    assert direct.status_code == 200
    assert Job.objects.filter(kind="export_accounts").count() == 1
