"""Parsing SMILES into RDKit molecules, with the reason when it fails.

``to_mol`` is the quick path (a molecule or ``None``); ``parse_smiles`` says why a string
is not a molecule, so that bulk paths can keep invalid input as a row with a reason instead
of dropping it. Nothing here corrects a molecule: a valence error stays an error.
"""

from __future__ import annotations

import re
from contextlib import nullcontext

from dataclasses import dataclass
from enum import Enum
from typing import Iterable

from rdkit import Chem, rdBase

from molgen.chem.rdkit_log import quiet_rdkit


class ParseFailure(str, Enum):
    """Why a string did not become a sanitized molecule."""

    NOT_TEXT = "not_text"          # not a str at all (bytes, None, a number)
    EMPTY = "empty"                # empty or whitespace only
    SYNTAX = "syntax"              # RDKit's SMILES grammar rejected it
    VALENCE = "valence"            # an atom has more bonds than its valence allows
    KEKULIZATION = "kekulization"  # aromatic system with no valid Kekulé structure (e.g. c1cccc1)
    AROMATICITY = "aromaticity"    # aromatic flags on atoms outside any ring
    OTHER = "other"                # any other sanitization failure


@dataclass(frozen=True)
class ParseResult:
    """The outcome of parsing one SMILES string.

    ``smiles`` is the input as given; ``mol`` is a sanitized molecule when ``ok`` (``canonical`` its SMILES);
    otherwise ``None`` with ``failure`` and a human-readable ``message`` (RDKit's reason, in a chemist's words).
    """

    smiles: object
    mol: Chem.Mol | None
    failure: ParseFailure | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.mol is not None

    @property
    def canonical(self) -> str | None:
        """The molecule's canonical SMILES (the standardized form, from :func:`standardize_smiles`); None when not
        ``ok``. ``smiles`` keeps the input as given."""
        return Chem.MolToSmiles(self.mol) if self.mol is not None else None

    @property
    def reason(self) -> str:
        """Why it is not a molecule, in one phrase: the message, led by the kind of failure where the message does
        not already name it ("valence: ..." but not "syntax: not valid SMILES syntax ..."); '' when ``ok``."""
        if self.ok or self.failure is None:
            return ""
        return self.message if self.failure.value in self.message.lower() else f"{self.failure.value}: {self.message}"


_PROBLEM_KINDS = {
    "AtomValenceException": ParseFailure.VALENCE,
    "KekulizeException": ParseFailure.KEKULIZATION,
    "AtomKekulizeException": ParseFailure.KEKULIZATION,
    "NonRingAromaticException": ParseFailure.AROMATICITY,
}


#: A SMILES followed by a CXSMILES extension block: ``C/C=C/C |c:1|``, ``C[C@H](N)C(=O)O |&1:1|``.
CXSMILES = re.compile(r"(\S+)[ \t]+(\|[^|\n]*\|)")


def _relative_stereo_unassigned(mol: Chem.Mol) -> Chem.Mol:
    """``mol`` with the centres of its AND and OR stereo groups (``|&1:1|``: a racemate; ``|o1:1|``: one
    enantiomer, not known which) unassigned: their chiral tags draw one enantiomer, which is not the compound,
    and the canonical SMILES molgen compares and writes has no stereo groups. (Relative configuration between
    the centres of one group is given up with them.)"""
    relative = [atom.GetIdx() for group in mol.GetStereoGroups()
                if group.GetGroupType() != Chem.StereoGroupType.STEREO_ABSOLUTE for atom in group.GetAtoms()]
    if not relative:
        return mol
    flat = Chem.RWMol(mol)
    for index in relative:
        flat.GetAtomWithIdx(index).SetChiralTag(Chem.ChiralType.CHI_UNSPECIFIED)
    return Chem.MolFromSmiles(Chem.MolToSmiles(flat))   # read back: no group left naming the cleared centres


#: A CXSMILES stereo group of two or more centres, relative (AND: a racemate, OR: one enantiomer, not known which):
#: ``|&1:1,3|`` (rac-cis or rac-trans), ``|o1:1,3|``. Its centres are read unassigned (:func:`parse_smiles`).
_RELATIVE_GROUP = re.compile(r"[&o]\d+:\d+,\d+")


def gives_relative_configuration(text: object) -> bool:
    """Whether ``text`` is a CXSMILES naming a relative configuration between two or more stereocentres
    (``|&1:1,3|``), which :func:`parse_smiles` reads unassigned: rac-cis and rac-trans read as one molecule."""
    extended = CXSMILES.fullmatch(text.strip()) if isinstance(text, str) else None
    return extended is not None and bool(_RELATIVE_GROUP.search(extended.group(2)))


def relative_configuration_key(text: str, parent: bool = False) -> str | None:
    """For a CXSMILES naming a relative configuration (:func:`gives_relative_configuration`), the canonical SMILES of
    its molecule (``parent``: of its neutral parent) with its relative stereo groups after it, and nothing else of the
    extension (no coordinates, labels or wedges): one racemate drawn as either enantiomer, in any atom order, gives
    one key; rac-cis and rac-trans two. None for any other text."""
    if not gives_relative_configuration(text):
        return None
    with quiet_rdkit():
        mol = Chem.MolFromSmiles(text.strip())
    if mol is None:
        return None
    if parent:
        from molgen.chem.standardize import neutral_parent

        mol = neutral_parent(mol)
    key = relative_stereo_smiles(mol)
    # as written, a group may hold one centre only (its partner read back as no stereocentre): no configuration
    # between centres is left, and the text is read as any other, its groups' centres unassigned
    return key if key is not None and gives_relative_configuration(key) else None


#: Past this many relative stereo groups, the canonical choice among their mirror images is not searched (2**n).
MAX_RELATIVE_GROUPS = 8


def relative_stereo_smiles(mol: Chem.Mol) -> str | None:
    """``mol``'s canonical SMILES with its relative stereo groups (AND, OR) after it (``N[C@H]1C[C@@H]1c1ccccc1
    |&1:1,3|``), or None when it has none. A group stands for its centres as drawn and as mirrored: of every choice of
    mirrored groups, the smallest text is kept, so that the key does not depend on the enantiomer drawn (RDKit's own
    canonicalization of enhanced stereo gave two keys for one racemate of a symmetric molecule, a review)."""
    from itertools import product

    groups = [group for group in mol.GetStereoGroups() if group.GetGroupType() != Chem.StereoGroupType.STEREO_ABSOLUTE]
    if not groups:
        return None
    kinds = ["&" if group.GetGroupType() == Chem.StereoGroupType.STEREO_AND else "o" for group in groups]
    members = [[atom.GetIdx() for atom in group.GetAtoms()] for group in groups]
    choices = product((False, True), repeat=len(groups)) if len(groups) <= MAX_RELATIVE_GROUPS else [(False,) * len(groups)]
    best = None
    for mirrored in choices:
        drawn = Chem.RWMol(mol)
        for flip, atoms in zip(mirrored, members):
            for index in atoms if flip else ():
                drawn.GetAtomWithIdx(index).InvertChirality()
        smiles = Chem.MolToSmiles(drawn)
        order = [int(i) for i in drawn.GetProp("_smilesAtomOutputOrder").strip("[],").split(",") if i]
        position = {atom: place for place, atom in enumerate(order)}
        # only the atoms the written SMILES holds as stereocentres: mirroring one group can take a neighbour's stereo
        # away (a pseudo-asymmetric centre), and a group naming an atom with none read back as another key (a review)
        with quiet_rdkit():
            back = Chem.MolFromSmiles(smiles)
        chiral = {atom.GetIdx() for atom in back.GetAtoms() if atom.GetChiralTag() != Chem.ChiralType.CHI_UNSPECIFIED} \
            if back is not None else set(position.values())
        written = sorted((places, kind) for atoms, kind in zip(members, kinds)
                         if (places := sorted(position[a] for a in atoms if position[a] in chiral)))
        if not written:   # no group holds a stereocentre as written: no relative configuration
            continue
        numbered, counts = [], {"&": 0, "o": 0}
        for atoms, kind in written:
            counts[kind] += 1
            numbered.append(f"{kind}{counts[kind]}:{','.join(map(str, atoms))}")
        key = f"{smiles} |{','.join(numbered)}|"
        best = key if best is None or key < best else best
    return best   # None when no group holds a stereocentre


def parse_smiles(smiles: object) -> ParseResult:
    """Parse and sanitize a SMILES string; on failure say which kind of failure and why.

    Never raises for bad input: bytes, ``None``, empty strings, random text and chemically
    impossible molecules all come back as a ``ParseResult`` with ``ok == False``.
    """
    if (isinstance(smiles, float) and smiles != smiles) or type(smiles).__name__ == "NAType":
        # NaN or pandas' NA: a blank cell as pandas reads it (its string and Arrow columns give NA), as the CLI says it
        return ParseResult(smiles, None, ParseFailure.EMPTY, "empty SMILES")
    if not isinstance(smiles, str):
        return ParseResult(smiles, None, ParseFailure.NOT_TEXT, f"expected a SMILES string, got {type(smiles).__name__}")
    inner = smiles.strip()
    if not inner:
        return ParseResult(smiles, None, ParseFailure.EMPTY, "empty SMILES")
    extended = CXSMILES.fullmatch(inner)
    if extended:   # ChemAxon's extensions after one space (|c:1|, enhanced stereo |&1:1|): RDKit reads them
        with quiet_rdkit():
            mol = Chem.MolFromSmiles(inner)
        if mol is not None:
            return ParseResult(smiles, _relative_stereo_unassigned(mol))
        plain = parse_smiles(extended.group(1))
        if not plain.ok:
            return ParseResult(smiles, None, plain.failure, plain.message)
        return ParseResult(smiles, None, ParseFailure.SYNTAX,
                           f"RDKit cannot read the CXSMILES extension {_clip(extended.group(2))!r} after the SMILES")
    if any(character.isspace() for character in inner):
        # RDKit reads up to the first space and takes the rest as a name: "CC O" would quietly be ethane; where the
        # first word is no SMILES either ("not a molecule"), no molecule would come back (a review)
        first, joined = inner.split()[0], "".join(inner.split())
        with quiet_rdkit():
            read, joined_up = Chem.MolFromSmiles(first) is not None, Chem.MolFromSmiles(joined) is not None
        # a line wrapped inside a SMILES: what it reads joined up (a review of the "no SMILES" wording)
        said = "; ".join([*([f"RDKit would read only {first!r}"] if read else []),
                          *([f"joined up it reads {_clip(joined)!r}"] if joined_up else [])]) or "this is no SMILES"
        return ParseResult(smiles, None, ParseFailure.SYNTAX,
                           f"a SMILES has no spaces or line breaks inside it ({said}): {_clip(smiles)!r}")
    with quiet_rdkit():
        # Fast path: RDKit's standard parse (sanitize, remove redundant Hs, perceive stereo),
        # so molecules are exactly those every RDKit-based tool (MOSES, GuacaMol) sees.
        mol = Chem.MolFromSmiles(smiles)
        if mol is not None:
            return ParseResult(smiles, mol)
        # Failure: parse again without sanitizing to say why.
        with (rdBase.CaptureErrorLog() if hasattr(rdBase, "CaptureErrorLog") else nullcontext()) as log:
            raw = Chem.MolFromSmiles(smiles, sanitize=False)
        if raw is None:
            return ParseResult(smiles, None, ParseFailure.SYNTAX,
                               f"not valid SMILES syntax{_syntax_cause(log)}: {_clip(smiles)!r}")
        problem = sanitization_problem(raw)
    if problem:
        return ParseResult(smiles, None, *problem)
    return ParseResult(smiles, None, ParseFailure.OTHER, "RDKit could not build a molecule from this SMILES")


def sanitization_problem(mol: Chem.Mol) -> tuple[ParseFailure, str] | None:
    """The first problem RDKit's sanitization finds in an unsanitized molecule (a SMILES read without
    sanitizing, a sampled graph), as its kind and in a chemist's words; None when there is none."""
    # DetectChemistryProblems runs sanitization without raising and names each problem.
    problems = Chem.DetectChemistryProblems(mol)
    if not problems:
        return None
    first = problems[0]
    failure = _PROBLEM_KINDS.get(first.GetType(), ParseFailure.OTHER)
    if "non-ring atom" in first.Message():  # RDKit files this under kekulization
        failure = ParseFailure.AROMATICITY
    return failure, problem_in_words(first.Message())


#: The reason given for a SMILES that parses but holds a dummy atom: an R-group or core, not a whole molecule.
FRAGMENT_REASON = ("fragment: holds an attachment point or dummy atom (*), not a whole molecule; cap it (with [H] or C) "
                   "to score it")


def has_dummy_atom(mol: Chem.Mol) -> bool:
    """Whether ``mol`` holds an atom of atomic number 0 (``*``, ``[*:1]``, an SDF's R#): its QED, MW and logP
    would count that atom as nothing."""
    return any(atom.GetAtomicNum() == 0 for atom in mol.GetAtoms())


def to_mol(smiles: object) -> Chem.Mol | None:
    """Return the sanitized molecule for ``smiles``, or ``None`` when it cannot be one.

    ``None`` covers non-strings, empty strings, syntax errors and sanitization failures
    (valence, kekulization, aromaticity); use :func:`parse_smiles` to learn which.
    """
    return parse_smiles(smiles).mol


def canonical_smiles(smiles_or_mol: str | Chem.Mol, *, isomeric: bool = True) -> str | None:
    """RDKit canonical SMILES of a SMILES string or molecule; ``None`` when it does not parse."""
    mol = smiles_or_mol if isinstance(smiles_or_mol, Chem.Mol) else to_mol(smiles_or_mol)
    if mol is None:
        return None
    return Chem.MolToSmiles(mol, isomericSmiles=isomeric)


def parse_many(smiles: Iterable[object]) -> list[ParseResult]:
    """Parse many SMILES, keeping one result per input (invalid ones included), in order."""
    return [parse_smiles(s) for s in smiles]


_CAUSE = re.compile(r"SMILES Parse Error: (.+?)(?: while parsing| for input|:?\s*$)", re.MULTILINE)
_POSITION = re.compile(r"around position (\d+)")


def _syntax_cause(capture) -> str:
    """RDKit's reason for a syntax error, from its captured log (`` (unclosed ring)``, `` (extra open parentheses,
    around position 3)``); empty when the log says nothing usable."""
    try:
        log = capture.messages if capture is not None else ""   # an RDKit without CaptureErrorLog: no cause
    except UnicodeDecodeError:   # the log echoes the input, which need not be UTF-8 text
        return ""
    causes = [c for c in _CAUSE.findall(log) if not c.startswith(("check for mistakes", "Failed parsing", "syntax error"))]
    position = _POSITION.search(log)
    parts = causes[:1] + ([f"around position {position[1]}"] if position else [])
    return f" ({', '.join(parts)})" if parts else ""


_VALENCE = re.compile(r"Explicit valence for atom # (\d+) (\w+), (\d+), is greater than permitted")
_KEKULE = re.compile(r"Can't kekulize mol\.\s+Unkekulized atoms: ([\d ]+)")
_NON_RING = re.compile(r"non-ring atom (\d+) marked aromatic")


def problem_in_words(message: str) -> str:
    """RDKit's sanitization message as a chemist reads it, atoms counted from 1 in the order the SMILES (or an SDF
    record's atom block) writes them (RDKit counts from 0); a message it does not know stays as RDKit wrote it."""
    if found := _VALENCE.search(message):
        index, element, valence = int(found[1]), found[2], found[3]
        return f"atom {index + 1} ({element}) has a valence of {valence}, more than {element} allows"
    if found := _KEKULE.search(message):
        atoms = ", ".join(str(int(i) + 1) for i in found[1].split())
        return (f"kekulization fails: the aromatic atoms {atoms} cannot be given alternating single and double "
                "bonds (check the ring's size, and write a pyrrole-type nitrogen as [nH])")
    if found := _NON_RING.search(message):
        return f"atom {int(found[1]) + 1} is written aromatic (lower case) but is in no ring"
    return message


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def misplaced_attachment_point(mol: Chem.Mol) -> str | None:
    """Why the attachment points (``*``) of a scaffold written as SMILES cannot mark where a group goes, or None: each
    must hang off one scaffold atom by a single bond (``C1CC*CC1`` is a ring atom, ``*=C1CCCC1`` a double bond, a
    lone ``*`` marks no atom)."""
    for atom in mol.GetAtoms():
        if atom.GetAtomicNum() != 0:
            continue
        bonds = atom.GetBonds()
        if len(bonds) != 1 or bonds[0].GetBondType() != Chem.BondType.SINGLE or \
                bonds[0].GetOtherAtom(atom).GetAtomicNum() == 0:
            return "an attachment point (*) must hang off one scaffold atom by a single bond"
    return None


def molecule_list(smiles, what: str):
    """``smiles`` as given, refused when it is one string: a str is a sequence of its characters, and a guard keyed
    on 'C', 'C' and 'O' guarded nothing without a word (``ReferenceSet("test", "CCO")``), an evaluation of "CCO"
    measured three molecules."""
    if isinstance(smiles, (str, bytes)):
        raise TypeError(f"{what} takes a list of SMILES, not one string: give [{smiles!r}]")
    return smiles
