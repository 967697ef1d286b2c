"""The augmentation leak guard: what it catches, and what keying a held-out set costs.

    python benchmarks/leak_guard.py --n-variants 1000

Two tables, from one invocation:

1. Catch rate. The first N MOSES test molecules are held out; each is rewritten the ways a
   chemist's file would hold the same compound: another spelling, as a hydrochloride, as a sodium
   salt (acids only), with an amine protonated (as its chloride), with one deuterium (written as
   an atom) or a carbon-13 label, and as another tautomer from RDKit's enumerator, split into
   those that move a hydrogen between heteroatoms only and those that move one to or from a
   carbon (keto-enol and kin); variants that do not apply to a molecule are skipped. Each
   variant is looked up with the SMILES keys alone (canonical with and without stereo, the guard
   before the parent key), with the parent key too (``ReferenceSet.exact``), and as the shipped guard
   does (``ReferenceSet.find``: every tautomer of the parent, and each fragment of a mixture). Also
   counted: how many of N MOSES *train* molecules each calls held out (a false match would show here).
2. Cost. Seconds to key the whole MOSES test split (176,074 molecules) the way the guard did
   before the parent key (two SMILES keys and a fingerprint) and as it does now, one process: built, built
   and stored in the molgen cache (the first run), and read back from it (every later run); and
   milliseconds to check one molecule against it, by ``exact`` and by ``find``.
"""

from __future__ import annotations

import argparse
import time

from rdkit import Chem, RDLogger
from rdkit.Chem.MolStandardize import rdMolStandardize

from molgen.augment import reference_cache
from molgen.augment.guards import ReferenceSet
from molgen.data.moses import fetch_moses, load_moses_split
from molgen.scoring.similarity import morgan_fingerprint


def variants(smiles: str, enumerator) -> dict[str, str | None]:
    """The held-out molecule as a chemist's file might hold it (None where the variant does not apply)."""
    mol = Chem.MolFromSmiles(smiles)
    out: dict[str, str | None] = {"another spelling": Chem.MolToSmiles(mol, canonical=False, doRandom=True)}
    out["hydrochloride"] = smiles + ".Cl"
    acid = Chem.MolFromSmarts("[CX3](=O)[OX2H1]")
    if mol.HasSubstructMatch(acid):
        salt = Chem.RWMol(mol)
        oxygen = salt.GetAtomWithIdx(mol.GetSubstructMatch(acid)[2])
        oxygen.SetFormalCharge(-1)
        oxygen.SetNumExplicitHs(0)
        out["sodium salt"] = Chem.MolToSmiles(salt) + ".[Na+]"
    else:
        out["sodium salt"] = None
    amine = Chem.MolFromSmarts("[NX3;!$(N-[C,S,P]=[O,S,N]);!$(N-a);!$(N-[N,O]);!$(N#*);!$(N=*)]")
    if mol.HasSubstructMatch(amine):
        charged = Chem.RWMol(mol)
        nitrogen = charged.GetAtomWithIdx(mol.GetSubstructMatch(amine)[0])
        nitrogen.SetNumExplicitHs(nitrogen.GetTotalNumHs() + 1)
        nitrogen.SetNoImplicit(True)
        nitrogen.SetFormalCharge(1)
        out["protonated amine"] = Chem.MolToSmiles(charged) + ".[Cl-]"
    else:
        out["protonated amine"] = None
    labelled = Chem.AddHs(mol)
    next(a for a in labelled.GetAtoms() if a.GetAtomicNum() == 1).SetIsotope(2)
    out["one deuterium"] = Chem.MolToSmiles(Chem.RemoveHs(labelled))   # the [2H] stays an atom
    labelled = Chem.Mol(mol)
    next(a for a in labelled.GetAtoms() if a.GetAtomicNum() == 6).SetIsotope(13)
    out["carbon-13 label"] = Chem.MolToSmiles(labelled)
    # tautomers: hydrogen moved between heteroatoms only, or to or from a carbon (keto-enol and kin)
    canonical = Chem.MolToSmiles(mol)
    carbon_h = [a.GetTotalNumHs() for a in mol.GetAtoms() if a.GetAtomicNum() == 6]
    out["tautomer, heteroatom H"] = out["tautomer, carbon H"] = None
    for tautomer in enumerator.Enumerate(mol):   # atoms keep their order, so carbon H counts compare
        text = Chem.MolToSmiles(tautomer)
        if text == canonical:
            continue
        kind = ("tautomer, heteroatom H" if [a.GetTotalNumHs() for a in tautomer.GetAtoms() if a.GetAtomicNum() == 6]
                == carbon_h else "tautomer, carbon H")
        out[kind] = out[kind] or text
    return out


def smiles_keys_only(reference: list[str], fingerprints: bool = False) -> set[str]:
    """The guard's keys before the parent key (and, with ``fingerprints``, all of its old work)."""
    keys = set()
    for s in reference:
        mol = Chem.MolFromSmiles(s)
        keys.update((Chem.MolToSmiles(mol), Chem.MolToSmiles(mol, isomericSmiles=False)))
        if fingerprints:
            morgan_fingerprint(mol)
    return keys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-variants", type=int, default=1000, help="held-out molecules rewritten")
    args = parser.parse_args()
    RDLogger.DisableLog("rdApp.*")
    fetch_moses()
    test, train = load_moses_split("test"), load_moses_split("train")

    held = test[: args.n_variants]
    reference = ReferenceSet("moses test (first N)", held)
    old_keys = smiles_keys_only(held)
    enumerator = rdMolStandardize.TautomerEnumerator()
    enumerator.SetMaxTautomers(20)
    caught: dict[str, list[int]] = {}
    for smiles in held:
        for kind, text in variants(smiles, enumerator).items():
            if text is None:
                continue
            mol = Chem.MolFromSmiles(text)
            if mol is None:
                continue
            old = Chem.MolToSmiles(mol) in old_keys or Chem.MolToSmiles(mol, isomericSmiles=False) in old_keys
            counts = caught.setdefault(kind, [0, 0, 0, 0])
            counts[0] += 1
            counts[1] += old
            counts[2] += reference.exact(mol) is not None
            counts[3] += reference.find(mol) is not None
    print(f"held out: the first {len(held):,} MOSES test molecules")
    print(f"{'variant':<24} {'n':>6} {'SMILES keys':>12} {'+ parent key':>13} {'+ tautomers':>12}")
    for kind in variants(held[0], enumerator):
        n, old, exact, found = caught.get(kind, (0, 0, 0, 0))
        if n:
            print(f"{kind:<24} {n:>6} {old / n:>12.3f} {exact / n:>13.3f} {found / n:>12.3f}")
        else:  # MOSES holds no carboxylic acid or basic amine: ZINC stores those charged, and MOSES drops charges
            print(f"{kind:<24} {n:>6} {'n/a':>12} {'n/a':>13} {'n/a':>12}")
    mixtures = [s + "." + stranger for s, stranger in zip(held, train)]   # the held-out molecule as the smaller part
    mixtures = [m for m, s, t in zip(mixtures, held, train) if Chem.MolFromSmiles(s).GetNumAtoms()
                < Chem.MolFromSmiles(t).GetNumAtoms()]
    exact = sum(reference.exact(Chem.MolFromSmiles(m)) is not None for m in mixtures)
    found = sum(reference.find(Chem.MolFromSmiles(m)) is not None for m in mixtures)
    print(f"{'smaller part of a mixture':<24} {len(mixtures):>6} {'':>12} {exact / len(mixtures):>13.3f} "
          f"{found / len(mixtures):>12.3f}")
    strangers = [Chem.MolFromSmiles(s) for s in train[: args.n_variants]]
    exact = sum(reference.exact(m) is not None for m in strangers)
    found = sum(reference.find(m) is not None for m in strangers)
    print(f"{'train molecules':<24} {len(strangers):>6} {'':>12} {exact / len(strangers):>13.3f} "
          f"{found / len(strangers):>12.3f}  (called held out)")

    started = time.perf_counter()
    smiles_keys_only(test, fingerprints=True)
    before = time.perf_counter() - started
    threshold, reference_cache.CACHE_FROM = reference_cache.CACHE_FROM, len(test) + 1   # built, not read
    started = time.perf_counter()
    ReferenceSet("moses:test", test)
    shipped = time.perf_counter() - started
    reference_cache.CACHE_FROM = threshold
    reference_cache._path(test).unlink(missing_ok=True)   # a cold cache: built, then written
    started = time.perf_counter()
    ReferenceSet("moses:test", test)
    written = time.perf_counter() - started
    started = time.perf_counter()
    ReferenceSet("moses:test", test)
    read = time.perf_counter() - started
    print(f"\nkeying MOSES test ({len(test):,} molecules), one process")
    print(f"{'SMILES keys + fingerprints (the guard before)':<48} {before:>7.1f} s")
    print(f"{'ReferenceSet (+ the parent key)':<48} {shipped:>7.1f} s   {shipped / before:.2f}x")
    print(f"{'ReferenceSet, first run: built and stored':<48} {written:>7.1f} s   {written / before:.2f}x")
    print(f"{'ReferenceSet, every later run: read back':<48} {read:>7.1f} s   {read / before:.2f}x")

    # checking: train molecules not seen before (the tautomer cache is cold), against all of MOSES test
    full = ReferenceSet("moses:test", test)
    queries = [Chem.MolFromSmiles(s) for s in train[-args.n_variants:]]
    print(f"\nchecking {len(queries):,} MOSES train molecules against MOSES test, one process")
    for name, check in (("exact (SMILES and parent keys)", full.exact), ("find (+ tautomers, fragments)", full.find)):
        started = time.perf_counter()
        hits = sum(check(m) is not None for m in queries)
        seconds = time.perf_counter() - started
        print(f"{name:<48} {seconds / len(queries) * 1e3:>7.2f} ms a molecule   {hits} called held out")


if __name__ == "__main__":
    main()
