"""A trend chart's PNG: the workbench's writer beside matplotlib's own (Pillow), issue 17.

The chart is the topic report's trend-to-target chart on demo-like data (fixed layout,
1200 x 675 pixels at the theme's 150 dpi).  Timed per call, median of ``--repeat``, both
sides drawing the figure once: matplotlib's ``savefig(format="png")`` at zlib level 1 (what
the workbench did before: Pillow always tries four row filters) and
:func:`workbench.foundation.plots.png_bytes` (the raw pixels from ``savefig(format="rgba")``,
written by :func:`workbench.foundation._png.encode_png`).  The encoding alone is timed too,
on the same pixels.  Prints seconds, ratios and file sizes, and checks the two PNGs hold
the same pixels (it exits non-zero if not).

Run: ``.venv/bin/python benchmarks/bench_png.py [--repeat 30]``.
"""

from __future__ import annotations

import argparse
import io
import sys

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from _common import timed
from matplotlib.transforms import Bbox
from PIL import Image

from workbench import monitor, plots
from workbench.catalogue import load_catalogue
from workbench.foundation._png import encode_png


def _chart() -> plt.Figure:
    plots.set_theme()
    series = pd.Series([13.1, 12.0, 14.2, 12.5, 13.11], index=range(2021, 2026))
    return monitor.trend_to_target_chart(series, load_catalogue()["H04"], "zh",
                                         region_name="和平区", year=2025)


def _pillow(fig: plt.Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches=Bbox.from_bounds(0, 0, *fig.get_size_inches()),
                pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    fig = _chart()
    theirs_s, theirs = timed(lambda: _pillow(fig), args.repeat)
    ours_s, ours = timed(lambda: plots.png_bytes(fig), args.repeat)
    rgba = _pixels(theirs)
    encode_theirs, _ = timed(lambda: Image.fromarray(rgba).save(io.BytesIO(), format="png",
                                                                compress_level=1), args.repeat)
    encode_ours, _ = timed(lambda: encode_png(rgba, 150.0), args.repeat)
    print(f"trend chart 1200x675, median of {args.repeat}:")
    print(f"  draw and save:  matplotlib+Pillow {theirs_s * 1000:6.1f} ms, workbench "
          f"{ours_s * 1000:6.1f} ms (ratio {theirs_s / ours_s:.2f}x)")
    print(f"  encoding alone: Pillow {encode_theirs * 1000:6.1f} ms, workbench "
          f"{encode_ours * 1000:6.1f} ms (ratio {encode_theirs / encode_ours:.2f}x)")
    print(f"  file size: Pillow {len(theirs) / 1000:.1f} kB, workbench {len(ours) / 1000:.1f} kB")
    same = np.array_equal(rgba, _pixels(ours))
    print(f"  same pixels: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
