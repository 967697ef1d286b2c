"""molgen: a generative design workbench for small molecules."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("molgen")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"


#: The subpackages ``molgen.<name>`` reaches after a bare ``import molgen`` (``molgen.runs.Run("my-run")`` in a fresh
#: kernel was an AttributeError until something had imported molgen.runs: a review), imported on first use so that
#: ``import molgen`` stays light.
SUBPACKAGES = ("augment", "chem", "data", "metrics", "models", "runs", "scoring")


def __getattr__(name: str):
    if name in SUBPACKAGES:
        import importlib

        return importlib.import_module(f"molgen.{name}")
    if name == "generate":   # the run store's own function, so that help(molgen.generate) shows its every argument
        from molgen.runs.generate import generate

        return generate
    raise AttributeError(f"module 'molgen' has no attribute {name!r}")


def __dir__():
    """The subpackages and ``generate`` too, so that a fresh kernel's tab completion offers ``molgen.runs``."""
    return sorted(set(globals()) | set(SUBPACKAGES) | {"generate"})

