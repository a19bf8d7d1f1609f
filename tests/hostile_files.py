"""Builders of hostile submission files for the attack regression suite and the fuzzing.

Everything is generated at test time (no committed binaries).  ``xlsx_bytes``
writes a minimal but valid XLSX by hand, so a test controls every cell
reference, formula and byte, and an example costs microseconds, not an
openpyxl round trip.
"""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from workbench.catalogue import UNIT_SCALE, load_catalogue
from workbench.submissions import TEMPLATE_COLUMNS, expected_rows

SHEET_NAME = "填报数据 data"
_TYPES = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
          'package/2006/content-types"><Default Extension="rels" ContentType="application/'
          'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
          '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
          'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
          '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
          'officedocument.spreadsheetml.worksheet+xml"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
         'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
         'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
         'Target="xl/workbook.xml"/></Relationships>')
_WB = ('<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
       'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
       'relationships"><sheets><sheet name="{name}" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WB_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
            'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>')


def column_letter(n: int) -> str:
    letters = ""
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def cell_xml(ref: str, value: object) -> str:
    """One cell: numbers as numbers, ``("f", formula)`` as a formula without a saved result."""
    if value is None:
        return f'<c r="{ref}"/>'
    if isinstance(value, tuple) and value[0] == "f":
        return f'<c r="{ref}"><f>{escape(value[1])}</f></c>'
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def sheet_xml(rows: list[list[object]], extra_cells: str = "") -> str:
    body = "".join(
        f'<row r="{i}">' + "".join(cell_xml(f"{column_letter(j)}{i}", v)
                                   for j, v in enumerate(row, start=1)) + "</row>"
        for i, row in enumerate(rows, start=1))
    return ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
            'openxmlformats.org/spreadsheetml/2006/main"><sheetData>' + body + extra_cells +
            "</sheetData></worksheet>")


def xlsx_bytes(rows: list[list[object]], extra_cells: str = "", sheet: str | None = None,
               padding: int = 0) -> bytes:
    """A minimal XLSX; ``padding`` adds that many bytes of incompressible filler."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WB.format(name=escape(SHEET_NAME)))
        z.writestr("xl/_rels/workbook.xml.rels", _WB_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet or sheet_xml(rows, extra_cells))
        if padding:
            z.writestr("docProps/filler.bin", np.random.default_rng(0).bytes(padding),
                       compress_type=zipfile.ZIP_STORED)
    return buf.getvalue()


def valid_rows(n_indicators: int = 2, year: int = 2026, seed: int = 1) -> pd.DataFrame:
    """Consistent rows of the education unit's template: every row of a few indicators."""
    cat = load_catalogue()
    rows = expected_rows("education", year, regions=["210102"])
    rows = rows[rows["indicator"].isin(rows["indicator"].unique()[:n_indicators])]
    rows = rows.reset_index(drop=True)
    rng = np.random.default_rng(seed)
    scale = rows["indicator"].map(cat.table["unit"]).map(UNIT_SCALE).astype(float)
    den = rng.integers(1_000, 5_000, len(rows)).astype(float)
    num = np.floor(den * rng.uniform(0.8, 0.99, len(rows)))
    ratio = scale.notna()
    rows["numerator"] = np.where(ratio, num, np.nan)
    rows["denominator"] = np.where(ratio, den, np.nan)
    rows["value"] = np.where(ratio, np.round(num / den * scale.fillna(1), 6), np.round(num))
    return rows


HEADER = [TEMPLATE_COLUMNS[k] for k in ("indicator", "region", "year", "sex", "age_group",
                                         "residence", "hukou", "value", "numerator",
                                         "denominator")]


def as_cells(rows: pd.DataFrame) -> list[list[object]]:
    """Header plus rows as Python values (NaN as empty), in the template's column order."""
    keys = [k for k in TEMPLATE_COLUMNS if TEMPLATE_COLUMNS[k] in HEADER]
    body = rows[keys].astype(object).where(rows[keys].notna(), None).to_numpy().tolist()
    return [list(HEADER), *body]


def csv_text(cells: list[list[object]]) -> str:
    import csv

    out = io.StringIO()
    rows = [["" if v is None else v for v in row] for row in cells]
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()
