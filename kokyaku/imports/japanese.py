"""Values as Japanese files write them: yen, full-width text, era dates, company names. Pure: no Django.

Each function here works on one text and runs only on the cells the fast vectorised parsers of
:mod:`kokyaku.imports.validate` could not read (or, for text, only when a column holds non-ASCII
characters), so a plain ASCII file pays nothing for it.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import date

# ¥ as Japanese Excel saves it in cp932 (byte 0x5C, read back as a backslash), the yen sign, the
# full-width yen sign (NFKC makes it ¥), 円, and the other currency signs and spaces around a number
_MONEY_SIGNS = re.compile(r"^(?:[A-Z]{3}\s*)?[\\¥$€£]?\s*|\s*(?:円|[A-Z]{3})?\s*$")
_NUMBER = re.compile(
    r"^(?P<sign>[-+△▲])?\s*[\\¥$€£]?\s*(?P<digits>\d[\d,]*(?:\.\d+)?|\.\d+)\s*(?P<unit>億|千万|百万|万|千)?\s*円?$"
)
_UNITS = {"億": 100_000_000, "千万": 10_000_000, "百万": 1_000_000, "万": 10_000, "千": 1_000}

# Japanese eras: the first day of each, for 令和6年4月1日, R6.4.1, 平成31年4月30日, H31/4/30
_ERAS = {
    "令和": date(2019, 5, 1), "R": date(2019, 5, 1),
    "平成": date(1989, 1, 8), "H": date(1989, 1, 8),
    "昭和": date(1926, 12, 25), "S": date(1926, 12, 25),
    "大正": date(1912, 7, 30), "T": date(1912, 7, 30),
}  # fmt: skip
_ERA_DATE = re.compile(
    r"^(?P<era>令和|平成|昭和|大正|[RHST])\s*(?P<year>\d{1,2}|元)\s*[年./-]\s*(?P<month>\d{1,2})\s*[月./-]\s*(?P<day>\d{1,2})\s*日?$"
)
_KANJI_DATE = re.compile(
    r"^(?P<year>\d{4})\s*年\s*(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*日?(?:\s*[(（]?[月火水木金土日][)）]?)?$"
)
_SLASH_DATE = re.compile(r"^(?P<year>\d{4})[./](?P<month>\d{1,2})[./](?P<day>\d{1,2})$")
EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01, counting Excel's phantom 1900-02-29
_SERIAL = re.compile(r"^\d{5}(?:\.0+)?$")

# legal-form marks of Japanese company names, before or after the name
_LEGAL_FORMS = re.compile(
    r"株式会社|有限会社|合同会社|合資会社|合名会社|一般社団法人|一般財団法人|公益社団法人|公益財団法人|"
    r"社会福祉法人|医療法人|学校法人|特定非営利活動法人|\((?:株|有|同|資|名|社|財)\)|"
    r"\b(?:co\.?,?\s*ltd\.?|inc\.?|corp(?:oration)?\.?|k\.?k\.?|llc|ltd\.?)(?=\s|$)",
    re.IGNORECASE,
)
_SPACES = re.compile(r"[\s\u3000]+")


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits to half-width, half-width katakana to full-width, the
    ideographic space to a space), spaces collapsed and trimmed; ASCII text comes back as it is."""
    if text.isascii():
        return text
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def money(text: str, scale: float = 1.0) -> float | None:
    """A number as Japanese files write it, or None: ¥1,200,000 / \\1,200,000 (¥ in cp932) / ￥１，２００，０００ /
    1,200,000円 / 120万円 / 1,200千円 / 1.2百万円 / △5,000 and ▲5,000 (negative) / 70% (a percentage: 70).

    ``scale`` (a column's unit: 1,000 under 金額（千円）) multiplies a number without a unit of its own;
    a cell that states its unit (1,200千円) is read by that unit alone, never scaled twice."""
    value = unicodedata.normalize("NFKC", text).strip().replace("%", "")
    match = _NUMBER.match(value)
    if match is None:
        value = _MONEY_SIGNS.sub("", value)
        match = _NUMBER.match(value)
        if match is None:
            return None
    number = float(match["digits"].replace(",", "")) * (_UNITS[match["unit"]] if match["unit"] else scale)
    return -number if match["sign"] in {"-", "△", "▲"} else number


def japanese_date(text: str) -> date | None:
    """A date as Japanese files write it, or None: 令和6年4月1日, R6.4.1, 平成元年5月1日, 2024年4月1日(月),
    ２０２４/０４/０１, 2024.4.1, or an Excel serial number (45383) from a CSV saved out of Excel."""
    value = unicodedata.normalize("NFKC", text).strip()
    try:
        if m := _ERA_DATE.match(value):
            start = _ERAS[m["era"]]
            year = start.year + (0 if m["year"] == "元" else int(m["year"]) - 1)
            return date(year, int(m["month"]), int(m["day"]))
        if m := _KANJI_DATE.match(value) or _SLASH_DATE.match(value):
            return date(int(m["year"]), int(m["month"]), int(m["day"]))
    except ValueError:  # 2月30日
        return None
    if _SERIAL.match(value):
        serial = int(float(value))
        if 20_000 <= serial <= 80_000:  # 1954 to 2119: a date, not an amount that happens to fit
            return date.fromordinal(EXCEL_EPOCH.toordinal() + serial)
    return None


@functools.lru_cache(maxsize=1 << 16)
def name_key(name: str) -> str:
    """The key under which one customer (or rep) is one record, however its name is written:
    株式会社ABC商事, 株式会社ＡＢＣ商事, (株)ABC商事, ㈱ABC商事 and ABC商事 株式会社 share one key, as do
    山田 太郎, 山田　太郎 and 山田太郎. Empty when the name is only a legal form.

    Cached: an import keys each new reference up to three times (one record per name, the look-up,
    the map it joins), and the same names come back in every chunk."""
    text = unicodedata.normalize("NFKC", name).casefold()
    text = _LEGAL_FORMS.sub("", text)
    return _SPACES.sub("", text)


def header_key(header: str) -> str:
    """A column name as matched: NFKC, case and every space set aside (「確度 (%)」 = 「確度（％）」 = "確度(%)")."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", header)).casefold()


# A column header's unit for the amounts under it: 金額（千円）, 売上(百万円), 受注額[万円], 【億円】,
# Revenue (in millions), Amount ($000), Sales (USD k), Revenue in millions. Matched on the NFKC text, so
# full-width brackets are brackets; the unit must close the header (a unit mid-name is not a unit).
_YEN_UNITS = {"千": 1_000, "万": 10_000, "百万": 1_000_000, "千万": 10_000_000, "億": 100_000_000, "十億": 1_000_000_000}
_WORD_UNITS = {
    "thousand": 1_000, "thousands": 1_000, "k": 1_000, "000": 1_000, "000s": 1_000, "'000": 1_000, "'000s": 1_000,
    "million": 1_000_000, "millions": 1_000_000, "m": 1_000_000, "mm": 1_000_000, "mn": 1_000_000, "mil": 1_000_000,
    "billion": 1_000_000_000, "billions": 1_000_000_000, "bn": 1_000_000_000,
}  # fmt: skip
_CODE = r"(?:(?-i:[A-Z]{3})\b|[$€£¥])"  # USD, JPY (upper case: "mil" is not a currency)
_HEADER_YEN = re.compile(r"[(\[【〔<〈《]\s*(?:単位\s*[:：]?\s*)?(?P<unit>千|万|百万|千万|億|十億)\s*円\s*[)\]】〕>〉》]\s*$")
_HEADER_WORD = re.compile(
    rf"(?:[(\[【〔]\s*(?:in\s+)?(?:{_CODE}\s*)?(?P<b>[a-z']+|'?000s?)(?:\s+(?:of\s+)?{_CODE})?\s*[)\]】〕]"
    rf"|\bin\s+(?:{_CODE}\s*)?(?P<w>thousands|millions|billions))\s*$",
    re.IGNORECASE,
)


def header_unit(header: str) -> tuple[str, float] | None:
    """The unit a column header states for its amounts, as (the unit as written, its factor), or None:
    金額（千円） -> ("千円", 1000), 売上(百万円) -> ("百万円", 1000000), Amount ($000) -> ("$000", 1000),
    Revenue (in millions) -> ("in millions", 1000000). 金額（円） and Amount (USD) state no multiple: None."""
    found = _header_unit(header)
    return None if found is None else (found[1], found[2])


def header_without_unit(header: str) -> str:
    """The header with its unit left out (金額（千円） -> 金額): the name a column is known by."""
    found = _header_unit(header)
    return header if found is None else found[0]


def _header_unit(header: str) -> tuple[str, str, float] | None:
    text = unicodedata.normalize("NFKC", header).strip()
    if m := _HEADER_YEN.search(text):
        return text[: m.start()].strip(), m["unit"] + "円", float(_YEN_UNITS[m["unit"]])
    if (m := _HEADER_WORD.search(text)) and (word := (m["b"] or m["w"]).lower()) in _WORD_UNITS:
        written = m.group(0).strip().strip("()[]【】〔〕").strip()
        return text[: m.start()].strip().rstrip(","), written, float(_WORD_UNITS[word])
    return None
