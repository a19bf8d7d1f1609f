"""Evaluation summaries (annual, mid-term, final), the latest values by region and data gaps."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..foundation.catalogue import Catalogue
from ..foundation.errors import WorkbenchError, choices_text
from ..foundation.i18n import DIMENSIONS, check_lang
from ..foundation.regions import Regions
from ._labels import (
    EVALUATIONS,
    STATUS_GROUPS,
    _check_choice,
    status_label,
)


# -- evaluation summaries, regional comparison, data gaps ---------------------------------------
def evaluation_summary(assessment: pd.DataFrame, catalogue: Catalogue,
                       lang: str = "zh", register: pd.DataFrame | None = None,
                       year: int | None = None) -> pd.DataFrame:
    """Counts of indicator x region series by domain and traffic-light group.

    Every catalogue indicator counts: one without any series in ``assessment`` adds one
    ``no_data`` row per region assessed.  ``monitorable`` is the share of the domain's
    indicators with at least one assessable series (as monitoring reports present it).
    With a warning ``register`` (:func:`build_register`) and the evaluation ``year``, two
    columns count the warnings raised up to ``year`` and those resolved by then.

    Examples
    --------
    >>> from workbench.catalogue import load_catalogue
    >>> from workbench.database import connect
    >>> cat = load_catalogue()
    >>> with connect() as db:
    ...     obs = db.observations(regions=["210102"])
    >>> from workbench.monitor import assess
    >>> evaluation_summary(assess(obs, cat), cat, "en").columns[:2].tolist()
    ['domain', 'Domain']
    """
    zh = check_lang(lang) == "zh"
    a = assessment[(assessment[list(DIMENSIONS)] == "total").all(axis=1)]
    regions = max(a["region"].nunique(), 1)
    t = catalogue.table
    absent = t.index.difference(a["indicator"].unique())
    gaps = pd.DataFrame({"indicator": absent, "domain": t.loc[absent, "domain"].to_numpy(),
                         "group": "no_data", "n": regions})
    rows = pd.concat([a.assign(n=1)[["indicator", "domain", "group", "n"]], gaps])
    counts = rows.pivot_table(index="domain", columns="group", values="n", aggfunc="sum",
                              fill_value=0).reindex(columns=list(STATUS_GROUPS), fill_value=0)
    counts = counts.reindex([d for d in t["domain"].unique()], fill_value=0)
    assessable = a[a["group"] != "no_data"].groupby("domain")["indicator"].nunique()
    n_ind = t.groupby("domain").size().reindex(counts.index)
    out = counts.rename(columns=lambda g: status_label(g, lang))
    out.insert(0, "指标数" if zh else "Indicators", n_ind.to_numpy())
    out["可监测比例" if zh else "Monitorable"] = (
        assessable.reindex(counts.index, fill_value=0) / n_ind).round(3).to_numpy()
    out = out.reset_index()
    out.insert(1, "领域" if zh else "Domain",
               out["domain"].map(lambda d: _domain_name(catalogue, d, lang)))
    total = out.select_dtypes("number").sum()
    total["可监测比例" if zh else "Monitorable"] = round(
        assessable.sum() / n_ind.sum(), 3) if n_ind.sum() else np.nan
    out = pd.concat([out, pd.DataFrame([{"domain": "all", out.columns[1]:
                                         "合计" if zh else "All", **total}])],
                    ignore_index=True)
    counts_cols = out.columns[2:-1]
    out[counts_cols] = out[counts_cols].astype(int)
    out.columns.name = None
    if register is not None:
        out = _with_resolved(out, register, catalogue, year, zh)
    return out


def _with_resolved(out: pd.DataFrame, register: pd.DataFrame, catalogue: Catalogue,
                   year: int | None, zh: bool) -> pd.DataFrame:
    from ._register import resolved_by_domain

    if year is None:
        raise WorkbenchError("evaluation_summary: give the evaluation year with the register",
                             "evaluation_summary：提供预警台账时须同时给出评估年份 year")
    r = resolved_by_domain(register, catalogue, year)
    r.loc["all"] = r.sum()
    raised, resolved = ("预警数", "已解除") if zh else ("Warnings raised", "Warnings resolved")
    out[raised] = out["domain"].map(r["warnings_raised"]).fillna(0).astype(int).to_numpy()
    out[resolved] = out["domain"].map(r["warnings_resolved"]).fillna(0).astype(int).to_numpy()
    return out


def _domain_name(cat: Catalogue, domain: str, lang: str) -> str:
    from ..foundation.catalogue import load_domains

    names = load_domains().set_index("code")
    if domain not in names.index:
        return domain
    return str(names.loc[domain, "name_zh" if check_lang(lang) == "zh" else "name_en"])


def latest_by_region(obs: pd.DataFrame, catalogue: Catalogue, indicators: Sequence[str],
                     year: int = 2025) -> pd.DataFrame:
    """Latest total value (up to ``year``) by region with a rank, 1 = best for the direction.

    Examples
    --------
    >>> from workbench.catalogue import load_catalogue
    >>> from workbench.database import connect
    >>> with connect() as db:
    ...     obs = db.observations(indicators=["H03"])
    >>> int(latest_by_region(obs, load_catalogue(), ["H03"])["rank"].min())
    1
    """
    catalogue.check_codes(indicators)
    keep = obs["indicator"].isin(indicators).to_numpy() & (obs["year"] <= year).to_numpy() \
        & _all_total(obs)
    # the columns published only, in one selection: each step costs per column
    o = obs.loc[keep, ["indicator", "region", "year", "value", "imputed", "provisional"]] \
        .sort_values("year")
    last = o.groupby(["indicator", "region"], observed=True).tail(1)
    lower = catalogue.table["direction"].reindex(last["indicator"]).to_numpy() == "lower"
    key = np.where(lower, last["value"], -last["value"])
    rank = pd.Series(key, index=last.index).groupby(last["indicator"]).rank(method="min")
    return last.assign(rank=rank)[["indicator", "region", "year", "value", "imputed",
                                   "provisional", "rank"]].reset_index(drop=True)


def data_gaps(obs: pd.DataFrame, catalogue: Catalogue, domain: str | None = None,
              regions: Sequence[str] | None = None, year: int = 2025) -> pd.DataFrame:
    """Per indicator: regions and years with any value, and whether the indicator has none.

    Examples
    --------
    >>> from workbench.catalogue import load_catalogue
    >>> from workbench.database import connect
    >>> with connect() as db:
    ...     obs = db.observations(breakdown="total")
    >>> gaps = data_gaps(obs, load_catalogue(), "health")
    >>> gaps.loc[gaps["no_data"], "indicator"].tolist()
    ['H09', 'H16']
    """
    t = catalogue.table if domain is None else catalogue.in_domain(domain)
    codes = list(t.index)
    keep = obs["indicator"].isin(codes) & (obs["year"] <= year)
    if regions is not None:
        keep &= obs["region"].isin(regions)
    o = obs.loc[keep.to_numpy(), ["indicator", "region", "year"]]
    g = o.groupby("indicator")
    out = pd.DataFrame({"n_regions": g["region"].nunique(), "n_years": g["year"].nunique(),
                        "first_year": g["year"].min(), "last_year": g["year"].max()})
    out = out.reindex(codes)
    out[["n_regions", "n_years"]] = out[["n_regions", "n_years"]].fillna(0).astype(int)
    out["no_data"] = out["n_years"] == 0
    out.index.name = "indicator"
    return out.reset_index()



# -- presentation helpers for the notebooks -----------------------------------------------------
def totals(frame: pd.DataFrame) -> pd.DataFrame:
    """The undisaggregated rows (every breakdown dimension ``total``) of a tidy frame.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"sex": ["total", "male"], "age_group": "total",
    ...                    "residence": "total", "hukou": "total"})
    >>> len(totals(df))
    1
    """
    return frame[_all_total(frame)]


def _all_total(frame: pd.DataFrame) -> np.ndarray:
    """True for rows with every breakdown dimension ``total`` (one array, no frame between)."""
    return np.logical_and.reduce([(frame[d] == "total").to_numpy() for d in DIMENSIONS])


def evaluation_target_year(evaluation: str) -> int:
    """The target year an evaluation type judges against (annual/final 2030, midterm 2025).

    Examples
    --------
    >>> evaluation_target_year("midterm")
    2025
    """
    _check_choice("evaluation", evaluation, tuple(EVALUATIONS))
    return EVALUATIONS[evaluation]


def select_regions(regions: Sequence[str], known: Regions) -> list[str]:
    """District codes for a ``regions`` parameter: ``["all"]`` or a list of codes.

    Examples
    --------
    >>> from workbench.regions import load_regions
    >>> len(select_regions(["all"], load_regions()))
    13
    """
    districts = known.at_level("district")["code"].tolist()
    if list(regions) == ["all"]:
        return districts
    other = [str(r) for r in regions if r not in districts]
    if other or not list(regions):
        raise WorkbenchError(f"regions must be district codes or ['all']; not districts: "
                             f"{', '.join(other) or '(empty list)'}; valid: "
                             f"{choices_text(districts)}",
                             f"regions 必须是区县代码或 ['all']；以下不是区县：{'、'.join(other)}；"
                             f"可选：{choices_text(districts)}")
    return list(regions)

