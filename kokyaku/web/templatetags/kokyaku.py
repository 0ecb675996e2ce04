"""Template helpers shared by every page: money, and the demo-login hint on the login page."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.conf import settings
from django.contrib.auth.models import User

from kokyaku.users.roles import Role, user_role
from kokyaku.web.context import ROLE_LABELS

register = template.Library()

# What `kokyaku demo` creates (kokyaku/demo/services.py): these usernames, with e-mails at this domain.
DEMO_USERNAMES = ("manager", "rep", "rep2", "admin")
DEMO_EMAIL_DOMAIN = "@demo.example.jp"
DEMO_PASSWORD = "kokyaku-demo"  # noqa: S105 - the published password of the demo logins, not a secret

CURRENCY_SYMBOLS = {"JPY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "CNY": "CN¥", "KRW": "₩"}
ZERO_DECIMAL_CURRENCIES = {"JPY", "KRW"}


@register.filter
def money(amount: Decimal | int | float | None, currency: str = "JPY") -> str:
    """Format an amount with its currency: ``¥1,234,567`` or ``$1,234.50``; an em dash for None."""
    if amount is None or amount == "":
        return "—"
    code = (currency or "").upper()
    places = 0 if code in ZERO_DECIMAL_CURRENCIES else 2
    text = f"{Decimal(amount):,.{places}f}"
    symbol = CURRENCY_SYMBOLS.get(code)
    return f"{symbol}{text}" if symbol else f"{text} {code}"


@register.filter
def count(value: int | None) -> str:
    """Format a count with thousands separators, as English and Japanese both write it: ``1,234,567``."""
    if value is None:
        return "—"
    return f"{value:,}"


@register.simple_tag
def demo_logins() -> dict[str, object]:
    """Return the demo logins present in this database, for the login page's hint.

    A demo login is one of the demo usernames with the demo e-mail domain, so a real user who
    happens to be called "admin" is never advertised. ``show`` is true when there are some, or when
    DEBUG is on (then the hint says how to create them).
    """
    users = list(
        User.objects.filter(username__in=DEMO_USERNAMES, email__endswith=DEMO_EMAIL_DOMAIN, is_active=True)
        .select_related("rep")
        .prefetch_related("groups")
    )
    by_name = {u.username: u for u in users}
    rows = []
    for name in DEMO_USERNAMES:
        user = by_name.get(name)
        if user is not None:
            role = user_role(user)
            rep = getattr(user, "rep", None)
            label = str(ROLE_LABELS[role]) if role else ""
            if role is Role.REP and rep is not None:
                label = f"{label} · {rep.get_tier_display()}"
            rows.append({"username": name, "role": label})
    return {"show": bool(rows) or settings.DEBUG, "logins": rows, "password": DEMO_PASSWORD}
