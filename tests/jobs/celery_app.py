"""The Celery app of the real-worker tests: kokyaku's, plus the test kind."""

from importlib import import_module

from kokyaku.jobs.worker import app  # sets Django up first

import_module("tests.jobs.kinds")  # then registers test_write in the worker (after django.setup())

__all__ = ["app"]
