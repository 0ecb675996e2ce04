"""Each gunicorn worker loads at start what its first request used to (issue: 1.5-7 s on the first request).

gunicorn imports kokyaku.wsgi in each worker after the fork; a fresh interpreter stands in for a worker.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORKER = """
import json, sys
before = set(sys.modules)
import kokyaku.wsgi
from django.db import connections
from django.template import engines
from django.utils.translation import trans_real
loader = engines["django"].engine.template_loaders[0]
print(json.dumps({
    "urls": "kokyaku.api.urls" in sys.modules and "kokyaku.portfolio.views.team" in sys.modules,
    "templates": sorted(loader.get_template_cache),
    "catalogs": sorted(trans_real._translations),
    "connections": [alias for alias in connections if connections[alias].connection is not None],
}))
"""


def test_a_worker_has_its_urls_catalogs_and_templates_loaded_before_its_first_request(tmp_path: Path) -> None:
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "test-only", "KOKYAKU_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    run = subprocess.run(
        [sys.executable, "-c", WORKER], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert run.returncode == 0, run.stderr[-2000:]
    loaded = json.loads(run.stdout.strip().splitlines()[-1])
    assert loaded["urls"] is True
    assert loaded["catalogs"] == ["en", "ja"]
    names = {p.relative_to(t).as_posix() for t in (ROOT / "kokyaku").glob("*/templates") for p in t.rglob("*.html")}
    assert "web/base.html" in names
    assert "portfolio/team.html" in names
    assert names <= set(loaded["templates"])
    assert loaded["connections"] == []  # no database connection before the worker needs one
