"""The three data sets of the prediction proofs, read straight into the domain's frames.

Each loader returns :class:`Frames` shaped as the snapshot and the import would give them to the
domain core (``kokyaku.domain.prediction.features`` documents the columns):

* :func:`demo_frames`: the seeded demo generator (``kokyaku/demo/generator.py``, pure NumPy), with
  its ground truth (each deal's planted win probability) kept aside;
* :func:`maven_frames`: ``shared/datasets/maven_crm`` as ``docs/mappings/maven_crm_*.toml`` imports
  it (open deals without an account skipped, Prospecting deals opened on 2017-12-31, lost deals
  with amount 0, agents as reps of their regional office, every rep "developing");
* :func:`retail_frames`: ``shared/datasets/online_retail`` as ``online_retail_purchases.toml``
  imports it: lines summed per invoice, one won deal per invoice with a net above 0, opened and
  closed on the invoice's day, lines without a customer skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from kokyaku.demo.generator import DemoGenerator, DemoSpec
from kokyaku.domain.prediction import CrmFrames

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"


@dataclass
class Frames:
    """Deals, accounts, activities and reps of one data set, and what a loader knows beyond them."""

    deals: pd.DataFrame
    accounts: pd.DataFrame
    activities: pd.DataFrame | None = None
    reps: pd.DataFrame | None = None
    truth: dict[str, np.ndarray] = field(default_factory=dict)

    def crm(self) -> CrmFrames:
        """The frames as the domain API takes them."""
        return CrmFrames(self.deals, self.accounts, self.activities, self.reps)


def _stamp(values: np.ndarray) -> pd.Series:
    return pd.Series(pd.to_datetime(np.asarray(values, dtype="datetime64[D]").astype("datetime64[ns]")))


def demo_frames(accounts: int = 2000, seed: int = 7, as_of: date = date(2026, 6, 30)) -> Frames:
    """Draw the demo portfolio into frames; ``truth["p_win"]`` is each deal's planted win probability."""
    gen = DemoGenerator(DemoSpec(accounts=accounts, seed=seed, as_of=as_of))
    reps = gen.reps()
    acc_parts, deal_parts, act_parts = [], [], []
    for chunk in gen.chunks():
        a, d, t = chunk.accounts, chunk.deals, chunk.activities
        acc_parts.append(
            pd.DataFrame(
                {
                    "account_id": a["index"],
                    "industry": a["industry"],
                    "region": a["region"],
                    "employees": a["employees"],
                    "annual_revenue": a["annual_revenue"],
                    "buyer_type": a["buyer_type"],
                    "owner_id": a["owner"],
                }
            )
        )
        prob = d["probability"].astype(float)
        deal_parts.append(
            pd.DataFrame(
                {
                    "deal_id": d["index"],
                    "account_id": d["account"],
                    "owner_id": d["owner"].astype(float),
                    "product": d["product"],
                    "status": d["status"],
                    "amount": d["amount"].astype(float),
                    "probability": np.where(prob < 0, np.nan, prob),
                    "stage": d["stage"],
                    "opened_on": _stamp(d["opened_on"]),
                    "closed_on": _stamp(d["closed_on"]),
                    "p_win": d["p_win"],
                }
            )
        )
        act_parts.append(
            pd.DataFrame(
                {
                    "account_id": t["account"],
                    "deal_id": np.where(t["deal"] < 0, np.nan, t["deal"].astype(float)),
                    "occurred_on": _stamp(t["occurred_at"].astype("datetime64[D]")),
                    "minutes": t["minutes"],
                }
            )
        )
    deals = pd.concat(deal_parts, ignore_index=True)
    truth = {"p_win": deals.pop("p_win").to_numpy()}
    rep_frame = pd.DataFrame({"rep_id": reps["index"], "tier": reps["tier"], "team_id": reps["team"]})
    return Frames(deals, pd.concat(acc_parts, ignore_index=True), pd.concat(act_parts, ignore_index=True), rep_frame, truth)


def maven_frames(root: Path = DATASETS / "maven_crm") -> Frames:
    """Read Maven's CSVs the way the shipped mappings import them."""
    pipe = pd.read_csv(root / "sales_pipeline.csv")
    pipe = pipe.loc[pipe["account"].notna()].reset_index(drop=True)  # skip_when_empty = ["account"]
    teams = pd.read_csv(root / "sales_teams.csv")
    rep_ids = {name: i for i, name in enumerate(teams["sales_agent"])}
    status = pipe["deal_stage"].map({"Won": "won", "Lost": "lost", "Engaging": "open", "Prospecting": "open"})
    accounts = pd.read_csv(root / "accounts.csv")
    acc_ids = {name: i for i, name in enumerate(accounts["account"])}
    deals = pd.DataFrame(
        {
            "deal_id": np.arange(len(pipe)),
            "account_id": pipe["account"].map(acc_ids).astype(int),
            "owner_id": pipe["sales_agent"].map(rep_ids).astype(float),
            "product": pipe["product"].replace({"GTXPro": "GTX Pro"}),
            "status": status,
            "amount": pipe["close_value"].astype(float),
            "probability": np.nan,
            "stage": pipe["deal_stage"],
            "opened_on": pd.to_datetime(pipe["engage_date"].fillna("2017-12-31")),
            "closed_on": pd.to_datetime(pipe["close_date"]),
        }
    )
    acc = pd.DataFrame(
        {
            "account_id": accounts["account"].map(acc_ids),
            "industry": accounts["sector"].replace({"technolgy": "technology"}),
            "region": accounts["office_location"],
            "employees": accounts["employees"],
            "annual_revenue": accounts["revenue"] * 1_000_000,  # in millions: the mapping's [scale] annual_revenue
            "buyer_type": "unknown",
        }
    )
    office = {o: i for i, o in enumerate(sorted(teams["regional_office"].unique()))}
    reps = pd.DataFrame({"rep_id": np.arange(len(teams)), "tier": "developing", "team_id": teams["regional_office"].map(office)})
    return Frames(deals, acc, None, reps)


def retail_frames(path: Path = DATASETS / "online_retail" / "online_retail.csv.gz") -> Frames:
    """Read the UCI invoice lines into purchases: one won deal per invoice with a positive net."""
    lines = pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": str, "Country": str})
    lines = lines.loc[lines["CustomerID"].notna() & (lines["CustomerID"] != "")]
    lines = lines.assign(
        account_id=lines["CustomerID"].astype(float).astype(int),
        day=pd.to_datetime(lines["InvoiceDate"]).dt.normalize(),
        net=lines["Quantity"] * lines["UnitPrice"],
    )
    inv = lines.groupby("InvoiceNo", sort=False).agg(
        account_id=("account_id", "min"), day=("day", "min"), net=("net", "sum"), country=("Country", "first")
    )
    inv = inv.loc[inv["net"].round(2) > 0].reset_index(drop=True)
    deals = pd.DataFrame(
        {
            "deal_id": np.arange(len(inv)),
            "account_id": inv["account_id"].to_numpy(),
            "owner_id": np.nan,
            "product": "",
            "status": "won",
            "amount": inv["net"].round(2).to_numpy(),
            "probability": np.nan,
            "stage": "purchase",
            "opened_on": inv["day"].to_numpy(),
            "closed_on": inv["day"].to_numpy(),
        }
    )
    country = inv.groupby("account_id")["country"].first()
    accounts = pd.DataFrame({"account_id": country.index.to_numpy(), "region": country.to_numpy()})
    return Frames(deals, accounts)
