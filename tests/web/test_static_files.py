"""Static files as production serves them: collectstatic's hashed names, gzipped, cached for a year.

The other tests render pages without collectstatic (tests/conftest.py swaps the manifest out); these run
collectstatic with the production storage into a temporary STATIC_ROOT, then go through the WSGI app
(Django's test client, WhiteNoise in front) as a browser would.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine
from django.templatetags.static import static
from django.test import Client, override_settings

from tests.conftest import PRODUCTION_STORAGES
from tests.portfolio.pages_demo import NOW, PASSWORD, load_demo

MANIFEST_STORAGE = "whitenoise.storage.CompressedManifestStaticFilesStorage"
YEAR_IMMUTABLE = "max-age=315360000, public, immutable"  # WhiteNoise's header for a hashed name
ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "kokyaku"


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """STATIC_ROOT after what `kokyaku serve` does in production mode on a new machine (about 3 s).

    Its system checks load the URLs before its collectstatic has written any manifest, then collectstatic.
    """
    data = tmp_path_factory.mktemp("data")
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "test-only", "KOKYAKU_DATA_DIR": str(data), "PYTHONPATH": str(ROOT)}
    cli = "import sys; from kokyaku.cli import main; sys.exit(main(sys.argv[1:]))"
    for command in (["check"], ["collectstatic", "--no-input"]):
        run = subprocess.run(
            [sys.executable, "-c", cli, *command], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
        )
        assert run.returncode == 0, f"kokyaku {command[0]}: {run.stdout[-1500:]}{run.stderr[-1500:]}"
    assert (data / "static" / "staticfiles.json").is_file()
    return data / "static"


@pytest.fixture
def production(collected: Path) -> Iterator[Path]:
    with override_settings(STORAGES=PRODUCTION_STORAGES, STATIC_ROOT=collected):
        yield collected


def test_production_stores_static_files_under_hashed_names() -> None:
    # tests run with DEBUG off, so the settings module chose what production uses
    assert PRODUCTION_STORAGES["staticfiles"]["BACKEND"] == MANIFEST_STORAGE


@pytest.mark.django_db
def test_production_serves_the_plotly_bundle_hashed_gzipped_and_cached_for_a_year(production: Path) -> None:
    with time_machine.travel(NOW, tick=False):
        load_demo()
    client = Client()  # a new WSGI handler: WhiteNoise reads the collected folder when it starts
    assert client.login(username="manager", password=PASSWORD)
    team = client.get("/portfolio/")
    assert team.status_code == 200
    src = re.search(r'<script src="(/static/plotly/plotly-cartesian\.min\.([0-9a-f]{12})\.js)">', team.content.decode())
    assert src, "the team page links the plotly bundle under its hashed name"
    url = src.group(1)
    bundle = client.get(url, headers={"Accept-Encoding": "gzip, deflate"})
    assert bundle.status_code == 200
    assert bundle["Cache-Control"] == YEAR_IMMUTABLE
    assert bundle["Content-Encoding"] == "gzip"
    # A browser's header: with the brotli module installed (Locust, the `load` extra, brings it), collectstatic
    # also writes .br copies and WhiteNoise prefers them; without it, gzip.
    best = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert best["Content-Encoding"] == ("br" if importlib.util.find_spec("brotli") else "gzip")
    assert best["Cache-Control"] == YEAR_IMMUTABLE
    gzipped = int(bundle["Content-Length"])
    plain = Client().get(url)
    assert plain["Cache-Control"] == YEAR_IMMUTABLE
    assert "Content-Encoding" not in plain
    assert gzipped < int(plain["Content-Length"]) / 2  # 1.5 MB goes over the wire as about 0.5 MB
    icon = client.get("/favicon.ico")
    assert re.fullmatch(r"/static/kokyaku/favicon\.[0-9a-f]{12}\.svg", icon["Location"])
    assert client.get(icon["Location"])["Cache-Control"] == YEAR_IMMUTABLE
    # The unhashed name still answers (old bookmarks, pages cached before a deploy), briefly cached.
    old = Client().get("/static/plotly/plotly.min.js")
    assert old.status_code == 200
    assert old["Cache-Control"] == "max-age=60, public"


def test_every_static_file_the_templates_name_is_in_the_manifest(production: Path) -> None:
    # With the manifest, {% static %} of a file collectstatic did not collect raises (a 500 in production).
    names = {
        m.group(2)
        for path in TEMPLATES.glob("*/templates/**/*.html")
        for m in re.finditer(r"{%\s*static\s+(['\"])([^'\"]+)\1", path.read_text(encoding="utf-8"))
    }
    assert "plotly/plotly.min.js" in names  # the review page's sankey
    assert "plotly/plotly-cartesian.min.js" in names  # every other chart page
    manifest = json.loads((production / "staticfiles.json").read_text(encoding="utf-8"))["paths"]
    assert sorted(names - manifest.keys()) == []
    assert all(re.search(r"\.[0-9a-f]{12}\.", static(n)) for n in names)


def test_serve_collects_static_files_only_when_a_source_changed(tmp_path: Path) -> None:
    """`kokyaku serve` ran collectstatic (hashing, Brotli) at every start: 40 s quiet, minutes under load."""
    from kokyaku.web.management.commands.serve import FINGERPRINT_FILE, collect_static_if_changed

    sources, root = tmp_path / "src", tmp_path / "static"
    sources.mkdir()
    (sources / "kokyaku-extra.css").write_text("a { color: red }")
    only_sources = ["django.contrib.staticfiles.finders.FileSystemFinder"]  # not the apps' files: seconds each
    with override_settings(
        STATICFILES_DIRS=[sources], STATICFILES_FINDERS=only_sources, STATIC_ROOT=root, STORAGES=PRODUCTION_STORAGES
    ):
        assert collect_static_if_changed() is True
        assert (root / "staticfiles.json").is_file()
        assert (root / FINGERPRINT_FILE).is_file()
        assert collect_static_if_changed() is False, "unchanged sources must not be collected again"

        (sources / "kokyaku-extra.css").write_text("a { color: blue; }")
        assert collect_static_if_changed() is True, "an edited source is collected"
        manifest = json.loads((root / "staticfiles.json").read_text())["paths"]
        assert (root / manifest["kokyaku-extra.css"]).read_text() == "a { color: blue; }"

        (root / "staticfiles.json").unlink()
        assert collect_static_if_changed() is True, "a lost manifest is rebuilt"
