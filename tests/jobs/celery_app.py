"""The Celery app of the real-worker tests: kokyaku's, plus the test kind."""

import tests.jobs.kinds  # noqa: F401  (registers test_write in the worker)
from kokyaku.jobs.worker import app

__all__ = ["app"]
