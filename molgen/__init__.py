"""molgen: a generative design workbench for small molecules."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("molgen")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"


def generate(model: str = "smiles-lm", n: int = 1000, **options):
    """Generate, score, rank and store molecules: ``molgen.generate(model=..., n=..., conditions=..., profile=..., seed=...)``.

    The same as ``molgen generate`` on the command line; see :func:`molgen.runs.generate`.
    """
    from molgen.runs.generate import generate as _generate

    return _generate(model, n, **options)
