"""The Japanese catalog is complete and its compiled .mo matches the .po."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.utils import translation

PO = Path(__file__).resolve().parents[2] / "kokyaku" / "locale" / "ja" / "LC_MESSAGES" / "django.po"


def parse_po(path: Path = PO) -> list[dict[str, str | bool]]:
    """Parse a .po file into entries: msgctxt, msgid, msgid_plural, msgstr (first form), fuzzy."""
    entries: list[dict[str, str | bool]] = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry: dict[str, str | bool] = {"fuzzy": False}
        key = ""
        for line in block.splitlines():
            if line.startswith("#,") and "fuzzy" in line:
                entry["fuzzy"] = True
            elif line.startswith(("msgctxt ", "msgid ", "msgid_plural ", "msgstr ", "msgstr[0] ")):
                key, _, rest = line.partition(" ")
                key = "msgstr" if key == "msgstr[0]" else key
                entry[key] = ast.literal_eval(rest)
            elif line.startswith('"') and key:
                entry[key] = str(entry[key]) + ast.literal_eval(line)
            elif line.startswith("msgstr["):
                key = ""
        if entry.get("msgid"):
            entries.append(entry)
    return entries


def test_every_string_in_the_catalog_has_a_japanese_translation() -> None:
    entries = parse_po()
    assert len(entries) > 100
    untranslated = [e["msgid"] for e in entries if not e.get("msgstr") or e["fuzzy"]]
    assert untranslated == []


def _compiled(entry: dict[str, str | bool]) -> str:
    if "msgctxt" in entry:
        return translation.pgettext(str(entry["msgctxt"]), str(entry["msgid"]))
    return translation.gettext(str(entry["msgid"]))


def test_the_compiled_catalog_matches_the_po_file() -> None:
    with translation.override("ja"):
        stale = [e["msgid"] for e in parse_po() if "msgid_plural" not in e and _compiled(e) != e["msgstr"]]
    assert stale == [], "run `make messages` (compilemessages) and commit the .mo"


@pytest.mark.parametrize(
    ("english", "japanese"),
    [("Strong", "主力"), ("Developing", "育成中"), ("Visionary", "ビジョナリー"), ("Pragmatist", "実利主義者"),
     ("Conservative", "保守主義者"), ("Skeptic", "懐疑主義者"), ("Unknown", "未分類")],
)  # fmt: skip
def test_tiers_and_buyer_types_use_the_agreed_japanese_terms(english: str, japanese: str) -> None:
    with translation.override("ja"):
        assert translation.gettext(english) == japanese


def test_unzoned_accounts_and_unknown_buyer_types_read_differently_in_japanese() -> None:
    """Both sat side by side on the portfolio pages as 未分類."""
    with translation.override("ja"):
        assert translation.gettext("Unzoned") == "ゾーン未判定"
        assert translation.gettext("Unzoned") != translation.gettext("Unknown")
