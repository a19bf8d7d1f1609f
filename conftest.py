"""Project-wide pytest configuration (applies to tests/ and to nbval over notebooks/)."""

from __future__ import annotations


def pytest_collectstart(collector):
    # nbval compares stored notebook outputs. Rich HTML of tables changes with pandas
    # versions and stderr carries library warnings, so compare text/plain only
    # (volatile text is normalised by tests/nbval_sanitize.cfg). Images are never compared.
    if getattr(collector, "fspath", None) and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("text/html", "stderr", "image/png", "image/svg+xml",
                                   # the report block (JSON for the renderers; its text
                                   # is compared as text/plain)
                                   "application/vnd.workbench.report+json")
