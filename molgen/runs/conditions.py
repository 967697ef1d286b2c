"""Conditions as a chemist writes them, and the filter that enforces them on generated molecules.

On the command line a condition is a short expression::

    qed>=0.7      mw<=450      2<=logp<=4      qed=0.8      (a target: within its tolerance)

A strict bound is kept strict: ``hbd<5`` on a count means at most 4, and ``qed>0.7`` starts at the
next float above 0.7 (conditions are stored as inclusive windows).

plus ``--scaffold``, ``--avoid`` and ``--similar-to SMILES:0.4``. A generator family meets what
it can natively (see ``native_conditions`` on each family); this module's
:class:`ConditionFilter` then checks every molecule against every condition, so the final set
meets them all whichever way they were met.
"""

from __future__ import annotations

import itertools
import math
import numbers
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Collection, Iterable

import numpy as np

from rdkit import Chem, DataStructs
from rdkit.Chem import Descriptors, rdMolDescriptors

from molgen.chem.counterions import is_organic
from molgen.chem.parse import ParseFailure, has_dummy_atom, parse_smiles, to_mol
from molgen.chem.rdkit_log import quiet_rdkit
from molgen.chem.standardize import salt_parent, without_labels, without_stereo
from molgen.models.base import Conditions
from molgen.scoring.properties import PROPERTIES, missed_value, target_window, tolerance
from molgen.scoring.similarity import (has_substructure, morgan_fingerprint, query_has_stereo, refuse_a_salt,
                                      refuse_spaces, substructure_query, written_as_smarts)

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_NAME = r"[a-z_][a-z0-9_]*"   # fsp3 has a digit
_BETWEEN = re.compile(rf"^\s*({_NUMBER})\s*(<=?)\s*({_NAME})\s*(<=?)\s*({_NUMBER})\s*$")
_SIMPLE = re.compile(rf"^\s*({_NAME})\s*(>=|<=|>|<|==|=)\s*({_NUMBER})\s*$")


#: A SMARTS atom primitive on hydrogens, degree, connectivity, valence or rings ([CH3], [D2], [X4], [v3], [R]).
_BRACKET_CONSTRAINT = re.compile(r"\[[^\]]*[HDXvhxRr][^\]]*\]")


def _substituted_everywhere(scaffold: Chem.Mol, held_as_drawn: bool) -> Chem.Mol:
    """``scaffold`` with a group (a dummy atom, which no element of a pattern matches) on each hydrogen it does not
    hold: every implicit one, but none of an atom written in brackets ([nH], [NH2]: held as written) nor of an
    R-group core's (held as drawn, a group at each * only)."""
    grown = Chem.RWMol(scaffold)
    if not held_as_drawn:
        for atom in scaffold.GetAtoms():
            if not atom.GetNoImplicit():
                for _ in range(atom.GetNumImplicitHs()):
                    grown.AddBond(atom.GetIdx(), grown.AddAtom(Chem.Atom(0)), Chem.BondType.SINGLE)
    mol = grown.GetMol()
    mol.UpdatePropertyCache(strict=False)
    return mol


class ConditionError(ValueError):
    """A condition that cannot be understood or never be met; the message says which and why."""


def _check_property(name: str, text: str) -> None:
    if name not in PROPERTIES:
        import difflib

        close = difflib.get_close_matches(name, PROPERTIES, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(PROPERTIES)}"
        raise ConditionError(f"condition {text!r}: unknown property {name!r}{hint}")


def check_property_names(conditions: Conditions) -> None:
    """Refuse a target or range on a property molgen does not compute (``Conditions`` built in Python)."""
    for name in [*conditions.targets, *conditions.ranges]:
        _check_property(name, name)


def parse_condition(text: str, conditions: Conditions | None = None) -> Conditions:
    """Add one property expression to ``conditions`` (a new :class:`Conditions` by default)."""
    conditions = conditions or Conditions()
    text = text.strip().lower()
    between, simple = _BETWEEN.match(text), _SIMPLE.match(text)
    numbers = [between[1], between[5]] if between else [simple[3]] if simple else []
    if not all(math.isfinite(float(n)) for n in numbers):
        raise ConditionError(f"condition {text!r}: a bound must be a finite number")
    if between:
        name = between[3]
        _check_property(name, text)
        low = _inclusive(name, float(between[1]), ">" if between[2] == "<" else ">=")
        high = _inclusive(name, float(between[5]), between[4])
        _merge_range(conditions, name, low, high, text)
        return conditions
    if not simple:
        raise ConditionError(f"cannot read condition {text!r}; write e.g. 'qed>=0.7', 'mw<=450', '2<=logp<=4' or 'qed=0.8'")
    name, op, value = simple[1], simple[2], float(simple[3])
    _check_property(name, text)
    if op in ("=", "=="):
        if name in conditions.targets and conditions.targets[name] != value:
            raise ConditionError(f"condition {text!r}: {name} already has the target {conditions.targets[name]:g}; "
                                 "give one target per property, or a range")
        low, high = target_window(name, value)
        if low > high or _out_of_reach(name, low, high):
            _unreachable(name, text)
        _refuse_a_target_past_the_floor(name, value, text)
        conditions.targets[name] = value
    elif op.startswith(">"):
        _merge_range(conditions, name, _inclusive(name, value, op), None, text)
    else:
        _merge_range(conditions, name, None, _inclusive(name, value, op), text)
    return conditions


def window_text(name: str, low: float | None, high: float | None) -> str:
    """``2 <= logp <= 4`` for an inclusive window, ``0.7 < qed`` where a bound is the float next to a
    short decimal (how a strict bound on a float is stored, :func:`_inclusive`)."""
    def side(value: float, outward: float) -> tuple[str, str]:
        if value != 0 and math.nextafter(value, outward) == 0:   # tpsa > 0 is stored as 5e-324, 12 digits of which
            return "0", "<"                                      # read 4.94065645841e-324 (a review)
        short = float(f"{value:.12g}")
        if short != value and math.nextafter(short, value) == value:
            return f"{short:.12g}", "<"
        return f"{value:.12g}", "<="

    text = name
    if low is not None:
        number, op = side(low, -math.inf)
        text = f"{number} {op} {text}"
    if high is not None:
        number, op = side(high, math.inf)
        text = f"{text} {op} {number}"
    return text


def _inclusive(name: str, value: float, op: str) -> float:
    """The inclusive bound equal to ``name op value``: a count's next whole number past a strict
    bound (hbd<5 -> hbd<=4, hbd>2.5 -> hbd>=3), a float's next representable number otherwise."""
    if op in (">=", "<="):
        return value
    if PROPERTIES[name].integer:
        return float(math.floor(value) + 1 if op == ">" else math.ceil(value) - 1)
    return math.nextafter(value, math.inf if op == ">" else -math.inf)


#: The most a property reaches, where a molecule cannot reach its scale's end: QED's eight desirabilities at their
#: best together (RDKit's weights, counts whole) give 0.9484, computed from rdkit.Chem.QED's own functions; a
#: review's QED >= 0.99 sampled its whole budget and was then offered to continue. Checked on new conditions only:
#: a run stored before is still read.
REACHED_AT_MOST = {"qed": 0.9485}


def _most(name: str, reached: bool) -> float | None:
    """The most ``name`` can be: its scale's end, or with ``reached`` what a molecule reaches."""
    ceiling = PROPERTIES[name].ceiling
    return REACHED_AT_MOST.get(name, ceiling) if reached else ceiling


def _unreachable(name: str, text: str, reached: bool = True) -> None:
    spec = PROPERTIES[name]
    least = "more than" if spec.above_floor else "at least"
    most = _most(name, reached)
    limits = " and ".join(part for part in (
        f"{least} {spec.floor:g}" if spec.floor is not None else "", f"at most {most:g}" if most is not None else "")
        if part)
    why = " (every term QED weighs at its best)" if reached and name in REACHED_AT_MOST else ""
    raise ConditionError(f"condition {text!r}: no molecule can meet it; {name} is {limits}{why}")


def _out_of_reach(name: str, low: float | None, high: float | None, reached: bool = True) -> bool:
    """Whether the window keeps nothing: past the property's scale, or with ``reached`` (a new condition) past what
    any molecule reaches."""
    spec, most = PROPERTIES[name], _most(name, reached)
    return (low is not None and most is not None and low > most) or (
        high is not None and spec.floor is not None and (high <= spec.floor if spec.above_floor else high < spec.floor))


def unreachable_target(name: str, value: float) -> str | None:
    """Why no molecule can meet the target ``name = value`` (its window past what any molecule reaches: qed=1 keeps
    0.95 to 1, and QED's best is 0.9484), None where one can; for targets read outside a run's conditions (the
    latent push's)."""
    low, high = target_window(name, value)
    try:
        if low > high or _out_of_reach(name, low, high):
            _unreachable(name, f"{name}={value:g}")
        _refuse_a_target_past_the_floor(name, value, f"{name}={value:g}")
    except ConditionError as error:
        return str(error)
    return None


def _refuse_a_target_past_the_floor(name: str, value: float, text: str) -> None:
    """A target no molecule has, below the property's floor (mw=-5, mw=0, tpsa=-5): a slip, refused, though its
    tolerance reaches molecules at the floor (a review: mw=-5 ran a search, and met methane's window)."""
    spec = PROPERTIES[name]
    if spec.floor is not None and (value <= spec.floor if spec.above_floor else value < spec.floor):
        least = "more than" if spec.above_floor else "at least"
        raise ConditionError(f"condition {text!r}: no molecule has {name} {value:g}; {name} is {least} "
                             f"{spec.floor:g}: give a target a molecule can have")


def _merge_range(conditions: Conditions, name: str, low: float | None, high: float | None, text: str) -> None:
    if _out_of_reach(name, low, high):   # a bound past what the property can take keeps nothing: say so before sampling
        _unreachable(name, text)
    old_low, old_high = conditions.ranges.get(name, (None, None))
    low = low if old_low is None else (old_low if low is None else max(low, old_low))
    high = high if old_high is None else (old_high if high is None else min(high, old_high))
    if low is not None and high is not None and low > high:
        raise ConditionError(f"condition {text!r}: {name} cannot be both {window_text(name, low, None)} and "
                             f"{window_text(name, None, high)}")
    conditions.ranges[name] = (low, high)


def _finite_number(value) -> bool:
    """A finite int or float (numpy's too), not a bool, text or None."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(float(value))


def check_new_conditions(conditions: Conditions) -> None:
    """Refuse, before a new run, what a stored run is still read with (a check added since it ran must not break
    Compare, export or a resume): a target or bound that is no finite number, a scaffold or avoided group written
    as a salt (:func:`~molgen.scoring.similarity.refuse_a_salt`), and a reference no molecule can usefully be near
    (:func:`check_new_reference`)."""
    # a Conditions built in Python (a missing value of a table row): NaN compares false with everything, so a
    # NaN bound was dropped and the run said every molecule met it (a review); text is refused when parsed. A
    # range's open end is None; a target's is no value at all
    given = [(value, f"{name}={value}", False) for name, value in conditions.targets.items()] + \
        [(bound, f"{name} range {tuple(bounds)}", True) for name, bounds in conditions.ranges.items() for bound in bounds]
    for value, said, open_end in given:
        if (value is None and not open_end) or (value is not None and not _finite_number(value)):
            raise ConditionError(f"condition {said}: a target or bound must be a finite number, not {value!r}")
    for what, text in ([("scaffold", conditions.scaffold)] if conditions.scaffold else []) + \
            [("avoid", text) for text in conditions.avoid]:
        try:
            refuse_spaces(text)
            refuse_a_salt(text)
        except ValueError as error:
            raise ConditionError(f"{what}: {error}") from None
    check_whole_counts(conditions)
    for name, value in conditions.targets.items():   # the web app's sliders and Python build targets directly
        _refuse_a_target_past_the_floor(name, float(value), f"{name}={value:g}")
    for name, (low, high) in condition_windows(conditions).items():   # past what any molecule reaches (QED 0.99)
        if _out_of_reach(name, low, high):
            _unreachable(name, window_text(name, low, high))
    check_new_reference(conditions)
    _refuse_avoiding_held_hydrogens(conditions)


def _refuse_avoiding_held_hydrogens(conditions: Conditions) -> None:
    """Refuse, before a new run, a group to avoid on hydrogens alone ([nH], [NH2]) that every molecule keeping the
    scaffold holds: found in the scaffold with each hydrogen it does not hold as written given a group (a review's
    benzimidazole [nH] kept and an [nH] imidazole avoided spent the budget and ranked nothing). Only hydrogens: a
    molecule can turn a scaffold's CH2 into C=O or fold its atoms into a ring, so degree, connectivity, valence and
    ring primitives ([CX4], [C;!R]) stay the filter's. Not when the scaffold is read (a stored run so asked is
    shown and exported as it ran)."""
    with quiet_rdkit():
        scaffold = Chem.MolFromSmiles(conditions.scaffold) if conditions.scaffold else None
    if scaffold is None:
        return
    substituted = None
    for text in conditions.avoid:
        try:
            query = substructure_query(text)
        except ValueError:   # said where the filter is built
            continue
        primitives = _BRACKET_CONSTRAINT.findall(Chem.MolToSmarts(query))
        if not primitives or query_has_stereo(query) or any(re.search(r"[DXvxRr!,]", p) for p in primitives):
            # no hydrogens asked for (the filter refuses those it can), more than hydrogens, or hydrogens negated
            # or in a choice ([N;!H1]: met between no group and every group, by CNC for CN)
            continue
        if substituted is None:
            # an R-group core (a * on one atom, not one inside a ring) holds its hydrogens as drawn
            core = _without_attachment_points(substructure_query(conditions.scaffold)) is not None
            substituted = _substituted_everywhere(scaffold, core)
        if scaffold.HasSubstructMatch(query) and substituted.HasSubstructMatch(query):
            raise ConditionError(f"no molecule can meet every condition: the substructure to keep, "
                                 f"{conditions.scaffold}, holds {text} in every molecule keeping it (its hydrogens "
                                 "written in brackets, or of an R-group core, are kept as written), and it is to be "
                                 "avoided")


def check_whole_counts(conditions: Conditions) -> None:
    """Refuse, before a new run, a window on a count that holds no whole number: a count never lies strictly
    between two (a review: rings=2.5 sampled its budget away). An unknown name is said first, in the filter's words;
    a window whose ends cross is left to :class:`ConditionFilter`."""
    check_property_names(conditions)
    for name, (low, high) in condition_windows(conditions).items():
        if (PROPERTIES[name].integer and low is not None and high is not None and low <= high
                and math.ceil(low) > math.floor(high)):
            raise ConditionError(f"{window_text(name, low, high)} holds no whole number, and {name} is a count: no "
                                 f"molecule can meet it{_whole_targets_hint(conditions, name)}")


def _whole_targets_hint(conditions: Conditions, name: str) -> str:
    """For a fractional target on a count: the whole numbers beside it that the condition's range allows."""
    target = conditions.targets.get(name)
    if target is None or float(target).is_integer():
        return ""
    low, high = conditions.ranges.get(name, (None, None))
    allowed = [whole for whole in (math.floor(target), math.ceil(target))
               if (low is None or whole >= low) and (high is None or whole <= high)]
    return f"; give {' or '.join(f'{name}={whole}' for whole in allowed)}" if allowed else ""


def condition_windows(conditions: Conditions) -> dict[str, tuple[float | None, float | None]]:
    """Every property condition as an inclusive window (targets widened by their tolerance, cut by a range)."""
    out = dict(conditions.ranges)
    for name, value in conditions.targets.items():
        low, high = target_window(name, value)
        old_low, old_high = out.get(name, (None, None))
        out[name] = (low if old_low is None else max(low, old_low), high if old_high is None else min(high, old_high))
    return out


def shown_window(name: str, low: float | None, high: float | None) -> str:
    """A window as a chemist reads it: a count's in whole numbers (hbd = 2.5 +/- 0.6 keeps 2 and 3, said
    ``2 <= hbd <= 3``), unless it holds none (a run stored before such windows were refused), then as stored."""
    if PROPERTIES[name].integer:
        whole_low = None if low is None else math.ceil(low)
        whole_high = None if high is None else math.floor(high)
        if whole_low is None or whole_high is None or whole_low <= whole_high:
            return window_text(name, whole_low, whole_high)
    return window_text(name, low, high)


def check_new_reference(conditions: Conditions) -> None:
    """Refuse, before a new run, a reference no generated molecule can usefully be near (runs stored with one
    still read): a salt or mixture (the models write one molecule, so a counter-ion's bits lower every similarity,
    and a graph VAE encodes one molecule), a fragment (its * matches no atom a model writes) and a threshold of 1
    (met by the reference's own fingerprint alone)."""
    if not conditions.similar_to:
        return
    reference = parse_smiles(conditions.similar_to)
    if reference.ok and has_dummy_atom(reference.mol):   # its * matches nothing a model writes (a review: accepted)
        raise ConditionError(f"the reference {conditions.similar_to} holds an attachment point or dummy atom (*): a "
                             "fragment, not a molecule to stay near; cap it (with [H] or C), or keep it as a "
                             "substructure instead")
    if reference.ok and len(Chem.GetMolFrags(reference.mol)) > 1:
        parent = salt_parent(reference.mol)
        organic = is_organic(parent)   # [Na+].[Cl-] has no parent to offer
        raise ConditionError(f"the reference {conditions.similar_to} is a salt or mixture: give the one molecule to "
                             "stay near" + (f", e.g. its parent {Chem.MolToSmiles(parent)}" if organic else "")
                             + " (the models write one molecule, and a counter-ion would lower every similarity)")
    if not _finite_number(conditions.min_similarity):   # "0.5" or None from Python: a TypeError below
        raise ConditionError(f"min_similarity must be a number from 0 to 1, not {conditions.min_similarity!r}")
    if not 0 <= conditions.min_similarity <= 1:
        raise ConditionError(f"a Tanimoto similarity lies between 0 and 1; {conditions.min_similarity:g} is no "
                             "threshold")
    if conditions.min_similarity >= 1:
        raise ConditionError(f"a Tanimoto of {conditions.min_similarity:g} to {conditions.similar_to} is met only by "
                             "molecules with its very fingerprint: the reference itself (or a stereoisomer), which a "
                             "run does not count as new. Ask for less (0.7 keeps close analogues)")


def parse_similar_to(text: str) -> tuple[str, float]:
    """``SMILES:0.4`` -> (SMILES, 0.4); a bare SMILES has threshold 0: nothing is filtered out, and a run reports
    each molecule's similarity to it."""
    smiles, _, threshold = text.rpartition(":") if ":" in text else (text, "", "0")
    try:
        value = float(threshold)
    except ValueError:
        value = None
    # a SMILES may hold colons itself (an atom map [CH3:1], an aromatic bond c:c): read whole when the part before
    # the last colon is no molecule and the whole is
    if value is None or to_mol(smiles) is None:
        if ":" in text and to_mol(text) is not None:
            return text, 0.0
        if value is None:
            raise ConditionError(f"similar_to (--similar-to) {text!r}: write SMILES:THRESHOLD, e.g. 'CCO:0.4' (the "
                                 "part before the last colon is the reference molecule)")
    if not 0 <= value <= 1:
        raise ConditionError(f"similar_to (--similar-to) {text!r}: the similarity threshold must lie in [0, 1]")
    return smiles, value


def build_conditions(expressions: list[str] | None = None, *, scaffold: str | None = None, avoid: list[str] | None = None,
                     similar_to: str | None = None) -> Conditions:
    """Conditions from CLI-style pieces; every piece is checked here so bad input fails before sampling."""
    conditions = Conditions()
    for text in expressions or []:
        parse_condition(text, conditions)
    conditions.scaffold = scaffold or None
    conditions.avoid = list(avoid or [])
    if similar_to:
        conditions.similar_to, conditions.min_similarity = parse_similar_to(similar_to)
    ConditionFilter(conditions)  # validates SMILES/SMARTS
    check_whole_counts(conditions)   # typed: said as the other conditions are, before anything else runs
    return conditions


def conditions_to_dict(conditions: Conditions) -> dict:
    data = asdict(conditions)
    data["ranges"] = {k: list(v) for k, v in conditions.ranges.items()}
    return data


def has_conditions(data: dict | None) -> bool:
    """Whether a run's recorded conditions (:func:`conditions_to_dict`) ask for anything: a property window, a
    scaffold, a substructure to avoid, a reference to stay near."""
    return bool(ConditionFilter(conditions_from_dict(data or {})).describe())


def conditions_from_dict(data: dict) -> Conditions:
    data = dict(data)
    data["ranges"] = {k: tuple(v) for k, v in data.get("ranges", {}).items()}
    return Conditions(**data)


#: The lightest heavy atom a model writes (carbon; MOSES holds no boron): the least a group at an attachment
#: point adds to a molecule's weight.
LIGHTEST_GROUP_ATOM = 12.011


@dataclass
class ConditionFilter:
    """Checks molecules against every condition; ``failures(mol)`` names the ones a molecule misses."""

    conditions: Conditions
    _scaffold: Chem.Mol | None = field(init=False, default=None)
    _scaffold_unmarked: Chem.Mol | None = field(init=False, default=None)   # its attachment points (*) taken off
    _scaffold_anywhere: Chem.Mol | None = field(init=False, default=None)   # with marks: groups allowed off them too
    _scaffold_any_bond: Chem.Mol | None = field(init=False, default=None)   # with marks: a group there by any bond
    _scaffold_crowded: Chem.Mol | None = field(init=False, default=None)   # with marks: more groups at a marked atom
    _scaffold_hydrogens_aside: Chem.Mol | None = field(init=False, default=None)   # [nH] read as any aromatic N
    _avoid: list[tuple[str, Chem.Mol]] = field(init=False, default_factory=list)
    _reference: object = field(init=False, default=None)
    _reference_key: str | None = field(init=False, default=None)   # its canonical SMILES, stereo aside
    _scaffold_key: tuple[int, str] | None = field(init=False, default=None)   # a whole-molecule scaffold: atoms, SMILES

    def __post_init__(self) -> None:
        c = self.conditions
        check_property_names(c)
        for name, (low, high) in self.windows().items():  # a target outside its own range: nothing can meet both
            if low is not None and high is not None and low > high:
                raise ConditionError(f"no molecule can meet every condition on {name}: together they ask for "
                                     f"{window_text(name, low, high)}")
            if _out_of_reach(name, low, high, reached=False):   # ranges built directly (the web app's sliders)
                _unreachable(name, window_text(name, low, high), reached=False)
            if low is not None and low == high and not PROPERTIES[name].integer:   # a slider's two ends dragged together
                near = window_text(name, *target_window(name, low))
                raise ConditionError(f"{window_text(name, low, high)} asks for one exact value of a continuous "
                                     f"property, which almost no molecule has: widen the window, or give a target "
                                     f"({name}={low:g} keeps {near})")
        try:
            if c.scaffold:
                loose = substructure_query(c.scaffold)
                self._scaffold_unmarked = _without_attachment_points(loose)
                self._scaffold_anywhere = loose if self._scaffold_unmarked is not None else None
                # with marks, an R-group core: hydrogen elsewhere (as scaffold_query reads it)
                self._scaffold = held_as_drawn(loose) if self._scaffold_anywhere is not None else loose
                if self._scaffold_anywhere is not None:
                    self._scaffold_any_bond = held_as_drawn(_marks_bonded_by_any_bond(loose))
                    self._scaffold_crowded = held_as_drawn(loose, but_the_marked=True)
                self._scaffold_hydrogens_aside = _elements_only(c.scaffold)
                with quiet_rdkit():
                    whole = Chem.MolFromSmiles(c.scaffold)
                if whole is not None and not has_dummy_atom(whole):
                    whole = without_stereo(whole)
                    self._scaffold_key = (whole.GetNumHeavyAtoms(), Chem.MolToSmiles(whole))
            self._avoid = [(text, substructure_query(text)) for text in c.avoid]
        except ValueError as error:
            raise ConditionError(str(error)) from None
        self._check_scaffold_against_the_rest()
        if c.similar_to:
            reference = parse_smiles(c.similar_to)   # quietly: the reason goes in the error, not RDKit's log
            if not reference.ok:
                raise ConditionError(f"similar_to (--similar-to): {reference.reason}")
            parent = without_labels(reference.mol)   # d3-paracetamol is paracetamol to a generator, as to scoring
            self._reference = morgan_fingerprint(parent)
            self._reference_key = Chem.MolToSmiles(without_stereo(parent))

    def _check_scaffold_against_the_rest(self) -> None:
        """Refuse what the scaffold alone rules out, before any sampling: an avoided group inside it, or a window
        on MW or heavy atoms it is already past (every molecule keeping it weighs at least its heavy atoms)."""
        c = self.conditions
        with quiet_rdkit():
            scaffold = Chem.MolFromSmiles(c.scaffold) if c.scaffold else None
        if scaffold is None:   # none, or SMARTS: no molecule to weigh or search
            return
        written = Chem.MolToSmiles(scaffold)
        for text, query in self._avoid:
            with quiet_rdkit():
                avoided = Chem.MolFromSmiles(text)
            same = avoided is not None and Chem.MolToSmiles(avoided) == written   # the very group
            # else only a pattern that says nothing of hydrogens or connections: [CH3] in the scaffold's methyl
            # need not survive in a molecule that substitutes it (for a new run, one on the hydrogens the scaffold
            # holds as written is refused too: check_new_conditions)
            if same or (not _BRACKET_CONSTRAINT.search(Chem.MolToSmarts(query)) and scaffold.HasSubstructMatch(query)):
                raise ConditionError(f"no molecule can meet every condition: the substructure to keep, {c.scaffold}, "
                                     f"itself contains {text}, which is to be avoided")
            if query_has_stereo(query) and avoided is not None and has_substructure(without_stereo(scaffold), query):
                # keep (S), avoid (R): every molecule the models write leaves the centre unassigned, so it keeps
                # the scaffold and may be the avoided stereoisomer; the kept stereo already rules the other out
                instead = ("the scaffold's own stereo already rules out a molecule written with the other "
                           f"configuration: leave {text} out" if query_has_stereo(scaffold) else
                           "keep the stereoisomer you want (the scaffold written with its stereo) instead of avoiding "
                           "the other")
                raise ConditionError(f"no molecule molgen's models write can meet every condition: {text}, to be "
                                     f"avoided, differs from the substructure to keep, {c.scaffold}, only in stereo. "
                                     "The models write no stereo, and a centre left unassigned may be either "
                                     f"stereoisomer, so it counts as holding the avoided group; {instead}")
        # an attachment point (*, weighing 0) asks for a group: at least one more heavy atom, a carbon at the
        # lightest the models write. An R-group core is held as drawn (a group at each *, hydrogen elsewhere), so its
        # hydrogens stay too: quinazoline with a * weighs 141.2 at least (its heavy atoms and a carbon, 136.1: a
        # ceiling of 140 was sampled to the end). Any other scaffold's hydrogens may go (two of its atoms bonded
        # into a ring: indoline holds NCCc1ccccc1 at 119.2, below its 121.2): its heavy atoms alone
        marks = sum(atom.GetAtomicNum() == 0 for atom in scaffold.GetAtoms())
        core = self._scaffold_anywhere is not None
        least = {"mw": ((Descriptors.MolWt(scaffold) if core else Descriptors.HeavyAtomMolWt(scaffold))
                        + marks * LIGHTEST_GROUP_ATOM,
                        ("its atoms with their hydrogens, held as drawn, and a carbon at each attachment point" if core
                         else "its heavy atoms" + (", and a carbon at each *" if marks else ""))),
                 "heavy_atoms": (scaffold.GetNumHeavyAtoms() + marks,
                                 f"its heavy atoms{', and one at each attachment point' if marks else ''}"),
                 **_counts_a_scaffold_keeps(scaffold, substructure_query(c.scaffold))}
        for name, (low, high) in self.windows().items():
            if name in least and high is not None and least[name][0] > high:
                value, why = least[name]
                raise ConditionError(f"no molecule can meet every condition: the substructure to keep, {c.scaffold}, "
                                     f"brings {name} {value:.4g} at least to every molecule holding it ({why}), above "
                                     f"{window_text(name, low, high)}")

    @property
    def empty(self) -> bool:
        c = self.conditions
        return not (c.targets or c.ranges or c.scaffold or c.avoid or c.similar_to)

    def windows(self) -> dict[str, tuple[float | None, float | None]]:
        """Every property condition as an inclusive window (targets widened by their tolerance)."""
        return condition_windows(self.conditions)

    def describe(self) -> list[str]:
        """Each property condition as the filter applies it, in words: a target with its tolerance
        (``qed = 0.8 +/- 0.05, so 0.75 <= qed <= 0.85``), a window as its inclusive bounds."""
        lines = []
        for name, (low, high) in self.windows().items():
            bounds = shown_window(name, low, high)
            if name in self.conditions.targets:
                target = self.conditions.targets[name]
                whole = PROPERTIES[name].integer and math.ceil(low) == math.floor(high) == target   # a count's value
                bounds = (f"{name} = {math.ceil(low)} (a count: exactly)" if whole else
                          f"{name} = {target:g} +/- {tolerance(name):g}, so {bounds}")
            lines.append(bounds)
        c = self.conditions
        stereo = " (with its stereo: the other configuration misses it; a centre or double bond left unassigned {})"
        if c.scaffold:
            core = " (an R-group core: a group at each *, none elsewhere on it)" if self._scaffold_anywhere else ""
            lines.append(f"contains {c.scaffold}{core}" + (stereo.format("passes") if query_has_stereo(self._scaffold) else ""))
        lines.extend(f"contains no {text}" + (stereo.format("counts as containing it") if query_has_stereo(query) else "")
                     + _slip_note(text) + _aliphatic_only_note(text, query) for text, query in self._avoid)
        if c.similar_to:
            lines.append(f"Tanimoto to {c.similar_to} >= {c.min_similarity:g}" if c.min_similarity > 0 else
                         f"Tanimoto to {c.similar_to} reported (no threshold: it keeps every molecule)")
        return lines

    def with_scaffold_stereo(self, mol: Chem.Mol) -> Chem.Mol:
        """``mol`` with the kept scaffold's stereo set on each copy of it whose stereo is unassigned, its tetrahedral
        centres and its double bonds' E or Z alike: the models write no stereo, so an (S)-linezolid scaffold's
        completions came back racemic, and afatinib's (E)-crotonamide without its geometry, the one configuration the
        chemist had written lost. ``mol`` itself when there is nothing to set: no stereo in the scaffold, no match,
        stereo written already on that copy, or an atom or bond that is no stereo element in ``mol``."""
        query = self._scaffold
        if query is None:
            return mol
        centres = [a.GetIdx() for a in query.GetAtoms()
                   if a.GetChiralTag() in (Chem.ChiralType.CHI_TETRAHEDRAL_CW, Chem.ChiralType.CHI_TETRAHEDRAL_CCW)]
        bonds = [b for b in query.GetBonds() if b.GetStereo() in _SET_BOND_STEREO and len(b.GetStereoAtoms()) == 2]
        if not centres and not bonds:
            return mol
        # the query atoms whose places a copy must keep: its centres and its stereo bonds' atoms
        placed = centres + [i for b in bonds for i in (b.GetBeginAtomIdx(), b.GetEndAtomIdx())]
        # what can hold stereo in mol: a scaffold's centre on two equal branches here (its atom no centre), or its
        # double bond ending in =CH2, has nothing to carry
        potential = Chem.FindPotentialStereo(Chem.Mol(mol))
        stereo_atoms = {p.centeredOn for p in potential if p.type == Chem.StereoType.Atom_Tetrahedral}
        stereo_bonds = {p.centeredOn for p in potential if p.type == Chem.StereoType.Bond_Double}
        result = mol
        for match in mol.GetSubstructMatches(query, useChirality=False, maxMatches=8):   # every copy of it
            atoms = [match[i] for i in centres]
            # each double bond's place in mol, and the neighbours its geometry is read against, as the query's
            # (RDKit wants the begin atom's neighbour first, and mol's bond may run the other way)
            double = []
            for b in bonds:
                placed_bond = result.GetBondBetweenAtoms(match[b.GetBeginAtomIdx()], match[b.GetEndAtomIdx()])
                ends = tuple(match[i] for i in b.GetStereoAtoms())
                same_way = placed_bond.GetBeginAtomIdx() == match[b.GetBeginAtomIdx()]
                double.append((placed_bond.GetIdx(), ends if same_way else ends[::-1]))
            if not stereo_atoms.issuperset(atoms) or not stereo_bonds.issuperset(b for b, _ in double):
                continue
            if any(result.GetAtomWithIdx(t).GetChiralTag() != Chem.ChiralType.CHI_UNSPECIFIED for t in atoms) or \
                    any(result.GetBondWithIdx(b).GetStereo() != Chem.BondStereo.STEREONONE for b, _ in double):
                continue   # written already, by the model or for another copy sharing atoms with this one
            for tags in itertools.product(
                    *[(Chem.ChiralType.CHI_TETRAHEDRAL_CW, Chem.ChiralType.CHI_TETRAHEDRAL_CCW)] * len(atoms),
                    *[(Chem.BondStereo.STEREOCIS, Chem.BondStereo.STEREOTRANS)] * len(double)):
                candidate = Chem.Mol(result)
                for target, tag in zip(atoms, tags):
                    candidate.GetAtomWithIdx(target).SetChiralTag(tag)
                for (bond, ends), tag in zip(double, tags[len(atoms):]):
                    candidate.GetBondWithIdx(bond).SetStereoAtoms(*ends)
                    candidate.GetBondWithIdx(bond).SetStereo(tag)
                # this copy must hold the scaffold's configuration, not another copy written with it already
                if any(tuple(found[i] for i in placed) == tuple(match[i] for i in placed)
                       for found in candidate.GetSubstructMatches(query, _STRICT_STEREO)):
                    result = candidate
                    break
        if result is mol:
            return mol
        # read afresh from its SMILES, so its stereo is perceived as for any parsed molecule: its canonical SMILES
        # (a run's key for repeats) is then the one the same molecule written with that stereo gets
        return Chem.MolFromSmiles(Chem.MolToSmiles(result)) or result

    def similarity(self, mol: Chem.Mol) -> float | None:
        """Morgan Tanimoto of ``mol`` to the reference (``similar_to``), or None without one."""
        if self._reference is None:
            return None
        return DataStructs.TanimotoSimilarity(self._reference, morgan_fingerprint(without_labels(mol)))

    def failures(self, mol: Chem.Mol, properties: dict[str, float] | None = None) -> list[str]:
        """The conditions ``mol`` misses, in words ([] when it meets them all)."""
        missed = []
        for name, (low, high) in self.windows().items():
            value = properties[name] if properties and name in properties else PROPERTIES[name].function(mol)
            if (low is not None and value < low) or (high is not None and value > high):
                # the value named, so "900 <= mw (mw 306)" reads on its own in a caption
                missed.append(f"{shown_window(name, low, high)} ({name} {missed_value(value, low, high)})")
        if self._scaffold is not None:
            mol_as_drawn = mol
            mol = _hydrogens_as_counts(mol)
        if self._scaffold is not None and not has_substructure(mol, self._scaffold):
            # "lacks" would send a chemist looking for the rings where they are there, substituted elsewhere or
            # written with the other configuration (a match that reads no stereo)
            if query_has_stereo(self._scaffold) and mol.HasSubstructMatch(self._scaffold):
                missed.append(f"scaffold {self.conditions.scaffold} in another configuration")
            elif self._scaffold_any_bond is not None and has_substructure(mol, self._scaffold_any_bond):
                # piperidin-4-one for *C1CCNCC1: its C=O is at the mark, where a * stands for one hydrogen
                missed.append(f"a group double- or triple-bonded at an attachment point of scaffold "
                              f"{self.conditions.scaffold} (a * is a single bond)")
            elif self._scaffold_crowded is not None and has_substructure(mol, self._scaffold_crowded):
                # gem-dimethyl at a 4-* piperidine's carbon: the extra group is at the mark, not elsewhere
                missed.append(f"more than one group at an attachment point of scaffold {self.conditions.scaffold} "
                              "(a * takes one)")
            elif self._scaffold_anywhere is not None and has_substructure(mol, self._scaffold_anywhere):
                missed.append(f"a group off the attachment points of scaffold {self.conditions.scaffold}")
            elif self._scaffold_unmarked is not None and has_substructure(mol, self._scaffold_unmarked):
                missed.append(f"no group at an attachment point of scaffold {self.conditions.scaffold}")
            elif self._scaffold_hydrogens_aside is not None and _group_on_a_written_hydrogen(
                    mol, self._scaffold_hydrogens_aside):
                missed.append(f"a group on an atom scaffold {self.conditions.scaffold} writes with its hydrogens (a "
                              "bracketed H, as in [nH] or [NH2], is held as written)")
            else:
                missed.append(f"lacks scaffold {self.conditions.scaffold}")
        if self._scaffold is not None:
            mol = mol_as_drawn
            if self._scaffold_key is not None and not missed and mol.GetNumHeavyAtoms() == self._scaffold_key[0] \
                    and Chem.MolToSmiles(without_stereo(mol)) == self._scaffold_key[1]:
                # a chemist keeping a scaffold has it already (diffusion's inpainting grew nothing on it): kept,
                # unranked and said, as the reference itself is, not counted among the molecules asked for
                missed.append("is the scaffold itself")
        for text, query in self._avoid:
            if has_substructure(mol, query):
                missed.append(f"contains avoided {text}")
        if self._reference is not None:
            similarity = self.similarity(mol)
            if similarity < self.conditions.min_similarity:
                # 0.2963 against 0.3 reads 0.296, not 0.30, which looks like a pass
                missed.append(f"similarity {missed_value(similarity, self.conditions.min_similarity, None)} < "
                              f"{self.conditions.min_similarity:g}")
            elif similarity == 1.0 and Chem.MolToSmiles(without_stereo(mol)) == self._reference_key:
                # asked for molecules near it, a chemist has the reference already: kept, unranked, said
                missed.append("is the reference itself")
        return missed


#: Elements written alone (S, [S]) that a ring holds aromatic in the molecules chemists make: the element's number,
#: its name, and a molecule holding it aliphatic and one holding it aromatic, to tell what the pattern finds.
_AROMATIC_FORMS = {"C": (6, "carbon", "CC", "c1ccccc1", "benzene"), "N": (7, "nitrogen", "CN", "c1ccncc1", "pyridine"),
                   "O": (8, "oxygen", "CO", "c1ccoc1", "furan"), "S": (16, "sulfur", "CSC", "c1ccsc1", "thiophene")}


def _aliphatic_only_note(text: str, query: Chem.Mol | None) -> str:
    """For an avoided element written alone (S, [S]) whose pattern finds it aliphatic and not aromatic: said that an
    aromatic one passes, and how to write any (a review avoided S and found 17 of 96 molecules holding a thiophene or
    a thiazole). Only a bare element: a pattern asking more ([OH], [NH2], [C;R], [!c]) means what it asks (a review
    of the first note found it on those), and [Se] reads as any selenium."""
    element = text.strip().removeprefix("[").removesuffix("]")
    if query is None or query.GetNumAtoms() != 1 or element not in _AROMATIC_FORMS:
        return ""
    number, name, aliphatic, aromatic, ring = _AROMATIC_FORMS[element]
    if Chem.MolFromSmiles(aliphatic).HasSubstructMatch(query) and \
            not Chem.MolFromSmiles(aromatic).HasSubstructMatch(query):
        return f" (aliphatic {name} only: an aromatic one, as in {ring}, passes; [#{number}] is any {name})"
    return ""


def _slip_note(text: str) -> str:
    """For a pattern that is no valid SMILES yet uses nothing only SMARTS has, read as SMARTS and matching next to
    nothing (``c1cccc1``, benzene missing an atom; ``N(=O)=O``, a nitro group as no molecule holds it, RDKit's being
    charge-separated): said, since a group avoided so avoids nothing unsaid."""
    if written_as_smarts(text) or (read := parse_smiles(text)).ok or read.failure is ParseFailure.AROMATICITY:
        return ""   # cN or c[N+](=O)[O-], an aromatic atom in no ring: ordinary SMARTS, and meant
    return (f" (read as a SMARTS pattern: it is not valid SMILES, {read.reason}; check that it is the group you "
            "mean)")


#: An H-bond donor as RDKit's ``CalcNumHBD`` counts one (Lipinski's NH and OH; the ``hbd`` property).
_DONOR = Chem.MolFromSmarts("[$([N;!H0;v3]),$([N;!H0;+1;v4]),$([O,S;H1;+0]),$([n;H1;+0])]")


def _counts_a_scaffold_keeps(scaffold: Chem.Mol, query: Chem.Mol) -> dict[str, tuple[int, str]]:
    """The counts every molecule holding ``scaffold`` (read from SMILES; ``query`` its substructure query, atom for
    atom) has at least, each with why: its rings (a molecule holding a ring system has at least its independent
    rings: bonds - atoms + fragments), its aromatic rings (its aromatic atoms stay aromatic, as the query reads
    them), and its donors among atoms whose hydrogen count the query holds ([nH], [NH2], [OH] read as SMARTS: each
    stays a donor, uncharged: a cation such as 1-methylimidazolium's [nH+] holds [nH] and counts as no donor, but
    the models write neutral molecules). An atom written without its hydrogens (N, or a Kekulé ring's N, read as
    SMILES) may give a hydrogen up to a group, so it bounds nothing."""
    independent = scaffold.GetNumBonds() - scaffold.GetNumAtoms() + len(Chem.GetMolFrags(scaffold))
    held = set()
    if query.GetNumAtoms() == scaffold.GetNumAtoms():
        for atom in query.GetAtoms():
            said = atom.DescribeQuery() if atom.HasQuery() else ""
            if re.search(r"AtomHCount [1-9]\d* = val", said) and "!=" not in said and "AtomOr" not in said:
                held.add(atom.GetIdx())
    donors = sum(1 for (index,) in scaffold.GetSubstructMatches(_DONOR) if index in held)
    return {"rings": (independent, "its rings, which every molecule holding it has"),
            "aromatic_rings": (rdMolDescriptors.CalcNumAromaticRings(scaffold), "its aromatic rings, which stay aromatic"),
            "hbd": (donors, "its NH or OH written with their hydrogens, held as written and uncharged as the "
                            "models write them; for an N that may take a group, write its ring in Kekulé form "
                            "(C1=CNC=C1) or an aliphatic N without its H")}


#: A double bond's geometry as a scaffold read from SMILES holds it (E or Z, from its bond directions).
_SET_BOND_STEREO = (Chem.BondStereo.STEREOE, Chem.BondStereo.STEREOZ, Chem.BondStereo.STEREOCIS,
                    Chem.BondStereo.STEREOTRANS)
#: A query's stereo met only by the same configuration (an unassigned centre does not meet it).
_STRICT_STEREO = Chem.SubstructMatchParameters()
_STRICT_STEREO.useChirality = True


#: Molecules of the committed MOSES training sample that :func:`training_share` measures windows on.
TRAINING_SAMPLE = 2000


#: Under this share of the training molecules inside the windows, a run is warned it may need a large budget.
FEW_TRAINING_MOLECULES = 0.05


@lru_cache(maxsize=1)
def _training_molecules() -> tuple[Chem.Mol, ...]:
    from molgen.data.registry import load_smiles

    with quiet_rdkit():
        return tuple(Chem.MolFromSmiles(s) for s in load_smiles("moses-sample", "train")[:TRAINING_SAMPLE])


@lru_cache(maxsize=None)
def _training_values(name: str) -> np.ndarray:
    return np.array([PROPERTIES[name].function(m) for m in _training_molecules()], dtype=float)


def training_share(windows: dict[str, tuple[float | None, float | None]],
                   steered: Collection[str] = (), say_windows: bool = False) -> tuple[float, str] | None:
    """How much of MOSES's training set lies inside the property windows, and that in words (None without a
    window): the shipped models were trained on it and seldom leave it, so a window holding a few percent (MW
    over 350, QED over 0.9) means a long run or a spent budget. Measured on the committed sample's first 2,000
    molecules, on the property windows only (a scaffold or a reference narrows a run further), as the note says.
    ``steered``: the properties the chosen model steers for these conditions (its ``native_conditions``); one that
    steers every windowed property aims at the window itself (the conditional transformer reached MW >= 420 with
    logP >= 4.5, none of the MOSES sample, in 90 samples), and is told so. ``say_windows``: the note names the windows (where
    it is read apart from the conditions, as a run's notes are), not "it"."""
    named = [name for name in windows if name in PROPERTIES]
    if not named:
        return None
    inside = np.ones(TRAINING_SAMPLE, bool)
    for name in named:
        low, high = windows[name]
        values = _training_values(name)
        inside &= (values >= (-np.inf if low is None else low)) & (values <= (np.inf if high is None else high))
    share = float(inside.mean())
    # "none" of the sample (said as a sample of 2,000 after the note): no proof of none at all (a review: "0%" read as
    # impossible, and 1 of 386 samples met them); a share under 1% is said to a tenth, under 0.1% to a hundredth
    found = int(inside.sum())
    said = "none" if not found else f"{share:.2%}" if share < 0.001 else f"{share:.1%}" if share < 0.01 \
        else f"{share:.0%}"
    note = f"{said} of MOSES's training molecules lie inside " + (   # as the run's conditions word them
        " and ".join(shown_window(name, *windows[name]) for name in named) if say_windows
        else "it" if len(named) == 1 else "these windows")
    if share < FEW_TRAINING_MOLECULES and set(named) <= set(steered):
        note += (": this model steers " + " and ".join(named) + " towards " + ("it" if len(named) == 1 else "them")
                 + ", though it learned little there")
    elif share < FEW_TRAINING_MOLECULES:
        note += (": a model that does not steer " + " and ".join(sorted(set(named) - set(steered))) + " will seldom "
                 f"reach {'it' if len(named) == 1 else 'them'}, and the run may need a large budget")
    # the property windows alone: a reference to stay near or a scaffold narrows the run further (a web review)
    return share, note + f" (a sample of {TRAINING_SAMPLE:,}; {', '.join(named)}: the property windows only)"


def held_as_drawn(query: Chem.Mol, *, but_the_marked: bool = False) -> Chem.Mol:
    """A scaffold with attachment points read as an R-group table reads it: each atom keeps exactly the heavy
    neighbours drawn (its marks counted), so a group lands at a ``*`` and nowhere else (``*c1ccc2ncncc2c1`` holds
    6-methylquinazoline, not 6,7-dimethylquinazoline; the fluoxetine core's NH stays an NH). Every atom but the
    marks: RDKit's own flag for this passes over any atom of no element, ``[N,O]`` and ``a`` too.
    ``but_the_marked``: the atoms bearing a mark may take more groups (to tell a crowded mark from a group
    elsewhere)."""
    adjust = Chem.AdjustQueryParameters.NoAdjustments()
    adjust.adjustDegree = True
    adjust.adjustDegreeFlags = Chem.ADJUST_IGNORENONE
    editable = Chem.RWMol(Chem.AdjustQueryProperties(query, adjust))
    # as written: a mark (any atom, of any degree: the group's first atom), and an atom whose own query speaks of its
    # surroundings ([$(C=O)], [R], [x2], [D3]), which a drawn degree would contradict
    marks = attachment_points(query)
    marked = [query.GetAtomWithIdx(i).GetNeighbors()[0].GetIdx() for i in marks] if but_the_marked else []
    for index in set(marks + _surroundings_queried(query) + marked):
        editable.ReplaceAtom(index, query.GetAtomWithIdx(index), preserveProps=True)
    return editable.GetMol()


def _surroundings_queried(query: Chem.Mol) -> list[int]:
    """The query atoms written with a recursive SMARTS or a ring, connectivity or degree primitive."""
    return [atom.GetIdx() for atom in query.GetAtoms()
            if atom.HasQuery() and re.search(r"\$\(|(?<![A-Za-z])[RrxDXv]\d*(?![a-z])", atom.GetSmarts())]


def scaffold_query(text: str) -> Chem.Mol:
    """A kept scaffold as a run's filter reads it (``substructure_query``; with attachment points an R-group core,
    :func:`held_as_drawn`); ``ValueError`` for a text that is neither SMARTS nor SMILES."""
    query = substructure_query(text)
    return held_as_drawn(query) if attachment_points(query) else query


def attachment_points(query: Chem.Mol) -> list[int]:
    """The written ``*`` bonded to one atom ("AtomNull": any atom); not a query atom that happens to carry no element
    ([N,O], [R], [$(...)]), nor a ``*`` inside a ring or chain (a wildcard atom)."""
    return [atom.GetIdx() for atom in query.GetAtoms() if atom.GetAtomicNum() == 0 and atom.GetDegree() == 1
            and atom.HasQuery() and atom.DescribeQuery().strip() == "AtomNull"]


def _marks_bonded_by_any_bond(query: Chem.Mol) -> Chem.Mol:
    """A scaffold query whose attachment points may be bonded by any bond order (a ``*`` written is single)."""
    any_bond = Chem.MolFromSmarts("*~*").GetBondWithIdx(0)
    editable = Chem.RWMol(query)
    for index in attachment_points(query):
        editable.ReplaceBond(query.GetAtomWithIdx(index).GetBonds()[0].GetIdx(), any_bond, preserveProps=True)
    return editable.GetMol()


def _elements_only(text: str) -> Chem.Mol | None:
    """A scaffold that writes an atom with its hydrogens (``[nH]``, ``[NH2]``), read as SMILES without its
    attachment points, to match by elements and bonds alone (N-methylindole holds indole's rings so); None for
    one that writes none, or no SMILES."""
    with quiet_rdkit():
        mol = Chem.MolFromSmiles(text)
    if mol is None or not any(atom.GetNumExplicitHs() for atom in mol.GetAtoms() if atom.GetAtomicNum()):
        return None
    editable = Chem.RWMol(mol)
    for index in sorted((atom.GetIdx() for atom in mol.GetAtoms() if atom.GetAtomicNum() == 0), reverse=True):
        editable.RemoveAtom(index)
    return editable.GetMol() if editable.GetNumAtoms() else None


def _hydrogens_as_counts(mol: Chem.Mol) -> Chem.Mol:
    """``mol`` with hydrogens written as atoms ([2H], [H]) folded into their neighbours' counts, for the scaffold's
    reading: a deuterium at an attachment point is no group there (4-deuterio-4-methylpiperidine read as two groups
    at a 4-* mark, and N-deuterio as a group off the marks)."""
    if not any(atom.GetAtomicNum() == 1 for atom in mol.GetAtoms()):
        return mol
    params = Chem.RemoveHsParameters()
    params.removeIsotopes = True
    params.removeDefiningBondStereo = True
    folded = Chem.RemoveHs(mol, params, sanitize=False)
    folded.UpdatePropertyCache(strict=False)   # an unbracketed N's implicit count, or [NH2] reads none there
    return folded


def _group_on_a_written_hydrogen(mol: Chem.Mol, elements: Chem.Mol) -> bool:
    """Whether ``mol`` holds the scaffold by elements and bonds (``_elements_only``) with more heavy neighbours on an
    atom the scaffold writes with its hydrogens than drawn: a group there, not a tautomer or a charged form (which
    hold it as well by elements alone)."""
    written = [atom.GetIdx() for atom in elements.GetAtoms() if atom.GetNumExplicitHs()]
    return any(mol.GetAtomWithIdx(match[i]).GetDegree() > elements.GetAtomWithIdx(i).GetDegree()
               for match in mol.GetSubstructMatches(elements, maxMatches=16) for i in written)


def _without_attachment_points(query: Chem.Mol) -> Chem.Mol | None:
    """A scaffold query with its attachment points (a ``*`` bonded to one atom) removed; None when it has none.
    A ``*`` inside a ring or chain is a wildcard atom, not a mark, and stays."""
    marks = attachment_points(query)
    if not marks or len(marks) == query.GetNumAtoms():
        return None
    editable = Chem.RWMol(query)
    for index in sorted(marks, reverse=True):
        editable.RemoveAtom(index)
    return editable.GetMol()


def missed_most(failed: Iterable[str], top: int = 3) -> list[tuple[str, int]]:
    """The conditions molecules missed most often, from their ``failed_conditions`` ("; "-joined
    :meth:`ConditionFilter.failures`), with each molecule's own value dropped: ``[("qed >= 0.9", 300), ...]``."""
    counts: Counter[str] = Counter()
    for text in failed:
        if text:
            counts.update({_MEASURED.sub("", miss) for miss in text.split("; ")})
    return counts.most_common(top)


#: A molecule's own value in a missed condition: "qed >= 0.9 (qed 0.71)", "similarity 0.23 < 0.4".
_MEASURED = re.compile(r" \([^()]*\)$|(?<=^similarity) [\d.]+(?= <)")
