"""The planted model of the demo: every number the generator draws from, documented in docs/demo-data.md.

Change a number here and there together; the words the demo writes (names, stages) are in
:mod:`kokyaku.demo.vocabulary`.
"""

from __future__ import annotations

# ---------------------------------------------------------------------------------------------
# The planted model. Every number below is documented in docs/demo-data.md; change both together.
# ---------------------------------------------------------------------------------------------

BUYER_TYPES = ("visionary", "pragmatist", "conservative", "skeptic", "unknown")
BUYER_TYPE_SHARE = (0.12, 0.30, 0.28, 0.12, 0.18)
# Deals per account per year while the account is active.
DEALS_PER_YEAR = (0.6, 1.0, 2.0, 0.8, 0.5)
# Median deal amount (JPY) before industry, company size, kind and key-account multipliers.
DEAL_MEDIAN_JPY = (6_000_000, 2_500_000, 1_200_000, 1_500_000, 1_500_000)
# Median sales cycle in days (gamma, shape 2.5): pragmatists compare and take time.
CYCLE_MEDIAN_DAYS = (90, 120, 30, 75, 60)
# Win-rate logit by buyer type: conservatives are loyal, skeptics doubt.
BUYER_LOGIT = (-0.2, 0.1, 0.9, -1.4, -0.2)
# Deal kind shares (new, add-on, renewal) by buyer type: conservatives buy add-ons.
DEAL_KINDS = ("new", "add-on", "renewal")
KIND_SHARE = (
    (0.85, 0.10, 0.05),
    (0.50, 0.30, 0.20),
    (0.15, 0.60, 0.25),
    (0.70, 0.15, 0.15),
    (0.60, 0.25, 0.15),
)
KIND_AMOUNT = (1.0, 0.45, 0.8)
KIND_LOGIT = (0.0, 0.5, 0.8)
# Deal-linked activities: 1 + Poisson(mean); visionaries are demanding.
DEAL_TOUCHES = (4.0, 2.5, 1.5, 2.0, 2.0)
# Lapse (becomes dormant) probability by buyer type.
LAPSE_SHARE = (0.15, 0.08, 0.04, 0.12, 0.12)
# Share of accounts that arrive during the window (the rest are customers from before it).
NEW_SHARE = (0.70, 0.35, 0.20, 0.40, 0.50)
# Key accounts: high unit price (x3 amounts) and high win rate (+1.2 logit): zone A material.
KEY_SHARE = (0.03, 0.10, 0.10, 0.02, 0.03)
KEY_AMOUNT = 3.0
KEY_LOGIT = 1.2

INDUSTRIES = ("Manufacturing", "IT", "Retail", "Logistics", "Healthcare", "Finance", "Construction")
INDUSTRY_SHARE = (0.25, 0.17, 0.14, 0.12, 0.10, 0.08, 0.14)
INDUSTRY_LOGIT = (0.2, 0.3, 0.0, 0.1, -0.1, -0.5, -0.2)
INDUSTRY_AMOUNT = (1.2, 1.0, 0.7, 0.9, 1.1, 1.5, 1.3)
INDUSTRY_EMPLOYEES = (400, 150, 250, 300, 200, 500, 180)
INDUSTRY_REVENUE_PER_EMPLOYEE = (30_000_000, 20_000_000, 40_000_000, 25_000_000, 15_000_000, 50_000_000, 35_000_000)
REGIONS = ("Kanto", "Kansai", "Chubu", "Kyushu", "Tohoku", "Hokkaido")
REGION_SHARE = (0.40, 0.21, 0.16, 0.11, 0.07, 0.05)

TIERS = ("strong", "developing")
STRONG_SHARE = 0.4
TIER_LOGIT = (0.5, -0.4)
# Bigger deals win less often: logit falls by this much per tenfold above 2,000,000 JPY.
SIZE_LOGIT_PER_DECADE = -0.6
SIZE_PIVOT_JPY = 2_000_000
BASE_LOGIT = -0.7
# Rep-entered probability on open deals: how often it is filled, and the developing reps' optimism.
PROBABILITY_ENTERED_SHARE = 0.6
PROBABILITY_BIAS = (0.0, 15.0)
# Expected close date of an open deal: the rep expects the deal's cycle to take this share of what it
# really takes (median, strong / developing: developing reps expect deals to close sooner), log-normal.
EXPECTED_CYCLE_SHARE = (0.9, 0.75)
EXPECTED_CYCLE_SIGMA = 0.3
# A date that has passed while the deal is still open gets moved by its rep with this probability (to
# today plus the rep's guess of what is left, at least 1-6 weeks); one left behind is at most 60
# days old, because pipeline reviews catch older ones. So some open deals sit past their date.
REDATE_SHARE = 0.35
REDATE_MIN_DAYS, REDATE_MAX_DAYS = 7, 42
STALE_MAX_DAYS = 60
# Reps like to put a deal at the end of a month (月末).
MONTH_END_SHARE = 0.35

# Relationship touches per account per year, the same for every account a rep owns (habit),
# drawn per rep around this mean. With deal work (counted per deal, never per yen) this spreads
# minutes nearly evenly: the top tenth of customers by revenue get about 1.3x the minutes for 6x the revenue.
TOUCHES_PER_ACCOUNT_YEAR = 2.0
ACTIVITY_KINDS = ("visit", "call", "email", "meeting", "proposal")
ACTIVITY_SHARE = (0.25, 0.30, 0.25, 0.12, 0.08)
ACTIVITY_MINUTES = (90, 10, 5, 60, 120)
DEAL_ACTIVITY_SHARE = (0.25, 0.20, 0.15, 0.20, 0.20)


# Codes of the default lost reasons (crm migration 0002); the loader maps them to rows.
LOST_REASONS = ("price", "features", "competitor", "timing", "no_need", "rejected", "relationship", "other")
LOST_REASON_SHARE = (  # by buyer type; skeptics mostly "no need" and "features": their objections
    (0.10, 0.30, 0.10, 0.20, 0.05, 0.20, 0.00, 0.05),
    (0.30, 0.10, 0.35, 0.10, 0.05, 0.05, 0.00, 0.05),
    (0.30, 0.05, 0.10, 0.30, 0.05, 0.00, 0.15, 0.05),
    (0.20, 0.25, 0.05, 0.00, 0.35, 0.10, 0.00, 0.05),
    (0.25, 0.15, 0.20, 0.15, 0.10, 0.05, 0.05, 0.05),
)
LOST_NOTES = {
    "price": ("予算が合わない", "他社より2割高いと言われた", "値引きがないと無理とのこと"),
    "features": ("既存システムと連携できない", "必要な帳票が出せない", "英語対応が必須だった"),
    "competitor": ("既存ベンダーを継続", "競合が無償トライアルを提示", "大手の実績を重視された"),
    "timing": ("来期に再検討", "組織変更で凍結", "決算後に再提案してほしい"),
    "no_need": ("今のやり方で困っていない", "効果が数字で見えない", "Excelで十分だと言われた"),
    "rejected": ("役員会で否決", "稟議が通らなかった", "情報システム部が反対"),
    "relationship": ("担当交代で関係が切れた", "前任者の対応に不満"),
    "other": ("先方都合", "理由は聞けなかった"),
}
SKEPTIC_NOTES = (
    "導入効果の根拠を示してほしい",
    "本当に現場が使うのか疑問",
    "前に似たツールで失敗した",
    "費用対効果が見合わない",
    "今のやり方で困っていない",
)
LOST_NOTE_SHARE = 0.7

# Products (with launch dates), key persons and objections are planted by kokyaku/demo/behaviour.py.
# This was the product draw before products had launch dates; it is still drawn (and not used) so that
# the activities drawn after it from the same stream stay exactly what they were.
LEGACY_PRODUCT_SHARE = (0.20, 0.15, 0.15, 0.20, 0.15, 0.15)


# Company forms (Co., Ltd. / 株式会社 ...: kokyaku.demo.vocabulary), by share.
COMPANY_SUFFIX_SHARE = (0.5, 0.25, 0.15, 0.10)

ACCOUNTS_PER_REP = 67  # 2,000 accounts / 30 reps
REPS_PER_TEAM = 10
TARGET_GROWTH = 1.10
