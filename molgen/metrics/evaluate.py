"""``evaluate``: the MOSES metric set (and GuacaMol's two scores) for a list of generated SMILES.

Every metric follows the definition in MOSES 0.3.1's ``get_all_metrics`` (checked against it
in the tests): validity counts every input, empty strings included, with nothing corrected;
the other metrics use the valid molecules as canonical SMILES, duplicates included, except
unique@k and novelty, which are about duplicates. A metric that cannot be computed (no valid
molecule, fewer than two for FCD) is ``None``, "not defined", never a made-up number.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Sequence

import numpy as np
from scipy.spatial.distance import cosine
from scipy.stats import wasserstein_distance

from molgen.chem.parse import molecule_list, parse_smiles
from molgen.chem.rdkit_log import quiet_rdkit
from molgen.metrics.describe import PROPERTY_NAMES, describe
from molgen.metrics.fcd import fcd_statistics, frechet_distance
from molgen.metrics.fingerprints import max_tanimoto, mean_tanimoto_powers
from molgen.metrics.guacamol import ReferenceTooSmall, fcd_score, kl_divergence_score
from molgen.parallel import map_chunks, worker_pool
from molgen.metrics.reference import ReferenceStats, compute_reference, moses_reference

#: The order of the MOSES README table.
MOSES_COLUMNS = ("valid", "unique@1000", "unique@10000", "FCD/Test", "FCD/TestSF", "SNN/Test", "SNN/TestSF",
                 "Frag/Test", "Frag/TestSF", "Scaf/Test", "Scaf/TestSF", "IntDiv", "IntDiv2", "Filters", "Novelty",
                 "logP", "SA", "QED", "weight")


#: How the note begins that says most molecules measured are the reference's own (the command line adds how to
#: draw rows at random, where the first rows were taken).
PART_OF_REFERENCE = "most are the reference's own molecules: this measures a part of the reference"
#: Why a part of the reference is no sample of it when it is a file's first rows (the CLI, which knows how the rows
#: were taken, says it only then).
FIRST_ROWS = ("a file's first rows are no random part of it (MOSES's test split is not shuffled: its first 1,000 "
              "weigh 299 g/mol on average, a random 1,000 306, and read FCD/Test 6.0 against 1.2)")


def cosine_similarity(reference: Counter, generated: Counter) -> float | None:
    """Cosine similarity of two count dictionaries over the union of their keys (MOSES's Frag/Scaf)."""
    if not reference or not generated:
        return None
    keys = sorted(set(reference) | set(generated))
    # float64: with integer vectors SciPy multiplies the squared norms in int64, which overflows
    # for reference counts of MOSES's size.
    ref = np.array([reference.get(k, 0) for k in keys], dtype=np.float64)
    gen = np.array([generated.get(k, 0) for k in keys], dtype=np.float64)
    return float(1 - cosine(ref, gen))


def fraction_unique(canonical: Sequence[str], k: int) -> float | None:
    """Distinct molecules among the first ``k`` valid ones (all of them if fewer than ``k``)."""
    head = list(canonical)[:k]
    return len(set(head)) / len(head) if head else None


def novelty(canonical: Sequence[str], train: set[str]) -> float | None:
    """Fraction of distinct valid molecules whose canonical SMILES is not in ``train``."""
    distinct = set(canonical)
    return len(distinct - train) / len(distinct) if distinct else None


def _canonical_chunk(smiles: list) -> list[str | None]:
    """Canonical SMILES of each input, None where it is not a molecule (nothing corrected)."""
    from rdkit import Chem

    with quiet_rdkit():
        parsed = [parse_smiles(s) for s in smiles]
    return [Chem.MolToSmiles(p.mol) if p.ok else None for p in parsed]


#: How many invalid samples a report lists by name (each is counted whatever their number).
INVALID_LISTED = 1000


def invalid_samples(smiles: Sequence[str], positions: Sequence[int]) -> list[dict]:
    """The samples at ``positions`` (0-based), which are not molecules, each with why (RDKit's complaint in words),
    in order: the first :data:`INVALID_LISTED` that hold text and the first as many empty ones (a file's blank
    lines do not crowd out what a model wrote)."""
    written = [i for i in positions if smiles[i].strip()][:INVALID_LISTED]
    empty = [i for i in positions if not smiles[i].strip()][:INVALID_LISTED]
    with quiet_rdkit():
        return [{"position": i, "smiles": smiles[i], "reason": parse_smiles(smiles[i]).reason}
                for i in sorted(written + empty)]


def computed_on(n: int, n_valid: int, n_unique: int, novelty: bool = True) -> str:
    """What each metric of a report is computed over, in a sentence (MOSES's definitions); ``novelty``: whether
    novelty was measured (not without a training set)."""
    return (f"computed on: valid over the {n:,} samples, unique@k over the first k valid; FCD, SNN, Frag, Scaf, "
            f"IntDiv, Filters and the property distances over the {n_valid:,} valid molecules"
            f"{f' (the {n - n_valid:,} invalid left out, nothing corrected)' if n > n_valid else ''}"
            + (f"; Novelty over the {n_unique:,} distinct valid ones" if novelty else ""))


def _against(stats: ReferenceStats, suffix: str, canonical, described, fcd_gen, metrics: dict) -> None:
    metrics[f"FCD/{suffix}"] = frechet_distance(stats.fcd, fcd_gen) if fcd_gen is not None and stats.fcd else None
    metrics[f"SNN/{suffix}"] = float(max_tanimoto(described.fps, stats.fps).mean()) if len(canonical) else None
    metrics[f"Frag/{suffix}"] = cosine_similarity(stats.fragments, described.fragments)
    metrics[f"Scaf/{suffix}"] = cosine_similarity(stats.scaffolds, described.scaffolds)


def _resolve_reference(reference, pool=None, n_jobs: int | None = None) -> dict[str, ReferenceStats]:
    """The reference statistics; a reference given as molecules is described with the caller's pool or ``n_jobs``."""
    if isinstance(reference, ReferenceStats):
        return {"Test": reference}
    if reference == "moses":
        return {"Test": moses_reference("test"), "TestSF": moses_reference("test_scaffolds")}
    if isinstance(reference, str):
        from molgen.data.registry import load_smiles

        try:
            molecules = load_smiles(reference, "test")
        except KeyError as error:   # a mistyped name: a ValueError, as every other bad argument (a Python review)
            raise ValueError(error.args[0]) from None
        return {"Test": compute_reference(molecules, name=reference, pool=pool, n_jobs=n_jobs)}
    return {"Test": compute_reference(list(reference), pool=pool, n_jobs=n_jobs)}


class TrainingSet(frozenset):
    """Training molecules already in the form novelty compares (from :func:`training_set`): given
    to :func:`evaluate` as ``train``, they are used as they are, so several sample sets evaluated
    against one large training file canonicalize it once."""


def training_set(train: str | Sequence[str], n_jobs: int | None = None) -> TrainingSet:
    """The training molecules novelty is judged against, resolved once (see :func:`evaluate`'s ``train``)."""
    with worker_pool(n_jobs) as pool:
        return TrainingSet(_resolve_train(train, pool, n_jobs))


def _resolve_train(train, pool=None, n_jobs: int | None = None) -> set[str] | None:
    """The training molecules novelty is judged against. A registered dataset's split is taken as
    stored (canonical, as MOSES compares its own train: a few in 10,000 of MOSES's strings canonicalize
    otherwise under today's RDKit, and such a training molecule reads as novel, in MOSES too); a file or a
    list is canonicalized first,
    so a training molecule written another way (OCC for CCO) still counts as seen."""
    if train is None:
        return None
    if isinstance(train, TrainingSet):
        return train
    if isinstance(train, str):
        from molgen.data.registry import REGISTRY, load_smiles

        if train in REGISTRY:
            return set(load_smiles(train, "train"))
        train = load_smiles(train)
    return {c for part in map_chunks(_canonical_chunk, list(train), pool=pool, n_jobs=n_jobs, chunk=5000)
            for c in part if c is not None}


#: Below this many valid molecules, a note says the FCD and the distribution metrics are not comparable.
FEW_MOLECULES = 1_000


def evaluate(smiles: Sequence[str], reference: str | Sequence[str] | ReferenceStats = "moses", *,
             train: str | Sequence[str] | None = "moses", k: Sequence[int] = (1000, 10000),
             n_jobs: int | None = None, kl_reference: Sequence[str] | None = None,
             keep_properties: bool = False, progress: bool = False) -> dict:
    """All distribution metrics of ``smiles`` against a reference.

    Args:
        smiles: generated SMILES, invalid and empty ones included (they lower ``valid``).
        reference: ``"moses"`` (test and scaffold-test, MOSES's own statistics), a dataset
            name (its ``test`` split), a list of SMILES, or precomputed :class:`ReferenceStats`.
        train: molecules for novelty (``"moses"`` = MOSES train; ``None`` skips novelty).
            A dataset's split is compared as stored, with the valid canonical SMILES, as MOSES
            does; a file or a list is canonicalized first (a :class:`TrainingSet` from
            :func:`training_set` is used as it is).
        k: the ``unique@k`` cut-offs.
        kl_reference: SMILES the GuacaMol KL score compares with (default: the reference's
            test split for MOSES or a dataset, else ``reference`` itself).
        keep_properties: also return the generated molecules' logP, SA, QED and weight
            values under ``properties`` (for distribution plots).

    Returns:
        A dict with the MOSES metrics (``valid``, ``unique@1000``, ``FCD/Test``, ...,
        ``Novelty``, ``logP``, ``SA``, ``QED``, ``weight``), ``KL_score``, ``FCD_score``,
        the counts ``n``, ``n_valid``, ``n_unique``, timing, and ``notes``.
    """
    molecule_list(smiles, "evaluate")
    if n_jobs is not None and n_jobs < 1:   # 0 quietly meant every core and -1 one, as score refuses both (a review)
        raise ValueError(f"n_jobs must be at least 1 (or None: all cores), got {n_jobs}")
    # a list, a tuple, a pandas Series or a NumPy array of SMILES, read as a list (a Series compared with "moses"
    # is a Series of booleans, not an answer); a blank cell (NaN, None) is a SMILES that is no molecule, as on the
    # generated side
    if not isinstance(reference, (str, ReferenceStats)):
        reference = [s if isinstance(s, str) else "" for s in reference]
    if kl_reference is not None:
        kl_reference = [s if isinstance(s, str) else "" for s in molecule_list(kl_reference, "evaluate's kl_reference")]
    with worker_pool(n_jobs) as pool:  # one pool of processes for describe and the KL score
        return _evaluate(smiles, reference, train=train, k=k, kl_reference=kl_reference,
                         keep_properties=keep_properties, progress=progress, pool=pool, n_jobs=n_jobs)


def _evaluate(smiles: Sequence[str], reference, *, train, k: Sequence[int], kl_reference, keep_properties: bool,
              progress: bool, pool, n_jobs: int | None) -> dict:
    started = time.perf_counter()
    timings: dict[str, float] = {}
    clock = [time.perf_counter()]

    def lap(stage: str) -> None:
        now = time.perf_counter()
        timings[stage] = timings.get(stage, 0.0) + now - clock[0]
        clock[0] = now

    # None or NaN (a blank cell) is a sample that is not a molecule: counted, and kept as text for every step
    smiles = [s if isinstance(s, str) else "" for s in smiles]
    notes: list[str] = []
    every = [c for part in map_chunks(_canonical_chunk, smiles, pool=pool, n_jobs=n_jobs, chunk=5000) for c in part]
    canonical = [c for c in every if c is not None]
    metrics: dict = {"n": len(smiles), "n_valid": len(canonical), "n_unique": len(set(canonical))}
    metrics["valid"] = len(canonical) / len(smiles) if smiles else None
    # which samples were not molecules, and why (as sampled, nothing corrected): counted by `valid`, left out of the rest
    metrics["invalid_samples"] = invalid_samples(smiles, [i for i, c in enumerate(every) if c is None])
    if smiles:
        notes.append(computed_on(metrics["n"], metrics["n_valid"], metrics["n_unique"], novelty=train is not None))
    for cut in k:
        metrics[f"unique@{cut}"] = fraction_unique(canonical, cut)
        if 0 < len(canonical) < cut:
            notes.append(f"unique@{cut} is computed on {len(canonical)} valid molecules (fewer than {cut}), as MOSES does")
    lap("parse")
    references = _resolve_reference(reference, pool, n_jobs)
    metrics["reference_n"] = {suffix: stats.size for suffix, stats in references.items()}
    for suffix, stats in references.items():
        if stats.given is not None and stats.given > stats.size:
            notes.append(f"{stats.given - stats.size:,} of the reference's {stats.given:,} SMILES "
                         f"{'is not a molecule' if stats.given - stats.size == 1 else 'are not molecules'}: "
                         f"the {suffix} statistics are of its {stats.size:,} valid one{'s' * (stats.size != 1)}")
        if stats.size < FEW_MOLECULES:   # a review: FCD 29 against 49 reference molecules, said of nothing
            notes.append(f"the {suffix} reference holds {stats.size:,} molecule{'s' * (stats.size != 1)}: its FCD "
                         "statistics and the SNN, Frag and Scaf against it are noisy at that size (FCD biased upward); "
                         f"use {FEW_MOLECULES:,} or more (MOSES test holds 176,074)")
    lap("reference statistics")
    described = describe(canonical, pool=pool, n_jobs=n_jobs, progress=progress)
    lap("describe molecules")
    fcd_gen = fcd_statistics(canonical, pool=pool, n_jobs=n_jobs)
    lap("ChemNet activations")
    if fcd_gen is None:
        notes.append("FCD needs at least 2 valid molecules")
    elif len(canonical) < FEW_MOLECULES:
        notes.append(f"only {len(canonical):,} valid molecules: FCD is biased upward at small n and the distribution "
                     f"metrics are noisy; compare sets of equal n, and use {FEW_MOLECULES:,} or more (MOSES uses 30,000)")
    for suffix, stats in references.items():
        _against(stats, suffix, canonical, described, fcd_gen, metrics)
    lap("FCD, SNN, Frag, Scaf")
    if canonical:
        powers = mean_tanimoto_powers(described.fps, (1, 2))
        metrics["IntDiv"] = float(1 - powers[1].mean())
        metrics["IntDiv2"] = float(1 - np.sqrt(powers[2]).mean())
        metrics["Filters"] = float(described.passes_filters.mean())
        test = references["Test"]
        for name in PROPERTY_NAMES:
            metrics[name] = float(wasserstein_distance(test.properties[name], described.properties[name]))
    else:
        notes.append("no valid molecule: every metric but `valid` is not defined")
        for name in ("IntDiv", "IntDiv2", "Filters") + PROPERTY_NAMES:
            metrics[name] = None
    lap("IntDiv, Filters, properties")
    train_set = _resolve_train(train, pool, n_jobs)
    metrics["Novelty"] = novelty(canonical, train_set) if train_set is not None else None
    lap("novelty")
    kl_smiles = kl_reference
    if kl_smiles is None:
        if reference == "moses":
            from molgen.data.moses import load_moses_split

            kl_smiles = load_moses_split("test")
        elif isinstance(reference, str):
            from molgen.data.registry import load_smiles

            kl_smiles = load_smiles(reference, "test")
        elif not isinstance(reference, ReferenceStats):
            kl_smiles = list(reference)
    if kl_smiles is not None:
        kl_canonical = None
        if kl_reference is not None or reference != "moses":   # a given reference's non-molecules are none of it
            kl_canonical = [c for part in map_chunks(_canonical_chunk, list(kl_smiles), pool=pool, n_jobs=n_jobs,
                                                     chunk=5000) for c in part]
            kl_smiles = [s for s, c in zip(kl_smiles, kl_canonical) if c is not None]
        try:
            metrics["KL_score"], kls, metrics["KL_n"] = kl_divergence_score(smiles, kl_smiles, pool=pool, n_jobs=n_jobs)
            if metrics["KL_score"] is None:   # said, as every other n/d is
                broken = [name for name, value in kls.items() if not np.isfinite(value)]
                notes.append("KL_score not defined: " + (
                    f"it needs two distinct valid molecules or more (here {metrics['KL_n']})" if metrics["KL_n"] < 2 else
                    f"the KL divergence of {', '.join(broken) or 'a descriptor'} is not defined between the "
                    f"{metrics['KL_n']:,} distinct molecules and as many of the reference's (one side takes a single "
                    "value, or the samples lie wholly outside the reference's range)"))
        except ReferenceTooSmall as error:   # a chemist's 200 actives against 500 samples: every other metric stands
            metrics["KL_score"] = None
            notes.append(f"KL_score not defined: {error}")
        # a generated molecule that is a molecule of SNN's reference (whatever the KL score drew from) is its own
        # nearest neighbour (SNN 1.0): a set holding many was not generated, or its model memorised its test set.
        # MOSES's files are compared as written (its canonical SMILES; canonicalising 350,000 would cost half a
        # minute), a given reference canonicalised.
        if reference == "moses":
            from molgen.data.moses import load_moses_split

            held = (set(kl_smiles) if kl_reference is None else set(load_moses_split("test"))) | \
                set(load_moses_split("test_scaffolds"))
        elif kl_reference is None or isinstance(reference, ReferenceStats):   # the KL draw is that reference
            held = {c for c in kl_canonical if c is not None}
        else:   # a dataset's test split or a list, beside a KL reference of its own
            from molgen.data.registry import load_smiles

            given = load_smiles(reference, "test") if isinstance(reference, str) else list(reference)
            held = {c for part in map_chunks(_canonical_chunk, given, pool=pool, n_jobs=n_jobs, chunk=5000)
                    for c in part if c is not None}
        inside = len(set(canonical) & held)
        metrics["in_reference"] = inside
        if inside:
            notes.append(f"{inside:,} of the {len(set(canonical)):,} distinct valid molecules are molecules of the "
                         "reference set itself: SNN reads each as 1.0, its own nearest neighbour")
        if inside and inside >= len(set(canonical)) / 2:   # a part of the reference measured against all of it
            notes.append(f"{PART_OF_REFERENCE}; mind that {FIRST_ROWS}")
    lap("GuacaMol KL")
    metrics["FCD_score"] = fcd_score(metrics.get("FCD/Test"))
    if keep_properties:
        metrics["properties"] = described.properties
    metrics["seconds"] = time.perf_counter() - started
    metrics["timings"] = timings
    metrics["notes"] = notes
    return metrics
