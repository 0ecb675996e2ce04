"""The words the demo writes: company and person names, team cities and deal stages, in Japanese or English.

Both vocabularies have the same shape (the same number of roots, endings, stems, names and
stages), so the same seed draws the same portfolio in either language; only the words differ.
The Japanese stages are in the default stage table (:data:`kokyaku.domain.portfolio.DEFAULT_STAGE_PROBABILITIES`)
with the same probabilities as their English counterparts.
"""

from __future__ import annotations

from dataclasses import dataclass

LOCALES = ("ja", "en")


@dataclass(frozen=True)
class Vocabulary:
    name_roots: tuple[str, ...]
    name_endings: tuple[str, ...]
    industry_stems: tuple[tuple[str, ...], ...]  # per industry (parameters.INDUSTRIES), six stems each
    company_forms: tuple[str, ...]  # "{name}" is the root, ending and stem; shares: parameters.COMPANY_SUFFIX_SHARE
    family_names: tuple[str, ...]
    given_names: tuple[str, ...]
    person_form: str  # "{family}" and "{given}"
    team_cities: tuple[str, ...]
    open_stages: tuple[str, ...]  # by progress, earliest first
    won_stage: str
    lost_stage: str
    stem_separator: str  # between the root+ending and the industry stem


EN = Vocabulary(
    name_roots=(
        "Fuji", "Sakura", "Aoba", "Taka", "Naka", "Matsu", "Hoshi", "Asa", "Kita", "Minami", "Nishi", "Higashi",
        "Shira", "Kuro", "Mori", "Ishi", "Oka", "Hira", "Toyo", "Chiyo", "Kane", "Tama", "Sumi", "Hana",
        "Midori", "Kiku", "Yoshi", "Haya", "Iwa", "Ume", "Kaze", "Tsuru", "Kame", "Hiro", "Ota", "Koga",
    ),
    name_endings=(
        "kawa", "yama", "da", "moto", "shima", "hara", "saki", "mura", "zawa", "hashi", "gawa", "kura",
        "hama", "tani", "no", "ta", "oka", "sato", "bayashi", "mizu",
    ),
    industry_stems=(
        ("Seiki", "Kogyo", "Denki", "Kagaku", "Seisakusho", "Precision"),
        ("Systems", "Soft", "Data", "Net", "Digital", "Solutions"),
        ("Shoji", "Store", "Mart", "Shoten", "Retail", "Bussan"),
        ("Unyu", "Butsuryu", "Logistics", "Soko", "Express", "Transport"),
        ("Iryo", "Medical", "Pharma", "Clinic Group", "Care", "Health"),
        ("Shoken", "Lease", "Capital", "Shinkin", "Finance", "Insurance"),
        ("Kensetsu", "Komuten", "Kogyo", "Sekkei", "Doboku", "Housing"),
    ),
    company_forms=("{name} Co., Ltd.", "{name} K.K.", "{name} Corporation", "{name} Holdings"),
    family_names=(
        "Sato", "Suzuki", "Takahashi", "Tanaka", "Ito", "Watanabe", "Yamamoto", "Nakamura", "Kobayashi", "Kato",
        "Yoshida", "Yamada", "Sasaki", "Yamaguchi", "Matsumoto", "Inoue", "Kimura", "Hayashi", "Shimizu", "Mori",
    ),
    given_names=(
        "Hiroshi", "Yui", "Kenji", "Aoi", "Takumi", "Haruka", "Daisuke", "Misaki", "Shota", "Yuka",
        "Ryo", "Nana", "Kazuki", "Saki", "Yuto", "Mei", "Sho", "Emi", "Naoki", "Rina",
    ),
    person_form="{family} {given}",
    team_cities=("Tokyo", "Osaka", "Nagoya", "Fukuoka", "Sendai", "Sapporo"),
    open_stages=("Lead", "Discovery", "Proposal", "Quotation", "Negotiation"),
    won_stage="Closed won",
    lost_stage="Closed lost",
    stem_separator=" ",
)  # fmt: skip

JA = Vocabulary(
    name_roots=(
        "富士", "桜", "青葉", "高", "中", "松", "星", "朝", "北", "南", "西", "東",
        "白", "黒", "森", "石", "岡", "平", "豊", "千代", "金", "玉", "住", "花",
        "緑", "菊", "吉", "早", "岩", "梅", "風", "鶴", "亀", "広", "太", "古",
    ),
    name_endings=(
        "川", "山", "田", "本", "島", "原", "崎", "村", "沢", "橋", "河", "倉",
        "浜", "谷", "野", "多", "丘", "里", "林", "水",
    ),
    industry_stems=(
        ("精機", "工業", "電機", "化学", "製作所", "精密"),
        ("システムズ", "ソフト", "データ", "ネット", "デジタル", "ソリューションズ"),
        ("商事", "ストア", "マート", "商店", "リテール", "物産"),
        ("運輸", "物流", "ロジスティクス", "倉庫", "エクスプレス", "運送"),
        ("医療", "メディカル", "ファーマ", "クリニックグループ", "ケア", "ヘルス"),
        ("証券", "リース", "キャピタル", "信金", "ファイナンス", "保険"),
        ("建設", "工務店", "工業", "設計", "土木", "ハウジング"),
    ),
    company_forms=("株式会社{name}", "{name}株式会社", "{name}コーポレーション", "{name}ホールディングス"),
    family_names=(
        "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤",
        "吉田", "山田", "佐々木", "山口", "松本", "井上", "木村", "林", "清水", "森",
    ),
    given_names=(
        "浩", "結衣", "健二", "葵", "拓海", "遥", "大輔", "美咲", "翔太", "由香",
        "亮", "奈々", "一樹", "咲", "優斗", "芽衣", "翔", "恵美", "直樹", "里奈",
    ),
    person_form="{family} {given}",
    team_cities=("東京", "大阪", "名古屋", "福岡", "仙台", "札幌"),
    open_stages=("リード", "ヒアリング", "提案", "見積", "交渉"),
    won_stage="受注",
    lost_stage="失注",
    stem_separator="",
)  # fmt: skip

VOCABULARIES: dict[str, Vocabulary] = {"ja": JA, "en": EN}
