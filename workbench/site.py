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

from . import config

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


def _row(run: pd.Series) -> str:
    params = ", ".join(f"{html.escape(str(k))}={html.escape(str(v))}"
                       for k, v in run["parameters"].items()) or "—"
    status = run["status"]
    label = f"{_STATUS_ZH.get(status, status)} {status}"
    error = f"<div class='error'>{html.escape(run['error'][:300])}</div>" if run["error"] else ""
    return (f"<tr class='{status}'><td>{html.escape(run['run_id'])}</td>"
            f"<td class='status'>{label}{error}</td><td>{params}</td>"
            f"<td>{html.escape(str(run['started'])[:19])}</td>"
            f"<td>{run['duration_s'] if run['duration_s'] is not None else ''}</td>"
            f"<td>{_links(run)}</td></tr>")


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
    sections = []
    for notebook, group in runs.groupby("notebook", sort=True):
        rows = "".join(_row(r) for _, r in group.iterrows())
        sections.append(
            f"<h2 id='{html.escape(notebook)}'>{html.escape(notebook)} ({len(group)})</h2>"
            "<table><tr><th>运行 Run</th><th>状态 Status</th><th>参数 Parameters</th>"
            f"<th>开始 Started (UTC)</th><th>秒 s</th><th>文件 Files</th></tr>{rows}</table>")
    body = "".join(sections) or "<p>尚无运行记录。No runs yet.</p>"
    page = (f"<!DOCTYPE html><html lang='zh'><head><meta charset='utf-8'>"
            f"<title>儿童发展监测报告 Children's development monitoring reports</title>"
            f"<style>{_STYLE}</style></head><body>"
            f"<h1>儿童发展监测报告<br><small>Children's development monitoring reports</small></h1>"
            f"<p>{len(runs)} runs</p>{body}</body></html>")
    target = base / "index.html"
    tmp = base / ".index.html.tmp"
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(target)
    return target
