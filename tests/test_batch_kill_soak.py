"""SIGKILL of a batch at random moments, each followed by ``--retry-failed`` (issue 18).

Twenty batches of four small reports are killed at a seeded random moment (before, during or
after the runs); after one ``--retry-failed`` every report must be complete exactly once, and
no report that was complete before the retry may have been replaced or lost.  Slow (about
five minutes): ``make test-slow``.
"""

import json
import os
import random
import signal
import subprocess
import sys
import time

import nbformat
import pytest

pytestmark = pytest.mark.slow

ROUNDS = 20
WAITS = ("0.2", "0.6", "1.0", "1.4")


def _notebook(path):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell('wait: str = "0.2"  # seconds',
                                  metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import time\ntime.sleep(float(wait))\nprint('done', wait)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, path)
    return path


def _completed(outputs):
    """Completed run folders of the soak notebook: {wait: [manifest text, ...]}."""
    found = {}
    for manifest in sorted(outputs.glob("soak/*/manifest.json")):
        data = json.loads(manifest.read_text(encoding="utf-8"))
        if data.get("status") == "completed":
            found.setdefault(str(data["parameters"]["wait"]), []).append(manifest.read_text())
    return found


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_killed_batch_then_retry_completes_every_report_exactly_once(tmp_path, round_):
    rng = random.Random(round_)
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    source = _notebook(tmp_path / "soak.ipynb")
    plan = tmp_path / "plan.yaml"
    plan.write_text(f"runs:\n  - notebook: {source}\n    each: {{wait: {list(WAITS)}}}\n",
                    encoding="utf-8")
    env = {**os.environ, "WORKBENCH_OUTPUTS": str(outputs)}
    command = [sys.executable, "-m", "workbench.cli", "batch", str(plan), "--no-progress",
               "-j", "2"]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(rng.uniform(0.3, 12.0))  # anywhere from start-up to after the last run
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = _completed(outputs)

    retry = subprocess.run([*command, "--retry-failed"], env=env, capture_output=True,
                           text=True, timeout=600)
    assert retry.returncode == 0, retry.stdout + retry.stderr
    after = _completed(outputs)
    assert sorted(after) == sorted(WAITS)                      # every report complete ...
    assert all(len(v) == 1 for v in after.values()), after     # ... exactly once
    for wait, manifests in before.items():                     # none complete before is lost
        assert after[wait] == manifests
    assert not list(outputs.glob("soak/.*.partial")), "half-written run left behind"
