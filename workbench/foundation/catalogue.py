"""The indicator catalogue: what is monitored, how, against which targets.

The catalogue lives as data (``data/catalogue/indicators.csv``) and is
validated on load: a bad row is reported with its line number, column and the
valid choices.  Every baseline and target carries a provenance tag
(F published, D derived, R programme text not re-verified, P demo
placeholder), so no placeholder is ever shown as an official target.

Examples
--------
>>> from workbench.catalogue import load_catalogue
>>> cat = load_catalogue()
>>> cat["H03"].name_en
'Under-five mortality rate'
>>> len(cat.in_domain("health")) > 5
True
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from . import config
from .errors import ValidationError, WorkbenchError, choices_text
from .files import file_version
from .i18n import check_lang, label

__all__ = [
    "Catalogue", "Indicator", "load_catalogue", "load_domains", "load_units",
    "DOMAINS", "UNITS", "UNIT_SCALE", "UNIT_RANGE", "DIRECTIONS", "TARGET_TYPES",
    "TARGET_OPS", "PROVENANCE_TAGS", "SOURCE_TYPES", "DISAGGREGATIONS",
]

DOMAINS = ("health", "safety", "education", "welfare", "family", "environment",
           "legal_protection")
# Multiplier from numerator/denominator to the published value.
UNIT_SCALE = {
    "percent": 100.0, "per_1000": 1_000.0, "per_10000": 10_000.0, "per_100000": 100_000.0,
    "per_1000_children": 1_000.0, "per_1000_population": 1_000.0,
    "count": math.nan, "cny_per_month": math.nan, "binary": math.nan,
}
UNITS = tuple(UNIT_SCALE)
# The range a value can take at all (not a plausibility range).
UNIT_RANGE = {
    "percent": (0.0, 100.0), "per_1000": (0.0, 1_000.0), "per_10000": (0.0, 10_000.0),
    "per_100000": (0.0, 100_000.0), "per_1000_children": (0.0, math.inf),
    "per_1000_population": (0.0, math.inf), "count": (0.0, math.inf),
    "cny_per_month": (0.0, math.inf), "binary": (0.0, 1.0),
}
DIRECTIONS = ("higher", "lower")
TARGET_TYPES = ("target", "maintain", "relative", "binary", "none")
TARGET_OPS = ("<=", ">=", "==")
PROVENANCE_TAGS = ("F", "D", "R", "P")
SOURCE_TYPES = ("admin", "survey", "admin+survey")
DISAGGREGATIONS = ("sex", "age_group", "residence", "hukou")
AGE_GROUPS = ("0-2", "3-5", "6-11", "12-14", "15-17")
ASSESSMENT_METHODS = ("opensdg", "threshold", "no_target", "binary")

_COLUMNS = [
    "code", "name_zh", "name_en", "domain", "unit", "unit_zh", "unit_en", "direction",
    "target_type", "baseline_2020", "baseline_2020_prov", "baseline_2020_national",
    "baseline_2020_national_prov", "target_2025_op", "target_2025", "target_2025_prov",
    "target_2030_op", "target_2030", "target_2030_prov", "disaggregations",
    "other_breakdowns", "age_groups", "denominator", "source_type", "responsible_unit",
    "co_units", "assessment_method", "notes",
]
_NUMERIC = ["baseline_2020", "baseline_2020_national", "target_2025", "target_2030"]
_VOCAB = {
    "domain": DOMAINS, "unit": UNITS, "direction": DIRECTIONS, "target_type": TARGET_TYPES,
    "source_type": SOURCE_TYPES, "assessment_method": ASSESSMENT_METHODS,
}


@dataclass(frozen=True)
class Indicator:
    """One catalogue row, with typed fields and helpers."""

    code: str
    name_zh: str
    name_en: str
    domain: str
    unit: str
    unit_zh: str
    unit_en: str
    direction: str
    target_type: str
    baseline_2020: float
    baseline_2020_prov: str
    target_2025_op: str
    target_2025: float
    target_2025_prov: str
    target_2030_op: str
    target_2030: float
    target_2030_prov: str
    disaggregations: tuple[str, ...]
    age_groups: tuple[str, ...]
    source_type: str
    responsible_unit: str

    def name(self, lang: str = "zh") -> str:
        """The indicator's name in ``lang``."""
        return self.name_zh if check_lang(lang) == "zh" else self.name_en

    def unit_label(self, lang: str = "zh") -> str:
        return self.unit_zh if check_lang(lang) == "zh" else self.unit_en

    @property
    def scale(self) -> float:
        """Multiplier from numerator/denominator to the value (NaN if not a ratio)."""
        return UNIT_SCALE[self.unit]

    @property
    def value_range(self) -> tuple[float, float]:
        return UNIT_RANGE[self.unit]

    def target(self, year: int) -> tuple[str, float, str] | None:
        """``(operator, value, provenance)`` of the target for ``year`` or None."""
        if year not in (2025, 2030):
            raise WorkbenchError(f"Targets exist for 2025 and 2030, not {year}",
                                 f"目标年份只有 2025 和 2030，没有 {year}")
        op = getattr(self, f"target_{year}_op")
        if not op:
            return None
        return op, getattr(self, f"target_{year}"), getattr(self, f"target_{year}_prov")

    def __repr__(self) -> str:
        t30 = self.target(2030)
        target = f"{t30[0]} {t30[1]:g} ({t30[2]})" if t30 else "none"
        return (f"<Indicator {self.code} {self.name_zh} / {self.name_en}: {self.unit_en}, "
                f"{self.direction} is better, 2030 target {target}, {self.source_type}, "
                f"{self.responsible_unit}>")

    def _repr_html_(self) -> str:
        t30 = self.target(2030)
        target = f"{t30[0]} {t30[1]:g} ({t30[2]})" if t30 else "—"
        return (f"<b>{self.code}</b> {self.name_zh} / {self.name_en}<br>"
                f"{self.domain} · {self.unit_en} · {self.direction} is better · "
                f"2030 target {target} · {self.source_type} · {self.responsible_unit}")


class Catalogue:
    """The validated indicator catalogue.

    Parameters
    ----------
    table : DataFrame
        One row per indicator with the columns documented in
        ``data/catalogue/README.md``.  Validated on construction.
    """

    def __init__(self, table: pd.DataFrame, domains: pd.DataFrame | None = None,
                 units: pd.DataFrame | None = None):
        self.table = _validate(table).set_index("code", drop=False)
        self.domains = domains
        self.units = units

    @classmethod
    def _validated(cls, table: pd.DataFrame, domains: pd.DataFrame | None,
                   units: pd.DataFrame | None) -> Catalogue:
        """A catalogue from a table :func:`_validate` has already passed."""
        self = cls.__new__(cls)
        self.table = table.set_index("code", drop=False)
        self.domains, self.units = domains, units
        return self

    # -- access ---------------------------------------------------------------
    @property
    def codes(self) -> list[str]:
        return list(self.table["code"])

    def __len__(self) -> int:
        return len(self.table)

    def __iter__(self) -> Iterator[Indicator]:
        return (self[c] for c in self.codes)

    def __contains__(self, code: object) -> bool:
        return code in self.table.index

    def __getitem__(self, code: str) -> Indicator:
        self.check_codes([code])
        row = self.table.loc[code]
        fields = {f: row[f] for f in Indicator.__dataclass_fields__
                  if f not in ("disaggregations", "age_groups")}
        fields.update({f: float(row[f]) for f in _NUMERIC if f in fields})
        return Indicator(
            **fields,
            disaggregations=_split(row["disaggregations"]),
            age_groups=_split(row["age_groups"]),
        )

    def check_codes(self, codes: list[str] | tuple[str, ...] | pd.Series) -> None:
        """Raise a clear error naming unknown codes and the valid ones."""
        unknown = sorted({str(c) for c in codes} - set(self.table.index))
        if unknown:
            raise WorkbenchError(
                f"Unknown indicator code(s): {', '.join(unknown)}. "
                f"Valid codes: {choices_text(self.codes)}",
                f"未知的指标代码：{', '.join(unknown)}。可选：{choices_text(self.codes)}",
            )

    def in_domain(self, domain: str) -> pd.DataFrame:
        """Indicators of one domain (see ``DOMAINS``)."""
        if domain not in DOMAINS:
            raise WorkbenchError(f"Unknown domain {domain!r}; valid: {choices_text(DOMAINS)}",
                                 f"未知领域 {domain!r}；可选：{choices_text(DOMAINS)}")
        return self.table[self.table["domain"] == domain]

    def reported_by(self, unit: str) -> pd.DataFrame:
        """Indicators whose primary responsible unit is ``unit``."""
        valid = sorted(self.table["responsible_unit"].unique())
        if unit not in valid:
            raise WorkbenchError(f"Unknown responsible unit {unit!r}; valid: {choices_text(valid)}",
                                 f"未知责任单位 {unit!r}；可选：{choices_text(valid)}")
        return self.table[self.table["responsible_unit"] == unit]

    def summary(self, lang: str = "zh") -> pd.DataFrame:
        """Indicators per domain and source type, as a tidy table."""
        check_lang(lang)
        counts = (self.table.groupby(["domain", "source_type"]).size()
                  .unstack(fill_value=0).reindex(DOMAINS, fill_value=0))
        counts["total"] = counts.sum(axis=1)
        counts.columns = [label("source_type", c, lang) if c != "total"
                          else label("text", "total", lang) for c in counts.columns]
        if self.domains is not None:
            names = self.domains.set_index("code")["name_zh" if lang == "zh" else "name_en"]
            counts.index = counts.index.map(lambda d: names.get(d, d))
        counts.index.name = "domain"
        out = counts.reset_index()
        out.attrs["counts_of"] = "indicators"  # not children: no disclosure control needed
        return out

    def display_table(self, lang: str = "zh") -> pd.DataFrame:
        """A readable table: code, name, domain, unit, direction, baseline and targets.

        Placeholder values (provenance P) are marked with an asterisk.
        """
        check_lang(lang)
        t = self.table
        name = t["name_zh"] if lang == "zh" else t["name_en"]
        unit = t["unit_zh"] if lang == "zh" else t["unit_en"]

        def with_tag(col: str) -> pd.Series:
            v = t[col].map(lambda x: "" if pd.isna(x) else f"{x:g}")
            op = t.get(f"{col}_op")
            tagged = v if op is None else op + " " + v
            mark = t[f"{col}_prov"].eq("P").map({True: "*", False: ""})
            return tagged.str.strip() + mark

        return pd.DataFrame({
            "code": t["code"], "name": name, "domain": t["domain"], "unit": unit,
            "direction": t["direction"], "baseline_2020": with_tag("baseline_2020"),
            "target_2025": with_tag("target_2025"), "target_2030": with_tag("target_2030"),
            "source_type": t["source_type"], "responsible_unit": t["responsible_unit"],
        }).reset_index(drop=True)

    def __repr__(self) -> str:
        per = self.table["domain"].value_counts().reindex(DOMAINS, fill_value=0)
        parts = ", ".join(f"{d} {n}" for d, n in per.items())
        return f"<Catalogue: {len(self)} indicators ({parts})>"

    def _repr_html_(self) -> str:
        head = f"<p><b>Indicator catalogue</b>: {len(self)} indicators</p>"
        return head + self.summary("en").to_html(index=False)


def _split(cell: object) -> tuple[str, ...]:
    if cell is None or (isinstance(cell, float) and math.isnan(cell)) or cell == "":
        return ()
    return tuple(p.strip() for p in str(cell).split(";") if p.strip())


def _validate(raw: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in _COLUMNS if c not in raw.columns]
    if missing:
        raise ValidationError(f"Catalogue lacks column(s): {', '.join(missing)}",
                              f"指标目录缺少列：{', '.join(missing)}")
    table = raw[_COLUMNS].copy()
    text_cols = [c for c in _COLUMNS if c not in _NUMERIC]
    table[text_cols] = table[text_cols].fillna("").astype(str).apply(lambda s: s.str.strip())
    problems: list[dict] = []
    _check_numeric(table, problems)
    _check_vocab(table, problems)
    _check_lists(table, problems)
    _check_targets(table, problems)
    dup = table["code"][table["code"].duplicated(keep=False)]
    problems += [_problem(i, "code", c, "duplicate indicator code") for i, c in dup.items()]
    problems += [_problem(i, "code", "", "empty indicator code")
                 for i in table.index[table["code"] == ""]]
    if problems:
        raise ValidationError(f"Indicator catalogue has {len(problems)} problem(s)",
                              f"指标目录有 {len(problems)} 处错误", problems=problems)
    return table


def _problem(index: int, column: str, value: object, reason: str) -> dict:
    # index + 2: one for the header line, one for 1-based line numbers
    return {"row": int(index) + 2, "column": column, "value": value, "reason": reason}


def _check_numeric(table: pd.DataFrame, problems: list[dict]) -> None:
    for col in _NUMERIC:
        parsed = pd.to_numeric(table[col], errors="coerce")
        bad = parsed.isna() & table[col].notna() & (table[col].astype(str).str.strip() != "")
        problems += [_problem(i, col, table.at[i, col], "not a number") for i in table.index[bad]]
        table[col] = parsed.astype(float)


def _check_vocab(table: pd.DataFrame, problems: list[dict]) -> None:
    for col, valid in _VOCAB.items():
        bad = ~table[col].isin(valid)
        problems += [_problem(i, col, table.at[i, col],
                              f"{table.at[i, col]!r} is not one of {choices_text(valid)}")
                     for i in table.index[bad]]
    for col in ("baseline_2020_prov", "target_2025_prov", "target_2030_prov"):
        bad = ~table[col].isin(("", *PROVENANCE_TAGS))
        problems += [_problem(i, col, table.at[i, col],
                              f"provenance must be one of {choices_text(PROVENANCE_TAGS)}")
                     for i in table.index[bad]]


def _check_lists(table: pd.DataFrame, problems: list[dict]) -> None:
    for col, valid in (("disaggregations", DISAGGREGATIONS), ("age_groups", AGE_GROUPS)):
        for i, cell in table[col].items():
            wrong = [p for p in _split(cell) if p not in valid]
            if wrong:
                problems.append(_problem(i, col, cell, f"{', '.join(wrong)} not in "
                                                       f"{choices_text(valid)}"))


def _check_targets(table: pd.DataFrame, problems: list[dict]) -> None:
    for year in (2025, 2030):
        op, val, prov = (f"target_{year}_op", f"target_{year}", f"target_{year}_prov")
        bad_op = ~table[op].isin(("", *TARGET_OPS))
        problems += [_problem(i, op, table.at[i, op], f"operator must be one of "
                                                       f"{choices_text(TARGET_OPS)}")
                     for i in table.index[bad_op]]
        no_value = (table[op] != "") & table[val].isna()
        problems += [_problem(i, val, "", "target operator given without a value")
                     for i in table.index[no_value]]
        no_tag = table[val].notna() & (table[prov] == "")
        problems += [_problem(i, prov, "", "target without a provenance tag")
                     for i in table.index[no_tag]]
    untagged = table["baseline_2020"].notna() & (table["baseline_2020_prov"] == "")
    problems += [_problem(i, "baseline_2020_prov", "", "baseline without a provenance tag")
                 for i in table.index[untagged]]


# Reports format every table with the catalogue: reading and validating the CSV once per
# file version (not once per table) saves 0.04 s a table.  The caches hold
# frames that callers never see: every call returns a copy.
@lru_cache(maxsize=4)
def _validated_catalogue(stamp: tuple[str, int, int]) -> pd.DataFrame:
    raw = pd.read_csv(stamp[0], dtype=str, keep_default_na=False, encoding="utf-8")
    return _validate(raw)


@lru_cache(maxsize=4)
def _read_domains(stamp: tuple[str, int, int]) -> pd.DataFrame:
    return pd.read_csv(stamp[0], dtype={"order": int}).sort_values("order").reset_index(drop=True)


@lru_cache(maxsize=4)
def _read_units(stamp: tuple[str, int, int]) -> pd.DataFrame:
    return pd.read_csv(stamp[0], dtype=str)


def load_domains(path: str | Path | None = None) -> pd.DataFrame:
    """The seven domains with their Chinese and English names, in order."""
    return _read_domains(file_version(Path(path) if path else config.paths().domains)).copy()


def load_units(path: str | Path | None = None) -> pd.DataFrame:
    """The responsible units (departments that report indicators)."""
    return _read_units(file_version(Path(path) if path else config.paths().units)).copy()


def load_catalogue(path: str | Path | None = None) -> Catalogue:
    """Load and validate the indicator catalogue.

    Parameters
    ----------
    path : str or Path, optional
        A catalogue CSV; defaults to the project's ``data/catalogue/indicators.csv``.

    Returns
    -------
    Catalogue
    """
    p = Path(path) if path else config.paths().catalogue
    if not p.exists():
        raise WorkbenchError(f"Catalogue file not found: {p}", f"找不到指标目录文件：{p}")
    default = path is None
    return Catalogue._validated(_validated_catalogue(file_version(p)).copy(),
                                load_domains() if default else None,
                                load_units() if default else None)
