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
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..foundation.errors import WorkbenchError, choices_text

__all__ = ["valid_id_number", "valid_mobile", "looks_like_name", "identifier_cells",
           "detect_identifiers", "protect_identifiers",
           "load_microdata", "k_anonymise", "KAnonymityResult", "pseudonym_salt",
           "IDENTIFIER_KINDS"]

_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_CHECK = np.array(list("10X98765432"))
_ID_PATTERN = re.compile(r"^\d{17}[\dXx]$")
_MOBILE_PATTERN = r"^(?:\+?86)?1[3-9]\d{9}$"
_EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"
# Common surnames (the 100 most frequent cover about 85 % of the population) and compound ones.
_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余"
             "杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史"
             "陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷"
             "詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳")
_COMPOUND = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "令狐", "慕容", "尉迟", "长孙")
_NAME_PATTERN = (rf"^(?:{'|'.join(_COMPOUND)}|[{_SURNAMES}])[\u4e00-\u9fff]{{1,2}}$")
# Words that end like a place, a unit or a statistic, not like a given name.
_NOT_NAME_END = ("区县市省镇乡村街路旗州盟率数量比值类组型级部局委会院校所站厅科处室费额者岁年"
                 "月日季期项病症度性化标表园班业界口")
# A column is taken as holding names when this share of its values look like names.
_NAME_SHARE = 0.8
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


def looks_like_name(values: pd.Series | list | np.ndarray) -> pd.Series:
    """True where a value looks like a Chinese personal name (common surname + 1-2 characters)."""
    s = pd.Series(values, dtype=object).astype(str).str.strip()
    return s.str.match(_NAME_PATTERN) & ~s.str[-1:].isin(list(_NOT_NAME_END))


def _checked_values(values: pd.Series) -> list[str]:
    """The cells of a column that could hold an identifier, as text (``astype(str)``).

    Lists, not Series: a published table has dozens of short columns and pandas costs
    ~50 us per call whatever the length.
    """
    dtype = values.dtype
    if pd.api.types.is_float_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        return []
    if pd.api.types.is_integer_dtype(dtype):
        # as whole numbers only ID and mobile numbers (11 digits or more) can identify
        return [str(v) for v in values.dropna().tolist() if abs(v) >= 10**10]
    if isinstance(dtype, pd.StringDtype) or pd.api.types.is_object_dtype(dtype):
        cells = values.to_numpy(dtype=object)
        return [v.decode() if isinstance(v, bytes) else str(v)  # as astype(str) writes them
                for v, na in zip(cells.tolist(), pd.isna(cells).tolist(), strict=True) if not na]
    return values.dropna().astype(str).tolist()  # dates, categories: as pandas writes them


_CHECKS = {"id_number": valid_id_number, "phone": valid_mobile,
           "email": lambda v: v.str.match(_EMAIL_PATTERN), "name": looks_like_name}


_NAME_START = frozenset(_SURNAMES + "".join(c[0] for c in _COMPOUND))
# what a value needs before its pattern can match (ID and mobile numbers: 11 digits or
# more, counted as any regex engine's \d could; e-mail: an @; a name: a surname
# character), so most values skip the regex
_MAY_MATCH = {"id_number": lambda v: sum(ch.isdigit() for ch in v) >= 11,
              "phone": lambda v: sum(ch.isdigit() for ch in v) >= 11,
              "email": lambda v: "@" in v,
              "name": lambda v: not _NAME_START.isdisjoint(v)}


def _matches(distinct: list[str], kind: str) -> dict[str, bool]:
    """Which distinct values match ``kind``: the pandas check, on the values that may match."""
    candidates = [v for v in distinct if _MAY_MATCH[kind](v)]
    found = dict.fromkeys(distinct, False)
    if candidates:
        # pandas strings: the regex engine the patterns were written for
        hits = _CHECKS[kind](pd.Series(candidates, dtype="str")).to_numpy(dtype=bool).tolist()
        found.update(zip(candidates, hits, strict=True))
    return found


def _content_kinds(columns: list[pd.Series]) -> list[tuple[str | None, int]]:
    """For each column, the identifier kind it holds (judged cell by cell) and its cells.

    ID numbers, mobile numbers and e-mail addresses are specific enough that a
    single one makes the column an identifier (7 ID numbers among 10 values is
    still 7 children identified); names need most values to look like names
    and to be mostly distinct, however short the column.  Each distinct value
    is matched once, all columns together (a table has dozens of short columns:
    one pass instead of one per column).
    """
    counts = [Counter(_checked_values(c)) for c in columns]
    distinct = list(dict.fromkeys(v for counted in counts for v in counted))
    if not distinct:
        return [(None, 0)] * len(columns)
    found = {kind: _matches(distinct, kind) for kind in _CHECKS}
    out: list[tuple[str | None, int]] = []
    for counted in counts:
        hits = {k: sum(n for v, n in counted.items() if found[k][v]) for k in _CHECKS}
        kind = next((k for k in ("id_number", "phone", "email") if hits[k] > 0), None)
        size = sum(counted.values())
        if kind is None and size and hits["name"] >= _NAME_SHARE * size and \
                sum(found["name"][v] for v in counted) >= 0.5 * hits["name"]:
            kind = "name"  # mostly distinct 2-4 character strings starting with a surname
        out.append((kind, hits[kind] if kind else 0))
    return out


def _by_content(values: pd.Series) -> str | None:
    """The identifier kind a column holds, judged cell by cell (see :func:`_content_kinds`)."""
    return _content_kinds([values])[0][0]


def identifier_cells(df: pd.DataFrame) -> pd.DataFrame:
    """Every cell of ``df`` and of its index that holds an identifier, found by content.

    Columns ``column``, ``kind`` and ``cells`` (how many).  Index levels are
    checked as columns (a table's index is shown in the report even when a
    CSV leaves it out), and so are the column names (a pivot puts names there).
    """
    frame = df.reset_index() if not isinstance(df.index, pd.RangeIndex) else df
    labels = [str(c) for c in frame.columns]  # a pivot puts them there
    columns = [frame.iloc[:, i] for i in range(frame.shape[1])] + [pd.Series(labels,
                                                                              dtype=object)]
    names = [*labels, "(column names)"]
    rows = [{"column": name, "kind": kind, "cells": cells}
            for name, (kind, cells) in zip(names, _content_kinds(columns), strict=True) if kind]
    return pd.DataFrame(rows, columns=["column", "kind", "cells"])


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


# Survey-design columns that are constant within a sampling unit (weights, sizes, fpc).
DESIGN_COLUMNS = ("design_weight", "weight", "base_weight", "final_weight", "psu_size",
                  "n_children_psu", "n_psu_stratum", "fpc", "fpc1", "fpc2", "stratum", "strata",
                  "cluster", "school")


@dataclass
class KAnonymityResult:
    """A k-anonymous extract and the report of what was changed to get there."""

    data: pd.DataFrame
    k: int
    quasi_identifiers: list[str]
    steps: list[dict] = field(default_factory=list)
    suppressed_records: int = 0
    linked: list[str] = field(default_factory=list)

    @property
    def key_columns(self) -> list[str]:
        """The quasi-identifiers and the linked columns kept as they were."""
        return [*self.quasi_identifiers, *self.linked]

    @property
    def min_group_size(self) -> int:
        """Smallest group over the key columns, hence over any combination of them."""
        return _min_group(self.data, self.key_columns)

    def report(self) -> dict:
        return {"k": self.k, "quasi_identifiers": self.quasi_identifiers,
                "linked_columns_kept": self.linked, "steps": self.steps,
                "suppressed_records": self.suppressed_records, "records": len(self.data),
                "min_group_size": self.min_group_size}

    def __repr__(self) -> str:
        return (f"<KAnonymityResult k={self.k}: {len(self.data):,} records, min group "
                f"{self.min_group_size}, {len(self.steps)} generalisation step(s), "
                f"{self.suppressed_records} suppressed>")


def _min_group(df: pd.DataFrame, columns: list[str]) -> int:
    sizes = df.groupby(columns, dropna=False, sort=False).size()
    return int(sizes.min()) if len(sizes) else 0


def linked_columns(df: pd.DataFrame, quasi_identifiers: list[str],
                   declared: list[str] | None = None) -> list[str]:
    """Columns that encode a quasi-identifier: declared, survey-design names, or dependent.

    A column whose value is fixed by one quasi-identifier (a design weight, PSU
    size or fpc per school; a school's urban/rural status) reveals that
    quasi-identifier even when it is suppressed.  Found here: the columns in
    ``declared``, the usual survey-design names in :data:`DESIGN_COLUMNS`, and
    every other column constant within each value of some quasi-identifier.
    """
    others = [c for c in df.columns if c not in quasi_identifiers]
    unknown = [c for c in declared or [] if c not in others]
    if unknown:
        raise WorkbenchError(f"Linked column(s) not in the data (or declared quasi-identifiers):"
                             f" {', '.join(map(str, unknown))}; columns: "
                             f"{choices_text(others)}",
                             f"数据中没有关联列：{', '.join(map(str, unknown))}")
    found = [c for c in others if c in (declared or []) or str(c).lower() in DESIGN_COLUMNS]
    for c in others:
        if c in found or df[c].nunique(dropna=False) < 2:
            continue
        if any(df.groupby(q, dropna=False, sort=False)[c].nunique(dropna=False).max() <= 1
               for q in quasi_identifiers):
            found.append(c)
    return found


def _protect_linked(data: pd.DataFrame, qis: list[str], linked: list[str],
                    k: int) -> tuple[pd.DataFrame, list[str], list[dict]]:
    """Keep a linked column only if the groups over all key columns stay at least ``k``.

    Otherwise a numeric column with many values becomes the mean of its
    (generalised) quasi-identifier group, so it adds nothing to the groups;
    any other is dropped.  Columns with fewer values are tried first.
    """
    kept: list[str] = []
    steps: list[dict] = []
    for c in sorted(linked, key=lambda c: (data[c].nunique(dropna=False), str(c))):
        before = int(data[c].nunique(dropna=False))
        if _min_group(data, [*qis, *kept, c]) >= k:
            kept.append(c)
            continue
        if pd.api.types.is_numeric_dtype(data[c]) and before > 2:
            data[c] = data.groupby(qis, dropna=False, sort=False)[c].transform("mean")
            action = "linked: replaced by the mean of its quasi-identifier group"
            after = int(data[c].nunique(dropna=False))
        else:
            data = data.drop(columns=c)
            action, after = "linked: dropped", 0
        steps.append({"column": c, "action": action, "distinct_before": before,
                      "distinct_after": after})
    return data, kept, steps


def _violations(df: pd.DataFrame, qis: list[str], k: int) -> pd.Series:
    sizes = df.groupby(qis, dropna=False, sort=False)[qis[0]].transform("size")
    return sizes < k


def k_anonymise(df: pd.DataFrame, quasi_identifiers: list[str], k: int = 5,
                max_suppression: float = 0.02, hierarchies: dict | None = None,
                linked: list[str] | None = None) -> KAnonymityResult:
    """Coarsen quasi-identifiers, then suppress records, until every combination occurs k times.

    Greedy (Datafly-style): while more than ``max_suppression`` of the records
    sit in groups smaller than ``k``, apply the next generalisation step of the
    quasi-identifier with the most distinct values (a quasi-identifier without
    a hierarchy is suppressed as a whole, ``*``); then drop the remaining
    records of small groups.  Then the columns linked to a quasi-identifier
    (``linked`` plus those :func:`linked_columns` finds) are kept, coarsened or
    dropped so that every combination of kept key columns still has groups of
    at least ``k``.  Every step is reported.
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
    links = linked_columns(df, quasi_identifiers, linked)
    data, kept, link_steps = _protect_linked(data, list(quasi_identifiers), links, k)
    return KAnonymityResult(data, k, list(quasi_identifiers), steps + link_steps,
                            int(small.sum()), kept)


def write_k_anonymous_extract(df: pd.DataFrame, quasi_identifiers: list[str], k: int,
                              out_dir: Path, linked: list[str] | None = None,
                              unique: bool = False) -> Path:
    """Identifiers out, k-anonymise, and write ``microdata.parquet``, ``.csv`` and the report.

    Record keys are dropped too, not pseudonymised: a partner extract carries
    no key that links it to other releases.  The folder and its files are
    readable by the owner only; ``unique`` adds ``-2``, ``-3`` ... to a
    time-stamped name already taken.
    """
    from ..foundation.safe_io import claim_folder, open_private, write_csv

    protected = protect_identifiers(df, "drop")
    keys = [c["column"] for c in protected.attrs.get("identifier_columns", [])
            if c["kind"] == "record_key" and c["column"] in protected.columns]
    result = k_anonymise(protected.drop(columns=keys), quasi_identifiers, k, linked=linked)
    work, out_dir = claim_folder(out_dir, unique=unique)
    with open_private(work / "microdata.parquet") as fh:
        result.data.to_parquet(fh, index=False)
    write_csv(result.data, work / "microdata.csv")
    report = {**result.report(), "identifier_columns":
              protected.attrs.get("identifier_columns", []), "record_keys_dropped": keys}
    with open_private(work / "anonymisation_report.json", "wb") as fh:
        fh.write(json.dumps(report, ensure_ascii=False, indent=2, default=str).encode())
    work.rename(out_dir)
    return out_dir
