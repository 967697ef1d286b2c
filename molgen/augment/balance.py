"""Property-balanced sets: fill the under-populated bins of a property up to a target histogram.

Discriminative models trained on a skewed property distribution learn the crowded region and
guess elsewhere. ``balance`` keeps every input molecule and adds generated ones only to bins
below their target, until each is full or the sampling budget runs out (then it says which bins
stayed short). A conditional transformer is asked for each short bin's centre directly; any
other SMILES model is sampled freely and its molecules dropped into whichever bin they land in.
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np
import pandas as pd
from rdkit import Chem

from molgen.augment.guards import CompoundIndex, Guard, ReferenceSet, screened
from molgen.augment.provenance import params_text
from molgen.chem.parse import FRAGMENT_REASON, has_dummy_atom, molecule_list, parse_smiles
from molgen.chem.rdkit_log import quiet_rdkit
from molgen.chem.standardize import neutral_parent
from molgen.models.base import Conditions
from molgen.scoring.properties import PROPERTIES


def _values(mols: list[Chem.Mol], name: str, profile) -> np.ndarray:
    if name in PROPERTIES:
        return np.array([PROPERTIES[name].function(m) for m in mols], dtype=float)
    from molgen.scoring.pipeline import mixtures_said_elsewhere, score, windows_said_elsewhere

    if profile is None:
        raise ValueError(f"{name!r} is not a property ({', '.join(PROPERTIES)}); for a scoring column give a profile")
    with mixtures_said_elsewhere(), windows_said_elsewhere():   # their parents already; one column read
        table = score(mols, profile, progress=False)
    if name not in table:
        raise ValueError(f"the profile has no column {name!r}; it has {', '.join(c for c in table.columns if c[0] != '_')}")
    return table[name].to_numpy(dtype=float)


def balance(smiles: Sequence[str], prop: str, *, bins: int = 10, value_range: tuple[float, float] | None = None,
            per_bin: int | None = None, model: str = "smiles-lm", seed: int = 0, max_samples: int = 50_000,
            chunk: int = 1000, guard: Guard | None = None, screen: bool = True,
            profile=None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Returns (rows, removed, histogram).

    ``rows`` are the valid inputs (``method = "original"``, with their ``input_row``; a salt or a charged
    form binned by its parent: largest fragment, neutralized) followed by the synthetic ones, each with
    provenance and its ``bin``. An input that is a held-out molecule is removed with the reason,
    like an invalid one. ``histogram`` has, per bin, its edges, the count before,
    the target, the count added and whether it reached the target.

    Args:
        prop: a property (``qed``, ``logp``, ...) or, with ``profile``, any scoring column
            (``score``, ``d_qed``, ...).
        bins / value_range: equal-width bins over ``value_range`` (default: the inputs' range).
        per_bin: the target count of every bin (default: the fullest bin's count).
        max_samples: molecules sampled at most before giving up on short bins.
        guard: leak, copy, alert and rule checks.
        screen: new molecules are also screened for :data:`~molgen.augment.guards.GENERATED_ROW_ALERTS` (strained
            rings, radicals, no carbon, halogens on N, O or S (not sulfonyl halides)), with or without a guard, as on the command line.
    """
    from molgen.models.base import load, whole_number
    from molgen.runs.generate import chunk_seed, file_sha256, resolve_checkpoint

    # the command line refuses these; from Python chunk=0 sampled nothing for ever, bins=0 blamed the inputs' range
    whole_number("bins", bins, least=1)
    whole_number("max_samples", max_samples, least=1)
    whole_number("chunk", chunk, least=1)
    if per_bin is not None:
        whole_number("per_bin", per_bin, least=1)

    # new molecules screened as on the command line, whatever guard is given; a copy, so the seeds set below
    # stay this call's
    molecule_list(smiles, "balance")
    guard = screened(guard, screen)
    inputs, input_rows, removed = [], [], []
    with quiet_rdkit():
        for line, text in enumerate(smiles, start=1):
            parsed = parse_smiles(text)
            if not parsed.ok:
                removed.append({"smiles": text, "method": "original", "input_row": line,
                                "removed_because": f"invalid input: {parsed.failure.value}: {parsed.message}"})
            elif has_dummy_atom(parsed.mol):   # an R-group has no property value of its own (the * counted as nothing)
                removed.append({"smiles": text, "method": "original", "input_row": line,
                                "removed_because": f"invalid input: {FRAGMENT_REASON}"})
            elif leak := guard.leak(parsed.mol, near=False):  # an input that is a test molecule would carry it in
                removed.append({"smiles": text, "method": "original", "input_row": line, "removed_because": leak})
            else:
                inputs.append(parsed.mol)
                input_rows.append(line)
    if not inputs:
        held = sum(not r["removed_because"].startswith("invalid input") for r in removed)
        raise ValueError(f"no usable input molecule to balance: {len(removed) - held:,} invalid, {held:,} held out")
    # a salt is binned by its parent (sodium benzoate by benzoic acid's logP): the counter-ion is not the compound;
    # and a charge state by its neutral form, so the rows the guard counts as one compound share one value
    values = _values([neutral_parent(m) for m in inputs], prop, profile)
    low, high = value_range if value_range is not None else (float(np.nanmin(values)), float(np.nanmax(values)))
    if value_range is not None and not high > low:
        raise ValueError(f"the range {low:g},{high:g} of {prop} is empty: LOW comes first and must be below HIGH")
    if not high > low:
        raise ValueError(f"the value range of {prop} is empty ({low:g} to {high:g}); give a range (--range LOW,HIGH)")
    bins_asked = bins
    edges, bins = bin_edges(prop, low, high, bins)
    low, high = float(edges[0]), float(edges[-1])

    def bin_of(v: np.ndarray) -> np.ndarray:
        index = np.clip(np.searchsorted(edges, v, side="right") - 1, 0, bins - 1)
        return np.where((v >= low) & (v <= high), index, -1)  # -1: outside the histogram

    # A compound given twice (a salt and its free base, two stereoisomers) is one compound of the set: counted
    # once, or its bin's count, and every bin's target with it, would be inflated. Both rows stay, the repeat marked.
    compounds = CompoundIndex()
    repeat_of = [compounds.first(m, row) for m, row in zip(inputs, input_rows)]
    counted = np.array([first == row for first, row in zip(repeat_of, input_rows)])
    # the same molecule written again is told apart from another form of its compound, as enumerate tells them
    first_row: dict[str, int] = {}
    same_molecule = [first if (first := first_row.setdefault(Chem.MolToSmiles(m), row)) != row else None
                     for m, row in zip(inputs, input_rows)]
    before = np.bincount(bin_of(values)[(bin_of(values) >= 0) & counted], minlength=bins)
    if not before.any():   # nothing to balance: every input lies outside the histogram (or has no value)
        raise ValueError(f"none of the {len(inputs):,} input molecules has a {prop} value inside {low:g} to {high:g}")
    target = np.full(bins, per_bin if per_bin is not None else int(before.max()))
    need = np.maximum(target - before, 0)
    family, checkpoint = resolve_checkpoint(model)
    generator = load(model)
    checkpoint_text = f"{checkpoint.name} sha256:{file_sha256(checkpoint)[:16]}"
    conditional = prop in getattr(generator.config, "conditions", [])
    originals = [Chem.MolToSmiles(m) for m in inputs]
    guard.seeds = guard.seeds or ReferenceSet("inputs", originals)
    seen = set(originals)
    added: list[dict] = []
    sampled, index = 0, 0
    # sampled molecules that are not rows and not removals either: counted, so "sampled 600, added 37" adds up
    unused = Counter({"invalid": 0, "a repeat (of an input or an earlier sample)": 0, "no value of the property": 0,
                      "outside the histogram": 0, "in a bin already full": 0})
    # chunks asked for a bin's centre in a row that added nothing to it: a target beyond what the model writes
    # (mw 457 from a model that wrote empty strings for it) must not take the whole budget from the other short bins
    fruitless = np.zeros(bins, dtype=int)
    asked = np.zeros(bins, dtype=int)
    guarded = [Counter() for _ in range(bins)]   # each bin's molecules the guard removed, by the reason's kind
    with quiet_rdkit():
        while need.sum() > 0 and sampled < max_samples:
            size = min(chunk, max_samples - sampled)
            short = None
            if conditional:  # ask for the centre of the emptiest short bin that has not just been asked in vain
                short = min(np.flatnonzero(need > 0), key=lambda b: (fruitless[b], -need[b], b))
                asked[short] += 1
                centre = float((edges[short] + edges[short + 1]) / 2)
                samples = generator.sample(size, conditions=Conditions(targets={prop: centre}), seed=chunk_seed(seed, index))
                how = {"target": round(centre, 4)}
            else:
                samples = generator.sample(size, seed=chunk_seed(seed, index))
                how = {}
            sampled += len(samples)
            index += 1
            need_before = int(need[short]) if short is not None else 0
            mols = []
            for sample in samples:
                parsed = parse_smiles(sample.smiles)
                canonical = Chem.MolToSmiles(parsed.mol) if parsed.ok else None
                if canonical is None:
                    unused["invalid"] += 1
                elif canonical in seen:
                    unused["a repeat (of an input or an earlier sample)"] += 1
                else:
                    seen.add(canonical)
                    mols.append(parsed.mol)
            if mols:
                new_values = _values(mols, prop, profile)
                for mol, b, v in zip(mols, bin_of(new_values), new_values):
                    if b < 0 or need[b] == 0:
                        why = "no value of the property" if np.isnan(v) else "outside the histogram" if b < 0 else \
                            "in a bin already full"
                        unused[why] += 1
                        continue
                    reason = guard.check(mol)
                    canonical = Chem.MolToSmiles(mol)
                    if reason:
                        removed.append({"smiles": canonical, "method": "balance", "input_row": None, "removed_because": reason})
                        guarded[int(b)][reason.split(":")[0]] += 1
                        continue
                    need[b] -= 1
                    added.append({"smiles": canonical, "method": "balance", "seed_smiles": None,
                                  "params": params_text({"property": prop, "bins": bins, "range": [low, high], "seed": seed,
                                                         "native": conditional, **how}),
                                  "checkpoint": checkpoint_text, "input_row": None, prop: round(float(v), 6), "bin": int(b)})
            if short is not None:   # in vain, whether the model wrote nothing there or the guard removed it all
                fruitless[short] = fruitless[short] + 1 if need[short] == need_before else 0
    original_rows = pd.DataFrame({"smiles": originals, "method": "original", "seed_smiles": None, "params": None,
                                  "checkpoint": None, "input_row": pd.array(input_rows, dtype="Int64"), prop: values.round(6),
                                  "bin": bin_of(values),
                                  "same_molecule_as_row": pd.array(same_molecule, dtype="Int64"),
                                  "same_parent_as_row": pd.array([None if c or m is not None else r for c, m, r in
                                                                  zip(counted, same_molecule, repeat_of)], dtype="Int64")})
    rows = pd.concat([original_rows, pd.DataFrame(added, columns=original_rows.columns)], ignore_index=True)
    added_counts = np.bincount(np.array([a["bin"] for a in added], dtype=int), minlength=bins)
    histogram = pd.DataFrame({"low": edges[:-1], "high": edges[1:], "before": before, "target": target,
                              "added": added_counts, "after": before + added_counts})
    histogram["reached"] = histogram["after"] >= histogram["target"]
    histogram.attrs["sampled"] = sampled
    histogram.attrs["unused"] = dict(unused)
    histogram.attrs["inputs_outside"] = int((bin_of(values) < 0).sum())   # kept as rows, in no bin
    histogram.attrs["repeated_molecules"] = sum(m is not None for m in same_molecule)   # kept, counted once
    histogram.attrs["repeated_compounds"] = int((~counted).sum()) - histogram.attrs["repeated_molecules"]
    histogram.attrs["bins_asked"] = bins_asked
    histogram.attrs["property"] = prop
    # bins whose centre the model was asked for in vain at the end: their target looks beyond what it writes
    histogram.attrs["fruitless_targets"] = {int(b): int(asked[b]) for b in np.flatnonzero((fruitless > 0) & (need > 0))}
    # short bins the model did write into, whose molecules the guard removed: the guard, not the model, kept them short
    histogram.attrs["guarded_short_bins"] = {int(b): dict(guarded[b].most_common()) for b in np.flatnonzero(need > 0)
                                             if guarded[b]}
    return rows, pd.DataFrame(removed, columns=["smiles", "method", "input_row", "removed_because"]), histogram


def _counts(prop: str) -> bool:
    """Whether ``prop`` is a property of whole numbers (hbd, rings, heavy atoms)."""
    from molgen.scoring.properties import PROPERTIES

    return prop in PROPERTIES and PROPERTIES[prop].integer


def bin_edges(prop: str, low: float, high: float, bins: int) -> tuple[np.ndarray, int]:
    """(edges, bins): ``bins`` equal-width bins from ``low`` to ``high``; for a count (hbd, rings, heavy atoms), bins of
    whole values (their sizes differing by one at most) from half below ``low`` to half above ``high``, and no more
    bins than values: an equal-width bin between two whole numbers can never fill, and spent the whole sampling
    budget trying (``hbd`` 0 to 3 in 8 bins left four empty)."""
    if not _counts(prop):
        return np.linspace(low, high, bins + 1), bins
    first, last = int(np.ceil(low)), int(np.floor(high))
    if last < first:
        raise ValueError(f"{prop} counts whole numbers, and none lies between {low:g} and {high:g}")
    values = last - first + 1
    bins = min(bins, values)
    sizes = [values // bins + (i < values % bins) for i in range(bins)]
    return first - 0.5 + np.concatenate([[0], np.cumsum(sizes)]), bins


def bin_label(prop: str, low: float, high: float) -> str:
    """A bin as a table shows it: a count's whole values ('0 to 2', '3'), else its edges."""
    if _counts(prop):
        first, last = int(np.ceil(low)), int(np.floor(high))
        return str(first) if first == last else f"{first} to {last}"
    return f"{low:.4g} to {high:.4g}"


def histogram_table(histogram: pd.DataFrame, prop: str) -> pd.DataFrame:
    """The histogram as a file and the Augment page give it: each bin's edges named by the property binned."""
    return histogram.rename(columns={"low": f"{prop} from", "high": f"{prop} to"})


def filled_columns(columns: pd.DataFrame | None) -> list[str]:
    """The input's own columns that hold a value somewhere (ids, labels), the reader's ``line`` aside: what a row
    balance adds has none of."""
    if columns is None:
        return []
    filled = []
    for position, name in enumerate(columns.columns):   # by position: a header may repeat a name or leave it blank
        values = columns.iloc[:, position]
        if name != "line" and values.notna().any() and not values.astype(str).str.strip().eq("").all():
            filled.append(str(name))
    return list(dict.fromkeys(filled))


def balance_notes(histogram: pd.DataFrame, removed: pd.DataFrame, budget: str = "the sampling budget",
                  labels: Sequence[str] = ()) -> list[str]:
    """What a balance did beyond its histogram, in sentences (the command line prints them, the Augment page
    shows them): what the added rows are (and that they have no value in the input's own columns, ``labels``:
    :func:`filled_columns`), inputs in no bin or counted once, and where every sampled molecule went; ``budget``
    names the setting that lets a short bin fill (``--max-samples`` on the command line)."""
    notes = []
    if added := int(histogram["added"].sum()):
        # a QSAR set is fitted on its labels: rows without them, and not of the series, must not slip in unnoticed
        notes.append(f"the {added:,} added row{'s are new molecules' if added != 1 else ' is a new molecule'} "
                     "sampled from the model (method balance), not analogues of the inputs"
                     + (f", with no value in the input's own columns ({', '.join(labels)}): fit a model of any "
                        "label among them on the original rows only (method original)" if labels else ""))
    if histogram.attrs.get("bins_asked", len(histogram)) != len(histogram):
        notes.append(f"the property counts whole numbers: {len(histogram)} bins, one a value, not the "
                     f"{histogram.attrs['bins_asked']} asked (a bin holding no whole number could never fill)")
    if outside := histogram.attrs.get("inputs_outside", 0):
        notes.append(f"{outside:,} input molecule{'s lie' if outside != 1 else ' lies'} outside the histogram (bin -1): "
                     "kept as rows, counted in no bin")
    if repeated := histogram.attrs.get("repeated_molecules", 0):
        notes.append(f"{repeated:,} input row{'s repeat' if repeated != 1 else ' repeats'} an earlier row's molecule "
                     "(written the same or otherwise): kept as rows (same_molecule_as_row), counted once in the bins")
    if repeated := histogram.attrs.get("repeated_compounds", 0):
        notes.append(f"{repeated:,} input row{'s are other forms' if repeated != 1 else ' is another form'} (a salt, "
                     "charge state, tautomer, stereoisomer or isotopologue) of an earlier row's compound: kept as "
                     "rows (same_parent_as_row), counted once in the bins")
    if fruitless := histogram.attrs.get("fruitless_targets"):
        prop = histogram.attrs.get("property", "")
        said = ", ".join(f"{bin_label(prop, histogram['low'].iat[b], histogram['high'].iat[b])} (asked {asked}x)"
                         for b, asked in fruitless.items())
        notes.append(f"asked for the centre of {'these bins' if len(fruitless) > 1 else 'this bin'}, the model added "
                     f"nothing to {'them' if len(fruitless) > 1 else 'it'} the last time: {said} (it wrote nothing "
                     "there, or only molecules the guard removed); the other short bins were asked in "
                     "turn. A target past what the model writes may stay short whatever the budget")
    if guarded := histogram.attrs.get("guarded_short_bins"):
        prop = histogram.attrs.get("property", "")
        said = "; ".join(f"{bin_label(prop, histogram['low'].iat[b], histogram['high'].iat[b])}: "
                         + ", ".join(f"{count:,} {why}" for why, count in reasons.items())
                         for b, reasons in guarded.items())
        notes.append(f"the guard removed molecules the model wrote into the short bins ({said}): loosen the guard "
                     "(--alerts, --rules, --near-duplicate) or raise the budget")
    short = int((~histogram["reached"]).sum())
    unused = ", ".join(f"{count:,} {why}" for why, count in histogram.attrs["unused"].items() if count)
    notes.append(f"sampled {histogram.attrs['sampled']:,}: added {int(histogram['added'].sum()):,}, removed by the "
                 f"guard {int((removed['method'] == 'balance').sum()):,}" + (f", not used: {unused}" if unused else "")
                 + "; " + (f"{short} bin{'s' if short != 1 else ''} stayed short of the target (raise {budget})"
                           if short else "every bin reached its target"))
    return notes
