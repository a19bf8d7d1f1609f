"""The report site: ``outputs/index.html`` lists every run.

A static page with relative links, so it works opened from disk without a
server.  Runs are grouped by notebook (report type), newest first, with
their status, parameters and links to the HTML report, the executed
notebook, tables and figures.

Examples
--------
>>> from workbench.site import collect_runs
>>> runs = collect_runs()
>>> list(runs.columns)[:3]
['notebook', 'run_id', 'status']
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from ..foundation import config

__all__ = ["collect_runs", "write_index"]

_STATUS_ZH = {"completed": "完成", "failed": "失败", "running": "运行中"}


def collect_runs(outputs: Path | None = None) -> pd.DataFrame:
    """One row per finished run folder, read from the manifests."""
    base = outputs or config.paths().outputs
    rows = []
    for manifest in sorted(base.glob("*/*/manifest.json")):
        if manifest.parent.name.startswith("."):
            continue  # an unfinished run
        m = json.loads(manifest.read_text(encoding="utf-8"))
        rows.append({"notebook": m.get("notebook", manifest.parent.parent.name),
                     "run_id": m.get("run_id", manifest.parent.name),
                     "status": m.get("status", "unknown"), "started": m.get("started", ""),
                     "duration_s": m.get("duration_s"), "parameters": m.get("parameters", {}),
                     "outputs": m.get("outputs", []), "error": m.get("error", ""),
                     "path": manifest.parent.relative_to(base).as_posix()})
    columns = ["notebook", "run_id", "status", "started", "duration_s", "parameters",
               "outputs", "error", "path"]
    runs = pd.DataFrame(rows, columns=columns)
    return runs.sort_values(["notebook", "started"], ascending=[True, False],
                            ignore_index=True)


def _links(run: pd.Series) -> str:
    path = run["path"]
    links = []
    if "report.html" in run["outputs"]:
        links.append(f"<a class='report' href='{path}/report.html'>报告 Report</a>")
    links += [f"<a href='{path}/{html.escape(o)}'>{html.escape(Path(o).name)}</a>"
              for o in run["outputs"] if o.endswith((".ipynb", ".csv", ".xlsx", ".png"))]
    links.append(f"<a href='{path}/manifest.json'>manifest</a>")
    return " · ".join(links)


# Parameters that organise a report set, shown as their own columns in this order.
GROUPING = ("domain", "region", "focus_region", "year", "evaluation", "lang")


def _cell(name: str, value: object, names: dict[str, str]) -> str:
    text = str(value)
    if name in ("region", "focus_region") and text in names:
        text = f"{names[text]} {text}"
    return html.escape(text)


def _row(run: pd.Series, columns: list[str], names: dict[str, str]) -> str:
    params = run["parameters"]
    others = ", ".join(f"{html.escape(str(k))}={html.escape(str(v))}"
                       for k, v in params.items() if k not in columns) or ""
    status = run["status"]
    label = f"{_STATUS_ZH.get(status, status)} {status}"
    error = f"<div class='error'>{html.escape(run['error'][:300])}</div>" if run["error"] else ""
    grouped = "".join(f"<td>{_cell(c, params.get(c, ''), names)}</td>" for c in columns)
    return (f"<tr class='{status}'>{grouped}<td class='status'>{label}{error}</td>"
            f"<td>{others}</td><td>{html.escape(str(run['started'])[:19])}</td>"
            f"<td>{run['duration_s'] if run['duration_s'] is not None else ''}</td>"
            f"<td>{_links(run)}</td></tr>")


def _region_names() -> dict[str, str]:
    try:
        from ..foundation.regions import load_regions

        return load_regions().names("zh").to_dict()
    except Exception:  # the index must render even without the data folder
        return {}


def _section(notebook: str, group: pd.DataFrame, names: dict[str, str]) -> str:
    present = {k for p in group["parameters"] for k in p}
    columns = [c for c in GROUPING if c in present]
    order = group.assign(**{f"_{c}": group["parameters"].map(lambda p, c=c: str(p.get(c, "")))
                            for c in columns})
    order = order.sort_values([f"_{c}" for c in columns] + ["started"],
                              ascending=[True] * len(columns) + [False])
    rows = "".join(_row(r, columns, names) for _, r in order.iterrows())
    heads = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    return (f"<h2 id='{html.escape(notebook)}'>{html.escape(notebook)} ({len(group)})</h2>"
            f"<table><tr>{heads}<th>状态 Status</th><th>其他参数 Other parameters</th>"
            f"<th>开始 Started (UTC)</th><th>秒 s</th><th>文件 Files</th></tr>{rows}</table>")


_STYLE = """
body{font-family:"Noto Sans SC","Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;
margin:2em;color:#222} table{border-collapse:collapse;width:100%;margin-bottom:2em}
th,td{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:14px}
th{background:#ddebf7;text-align:left} tr.failed td.status{color:#b2182b;font-weight:bold}
tr.completed td.status{color:#1a9850} .error{font-size:12px;color:#b2182b}
"""


def write_index(outputs: Path | None = None) -> Path:
    """Rebuild ``outputs/index.html`` from the run manifests; return its path."""
    base = outputs or config.paths().outputs
    base.mkdir(parents=True, exist_ok=True)
    runs = collect_runs(base)
    names = _region_names()
    sections = [_section(nb, group, names) for nb, group in runs.groupby("notebook", sort=True)]
    toc = " · ".join(f"<a href='#{html.escape(nb)}'>{html.escape(nb)}</a>"
                     for nb in sorted(set(runs["notebook"])))
    counts = runs["status"].value_counts().to_dict()
    summary = ", ".join(f"{_STATUS_ZH.get(k, k)} {k} {v}" for k, v in sorted(counts.items()))
    body = (f"<p>{toc}</p>" + "".join(sections)) if sections else \
        "<p>尚无运行记录。No runs yet.</p>"
    page = (f"<!DOCTYPE html><html lang='zh'><head><meta charset='utf-8'>"
            f"<title>儿童发展监测报告 Children's development monitoring reports</title>"
            f"<style>{_STYLE}</style></head><body>"
            f"<h1>儿童发展监测报告<br><small>Children's development monitoring reports</small></h1>"
            f"<p>{len(runs)} runs: {summary}</p>{body}</body></html>")
    target = base / "index.html"
    tmp = base / ".index.html.tmp"
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(target)
    return target
