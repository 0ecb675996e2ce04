import pytest
from django.core.exceptions import ImproperlyConfigured

from kokyaku.lib.env import envbool, envint, envlist


def test_envbool_reads_the_usual_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    for raw, expected in [("1", True), ("yes", True), ("ON", True), ("0", False), ("false", False), ("", False)]:
        monkeypatch.setenv("X_FLAG", raw)
        assert envbool("X_FLAG", "0") is expected


def test_envbool_fails_loudly_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        envbool("X_FLAG", "0")


def test_envint_checks_type_and_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_NUM", "12")
    assert envint("X_NUM", "1", minimum=1) == 12
    monkeypatch.setenv("X_NUM", "twelve")
    with pytest.raises(ImproperlyConfigured, match="X_NUM must be a whole number"):
        envint("X_NUM", "1")
    monkeypatch.setenv("X_NUM", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        envint("X_NUM", "1", minimum=1)


def test_envlist_drops_blanks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_LIST", " a, ,b ,")
    assert envlist("X_LIST", "") == ["a", "b"]


def test_envint_checks_the_maximum_and_envzone_the_zone_name(monkeypatch: pytest.MonkeyPatch) -> None:
    from kokyaku.lib.env import envzone

    monkeypatch.setenv("X_NUM", "24")
    with pytest.raises(ImproperlyConfigured, match="X_NUM must be at most 23; got 24"):
        envint("X_NUM", "2", minimum=0, maximum=23)
    monkeypatch.setenv("X_ZONE", "Europe/London")
    assert envzone("X_ZONE", "Asia/Tokyo") == "Europe/London"
    monkeypatch.setenv("X_ZONE", "Tokyo")
    with pytest.raises(ImproperlyConfigured, match="X_ZONE must be a time zone name"):
        envzone("X_ZONE", "Asia/Tokyo")
