"""The layout every page shares: navigation by role, the user's name and role, languages, error pages, login hint."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.test import Client, RequestFactory, override_settings
from django.urls import path
from django.utils import translation

from kokyaku.crm.models import Rep
from kokyaku.users.roles import Role
from kokyaku.users.services import user_create
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_a_rep_sees_home_tokens_and_docs_but_not_manager_or_admin_links(rep_client: Client) -> None:
    html = rep_client.get("/").content.decode()
    assert 'href="/tokens/"' in html
    assert 'href="/api/docs"' in html
    assert 'href="/settings/company/"' not in html
    assert 'href="/admin/"' not in html


def test_the_header_shows_the_reps_name_and_role(rep_client: Client) -> None:
    html = rep_client.get("/").content.decode()
    assert "Tanaka Hiroshi" in html
    assert '<span class="role-badge role-rep">Rep</span>' in html


def test_a_manager_also_sees_company_settings(manager_client: Client) -> None:
    html = manager_client.get("/").content.decode()
    assert 'href="/settings/company/"' in html
    assert '<span class="role-badge role-manager">Manager</span>' in html
    assert 'href="/admin/"' not in html


def test_my_portfolio_is_offered_only_to_logins_linked_to_a_rep(rep_client: Client, admin_user: User) -> None:
    assert 'href="/portfolio/mine/"' in rep_client.get("/").content.decode()
    admin = client_for("admin")
    assert 'href="/portfolio/mine/"' not in admin.get("/").content.decode()
    assert 'href="/portfolio/mine/"' not in admin.get("/portfolio/accounts/").content.decode()


def test_an_admin_sees_the_django_admin_link_and_their_username(admin_user: User) -> None:
    html = client_for("admin").get("/").content.decode()
    assert 'href="/admin/"' in html
    assert 'href="/settings/company/"' in html
    assert "Administrator" in html


def test_logout_is_a_post_form_that_ends_the_session(rep_client: Client) -> None:
    html = rep_client.get("/").content.decode()
    assert '<form class="logout" action="/logout/" method="post">' in html
    assert rep_client.post("/logout/").status_code == 302
    assert rep_client.get("/").status_code == 302


def test_the_browsers_accept_language_picks_japanese(rep_client: Client) -> None:
    html = rep_client.get("/", headers={"Accept-Language": "ja-JP,ja;q=0.9,en;q=0.8"}).content.decode()
    assert '<html lang="ja">' in html
    assert "最近の商談" in html
    assert "ログアウト" in html


def test_the_language_switcher_stores_the_choice(rep_client: Client) -> None:
    response = rep_client.post("/i18n/setlang/", {"language": "ja", "next": "/"})
    assert response.status_code == 302
    html = rep_client.get("/", headers={"Accept-Language": "en"}).content.decode()
    assert '<html lang="ja">' in html
    assert "ホーム" in html


def test_japanese_pages_use_respectful_tier_names(developing_rep: Rep) -> None:
    rep = Rep.objects.get(pk=developing_rep.pk)
    with translation.override("ja"):
        assert str(rep.get_tier_display()) == "育成中"
        assert str(Rep.Tier.STRONG.label) == "主力"


def test_an_unknown_page_gets_the_styled_404(rep_client: Client) -> None:
    response = rep_client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert 'class="topbar"' in html


@override_settings(DEBUG=True)  # with DEBUG off never (tests/security/test_accounts.py)
def test_the_login_page_lists_demo_logins_when_the_demo_created_them(client: Client, db: None) -> None:
    user_create(username="manager", password="kokyaku-demo", role=Role.MANAGER, email="manager@demo.example.jp")
    user_create(username="rep", password="kokyaku-demo", role=Role.REP, email="rep@demo.example.jp")
    html = client.get("/login/").content.decode()
    assert 'data-testid="demo-logins"' in html
    assert "<code>manager</code>" in html
    assert "<code>rep</code>" in html
    assert "kokyaku-demo" in html


@override_settings(DEBUG=False)
def test_the_login_page_shows_no_hint_without_demo_logins_in_production(client: Client, db: None) -> None:
    # A real user called "admin" is not a demo login: only the demo's e-mail domain makes one.
    user_create(username="admin", password="long-secret-123", role=Role.ADMIN, email="it@example.co.jp")
    html = client.get("/login/").content.decode()
    assert 'data-testid="demo-logins"' not in html
    assert "kokyaku-demo" not in html


@override_settings(DEBUG=True)
def test_with_debug_on_and_no_demo_the_login_page_says_how_to_load_it(client: Client, db: None) -> None:
    html = client.get("/login/").content.decode()
    assert "No demo logins yet" in html
    assert "kokyaku-demo" not in html


def test_a_wrong_password_shows_the_error_on_the_login_page(client: Client, strong_rep: Rep) -> None:
    response = client.post("/login/", {"username": "tanaka", "password": "wrong"})
    assert response.status_code == 200
    assert "errorlist nonfield" in response.content.decode()


def test_pages_can_fill_the_four_blocks_of_the_base_layout(rf: RequestFactory, strong_rep: Rep) -> None:
    request = rf.get("/")
    request.user = User.objects.get(username="tanaka")
    source = (
        '{% extends "web/base.html" %}{% block title %}T-1{% endblock %}{% block head %}<meta name="h-2">{% endblock %}'
        "{% block content %}<p>C-3</p>{% endblock %}{% block scripts %}<script>/* S-4 */</script>{% endblock %}"
    )
    html = engines["django"].from_string(source).render({}, request)
    assert "<title>T-1 · Kokyaku</title>" in html
    assert html.index('<meta name="h-2">') < html.index("</head>")
    assert html.index("<p>C-3</p>") < html.index("/* S-4 */") < html.index("</body>")
    assert "{# nav: portfolio #}" not in html  # the nav slots are template comments, invisible


def test_the_stylesheet_is_served_locally_with_the_zone_badges(client: Client) -> None:
    response = client.get("/static/kokyaku/kokyaku.css")
    assert response.status_code == 200
    css = response.getvalue().decode()
    for selector in (".zone-A", ".zone-B", ".zone-C", "table.data"):
        assert selector in css
    assert "http" not in css  # no CDN, no web fonts fetched from anywhere


def test_a_logged_in_user_who_opens_the_login_page_goes_home(rep_client: Client) -> None:
    response = rep_client.get("/login/")
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_logged_in_user_follows_next_from_the_login_page(rep_client: Client) -> None:
    response = rep_client.get("/login/?next=/tokens/")
    assert response["Location"] == "/tokens/"


def test_a_fresh_data_directory_starts_without_the_static_files_warning(tmp_path: Path) -> None:
    """WhiteNoise warned "No directory at: .../static" until collectstatic had run (every test run, runserver)."""
    script = (
        "import warnings; warnings.simplefilter('error');"
        "import django; django.setup();"
        "from whitenoise.middleware import WhiteNoiseMiddleware; WhiteNoiseMiddleware(lambda request: None)"
    )
    env = {**os.environ, "KOKYAKU_DATA_DIR": str(tmp_path / "fresh"), "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "kokyaku.settings"}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "fresh" / "static").is_dir()


def test_favicon_ico_points_at_the_svg_icon(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 302  # not 301: in production the target is a hashed name that changes
    assert response["Location"] == "/static/kokyaku/favicon.svg"
    assert client.get(response["Location"]).status_code == 200


def _boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom")


urlpatterns = [path("boom/", _boom)]


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_a_server_error_shows_the_styled_bilingual_500_page(db: None) -> None:
    response = Client(raise_request_exception=False).get("/boom/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert "サーバーでエラーが発生しました" in html
    assert "kokyaku.css" in html
