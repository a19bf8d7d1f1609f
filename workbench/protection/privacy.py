"""Keeping children's identities out: identifiers, pseudonyms and k-anonymity.

Survey microdata arrive with names, resident ID numbers, phone numbers and
school or household keys.  :func:`detect_identifiers` finds such columns by
name *and* by content (18-digit resident ID numbers with a valid ISO 7064
MOD 11-2 check digit, mainland mobile numbers, e-mail addresses, columns of
Chinese personal names); :func:`protect_identifiers` drops direct identifiers
and replaces record keys by salted pseudonyms.  The salt lives outside the
project (``WORKBENCH_SALT`` or ``~/.config/workbench/salt``), never under
outputs/.  :func:`load_microdata` applies this on every load, so an analysis
never sees identifiers unless it asks with ``identifiers="keep"``.

:func:`k_anonymise` coarsens declared quasi-identifiers (age to age group,
district to city, school to nothing ...) and suppresses the few records left
in groups smaller than ``k``, reporting every change.  It is written here
rather than taken from a library because the maintained Python options
(e.g. pycanon only *measures* k-anonymity; ARX is Java) do not generalise
along the administrative and age hierarchies this field uses.

Examples
--------
>>> from workbench.privacy import valid_id_number
>>> valid_id_number(["11010519491231002X", "110105194912310021", "not an id"]).tolist()
[True, False, False]
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..foundation.errors import WorkbenchError, choices_text

__all__ = ["valid_id_number", "valid_mobile", "detect_identifiers", "protect_identifiers",
           "load_microdata", "k_anonymise", "KAnonymityResult", "pseudonym_salt",
           "IDENTIFIER_KINDS"]

_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_CHECK = np.array(list("10X98765432"))
_ID_PATTERN = re.compile(r"^\d{17}[\dXx]$")
_MOBILE_PATTERN = r"^(?:\+?86)?1[3-9]\d{9}$"
_EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"
_NAME_PATTERN = r"^[\u4e00-\u9fff]{2,4}$"
# Direct identifiers are dropped; record keys are replaced by pseudonyms.
IDENTIFIER_KINDS = ("name", "id_number", "phone", "email", "address", "record_key")
_NAME_HINTS = {
    "name": ("name", "姓名", "名字", "xingming"),
    "id_number": ("id_number", "idcard", "id_card", "身份证", "sfz", "identity"),
    "phone": ("phone", "mobile", "tel", "电话", "手机", "联系方式"),
    "email": ("email", "e-mail", "邮箱"),
    "address": ("address", "addr", "住址", "地址"),
    "record_key": ("child_id", "person_id", "student_id", "学号", "编号", "respondent_id"),
}
# A column is taken as holding a kind when at least this share of its values match.
_CONTENT_SHARE = 0.8


def valid_id_number(values: pd.Series | list | np.ndarray) -> pd.Series:
    """True where a value is an 18-digit resident ID number with a valid check digit."""
    s = pd.Series(values, dtype=object).astype(str).str.strip()
    shaped = s.str.match(_ID_PATTERN.pattern)
    result = pd.Series(False, index=s.index)
    if shaped.any():
        digits = np.array([list(v[:17]) for v in s[shaped]], dtype=np.int64)
        expected = _ID_CHECK[(digits @ _ID_WEIGHTS) % 11]
        result[shaped] = expected == s[shaped].str[17].str.upper().to_numpy()
    return result


def valid_mobile(values: pd.Series | list | np.ndarray) -> pd.Series:
    """True where a value is a mainland China mobile number (optionally +86)."""
    s = pd.Series(values, dtype=object).astype(str).str.replace(r"[\s-]", "", regex=True)
    return s.str.match(_MOBILE_PATTERN)


def _by_name(column: str) -> str | None:
    lowered = str(column).lower()
    for kind, hints in _NAME_HINTS.items():
        if any(h in lowered for h in hints):
            return kind
    return None


def _by_content(values: pd.Series) -> str | None:
    sample = values.dropna()
    if sample.empty or pd.api.types.is_float_dtype(sample):
        return None
    sample = sample.astype(str).head(5_000)
    if valid_id_number(sample).mean() >= _CONTENT_SHARE:
        return "id_number"
    if valid_mobile(sample).mean() >= _CONTENT_SHARE:
        return "phone"
    if sample.str.match(_EMAIL_PATTERN).mean() >= _CONTENT_SHARE:
        return "email"
    names = sample.str.match(_NAME_PATTERN)
    if names.mean() >= _CONTENT_SHARE and sample.nunique() >= 0.5 * len(sample) > 20:
        return "name"  # many distinct 2-4 character Chinese strings: personal names
    return None


def detect_identifiers(df: pd.DataFrame) -> pd.DataFrame:
    """Columns that hold identifiers: ``column``, ``kind``, ``found_by`` (name/content)."""
    rows = []
    for column in df.columns:
        by_content = _by_content(df[column])
        by_name = _by_name(column)
        kind = by_content or by_name
        if kind:
            found = "name+content" if by_name and by_content else \
                ("content" if by_content else "name")
            rows.append({"column": column, "kind": kind, "found_by": found})
    return pd.DataFrame(rows, columns=["column", "kind", "found_by"])


def pseudonym_salt() -> bytes:
    """The project's pseudonymisation salt, kept outside the project and its outputs.

    ``WORKBENCH_SALT`` if set, else ``~/.config/workbench/salt`` (created with
    a random value on first use, readable by the user only).
    """
    env = os.environ.get("WORKBENCH_SALT")
    if env:
        return env.encode()
    path = Path(os.environ.get("XDG_CONFIG_HOME", Path.home() / ".config")) / "workbench" / "salt"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip().encode()


def _pseudonyms(values: pd.Series, salt: bytes) -> pd.Series:
    codes, uniques = pd.factorize(values.astype(str))
    hashed = np.array([hmac.new(salt, u.encode(), hashlib.sha256).hexdigest()[:16]
                       for u in uniques], dtype=object)  # one hash per distinct key
    out = pd.Series(hashed[codes] if len(uniques) else [], index=values.index, dtype=object)
    return out.where(values.notna())


def protect_identifiers(df: pd.DataFrame, identifiers: str = "drop",
                        salt: bytes | None = None) -> pd.DataFrame:
    """Remove identifiers: drop direct ones, pseudonymise record keys.

    Parameters
    ----------
    identifiers : {"drop", "pseudonymise", "keep"}
        ``drop`` (default) drops names, ID numbers, phones, e-mails, addresses
        and pseudonymises record keys; ``pseudonymise`` replaces every
        identifier by a salted pseudonym; ``keep`` returns the data unchanged
        (an explicit choice, recorded in ``attrs``).
    """
    choices = ("drop", "pseudonymise", "keep")
    if identifiers not in choices:
        raise WorkbenchError(f"identifiers must be one of {choices_text(choices)}",
                             f"identifiers 只能取 {choices_text(choices)}")
    found = detect_identifiers(df)
    found["action"] = np.where((identifiers == "drop") & found["kind"].ne("record_key"),
                               "dropped", "pseudonymised") if identifiers != "keep" else "kept"
    out = df.copy()
    out.attrs = {**df.attrs, "identifiers": identifiers,
                 "identifier_columns": found.to_dict("records")}
    if identifiers == "keep" or found.empty:
        return out
    salt = salt or pseudonym_salt()
    for column, kind in zip(found["column"], found["kind"], strict=True):
        if identifiers == "drop" and kind != "record_key":
            out = out.drop(columns=column)
        else:
            out[column] = _pseudonyms(out[column], salt)
    return out


def load_microdata(path: str | Path, identifiers: str = "drop") -> pd.DataFrame:
    """Read survey microdata (Parquet, CSV, XLSX, SPSS .sav, Stata .dta) without identifiers.

    Identifiers are found and removed on load (see :func:`protect_identifiers`).
    """
    p = Path(path)
    if not p.exists():
        raise WorkbenchError(f"Microdata file not found: {p}", f"找不到微观数据文件：{p}")
    suffix = p.suffix.lower()
    readers = {".parquet": pd.read_parquet, ".csv": lambda f: pd.read_csv(f, dtype=str),
               ".xlsx": pd.read_excel, ".sav": pd.read_spss, ".dta": pd.read_stata}
    if suffix not in readers:
        raise WorkbenchError(f"Unknown microdata format {suffix!r}; valid: "
                             f"{choices_text(readers)}", f"不支持的文件格式 {suffix!r}")
    return protect_identifiers(readers[suffix](p), identifiers)


# -- k-anonymity ------------------------------------------------------------------------
def _age_to_group(age: pd.Series) -> pd.Series:
    bins = [-1, 2, 5, 11, 14, 17, 200]
    labels = ["0-2", "3-5", "6-11", "12-14", "15-17", "18+"]
    return pd.cut(pd.to_numeric(age, errors="coerce"), bins, labels=labels).astype(object)


def _district_to_city(code: pd.Series) -> pd.Series:
    return code.astype(str).str[:4] + "00"


# Generalisation steps per quasi-identifier, from fine to coarse; "*" suppresses the value.
DEFAULT_HIERARCHIES = {
    "age": [_age_to_group, lambda s: pd.Series("0-17", index=s.index)],
    "age_group": [lambda s: s.map({"0-2": "0-5", "3-5": "0-5", "6-11": "6-11", "12-14": "12-17",
                                   "15-17": "12-17"}).fillna(s),
                  lambda s: pd.Series("0-17", index=s.index)],
    "district": [_district_to_city],
    "region": [_district_to_city],
}


@dataclass
class KAnonymityResult:
    """A k-anonymous extract and the report of what was changed to get there."""

    data: pd.DataFrame
    k: int
    quasi_identifiers: list[str]
    steps: list[dict] = field(default_factory=list)
    suppressed_records: int = 0

    @property
    def min_group_size(self) -> int:
        sizes = self.data.groupby(self.quasi_identifiers, dropna=False).size()
        return int(sizes.min()) if len(sizes) else 0

    def report(self) -> dict:
        return {"k": self.k, "quasi_identifiers": self.quasi_identifiers, "steps": self.steps,
                "suppressed_records": self.suppressed_records, "records": len(self.data),
                "min_group_size": self.min_group_size}

    def __repr__(self) -> str:
        return (f"<KAnonymityResult k={self.k}: {len(self.data):,} records, min group "
                f"{self.min_group_size}, {len(self.steps)} generalisation step(s), "
                f"{self.suppressed_records} suppressed>")


def _violations(df: pd.DataFrame, qis: list[str], k: int) -> pd.Series:
    sizes = df.groupby(qis, dropna=False, sort=False)[qis[0]].transform("size")
    return sizes < k


def k_anonymise(df: pd.DataFrame, quasi_identifiers: list[str], k: int = 5,
                max_suppression: float = 0.02,
                hierarchies: dict | None = None) -> KAnonymityResult:
    """Coarsen quasi-identifiers, then suppress records, until every combination occurs k times.

    Greedy (Datafly-style): while more than ``max_suppression`` of the records
    sit in groups smaller than ``k``, apply the next generalisation step of the
    quasi-identifier with the most distinct values (a quasi-identifier without
    a hierarchy is suppressed as a whole, ``*``); then drop the remaining
    records of small groups.  Every step is reported.
    """
    missing = [q for q in quasi_identifiers if q not in df.columns]
    if missing:
        raise WorkbenchError(f"Quasi-identifier column(s) not in the data: {', '.join(missing)};"
                             f" columns: {choices_text(df.columns)}",
                             f"数据中没有准标识符列：{', '.join(missing)}")
    if k < 2:
        raise WorkbenchError("k must be at least 2", "k 至少为 2")
    chains = {**DEFAULT_HIERARCHIES, **(hierarchies or {})}
    data = df.copy()
    for q in quasi_identifiers:
        data[q] = data[q].astype(object)
    level = dict.fromkeys(quasi_identifiers, 0)
    steps: list[dict] = []
    while _violations(data, quasi_identifiers, k).mean() > max_suppression:
        candidates = [q for q in quasi_identifiers if data[q].nunique(dropna=False) > 1]
        if not candidates:
            break
        q = max(candidates, key=lambda c: data[c].nunique(dropna=False))
        chain = chains.get(q, [])
        before = int(data[q].nunique(dropna=False))
        if level[q] < len(chain):
            data[q] = chain[level[q]](data[q]).astype(object)
            action = f"generalised (level {level[q] + 1})"
        else:
            data[q] = "*"
            action = "suppressed"
        level[q] += 1
        steps.append({"column": q, "action": action, "distinct_before": before,
                      "distinct_after": int(data[q].nunique(dropna=False))})
    small = _violations(data, quasi_identifiers, k)
    data = data[~small].reset_index(drop=True)
    return KAnonymityResult(data, k, list(quasi_identifiers), steps, int(small.sum()))


def write_k_anonymous_extract(df: pd.DataFrame, quasi_identifiers: list[str], k: int,
                              out_dir: Path) -> Path:
    """Identifiers out, k-anonymise, and write ``microdata.parquet``, ``.csv`` and the report."""
    protected = protect_identifiers(df, "drop")
    result = k_anonymise(protected, quasi_identifiers, k)
    work = out_dir.with_name(f".{out_dir.name}.partial")
    work.mkdir(parents=True, exist_ok=False)
    result.data.to_parquet(work / "microdata.parquet", index=False)
    result.data.to_csv(work / "microdata.csv", index=False, encoding="utf-8-sig")
    report = {**result.report(), "identifier_columns":
              protected.attrs.get("identifier_columns", [])}
    (work / "anonymisation_report.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    work.rename(out_dir)
    return out_dir
