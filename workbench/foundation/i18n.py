"""Labels in Chinese and English.

The ``lang`` parameter every notebook takes ("zh" or "en") selects the
language of labels, table headers and figure text.

Examples
--------
>>> from workbench.i18n import label
>>> label("sex", "female", "zh")
'女'
>>> label("column", "value", "en")
'Value'
"""

from __future__ import annotations

from .errors import WorkbenchError, choices_text

__all__ = ["LANGS", "check_lang", "label", "labels", "DIMENSIONS"]

LANGS = ("zh", "en")

# The disaggregation dimensions of the monitoring data model, in display order.
DIMENSIONS = ("sex", "age_group", "residence", "hukou")

_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "sex": {"total": ("合计", "Total"), "male": ("男", "Male"), "female": ("女", "Female")},
    "age_group": {
        "total": ("合计", "Total"), "0-2": ("0-2岁", "0-2 y"), "3-5": ("3-5岁", "3-5 y"),
        "6-11": ("6-11岁", "6-11 y"), "12-14": ("12-14岁", "12-14 y"),
        "15-17": ("15-17岁", "15-17 y"),
    },
    "residence": {"total": ("合计", "Total"), "urban": ("城镇", "Urban"),
                  "rural": ("农村", "Rural")},
    "hukou": {"total": ("合计", "Total"), "local": ("户籍儿童", "Local hukou"),
              "migrant": ("流动儿童", "Migrant")},
    "direction": {"higher": ("越高越好", "higher is better"),
                  "lower": ("越低越好", "lower is better")},
    "source_type": {"admin": ("行政记录", "administrative"), "survey": ("专项调查", "survey"),
                    "admin+survey": ("行政记录+调查", "admin + survey")},
    "provenance": {"F": ("公开发布", "published"), "D": ("由公开数据推算", "derived"),
                   "R": ("规划文本（待核实）", "programme text (unverified)"),
                   "P": ("演示占位值", "demo placeholder")},
    "dimension": {"sex": ("性别", "Sex"), "age_group": ("年龄组", "Age group"),
                  "residence": ("城乡", "Urban/rural"), "hukou": ("户籍", "Hukou")},
    "column": {
        "indicator": ("指标", "Indicator"), "code": ("代码", "Code"),
        "name": ("名称", "Name"), "region": ("地区", "Region"), "year": ("年份", "Year"),
        "value": ("数值", "Value"), "unit": ("单位", "Unit"), "domain": ("领域", "Domain"),
        "n_indicators": ("指标数", "Indicators"), "n_observations": ("观测数", "Observations"),
        "target_2025": ("2025年目标", "2025 target"), "target_2030": ("2030年目标", "2030 target"),
        "baseline_2020": ("2020年基线", "2020 baseline"), "direction": ("方向", "Direction"),
        "source_type": ("数据来源", "Source"), "responsible_unit": ("责任单位", "Responsible unit"),
        "coverage": ("数据覆盖率", "Coverage"), "population": ("儿童人口", "Children"),
        "sex": ("性别", "Sex"), "age_group": ("年龄组", "Age group"),
        "residence": ("城乡", "Urban/rural"), "hukou": ("户籍", "Hukou"),
        "imputed": ("插补", "Imputed"), "provisional": ("初步数", "Provisional"),
        "first_year": ("起始年", "First year"), "last_year": ("最近年", "Last year"),
        "n_imputed": ("插补值数", "Imputed values"),
        "n_provisional": ("初步数个数", "Provisional values"),
        "years_with_data": ("有数据的年份数", "Years with data"), "note": ("说明", "Note"),
    },
    "text": {
        "total": ("合计", "Total"),
        "synthetic": ("合成演示数据，非真实统计", "Synthetic demo data, not real statistics"),
        "placeholder_target": ("演示占位目标，非官方目标",
                               "Demo placeholder, not an official target"),
        "imputed_note": ("插补值", "imputed value"),
        "provisional_note": ("初步数", "provisional value"),
    },
}


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is supported, else raise a clear error."""
    if lang not in LANGS:
        raise WorkbenchError(
            f"Unknown language {lang!r}; valid choices: {choices_text(LANGS)}",
            f"不支持的语言 {lang!r}；可选：{choices_text(LANGS)}",
        )
    return lang


def label(group: str, key: str, lang: str = "zh") -> str:
    """Return the label of ``key`` in ``group`` (falls back to the key itself)."""
    check_lang(lang)
    pair = _LABELS.get(group, {}).get(str(key))
    if pair is None:
        return str(key)
    return pair[0] if lang == "zh" else pair[1]


def labels(group: str, lang: str = "zh") -> dict[str, str]:
    """Return all labels of a group as ``{key: label}``."""
    check_lang(lang)
    return {k: (v[0] if lang == "zh" else v[1]) for k, v in _LABELS.get(group, {}).items()}
