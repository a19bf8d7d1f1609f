"""The simulated special survey: a stratified two-stage cluster sample of children with fictitious
identifiers, design weights and item nonresponse, and the calibration margins."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# one definition of the resident ID check digit (ISO 7064 MOD 11-2), shared with the detector
from ...protection.privacy import _ID_CHECK, _ID_WEIGHTS
from ._common import (
    _AGE_BOUNDS,
    _GIVEN,
    _PHONE_PREFIXES,
    _SURNAMES,
    _URB_EFFECT,
    _WELLBEING,
    MULTI_RESPONSE,
    SURVEY_AGE_GROUPS,
    SURVEY_COLUMNS,
    SYNTHETIC_NOTE,
    _calibrated_probability,
    _expit,
    _fmt,
    _stream,
)
from ._population import (
    _Context,
)


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

