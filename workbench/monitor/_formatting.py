"""Monitoring results shaped into the tables a report publishes, with Chinese or English labels."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..foundation.catalogue import Catalogue
from ..foundation.flags import CellFlags
from ..foundation.i18n import DIMENSIONS, check_lang, label
from ._labels import (
    WARNING_KINDS,
    status_label,
)


def _region_names(codes: pd.Series, names: pd.Series | dict) -> np.ndarray:
    """Region names for the codes; a code without a name shows as itself."""
    # as objects: codes none of which has a name map to float NaN, which pandas 4 will not
    # fill with text
    return codes.map(names).astype(object).fillna(codes).to_numpy()


def _dims_label(frame: pd.DataFrame, lang: str) -> pd.Series:
    parts = [frame[d].map(lambda v, d=d: "" if v == "total" else label(d, v, lang))
             for d in DIMENSIONS]
    text = parts[0].str.cat(parts[1:], sep=" ").str.strip().str.replace(r"\s+", " ", regex=True)
    return text.where(text != "", label("text", "total", lang))


def _unit_names(lang: str) -> pd.Series:
    from ..foundation.catalogue import load_units

    u = load_units().set_index("code")
    return u["name_zh" if check_lang(lang) == "zh" else "name_en"]


def _target_text(frame: pd.DataFrame) -> pd.Series:
    val = frame["target"].map(lambda v: "" if pd.isna(v) else f"{v:g}")
    star = np.where(frame["target_prov"] == "P", "*", "")
    text = frame["target_op"].fillna("") + " " + val + star
    return text.where(frame["target_op"].fillna("") != "", "—")


def projected_to_miss(status: pd.DataFrame) -> pd.Series:
    """True where the latest value meets the target but the projection to the target year
    does not ("achieved now but projected to miss the target").

    >>> f = pd.DataFrame({"group": ["achieved", "achieved"], "target_op": "<=",
    ...                   "target": 6.0, "projected": [4.9, 13.99]})
    >>> projected_to_miss(f).tolist()
    [False, True]
    """
    op, target, projected = status["target_op"], status["target"], status["projected"]
    miss = np.where(op.eq("<="), projected > target, np.where(op.eq(">="), projected < target,
                                                                 False))
    return pd.Series(miss, index=status.index) & status["group"].eq("achieved")


# the notes of the progress assessment (monitor._progress), for a Chinese report
_NOTES_ZH = {
    "fewer than two years with a value": "有数值的年份少于两年",
    "the base value is 0: growth rate undefined": "基期值为 0，无法计算增长率",
    "the values change sign: growth rate undefined": "数值正负号改变，无法计算增长率",
    "target and base value have opposite signs: growth rate undefined":
        "目标值与基期值符号相反，无法计算增长率",
    "the target equals the base value: required growth is 0": "目标值等于基期值，所需增长率为 0",
    "a value is on a bound of the logit scale: projected with the CAGR":
        "数值位于 logit 尺度边界，按年均增长率外推",
    "no growth and no required growth: progress ratio 0/0": "无增长且所需增长为 0，进展比为 0/0",
}
_PROJECTED_MISS = ("已达标，但预计到期未达标", "achieved now, projected to miss")


def _status_text(a: pd.DataFrame, lang: str) -> pd.Series:
    text = a["status"].map(lambda v: status_label(v, lang))
    return text.where(~projected_to_miss(a), _PROJECTED_MISS[0 if lang == "zh" else 1])


def format_status(assessment: pd.DataFrame, catalogue: Catalogue, names: pd.Series,
                  lang: str = "zh") -> pd.DataFrame:
    """A readable status table (one row per series) from :func:`assess`, in ``lang``."""
    zh = check_lang(lang) == "zh"
    a = assessment
    # the one column used, not the whole catalogue, through the reindex
    name = catalogue.table["name_zh" if zh else "name_en"].reindex(a["indicator"])
    col = {k: label("column", k, lang) for k in ("code", "name", "region", "year", "value")}
    return pd.DataFrame({
        col["code"]: a["indicator"].to_numpy(),
        col["name"]: name.to_numpy(),
        col["region"]: _region_names(a["region"], names),
        ("分组" if zh else "Group"): _dims_label(a, lang).to_numpy(),
        col["year"]: a["latest_year"].to_numpy(),
        col["value"]: a["latest_value"].round(2).to_numpy(),
        ("目标" if zh else "Target"): (_target_text(a) + " (" + a["target_year"].astype(str)
                                       + ")").to_numpy(),
        ("状态" if zh else "Status"): _status_text(a, lang).to_numpy(),
        ("进展比" if zh else "Ratio"): a["ratio"].round(3).to_numpy(),
        ("得分" if zh else "Score"): a["score"].round(2).to_numpy(),
        ("预计值" if zh else "Projected"): a["projected"].round(2).to_numpy(),
        ("达标概率" if zh else "P(meet target)"): (a["p_target"].round(2).to_numpy()
                                                   if "p_target" in a else np.nan),
        ("说明" if zh else "Note"): (a["note"].replace(_NOTES_ZH) if zh else a["note"]).to_numpy(),
    })


def format_warnings(warnings: pd.DataFrame, catalogue: Catalogue, names: pd.Series,
                    lang: str = "zh") -> pd.DataFrame:
    """The warning list from :func:`early_warnings` as a readable table in ``lang``."""
    zh = check_lang(lang) == "zh"
    w = warnings
    name = catalogue.table["name_zh" if zh else "name_en"].reindex(w["indicator"])
    return pd.DataFrame({
        label("column", "code", lang): w["indicator"].to_numpy(),
        label("column", "name", lang): name.to_numpy(),
        label("column", "region", lang): _region_names(w["region"], names),
        ("分组" if zh else "Group"): _dims_label(w, lang).to_numpy(),
        ("预警类型" if zh else "Warning"): w["kind_label"].to_numpy(),
        ("依据" if zh else "Evidence"): w["reason"].to_numpy(),
        label("column", "responsible_unit", lang):
            w["responsible_unit"].map(_unit_names(lang)).fillna(w["responsible_unit"]).to_numpy(),
    })


def format_districts(latest: pd.DataFrame, names: pd.Series, region: str,
                     lang: str = "zh") -> pd.DataFrame:
    """Latest values (:func:`latest_by_region`) as indicators x districts, plus the focus
    region's rank in the last column.

    Imputed and provisional values are carried as cell flags (``attrs["flags"]``), which
    the report prints as marks with a footnote (:mod:`workbench.reporting._flags`).
    """
    wide = latest.pivot(index="indicator", columns="region", values="value").round(2)
    wide = wide.rename(columns=names)
    kinds = [kind for kind in ("imputed", "provisional") if kind in latest]
    # both flags in one pivot (same rows as the values'); a pivot of the values with them
    # would turn the values into objects
    flags = latest.pivot(index="indicator", columns="region", values=kinds) \
        .fillna(False).astype(bool) if kinds else None  # a cell without a value: no flag
    rank_label = ("本区排名" if check_lang(lang) == "zh" else "Rank of ") + names[region]
    wide[rank_label] = latest[latest["region"] == region].set_index("indicator")["rank"]
    out = wide.reset_index()
    out.attrs["flags"] = CellFlags({
        kind: flags[kind].rename(columns=names).reset_index(drop=True) for kind in kinds})
    return out


def format_gaps(gaps: pd.DataFrame, catalogue: Catalogue, lang: str = "zh") -> pd.DataFrame:
    """The table of :func:`data_gaps` with indicator names and headers in ``lang``."""
    zh = check_lang(lang) == "zh"
    out = gaps.copy()
    out.insert(1, "name", catalogue.table.loc[out["indicator"], "name_" + lang].to_numpy())
    out = out.rename(columns={"n_regions": "有数据的地区数" if zh else "Regions with data",
                              "n_years": "有数据的年份数" if zh else "Years with data",
                              "no_data": "无数据" if zh else "No data"})
    out.attrs["counts_of"] = "regions and years"  # not children: no disclosure control needed
    return out


def warning_counts(warnings: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Number of warnings by kind (all series and undisaggregated series only)."""
    zh = check_lang(lang) == "zh"
    total = (warnings[list(DIMENSIONS)] == "total").all(axis=1)
    kinds = [k for k in WARNING_KINDS if k in set(warnings["kind"])]
    out = pd.DataFrame({
        ("预警类型" if zh else "Warning"): [status_label(k, lang) for k in kinds],
        ("全部序列" if zh else "All series"):
            warnings["kind"].value_counts().reindex(kinds).to_numpy(),
        ("合计行" if zh else "Totals only"):
            warnings.loc[total, "kind"].value_counts().reindex(kinds, fill_value=0).to_numpy(),
    })
    out.attrs["counts_of"] = "series"  # not children: no disclosure control needed
    return out

