"""Assessments, warnings, summaries and charts on the demo database and small fixtures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from workbench import config
from workbench.i18n import DIMENSIONS
from workbench.monitor import (
    STATUS_GROUPS,
    WARNING_KINDS,
    assess,
    data_gaps,
    early_warnings,
    evaluation_summary,
    latest_by_region,
    status_heatmap,
    trend_to_target_chart,
)


@pytest.fixture(scope="module")
def demo_obs():
    from workbench.database import connect

    if not config.paths().database.exists():
        pytest.skip("demo database not built (run `workbench demo`)")
    with connect() as db:
        return db.observations(breakdown=None)


@pytest.fixture(scope="module")
def warnings_2025(demo_obs, catalogue):
    return early_warnings(demo_obs, catalogue, 2025, "en")


def _totals(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[(frame[list(DIMENSIONS)] == "total").all(axis=1)]


def test_warnings_include_every_planted_off_track_pair(warnings_2025):
    from workbench.demo import load_planted

    planted = load_planted()
    planted = planted.loc[planted["kind"] == "off_track", ["indicator", "region"]]
    assert len(planted) > 0
    target_kinds = {"missed_2025", "projected_miss_2030", "off_path"}
    warned = _totals(warnings_2025)
    warned = warned[warned["kind"].isin(target_kinds)][["indicator", "region"]]
    missing = planted.merge(warned.drop_duplicates(), how="left", indicator=True)
    assert (missing["_merge"] == "both").all(), missing[missing["_merge"] != "both"]


def test_warning_table_shape(warnings_2025, catalogue):
    w = warnings_2025
    assert set(w["kind"]) <= set(WARNING_KINDS)
    assert w["reason"].str.len().gt(0).all()
    assert w["responsible_unit"].notna().all()
    assert not w.duplicated(["indicator", "region", *DIMENSIONS, "kind"]).any()
    # never-collected indicators cannot warn
    assert not w["indicator"].isin(["H09", "H16", "S05", "F03", "V04"]).any()
    # warnings about targets name the target, with * for placeholder targets
    tw = w[w["kind"] == "missed_2025"]
    assert tw["target"].notna().all()
    placeholder = tw["target_prov"] == "P"
    assert tw.loc[placeholder, "reason"].str.contains(r"\*").all()


def test_assessment_covers_every_series(demo_obs, catalogue):
    a = assess(demo_obs, catalogue, 2025)
    series = demo_obs[["indicator", "region", *DIMENSIONS]].drop_duplicates()
    assert len(a) == len(series)
    assert set(a["group"]) <= set(STATUS_GROUPS)
    assert a.loc[a["status"] == "target_achieved", "score"].eq(5).all()
    # a not-assessable series always says why
    assert a.loc[a["group"] == "not_assessable", "note"].str.len().gt(0).all()


def test_evaluation_summary_counts(demo_obs, catalogue):
    a = assess(demo_obs, catalogue, 2025, target_year=2025)
    s = evaluation_summary(a, catalogue, "en").set_index("domain")
    n_regions = a["region"].nunique()
    groups = ["achieved", "on track", "needs acceleration", "off track", "deteriorating",
              "not assessable", "no data"]
    # every indicator x region counted once (absent indicators as no data)
    assert s.loc["all", groups].sum() == len(catalogue.table) * n_regions
    assert s.loc["all", "Indicators"] == len(catalogue.table)
    assert s.loc["all", "Monitorable"] == pytest.approx(44 / 49, abs=1e-3)
    zh = evaluation_summary(a, catalogue, "zh")
    assert "已达标" in zh.columns and "领域" in zh.columns


def test_data_gaps_are_the_never_collected_indicators(demo_obs, catalogue):
    gaps = data_gaps(demo_obs, catalogue)
    assert sorted(gaps.loc[gaps["no_data"], "indicator"]) == ["F03", "H09", "H16", "S05", "V04"]


def test_latest_by_region_ranks_by_direction(demo_obs, catalogue):
    t = latest_by_region(demo_obs, catalogue, ["H03", "E01"])
    for code, best in (("H03", "min"), ("E01", "max")):
        one = t[t["indicator"] == code]
        top = one.loc[one["rank"] == 1, "value"].iloc[0]
        assert top == getattr(one["value"], best)()


def test_small_number_guard(catalogue):
    # a district with ~10 infant deaths a year in 2,000 births: rate 5 per 1,000, target <= 3.
    # With 10 events the pooled 3-year rate 10/2000*1000 has an exact interval reaching below 3?
    def series(events, births, region):
        years = np.arange(2020, 2026)
        rate = events / births * 1000
        return pd.DataFrame({"indicator": "H01", "region": region, "year": years,
                             **{d: "total" for d in DIMENSIONS}, "value": rate,
                             "numerator": events, "denominator": births})

    # rates 3.5 per 1000 from ~7 deaths: pooled 21/6000 -> exact interval straddles 3.0
    few = series(np.full(6, 7.0), np.full(6, 2000.0), "210102")
    # the same rate from 700 deaths: the interval lies above 3.0
    many = series(np.full(6, 700.0), np.full(6, 200000.0), "210103")
    w = early_warnings(pd.concat([few, many]), catalogue, 2025, "en")
    missed = w[w["kind"] == "missed_2025"]
    assert missed["region"].tolist() == ["210103"]
    assert not missed["small_numbers"].iloc[0]
    # a clear excess from small counts still warns, with the pooled interval in the reason
    bad = series(np.full(6, 25.0), np.full(6, 2000.0), "210104")
    wb = early_warnings(bad, catalogue, 2025, "en")
    row = wb[wb["kind"] == "missed_2025"].iloc[0]
    assert row["small_numbers"] and row["ci_low"] > 3.0
    assert "pooled 3 years" in row["reason"]


def test_unusual_change_is_flagged(catalogue):
    rng = np.random.default_rng(7)
    rows = []
    for r in range(12):
        values = 90 + 0.5 * np.arange(6) + rng.normal(0, 0.05, 6)
        if r == 0:
            values[-1] -= 6
        rows.append(pd.DataFrame({"indicator": "E01", "region": f"2101{r:02d}",
                                  "year": np.arange(2020, 2026), "value": values,
                                  **{d: "total" for d in DIMENSIONS},
                                  "numerator": np.nan, "denominator": np.nan}))
    w = early_warnings(pd.concat(rows), catalogue, 2025, "en")
    unusual = w[w["kind"] == "unusual_change"]
    assert unusual["region"].tolist() == ["210100"]
    assert unusual["z"].iloc[0] < -3.5


def test_too_few_points(catalogue):
    obs = pd.DataFrame({"indicator": "E01", "region": "210102", "year": [2024, 2025],
                        **{d: "total" for d in DIMENSIONS}, "value": [95.0, 96.0],
                        "numerator": np.nan, "denominator": np.nan})
    w = early_warnings(obs, catalogue, 2025, "zh")
    assert "too_few_points" in set(w["kind"])
    assert w.loc[w["kind"] == "too_few_points", "kind_label"].iloc[0] == "数据点过少"


def test_charts(demo_obs, catalogue, regions):
    from workbench.plots import set_theme

    set_theme()
    a = assess(demo_obs[demo_obs["indicator"].str.startswith("H")], catalogue, 2025)
    fig = status_heatmap(a, regions.names("zh"), "zh")
    assert isinstance(fig, Figure)
    one = _totals(demo_obs[(demo_obs["indicator"] == "H12") & (demo_obs["region"] == "210102")])
    fig2 = trend_to_target_chart(one.set_index("year")["value"], catalogue["H12"], "en",
                                 region_name="Heping")
    labels = [t.get_text() for t in fig2.axes[0].get_legend().get_texts()]
    assert "required path" in labels and "90% prediction band" in labels
    lines = [h for h in fig2.axes[0].get_legend_handles_labels()[0] if hasattr(h, "get_marker")]
    styles = {(h.get_linestyle(), h.get_marker()) for h in lines}
    assert len(lines) == 3 and len(styles) == 3  # observed, projected, required: not colour only


def _counts_frame(events, exposure, region, indicator="S02"):
    years = np.arange(2020, 2020 + len(events))
    events = np.asarray(events, float)
    return pd.DataFrame({"indicator": indicator, "region": region, "year": years,
                         **{d: "total" for d in DIMENSIONS},
                         "value": events / exposure * 100_000, "numerator": events,
                         "denominator": float(exposure)})


def test_small_number_guard_on_unusual_change(catalogue):
    # S02 (per 100,000, no target): a jump from ~2 to 6 events is within chance for small
    # counts; the same jump in rate from 200 to 600 events is not
    rng = np.random.default_rng(3)
    frames = []
    for r in range(8):
        frames.append(_counts_frame(rng.poisson(200, 6), 10_000_000, f"2101{r:02d}"))
    frames.append(_counts_frame([2, 2, 2, 2, 2, 6], 100_000, "210190"))
    frames.append(_counts_frame([200, 200, 200, 200, 200, 600], 10_000_000, "210191"))
    w = early_warnings(pd.concat(frames), catalogue, 2025, "en")
    unusual = set(w.loc[w["kind"] == "unusual_change", "region"])
    assert "210191" in unusual and "210190" not in unusual



def test_a_district_and_domain_without_warnings_gives_an_empty_table():
    import workbench
    from workbench import monitor

    cat = workbench.load_catalogue()
    with workbench.connect() as db:
        obs = db.observations(indicators=list(cat.in_domain("safety")["code"]),
                              regions=["210113"], breakdown=None)
    warnings = monitor.early_warnings(obs, cat, 2025, "zh")
    assert "reason" in warnings.columns
    assert warnings["reason"].map(lambda r: isinstance(r, str)).all()
    table = monitor.format_warnings(warnings, cat, workbench.load_regions().names("zh"), "zh")
    assert len(table) == len(warnings)


def _grey_cells(fig: Figure, n_rows: int) -> list[np.ndarray]:
    """The heatmap's first-column cells cut from the PNG, converted to greyscale."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi, bbox_inches=fig.bbox_inches)  # not "tight"
    grey = np.asarray(Image.open(buf).convert("L"), float)
    ax = fig.axes[0]
    (x0, y0), (x1, y1) = ax.transData.transform([(-0.4, -0.4), (0.4, 0.4)])
    half_w, half_h = int(abs(x1 - x0) / 2), int(abs(y1 - y0) / 2)
    cells = []
    for row in range(n_rows):
        x, y = ax.transData.transform((0, row))
        x, y = int(round(x)), int(round(grey.shape[0] - y))
        cells.append(grey[y - half_h:y + half_h, x - half_w:x + half_w])
    return cells


def test_heatmap_groups_stay_apart_in_grey():
    from workbench.plots import STATUS_MARKS, set_theme

    set_theme()
    rows = [{"indicator": f"X{i}", "region": r, "group": g, **{d: "total" for d in DIMENSIONS}}
            for i, g in enumerate(STATUS_GROUPS) for r in ("210102", "210103", "210104", "210105")]
    names = pd.Series({"210102": "和平区", "210103": "沈河区"})
    fig = status_heatmap(pd.DataFrame(rows), names, "en")
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[0] == f"{STATUS_MARKS['achieved']}  achieved"  # the mark in the legend too
    cells = _grey_cells(fig, len(STATUS_GROUPS))
    fills = np.array([np.median(c) for c in cells])
    # colour alone is not enough in grey: two fills are within a few grey levels
    assert np.min(np.abs(fills[:, None] - fills[None, :])[np.triu_indices(len(fills), 1)]) < 10
    # ...so each group's mark (ink that stands out from its fill) must differ pixel by pixel
    ink = [np.abs(c - f) > 60 for c, f in zip(cells, fills, strict=True)]
    assert all(m.sum() > 10 for m in ink)
    for i in range(len(ink)):
        for j in range(i + 1, len(ink)):
            assert (ink[i] ^ ink[j]).sum() > 10, (STATUS_GROUPS[i], STATUS_GROUPS[j])
