"""Entry point of one batch run in its own process.

``python -m workbench.execution._batch_worker SPEC``

Exit code 0 when the run completed, 1 when it failed (its manifest says why).
"""

from __future__ import annotations

import json
import sys

from .runner import run_notebook


def main() -> int:
    spec = json.loads(sys.argv[1])
    result = run_notebook(spec["path"], spec["parameters"], update_index=False,
                          run_id=spec["run_id"])
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
