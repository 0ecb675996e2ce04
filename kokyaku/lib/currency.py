"""ISO 4217 currency codes, and amounts in the company currency in SQL. Pure: no Django.

Active codes (2024 list, without funds, metals and test codes): the one list the settings form, the
conversion rates and the imports check against. Revenue figures count deals in the company currency
and in the currencies the company has a conversion rate for, so a typo such as "YEN" would silently
drop a deal, or the whole company's revenue, out of every figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

_ISO_4217_CODES = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF
    CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD
    HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL
    LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR
    PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND
    TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL
"""
ISO_4217: frozenset[str] = frozenset(_ISO_4217_CODES.split())


def converted_sql(
    rates: Mapping[str, Decimal], company: str, *, amount: str = "amount", currency: str = "currency", unrated: str = "NULL"
) -> tuple[str, list[object]]:
    """SQL for a deal's amount in the company currency, and its parameters, for the database to sum.

    ``CASE currency WHEN 'JPY' THEN amount WHEN 'USD' THEN amount * 151.3 ELSE <unrated> END``:
    ``rates`` maps a currency to the units of ``company`` one unit is worth
    (``crm.selectors.conversion_rates``); a currency without one gives ``unrated`` (SQL: ``NULL``,
    which SUM leaves out, or ``0``, or the column itself to count it as stored). ``amount`` and
    ``currency`` are the column names (``d.amount`` in a join). One comparison per deal for a
    company without rates, as before they existed.
    """
    whens = [f"WHEN %s THEN {amount}"]
    params: list[object] = [company]
    for code, rate in rates.items():
        if code != company:
            whens.append(f"WHEN %s THEN {amount} * %s")
            params += [code, rate]
    return f"CASE {currency} {' '.join(whens)} ELSE {unrated} END", params


def rate_text(rate: Decimal) -> str:
    """A rate as people write it: ``151.3``, not ``151.30000000`` nor ``1.513E+2``."""
    return format(rate.normalize(), "f")
