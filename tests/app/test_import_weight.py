"""What every worker loads: the app starts without the heavy statistics libraries.

SciPy, statsmodels and pandas cost a worker about 100 MB; they are imported by the few
functions that use them (fairness tests, interview reliability), not with the app.
"""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_app_loads_no_heavy_statistics_library() -> None:
    code = ("import sys, app.main; "
            "print(sorted(m for m in ('scipy', 'statsmodels', 'pandas') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "[]"
