"""Method names, status groups and their Chinese/English labels, shared by the monitor modules."""

from __future__ import annotations

from collections.abc import Sequence

from ..foundation.errors import WorkbenchError, choices_text
from ..foundation.i18n import DIMENSIONS, check_lang

METHODS = ("opensdg", "unsd", "escap")
SCALES = ("ratio", "logit")
TREND_METHODS = ("linear", "theilsen")
EVALUATIONS = {"annual": 2030, "midterm": 2025, "final": 2030}
KEYS = ["indicator", "region", *DIMENSIONS]
# Traffic-light groups shared by both methods (keys of plots.STATUS_COLORS).
STATUS_GROUPS = ("achieved", "on_track", "needs_acceleration", "off_track", "deteriorating",
                 "not_assessable", "no_data")
# "achieved now but projected to miss": the latest value meets the target, the projection
# to the target year does not; counted as achieved, never shown as plain "achieved"
_ACHIEVED = ("target_achieved", "achieved_projected_miss")
_GROUP_OF = {
    "target_achieved": "achieved", "achieved_projected_miss": "achieved",
    "substantial_progress": "on_track", "on_track": "on_track",
    "moderate_progress": "needs_acceleration", "fair_progress": "needs_acceleration",
    "limited_progress": "off_track", "not_achieved": "off_track",
    "deterioration": "deteriorating", "insufficient_data": "not_assessable",
    "not_computable": "not_assessable", "no_data": "no_data",
}
_LABELS = {
    "target_achieved": ("已达标", "target achieved"),
    "achieved_projected_miss": ("已达标，但预计到期未达标", "achieved now, projected to miss"),
    "substantial_progress": ("进展显著", "substantial progress"),
    "moderate_progress": ("进展一般", "moderate progress"),
    "limited_progress": ("进展有限", "limited progress"),
    "deterioration": ("倒退", "deterioration"), "on_track": ("按期可达", "on track"),
    "fair_progress": ("有进展需加速", "fair progress"),
    "not_achieved": ("未达标", "not achieved"),
    "insufficient_data": ("数据不足", "insufficient data"),
    "not_computable": ("无法计算", "not computable"), "no_data": ("无数据", "no data"),
    "achieved": ("已达标", "achieved"), "needs_acceleration": ("需加速", "needs acceleration"),
    "off_track": ("偏离目标", "off track"), "deteriorating": ("倒退", "deteriorating"),
    "not_assessable": ("无法评估", "not assessable"),
    "projected_miss_2025": ("预计未达2025年目标", "projected to miss the 2025 target"),
    "projected_miss_2030": ("预计未达2030年目标", "projected to miss the 2030 target"),
    "missed_2025": ("未达2025年目标", "missed the 2025 target"),
    "off_path": ("偏离目标路径", "off the path to target"),
    "unusual_change": ("年度变化异常", "unusual year-on-year change"),
    "too_few_points": ("数据点过少", "too few data points"),
    "target_2025": ("未达或预计未达2025年目标", "2025 target missed or projected to be missed"),
    "new": ("新增", "new"), "persisting": ("持续", "persisting"),
    "resolved": ("已解除", "resolved"), "responded": ("已反馈整改", "response recorded"),
}
WARNING_KINDS = ("projected_miss_2025", "missed_2025", "projected_miss_2030", "off_path",
                 "unusual_change", "too_few_points")
_MIN_POINTS = 3          # fewer points than this: no trend judgement
_SMALL_COUNT = 30        # events in the latest year below this: pool years first
_POOL_YEARS = 3
_ROBUST_Z = 3.5          # Iglewicz-Hoaglin cut-off for the modified z-score


def status_label(status: str, lang: str = "zh") -> str:
    """The Chinese or English label of a status, group or warning kind."""
    zh, en = _LABELS.get(status, (status, status))
    return zh if check_lang(lang) == "zh" else en

def _check_choice(name: str, value: object, choices: Sequence[str]) -> str:
    if value not in choices:
        raise WorkbenchError(f"Unknown {name} {value!r}; valid: {choices_text(choices)}",
                             f"未知的 {name}：{value!r}；可选：{choices_text(choices)}")
    return str(value)


