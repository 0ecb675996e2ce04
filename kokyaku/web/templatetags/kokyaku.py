"""Template helpers shared by every page: money, download links' query, and the demo-login hint on the login page."""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language

from kokyaku.crm.permissions import rep_of
from kokyaku.crm.selectors import logins_with_reps
from kokyaku.lib.money import format_money
from kokyaku.users.roles import Role, user_role
from kokyaku.web.context import ROLE_LABELS

register = template.Library()

# What `kokyaku demo` creates (kokyaku/demo/services.py): these usernames, with e-mails at this domain.
DEMO_USERNAMES = ("manager", "rep", "rep2", "admin")
DEMO_EMAIL_DOMAIN = "@demo.example.jp"
DEMO_PASSWORD = "kokyaku-demo"  # noqa: S105 - the published password of the demo logins, not a secret


@register.filter
def money(amount: Decimal | int | float | None, currency: str = "JPY") -> str:
    """Format an amount in its currency for the page's language: ``¥1,234,567``, ``$1,234.50``; an em dash for None."""
    return format_money(amount, currency, language=get_language() or "en")


@register.filter
def count(value: int | None) -> str:
    """Format a count with thousands separators, as English and Japanese both write it: ``1,234,567``."""
    if value is None:
        return "—"
    return f"{value:,}"


@register.filter
def grouped(value: str | int | Decimal | None) -> str:
    """A stored number with thousands separators, its decimals kept unless they are zero:
    ``"1890"`` -> ``1,890``, ``"1500000.00"`` -> ``1,500,000``, ``"12.50"`` -> ``12.50``. Text that is no
    number comes back as it is, and None or "" as ""."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not number.is_finite():
        return str(value)
    return f"{number:,.0f}" if number == number.to_integral_value() else f"{number:,}"


@register.filter
def estimate(value: float | None) -> str:
    """Format a fitted number: three significant figures below 100, whole numbers with thousands separators above.

    ``385.77`` -> ``386``, ``8103.08`` -> ``8,103``, ``0.27`` -> ``0.270``, ``0.0921`` -> ``0.0921``;
    an em dash for None or a value that is not finite.
    """
    if value is None or not math.isfinite(value):
        return "—"
    if value == 0:
        return "0"
    if abs(value) >= 99.95:  # would round to 100 or more: whole numbers
        return f"{value:,.0f}"
    rounded = float(f"{value:.3g}")  # 9.996 -> 10.0: the decimals follow the rounded value
    decimals = max(0, 2 - math.floor(math.log10(abs(rounded))))
    return f"{rounded:,.{decimals}f}"


@register.simple_tag
def export_query(request: HttpRequest, *drop: str) -> str:
    """The page's query string for its download links: its filters, without paging or a previous format."""
    params = request.GET.copy()
    for key in ("page", "fmt", "encoding", *drop):
        params.pop(key, None)
    return params.urlencode()


@register.simple_tag
def demo_logins() -> dict[str, object]:
    """Return the demo logins present in this database, for the login page's hint.

    A demo login is one of the demo usernames with the demo e-mail domain, so a real user who
    happens to be called "admin" is never advertised. Only with DEBUG on (a developer's machine,
    `make run`): a server run with `kokyaku serve` never publishes logins and their password, even
    when its database holds the demo (issue 15). ``show`` is then always true (without demo logins
    the hint says how to create them).
    """
    if not settings.DEBUG:
        return {"show": False, "logins": [], "password": ""}
    users = logins_with_reps(usernames=DEMO_USERNAMES, email_suffix=DEMO_EMAIL_DOMAIN)
    by_name = {u.username: u for u in users}
    rows = []
    for name in DEMO_USERNAMES:
        user = by_name.get(name)
        if user is not None:
            role = user_role(user)
            rep = rep_of(user)
            label = str(ROLE_LABELS[role]) if role else ""
            if role is Role.REP and rep is not None:
                label = f"{label} · {rep.get_tier_display()}"
            rows.append({"username": name, "role": label})
    return {"show": True, "logins": rows, "password": DEMO_PASSWORD}
