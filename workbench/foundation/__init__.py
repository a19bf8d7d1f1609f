"""Layer 1, the foundation: what every other layer builds on, importing no other layer.

- ``config``     paths and settings, from one place (never from the working directory)
- ``errors``     bilingual (Chinese/English) errors that name the bad value and the valid choices
- ``i18n``       labels and language checks for ``zh``/``en`` output
- ``catalogue``  the indicator catalogue, validated on load
- ``regions``    region codes, names and levels; ``geo`` their boundaries
- ``plots``      the figure theme with bundled Chinese fonts, and the basic charts
- ``files``      file hashing shared by the database, submissions and runs
- ``safe_io``    formula-neutralising CSV/XLSX writers, private file modes, limited YAML loading
"""

__all__ = ["catalogue", "config", "errors", "files", "geo", "i18n", "plots", "regions",
           "safe_io"]
