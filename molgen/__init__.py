"""molgen: a generative design workbench for small molecules."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("molgen")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
