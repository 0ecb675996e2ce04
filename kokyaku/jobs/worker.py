"""The Celery application: `celery -A kokyaku.jobs.worker worker` runs jobs, `... beat` the nightly schedule.

Only used when KOKYAKU_BROKER_URL is set (docs/jobs.md). Jobs are acknowledged when they start
(Celery's default): a worker killed mid-job does not run it twice behind anyone's back; the job shows
failed once its heartbeat stops (``job_reap``, every minute on beat and before each enqueue of its kind),
and a manager retries it.
"""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokyaku.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402


def beat_schedule() -> dict[str, dict[str, Any]]:
    """Celery beat's nightly schedule (it replaces the cron lines of docs/portfolio.md), from the settings."""
    hour = settings.JOB_NIGHTLY_HOUR
    schedule: dict[str, dict[str, Any]] = {
        # train, then the snapshot that uses the models
        "nightly-train": {"task": "kokyaku.jobs.enqueue", "schedule": crontab(hour=hour, minute=0), "args": ["train"]},
        "nightly-snapshot": {"task": "kokyaku.jobs.enqueue", "schedule": crontab(hour=hour, minute=30), "args": ["snapshot"]},
        "reap-lost-jobs": {"task": "kokyaku.jobs.reap", "schedule": 60.0},
    }
    if settings.IMPORT_SOURCE:  # the company's folder or URL, half an hour before the training (docs/jobs.md)
        schedule["nightly-import"] = {
            "task": "kokyaku.jobs.enqueue",
            "schedule": crontab(hour=(hour - 1) % 24, minute=30),
            "args": ["import_source"],
        }
    return schedule


app = Celery("kokyaku", broker=settings.BROKER_URL or "redis://127.0.0.1:6379/0", include=["kokyaku.jobs.tasks"])
app.conf.update(
    task_ignore_result=True,  # the Job row is the result
    worker_prefetch_multiplier=1,  # one heavy job per worker process at a time
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=True,
    timezone=settings.TIME_ZONE,
    beat_schedule=beat_schedule(),
)
