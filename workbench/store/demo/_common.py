"""Constants, the DemoData container, inputs and random-stream helpers of the demo generator."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

# one definition of the resident ID check digit (ISO 7064 MOD 11-2), shared with the detector
from ...foundation.catalogue import UNIT_SCALE

SYNTHETIC_NOTE: dict[str, str] = {
    "zh": "合成演示数据：由随机种子生成，仅供演示和测试，不是任何地区的真实统计数据；"
          "姓名、身份证号和电话号码均为虚构。",
    "en": "Synthetic demo data: generated from a random seed for demonstration and testing "
          "only, not real statistics of any district; names, ID numbers and phone numbers "
          "are fictitious.",
}
DEFAULT_SEED = 20211231
SURVEY_AGE_GROUPS = ("3-5", "6-11", "12-14", "15-17")
YEARS = range(2020, 2026)
TARGET_YEAR = 2030
LIKERT_LABELS: dict[str, dict[int, str]] = {
    "zh": {1: "非常不同意", 2: "不同意", 3: "一般", 4: "同意", 5: "非常同意"},
    "en": {1: "Strongly disagree", 2: "Disagree", 3: "Neither agree nor disagree",
           4: "Agree", 5: "Strongly agree"},
}
MULTI_RESPONSE: dict[str, list[str]] = {
    "activity": ["activity_sports", "activity_arts", "activity_tutoring", "activity_reading",
                 "activity_games"],
}
OBSERVATION_COLUMNS = ["indicator", "region", "year", "sex", "age_group", "residence", "hukou",
                       "value", "numerator", "denominator", "se", "source", "imputed",
                       "provisional"]
_DESIGN_COLUMNS = ["child_id", "name", "id_number", "guardian_phone", "district", "psu",
                   "n_psu_stratum", "n_children_psu", "design_weight", "sex", "age",
                   "age_group", "residence", "hukou"]
_WELLBEING = [f"wellbeing_{k}" for k in range(1, 6)]
SURVEY_COLUMNS = [*_DESIGN_COLUMNS, "height_cm", "weight_kg", "myopia", "overweight",
                  "screen_time_h", "online_over_2h", "bullied", "parent_talk_1h",
                  "mental_health_teacher", "car_seat", *_WELLBEING,
                  *MULTI_RESPONSE["activity"]]

_CATALOGUE_COLUMNS = ["code", "unit", "direction", "target_type", "baseline_2020",
                      "target_2030_op", "target_2030", "disaggregations", "age_groups",
                      "denominator", "source_type"]
# the ratio units of the catalogue (count, money and binary units have no scale)
_SCALE = {unit: scale for unit, scale in UNIT_SCALE.items() if not np.isnan(scale)}
_AGE_BOUNDS = {"0-2": (0, 2), "3-5": (3, 5), "6-11": (6, 11), "12-14": (12, 14),
               "15-17": (15, 17)}
_SCHOOL_AGES = ("6-11", "12-14", "15-17")
_LEVELS = {"sex": ("male", "female"), "residence": ("urban", "rural"),
           "hukou": ("local", "migrant")}
_AXIS = {"sex": 2, "age_group": 3, "residence": 4, "hukou": 5}
_FOCUS = "210102"  # Heping
# Relative number of births by calendar year (Shenyang-like: two-child bump, then decline).
_BIRTH_KNOTS = (np.array([1990, 2013, 2014, 2015, 2016, 2017, 2018, 2019, 2020, 2021, 2022,
                          2023, 2024, 2025, 2040]),
                np.array([1.0, 1.0, 1.05, 0.98, 1.12, 1.08, 0.96, 0.90, 0.78, 0.70, 0.63,
                          0.59, 0.60, 0.57, 0.42]))
_CHILDREN_2020 = {"urban": (55_000, 120_000), "suburban": (60_000, 130_000),
                  "rural": (40_000, 80_000)}
_MIGRATION = {"urban": -0.006, "suburban": 0.012, "rural": -0.015}
_URB_EFFECT = {"urban": 0.2, "suburban": 0.0, "rural": -0.3}
_DEFAULT_BASELINE = {"percent": (85.0, 12.0), "per_1000": (50.0, 5.0),
                     "per_10000": (20.0, 10.0), "per_100000": (50.0, 10.0),
                     "per_1000_children": (3.0, 5.0), "per_1000_population": (3.0, 5.0),
                     "count": (50.0, 50.0), "cny_per_month": (1200.0, 1200.0),
                     "binary": (0.5, 0.5)}
# Keyword profiles (matched in name_en or code) for realistic gaps: sex gap on the model
# scale (male minus female), change per year of age, whether rural is *less* affected.
_PROFILES = (
    (("injur", "drown", "traffic", "accident"), {"sex": 0.35}),
    (("mortality", "death"), {"sex": 0.12}),
    (("myopia", "vision"), {"sex": -0.15, "age": 0.25, "rural_less": True}),
    (("overweight", "obes"), {"sex": 0.2, "age": 0.02}),
    (("enrol", "attendance", "completion", "education"), {"migrant": 0.5}),
)
# Indicators about a sub-population: share of the denominator population they cover.
_SUBPOPULATIONS: tuple[tuple[tuple[str, ...], float | str], ...] = (
    (("disabilit",), 0.015),
    (("difficulty", "left-behind", "unattended"), 0.01),
    (("orphan",), 0.001),
    (("under 6 months",), 1 / 6),
    (("migrant children",), "migrant"),
)
_SURVEY_KEYWORDS = ("myopia", "vision", "overweight", "obes", "screen", "online", "internet",
                    "bull", "mental", "psycholog", "car seat", "safety seat", "parent",
                    "reading", "physical activity", "sport")
_PHONE_PREFIXES = tuple(
    [f"13{d}" for d in range(10)] + ["145", "147", "150", "151", "152", "153", "155", "156",
                                     "157", "158", "159", "166", "170", "171", "172", "173",
                                     "175", "176", "177", "178"]
    + [f"18{d}" for d in range(10)] + ["191", "193", "195", "197", "198", "199"])
_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
                 "于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱"
                 "江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔汤")
_GIVEN = {"male": list("浩宇轩子涵俊博文杰明辰泽一睿然嘉思航铭晨阳鹏昊天磊伟鑫凯诚奕"),
          "female": list("欣怡梓涵雨萱诗琪子佳悦思梦雅静可馨婷瑶琳妍彤慧颖晴语若安芷")}


# -- the container ----------------------------------------------------------------------
@dataclass(frozen=True, eq=False, repr=False)
class DemoData:
    """The synthetic demo data set (see the module docstring).

    Attributes
    ----------
    population : DataFrame
        ``region, year, sex, age_group, population``.
    observations : DataFrame
        The monitoring panel, columns ``OBSERVATION_COLUMNS``.
    survey : DataFrame
        Special-survey microdata, columns ``SURVEY_COLUMNS``.
    survey_margins : DataFrame
        ``region, sex, age_group, population`` for the survey year and ages.
    planted : DataFrame
        ``indicator, region, kind, detail``: what was planted.
    seed : int
        The seed that generated everything.
    """

    population: pd.DataFrame
    observations: pd.DataFrame
    survey: pd.DataFrame
    survey_margins: pd.DataFrame
    planted: pd.DataFrame
    seed: int

    def _counts(self) -> dict[str, int]:
        return {"population": len(self.population), "observations": len(self.observations),
                "indicators": int(self.observations["indicator"].nunique()),
                "survey": len(self.survey), "planted": len(self.planted)}

    def __repr__(self) -> str:
        c = self._counts()
        return (f"DemoData(seed={self.seed}, synthetic=True: population {c['population']:,} "
                f"rows, observations {c['observations']:,} rows ({c['indicators']} "
                f"indicators), survey {c['survey']:,} children, planted {c['planted']} items)")

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><th style='text-align:left'>{k}</th><td>{v:,}</td></tr>"
                       for k, v in self._counts().items())
        return (f"<p><b>DemoData</b> (seed {self.seed}) — <i>{SYNTHETIC_NOTE['zh']}<br>"
                f"{SYNTHETIC_NOTE['en']}</i></p><table>{rows}</table>")


# -- inputs ---------------------------------------------------------------------------
def _load_default(kind: str) -> pd.DataFrame:
    from ...foundation import config
    path = getattr(config.paths(), kind)
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def _as_frame(obj: object, kind: str) -> pd.DataFrame:
    if obj is None:
        return _load_default(kind)
    table = getattr(obj, "table", obj)  # accept Catalogue / Regions objects
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"{kind} must be a DataFrame, not {type(obj).__name__}")
    return table.reset_index(drop=True)


def _prepare_catalogue(catalogue: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in _CATALOGUE_COLUMNS if c not in catalogue.columns]
    if missing:
        raise ValueError(f"Catalogue lacks column(s): {', '.join(missing)} / "
                         f"指标目录缺少列：{', '.join(missing)}")
    cat = catalogue.copy()
    numeric = ("baseline_2020", "baseline_2020_national", "target_2030", "target_2025")
    for col in numeric:
        if col in cat:
            cat[col] = pd.to_numeric(cat[col], errors="coerce").astype(float)
    text = [c for c in cat.columns if c not in numeric]
    cat[text] = cat[text].fillna("").astype(str).apply(lambda s: s.str.strip())
    return cat.sort_values("code").reset_index(drop=True)


def _prepare_regions(regions: pd.DataFrame) -> pd.DataFrame:
    reg = regions.astype({"code": str})
    reg = reg[reg["level"].astype(str) == "district"].sort_values("code")
    if reg.empty:
        raise ValueError("The regions table has no rows with level == 'district' / "
                         "地区表中没有区县（level == 'district'）")
    urb = reg["urbanisation"].fillna("").astype(str).str.strip()
    return reg.assign(urbanisation=urb.where(urb.isin(list(_URB_EFFECT)), "suburban"))


# -- small numeric helpers --------------------------------------------------------------
def _logit(p: np.ndarray | float) -> np.ndarray:
    return np.log(p) - np.log1p(-np.asarray(p))


def _expit(x: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def _stream(seed: int, label: str) -> np.random.Generator:
    """An independent random stream for one component, derived from the seed."""
    return np.random.default_rng([seed, zlib.crc32(label.encode("utf-8"))])


def _calibrated_probability(score: np.ndarray, rate: float) -> np.ndarray:
    """Probabilities ``expit(a + score)`` with intercept ``a`` set so their mean is ``rate``."""
    lo, hi = -20.0, 20.0
    for _ in range(50):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _expit(mid + score).mean() < rate else (lo, mid)
    return _expit((lo + hi) / 2 + score)


def _split(cell: object) -> tuple[str, ...]:
    return tuple(p.strip() for p in str(cell).split(";") if p.strip())


def _fmt(n: int, width: int) -> np.ndarray:
    """Zero-padded decimal strings of an integer array."""
    return np.char.zfill(np.asarray(n, dtype=np.int64).astype(str), width)


