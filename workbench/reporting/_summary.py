"""The written summary of a monitoring or topic report, built from its status table.

Every number in a sentence comes from :func:`summary_facts`, which counts the
undisaggregated series of the status table (``monitor.assess``) by domain and
traffic-light group, the way the evaluation table does: an indicator of the
catalogue without any series counts as *no data* once per region assessed.
"Achieved now" is split from "achieved now but projected to miss the
target" (the latest value meets the target, the projection to the target year
does not).  :func:`check_summary` recomputes the facts and sentences from a
status table and fails when a published summary disagrees with it.

Examples
--------
>>> import pandas as pd
>>> from workbench.catalogue import load_catalogue
>>> cat = load_catalogue()
>>> status = pd.DataFrame({"indicator": ["H01", "H03"], "region": "210102",
...     "sex": "total", "age_group": "total", "residence": "total", "hukou": "total",
...     "domain": "health", "group": "achieved", "latest_value": [2.6, 5.8],
...     "target": [3.0, 6.0], "target_op": "<=", "projected": [2.5, 13.99]})
>>> s = build_summary(status, cat, "en", domains=["health"])
>>> s["facts"]["domains"]["health"]["achieved_projected_miss"]
1
>>> print(s["sentences"][0])  # doctest: +NORMALIZE_WHITESPACE
Health: of 16 series, 1 achieved the target now, 1 achieved now but projected to miss it,
14 without data.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..foundation.errors import WorkbenchError
from ..foundation.i18n import DIMENSIONS, check_lang
from ..monitor import WARNING_KINDS, projected_to_miss
from ._format import unit_decimals

__all__ = ["build_summary", "summary_facts", "check_summary", "COUNTED"]

# the order the sentence names the groups in; zero counts are left out
COUNTED = ("achieved", "achieved_projected_miss", "on_track", "needs_acceleration",
           "off_track", "deteriorating", "not_assessable", "no_data")
_WORDS = {
    "achieved": ("{n} 个已达标", "{n} achieved the target now"),
    "achieved_projected_miss": ("{n} 个目前达标但预计到期未达标",
                                "{n} achieved now but projected to miss it"),
    "on_track": ("{n} 个按期可达", "{n} on track"),
    "needs_acceleration": ("{n} 个需加速", "{n} need acceleration"),
    "off_track": ("{n} 个偏离目标", "{n} off track"),
    "deteriorating": ("{n} 个倒退", "{n} deteriorating"),
    "not_assessable": ("{n} 个无法评估", "{n} not assessable"),
    "no_data": ("{n} 个无数据", "{n} without data"),
}
_MAX_LISTED = 3


def _totals(status: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    # only the columns a sentence uses: filtering all twenty-odd cost more than the counting
    total = np.logical_and.reduce([status[d].to_numpy(object) == "total" for d in DIMENSIONS])
    return status.loc[total, columns]


def summary_facts(status: pd.DataFrame, catalogue: Any,
                  domains: list[str] | None = None) -> dict[str, Any]:
    """Counts of series by domain and group (see the module docstring)."""
    t = _totals(status, ["indicator", "region", "domain", "group", "target_op", "target",
                         "projected"])
    groups = t["group"].where(~projected_to_miss(t), "achieved_projected_miss")
    table = catalogue.table
    wanted = domains or list(dict.fromkeys(table["domain"]))
    regions = max(t["region"].nunique(), 1)
    absent = table.index[table["domain"].isin(wanted)].difference(t["indicator"].unique())
    # domain x group counts (series count 1, an indicator without any counts once per region)
    index = pd.Index(list(dict.fromkeys(wanted)))
    row = index.get_indexer(np.concatenate([t["domain"].to_numpy(object),
                                                       table.loc[absent, "domain"].to_numpy()]))
    col = pd.Index(COUNTED).get_indexer(np.concatenate(
        [groups.to_numpy(object), np.full(len(absent), "no_data", dtype=object)]))
    n = np.concatenate([np.ones(len(t), int), np.full(len(absent), regions)])
    matrix = np.zeros((len(index), len(COUNTED)), int)
    ok = (row >= 0) & (col >= 0)
    np.add.at(matrix, (row[ok], col[ok]), n[ok])
    return {"domains": {d: {"series": int(m.sum()), **dict(zip(COUNTED, m.tolist(), strict=True))}
                        for d, m in zip(index, matrix, strict=True)},
            "regions": int(regions)}


def _domain_sentence(name: str, facts: dict[str, int], lang: str) -> str:
    parts = [_WORDS[g][0 if lang == "zh" else 1].format(n=facts[g]) for g in COUNTED
             if facts[g]]
    if lang == "zh":
        return f"{name}领域共 {facts['series']} 个监测序列：{'，'.join(parts)}。"
    return f"{name}: of {facts['series']} series, {', '.join(parts)}."


def _warning_sentences(warnings: pd.DataFrame | None, catalogue: Any, names: pd.Series | None,
                       lang: str) -> list[str]:
    if warnings is None:
        return []
    zh = lang == "zh"
    if warnings.empty:
        return ["没有预警。" if zh else "There are no warnings."]
    t = _totals(warnings, ["indicator", "region", "kind", "kind_label", "reason"])
    by_kind = t["kind_label"].value_counts()
    kinds = ("、".join(f"{k} {n} 条" for k, n in by_kind.items()) if zh else
             ", ".join(f"{n} {k}" for k, n in by_kind.items()))
    head = (f"共有 {len(warnings)} 条预警，其中合计值 {len(t)} 条（{kinds}）。" if zh else
            f"There are {len(warnings)} warnings, {len(t)} of them on undisaggregated series"
            + (f" ({kinds})." if len(t) else "."))
    # the most serious kinds first (missed or projected to miss before unusual changes)
    order = pd.Categorical(t["kind"], categories=WARNING_KINDS, ordered=True)
    ranked = t.iloc[np.argsort(order.codes, kind="stable")]
    listed = ranked.drop_duplicates(["indicator", "region"]).head(_MAX_LISTED)
    ind = catalogue.table["name_zh" if zh else "name_en"].reindex(listed["indicator"]).to_numpy()
    where = listed["region"].map(names) if names is not None else listed["region"]
    items = [f"{c} {i}（{r}）：{k}，{why}" if zh else f"{c} {i} ({r}): {k}, {why}"
             for c, i, r, k, why in zip(listed["indicator"], ind, where, listed["kind_label"],
                                        listed["reason"], strict=True)]
    if not items:
        return [head]
    text = ("主要预警：" if zh else "Main warnings: ") + ("；" if zh else "; ").join(items)
    return [head, text.replace("<=", "≤").replace(">=", "≥") + ("。" if zh else ".")]


def _gap_sentences(latest: pd.DataFrame | None, catalogue: Any, names: pd.Series | None,
                   lang: str) -> list[str]:
    if latest is None or latest["region"].nunique() < 2:
        return []
    by = latest.groupby("indicator")["value"]
    # one call per statistic: agg() with a list of five costs twice as much
    stats = pd.DataFrame({"min": by.min(), "max": by.max(), "median": by.median(),
                          "idxmin": by.idxmin(), "idxmax": by.idxmax()})
    stats = stats[stats["median"].abs() > 0]
    spread = ((stats["max"] - stats["min"]) / stats["median"].abs()).nlargest(2)
    decimals = unit_decimals(catalogue)
    sentences = []
    for code in spread.index:  # at most two indicators
        s, d = stats.loc[code], int(decimals.get(code, 2))
        hi, lo = (latest.loc[s[k], "region"] for k in ("idxmax", "idxmin"))
        hi, lo = (names.get(r, r) if names is not None else r for r in (hi, lo))
        name = catalogue.table.loc[code, "name_zh" if lang == "zh" else "name_en"]
        unit = catalogue.table.loc[code, "unit_zh" if lang == "zh" else "unit_en"]
        sentences.append(
            f"各区差距较大的指标：{code} {name}，最高为{hi}（{s['max']:.{d}f}），"
            f"最低为{lo}（{s['min']:.{d}f}），单位：{unit}。" if lang == "zh" else
            f"A large gap between districts: {code} {name}, highest in {hi} ({s['max']:.{d}f}),"
            f" lowest in {lo} ({s['min']:.{d}f}), {unit}.")
    return sentences


def build_summary(status: pd.DataFrame, catalogue: Any, lang: str, *,
                  domains: list[str] | None = None, warnings: pd.DataFrame | None = None,
                  latest: pd.DataFrame | None = None,
                  names: pd.Series | None = None) -> dict[str, Any]:
    """The summary's facts and sentences, in ``lang``.

    Parameters
    ----------
    status : DataFrame
        The status table of ``monitor.assess`` (all series; totals are counted).
    catalogue : Catalogue
    lang : {"zh", "en"}
    domains : list of str, optional
        Domains to summarise (default: all of the catalogue).
    warnings : DataFrame, optional
        ``monitor.early_warnings``: counted and the first few named with their reasons.
    latest : DataFrame, optional
        Latest value by region (``indicator``, ``region``, ``value``) for the district gaps;
        by default the status table's own latest values when it covers several regions.
    names : Series, optional
        Region names by code.
    """
    check_lang(lang)
    facts = summary_facts(status, catalogue, domains)
    domain_names = _domain_names(lang)
    sentences = [_domain_sentence(domain_names.get(d, d), f, lang)
                 for d, f in facts["domains"].items()]
    sentences += _warning_sentences(warnings, catalogue, names, lang)
    if latest is None:
        latest = _totals(status, ["indicator", "region", "latest_value"]) \
            .rename(columns={"latest_value": "value"})
    sentences += _gap_sentences(latest.reset_index(drop=True), catalogue, names, lang)
    return {"kind": "summary", "lang": lang, "facts": facts, "sentences": sentences}


def _domain_names(lang: str) -> dict[str, str]:
    from ..foundation.catalogue import load_domains

    d = load_domains()
    return dict(zip(d["code"], d["name_zh" if lang == "zh" else "name_en"], strict=True))


def check_summary(summary: dict[str, Any], status: pd.DataFrame, catalogue: Any,
                  **inputs: Any) -> None:
    """Raise when a summary's counts or sentences differ from those of ``status``.

    ``inputs`` are the other arguments the summary was built with (domains, warnings,
    latest, names).
    """
    expected = build_summary(status, catalogue, summary["lang"], **inputs)
    bad = [d for d, f in expected["facts"]["domains"].items()
           if summary["facts"]["domains"].get(d) != f]
    if bad or summary["sentences"] != expected["sentences"]:
        where = ", ".join(bad) or "sentences"
        raise WorkbenchError(
            f"The summary disagrees with the status table ({where}); rebuild it from the table",
            f"摘要与状态表不一致（{where}），请根据状态表重新生成")
