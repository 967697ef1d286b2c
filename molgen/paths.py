"""Where molgen keeps its files: a data home (run store) and a cache (datasets, features).

Both follow the platform's conventions (``platformdirs``) and can be moved with
``$MOLGEN_HOME`` and ``$MOLGEN_CACHE``, which tests use to stay inside a temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def home() -> Path:
    """The user's molgen data folder (run store, exports): ``$MOLGEN_HOME`` if set."""
    path = Path(os.environ.get("MOLGEN_HOME") or platformdirs.user_data_dir("molgen"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir(*parts: str) -> Path:
    """A folder under the molgen cache (fetched datasets, processed features): ``$MOLGEN_CACHE`` if set."""
    path = Path(os.environ.get("MOLGEN_CACHE") or platformdirs.user_cache_dir("molgen")).joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
