"""Scoring a batch: SMILES or molecules in, one ranked DataFrame row per input out.

The work is split in two passes over a process pool: (1) parse and canonicalize every
input once, (2) compute properties, alerts, rules, similarity and substructure checks once
per distinct canonical SMILES (molecules travel as RDKit binaries, so nothing is parsed
twice). Desirabilities, the aggregate and the ranks are then computed vectorised in the
main process. Invalid inputs stay in the table with their reason.
"""

from __future__ import annotations

import os
import warnings
from contextlib import contextmanager
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from rdkit import Chem

from molgen.chem.parse import (FRAGMENT_REASON, has_dummy_atom, parse_smiles, relative_configuration_key,
                               relative_stereo_smiles)
from molgen.chem.rdkit_log import quiet_rdkit
from molgen.chem.standardize import neutralize, salt_parent, without_labels, without_metal_bonds
from molgen.data.files import find_smiles_column, input_name, other_smiles_columns
from molgen.parallel import worker_count, worker_pool
from molgen.progress import progress_bar
from molgen.scoring.aggregate import AGGREGATIONS
from molgen.scoring.alerts import (alert_atoms, check_alert_data, count_findings, describe_findings, expand_alert_sets, find_alerts,
                                   is_ignored)
from molgen.scoring.profiles import ScoringProfile, load_profile
from molgen.scoring.properties import compute_properties
from molgen.scoring.ranking import pareto_ranks, rank_after_hard_filters
from molgen.scoring.rules import check_rule
from molgen.scoring.similarity import (has_substructure, reference_fingerprints, similarity_to_references,
                                      substructure_query)

class MixturesScoredWhole(UserWarning):
    """Some rows are salts or mixtures and were scored whole (a salt's logP is not its drug's): the warning a
    Python caller gets, as the CLI prints it; the ``fragments`` column names the rows."""


class WindowOutOfReach(UserWarning):
    """A profile component whose window no scored molecule comes near (every desirability about 0): its scores
    rank by numeric tails, and say nothing (:func:`windows_out_of_reach`)."""


#: Below this desirability for every molecule, a component's window is said to be out of their reach.
OUT_OF_REACH = 0.01


def windows_out_of_reach(scored: pd.DataFrame, profile: ScoringProfile) -> list[str]:
    """A sentence for each component of ``profile`` that gives every valid molecule of ``scored`` a desirability
    below :data:`OUT_OF_REACH` (a review swapped the MW and logP windows: every score was about 1e-35, and the
    ranking came from the tails of the logistic)."""
    valid = scored[scored["valid"].fillna(False).astype(bool)] if "valid" in scored else scored
    notes = []
    for component in profile.components:
        column = f"d_{component.property}"
        if column not in valid or len(valid) < 2:
            continue
        desirability = pd.to_numeric(valid[column], errors="coerce").dropna()
        if desirability.empty or desirability.max() >= OUT_OF_REACH:
            continue
        # what it does: to a score by its weight (a geometric mean pulled to 0, an arithmetic one lowered alike);
        # to the Pareto fronts, which read every component whatever its weight, by its tails where they differ
        # a geometric mean is d ** share times the others' part (at most 1): a review read "near 0" beside scores of
        # 0.10 to 0.30, the component's share of the weights 1 in 6.5
        share = component.weight / sum(c.weight for c in profile.components)
        bound = desirability.max() ** share
        ranking = (", and the ranking " + ("within a front " if profile.ranking == "pareto" else "")
                   + "may follow how far each molecule lies from the window more than the other properties"
                   if desirability.nunique() > 1 else "")
        effects = ([] if not component.weight > 0 else
                   [("every score is 0" if bound == 0 else f"every score is at most {_rounded_up(bound)} ({column} to "
                     f"the power of its {share:.0%} share of the weights){ranking}")]
                   if profile.aggregation == "geometric" else
                   ["it lowers every score alike, by its share of the weights"
                    + (", and ranks nothing" if profile.ranking != "pareto" else "")])
        if profile.ranking == "pareto" and desirability.nunique() > 1:
            effects.append("its near-zero values still reorder the Pareto fronts")
        if not effects:
            continue
        values = pd.to_numeric(valid[component.property], errors="coerce") if component.property in valid else None
        spread = (f" (their {component.property} from {values.min():g} to {values.max():g})"
                  if values is not None and values.notna().any() else "")
        effect = "; ".join(effects)
        notes.append(f"no molecule comes near {component.property}'s {component.transform.kind} window "
                     f"({component.transform.shown()}): {column} is below {OUT_OF_REACH:g} for all {len(desirability):,} molecules{spread}, so "
                     f"{effect}: a profile for other molecules, or a window meant for another property")
    return notes


def _rounded_up(value: float) -> str:
    """``value`` to two significant digits, rounded up: a bound said must hold (0.0954 is "0.096", not "0.095"). In
    decimal arithmetic: exact for 2e-10 and for a subnormal bound (a Gaussian 38 widths away; float steps overflowed)."""
    from decimal import ROUND_CEILING, Context, Decimal

    # normalized: 0.1, not 0.10 (a desirability's power, so at most 1)
    return format(Context(prec=2, rounding=ROUND_CEILING).plus(Decimal(repr(float(value)))).normalize(), "g")


@contextmanager
def mixtures_said_elsewhere():
    """Within it, :func:`score` does not warn of salts scored whole: for callers that say so in their own words
    (the CLI, the Home page), or that score molecules a model wrote, where the warning's advice has no use."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MixturesScoredWhole)
        yield


@contextmanager
def windows_said_elsewhere():
    """Within it, :func:`score` does not warn of a window out of the molecules' reach: for callers scoring a part of
    a set (a run's chunk, a latent path), where it would be said of each part, or none at all."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", WindowOutOfReach)
        yield


#: Below this many inputs a pool costs more than it saves.
MIN_PARALLEL = 2_000
CHUNK = 1_000


def profile_alert_atoms(mol, profile) -> dict[str, list[int]]:
    """The atoms of each alert ``profile`` reports on ``mol``, less those it leaves out (``ignore_alerts``)."""
    return {hit: atoms for hit, atoms in alert_atoms(mol, profile.alerts).items()
            if not is_ignored(hit, profile.ignore_alerts)}


def drawn_alert_atoms(mol: Chem.Mol, alert_sets, ignored=()) -> dict[str, list[int]]:
    """The atoms of each alert of ``alert_sets`` (less those ``ignored``) as scoring finds them, on ``mol``'s unlabelled
    parent, numbered as ``mol``'s own atoms, for a drawing of ``mol``: a deuterated molecule's hydrogens are atoms of
    its drawing but not of its parent, and indices counted on the parent lit the wrong atoms (a review)."""
    plain = without_labels(mol)
    hits = {hit: atoms for hit, atoms in alert_atoms(plain, alert_sets).items() if not is_ignored(hit, ignored)}
    if plain is mol or plain.GetNumAtoms() == mol.GetNumAtoms():
        return hits
    kept = [atom.GetIdx() for atom in mol.GetAtoms() if atom.GetAtomicNum() != 1]   # RemoveHs keeps their order
    if len(kept) != plain.GetNumAtoms():   # a hydrogen RemoveHs kept: no sure mapping, nothing lit rather than wrong
        return {hit: [] for hit in hits}
    return {hit: [kept[i] for i in atoms] for hit, atoms in hits.items()}


def described_alerts(smiles: str, alert_names: str | None, profile: ScoringProfile | str) -> str:
    """A scored row's alerts as a chemist reads them (:func:`~molgen.scoring.alerts.describe_findings`), the names
    one catalog gives to one group of atoms together, as the row's ``alerts`` count reads them."""
    named = [hit for hit in str(alert_names or "").split("; ") if hit]
    mol = Chem.MolFromSmiles(smiles) if len(named) > 1 else None
    mol = without_labels(mol) if mol is not None else None   # as scoring found them: on the unlabelled parent
    return describe_findings(named, profile_alert_atoms(mol, load_profile(profile)) if mol is not None else None)


def _prepared(mol: Chem.Mol, largest_fragment: bool) -> tuple[str, bytes, str, int]:
    """(canonical SMILES, binary, '', fragments of the input) of a parsed molecule, reduced to its
    salt parent (:func:`~molgen.chem.standardize.salt_parent`) when asked; nothing else is standardized.
    A charged molecule given alone (a carboxylate, a protonated amine) is neutralized too, so that it and
    its salt are one parent; a charge with no neutral form (a quaternary ammonium) stays."""
    mol = without_metal_bonds(mol)   # C(=O)O[Na] is a salt of two ions: counted, warned of and reduced as one
    fragments = len(Chem.GetMolFrags(mol))
    if largest_fragment:
        mol = salt_parent(mol) if fragments > 1 else neutralize(mol)
    return Chem.MolToSmiles(mol), mol.ToBinary(), "", fragments


def _given_molecule(mol: Chem.Mol, largest_fragment: bool) -> tuple[str | None, bytes | None, str, int | None]:
    """An RDKit molecule given directly, checked as a SMILES string is: one built unsanitized may break valence,
    one with explicit hydrogens (``AddHs``) would be described with them as atoms. Written as SMILES and read
    back, it meets the same checks and gets the same reasons; a failure is its row's reason, not the batch's end."""
    if mol.GetNumAtoms() == 0:
        return None, None, "empty: a molecule with no atoms", None
    try:   # a relative configuration (rac-cis) kept as CXSMILES, as a SMILES text giving one is read
        smiles = relative_stereo_smiles(mol) or Chem.MolToSmiles(mol)
    except Exception as error:  # noqa: BLE001 -- RDKit raises several types for a molecule it cannot write
        return None, None, f"other: RDKit cannot write this molecule ({error})", None
    return _parse_chunk(([smiles], largest_fragment))[0]


def _parse_chunk(args: tuple[list, bool]) -> list[tuple[str | None, bytes | None, str, int | None]]:
    """(canonical SMILES, molecule binary, reason, fragments of the input) for raw SMILES strings."""
    items, largest_fragment = args
    out = []
    with quiet_rdkit():
        for item in items:
            parsed = parse_smiles(item)
            if parsed.ok:
                prepared = _prepared(parsed.mol, largest_fragment)
                # a relative configuration (rac-cis, |&1:1,3|) is read unassigned: its SMILES is canonical CXSMILES
                # with the stereo group, so rac-cis and rac-trans are two molecules, not one and its duplicate
                if (relative := relative_configuration_key(item, parent=largest_fragment)) is not None:
                    prepared = (relative, *prepared[1:])
                # an R-group or core (*c1ccccc1) is no molecule to score; a * dropped with --largest-fragment's
                # other fragments leaves one
                out.append((None, None, FRAGMENT_REASON, None) if has_dummy_atom(Chem.Mol(prepared[1])) else prepared)
            else:
                out.append((None, None, f"{parsed.failure.value}: {parsed.message}", None))
    return out


def _describe_chunk(args: tuple[list[bytes], dict]) -> list[dict]:
    """Everything a profile needs that depends on the molecule alone, one dict per molecule."""
    binaries, profile_data = args
    profile = ScoringProfile.from_dict(profile_data)
    references = reference_fingerprints(profile.references)
    required = [(text, substructure_query(text)) for text in profile.require]
    avoided = [(text, substructure_query(text)) for text in profile.avoid]
    rows = []
    with quiet_rdkit():
        for binary in binaries:
            mol = Chem.Mol(binary)
            row: dict = compute_properties(mol)
            # a deuterated or 13C-labelled molecule is described as its parent: O-D holds no [OH] for an alert's
            # pattern, and a CD3's explicit atoms would change its fingerprint
            plain = without_labels(mol)
            if references:
                row["similarity_max"], row["similarity_mean"] = similarity_to_references(plain, references)
            hits = find_alerts(plain, profile.alerts) if profile.alerts else []
            if profile.ignore_alerts:   # what the chemist accepts for this series (a solubilising chain)
                hits = [hit for hit in hits if not is_ignored(hit, profile.ignore_alerts)]
            # what a filter reads (alerts == 0): one group of atoms several patterns match is one finding
            row["alerts"] = count_findings(hits, profile_alert_atoms(plain, profile) if len(hits) > 1 else None)
            row["alert_names"] = "; ".join(hits)
            for rule, allowed in profile.rules.items():
                result = check_rule(rule, row, allowed)
                row[f"{rule}_pass"] = result.passed
                row[f"{rule}_violations"] = "; ".join(result.violations)
            if required:
                missing = [text for text, query in required if not _holds(mol, plain, query)]
                row["missing_required"] = "; ".join(missing)
            if avoided:
                present = [text for text, query in avoided if _holds(mol, plain, query)]
                row["avoided_present"] = "; ".join(present)
            rows.append(row)
    return rows


def _holds(mol: Chem.Mol, plain: Chem.Mol, query: Chem.Mol) -> bool:
    """Whether a labelled molecule holds ``query`` as written or as its unlabelled parent: [OH] is in phenol's O-D
    form (its parent's), [2H] or [#6;13*] in the labels themselves. Tried both ways, not by reading the pattern for an
    isotope, which a recursive or compound SMARTS ([$([2H])], [#1;2*]) hides."""
    return has_substructure(plain, query) or (plain is not mol and has_substructure(mol, query))


def _run(function, chunks: list, pool, bar) -> list:
    results = []
    iterator = pool.imap(function, chunks) if pool is not None else map(function, chunks)
    for part in iterator:
        results.extend(part)
        bar.update(len(part))
    return results


def _inputs(molecules, smiles_column: str | None) -> tuple[list, pd.DataFrame | None]:
    if isinstance(molecules, dict):   # iterated, its keys were scored as SMILES (a review)
        raise TypeError("score takes SMILES or molecules (a list, a Series, a DataFrame), not a dict, whose keys "
                        "would be read as SMILES: give pd.Series(the_dict) to keep its keys as the index, or "
                        "list(the_dict.values())")
    if isinstance(molecules, os.PathLike) or (isinstance(molecules, str) and not parse_smiles(molecules).ok
                                              and os.path.isfile(molecules)):
        # a path was "'PosixPath' object is not iterable", a path as text one invalid SMILES (a review)
        raise TypeError(f"score takes molecules, not a file: read it first, score(read_molecules({str(molecules)!r})) "
                        "(from molgen.data import read_molecules), or run `molgen score FILE`")
    if isinstance(molecules, pd.DataFrame):
        columns = [str(c) for c in molecules.columns]
        column = find_smiles_column(columns, "<DataFrame>", smiles_column)
        if columns.count(column) > 1:   # the column's cells are then a frame, and its header text was scored
            raise ValueError(f"the DataFrame has {columns.count(column)} columns named {column!r}: rename one, so "
                             "that the molecules' column is one")
        if smiles_column is None and (others := other_smiles_columns(columns, column)):
            warnings.warn(f"column {column!r} scored as the molecules; {', '.join(map(repr, others))} also "
                          f"name{'s' * (len(others) == 1)} SMILES (smiles_column= picks another)", UserWarning,
                          stacklevel=3)
        frame = molecules.reset_index(drop=True)
        # a column named "smiles" would meet the output's canonical one; its text is in "input"
        return list(molecules[column]), frame.drop(columns=[column]) if column == "smiles" else frame
    if isinstance(molecules, pd.Series):
        return list(molecules), None
    if isinstance(molecules, (str, Chem.Mol)):   # one molecule: "CCO" is not three atoms to score one by one
        return [molecules], None
    return list(molecules), None


def score(molecules: Sequence[str | Chem.Mol] | Iterable | pd.Series | pd.DataFrame,
          profile: ScoringProfile | str = "drug-like", *, n_jobs: int | None = None,
          smiles_column: str | None = None, progress: bool = True, largest_fragment: bool = False) -> pd.DataFrame:
    """Score and rank molecules with a profile.

    Args:
        molecules: SMILES strings or RDKit molecules (a list, Series, or a DataFrame whose
            SMILES column is found by name or given as ``smiles_column``); one string or molecule is one row.
        profile: a :class:`ScoringProfile`, a shipped profile name or a TOML path.
        n_jobs: processes (default: all cores; small inputs run in this process).
        progress: show progress bars.
        largest_fragment: score a salt or mixture by its parent: the largest organic fragment that is no
            known counter-ion or solvent (:mod:`molgen.chem.counterions`), neutralized (ibuprofen sodium is scored as ibuprofen), and an ion given alone neutralized (a
            protonated amine as the amine); ``smiles`` is then the parent's. Without it, salts and mixtures
            are scored whole and a :class:`MixturesScoredWhole` warning says how many.

    Returns:
        One row per input, in input order, under the input's own index where it is a DataFrame or Series (so that
        ``df["score"] = score(df)["score"]`` lands on the right rows), else numbered from 0: ``input``, ``valid``,
        ``reason``, ``smiles`` (canonical), ``duplicate`` (an earlier row has the same canonical SMILES),
        ``duplicate_of`` (that earlier row's position, from 0, whatever the index), ``fragments``
        (the input's disconnected pieces: more than 1 is a salt or mixture, scored whole unless
        ``largest_fragment``), every
        property, ``alerts`` (a count, each finding once)/``alert_names``, ``<rule>_pass``/``<rule>_violations``,
        ``d_<property>`` desirabilities, ``passes_filters``, ``score``, ``rank`` (1 is best;
        0 for invalid rows) and, for Pareto ranking, ``pareto_front``. A DataFrame input
        keeps its other columns, as ``input_<name>`` where the output has a column of that name.
    """
    if n_jobs is not None and n_jobs < 1:   # 0 must not quietly mean every core
        raise ValueError(f"n_jobs must be at least 1 (or None: all cores), got {n_jobs}")
    profile = load_profile(profile)
    check_alert_data(profile.alerts)
    items, frame = _inputs(molecules, smiles_column)
    # a DataFrame's or Series' own index is the table's: `df["score"] = score(df)["score"]` aligns by it, and a
    # numbered index put each score on another molecule of a sorted or filtered frame (a review)
    index = molecules.index if isinstance(molecules, (pd.DataFrame, pd.Series)) else None
    if index is not None and not index.is_unique:   # labels naming two rows each cannot place a score: numbered
        warnings.warn("the input's index repeats labels (pd.concat without ignore_index=True?): the table's rows are "
                      "numbered from 0, in input order", UserWarning, stacklevel=2)
        index = None
    n = len(items)
    workers = 1 if n < MIN_PARALLEL else worker_count(n_jobs)
    with worker_pool(workers) as pool:
        # Pass 1: parse once. RDKit molecules given directly are checked as strings are.
        raw_positions = [i for i, item in enumerate(items) if not isinstance(item, Chem.Mol)]
        parsed: list[tuple[str | None, bytes | None, str, int | None]] = [None] * n  # type: ignore[list-item]
        for i, item in enumerate(items):
            if isinstance(item, Chem.Mol):
                parsed[i] = _given_molecule(item, largest_fragment)
        raw = [items[i] for i in raw_positions]
        with progress_bar(total=len(raw), desc="parsing", unit="mol", disable=not progress or len(raw) < MIN_PARALLEL) as bar:
            results = _run(_parse_chunk, [(raw[i:i + CHUNK], largest_fragment) for i in range(0, len(raw), CHUNK)],
                           pool, bar)
        for i, result in zip(raw_positions, results):
            parsed[i] = result
        # Pass 2: describe each distinct canonical SMILES once.
        unique: dict[str, int] = {}
        binaries: list[bytes] = []
        for canonical, binary, *_ in parsed:
            if canonical is not None and canonical not in unique:
                unique[canonical] = len(binaries)
                binaries.append(binary)
        recipe = profile.to_dict()
        chunks = [(binaries[i:i + CHUNK], recipe) for i in range(0, len(binaries), CHUNK)]
        with progress_bar(total=len(binaries), desc="scoring", unit="mol", disable=not progress or len(binaries) < MIN_PARALLEL) as bar:
            described = _run(_describe_chunk, chunks, pool, bar)
    mixtures = sum(1 for *_, fragments in parsed if fragments is not None and fragments > 1)
    if mixtures and not largest_fragment:
        warnings.warn(f"{mixtures:,} {'rows are salts or mixtures' if mixtures != 1 else 'row is a salt or mixture'} "
                      "(column fragments > 1), scored whole, counter-ions included; largest_fragment=True scores "
                      "the parent molecule", MixturesScoredWhole, stacklevel=2)
    out = _assemble(items, parsed, unique, described, profile, frame)
    if isinstance(molecules, pd.DataFrame) and "read_error" in molecules.columns:
        # a record read_molecules could not read (an SDF record naming an unknown element) says why, as the command
        # line's table does, not "expected a SMILES string, got NoneType" (a review)
        # by position (an index may repeat labels), on rows that did not parse, and only a reader's text: a column
        # of the user's own under that name leaves a valid row's reason alone (a code review)
        errors = molecules["read_error"].to_numpy(dtype=object)
        unread = np.array([isinstance(e, str) and bool(e) for e in errors]) & ~out["valid"].to_numpy(dtype=bool)
        out.loc[unread, "reason"] = errors[unread]
    for note in windows_out_of_reach(out, profile):
        warnings.warn(note, WindowOutOfReach, stacklevel=2)
    return out.set_axis(index) if index is not None else out


def _assemble(items, parsed, unique, described, profile: ScoringProfile, frame) -> pd.DataFrame:
    # Everything below is computed once per distinct molecule, then spread to the input rows.
    table = pd.DataFrame(described, index=pd.RangeIndex(len(described)))
    if not described:   # no valid molecule: the same columns all the same (methane's, for their names), empty
        table = pd.DataFrame(columns=list(_describe_chunk(([Chem.MolFromSmiles("C").ToBinary()], profile.to_dict()))[0]))
    for column in ("alerts", "alert_names"):
        if column not in table:
            table[column] = pd.Series(dtype="int64" if column == "alerts" else object)
    desirability = np.zeros((len(table), len(profile.components)))
    for j, component in enumerate(profile.components):
        desirability[:, j] = component.transform(table[component.property].to_numpy(dtype=float)) if len(table) else []
        table[f"d_{component.property}"] = desirability[:, j]
    aggregate = AGGREGATIONS[profile.aggregation](desirability, [c.weight for c in profile.components])
    failed = _failed_filters(table, profile)
    table["passes_filters"] = failed == ""
    table["failed_filters"] = failed
    table["score"] = np.where(table["passes_filters"], aggregate, 0.0) if len(table) else aggregate
    passing = table["passes_filters"].to_numpy(dtype=bool)
    fronts = None
    if profile.ranking == "pareto":   # the fronts the ranks use: of the molecules passing the hard filters (0: failing)
        fronts = table["pareto_front"] = pareto_ranks(np.where(passing[:, None], desirability, np.nan))
    table["rank"] = rank_after_hard_filters(table["score"].to_numpy(), aggregate, passing,
                                            desirability if profile.ranking == "pareto" else None, fronts)

    canonical = [p[0] for p in parsed]
    row_of = np.array([unique[c] if c is not None else -1 for c in canonical], dtype=np.int64)
    first_row: dict[str, int] = {}
    duplicate_of = []   # the row that first held the molecule, so conflicting labels of one compound can be found
    for i, c in enumerate(canonical):
        duplicate_of.append(first_row.setdefault(c, i) if c is not None else None)
    duplicate_of = [d if d is not None and d != i else None for i, d in enumerate(duplicate_of)]
    head = pd.DataFrame({
        "input": [Chem.MolToSmiles(item) if isinstance(item, Chem.Mol) else item for item in items],
        "valid": row_of >= 0,
        "reason": [p[2] for p in parsed],
        "smiles": canonical,
        "duplicate": [d is not None for d in duplicate_of],
        "duplicate_of": pd.array(duplicate_of, dtype="Int64"),
        # a salt or mixture is scored whole (logP of ibuprofen sodium, not of ibuprofen): say so per row
        "fragments": pd.array([p[3] for p in parsed], dtype="Int64"),
    })
    spread = table.reindex(row_of).reset_index(drop=True)  # label -1 (invalid) -> an all-missing row
    for column in spread.columns:
        kind = table[column].dtype.kind
        if kind == "b":
            spread[column] = spread[column].astype("boolean")
        elif kind in "iu":
            spread[column] = spread[column].fillna(0).astype(np.int64) if column in ("rank", "pareto_front") else spread[column].astype("Int64")
    out = pd.concat([head, spread], axis=1)
    if frame is not None:
        # the caller's columns stay, renamed input_<name> where the output has one of that name (their own qed)
        taken = set(out.columns) | set(frame.columns)
        renamed = {}
        for column in frame.columns:
            if column in out.columns and column not in renamed:
                renamed[column] = input_name(taken, column)
                taken.add(renamed[column])
        out = pd.concat([out, frame.rename(columns=renamed)], axis=1)
    return out


def _failed_filters(table: pd.DataFrame, profile: ScoringProfile) -> np.ndarray:
    """Per distinct molecule, the hard filters it fails, joined with '; ' ('' when it passes)."""
    checks = {
        "alerts": lambda: table["alerts"].to_numpy() > 0,
        "rules": lambda: ~np.logical_and.reduce([table[f"{r}_pass"].to_numpy(dtype=bool) for r in profile.rules]) if profile.rules else np.zeros(len(table), bool),
        "require": lambda: table.get("missing_required", pd.Series([""] * len(table))).to_numpy(dtype=object) != "",
        "avoid": lambda: table.get("avoided_present", pd.Series([""] * len(table))).to_numpy(dtype=object) != "",
    }
    failed = np.full(len(table), "", dtype=object)
    for name in profile.filters_applied:
        mask = checks[name]() if name in checks else _hits_alert_set(table["alert_names"], name)
        failed[mask] = [f"{f}; {name}" if f else name for f in failed[mask]]
    return failed


def _hits_alert_set(alerts: pd.Series, name: str) -> np.ndarray:
    """Per molecule, whether its alerts (``"<set>:<name>; ..."``) include one from set ``name`` (an alias
    such as ``pains`` covers its families)."""
    prefixes = tuple(f"{s}:" for s in expand_alert_sets([name]))
    return np.array([any(hit.startswith(prefixes) for hit in str(text).split("; ")) if isinstance(text, str) else False
                     for text in alerts], dtype=bool)
