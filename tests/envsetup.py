"""Loaded with `-p` before Django starts: the environment every test run shares."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("KOKYAKU_FAST_HASHER", "1")
# Kokyaku's commands speak the terminal's language: the suite reads English on a ja_JP machine too;
# a test of the Japanese output clears this and sets LANG (tests/test_cli_language.py).
os.environ["KOKYAKU_LANGUAGE"] = "en"
# Playwright's sync API runs an event loop in the test thread; the ORM calls in the same test
# are still synchronous, so Django's async-safety guard does not apply.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
