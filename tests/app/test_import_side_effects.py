"""Importing any module of the service has no side effect: no database opened or created,
no file written, nothing logged (importing app.ops.observability used to run an outbox query
and create var/kam.db in the working directory)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import importlib, pkgutil, app
names = [m.name for m in pkgutil.walk_packages(app.__path__, "app.")]
for name in names:
    importlib.import_module(name)
print(len(names))
"""


def test_importing_every_module_leaves_the_working_directory_alone(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAM_")}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) > 50  # every module was imported
    assert list(tmp_path.iterdir()) == [], "an import wrote files here"
    assert done.stderr == "", done.stderr
