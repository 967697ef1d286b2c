"""Structural alerts: RDKit's FilterCatalog sets, the MOSES filter set, strained or unusual ring
systems (``rings``, ``ring_alerts.py``), macrocycles (``macrocycles``), radicals (``radicals``), molecules
with no carbon (``inorganic``), halogens on nitrogen, oxygen or sulfur without S=O (``halogen_donors``) and reactive
groups no catalog names (``reactive``), reported by name.

An alert is a string ``"<set>:<name>"`` (e.g. ``"pains_a:ene_five_het_A(201)"``,
``"moses:charged atom"``), so a chemist sees which pattern fired and from which list.
"""

from __future__ import annotations

from functools import lru_cache

import pandas as pd
from rdkit import Chem
from rdkit.Chem import FilterCatalog

from molgen.scoring.pattern_screen import ScreenedPatterns
from molgen.scoring.ring_alerts import MACROCYCLE, macrocycle_atoms, ring_alerts

_CATALOGS = {
    "pains_a": FilterCatalog.FilterCatalogParams.FilterCatalogs.PAINS_A,
    "pains_b": FilterCatalog.FilterCatalogParams.FilterCatalogs.PAINS_B,
    "pains_c": FilterCatalog.FilterCatalogParams.FilterCatalogs.PAINS_C,
    "brenk": FilterCatalog.FilterCatalogParams.FilterCatalogs.BRENK,
    "nih": FilterCatalog.FilterCatalogParams.FilterCatalogs.NIH,
}
#: ``pains`` is shorthand for the three PAINS families.
ALIASES = {"pains": ("pains_a", "pains_b", "pains_c")}
#: Every alert set by name: the RDKit catalogs, ``moses`` (MCF + PAINS + ring, charge, element rules),
#: ``rings`` (strained or unusual ring systems), ``macrocycles`` (a ring of 12 atoms or more: unusual for the
#: shipped models, ordinary in some drugs), ``radicals`` (an unpaired electron), ``inorganic`` (no carbon atom),
#: ``halogen_donors`` (:data:`HALOGEN_DONOR`) and ``reactive`` (:data:`REACTIVE`).
ALERT_SETS = tuple(_CATALOGS) + ("moses", "rings", "macrocycles", "radicals", "inorganic", "halogen_donors", "reactive")
#: Reactive groups that PAINS, Brenk, NIH and MOSES's MCF all pass (checked with RDKit 2026.09): alert -> SMARTS.
#: A C-nitroso group dimerises and oxidises and is a toxicophore (Brenk and NIH name only N-nitroso); an enamine
#: hydrolyses to its carbonyl and amine, unless a conjugated acceptor stabilises it (an enaminone, a
#: 1,4-dihydropyridine ester, an amide or aryl nitrogen: all left out). Each is rare in MOSES's training set
#: (C-nitroso 0, enamines 7 of 50,000 molecules), so a sampled one is more likely a model's slip than a design.
#: A carbamic acid (R2N-COOH) loses CO2 to its amine as it forms (2 of 300,000 MOSES training molecules; a review's
#: diffusion run ranked one second); a carbamate ester or a urea is no acid and is left alone.
REACTIVE = {
    "C-nitroso": "[#6]-[NX2]=[OX1]",
    "carbamic acid": "[#7X3;!$([#7]=*)]-[CX3](=[OX1])-[OX2H1]",   # an aromatic N too (indole-1-carboxylic acid)
    "enamine": "[CX3;!$(C-[!#1;!#6]);!$(C-C=[O,S,N]);!$(C-C#N);!$(C-[N+](=O)[O-])]"
               "=[CX3;!$(C-C=[O,S]);!$(C-C#N)]-[NX3;!$(N-[C,S]=[O,S,N]);!$(N-a);!$([N+])]",
}
#: The one ``inorganic`` alert. Br2, I2 or water can score well on QED and the MW window (QED has no
#: notion of carbon), so a small model's junk would rank among its candidates without it.
NO_CARBON = "no carbon atom"
#: The one ``radicals`` alert. RDKit reads [CH2] or [O] as a radical without complaint, and no catalog looks.
RADICAL = "unpaired electron (a radical)"
#: The one ``halogen_donors`` alert: a hypohalite (R-O-F, R-O-Cl), an N-halo amine, amide, imine or azole, a sulfenyl
#: halide, a sulfur(IV) halide without S=O (DAST, a chlorosulfonium). Each hands its halogen to the first nucleophile
#: it meets (NCS, NBS and Selectfluor are reagents for it), so none is a systemic drug (chloramine-T and halazone,
#: topical antiseptics, act by it). A valence-masked graph decoder writes them (an N-F or O-F bond is valid valence:
#: benchmarks/halogen_donors.py), and Brenk's N-halo misses O-F while NIH's halogen_heteroatom is one alert among
#: many. A halogen with one neighbour only, so perchlorate's Cl(=O)(=O)(=O)O and hypervalent iodine stay out; no
#: sulfur with a double bond, so a sulfonyl fluoride (a covalent warhead), a fluorosulfate or a sulfinyl chloride
#: stays out, and no sulfur with five or six neighbours (SF5, a CF3 surrogate).
HALOGEN_DONOR = ("halogen on nitrogen, oxygen or sulfur without S=O (a hypohalite, an N-halo amine, amide or azole, "
                 "a sulfenyl halide)")
# (a charged sulfur with a charged oxygen is S=O written charge-separated, [O-][S+2]([O-])F a sulfonyl fluoride; a
# divalent sulfur's [O-] is a sulfenate's, ClS[O-] a donor still)
# A sulfur bearing a hydrogen beside more than one other atom is no compound's (a graph VAE's [SH](F)(F)(F)F and
# [SH](N)(=O)F were ranked, flagged by Brenk's thiol alone: a review): its halogen is flagged, S=O or not.
HALOGEN_DONOR_SMARTS = ("[F,Cl,Br,I;X1]-[#7,#8,$([#16X2]),$([#16X3+;!$([#16]=*);!$([#16]~[OX1-])]),"
                        "$([#16X4;!$([#16]=*);!$([#16+,#16+2]~[OX1-])]),$([#16;!H0;!X2])]")
MOSES_ALLOWED_ELEMENTS = frozenset({"C", "N", "S", "O", "F", "Cl", "Br", "H"})


def expand_alert_sets(names: list[str] | tuple[str, ...]) -> list[str]:
    """Resolve aliases and check names; ``ValueError`` names an unknown set."""
    out: list[str] = []
    for name in names:
        for resolved in ALIASES.get(name, (name,)):
            if resolved not in ALERT_SETS:
                raise ValueError(f"unknown alert set {name!r}; known: {', '.join(ALERT_SETS + tuple(ALIASES))}")
            if resolved not in out:
                out.append(resolved)
    return out


@lru_cache(maxsize=None)
def _catalog(name: str) -> FilterCatalog.FilterCatalog:
    return FilterCatalog.FilterCatalog(FilterCatalog.FilterCatalogParams(_CATALOGS[name]))


@lru_cache(maxsize=1)
def moses_filter_patterns() -> tuple[list[str], ScreenedPatterns]:
    """MOSES's MCF and WEHI PAINS SMARTS (read from the fetched molsets wheel): their names,
    and the patterns behind an exact pre-screen (the filters are most of the metrics' cost).

    Raises ``FileNotFoundError`` saying to run ``molgen data fetch moses`` when absent.
    """
    from molgen.data.moses import moses_file

    mcf = pd.read_csv(moses_file("mcf"))
    pains = pd.read_csv(moses_file("wehi_pains"), names=["smarts", "names"])
    names, patterns = [], []
    for smarts, name in list(zip(mcf["smarts"], mcf["names"])) + list(zip(pains["smarts"], pains["names"])):
        names.append(str(name).strip().removeprefix("<regId=").removesuffix(">"))
        patterns.append(Chem.MolFromSmarts(str(smarts).strip()))
    return names, ScreenedPatterns(patterns)


def check_alert_data(sets) -> None:
    """Raise the ``FileNotFoundError`` that says to fetch MOSES now, before any molecule is read, when ``sets``
    holds the moses set: its patterns come with the fetched data (a review: a traceback from a worker)."""
    if "moses" in expand_alert_sets(sets):
        moses_filter_patterns()


def _moses_rule_alerts(mol: Chem.Mol) -> list[str]:
    hits = []
    if any(len(ring) >= 8 for ring in mol.GetRingInfo().AtomRings()):
        hits.append("moses:ring of 8 or more atoms")
    if any(atom.GetFormalCharge() != 0 for atom in mol.GetAtoms()):
        hits.append("moses:charged atom")
    outside = sorted({a.GetSymbol() for a in mol.GetAtoms()} - MOSES_ALLOWED_ELEMENTS)
    if outside:
        hits.append(f"moses:element {','.join(outside)}")
    return hits


def moses_filter_alerts(mol: Chem.Mol) -> list[str]:
    """Why ``mol`` fails the MOSES filter set (empty when it passes), as MOSES's ``mol_passes_filters`` decides.

    Rings of 8 or more atoms, charged atoms, atoms outside C N S O F Cl Br H, and any MCF or
    PAINS SMARTS match on the molecule with explicit hydrogens.
    """
    hits = _moses_rule_alerts(mol)
    names, patterns = moses_filter_patterns()
    hits.extend(f"moses:{names[i]}" for i in patterns.matching(Chem.AddHs(mol)))
    return hits


def passes_moses_filters(mol: Chem.Mol) -> bool:
    """True when ``mol`` passes the MOSES filter set (stops at the first failure)."""
    return not _moses_rule_alerts(mol) and not moses_filter_patterns()[1].any_match(Chem.AddHs(mol))


def has_no_carbon(mol: Chem.Mol) -> bool:
    """True for a molecule without a carbon atom (Br2, water, NaCl): not an organic compound."""
    return not any(atom.GetAtomicNum() == 6 for atom in mol.GetAtoms())


#: The transition metals, lanthanides and actinides: an ion's open d or f shell is no radical.
_D_AND_F_BLOCK = frozenset([*range(21, 31), *range(39, 49), *range(57, 81), *range(89, 113)])


def radical_atoms(mol: Chem.Mol) -> list[int]:
    """The atoms of ``mol`` carrying an unpaired electron (written ``[CH2]``, ``[O]``, or ``[CH3]`` alone); a salt's
    metal written without its charge too (:func:`uncharged_counter_ions`): scored as written, the acid beside a
    sodium atom ranked above the salt written right, so the row is struck out and ``molgen score`` says why.

    Not a transition metal's ion (``[Cu+2]``, ``[Fe+3]``): RDKit counts its open d shell as unpaired electrons,
    which is no organic radical (a review saw copper(II) flagged as one). A main-group metal's (``C[Sn](C)C``)
    and an uncharged metal atom's unpaired electron still count."""
    return [atom.GetIdx() for atom in mol.GetAtoms() if atom.GetNumRadicalElectrons()
            and not (atom.GetAtomicNum() in _D_AND_F_BLOCK and atom.GetFormalCharge() > 0)]


def uncharged_counter_ions(mol: Chem.Mol) -> list[int]:
    """The salt metals (sodium, potassium, calcium ...) of a mixture written as lone uncharged atoms beside the
    molecule (``diclofenac.[Na]``): a counter-ion whose charge was left out, which RDKit reads as a radical (a
    review's sodium salt so written was struck out, unexplained, beside cisplatin)."""
    from molgen.chem.standardize import SALT_METALS

    if mol.GetNumAtoms() < 2:   # a sodium atom alone is no salt
        return []
    return [atom.GetIdx() for atom in mol.GetAtoms() if atom.GetAtomicNum() in SALT_METALS and atom.GetDegree() == 0
            and not atom.GetFormalCharge() and not atom.GetTotalNumHs()]


def _no_carbon_atoms(mol: Chem.Mol) -> list[int]:
    """Every atom of a molecule without carbon (the whole molecule is the finding); none otherwise."""
    return list(range(mol.GetNumAtoms())) if has_no_carbon(mol) else []


@lru_cache(maxsize=1)
def _halogen_donor_pattern() -> Chem.Mol:
    return Chem.MolFromSmarts(HALOGEN_DONOR_SMARTS)


def halogen_donor_atoms(mol: Chem.Mol) -> list[int]:
    """The halogens of ``mol`` on a nitrogen, oxygen or sulfur without S=O (:data:`HALOGEN_DONOR`), with the atoms
    carrying them."""
    return sorted({atom for match in mol.GetSubstructMatches(_halogen_donor_pattern()) for atom in match})


@lru_cache(maxsize=1)
def _reactive_patterns() -> dict[str, Chem.Mol]:
    return {alert: Chem.MolFromSmarts(smarts) for alert, smarts in REACTIVE.items()}


def _reactive_atoms(mol: Chem.Mol) -> dict[str, list[int]]:
    """Each :data:`REACTIVE` alert ``mol`` hits, with the atoms of its matches."""
    out = {}
    for alert, pattern in _reactive_patterns().items():
        if matches := mol.GetSubstructMatches(pattern):
            out[alert] = sorted({atom for match in matches for atom in match})
    return out


#: molgen's own one-alert sets: set -> (the alert, the atoms of ``mol`` raising it, empty when it does not).
_SINGLE_ALERT_SETS = {"macrocycles": (MACROCYCLE, macrocycle_atoms), "radicals": (RADICAL, radical_atoms),
                      "inorganic": (NO_CARBON, _no_carbon_atoms), "halogen_donors": (HALOGEN_DONOR, halogen_donor_atoms)}


def find_alerts(mol: Chem.Mol, sets: list[str] | tuple[str, ...]) -> list[str]:
    """Every alert of the given sets that ``mol`` hits, as ``"<set>:<name>"``, in set order."""
    hits: list[str] = []
    for name in expand_alert_sets(sets):
        if name == "moses":
            hits.extend(moses_filter_alerts(mol))
        elif name == "rings":
            hits.extend(f"rings:{alert}" for alert in ring_alerts(mol))
        elif name in _SINGLE_ALERT_SETS:
            alert, atoms = _SINGLE_ALERT_SETS[name]
            hits.extend([f"{name}:{alert}"] if atoms(mol) else [])
        elif name == "reactive":
            hits.extend(f"reactive:{alert}" for alert in _reactive_atoms(mol))
        else:
            hits.extend(f"{name}:{entry.GetDescription()}" for entry in _catalog(name).GetMatches(mol))
    return hits


def group_findings(hits, atoms: dict[str, list[int]] | None = None) -> list[tuple[str, list[str]]]:
    """Each different finding in ``hits`` (``"<set>:<name>"``) as (its name, the sets that report it), in order:
    a pattern two sets both hold (a PAINS pattern in ``pains_a`` and in ``moses``, which carries PAINS) is one
    finding. With ``atoms`` (:func:`alert_atoms`), two names one catalog gives to one group of atoms
    (:func:`_one_site`) are one finding too, named "name / other name": NIH's acrylate and halo_acrylate on one
    acrylamide. (Brenk's Michael acceptor and thiocarbonyl on a 5-benzylidene rhodanine match different atoms, the
    exocyclic C=C and the C=S, and count apart.) Different catalogs flagging one group still count apart, whether
    or not they spell it alike (a quinone is PAINS's, Brenk's and NIH's; an aldehyde Brenk's and NIH's, as an acid
    chloride is Brenk's acid_halide and NIH's carbonyl_halide): their agreement is how a notorious motif weighs
    more than a mild one. MOSES's "ring of 8 or more atoms" (a rule, without atoms) and the ``rings`` set's "ring
    of 8 to 11 atoms" stay two, so a profile reporting both counts a medium ring twice."""
    found: dict[tuple[str, str], list[str]] = {}   # (name, the catalog holding the pattern) -> the sets reporting it
    for hit in hits:
        alert_set, _, name = hit.partition(":") if ":" in hit else ("", "", hit)
        found.setdefault((name, _pattern_source(alert_set)), []).append(alert_set)
    keys = list(found)
    site = {key: key for key in keys}   # each finding's first finding of its site (in order of hits)
    if atoms and len(found) > 1:
        by_catalog: dict[tuple[str, str], set[int]] = {}   # (catalog, name) -> the atoms that catalog's name matched
        for hit, matched in atoms.items():
            alert_set, _, name = hit.partition(":")
            if matched and name not in _ANY_ATOMS:
                by_catalog.setdefault((_catalog_family(alert_set), name), set()).update(matched)
        for i, first in enumerate(keys):
            for second in keys[i + 1:]:
                if site[second] != second:
                    continue
                shared = {_catalog_family(s) for s in found[first]} & {_catalog_family(s) for s in found[second]}
                if any((family, first[0]) in by_catalog and (family, second[0]) in by_catalog
                       and _one_site(by_catalog[family, first[0]], by_catalog[family, second[0]]) for family in shared):
                    site[second] = site[first]
    merged: list[tuple[str, list[str]]] = []
    for key in keys:   # "acrylate / halo_acrylate" with every set reporting either
        if site[key] != key:
            continue
        members = [other for other in keys if site[other] == key]
        sets: list[str] = []
        for member in members:
            sets.extend(s for s in found[member] if s not in sets)
        merged.append((" / ".join(name for name, _ in members), sets))
    return merged


def _pattern_source(alert_set: str) -> str:
    """The catalog an alert set's patterns come from, for telling one pattern reported twice from two catalogs
    agreeing: ``moses`` reports PAINS's patterns as its own, so its hits and PAINS's are of one source."""
    return "pains" if alert_set.startswith("pains") or alert_set == "moses" else alert_set


def known_alert_names(sets) -> set[str]:
    """Every ``"<set>:<name>"`` the given sets can raise, where a set can say (MOSES's patterns need its data: when
    it is not fetched, only its rules)."""
    from molgen.scoring.ring_alerts import RING_ALERTS

    names: set[str] = set()
    for name in expand_alert_sets(sets):
        if name == "moses":
            names.update(f"moses:{rule}" for rule in ("ring of 8 or more atoms", "charged atom"))
            try:
                names.update(f"moses:{pattern}" for pattern in moses_filter_patterns()[0])
            except FileNotFoundError:
                pass
        elif name == "rings":
            names.update(f"rings:{alert}" for alert in RING_ALERTS)
        elif name in _SINGLE_ALERT_SETS:
            names.add(f"{name}:{_SINGLE_ALERT_SETS[name][0]}")
        elif name == "reactive":
            names.update(f"reactive:{alert}" for alert in REACTIVE)
        else:
            catalog = _catalog(name)
            names.update(f"{name}:{catalog.GetEntryWithIdx(i).GetDescription()}" for i in range(catalog.GetNumEntries()))
    return names


def is_ignored(hit: str, ignored) -> bool:
    """Whether ``hit`` (``"<set>:<name>"``) is one a profile leaves out: named with its set, or by name in any set."""
    return hit in ignored or (":" in hit and hit.partition(":")[2] in ignored)


#: Patterns of any atoms in a row, whose match may run through another group (Brenk's long chain through a
#: peroxide's O-O): never one site with another finding.
_ANY_ATOMS = {"Aliphatic_long_chain"}


def _catalog_family(alert_set: str) -> str:
    """The catalog an alert set belongs to: PAINS's three families are one catalog."""
    return "pains" if alert_set.startswith("pains") else alert_set


def _one_site(a: set[int], b: set[int]) -> bool:
    """Two matches flag one group of atoms: one lies within the other, or two small matches (a functional group's,
    six atoms at most) share at least two atoms and half of the smaller (a catalog may list a pattern's first match
    only, another every match). Two ring-system patterns overlapping in part (an aniline on a naphthalene, a
    coumarin and a polycyclic aromatic) are two findings (benchmarks/alert_sites.py)."""
    shared = len(a & b)
    return shared == min(len(a), len(b)) or (shared >= 2 and max(len(a), len(b)) <= 6
                                              and 2 * shared >= min(len(a), len(b)))


def count_findings(hits: list[str], atoms: dict[str, list[int]] | None = None) -> int:
    """How many different findings ``hits`` hold (:func:`group_findings`; ``atoms`` as there)."""
    return len(group_findings(hits, atoms))


# Catalog names that say less than their pattern matches: Brenk's "Oxygen-nitrogen single bond" is a single bond
# between any two N or O atoms outside rings, so a hydrazide's N-N carries it, read by a chemist as a mislabel.
WHAT_IT_MATCHES = {"Oxygen-nitrogen_single_bond": "N-N, N-O or O-O single bond, neither atom in a ring",
                   # Brenk's heavy_metal lists boron and silicon with the metals: a boronic acid (bortezomib) carries it
                   "heavy_metal": "one of Brenk's metals and metalloids, boron and silicon among them (B, Si, Se, As, "
                                  "Te, Zn, Fe, Hg and others)",
                   # four D2 atoms of any element: an ethylenediamine or morpholinopropoxy linker carries it
                   "Aliphatic_long_chain": "four or more unbranched non-ring atoms in a row, any element",
                   # Brenk's aldehyde is any C(=O)H: an N-formyl amide or a formate carries it (NIH's needs a carbon)
                   "aldehyde": "any C(=O)H, Brenk's including formamides and formates, NIH's only C-bound aldehydes",
                   # NIH's: SF5 carries it beside the reactive sulfonyl halides and N-halo amines
                   "halogen_heteroatom": "a halogen on any atom but carbon or one carrying a single H (R2N-Cl and "
                                         "RO-Cl, not RNH-Cl), S, P, Si, B, a metal or another halogen included: "
                                         "sulfonyl halides, SF5 and cisplatin's Pt-Cl too",
                   # PAINS's p-phenylenediamine: linezolid's aryl morpholine, para to its oxazolidinone N, carries it
                   "anil_di_alk_A(478)": "an N,N-dialkylaniline with a nitrogen para to its amine (a "
                                         "p-phenylenediamine, oxidised to a quinone diimine): linezolid carries it",
                   # NIH's pattern, as RDKit ships it, needs no halogen: a plain acrylamide or acrylate carries it
                   "halo_acrylate": "a terminal C=C beside a carbonyl, halogenated or not (RDKit's NIH pattern needs "
                                    "no halogen: any acrylamide or acrylate)",
                   # RDKit's name; paracetamol carries it (its quinone imine, NAPQI, is the worry)
                   "hydroquinone": "a phenol with OH or NH para to it (p-hydroquinone, p-aminophenol, paracetamol): "
                                   "oxidised to a quinone or quinone imine",
                   # NIH's (BMS's screening-deck filter): C1~[O,S]~[C,N,O,S]1[a,N,O,S]
                   "activated_S#O_3_ring": "an epoxide, thiirane or oxaziridine carrying an aryl or a heteroatom on "
                                           "a ring atom (opened readily)",
                   "CH2_S#O_3_ring": "an epoxide or thiirane with a ring CH2 (a terminal one)",
                   # Brenk's German names (Chinon: quinone); C1(=[O,N])C=CC(=[O,N])C=C1, and the ortho form
                   "chinone_1": "a para-quinone, quinone imine or diimine on a ring not fused to an aromatic ring "
                                "(p-benzoquinone, NAPQI), Brenk's name from the German Chinon",
                   "chinone_2": "an ortho-quinone, quinone imine or diimine on a ring not fused to an aromatic ring, "
                                "Brenk's name from the German Chinon"}


def explained_alert_names(cells) -> dict[str, str]:
    """For the alert names in ``cells`` (``alert_names`` cells, "set:name; set:name") whose name says less than its
    pattern matches (:data:`WHAT_IT_MATCHES`), what each matches: a legend for the command line and a manifest (the
    web app shows it beside each finding). A review: ``halo_acrylate`` on acrylamide and ``hydroquinone`` on
    paracetamol were read as mislabels, unexplained outside the app."""
    found = {hit.partition(":")[2] or hit for cell in cells if isinstance(cell, str) for hit in cell.split("; ") if hit}
    return {name: WHAT_IT_MATCHES[name] for name in sorted(found) if name in WHAT_IT_MATCHES}


def describe_findings(hits, atoms: dict[str, list[int]] | None = None) -> str:
    """Findings as a chemist reads them, each once, with the sets that report it, the catalogs' underscores as
    spaces: "quinone A(370) (pains_a, moses)", "Aliphatic long chain (brenk)"; a name that says less than its
    pattern matches says what it matches; with ``atoms``, the names of one site together (:func:`group_findings`).
    The alert_names column keeps the catalogs' own names."""
    def read(name: str) -> str:
        return name.replace("_", " ") + (f" [{WHAT_IT_MATCHES[name]}]" if name in WHAT_IT_MATCHES else "")

    return "; ".join(f"{' / '.join(map(read, label.split(' / ')))} ({', '.join(s for s in sets if s)})" if any(sets)
                     else read(label) for label, sets in group_findings(hits, atoms))


def alert_atoms(mol: Chem.Mol, sets: list[str] | tuple[str, ...]) -> dict[str, list[int]]:
    """Each alert ``mol`` hits (RDKit catalogs, MOSES's patterns, ring alerts and molgen's own), with the atom
    indices of its matches: for highlighting, and to count a group of atoms several patterns match once."""
    out: dict[str, list[int]] = {}
    for name in expand_alert_sets(sets):
        if name == "moses":   # its MCF and PAINS patterns (its rules on charges, rings and elements match no atoms)
            try:
                names, screened = moses_filter_patterns()
            except FileNotFoundError:   # MOSES not fetched here: its patterns' atoms are not known (none drawn)
                continue
            with_h, heavy = Chem.AddHs(mol), mol.GetNumAtoms()   # MOSES matches with explicit hydrogens
            for i in screened.matching(with_h):
                atoms = sorted({a for match in with_h.GetSubstructMatches(screened.patterns[i]) for a in match
                                if a < heavy})
                if atoms:
                    out[f"moses:{names[i]}"] = atoms
            continue
        if name == "rings":
            out.update((f"rings:{alert}", atoms) for alert, atoms in ring_alerts(mol).items())
            continue
        if name in _SINGLE_ALERT_SETS:
            alert, atoms_of = _SINGLE_ALERT_SETS[name]
            if atoms := atoms_of(mol):
                out[f"{name}:{alert}"] = atoms
            continue
        if name == "reactive":
            out.update((f"reactive:{alert}", atoms) for alert, atoms in _reactive_atoms(mol).items())
            continue
        for entry in _catalog(name).GetMatches(mol):
            atoms = sorted({atom for match in entry.GetFilterMatches(mol) for _, atom in match.atomPairs})
            out[f"{name}:{entry.GetDescription()}"] = atoms
    return out
