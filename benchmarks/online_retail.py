"""The UCI Online Retail purchases as the product's import reads them, straight into a deals frame (no database).

Follows docs/mappings/online_retail_purchases.toml and the purchases import: lines without a
CustomerID are skipped; a "C<number>" cancellation is folded into invoice <number>; the lines of
one invoice are summed (Quantity x UnitPrice, each rounded to 4 places) into one won deal dated
by its first line's day; invoices whose net is 0 or below (credit notes) are not stored.

    from benchmarks.online_retail import load_deals
    deals = load_deals()   # account_id, status, amount, probability, stage, opened_on, closed_on
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

DATASETS = Path("/work/shared/datasets")
if not DATASETS.exists():  # the repository layout: ../shared/datasets beside the project
    DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
RETAIL = DATASETS / "online_retail" / "online_retail.csv.gz"
FIRST_DAY, LAST_DAY = pd.Timestamp("2010-12-01"), pd.Timestamp("2011-12-09")


def load_deals(path: Path = RETAIL) -> pd.DataFrame:
    """Return one won deal per invoice with a customer and a positive net, in the domain's deal columns."""
    raw = pd.read_csv(
        path,
        usecols=["InvoiceNo", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"],
        dtype={"InvoiceNo": str, "CustomerID": str},
    )
    raw = raw.loc[raw["CustomerID"].notna()]
    invoice = raw["InvoiceNo"].str.removeprefix("C")
    lines = pd.DataFrame(
        {
            "invoice": invoice.to_numpy(),
            "account_id": raw["CustomerID"].astype(float).astype(np.int64).to_numpy(),
            "amount": (raw["Quantity"] * raw["UnitPrice"]).round(4).to_numpy(),
            "day": pd.to_datetime(raw["InvoiceDate"], format="%Y-%m-%d %H:%M:%S").dt.normalize().to_numpy(),
        }
    )
    per = lines.groupby("invoice").agg(account_id=("account_id", "min"), amount=("amount", "sum"), day=("day", "min"))
    per["amount"] = per["amount"].round(2)
    per = per.loc[per["amount"] > 0].sort_values(["day", "account_id"])
    return pd.DataFrame(
        {
            "account_id": per["account_id"].to_numpy(),
            "status": "won",
            "amount": per["amount"].to_numpy(dtype=float),
            "probability": np.nan,
            "stage": "purchase",
            "opened_on": per["day"].to_numpy(),
            "closed_on": per["day"].to_numpy(),
        }
    )
