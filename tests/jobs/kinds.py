"""A job kind for the tests: writes a team in one transaction, reporting progress step by step.

Registered in the test process (thread engine) and in the Celery worker the tests start
(``celery -A tests.jobs.celery_app worker``), so both engines run the same code.
"""

from __future__ import annotations

import time
from typing import Any

from django.db import transaction

from kokyaku.crm.models import Team
from kokyaku.jobs.registry import Actor, Kind, Report, register


def run_test_write(actor: Actor, params: dict[str, Any], report: Report) -> dict[str, Any]:
    with transaction.atomic():
        team = Team.objects.create(name=params["name"])
        steps = int(params.get("steps", 3))
        for step in range(steps):
            report(int(100 * step / steps), "writing")
            time.sleep(float(params.get("sleep", 0.05)))
            if params.get("fail_at") == step:
                raise ValueError(f"row {step + 1}: column amount: 'abc' is not a number")
    return {"team": team.pk}


register(Kind(name="test_write", label="Test write", right="job_enqueue", run=run_test_write, steps={"writing": "writing"}))
