"""Locust users for `make load` (benchmarks/load.py starts the server and runs this file headless).

Each simulated user logs in once (the demo logins: half ``manager``, half ``rep``; password
``kokyaku-demo``) and then, with 1-3 s of think time between requests, reads what a sales team
reads all day: the team page, the account list (a page, a search), their own book, an account's
page, the review, and the same data through the API (account list and detail, portfolio rows,
an account's deals). Requests are grouped by route (``/portfolio/accounts/[id]/``), so the
figures are per page, not per URL.
"""

from __future__ import annotations

import os
import random
import re

from locust import HttpUser, between, task

PASSWORD = "kokyaku-demo"  # noqa: S105 - the demo's published password
SEARCHES = ("Seiki", "Kogyo", "Shoji", "Denki", "Fuji", "Aoba", "Yamato", "Sangyo")


class SalesUser(HttpUser):
    wait_time = between(1, 3)
    account_ids: list[int]

    def on_start(self) -> None:
        username = random.choice(("manager", "rep"))
        sessions = dict(pair.split("=", 1) for pair in os.environ.get("KOKYAKU_LOAD_SESSIONS", "").split(",") if "=" in pair)
        if username in sessions:  # logged in already by benchmarks/load.py: measure the pages, not password hashing
            self.client.cookies.set("sessionid", sessions[username])
        else:
            self._log_in(username)
        offset = random.randrange(0, 9_000)
        listing = self.client.get(f"/api/accounts?limit=200&offset={offset}", name="/api/accounts?offset=[n]").json()
        self.account_ids = [item["id"] for item in listing.get("items", [])] or [1]

    def _log_in(self, username: str) -> None:
        page = self.client.get("/login/", name="/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token is not None, "no CSRF token on the login page"
        self.client.post(
            "/login/",
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
            headers={"Referer": f"{self.host}/login/"},
            name="/login/ (post)",
        )

    def _account(self) -> int:
        return random.choice(self.account_ids)

    @task(3)
    def team(self) -> None:
        self.client.get("/portfolio/", name="/portfolio/ (team)")

    @task(3)
    def accounts(self) -> None:
        self.client.get(f"/portfolio/accounts/?page={random.randint(1, 50)}", name="/portfolio/accounts/?page=[n]")

    @task(2)
    def search(self) -> None:
        self.client.get(f"/portfolio/accounts/?q={random.choice(SEARCHES)}", name="/portfolio/accounts/?q=[text]")

    @task(2)
    def mine(self) -> None:
        self.client.get("/portfolio/mine/", name="/portfolio/mine/")

    @task(4)
    def account(self) -> None:
        self.client.get(f"/portfolio/accounts/{self._account()}/", name="/portfolio/accounts/[id]/")

    @task(1)
    def review(self) -> None:
        self.client.get("/portfolio/review/", name="/portfolio/review/")

    @task(4)
    def api_accounts(self) -> None:
        self.client.get(f"/api/accounts?limit=50&offset={random.randrange(0, 5_000)}", name="/api/accounts?offset=[n]")

    @task(3)
    def api_account(self) -> None:
        self.client.get(f"/api/accounts/{self._account()}", name="/api/accounts/[id]")

    @task(2)
    def api_rows(self) -> None:
        self.client.get("/api/portfolio/rows?limit=50", name="/api/portfolio/rows")

    @task(2)
    def api_deals(self) -> None:
        self.client.get(f"/api/deals?account={self._account()}", name="/api/deals?account=[id]")
