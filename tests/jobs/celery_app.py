"""The Celery app of the real-worker tests: kokyaku's, plus the test kind."""

from kokyaku.jobs.worker import app

import tests.jobs.kinds  # noqa: F401  (registers test_write in the worker)

__all__ = ["app"]
