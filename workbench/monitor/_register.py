"""Dynamic early warning (动态预警): warnings followed from year to year with their responses.

A warning is identified by the stable key ``indicator x region x breakdown x kind``.  For a
report year each key is ``new`` (not warned in the previous assessed year), ``persisting``
(warned then and now; ``years_warned`` counts the unbroken run of assessed years) or
``resolved`` (warned in the previous assessed year, not now).  The responsible unit's
responses (measure taken and date, from ``workbench db respond``) are attached, so the
report shows what was done about each warning (精准干预、整改落实).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..foundation.catalogue import Catalogue
from ..foundation.errors import WorkbenchError
from ..foundation.i18n import check_lang
from ._labels import KEYS, status_label
from ._warnings import early_warnings

REGISTER_KEY = [*KEYS, "kind"]
REGISTER_STATES = ("new", "persisting", "resolved")
REGISTER_KINDS = {"projected_miss_2025": "target_2025", "missed_2025": "target_2025"}


def build_register(obs: pd.DataFrame, catalogue: Catalogue, years: Iterable[int],
                   lang: str = "zh") -> pd.DataFrame:
    """The warnings of each assessment year, as each year's report saw them.

    Every year is assessed on the observations up to that year only (one
    :func:`early_warnings` run per year).  ``projected_miss_2025`` and ``missed_2025`` are
    registered as one kind, ``target_2025``, so that a projected miss that became a miss
    persists rather than being "resolved" and raised anew; ``reason`` says which it was.

    Examples
    --------
    >>> from workbench.catalogue import load_catalogue
    >>> from workbench.database import connect
    >>> with connect() as db:
    ...     obs = db.observations(indicators=["H12"], regions=["210102"])
    >>> reg = build_register(obs, load_catalogue(), [2024, 2025], "en")
    >>> sorted(reg["year"].unique().tolist())
    [2024, 2025]
    """
    years = sorted({int(y) for y in years})
    if not years:
        raise WorkbenchError("years must list at least one assessment year",
                             "years 至少要有一个评估年份")
    # a year before the first value cannot be assessed: the register starts with the data
    # (a database holding only its first year has a one-year register, every warning new)
    valued = obs.loc[obs["value"].notna(), "year"] if "value" in obs else obs.get("year")
    if valued is not None and len(valued):
        years = [y for y in years if y >= int(valued.min())] or years[-1:]
    frames = [early_warnings(obs, catalogue, y, lang) for y in years]   # one run per year
    out = pd.concat(frames, ignore_index=True)
    # a 2025 target projected to be missed, then missed, is one warning that persists
    out["kind"] = out["kind"].replace(REGISTER_KINDS)
    out.attrs["years"] = years
    return out


def register_status(register: pd.DataFrame, year: int, years: Iterable[int] | None = None,
                    responses: pd.DataFrame | None = None) -> pd.DataFrame:
    """New, persisting and resolved warnings of ``year`` with the latest response.

    ``years`` are the assessed years (default ``register.attrs["years"]`` or the years
    present); the previous assessed year decides new and resolved.

    Returns
    -------
    DataFrame
        Keys, ``state``, ``years_warned`` (unbroken run of assessed years with the warning,
        ending at ``year``, or at the previous year for a resolved one), ``since``,
        ``reason``, ``responsible_unit``, ``n_responses``, ``response``, ``response_date``.
    """
    assessed = sorted({int(y) for y in (years if years is not None else register.attrs.get(
        "years", register["year"].unique()))})
    if year not in assessed:
        raise WorkbenchError(f"year {year} was not assessed; assessed years: {assessed}",
                             f"{year} 年未评估；已评估年份：{assessed}")
    upto = [y for y in assessed if y <= year]
    prev = upto[-2] if len(upto) > 1 else None
    reg = register[register["year"].isin(upto)]
    warned = (reg.assign(hit=True).pivot_table(index=REGISTER_KEY, columns="year",
                                                values="hit", aggfunc="any")
              .reindex(columns=upto).fillna(0).astype(bool))
    now = warned[year]
    before = warned[prev] if prev is not None else pd.Series(False, index=warned.index)
    keep = now | before
    state = np.where(now & before, "persisting", np.where(now, "new", "resolved"))
    # unbroken run of warned years ending at the year (now) or at the previous year
    flags = warned.astype(int)
    run_now = flags[upto[::-1]].cumprod(axis=1).sum(axis=1)
    run_prev = flags[upto[-2::-1]].cumprod(axis=1).sum(axis=1) if prev is not None else 0
    run = np.where(now, run_now, run_prev)
    last_idx = np.where(now, len(upto) - 1, len(upto) - 2)
    since = np.array(upto)[np.maximum(last_idx - run + 1, 0)]
    out = pd.DataFrame({"state": state, "years_warned": run.astype(int), "since": since},
                       index=warned.index)[keep.to_numpy()]
    latest = reg.sort_values("year").drop_duplicates(REGISTER_KEY, keep="last")
    out = out.join(latest.set_index(REGISTER_KEY)[["reason", "responsible_unit"]])
    out = _attach_responses(out, responses)
    order = {s: i for i, s in enumerate(REGISTER_STATES)}
    out = out.reset_index().sort_values(["state", "indicator", "region"],
                                        key=lambda c: c.map(order) if c.name == "state" else c)
    out.insert(0, "year", year)
    return out.reset_index(drop=True)


def _attach_responses(out: pd.DataFrame, responses: pd.DataFrame | None) -> pd.DataFrame:
    if responses is None or responses.empty:
        return out.assign(n_responses=0, response="", response_date=pd.NaT)
    r = responses.sort_values(["response_date", "response_id"])
    g = r.groupby(REGISTER_KEY, observed=True)
    last = g.tail(1).set_index(REGISTER_KEY)
    out = out.join(g.size().rename("n_responses"))
    out = out.join(last[["measure", "response_date"]].rename(columns={"measure": "response"}))
    return out.assign(n_responses=out["n_responses"].fillna(0).astype(int),
                      response=out["response"].fillna(""))


def format_register(status: pd.DataFrame, catalogue: Catalogue, names: pd.Series,
                    lang: str = "zh") -> pd.DataFrame:
    """The register status (:func:`register_status`) as a readable table in ``lang``."""
    from ._formatting import _dims_label, _region_names, _unit_names

    zh = check_lang(lang) == "zh"
    s = status
    ind = catalogue.table.reindex(s["indicator"])
    state = s["state"].map(lambda v: status_label(v, lang))
    years = s["years_warned"].astype(str) + ("年" if zh else " y")
    date = s["response_date"].map(lambda d: "" if pd.isna(d) else str(pd.Timestamp(d).date()))
    out = pd.DataFrame({
        ("代码" if zh else "Code"): s["indicator"].to_numpy(),
        ("名称" if zh else "Name"): ind["name_zh" if zh else "name_en"].to_numpy(),
        ("地区" if zh else "Region"): _region_names(s["region"], names),
        ("分组" if zh else "Group"): _dims_label(s, lang).to_numpy(),
        ("预警类型" if zh else "Warning"):
            s["kind"].map(lambda k: status_label(k, lang)).to_numpy(),
        ("状态" if zh else "State"): np.where(s["state"] == "persisting",
                                              state + " " + years, state),
        ("自" if zh else "Since"): s["since"].to_numpy(),
        ("整改措施" if zh else "Response"): (s["response"] + np.where(
            date != "", " (" + date + ")", "")).to_numpy(),
        ("责任单位" if zh else "Responsible unit"):
            s["responsible_unit"].map(_unit_names(lang)).fillna(s["responsible_unit"])
            .to_numpy(),
    })  # arrays only: the register's row labels are not a column of the publication
    out.attrs["counts_of"] = "years"  # "since" is a year, not a count of children
    return out


def register_counts(status: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Warnings by kind and state (new / persisting / resolved), with responses recorded."""
    zh = check_lang(lang) == "zh"
    table = status.pivot_table(index="kind", columns="state", values="region", aggfunc="size",
                               fill_value=0).reindex(columns=list(REGISTER_STATES),
                                                     fill_value=0)
    answered = status[status["n_responses"] > 0].groupby("kind").size()
    table["responded"] = answered.reindex(table.index, fill_value=0)
    table.index = [status_label(k, lang) for k in table.index]
    table = table.rename(columns=lambda c: status_label(c, lang))
    table.index.name = "预警类型" if zh else "Warning"
    table.columns.name = None
    out = table.reset_index()
    out.attrs["counts_of"] = "warnings"  # not children: no disclosure control needed
    return out


def resolved_by_domain(register: pd.DataFrame, catalogue: Catalogue, year: int,
                       years: Iterable[int] | None = None) -> pd.DataFrame:
    """Per domain: warnings raised up to ``year`` (distinct keys) and how many are resolved.

    A key is resolved when it is not warned in ``year`` (the evaluation year).
    """
    assessed = sorted({int(y) for y in (years if years is not None else register.attrs.get(
        "years", register["year"].unique()))})
    reg = register[register["year"].isin([y for y in assessed if y <= year])]
    keys = reg.drop_duplicates(REGISTER_KEY)[REGISTER_KEY]
    now = reg[reg["year"] == year].drop_duplicates(REGISTER_KEY)[REGISTER_KEY]
    flag = keys.merge(now.assign(open=True), on=REGISTER_KEY, how="left")
    flag["domain"] = catalogue.table["domain"].reindex(flag["indicator"]).to_numpy()
    flag["resolved"] = flag["open"].isna()
    out = flag.groupby("domain").agg(warnings_raised=("resolved", "size"),
                                     warnings_resolved=("resolved", "sum"))
    return out.reindex(catalogue.table["domain"].unique(), fill_value=0).astype(int)
