"""Deterministic, seeded SYNTHETIC demo data / 合成演示数据.

Everything this module produces is **synthetic**: invented from a random seed
for demonstration and testing, not real statistics of any district.  Names,
resident ID numbers and phone numbers in the survey microdata are fictitious
(the ID numbers are merely well-formed, with a valid check digit).  Every
DataFrame carries ``attrs["synthetic"] = True`` and ``attrs["note"]``.

:func:`generate_demo` builds, for the 13 districts of the region table:

- ``population``: children by district, year, sex and age group;
- ``observations``: the monitoring panel (indicator x district x year, with
  marginal breakdowns by sex, age group, residence and hukou), simulated from
  population-based denominators so that rates are as noisy as real district
  rates, with trends towards (or, where planted, away from) the targets;
- ``survey``: special-survey microdata from a stratified two-stage cluster
  sample, with design weights and item nonresponse;
- ``survey_margins``: known population totals for calibrating the survey;
- ``planted``: the ground truth of what was planted (off-track pairs and the
  three kinds of missingness), so that methods can be checked against it.

The same seed always gives identical frames.  Each indicator is simulated
from its own random stream (seed + indicator code), so adding an indicator to
the catalogue does not change the others.

Examples
--------
>>> import pandas as pd
>>> from workbench.demo import generate_demo
>>> from workbench import config
>>> cat = pd.read_csv(config.paths().catalogue, dtype=str, keep_default_na=False)
>>> reg = pd.read_csv(config.paths().regions, dtype=str, keep_default_na=False)
>>> demo = generate_demo(cat, reg, seed=1, n_children=2_000)
>>> demo.observations.attrs["synthetic"]
True
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

# one definition of the resident ID check digit (ISO 7064 MOD 11-2), shared with the detector
from ...foundation.catalogue import AGE_GROUPS, UNIT_SCALE
from ...protection.privacy import _ID_CHECK, _ID_WEIGHTS

__all__ = [
    "SYNTHETIC_NOTE", "AGE_GROUPS", "YEARS", "SURVEY_AGE_GROUPS", "DEFAULT_SEED",
    "LIKERT_LABELS", "MULTI_RESPONSE", "OBSERVATION_COLUMNS", "SURVEY_COLUMNS",
    "DemoData", "generate_demo", "build_demo", "load_survey", "load_survey_margins",
    "load_planted",
]

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


# -- population -----------------------------------------------------------------------
def _population_array(urb: np.ndarray, years: np.ndarray, rng: np.random.Generator,
                      ) -> np.ndarray:
    """Children by district x year x sex x age group, shape (R, Y, 2, 5)."""
    n_reg = len(urb)
    lo_hi = np.array([_CHILDREN_2020[u] for u in urb], dtype=float)
    total0 = rng.uniform(lo_hi[:, 0], lo_hi[:, 1])
    ages = np.arange(18)
    birth_year = years[:, None] - ages[None, :]  # (Y, 18)
    index = np.interp(birth_year, *_BIRTH_KNOTS)
    cohort = total0 / index[0].sum()
    drift = np.array([_MIGRATION[u] for u in urb]) + rng.normal(0, 0.003, n_reg)
    growth = (1 + drift)[:, None] ** (years - years[0])[None, :]
    first = birth_year.min()
    noise = np.exp(rng.normal(0, 0.02, (n_reg, birth_year.max() - first + 1)))
    single = (cohort[:, None, None] * index[None] * growth[:, :, None]
              * noise[:, birth_year - first])  # (R, Y, 18)
    groups = np.add.reduceat(single, [0, 3, 6, 12, 15], axis=2)
    male_share = (0.515 + rng.normal(0, 0.004, n_reg))[:, None, None]
    return np.stack([np.rint(groups * male_share), np.rint(groups * (1 - male_share))], axis=2)


def _population_frame(pop: np.ndarray, codes: np.ndarray, years: np.ndarray) -> pd.DataFrame:
    idx = pd.MultiIndex.from_product([codes, years, _LEVELS["sex"], AGE_GROUPS],
                                     names=["region", "year", "sex", "age_group"])
    frame = pd.DataFrame({"population": pop.ravel().astype(np.int64)}, index=idx).reset_index()
    return frame.astype({"region": str, "year": np.int64, "sex": str, "age_group": str})


# -- the simulation context ---------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _Context:
    codes: np.ndarray          # (R,) district codes
    urb: np.ndarray            # (R,) urbanisation
    years: np.ndarray          # (Y,)
    pop: np.ndarray            # (R, Y, 2, 5)
    urban_share: np.ndarray    # (R,)
    migrant_share: np.ndarray  # (R,)
    child_share: np.ndarray    # (R,) children / total population
    units: dict                # denominator kind -> (R, Y) counts not derived from people
    sample: np.ndarray         # (R, Y) survey sample sizes for survey-sourced indicators

    @property
    def t(self) -> np.ndarray:
        return (self.years - self.years[0]).astype(float)


def _context(codes: np.ndarray, urb: np.ndarray, years: np.ndarray, pop: np.ndarray,
             rng: np.random.Generator) -> _Context:
    n_reg, n_year = len(codes), len(years)
    is_u, is_s = urb == "urban", urb == "suburban"
    urban_share = np.where(is_u, 1.0, np.where(is_s, rng.uniform(0.55, 0.75, n_reg),
                                               rng.uniform(0.25, 0.45, n_reg)))
    migrant = np.where(is_u, rng.uniform(0.12, 0.2, n_reg),
                       np.where(is_s, rng.uniform(0.15, 0.28, n_reg),
                                rng.uniform(0.03, 0.08, n_reg)))
    children = pop.sum(axis=(2, 3))  # (R, Y)
    shape = (n_reg, n_year)

    def fixed(base: np.ndarray, lo: int, hi: int) -> np.ndarray:
        step = np.rint(rng.normal(0, 0.02, shape).cumsum(axis=1) * base[:, None])
        return np.clip(base[:, None] + step, lo, hi)

    units = {
        "schools": fixed(np.clip(np.rint(children[:, 0] / 1_100 * rng.uniform(0.85, 1.15, n_reg)),
                                 20, 120), 20, 120),
        "communities": fixed(np.clip(np.rint(children[:, 0] / 600 * rng.uniform(0.8, 1.2, n_reg)),
                                     30, 200), 30, 200),
        "inspections": np.rint(rng.uniform(150, 600, n_reg)[:, None]
                               * rng.uniform(0.85, 1.15, shape)),
        "cases": np.rint(rng.uniform(40, 250, n_reg)[:, None] * rng.uniform(0.8, 1.2, shape)),
    }
    return _Context(codes=codes, urb=urb, years=years, pop=pop, urban_share=urban_share,
                    migrant_share=migrant, child_share=rng.uniform(0.10, 0.14, n_reg),
                    units=units, sample=np.rint(rng.uniform(350, 700, shape)))


# -- indicator specifications ----------------------------------------------------------------
@dataclass(frozen=True)
class _Spec:
    code: str
    name: str
    unit: str
    kind: str           # binomial | poisson | count | level | binary
    sign: float         # +1 higher is better, -1 lower is better
    baseline: float
    op: str             # 2030 target operator ('' if none)
    target: float       # 2030 target (NaN if none)
    target_type: str
    dims: tuple[str, ...]
    ages: tuple[str, ...]
    event_ages: tuple[str, ...]   # age breakdown of events for birth-based rates
    denominator: str
    source: str         # admin | survey
    source_type: str
    volatile: bool
    cumulative: bool = False    # a count built up from zero (e.g. facilities built since 2020)

    @property
    def scale(self) -> float:
        return _SCALE.get(self.unit, np.nan)

    @property
    def numeric_target(self) -> bool:
        return (self.target_type in ("target", "relative") and self.op in ("<=", ">=")
                and np.isfinite(self.target) and self.kind != "binary" and not self.cumulative)


def _kind(unit: str) -> str:
    if unit == "percent":
        return "binomial"
    if unit in _SCALE:
        return "poisson"
    return {"count": "count", "binary": "binary"}.get(unit, "level")


def _spec(row: pd.Series) -> _Spec:
    unit, code = row["unit"], row["code"]
    sign = -1.0 if row["direction"] == "lower" else 1.0
    kind = _kind(unit)
    denom = row["denominator"] or "none"
    dims = tuple(d for d in _split(row["disaggregations"]) if d in _AXIS)
    ages = tuple(a for a in _split(row["age_groups"]) if a in _AGE_BOUNDS)
    event_ages: tuple[str, ...] = ()
    if denom in ("live_births", "births"):
        event_ages = ages if "age_group" in dims and len(ages) > 1 else ()
        ages, dims = ("0-2",), tuple(d for d in dims if d != "age_group")
    if kind == "binary":
        dims = ()
    target = float(row["target_2030"]) if pd.notna(row["target_2030"]) else np.nan
    op = row["target_2030_op"] if np.isfinite(target) else ""
    name = f"{row.get('name_en', '')} {code}".lower()
    cumulative = kind == "count" and row["baseline_2020"] == 0
    baseline = (((target if np.isfinite(target) else 20.0) * 1.1 / (TARGET_YEAR - 2020))
                if cumulative else _baseline(row, unit, sign, target))
    return _Spec(code=code, name=name, unit=unit, kind=kind, sign=sign,
                 baseline=baseline, op=op, target=target, cumulative=cumulative,
                 target_type=row["target_type"], dims=dims, ages=ages or AGE_GROUPS,
                 event_ages=event_ages,
                 denominator=denom, source="survey" if row["source_type"] == "survey" else "admin",
                 source_type=row["source_type"],
                 volatile=code == "V02" or "air quality" in name)


def _baseline(row: pd.Series, unit: str, sign: float, target: float) -> float:
    """The city-level 2020 value: catalogue baseline, national baseline, or a default."""
    for col in ("baseline_2020", "baseline_2020_national"):
        value = row.get(col, np.nan)
        if pd.notna(value) and value != "" and float(value) > 0:
            return float(value)
    if np.isfinite(target) and target > 0 and unit != "binary":
        return float(target * (0.9 if sign > 0 else 1.15))
    return _DEFAULT_BASELINE.get(unit, (100.0, 100.0))[0 if sign > 0 else 1]


def _to_g(value: float | np.ndarray, spec: _Spec) -> np.ndarray:
    """Natural value -> model scale (logit for shares, log otherwise)."""
    v = np.asarray(value, dtype=float)
    if spec.kind == "binomial":
        return _logit(np.clip(v / 100.0, 1e-3, 1 - 1e-3))
    if spec.kind == "binary":
        return _logit(np.clip(v, 0.05, 0.95))
    return np.log(np.maximum(v, 1e-3))


def _from_g(g: float | np.ndarray, spec: _Spec) -> np.ndarray:
    if spec.kind == "binomial":
        return 100.0 * _expit(g)
    if spec.kind == "binary":
        return _expit(g)
    return np.exp(g)


# -- planting --------------------------------------------------------------------------------
@dataclass(frozen=True)
class _OffTrack:
    start: float   # model-scale level in the first year
    slope: float   # model-scale change per year
    detail: str


def _noise_sd(spec: _Spec, ctx: _Context) -> np.ndarray:
    """Expected model-scale SD of a district's total value in one year, shape (R,)."""
    base = _base_denominator(spec, ctx)[:, 0]
    v0 = float(_from_g(_to_g(spec.baseline, spec), spec))
    if spec.kind == "binomial":
        p = v0 / 100.0
        info = base * p * (1 - p)
    elif spec.kind == "poisson":
        info = base * v0 / spec.scale
    elif spec.kind == "count":
        info = v0 * ctx.pop[:, 0].sum(axis=(1, 2)) / ctx.pop[:, 0].sum()
    else:
        info = np.full(len(ctx.codes), np.inf)
    return np.sqrt(1.0 / np.maximum(info, 1e-9) + _year_sd(spec) ** 2)


def _year_sd(spec: _Spec) -> float:
    return 0.25 if spec.volatile else 0.03


def _choose_never_collected(specs: list[_Spec], rng: np.random.Generator) -> list[str]:
    """5-7 survey-type indicators without any data (survey-only items that match a
    special-survey question first); one survey-only indicator is always kept."""
    pool = [s for s in specs if s.source_type in ("survey", "admin+survey")]
    rank = np.array([(s.source_type != "survey") * 2
                     + (not any(k in s.name for k in _SURVEY_KEYWORDS)) for s in pool])
    order = np.lexsort((rng.random(len(pool)), rank))
    survey_only = sum(s.source_type == "survey" for s in pool)
    keep_one = [i for i in order if pool[i].source_type == "survey"][: survey_only - 1]
    others = [i for i in order if pool[i].source_type != "survey"]
    n = min(int(rng.integers(5, 8)), len(keep_one) + len(others))
    return sorted(pool[i].code for i in (keep_one + others)[:n])


def _choose_off_track(specs: list[_Spec], ctx: _Context, rng: np.random.Generator,
                      ) -> dict[tuple[str, str], _OffTrack]:
    pairs = []
    for spec in specs:
        if spec.numeric_target and not spec.volatile:
            ok = _noise_sd(spec, ctx) <= 0.05
            pairs += [(spec, r) for r in np.flatnonzero(ok)]
    if not pairs:
        return {}
    focus = [i for i, (_, r) in enumerate(pairs) if ctx.codes[r] == _FOCUS]
    rest = [i for i, (_, r) in enumerate(pairs) if ctx.codes[r] != _FOCUS]
    n_total = min(int(rng.integers(12, 19)), len(pairs))
    n_focus = min(len(focus), int(rng.integers(2, 4)))
    chosen = list(rng.permutation(focus)[:n_focus])
    chosen += list(rng.permutation(rest)[: n_total - n_focus])
    return {(pairs[i][0].code, str(ctx.codes[pairs[i][1]])): _off_track(pairs[i][0], rng)
            for i in sorted(chosen)}


def _off_track(spec: _Spec, rng: np.random.Generator) -> _OffTrack:
    """A path that misses the 2030 target: starts on the wrong side and stalls or reverses."""
    g_target = float(_to_g(spec.target, spec))
    stalled = rng.random() < 0.3
    delta = rng.uniform(0.35, 0.5) if stalled else rng.uniform(0.12, 0.25)
    slope = -spec.sign * (0.01 if stalled else rng.uniform(0.03, 0.06))
    start = min(float(_to_g(spec.baseline, spec)) * spec.sign, g_target * spec.sign - delta)
    start *= spec.sign
    v0, v1 = _from_g(start, spec), _from_g(start + 10 * slope, spec)
    if spec.kind == "binomial":
        change = f"{(v1 - v0) / 10:+.2f} pp/yr"
    else:
        change = f"{((v1 / v0) ** 0.1 - 1) * 100:+.1f}%/yr"
    what = "trend stalled" if stalled else "trend reversed"
    detail = (f"{what}: {change} away from target from {v0:.3g} "
              f"(2030 target {spec.op} {spec.target:g})")
    return _OffTrack(start=start, slope=slope, detail=detail)


# -- simulation of one indicator ----------------------------------------------------------------
def _base_denominator(spec: _Spec, ctx: _Context) -> np.ndarray:
    """The district-year denominator (people, units, days or survey sample), shape (R, Y)."""
    denom = spec.denominator
    if denom in ctx.units:
        return ctx.units[denom]
    if denom == "none" and "day" in spec.name:
        leap = (ctx.years % 4 == 0) & ((ctx.years % 100 != 0) | (ctx.years % 400 == 0))
        return np.broadcast_to(365.0 + leap, (len(ctx.codes), len(ctx.years)))
    if spec.source == "survey":
        return ctx.sample
    return _people(spec, ctx) * _subpopulation(spec, ctx)[:, None]


def _people(spec: _Spec, ctx: _Context) -> np.ndarray:
    age_idx = [AGE_GROUPS.index(a) for a in spec.ages]
    denom = spec.denominator
    if denom in ("live_births", "births"):
        return ctx.pop[:, :, :, 0].sum(axis=2) / 3.0
    if denom == "students":
        school = [AGE_GROUPS.index(a) for a in spec.ages if a in _SCHOOL_AGES] or [2, 3, 4]
        return 0.95 * ctx.pop[:, :, :, school].sum(axis=(2, 3))
    if denom == "population":
        return ctx.pop.sum(axis=(2, 3)) / ctx.child_share[:, None]
    if denom == "families":
        return ctx.pop[:, :, :, age_idx].sum(axis=(2, 3)) / 1.35
    return ctx.pop[:, :, :, age_idx].sum(axis=(2, 3))


def _subpopulation(spec: _Spec, ctx: _Context) -> np.ndarray:
    """Share of the denominator population an indicator is about (e.g. disabled children)."""
    for words, share in _SUBPOPULATIONS:
        if any(w in spec.name for w in words):
            return ctx.migrant_share if share == "migrant" else np.full(len(ctx.codes), share)
    return np.ones(len(ctx.codes))


def _cells(spec: _Spec, ctx: _Context, gaps: dict[str, np.ndarray],
           ) -> tuple[np.ndarray, np.ndarray]:
    """Joint-cell shares and model-scale gaps, shape (R, Y, 2, k, 2, 2).

    Dimensions the indicator is not broken down by are collapsed to one level
    (size-1 axis) whose gap is the share-weighted mean of the levels' gaps.
    """
    people = ctx.pop[:, :, :, [AGE_GROUPS.index(a) for a in spec.ages]]
    people = people / people.sum(axis=(2, 3), keepdims=True)
    res = np.stack([ctx.urban_share, 1 - ctx.urban_share], axis=1)
    huk = np.stack([1 - ctx.migrant_share, ctx.migrant_share], axis=1)
    weights = (people[:, :, :, :, None, None] * res[:, None, None, None, :, None]
               * huk[:, None, None, None, None, :])
    shift = np.zeros_like(weights)
    for dim, axis in _AXIS.items():
        shape = [1] * 6
        shape[axis] = -1
        shift = shift + gaps[dim].reshape(shape)
    for dim, axis in _AXIS.items():
        if dim not in spec.dims:
            total = weights.sum(axis=axis, keepdims=True)
            mixed = (shift * weights).sum(axis=axis, keepdims=True)
            shift = np.divide(mixed, total, out=np.zeros_like(total), where=total > 0)
            weights = total
    return weights, shift


def _gaps(spec: _Spec, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Model-scale gaps between the levels of each dimension."""
    prof: dict = {}
    for words, values in _PROFILES:
        if any(w in spec.name for w in words):
            prof = {**values, **prof}
    sex = prof.get("sex", rng.normal(0, 0.05))
    mids = np.array([sum(_AGE_BOUNDS[a]) / 2 for a in spec.ages])
    per_year = prof.get("age", rng.normal(0, 0.02))
    rural = rng.uniform(0.1, 0.35) * (1 if prof.get("rural_less") else -spec.sign)
    migrant = -spec.sign * prof.get("migrant", rng.uniform(0.1, 0.35))
    return {"sex": np.array([sex / 2, -sex / 2]), "age_group": per_year * (mids - mids.mean()),
            "residence": np.array([0.0, rural]), "hukou": np.array([0.0, migrant])}


def _district_paths(spec: _Spec, ctx: _Context, rng: np.random.Generator,
                    off: dict[str, _OffTrack]) -> np.ndarray:
    """Model-scale district level per year before cell gaps, shape (R, Y)."""
    n_reg = len(ctx.codes)
    g0 = float(_to_g(spec.baseline, spec))
    sens = rng.uniform(0.5, 1.5)
    urb_eff = np.array([_URB_EFFECT[u] for u in ctx.urb])
    eff = spec.sign * sens * urb_eff + rng.normal(0, 0.07, n_reg)
    weight = ctx.pop[:, 0].sum(axis=(1, 2))
    eff -= np.average(eff, weights=weight)
    slope = _city_slope(spec, g0) * rng.uniform(0.5, 1.5, n_reg) + rng.normal(0, 0.004, n_reg)
    start = g0 + eff
    for code, path in off.items():
        r = int(np.flatnonzero(ctx.codes == code)[0])
        start[r], slope[r] = path.start, path.slope
    noise = rng.normal(0, _year_sd(spec), (n_reg, len(ctx.years)))
    return start[:, None] + slope[:, None] * ctx.t[None, :] + noise


def _city_slope(spec: _Spec, g0: float) -> float:
    """Model-scale yearly change that moves the city towards (slightly past) its target."""
    if spec.kind == "binary":
        return 0.5
    if spec.cumulative:
        return 0.0
    if spec.kind == "level" and not spec.numeric_target:
        return 0.05  # money amounts rise with prices
    if spec.numeric_target:
        need = float(_to_g(spec.target, spec)) - g0
        if need * spec.sign > 0:
            return float(np.clip(need / (TARGET_YEAR - 2020) * 1.2, -0.15, 0.15))
    return spec.sign * (0.005 if spec.target_type == "maintain" else 0.01)


def _simulate(spec: _Spec, ctx: _Context, seed: int, off: dict[str, _OffTrack],
              ) -> pd.DataFrame:
    """All rows (totals and one-dimension breakdowns) of one indicator."""
    rng = _stream(seed, f"indicator:{spec.code}")
    level = _district_paths(spec, ctx, rng, off)
    if spec.kind == "level":  # published amounts (allowances) are not cut
        level = np.maximum.accumulate(level, axis=1)
    if spec.kind == "binary":
        hit = rng.random(level.shape) < _expit(level)
        value = np.maximum.accumulate(hit, axis=1).astype(float)
        return _frame(spec, ctx, None, ("total",), {"value": value[:, :, None]})
    weights, shift = _cells(spec, ctx, _gaps(spec, rng))
    cells = _draw_cells(spec, ctx, rng, level[:, :, None, None, None, None] + shift, weights)
    parts = [_frame(spec, ctx, None, ("total",), _collapse(spec, cells, None))]
    for dim in spec.dims:
        labels = spec.ages if dim == "age_group" else _LEVELS[dim]
        parts.append(_frame(spec, ctx, dim, labels, _collapse(spec, cells, dim)))
    if spec.event_ages:
        parts.append(_event_age_rows(spec, ctx, rng, cells))
    return pd.concat(parts, ignore_index=True)


def _event_age_rows(spec: _Spec, ctx: _Context, rng: np.random.Generator,
                    cells: dict[str, np.ndarray]) -> pd.DataFrame:
    """Age breakdown of a birth-based rate (e.g. under-five deaths by age at death):
    the numerators split by age and sum to the total; every row keeps the births."""
    num = cells["numerator"].sum(axis=(2, 3, 4, 5)).astype(np.int64)
    den = cells["denominator"].sum(axis=(2, 3, 4, 5))
    share = np.exp(-1.9 * np.arange(len(spec.event_ages)))
    split = rng.multinomial(num, share / share.sum()).astype(float)
    den = np.repeat(den[:, :, None], len(spec.event_ages), axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = split / den * spec.scale
    return _frame(spec, ctx, "age_group", spec.event_ages,
                  {"numerator": split, "denominator": den, "value": value})


def _draw_cells(spec: _Spec, ctx: _Context, rng: np.random.Generator, g: np.ndarray,
                weights: np.ndarray) -> dict[str, np.ndarray]:
    """Draw joint-cell numerators/denominators (ratios), counts or amounts."""
    if spec.kind in ("binomial", "poisson"):
        base = _base_denominator(spec, ctx)
        den = np.rint(base[:, :, None, None, None, None] * weights)
        if spec.kind == "binomial":
            num = rng.binomial(den.astype(np.int64), _expit(g)).astype(float)
        else:
            num = np.minimum(rng.poisson(den * np.exp(g) / spec.scale), den).astype(float)
        return {"numerator": num, "denominator": den}
    if spec.kind == "count":
        share = ctx.pop.sum(axis=(2, 3)) / ctx.pop.sum(axis=(0, 2, 3))[None, :]
        mean = np.exp(g) * share[:, :, None, None, None, None] * weights
        counts = rng.poisson(mean).astype(float)
        if spec.cumulative:  # yearly additions to a stock that is zero in the first year
            counts[:, 0] = 0.0
            counts = counts.cumsum(axis=1)
        return {"value": counts}
    return {"value": np.exp(g) * weights, "weight": weights}


def _collapse(spec: _Spec, cells: dict[str, np.ndarray], keep: str | None,
              ) -> dict[str, np.ndarray]:
    """Sum joint cells over all dimensions but ``keep``; returns (R, Y, L) arrays."""
    axes = tuple(ax for dim, ax in _AXIS.items() if dim != keep)
    summed = {k: v.sum(axis=axes) for k, v in cells.items()}
    summed = {k: v if keep else v[:, :, None] for k, v in summed.items()}
    if "numerator" in summed:
        with np.errstate(invalid="ignore", divide="ignore"):
            summed["value"] = summed["numerator"] / summed["denominator"] * spec.scale
    elif "weight" in summed:
        with np.errstate(invalid="ignore", divide="ignore"):
            summed["value"] = np.round(summed["value"] / summed.pop("weight"), 1)
    return summed


def _frame(spec: _Spec, ctx: _Context, dim: str | None, labels: Iterable[str],
           cols: dict[str, np.ndarray]) -> pd.DataFrame:
    """Flatten (R, Y, L) arrays into observation rows of one breakdown."""
    shape = cols["value"].shape
    lab = np.broadcast_to(np.asarray(list(labels), dtype=object)[None, None, :], shape)
    data = {"indicator": spec.code,
            "region": np.broadcast_to(ctx.codes[:, None, None], shape).ravel(),
            "year": np.broadcast_to(ctx.years[None, :, None], shape).ravel()}
    for d in _AXIS:
        data[d] = lab.ravel() if d == dim else "total"
    for col in ("value", "numerator", "denominator"):
        data[col] = cols[col].ravel() if col in cols else np.nan
    frame = pd.DataFrame(data)
    keep = np.isfinite(frame["value"].to_numpy())
    if dim == "residence":
        keep &= ~frame["region"].isin(ctx.codes[ctx.urb == "urban"]).to_numpy()
    return frame[keep]


def _standard_errors(obs: pd.DataFrame, spec: _Spec) -> np.ndarray:
    """Standard errors of survey estimates (design effect 1.5); NaN for admin data."""
    if spec.source != "survey":
        return np.full(len(obs), np.nan)
    num, den, value = (obs[c].to_numpy() for c in ("numerator", "denominator", "value"))
    if spec.kind == "binomial":
        p = np.clip(num / den, 0.5 / den, 1 - 0.5 / den)
        return spec.scale * np.sqrt(1.5 * p * (1 - p) / den)
    if spec.kind == "poisson":
        return spec.scale * np.sqrt(1.5 * np.maximum(num, 0.5)) / den
    return 0.08 * np.maximum(value, 0.5)


# -- missingness and flags --------------------------------------------------------------------
def _protected(obs: pd.DataFrame, off_pairs: Iterable[tuple[str, str]], last: int) -> np.ndarray:
    """Rows never dropped: Heping's latest totals and the totals of off-track pairs."""
    total = (obs[list(_AXIS)] == "total").all(axis=1).to_numpy()
    focus = (obs["region"].to_numpy() == _FOCUS) & (obs["year"].to_numpy() == last)
    pairs = list(off_pairs)
    pair = (pd.MultiIndex.from_frame(obs[["indicator", "region"]]).isin(pairs) if pairs
            else np.zeros(len(obs), dtype=bool))
    return total & (focus | pair)


def _plant_mar(obs: pd.DataFrame, codes: list[str], ctx: _Context, protected: np.ndarray,
               rng: np.random.Generator) -> tuple[np.ndarray, list[dict]]:
    """Drop whole (indicator, region, year) cells with a probability that depends on
    urbanisation (rural, suburban more often) and year (earlier more often): MAR."""
    urb_score = {"urban": -1.0, "suburban": 0.4, "rural": 1.2}
    drop = np.zeros(len(obs), dtype=bool)
    keep = _block_protected(obs, protected)
    records = []
    for code in codes:
        r_idx, y_idx = np.meshgrid(np.arange(len(ctx.codes)), np.arange(len(ctx.years)),
                                   indexing="ij")
        score = (np.array([urb_score[u] for u in ctx.urb])[r_idx] - 0.35 * y_idx)
        p = _calibrated_probability(score.ravel(), rng.uniform(0.12, 0.2)).reshape(score.shape)
        miss = rng.random(score.shape) < p
        cells = pd.MultiIndex.from_arrays([ctx.codes[r_idx[miss]], ctx.years[y_idx[miss]]])
        rows = (obs["indicator"].to_numpy() == code) & pd.MultiIndex.from_frame(
            obs[["region", "year"]]).isin(cells)
        drop |= rows & ~keep
        records += _mar_records(code, obs[rows & drop], ctx)
    return drop, records


def _block_protected(obs: pd.DataFrame, protected: np.ndarray) -> np.ndarray:
    """Extend row protection to every row of a protected (indicator, region, year) cell."""
    keys = obs.loc[protected, ["indicator", "region", "year"]]
    return pd.MultiIndex.from_frame(obs[["indicator", "region", "year"]]).isin(
        pd.MultiIndex.from_frame(keys))


def _mar_records(code: str, dropped: pd.DataFrame, ctx: _Context) -> list[dict]:
    urb = dict(zip(ctx.codes, ctx.urb, strict=True))
    years = dropped.groupby("region")["year"].unique()
    return [{"indicator": code, "region": region, "kind": "mar",
             "detail": f"missing years {', '.join(str(y) for y in sorted(ys))} "
                       f"(MAR: more often in rural/suburban districts and earlier years; "
                       f"this district is {urb[region]})"}
            for region, ys in years.items()]


def _plant_mcar(obs: pd.DataFrame, eligible: np.ndarray, protected: np.ndarray,
                rng: np.random.Generator) -> tuple[np.ndarray, list[dict]]:
    """Drop ~3% of the eligible rows completely at random; one record per indicator."""
    drop = eligible & ~protected & (rng.random(len(obs)) < 0.03)
    per = pd.DataFrame({"indicator": obs["indicator"], "n": eligible, "k": drop})
    per = per[per["n"]].groupby("indicator")[["n", "k"]].sum()
    records = [{"indicator": code, "region": "", "kind": "mcar",
                "detail": f"MCAR: {k} of {n} rows dropped ({100 * k / n:.1f}%), "
                          f"all districts and years"}
               for code, (n, k) in per.iterrows() if k > 0]
    return drop, records


def _provisional(obs: pd.DataFrame, last: int, rng: np.random.Generator) -> np.ndarray:
    """About 10% of the latest year's (indicator, region) cells are provisional."""
    keys = obs[["indicator", "region"]].drop_duplicates()
    flagged = keys[rng.random(len(keys)) < 0.1]
    in_flagged = pd.MultiIndex.from_frame(obs[["indicator", "region"]]).isin(
        pd.MultiIndex.from_frame(flagged))
    return in_flagged & (obs["year"].to_numpy() == last)


# -- the observation panel ---------------------------------------------------------------------
def _observations(cat: pd.DataFrame, ctx: _Context, seed: int,
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    specs = [_spec(row) for _, row in cat.iterrows()]
    plan_rng = _stream(seed, "plan")
    never = _choose_never_collected(specs, plan_rng)
    active = [s for s in specs if s.code not in never]
    off = _choose_off_track(active, ctx, plan_rng)
    off_codes = {c for c, _ in off}
    mar = _choose_mar([s for s in active if s.code not in off_codes], plan_rng)
    parts = []
    for spec in active:
        paths = {r: p for (c, r), p in off.items() if c == spec.code}
        frame = _simulate(spec, ctx, seed, paths)
        frame["se"] = _standard_errors(frame, spec)
        frame["source"] = spec.source
        parts.append(frame)
    obs = pd.concat(parts, ignore_index=True)
    obs, missing = _apply_missingness(obs, ctx, off, mar, _stream(seed, "missing"))
    planted = _planted(off, never, specs, missing)
    return _finish_observations(obs, ctx, _stream(seed, "provisional")), planted


def _choose_mar(specs: list[_Spec], rng: np.random.Generator) -> list[str]:
    """Three or four indicators (administrative ones first) with MAR gaps."""
    pool = [s.code for s in specs if not s.volatile]
    admin = [c for c in pool if next(s for s in specs if s.code == c).source == "admin"]
    n = min(int(rng.integers(3, 5)), len(pool))
    pool = admin if len(admin) >= n else pool
    return sorted(str(c) for c in rng.permutation(pool)[:n])


def _apply_missingness(obs: pd.DataFrame, ctx: _Context, off: dict, mar: list[str],
                       rng: np.random.Generator) -> tuple[pd.DataFrame, list[dict]]:
    last = int(ctx.years[-1])
    protected = _protected(obs, off.keys(), last)
    drop_mar, rec_mar = _plant_mar(obs, mar, ctx, protected, rng)
    eligible = ~obs["indicator"].isin(mar).to_numpy()
    drop_mcar, rec_mcar = _plant_mcar(obs, eligible, protected, rng)
    return obs[~(drop_mar | drop_mcar)].reset_index(drop=True), rec_mar + rec_mcar


def _planted(off: dict, never: list[str], specs: list[_Spec], missing: list[dict],
             ) -> pd.DataFrame:
    names = {s.code: s.name for s in specs}
    rows = [{"indicator": c, "region": r, "kind": "off_track", "detail": p.detail}
            for (c, r), p in off.items()]
    for code in never:
        items = [k for k in _SURVEY_KEYWORDS if k in names[code]]
        hint = f" (special-survey item: {items[0]})" if items else ""
        rows.append({"indicator": code, "region": "", "kind": "never_collected",
                     "detail": f"no rows at all: no routine source{hint}"})
    frame = pd.DataFrame(rows + missing, columns=["indicator", "region", "kind", "detail"])
    return frame.astype(str).reset_index(drop=True)


def _finish_observations(obs: pd.DataFrame, ctx: _Context, rng: np.random.Generator,
                         ) -> pd.DataFrame:
    obs = obs.copy()
    obs["imputed"] = False
    obs["provisional"] = _provisional(obs, int(ctx.years[-1]), rng)
    order = {"total": 0, "male": 1, "female": 2, "urban": 1, "rural": 2, "local": 1,
             "migrant": 2, **{a: i + 1 for i, a in enumerate(AGE_GROUPS)}}
    keys = {f"_{d}": obs[d].map(order) for d in _AXIS}
    keys["_dim"] = sum((obs[d] != "total") * (i + 1) for i, d in enumerate(_AXIS))
    by = ["indicator", "region", "year", "_dim", *(f"_{d}" for d in _AXIS)]
    sort = obs.assign(**keys).sort_values(by, kind="stable").index
    obs = obs.loc[sort].reset_index(drop=True)[OBSERVATION_COLUMNS]
    return obs.astype({"indicator": str, "region": str, "year": np.int64, "sex": str,
                       "age_group": str, "residence": str, "hukou": str, "value": float,
                       "numerator": float, "denominator": float, "se": float,
                       "source": str, "imputed": bool, "provisional": bool})


# -- survey microdata ----------------------------------------------------------------------
def _id_check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check digit of a PRC resident ID number's first 17 digits.

    >>> _id_check_digit("11010519491231002")
    'X'
    """
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError(f"Expected 17 digits, got {first17!r}")
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return str(_ID_CHECK[total % 11])


def _id_check_digits(digits: np.ndarray) -> np.ndarray:
    """Vectorised :func:`_id_check_digit` for an (n, 17) array of digits."""
    return _ID_CHECK[(digits @ _ID_WEIGHTS) % 11]


def _digits(x: np.ndarray, width: int) -> np.ndarray:
    return (np.asarray(x, dtype=np.int64)[:, None] // 10 ** np.arange(width - 1, -1, -1)) % 10


@dataclass(frozen=True, eq=False)
class _Design:
    district: np.ndarray   # (n,) district index per child
    psu: np.ndarray        # (n,) PSU id
    n_psu: np.ndarray      # (n,) N_h
    size: np.ndarray       # (n,) M_i
    weight: np.ndarray     # (n,) design weight
    urban: np.ndarray      # (n,) PSU is urban
    mht: np.ndarray        # (n,) PSU school has a mental-health teacher


def _design(ctx: _Context, n_children: int, rng: np.random.Generator) -> _Design:
    """Stratified two-stage cluster sample: PSUs by equal probability, then children by SRS."""
    n_reg = len(ctx.codes)
    N_h = rng.integers(20, 81, n_reg)
    n_h = np.minimum(rng.integers(6, 13, n_reg), N_h)
    stratum = np.repeat(np.arange(n_reg), N_h)
    number = np.arange(len(stratum)) - np.repeat(np.cumsum(N_h) - N_h, N_h) + 1
    survey_pop = ctx.pop[:, -1, :, 1:].sum(axis=(1, 2))
    raw = rng.uniform(0.5, 1.5, len(stratum))
    M = np.maximum(np.rint(raw / np.bincount(stratum, raw)[stratum] * survey_pop[stratum]), 50)
    order = np.lexsort((rng.random(len(stratum)), stratum))
    rank = np.empty(len(stratum), dtype=np.int64)
    rank[order] = np.arange(len(stratum)) - np.repeat(np.cumsum(N_h) - N_h, N_h)
    sampled = np.flatnonzero(rank < n_h[stratum])
    if n_children < 2 * len(sampled):
        raise ValueError(f"n_children must be at least {2 * len(sampled)} for this design")
    share = rng.uniform(0.8, 1.2, len(sampled))
    m = np.minimum(1 + rng.multinomial(n_children - len(sampled), share / share.sum()),
                   M[sampled]).astype(np.int64)
    urban = rng.random(len(stratum)) < ctx.urban_share[stratum]
    urb_eff = np.array([_URB_EFFECT[u] for u in ctx.urb])[stratum]
    mht = rng.random(len(stratum)) < _expit(0.4 + 2 * urb_eff + 0.6 * urban
                                           + rng.normal(0, 0.4, n_reg)[stratum])
    psu_id = np.char.add(np.char.add("S", ctx.codes[stratum].astype(str)),
                         np.char.add("-", _fmt(number, 2)))
    child = np.repeat(sampled, m)
    h = stratum[child]
    weight = (N_h[h] / n_h[h]) * (M[child] / np.repeat(m, m))
    return _Design(district=h, psu=psu_id[child], n_psu=N_h[h], size=M[child].astype(np.int64),
                   weight=weight, urban=urban[child], mht=mht[child].astype(float))


def _demographics(ctx: _Context, d: _Design, rng: np.random.Generator) -> pd.DataFrame:
    """Sex, age and hukou drawn from the district's population in the survey year."""
    n = len(d.district)
    cells = ctx.pop[:, -1, :, 1:].reshape(len(ctx.codes), -1)  # (R, 2 sexes x 4 groups)
    cum = np.cumsum(cells / cells.sum(axis=1, keepdims=True), axis=1)
    cell = np.minimum((rng.random(n)[:, None] > cum[d.district]).sum(axis=1), 7)
    group = np.array(SURVEY_AGE_GROUPS)[cell % 4]
    lo = np.array([_AGE_BOUNDS[g][0] for g in SURVEY_AGE_GROUPS])[cell % 4]
    hi = np.array([_AGE_BOUNDS[g][1] for g in SURVEY_AGE_GROUPS])[cell % 4]
    age = lo + np.floor(rng.random(n) * (hi - lo + 1)).astype(np.int64)
    p_mig = np.clip(ctx.migrant_share[d.district] * np.where(d.urban, 1.3, 0.6), 0, 0.6)
    return pd.DataFrame({
        "sex": np.where(cell < 4, "male", "female").astype(object), "age": age,
        "age_group": group.astype(object),
        "residence": np.where(d.urban, "urban", "rural").astype(object),
        "hukou": np.where(rng.random(n) < p_mig, "migrant", "local").astype(object)})


def _identities(ctx: _Context, d: _Design, people: pd.DataFrame, survey_date: pd.Timestamp,
                rng: np.random.Generator) -> pd.DataFrame:
    """Fictitious names, well-formed resident ID numbers and mobile numbers."""
    n = len(people)
    age = people["age"].to_numpy()
    year = survey_date.year
    start = pd.to_datetime(pd.DataFrame({"year": year - age - 1, "month": survey_date.month,
                                         "day": survey_date.day})) + pd.Timedelta(days=1)
    end = pd.to_datetime(pd.DataFrame({"year": year - age, "month": survey_date.month,
                                       "day": survey_date.day}))
    span = (end - start).dt.days.to_numpy() + 1
    birth = start + pd.to_timedelta(np.floor(rng.random(n) * span), unit="D")
    ymd = (birth.dt.year * 10_000 + birth.dt.month * 100 + birth.dt.day).to_numpy()
    male = people["sex"].to_numpy() == "male"
    id_number = _id_numbers(ctx.codes[d.district].astype(np.int64), ymd, male, rng)
    width = max(5, len(str(n)))
    return pd.DataFrame({
        "child_id": np.char.add("C", _fmt(np.arange(1, n + 1), width)).astype(object),
        "name": _names(male, rng).astype(object), "id_number": id_number.astype(object),
        "guardian_phone": np.char.add(np.array(_PHONE_PREFIXES)[
            rng.integers(0, len(_PHONE_PREFIXES), n)], _fmt(rng.integers(0, 10**8, n), 8),
        ).astype(object)})


def _id_numbers(area: np.ndarray, ymd: np.ndarray, male: np.ndarray,
                rng: np.random.Generator) -> np.ndarray:
    """18-digit resident ID numbers: area code, birth date, a sequence number that is
    unique within (area, date, sex) and odd for males, and the MOD 11-2 check digit."""
    n = len(area)
    key = pd.DataFrame({"a": area, "b": ymd, "m": male, "r": rng.integers(0, 100, n)})
    groups = key.groupby(["a", "b", "m"])
    head = (groups["r"].transform("first") + groups.cumcount()).to_numpy() % 100
    seq = head * 10 + rng.integers(0, 5, n) * 2 + male
    digits = np.hstack([_digits(area, 6), _digits(ymd, 8), _digits(seq, 3)])
    first17 = np.char.add(np.char.add(area.astype(str), ymd.astype(str)), _fmt(seq, 3))
    return np.char.add(first17, _id_check_digits(digits))


def _names(male: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = len(male)
    zipf = 1.0 / np.arange(1, len(_SURNAMES) + 1) ** 0.9
    surname = np.array(_SURNAMES)[rng.choice(len(_SURNAMES), n, p=zipf / zipf.sum())]
    given = [np.where(male, np.array(_GIVEN["male"])[rng.integers(0, len(_GIVEN["male"]), n)],
                      np.array(_GIVEN["female"])[rng.integers(0, len(_GIVEN["female"]), n)])
             for _ in range(2)]
    second = np.where(rng.random(n) < 0.75, given[1], "")
    return np.char.add(np.char.add(surname, given[0]), second)


def _anthropometry(people: pd.DataFrame, d: _Design, eff: np.ndarray,
                   rng: np.random.Generator) -> dict[str, np.ndarray]:
    n = len(people)
    age = people["age"].to_numpy().astype(float)
    male = people["sex"].to_numpy() == "male"
    ref_age = np.array([3, 6, 9, 12, 15, 17])
    h_ref = np.where(male, np.interp(age, ref_age, [100, 120, 137, 155, 171, 174]),
                     np.interp(age, ref_age, [99, 119, 136, 153, 160, 161]))
    height = h_ref + 1.2 * d.urban + rng.normal(0, 4 + 0.15 * age, n)
    bmi_ref = np.interp(age, ref_age, [15.8, 15.3, 16.5, 18.4, 20.0, 20.8]) + 0.3 * male
    spread = 0.09 + 0.003 * (age - 3)
    bmi = bmi_ref * np.exp(0.03 * eff[d.district] + 0.03 * d.urban + rng.normal(0, spread, n))
    height = np.round(height, 1)
    weight = np.round(bmi * (height / 100) ** 2, 1)
    cut_age = np.array([3, 5, 6, 9, 12, 15, 17])  # overweight BMI cut-offs (approximate)
    cut = np.where(male, np.interp(age, cut_age, [17.9, 17.4, 16.6, 18.5, 20.7, 22.9, 23.7]),
                   np.interp(age, cut_age, [17.6, 17.2, 16.4, 18.5, 21.5, 23.2, 23.8]))
    overweight = (weight / (height / 100) ** 2 >= cut).astype(float)
    return {"height_cm": height, "weight_kg": weight, "overweight": overweight}


def _behaviour(people: pd.DataFrame, d: _Design, eff: np.ndarray,
               rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Complete (pre-nonresponse) answers; depend on district, sex, age, residence, hukou."""
    n = len(people)
    age = people["age"].to_numpy().astype(float)
    male = (people["sex"].to_numpy() == "male").astype(float)
    urban = d.urban.astype(float)
    migrant = (people["hukou"].to_numpy() == "migrant").astype(float)
    de = eff[d.district]

    def bern(x: np.ndarray) -> np.ndarray:
        return (rng.random(n) < _expit(x)).astype(float)

    screen = np.round(np.exp(0.07 * (age - 3) + 0.15 * male + 0.15 * (1 - urban)
                             - 0.1 * de + rng.normal(0, 0.5, n)), 1)
    out = {
        "myopia": np.where(age >= 6, bern(-1.8 + 0.3 * (age - 6) - 0.2 * male + 0.25 * urban
                                          + 0.2 * de), np.nan),
        "screen_time_h": screen,
        "online_over_2h": (screen * rng.uniform(0.3, 1.0, n) > 2).astype(float),
        "bullied": np.where(age >= 6, bern(-2.0 + 0.3 * male - 0.05 * (age - 6)
                                           + 0.3 * (1 - urban) - 0.3 * de), np.nan),
        "parent_talk_1h": bern(0.5 - 0.08 * (age - 3) - 0.5 * migrant - 0.2 * (1 - urban)
                               + 0.3 * de),
        "mental_health_teacher": d.mht,
        "car_seat": np.where(age <= 12, bern(-0.7 + 1.0 * urban - 0.15 * (age - 3)
                                             - 0.4 * migrant + 0.4 * de), np.nan),
    }
    out.update(_wellbeing(out, de, age, migrant, rng))
    out.update(_activities(male, urban, de, age, rng))
    return out


def _wellbeing(out: dict[str, np.ndarray], de: np.ndarray, age: np.ndarray,
               migrant: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Five ordered 1-5 items driven by one latent wellbeing score."""
    n = len(age)
    latent = (0.3 * de - 0.05 * (age - 3) - 0.1 * migrant + 0.2 * out["parent_talk_1h"]
              - 0.3 * np.nan_to_num(out["bullied"]) + rng.normal(0, 1, n))
    return {col: np.digitize(latent + rng.normal(0, 0.6, n) + 0.1 * (k - 2),
                             [-2.0, -1.1, -0.2, 0.8]).astype(float) + 1
            for k, col in enumerate(_WELLBEING)}


def _activities(male: np.ndarray, urban: np.ndarray, de: np.ndarray, age: np.ndarray,
                rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The multi-response question: one 0/1 column per after-school activity."""
    logits = {"sports": 0.0 + 0.3 * male - 0.05 * (age - 9) + 0.2 * urban,
              "arts": -0.8 + 0.5 * urban - 0.3 * male - 0.06 * (age - 9) + 0.2 * de,
              "tutoring": -1.2 + 0.6 * urban + 0.08 * (age - 9) + 0.2 * de,
              "reading": -0.4 - 0.3 * male + 0.2 * urban,
              "games": -0.6 + 0.5 * male + 0.05 * (age - 9) + 0.2 * (1 - urban)}
    return {f"activity_{k}": (rng.random(len(age)) < _expit(x)).astype(float)
            for k, x in logits.items()}


def _nonresponse(items: dict[str, np.ndarray], people: pd.DataFrame, d: _Design,
                 rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Item nonresponse, more often for older and rural children (MAR), 5-15% per item."""
    n = len(people)
    age = people["age"].to_numpy().astype(float)
    score = 0.12 * (age - 10) + 0.6 * (~d.urban)
    blocks = {"height_cm": ["height_cm"], "weight_kg": ["weight_kg"], "myopia": ["myopia"],
              "screen_time_h": ["screen_time_h"], "online_over_2h": ["online_over_2h"],
              "bullied": ["bullied"], "parent_talk_1h": ["parent_talk_1h"],
              "car_seat": ["car_seat"], "wellbeing": _WELLBEING,
              "activity": MULTI_RESPONSE["activity"]}
    rates = rng.uniform(0.05, 0.13, len(blocks))
    out = dict(items)
    for (_, cols), rate in zip(blocks.items(), rates, strict=True):
        miss = rng.random(n) < _calibrated_probability(score, rate)
        for col in cols:
            out[col] = np.where(miss, np.nan, out[col])
    for k, col in enumerate(_WELLBEING):  # a few single skipped items inside the block
        out[col] = np.where(rng.random(n) < 0.01 * (k + 1), np.nan, out[col])
    out["overweight"] = np.where(np.isnan(out["height_cm"]) | np.isnan(out["weight_kg"]),
                                 np.nan, out["overweight"])
    return out


def _survey(ctx: _Context, n_children: int, seed: int) -> pd.DataFrame:
    rng = _stream(seed, "survey")
    design = _design(ctx, n_children, rng)
    people = _demographics(ctx, design, rng)
    survey_date = pd.Timestamp(year=int(ctx.years[-1]), month=6, day=1)
    ident = _identities(ctx, design, people, survey_date, rng)
    eff = (np.array([_URB_EFFECT[u] for u in ctx.urb]) * 2 + rng.normal(0, 0.3, len(ctx.codes)))
    items = {**_anthropometry(people, design, eff, rng), **_behaviour(people, design, eff, rng)}
    items = _nonresponse(items, people, design, rng)
    frame = pd.concat([ident, pd.DataFrame({
        "district": ctx.codes[design.district].astype(object), "psu": design.psu.astype(object),
        "n_psu_stratum": design.n_psu.astype(np.int64),
        "n_children_psu": design.size, "design_weight": design.weight}), people,
        pd.DataFrame(items)], axis=1)
    return frame[SURVEY_COLUMNS]


def _margins(population: pd.DataFrame, year: int) -> pd.DataFrame:
    sel = population[(population["year"] == year)
                     & population["age_group"].isin(SURVEY_AGE_GROUPS)]
    return sel[["region", "sex", "age_group", "population"]].reset_index(drop=True)


# -- the entry point ------------------------------------------------------------------------
def _mark(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    frame.attrs.update({"synthetic": True, "note": SYNTHETIC_NOTE["en"],
                        "note_zh": SYNTHETIC_NOTE["zh"], "seed": seed})
    return frame


def generate_demo(catalogue: pd.DataFrame | None = None, regions: pd.DataFrame | None = None,
                  seed: int = DEFAULT_SEED, n_children: int = 10_000,
                  years: Iterable[int] = YEARS) -> DemoData:
    """Generate the synthetic demo data set (deterministic for a given seed).

    Parameters
    ----------
    catalogue : DataFrame, optional
        The indicator catalogue (columns ``code, unit, direction, target_type,
        baseline_2020, target_2030_op, target_2030, disaggregations,
        age_groups, denominator, source_type``; ``name_en`` is used if
        present).  Defaults to the project's ``indicators.csv``.
    regions : DataFrame, optional
        The region table; only rows with ``level == "district"`` are used.
        Defaults to the project's ``regions.csv``.
    seed : int
        Seed of every random stream (``numpy.random.default_rng``).
    n_children : int
        Number of children in the survey microdata.
    years : iterable of int
        Years of the panel; the last one is the survey year.

    Returns
    -------
    DemoData
        Synthetic population, observations, survey, survey margins and the
        ground truth of what was planted.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench import config
    >>> from workbench.demo import generate_demo
    >>> cat = pd.read_csv(config.paths().catalogue, dtype=str, keep_default_na=False)
    >>> reg = pd.read_csv(config.paths().regions, dtype=str, keep_default_na=False)
    >>> demo = generate_demo(cat, reg, seed=7, n_children=2_000)
    >>> demo.observations.attrs["synthetic"], len(demo.survey)
    (True, 2000)
    >>> sorted(demo.planted["kind"].unique())
    ['mar', 'mcar', 'never_collected', 'off_track']
    """
    cat = _prepare_catalogue(_as_frame(catalogue, "catalogue"))
    reg = _prepare_regions(_as_frame(regions, "regions"))
    yrs = np.array(sorted({int(y) for y in years}), dtype=np.int64)
    if len(yrs) < 3:
        raise ValueError("years must hold at least three years / 年份至少需要三个")
    codes = reg["code"].to_numpy().astype(str)
    urb = reg["urbanisation"].to_numpy().astype(str)
    pop = _population_array(urb, yrs, _stream(seed, "population"))
    ctx = _context(codes, urb, yrs, pop, _stream(seed, "context"))
    population = _population_frame(pop, codes, yrs)
    observations, planted = _observations(cat, ctx, seed)
    frames = {"population": population, "observations": observations,
              "survey": _survey(ctx, n_children, seed),
              "survey_margins": _margins(population, int(yrs[-1])), "planted": planted}
    return DemoData(**{k: _mark(v, seed) for k, v in frames.items()}, seed=seed)


# -- writing the demo files -------------------------------------------------------------
def build_demo(seed: int = DEFAULT_SEED, force: bool = False) -> str:
    """Generate the demo data and write them under ``data/demo/``.

    Writes the monitoring database (``monitoring.duckdb``: catalogue, regions,
    population and the observation panel as batch 1), the survey microdata
    (``child_survey_2025.parquet``), the weighting margins
    (``survey_margins_2025.csv``) and what was planted (``planted.csv``).
    Every file is first written under a temporary name and renamed when
    complete, so an interrupted build never leaves a half-written database.

    Returns a short description of what was written.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ...foundation import config
    from ...foundation.catalogue import load_catalogue
    from ..database import create_database
    from ...foundation.regions import load_regions

    paths = config.paths()
    if paths.database.exists() and not force:
        return f"Demo database exists: {paths.database} (use --force to rebuild)"
    catalogue, regions = load_catalogue(), load_regions()
    demo = generate_demo(catalogue.table, regions.table, seed=seed)
    paths.demo.mkdir(parents=True, exist_ok=True)
    meta = {"synthetic": "true", "seed": str(seed), "note_zh": SYNTHETIC_NOTE["zh"],
            "note_en": SYNTHETIC_NOTE["en"]}

    tmp_db = paths.database.with_name(f".{paths.database.name}.tmp")
    tmp_db.unlink(missing_ok=True)
    with create_database(tmp_db, catalogue, regions, meta=meta) as db:
        db.write_population(demo.population)
        db.write_observations(demo.observations, recorded_by="workbench demo",
                              reason=f"synthetic demo data, seed {seed}")
    tmp_db.replace(paths.database)

    table = pa.Table.from_pandas(demo.survey, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           b"synthetic": b"true",
                                           b"note": SYNTHETIC_NOTE["en"].encode()})
    _atomic(paths.demo_survey, lambda p: pq.write_table(table, p))
    _atomic(paths.demo_margins, lambda p: _write_marked_csv(demo.survey_margins, p))
    _atomic(paths.demo / "planted.csv", lambda p: _write_marked_csv(demo.planted, p))
    return (f"Synthetic demo data written to {paths.demo} (seed {seed}):\n"
            f"  monitoring.duckdb          {len(demo.observations):,} observations, "
            f"{demo.observations['indicator'].nunique()} indicators\n"
            f"  child_survey_2025.parquet  {len(demo.survey):,} children\n"
            f"  survey_margins_2025.csv    {len(demo.survey_margins):,} cells\n"
            f"  planted.csv                {len(demo.planted):,} planted items")


def _write_marked_csv(frame: pd.DataFrame, path: Path) -> None:
    """CSV whose first line says the data are synthetic (read with ``comment="#"``)."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(f"# {SYNTHETIC_NOTE['en']} / {SYNTHETIC_NOTE['zh']}\n")
        frame.to_csv(fh, index=False)


def _atomic(path: Path, write: Callable[[Path], object]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    write(tmp)
    tmp.replace(path)


# -- reading the demo files -------------------------------------------------------------
def _demo_file(name: str) -> Path:
    from ...foundation import config
    from ...foundation.errors import WorkbenchError

    path = config.paths().demo / name
    if not path.exists():
        raise WorkbenchError(f"Demo file not found: {path}. Build it with `workbench demo`.",
                             f"找不到演示数据文件：{path}。请先运行 `workbench demo`。")
    return path


def load_survey(identifiers: str = "drop") -> pd.DataFrame:
    """The demo special-survey microdata (synthetic), identifiers removed on load.

    The file carries fictitious names, ID numbers and phone numbers so that
    data protection has something to find; as with any microdata they are
    dropped (and ``child_id`` pseudonymised) unless ``identifiers="keep"``
    is asked for explicitly (see :func:`workbench.privacy.protect_identifiers`).
    """
    from ...protection.privacy import protect_identifiers

    frame = protect_identifiers(pd.read_parquet(_demo_file("child_survey_2025.parquet")),
                                identifiers)
    frame.attrs.update(synthetic=True, note=SYNTHETIC_NOTE)
    return frame


def load_survey_margins() -> pd.DataFrame:
    """Known population totals (district x sex x age group) for weighting the demo survey."""
    frame = pd.read_csv(_demo_file("survey_margins_2025.csv"), comment="#",
                        dtype={"region": str, "sex": str, "age_group": str})
    frame.attrs.update(synthetic=True, note=SYNTHETIC_NOTE)
    return frame


def load_planted() -> pd.DataFrame:
    """What the demo generator planted (off-track pairs, missingness), for checks."""
    frame = pd.read_csv(_demo_file("planted.csv"), comment="#", dtype=str,
                        keep_default_na=False)
    frame.attrs.update(synthetic=True, note=SYNTHETIC_NOTE)
    return frame
