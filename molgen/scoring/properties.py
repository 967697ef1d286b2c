"""Molecular properties a chemist filters and ranks on, each by a stable short name.

Every property is a function of a sanitized RDKit molecule returning a number: a count
(``integer``) is an int, everything else a float. The table
:data:`PROPERTIES` is what profiles, conditions and the app refer to, so a name here is
the one a user types.
"""

from __future__ import annotations

import math

import gzip
import pickle
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

from rdkit import Chem, RDConfig
from rdkit.Chem import QED, Crippen, Descriptors, Lipinski, rdMolDescriptors

from molgen.chem.rdkit_log import quiet_rdkit
from molgen.chem.standardize import without_labels


@dataclass(frozen=True)
class PropertySpec:
    """A property: its function, what it means, and the range a sensible target lies in."""

    name: str
    function: Callable[[Chem.Mol], float]
    description: str
    low: float
    high: float
    integer: bool = False   # a count: 'hbd<5' then means at most 4, and tables show it without decimals
    floor: float | None = None     # the least value the property can take (None: unbounded), e.g. 0 for QED
    ceiling: float | None = None   # the most it can take, e.g. 1 for QED
    above_floor: bool = False      # the floor itself is out of reach: every molecule weighs more than 0


@lru_cache(maxsize=1)
def _sascorer():
    # Ertl & Schuffenhauer's SA score ships in the rdkit wheel's Contrib folder.
    import sys

    sys.path.append(str(Path(RDConfig.RDContribDir) / "SA_Score"))
    import sascorer  # type: ignore[import-not-found]

    return sascorer


def sa_score(mol: Chem.Mol) -> float:
    """Synthetic accessibility, 1 (easy) to 10 (hard), Ertl & Schuffenhauer (2009)."""
    return float(_sascorer().calculateScore(mol))


NP_MODEL = Path(RDConfig.RDContribDir) / "NP_Score" / "publicnp.model.gz"


@lru_cache(maxsize=1)
def _np_model():
    import sys

    sys.path.append(str(Path(RDConfig.RDContribDir) / "NP_Score"))
    import npscorer  # type: ignore[import-not-found]

    with gzip.open(NP_MODEL) as handle:
        return npscorer, pickle.load(handle)


def np_likeness(mol: Chem.Mol) -> float:
    """Natural-product likeness, about -5 (synthetic) to 5 (natural), Ertl et al. (2008)."""
    npscorer, model = _np_model()
    with quiet_rdkit():
        return float(npscorer.scoreMol(mol, model))


def stereocentres(mol: Chem.Mol) -> float:
    """Tetrahedral stereocentres, assigned or not."""
    return float(len(Chem.FindMolChiralCenters(mol, includeUnassigned=True, useLegacyImplementation=False)))


_SPECS = [
    PropertySpec("qed", QED.qed, "quantitative estimate of drug-likeness (Bickerton 2012), 0 to 1", 0, 1, floor=0, ceiling=1),
    PropertySpec("sa", sa_score, "synthetic accessibility score, 1 easy to 10 hard", 1, 10, floor=1, ceiling=10),
    PropertySpec("logp", Crippen.MolLogP, "Crippen logP", -10, 15),
    PropertySpec("mw", Descriptors.MolWt, "molecular weight (g/mol)", 0, 2000, floor=0, above_floor=True),
    PropertySpec("tpsa", rdMolDescriptors.CalcTPSA, "topological polar surface area (Å²)", 0, 500, floor=0),
    PropertySpec("hbd", rdMolDescriptors.CalcNumHBD,
                 "hydrogen-bond donors (RDKit's donor definition; the Lipinski rule reads nhoh_count)", 0, 30, integer=True,
                 floor=0),
    PropertySpec("hba", rdMolDescriptors.CalcNumHBA,
                 "hydrogen-bond acceptors (RDKit's acceptor definition, often fewer than N + O: aspirin 3 here, 4 by "
                 "no_count, which the Lipinski rule reads)", 0, 40, integer=True, floor=0),
    # Lipinski's own counts (1997): his donors are "the sum of OHs and NHs", his acceptors "the sum of Ns and Os".
    PropertySpec("nhoh_count", Lipinski.NHOHCount,
                 "hydrogens on N and O (Lipinski's donor count; an NH2 counts 2, as in RDKit's NHOHCount)", 0, 30,
                 integer=True, floor=0),
    PropertySpec("no_count", Lipinski.NOCount, "nitrogen and oxygen atoms (Lipinski's acceptor count)", 0, 40,
                 integer=True, floor=0),
    PropertySpec("rotatable_bonds", rdMolDescriptors.CalcNumRotatableBonds, "rotatable bonds", 0, 60, integer=True,
                 floor=0),
    PropertySpec("rings", rdMolDescriptors.CalcNumRings, "rings (SSSR)", 0, 20, integer=True, floor=0),
    PropertySpec("aromatic_rings", rdMolDescriptors.CalcNumAromaticRings, "aromatic rings", 0, 15, integer=True, floor=0),
    PropertySpec("fsp3", rdMolDescriptors.CalcFractionCSP3, "fraction of sp3 carbons", 0, 1, floor=0, ceiling=1),
    PropertySpec("heavy_atoms", lambda m: m.GetNumHeavyAtoms(), "heavy (non-hydrogen) atoms", 0, 200, integer=True,
                 floor=0),
    PropertySpec("formal_charge", Chem.GetFormalCharge, "net formal charge", -10, 10, integer=True),
    PropertySpec("stereocentres", stereocentres, "tetrahedral stereocentres (assigned or not)", 0, 30, integer=True,
                 floor=0),
    PropertySpec("molar_refractivity", Crippen.MolMR, "Crippen molar refractivity (Ghose rule)", 0, 400),
    PropertySpec("atoms", lambda m: m.GetNumAtoms() + sum(a.GetTotalNumHs() for a in m.GetAtoms()),
                 "atoms including hydrogens (Ghose rule)", 0, 400, integer=True, floor=0),
]
if NP_MODEL.is_file():
    _SPECS.append(PropertySpec("np_likeness", np_likeness, "natural-product likeness (Ertl 2008), about -5 to 5", -5, 5))

#: Every property molgen computes, by name.
PROPERTIES: dict[str, PropertySpec] = {spec.name: spec for spec in _SPECS}


#: Properties of the molecule as written, isotopes and all; every other one describes its unlabelled form.
MASS_PROPERTIES = ("mw",)


def compute_properties(mol: Chem.Mol, names: list[str] | None = None) -> dict[str, float]:
    """The named properties of ``mol`` (all of them by default): counts as ints, the rest as floats.

    An isotope-labelled molecule (a deuterated drug) is described as its unlabelled form, but for its weight:
    RDKit keeps each deuterium as an atom, which made the SA score of deutetrabenazine 5.98 against
    tetrabenazine's 3.24 for the same synthesis."""
    unlabelled = without_labels(mol)
    return {name: (int if PROPERTIES[name].integer else float)(
                PROPERTIES[name].function(mol if name in MASS_PROPERTIES else unlabelled))
            for name in (names or PROPERTIES)}


#: How close to a bare target (``qed=0.8``) a molecule must land to count as meeting it.
TARGET_TOLERANCE = {"qed": 0.05, "sa": 0.5, "logp": 0.5, "mw": 25.0, "tpsa": 10.0}


def tolerance(name: str) -> float:
    """A target's tolerance: the table's, else 2% of the property's sensible range."""
    spec = PROPERTIES[name]
    return TARGET_TOLERANCE.get(name, 0.02 * (spec.high - spec.low))


def missed_value(value: float, low: float | None, high: float | None) -> str:
    """``value`` to three figures, or as many more as it takes to read outside its window: MW 350.399
    against ``mw <= 350`` reads 350.4, not 350, which would look like a pass; and never in exponent form (MW 1203,
    not 1.2e+03): at least as many figures as the whole part has."""
    digits = len(str(int(abs(value))))   # of the whole part: 999.7 has 3
    for figures in range(3, max(13, digits + 3)):
        if abs(value) >= 1:   # fixed point, never an exponent: as many decimals as the figures leave
            text = f"{value:.{max(0, figures - digits)}f}"
            text = text.rstrip("0").rstrip(".") if "." in text else text   # 5.5, not 5.50
        else:                 # to its first significant figures (0.00003, not 3e-05)
            text = f"{value:.{figures}g}"
            if "e" in text:
                text = f"{value:.{figures - 1 - math.floor(math.log10(abs(value)))}f}".rstrip("0")
        shown = float(text)
        if (low is not None and shown < low) or (high is not None and shown > high):
            return text
    return text


def target_window(name: str, value: float) -> tuple[float, float]:
    """The inclusive window a target ``name = value`` keeps: the value plus or minus its tolerance, cut to what
    the property can take (QED 1.0 keeps 0.95 to 1, not to 1.05), rounded to 12 digits (0.8 + 0.05 is
    0.8500000000000001 in floats, which would read as a strict bound)."""
    spec = PROPERTIES[name]
    low, high = value - tolerance(name), value + tolerance(name)
    if spec.floor is not None:
        low = max(low, spec.floor)
    if spec.ceiling is not None:
        high = min(high, spec.ceiling)
    return float(f"{low:.12g}"), float(f"{high:.12g}")
