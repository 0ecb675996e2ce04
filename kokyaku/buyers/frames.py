"""The frames ``kokyaku.domain.buyer_types`` reads, loaded from the database in one query each (COPY on PostgreSQL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from django.db.models import QuerySet
from django.utils import timezone

from kokyaku.buyers.models import KeyPerson, Objection, Product
from kokyaku.crm.models import Account, Deal
from kokyaku.domain.buyer_types import behaviour_features
from kokyaku.lib import bulk
from kokyaku.portfolio.models import Snapshot


def _frame(qs: QuerySet, columns: list[str]) -> pd.DataFrame:  # type: ignore[type-arg]
    sql, params = qs.query.sql_with_params()
    return bulk.read_frame(sql, params, columns)


def _dates(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    for c in columns:
        frame[c] = pd.to_datetime(frame[c])
    return frame


def _truth(value: object) -> bool:
    """A boolean as either database returns it (PostgreSQL's CSV says "t" / "f")."""
    return value in (True, 1, "t", "true", "True", "1")


@dataclass(frozen=True)
class BehaviourFrames:
    """Every account (with its recorded type and owner), deal, product, key person and objection as frames."""

    accounts: pd.DataFrame  # account_id, buyer_type, owner_id
    deals: pd.DataFrame
    products: pd.DataFrame
    key_persons: pd.DataFrame
    objections: pd.DataFrame

    def features(self, as_of: date) -> pd.DataFrame:
        """Each account's behaviour as of ``as_of`` (later records left out); indexed like ``accounts``."""
        return behaviour_features(
            self.accounts["account_id"].to_numpy(), self.deals, products=self.products,
            key_persons=self.key_persons, objections=self.objections, as_of=as_of,
        )  # fmt: skip


def behaviour_frames() -> BehaviourFrames:
    """Load every frame the suggestion needs: five queries, whatever the portfolio's size."""
    accounts = _frame(
        Account.objects.order_by("pk").values_list("pk", "buyer_type", "owner_id"), ["account_id", "buyer_type", "owner_id"]
    )
    accounts["buyer_type"] = accounts["buyer_type"].fillna("unknown").astype(object)
    deals = _frame(
        Deal.objects.values_list("account_id", "status", "product", "opened_on", "closed_on"),
        ["account_id", "status", "product", "opened_on", "closed_on"],
    )
    deals["product"] = deals["product"].fillna("").astype(object)
    products = _frame(Product.objects.values_list("name", "launched_on", "service"), ["product", "launched_on", "service"])
    products["service"] = products["service"].map(_truth).astype(bool)
    if products.empty:  # no catalogue yet: one row that nothing is launched or a service (the domain indexes into it)
        products = pd.DataFrame({"product": [""], "launched_on": [pd.NaT], "service": [False]})
    key_persons = _frame(KeyPerson.objects.values_list("account_id"), ["account_id"])
    objections = _frame(Objection.objects.values_list("account_id", "date"), ["account_id", "date"])
    return BehaviourFrames(
        accounts=accounts.reset_index(drop=True),
        deals=_dates(deals, "opened_on", "closed_on"),
        products=_dates(products, "launched_on"),
        key_persons=key_persons,
        objections=_dates(objections, "date"),
    )


def measurement_day() -> date:
    """The day the measurement takes as "now": the latest snapshot's as-of date, else today.

    The snapshot's date is the day the team reads its portfolio on (nightly, about today, in daily use);
    a history imported from years ago (the Online Retail data ends in 2011) is measured on its own dates
    instead of on a year in which nothing happened. One query.
    """
    latest = Snapshot.objects.order_by("-as_of").values_list("as_of", flat=True).first()
    return latest or timezone.localdate()
