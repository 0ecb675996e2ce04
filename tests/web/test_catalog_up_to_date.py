"""The committed Japanese catalog holds every string the source marks for translation.

`test_translations.py` checks that every entry *in* the .po is translated; this checks that the
.po is not behind the code: a new `{% translate %}` or `gettext()` without `make messages` fails
here, naming the strings. makemessages runs on a temporary copy of the source (.py and .html only),
so the working tree is never touched.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from tests.web.test_translations import PO, parse_po

SOURCE = Path(__file__).resolve().parents[2] / "kokyaku"


def _in_ci() -> bool:
    return "1" in (os.environ.get("KOKYAKU_REQUIRE_POSTGRES"), os.environ.get("KOKYAKU_REQUIRE_BROWSER"))


@pytest.fixture
def fresh_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run makemessages on a copy of the source and return the .po it writes (no merge with ours)."""
    if shutil.which("xgettext") is None:
        if _in_ci():
            pytest.fail("xgettext is missing (apt-get install gettext)", pytrace=False)
        pytest.skip("xgettext not installed (apt-get install gettext)")
    copy = tmp_path / "kokyaku"
    shutil.copytree(
        SOURCE,
        copy,
        ignore=lambda d, names: [
            n for n in names if not (Path(d, n).is_dir() or n.endswith((".py", ".html"))) or n in {"locale", "__pycache__"}
        ],
    )
    monkeypatch.chdir(copy)
    with override_settings(LOCALE_PATHS=[copy / "locale"]):
        call_command("makemessages", locale=["ja"], no_obsolete=True, verbosity=0)
    return copy / "locale" / "ja" / "LC_MESSAGES" / "django.po"


def test_every_string_in_the_source_is_in_the_committed_catalog(fresh_catalog: Path) -> None:
    def keys(path: Path) -> set[tuple[str, str, str]]:
        return {(str(e.get("msgctxt", "")), str(e["msgid"]), str(e.get("msgid_plural", ""))) for e in parse_po(path)}

    in_source = keys(fresh_catalog)
    assert len(in_source) > 100, "makemessages found almost nothing: is the copy complete?"
    missing = sorted(in_source - keys(PO))
    assert missing == [], f"run `make messages`, translate and commit the .po and .mo; missing: {missing}"
