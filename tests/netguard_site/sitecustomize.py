"""Installs tests/netguard.py in each Python process the test suite starts.

conftest.py puts this folder on PYTHONPATH; Python imports ``sitecustomize``
at start-up (https://docs.python.org/3/library/site.html). The guard is
loaded by its path, so the tests folder itself stays off the child's sys.path.
"""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "netguard", Path(__file__).resolve().parent.parent / "netguard.py"
)
if _spec is not None and _spec.loader is not None:
    _netguard = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_netguard)
    _netguard.install_in_subprocess()
