"""The Kokyaku fields each import kind accepts: names, types and rules. Pure: no Django import.

A mapping file says which source column feeds which of these fields. ``ref`` fields name another
record by its external id or, failing that, by its exact name.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from kokyaku.imports.errors import gettext_noop

FieldType = Literal["str", "int", "decimal", "date", "datetime", "bool", "choice", "ref", "currency"]

KINDS = ("accounts", "reps", "deals", "activities", "purchases", "contacts")


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    required: bool = False
    max_length: int | None = None
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    choices: tuple[str, ...] = ()
    help: str = ""
    label: str = ""  # the human name, for fields the crm models do not name (kokyaku.imports.i18n.field_label)
    money: bool = False  # an amount of money: a mapping's [scale] or the column header's unit (千円, $000) multiplies it


ZERO = Decimal(0)
BUYER_TYPES = ("visionary", "pragmatist", "conservative", "skeptic", "unknown")
STATUSES = ("open", "won", "lost")
TIERS = ("strong", "developing")
ACTIVITY_KINDS = ("visit", "call", "email", "meeting", "proposal")
ROLES = ("decision_maker", "user_department", "it", "purchasing", "finance", "other")
STANCES = ("supporter", "neutral", "opponent")

SCHEMAS: dict[str, tuple[Field, ...]] = {
    "accounts": (
        Field("external_id", "str", required=True, max_length=100, help="the account's id in the source CRM"),
        Field("name", "str", required=True, max_length=300),
        Field("industry", "str", max_length=100),
        Field("region", "str", max_length=100),
        Field("employees", "int", minimum=ZERO),
        Field("annual_revenue", "decimal", minimum=ZERO, money=True),
        Field("owner", "ref", max_length=100, help="rep external id or name; a missing rep is created"),
        Field("buyer_type", "choice", choices=BUYER_TYPES),
    ),
    "reps": (
        Field("external_id", "str", required=True, max_length=100),
        Field("name", "str", required=True, max_length=200),
        Field("email", "str", max_length=254),
        Field("team", "ref", max_length=100, help="team name; a missing team is created"),
        Field("tier", "choice", choices=TIERS),
        Field("capacity", "int", minimum=ZERO),
        Field("active", "bool"),
    ),
    "deals": (
        Field("external_id", "str", required=True, max_length=100),
        Field("account", "ref", required=True, max_length=100, help="account external id or name; created when missing"),
        Field(
            "account_name",
            "str",
            max_length=300,
            help="name for an account created from this row",
            label=gettext_noop("account name"),
        ),
        Field(
            "account_region",
            "str",
            max_length=100,
            help="region for an account created from this row",
            label=gettext_noop("account region"),
        ),
        Field("owner", "ref", max_length=100, help="rep external id or name; created when missing"),
        Field("name", "str", max_length=300),
        Field("product", "str", max_length=200),
        Field("amount", "decimal", minimum=ZERO, money=True),
        Field("currency", "currency", help="ISO 4217 code, e.g. JPY; empty: the company currency"),
        Field("stage", "str", max_length=100),
        Field("status", "choice", required=True, choices=STATUSES),
        Field("probability", "int", minimum=ZERO, maximum=Decimal(100)),
        Field("opened_on", "date", required=True),
        Field(
            "closed_on",
            "date",
            help="when a won or lost deal closed; on an open deal it is the expected close date (stored as expected_close_on)",
        ),
        Field("expected_close_on", "date", help="when an open deal is expected to close; kept after it closes"),
        Field("lost_reason", "ref", max_length=40, help="a lost-reason code; must exist"),
        Field("lost_note", "str"),
    ),
    "activities": (
        Field("external_id", "str", required=True, max_length=100),
        Field("account", "ref", required=True, max_length=100, help="account external id or name; must exist"),
        Field("rep", "ref", max_length=100, help="rep external id or name; must exist"),
        Field("deal", "ref", max_length=100, help="deal external id; must exist"),
        Field("kind", "choice", required=True, choices=ACTIVITY_KINDS),
        Field("occurred_at", "datetime", required=True),
        Field("minutes", "int", minimum=ZERO),
        Field("note", "str"),
    ),
    "purchases": (
        Field(
            "invoice",
            "str",
            required=True,
            max_length=90,
            help="invoice / order number; its lines are summed",
            label=gettext_noop("invoice number"),
        ),
        Field(
            "account",
            "ref",
            required=True,
            max_length=100,
            help="customer id or name; created when missing",
            label=gettext_noop("customer"),
        ),
        Field("account_name", "str", max_length=300, label=gettext_noop("customer name")),
        Field("account_region", "str", max_length=100, label=gettext_noop("customer region")),
        Field("date", "date", required=True, help="invoice date; a time of day is ignored", label=gettext_noop("invoice date")),
        Field("quantity", "decimal", label=gettext_noop("quantity")),
        Field("unit_price", "decimal", label=gettext_noop("price per unit"), money=True),
        Field(
            "amount",
            "decimal",
            help="line amount; if absent, quantity x unit_price",
            label=gettext_noop("line amount"),
            money=True,
        ),
        Field(
            "currency", "currency", help="ISO 4217 code, e.g. JPY; empty: the company currency", label=gettext_noop("currency")
        ),
    ),
    "contacts": (  # key persons (キーマン) of accounts, from CRM contacts
        Field("external_id", "str", required=True, max_length=100, help="the contact's id in the source CRM"),
        Field("account", "ref", required=True, max_length=100, help="account external id or name; must exist"),
        Field("name", "str", required=True, max_length=200),
        Field("department", "str", max_length=200),
        Field("title", "str", max_length=200),
        Field("role", "choice", choices=ROLES, help="role in the purchase; empty: other"),
        Field("benefit", "str", max_length=300),
        Field("influence", "int", minimum=Decimal(1), maximum=Decimal(5), help="1-5; empty: 3"),
        Field("stance", "choice", choices=STANCES, help="empty: neutral"),
        Field("last_contact", "date"),
        Field("notes", "str"),
    ),
}


def money_fields(kind: str) -> tuple[str, ...]:
    """The fields of ``kind`` that hold an amount of money (deals' amount, accounts' annual_revenue...)."""
    return tuple(f.name for f in SCHEMAS[kind] if f.money)


def scalable_fields(kind: str) -> tuple[str, ...]:
    """The fields a mapping's ``[scale]`` may multiply: the money fields, and a deal's probability."""
    return money_fields(kind) + (("probability",) if kind == "deals" else ())


def schema(kind: str) -> dict[str, Field]:
    """Return the fields of an import kind by name; raise KeyError for an unknown kind."""
    return {f.name: f for f in SCHEMAS[kind]}


# Column names Japanese and English exports use for a field (Salesforce reports in Japanese and
# English, kintone, hand-kept sheets): the review page's column picker selects them by itself when the
# mapping names no column the file has. Compared as kokyaku.imports.japanese.header_key does.
HEADER_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "deals": {
        "external_id": ("商談ID", "商談 ID", "Opportunity ID", "案件ID", "レコード番号", "Record ID", "Deal ID"),
        "name": ("商談名", "案件名", "Opportunity Name", "Deal Name"),
        "account": ("取引先名", "取引先", "顧客名", "会社名", "Account Name", "Company name", "Associated Company"),
        "owner": ("商談 所有者", "所有者", "担当者", "営業担当", "Opportunity Owner", "Deal owner"),
        "amount": ("金額", "受注金額", "見込金額", "Amount"),
        "stage": ("フェーズ", "ステージ", "Stage", "Deal Stage"),
        "probability": ("確度", "確度 (%)", "確度(%)", "Probability (%)", "Probability", "Deal probability"),
        "closed_on": ("完了予定日", "受注予定日", "Close Date", "Close date"),
        "opened_on": ("作成日", "登録日", "Created Date", "Create Date"),
        "product": ("商品", "製品", "Product"),
        "currency": ("通貨", "Currency", "Opportunity Currency"),
    },
    "accounts": {
        "external_id": ("取引先ID", "取引先 ID", "顧客ID", "Account ID"),
        "name": ("取引先名", "顧客名", "会社名", "Account Name", "Company name"),
        "industry": ("業種", "Industry"),
        "region": ("地域", "都道府県", "Region", "Billing State/Province"),
        "employees": ("従業員数", "Employees"),
        "annual_revenue": ("売上高", "年間売上", "Annual Revenue"),
        "owner": ("取引先 所有者", "所有者", "担当者", "Account Owner"),
    },
}


def header_aliases(kind: str, name: str) -> tuple[str, ...]:
    """The column names that commonly feed field ``name`` of ``kind`` (empty if none are known)."""
    return HEADER_ALIASES.get(kind, {}).get(name, ())
