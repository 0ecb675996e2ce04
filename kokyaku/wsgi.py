"""WSGI entry point.

gunicorn (``kokyaku serve``) imports this module in each worker after the fork, so what ``warm`` does here
is done once per worker at start, before it accepts a request, instead of in the first request that
worker serves (1.5-7 s measured: docs/benchmarks.md#chart-pages-in-a-browser).
"""

import os
import time
from pathlib import Path

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kokyaku.settings")
application = get_wsgi_application()

if settings.BROKER_URL:
    # Load Celery and its Redis transport when the server starts, not in the first request that queues
    # a job (about 240 modules: 1-4 s on a busy machine, which that manager would wait for).
    import kokyaku.jobs.worker  # noqa: F401


def warm() -> float:
    """Load what every first request loads: the URL conf and its views, reverse maps, catalogs, templates.

    No request and no database: nothing is written and no connection is opened before the fork's owner
    (this worker) needs one. Returns the seconds it took.
    """
    from django.template import engines
    from django.urls import get_resolver
    from django.utils import translation

    start = time.perf_counter()
    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 - imports every app's urls and views (scikit-learn, SciPy: seconds)
    resolvers = [resolver]
    while resolvers:  # the reverse maps {% url %} reads, each namespace's built on its first use
        current = resolvers.pop()
        current.reverse_dict  # noqa: B018
        resolvers.extend(sub for _, sub in current.namespace_dict.values())
    for code, _name in settings.LANGUAGES:  # the gettext catalogs, read and merged on first activation
        with translation.override(code):
            translation.gettext("Portfolio")
    engine = engines["django"]
    for folder in sorted(Path(__file__).resolve().parent.glob("*/templates")):  # compiled into the cached loader
        for path in sorted(folder.rglob("*.html")):
            engine.get_template(path.relative_to(folder).as_posix())
    return time.perf_counter() - start


WARM_SECONDS = warm()
