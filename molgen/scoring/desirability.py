"""Desirability transforms: map a raw property onto [0, 1], where 1 is what the chemist wants.

All transforms are vectorised over numpy arrays; NaN (a property that could not be
computed) stays NaN, so an aggregate never pretends to know it.
"""

from __future__ import annotations

import math
from dataclasses import MISSING, dataclass, fields

import numpy as np

# ln(19): a logistic curve passes 0.05 and 0.95 at -/+ this many units from its centre.
_LN19 = math.log(19.0)


def _below(low: float, high: float) -> None:
    if not low < high:
        raise ValueError(f"low ({low}) must be below high ({high})")


def _positive(name: str, value: float) -> None:
    if not value > 0:
        raise ValueError(f"{name} must be positive, got {value}")


def _logistic(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


@dataclass(frozen=True)
class Transform:
    """Base class: a named, parameterised map from property values to [0, 1]."""

    kind = "transform"

    def __post_init__(self) -> None:
        # a NaN target makes every score NaN: nothing would be ranked, and nothing said (from TOML or from Python)
        endless = [f"{name} = {value!r}" for name, value in self.params().items()
                   if isinstance(value, (int, float)) and not math.isfinite(value)]
        if endless:
            raise ValueError(f"transform {self.kind!r}: {', '.join(endless)} is not a finite number")
        # built in Python too, not only by make_transform: Gaussian(2, 0) gave NaN, Sigmoid(5, 1) a falling curve, and
        # Sigmoid("200", "500") compared as text (reviews)
        texts = [f"{name} = {value!r}" for name, value in self.params().items()
                 if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool))]
        if texts:
            # a number written in quotes ("200") would compare as text deep in scoring: refused here, by name
            raise ValueError(f"transform {self.kind!r}: {', '.join(texts)} is not a number (write it without quotes)")
        try:
            self.validate()
        except TypeError:   # a parameter left None that this transform needs
            raise ValueError(f"transform {self.kind!r} needs every one of {', '.join(self.params())} as a number, got "
                             f"{self.shown() or 'none'}") from None

    def __call__(self, values) -> np.ndarray:
        return self.apply(np.asarray(values, dtype=float))

    def apply(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def validate(self) -> None:
        """Raise ``ValueError`` for parameters that make no sense (e.g. low >= high)."""

    def params(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def shown(self) -> str:
        """Its parameters as a profile writes them: "low = 200, high = 500, width = 100"."""
        return ", ".join(f"{k} = {v:g}" for k, v in self.params().items() if v is not None)


@dataclass(frozen=True)
class Identity(Transform):
    """The value itself, clipped to [0, 1]: for properties already on that scale (QED)."""

    kind = "identity"

    def apply(self, x):
        return np.clip(x, 0.0, 1.0)


@dataclass(frozen=True)
class Sigmoid(Transform):
    """Rises from 0.05 at ``low`` to 0.95 at ``high`` ("more is better"); ``steepness`` sharpens it."""

    low: float
    high: float
    steepness: float = 1.0
    kind = "sigmoid"

    def validate(self):
        _below(self.low, self.high)
        _positive("steepness", self.steepness)

    def apply(self, x):
        return _logistic(self._rise(x))

    def _rise(self, x):
        centre, half = (self.low + self.high) / 2, (self.high - self.low) / 2
        return (x - centre) / half * _LN19 * self.steepness


@dataclass(frozen=True)
class ReverseSigmoid(Sigmoid):
    """Falls from 0.95 at ``low`` to 0.05 at ``high`` ("less is better")."""

    kind = "reverse_sigmoid"

    def apply(self, x):
        # the logistic of the fall itself: 1 - logistic(z) rounds to exactly 0 far past high (a TPSA of 430 would
        # score 0 as a hard-filter failure does, and tie with every molecule beyond it)
        return _logistic(-self._rise(x))


@dataclass(frozen=True)
class DoubleSigmoid(Transform):
    """High inside [``low``, ``high``], 0.5 at each bound, falling off over ``width`` on each side."""

    low: float
    high: float
    width: float = 1.0
    kind = "double_sigmoid"

    def validate(self):
        _below(self.low, self.high)
        _positive("width", self.width)

    def apply(self, x):
        scale = 2 * _LN19 / self.width  # 0.05 -> 0.95 across `width`
        return _logistic((x - self.low) * scale) * _logistic((self.high - x) * scale)


@dataclass(frozen=True)
class Step(Transform):
    """1 inside [``low``, ``high``] (either bound may be omitted), 0 outside."""

    low: float | None = None
    high: float | None = None
    kind = "step"

    def validate(self):
        if self.low is None and self.high is None:
            raise ValueError("a step needs low, high or both")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low ({self.low}) must not exceed high ({self.high})")

    def apply(self, x):
        inside = np.ones_like(x, dtype=bool)
        if self.low is not None:
            inside &= x >= self.low
        if self.high is not None:
            inside &= x <= self.high
        return np.where(np.isnan(x), np.nan, inside.astype(float))


@dataclass(frozen=True)
class LinearRamp(Transform):
    """0 at ``start``, 1 at ``end``, linear between, clipped; ``start > end`` ramps down."""

    start: float
    end: float
    kind = "linear"

    def validate(self):
        if self.start == self.end:
            raise ValueError(f"start and end must differ, both are {self.start}")

    def apply(self, x):
        return np.clip((x - self.start) / (self.end - self.start), 0.0, 1.0) + 0.0  # + 0.0: no -0.0


@dataclass(frozen=True)
class Gaussian(Transform):
    """1 at ``target``, exp(-1/2) one ``width`` away."""

    target: float
    width: float
    kind = "gaussian"

    def validate(self):
        _positive("width", self.width)

    def apply(self, x):
        return np.exp(-0.5 * ((x - self.target) / self.width) ** 2)


#: How far past its 0.05 and 0.95 points a logistic takes to reach 0.001 and 0.999: ln(999) / ln(19).
_TAILS = math.log(999.0) / _LN19


def window_of(transform: Transform) -> tuple[float, float] | None:
    """The values over which ``transform`` changes, from a desirability of 0.001 to 0.999 (a sigmoid's low to high,
    widened as its steepness is below 1; a double sigmoid's with its width either side; a Gaussian's target within
    3.7 widths; a step's or a ramp's bounds); None for identity, which follows the value everywhere."""
    if isinstance(transform, Sigmoid):
        centre, half = (transform.low + transform.high) / 2, (transform.high - transform.low) / 2
        reach = half * _TAILS / transform.steepness
        return centre - reach, centre + reach
    if isinstance(transform, DoubleSigmoid):
        reach = transform.width / 2 * _TAILS
        return transform.low - reach, transform.high + reach
    if isinstance(transform, Step):
        return (-math.inf if transform.low is None else transform.low,
                math.inf if transform.high is None else transform.high)
    if isinstance(transform, LinearRamp):
        return min(transform.start, transform.end), max(transform.start, transform.end)
    if isinstance(transform, Gaussian):   # exp(-x^2 / 2) = 0.001 at x = 3.7
        return transform.target - 3.7 * transform.width, transform.target + 3.7 * transform.width
    return None


#: Transform classes by the name used in profiles.
TRANSFORMS: dict[str, type[Transform]] = {
    cls.kind: cls for cls in (Identity, Sigmoid, ReverseSigmoid, DoubleSigmoid, Step, LinearRamp, Gaussian)
}


def make_transform(kind: str, **params) -> Transform:
    """Build and validate a transform by name; ``ValueError`` says what is wrong."""
    if kind not in TRANSFORMS:
        raise ValueError(f"unknown transform {kind!r}; known: {', '.join(TRANSFORMS)}")
    cls = TRANSFORMS[kind]
    allowed = {f.name for f in fields(cls)}
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise ValueError(f"transform {kind!r} has no parameter {', '.join(map(repr, unknown))}; it takes {', '.join(sorted(allowed)) or 'none'}")
    missing = sorted(f.name for f in fields(cls) if f.name not in params and f.default is MISSING
                     and f.default_factory is MISSING)
    if missing:   # said in the profile's words, not as the class's missing positional argument
        raise ValueError(f"transform {kind!r} needs {', '.join(map(repr, missing))}; it takes "
                         f"{', '.join(sorted(allowed))}")
    return cls(**params)   # checked as it is built (Transform.__post_init__): a number in quotes, a bad window
