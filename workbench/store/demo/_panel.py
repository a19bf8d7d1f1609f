"""The simulated monitoring panel: indicator series per district with planted off-track series
and planted missingness (MAR, MCAR, never collected)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

# one definition of the resident ID check digit (ISO 7064 MOD 11-2), shared with the detector
from ...foundation.catalogue import AGE_GROUPS
from ._common import (
    _AGE_BOUNDS,
    _AXIS,
    _DEFAULT_BASELINE,
    _FOCUS,
    _LEVELS,
    _PROFILES,
    _SCALE,
    _SCHOOL_AGES,
    _SUBPOPULATIONS,
    _SURVEY_KEYWORDS,
    _URB_EFFECT,
    OBSERVATION_COLUMNS,
    TARGET_YEAR,
    _calibrated_probability,
    _expit,
    _logit,
    _split,
    _stream,
)
from ._population import (
    _Context,
)


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


