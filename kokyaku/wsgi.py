"""WSGI entry point."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokyaku.settings")
application = get_wsgi_application()

if settings.BROKER_URL:
    # Load Celery and its Redis transport when the server starts, not in the first request that queues
    # a job (about 240 modules: 1-4 s on a busy machine, which that manager would wait for).
    import kokyaku.jobs.worker  # noqa: F401
