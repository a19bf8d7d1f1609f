"""The title page of a report: title, region, year, evaluation, data provenance, date, version.

Examples
--------
>>> meta = cover_meta("en", kind="topic", region="210102", year=2025, domain="health",
...                   provenance="demo")
>>> meta["title"]
'Heping: Health topic report 2025'
>>> [label for label, _ in meta["facts"]][:3]
['Region', 'Year', 'Domain']
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ..foundation.i18n import check_lang, label

__all__ = ["cover_meta", "default_provenance", "provenance_facts"]

_KINDS = {"topic": ("专题报告", "topic report"), "monitoring": ("监测报告", "monitoring report")}
_EVALUATIONS = {"annual": ("年度评估", "annual evaluation"),
                "midterm": ("中期评估", "mid-term evaluation"),
                "final": ("终期评估", "final evaluation")}
_FACTS = {"region": ("地区", "Region"), "year": ("年份", "Year"), "domain": ("领域", "Domain"),
          "evaluation": ("评估类型", "Evaluation"), "provenance": ("数据来源", "Data"),
          "date": ("生成日期", "Produced"), "version": ("工作台版本", "Workbench version")}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def default_provenance(lang: str) -> str:
    """Where the data come from: the configured database's provenance line
    (:mod:`workbench.store.provenance`: file, checksum, latest ingest; demo data marked)."""
    try:
        from ..store.provenance import data_provenance

        return data_provenance().line(lang)
    except Exception:  # a title page never fails the report: say nothing then
        return ""


def _names(lang: str, region: str | None, domain: str | None) -> tuple[str, str]:
    region_name = domain_name = ""
    if region:
        from ..foundation.regions import load_regions

        region_name = load_regions().names(lang).get(region, region)
    if domain:
        from ..foundation.catalogue import load_domains

        d = load_domains().set_index("code")
        domain_name = d.loc[domain, "name_zh" if lang == "zh" else "name_en"] \
            if domain in d.index else domain
    return region_name, domain_name


def _title(lang: str, kind: str, region: str, domain: str, year: int | None,
           evaluation: str) -> str:
    what = _pick(_KINDS.get(kind, ("报告", "report")), lang)
    if lang == "zh":
        return (f"{region or '沈阳市'}儿童发展{domain + '领域' if domain else ''}{what}"
                f"{f'（{year}年{evaluation}）' if year else ''}")
    head = f"{region}: " if region else ""
    body = f"{domain} {what}" if domain else f"Children's development {what}"
    return f"{head}{body}{f' {year}' if year else ''}{f', {evaluation}' if evaluation else ''}"


def cover_meta(lang: str, *, title: str | None = None, kind: str = "",
               region: str | None = None, year: int | None = None,
               evaluation: str | None = None, domain: str | None = None,
               provenance: str | None = None) -> dict[str, Any]:
    """Title and the labelled facts of the title page, in ``lang``."""
    from .. import __version__

    check_lang(lang)
    region_name, domain_name = _names(lang, region, domain)
    evaluation_name = _pick(_EVALUATIONS[evaluation], lang) if evaluation in _EVALUATIONS \
        else (evaluation or "")
    provenance = default_provenance(lang) if provenance is None else provenance
    if provenance == "demo":
        provenance = label("text", "synthetic", lang)
    values = {"region": region_name, "year": str(year or ""), "domain": domain_name,
              "evaluation": evaluation_name, "provenance": provenance,
              "date": date.today().isoformat(), "version": __version__}
    facts = [(_pick(_FACTS[k], lang), v) for k, v in values.items() if v]
    return {"title": title or _title(lang, kind, region_name, domain_name, year,
                                     evaluation_name),
            "facts": facts, "date": values["date"], "version": __version__}


def provenance_facts(text: str, lang: str) -> list[tuple[str, str]]:
    """The title-page facts of a report without a cover of its own: the data line, date and
    version (the notebook's ``report.start(provenance=...)`` announced the data)."""
    from .. import __version__

    return [(_pick(_FACTS["provenance"], lang), text),
            (_pick(_FACTS["date"], lang), date.today().isoformat()),
            (_pick(_FACTS["version"], lang), __version__)]
