"""What the pages call the domain's codes: traits (the article's own wording, English or Japanese) and signals."""

from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from kokyaku.domain.buyer_types import TRAITS, Trait

SIGNAL_LABELS: dict[str, StrOrPromise] = {
    "early_adopter": _("buys products soon after their launch"),
    "new_product_deals": _("several deals for newly launched products"),
    "long_cycles": _("long comparison cycles"),
    "several_key_persons": _("several key persons"),
    "repeat_services": _("repeat buyer of maintenance and training services"),
    "service_share": _("a large share of services among won deals"),
    "many_objections": _("many objections per deal"),
    "many_losses": _("many lost deals"),
}
TYPE_ORDER = ("visionary", "pragmatist", "conservative", "skeptic", "unknown")


def trait_text(trait: Trait) -> str:
    """The trait as the article words it, in the page's language."""
    return trait.ja if (get_language() or "en").startswith("ja") else trait.en


TRAIT_BY_CODE = {t.code: t for t in TRAITS}
