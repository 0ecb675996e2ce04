"""Kokyaku's commands speak the terminal's language: Japanese on LANG=ja_JP.UTF-8, English on C or en_US.

Help, output, table headers and errors are translated; --json stays byte for byte the same; Django's
own commands (migrate) stay as Django writes them. The suite pins KOKYAKU_LANGUAGE=en (tests/envsetup.py),
so each test here clears it and sets LANG as a terminal would.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command, get_commands, load_command_class
from django.core.management.base import CommandError
from django.utils import translation

from kokyaku.lib.commands import KokyakuCommand, terminal_language
from tests.test_cli import run_cli

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")  # kana or kanji
LOCALE_VARIABLES = ("KOKYAKU_LANGUAGE", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Set the terminal's LANG (nothing else), as a user's shell does."""

    def set_lang(value: str) -> None:
        for name in LOCALE_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("LANG", value)

    return set_lang


def run(name: str, *args: str) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.parametrize(
    ("environ", "language"),
    [
        ({"LANG": "ja_JP.UTF-8"}, "ja"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "C"}, "en"),
        ({}, "en"),
        ({"LC_ALL": "C.UTF-8", "LANG": "ja_JP.UTF-8"}, "ja"),  # the C locale says nothing: the next one decides
        ({"LC_ALL": "en_GB.UTF-8", "LANG": "ja_JP.UTF-8"}, "en"),  # LC_ALL before LANG, as gettext reads them
        ({"KOKYAKU_LANGUAGE": "ja", "LANG": "C"}, "ja"),
        ({"KOKYAKU_LANGUAGE": "en", "LANG": "ja_JP.UTF-8"}, "en"),
    ],
)
def test_the_language_is_the_first_locale_variable_set(environ: dict[str, str], language: str) -> None:
    assert terminal_language(environ) == language


@pytest.mark.django_db
def test_company_jobs_and_imports_speak_japanese_on_a_japanese_terminal(terminal: Callable[[str], None], tmp_path: Path) -> None:
    terminal("ja_JP.UTF-8")
    assert run("company") == "通貨 JPY、期首月 4 月、購入がなく進行中の商談もないまま 365 日たつと休眠\n"
    assert run("company", "--rate", "USD=151.3").splitlines()[1] == "換算レート（1 単位あたりの JPY）: USD 151.3"
    with pytest.raises(CommandError, match="rate: レートには 0 より大きい数値"):
        run("company", "--rate", "EUR=0")
    assert run("jobs", "list") == "ジョブはまだありません\n"
    assert run("imports") == "インポートはまだありません\n"
    with pytest.raises(CommandError, match="--as-of: 'yesterday' は日付として読めません"):
        run("snapshot", "--as-of", "yesterday")
    with pytest.raises(CommandError, match="スナップショットがまだありません。先に `kokyaku snapshot` を実行してください"):
        run("export", "portfolio", "-o", "x.csv")
    (tmp_path / "old.backup").write_bytes(b"")
    with pytest.raises(CommandError, match="は既にあります。置き換えるには --force を指定してください"):
        run("backup", str(tmp_path / "old.backup"))
    # Django's translation is left as it was: the next request or test is not in Japanese
    assert translation.get_language() != "ja"


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["C", "en_US.UTF-8"])
def test_they_speak_english_on_a_c_or_english_terminal(terminal: Callable[[str], None], lang: str) -> None:
    terminal(lang)
    assert run("company").startswith("currency JPY, fiscal year from month 4, dormant after 365 days")
    assert run("jobs", "list") == "no jobs yet\n"
    with pytest.raises(CommandError, match="--as-of: 'yesterday' is not a date"):
        run("snapshot", "--as-of", "yesterday")


@pytest.mark.django_db
@time_machine.travel(datetime(2026, 11, 20, 3, 0, tzinfo=UTC), tick=False)
def test_tables_are_japanese_and_json_is_the_same_in_both_languages(terminal: Callable[[str], None], tmp_path: Path) -> None:
    terminal("ja_JP.UTF-8")
    demo = run("demo", "--accounts", "120", "--seed", "3", "--snapshots", "1")
    assert demo.startswith("デモ: 顧客 120 件、商談 ")
    assert re.search(r"スナップショット \d+（基準日 2026-11-20）: A ", demo)  # its id: PostgreSQL's sequences go on across tests
    ja = {
        "followups": run("followups", "--status", "all", "--json"),
        "duplicates": run("duplicates", "accounts", "--json"),
    }
    table = run("followups", "--status", "all")
    assert "進行中" in table  # the web's word for an open follow-up
    assert "（顧客 " in table
    retention_ja = run("retention", "--json", str(tmp_path / "ja.json"))
    assert "経過  古典的な曲線" in retention_ja  # the table's header
    assert "時点の顧客定着率" in retention_ja

    # the exported file keeps its own language: --lang, else LANGUAGE_CODE (English), not the terminal's
    assert "書き出しました" in run("export", "portfolio", "-o", str(tmp_path / "default.csv"))
    run("export", "portfolio", "-o", str(tmp_path / "ja.csv"), "--lang", "ja")
    assert (tmp_path / "default.csv").read_text(encoding="utf-8-sig").startswith("Account code,Account,Owner,Zone,")
    assert (tmp_path / "ja.csv").read_text(encoding="utf-8-sig").startswith("取引先コード,取引先,担当者,ゾーン,")

    terminal("C")
    en = {
        "followups": run("followups", "--status", "all", "--json"),
        "duplicates": run("duplicates", "accounts", "--json"),
    }
    assert en == ja
    assert ja["followups"]  # there was something to compare
    assert json.loads(ja["followups"].splitlines()[0])["status"] in {"open", "done", "cancelled"}  # codes, not words
    table = run("followups", "--status", "all")
    assert " open " in table or " done " in table
    assert "進行中" not in table
    retention_en = run("retention", "--json", str(tmp_path / "en.json"))
    assert "after    classic  measured  projection" in retention_en
    retention = [json.loads((tmp_path / f"{lang}.json").read_text(encoding="utf-8")) for lang in ("ja", "en")]
    for record in retention:
        record.pop("seconds")  # how long it took, the only thing that may differ
    assert retention[0] == retention[1]
    assert retention[0]["model"] in {"sbg", "classic"}  # codes, not words


def test_kokyaku_help_and_errors_follow_lang(tmp_path: Path) -> None:
    ja = {"LANG": "ja_JP.UTF-8", "KOKYAKU_LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANGUAGE": ""}
    en = {**ja, "LANG": "C"}
    assert run_cli("--help", data_dir=tmp_path, **ja).stdout.startswith("使い方: kokyaku コマンド [オプション]")
    assert run_cli("--help", data_dir=tmp_path, **en).stdout.startswith("usage: kokyaku COMMAND [options]")
    help_ja = run_cli("snapshot", "--help", data_dir=tmp_path, **ja).stdout
    assert "スナップショットとして保存します" in help_ja
    assert "このヘルプを表示して終了します" in help_ja
    assert "store it as a snapshot" in run_cli("snapshot", "--help", data_dir=tmp_path, **en).stdout
    unmigrated = run_cli("token", "mori", data_dir=tmp_path, **ja)
    assert unmigrated.returncode == 1
    assert unmigrated.stderr.strip() == (
        "kokyaku: error: データベースが未作成か古いままです。先に `kokyaku migrate` を実行してください"
    )
    unknown = run_cli("frobnicate", data_dir=tmp_path, **ja)
    assert unknown.returncode == 2
    assert "'frobnicate' というコマンドはありません" in unknown.stderr
    # Django's own commands stay as Django writes them
    migrate_help = run_cli("migrate", "--help", data_dir=tmp_path, **ja).stdout
    assert "Updates database schema" in migrate_help
    assert not JAPANESE.search(migrate_help)


def _kokyaku_commands() -> list[str]:
    return sorted(name for name, app in get_commands().items() if app.startswith("kokyaku."))


def _helps(parser: argparse.ArgumentParser) -> list[tuple[str, str]]:
    """Every help text of a parser and its sub-commands' parsers: (where, text)."""
    found = [(f"{parser.prog} (description)", str(parser.description))] if parser.description else []
    for action in parser._actions:
        if action.help and action.help != argparse.SUPPRESS:
            found.append((f"{parser.prog} {'/'.join(action.option_strings) or action.dest}", str(action.help)))
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _helps(sub)
    return found


def test_every_kokyaku_command_has_a_japanese_help_for_itself_and_each_option() -> None:
    names = _kokyaku_commands()
    assert {"snapshot", "retention", "company", "demo", "followups", "assign", "buyer_types", "jobs"} <= set(names)
    untranslated = []
    for name in names:
        command = load_command_class(get_commands()[name], name)
        assert isinstance(command, KokyakuCommand), f"{name} is not a KokyakuCommand: it would speak English only"
        with translation.override("ja"):
            helps = _helps(command.create_parser("kokyaku", name))
        assert helps, name
        untranslated += [f"{where}: {text}" for where, text in helps if not JAPANESE.search(text)]
    assert untranslated == []
