"""A chemist's own molecules made ready for a model (any family): every row read, each one the model cannot
learn from named with its reason, before any training.

A series exported from a registration system holds salts, stereo and elements a model trained on MOSES never
saw. Fine-tuning keeps the model's vocabulary, so one unknown token used to stop training, one molecule per
attempt. Here the whole file is looked at once: a salt or charge state becomes its neutral parent (the
molecule the model is to learn, not its counter-ion), stereo is dropped when the vocabulary has no ``@`` (said,
with a count), and what still cannot be written in the vocabulary (an element or charge it lacks, a SMILES too
long) is left out and listed by row, with the token that stops it. A graph model gives its own test (an atom
type its vocabulary lacks, more atoms than it builds).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

from rdkit import Chem

from molgen.chem.parse import parse_smiles
from molgen.chem.standardize import neutral_parent, without_stereo
from molgen.data.tokenizer import SmilesVocabulary, TokenizeError, tokenize


@dataclass
class PreparedSeries:
    """The molecules to train on (canonical SMILES, input order), those left out, and what was changed."""

    smiles: list[str]
    #: (where: "row 3", or "line 4" of a file, the SMILES as given, why it is left out, the kind of reason: a
    #: review's graph VAE fine-tune left out a fifth of a kinase series for size, said only in a cut-short list)
    dropped: list[tuple[str, str, str, str]] = field(default_factory=list)
    #: change -> how many rows it changed ("salt or charge state read as its neutral parent", "stereo dropped")
    changed: dict[str, int] = field(default_factory=dict)
    #: change -> where its first rows are ("line 103"), so a chemist finds them (a review: counts alone)
    changed_where: dict[str, list[str]] = field(default_factory=dict)
    #: rows read (the file's, or those --where selected)
    rows: int = 0

    def notes(self, shown: int = 10) -> list[str]:
        """What a chemist is told before training: each change with its count, then the rows left out: how many of
        the rows read (a file's, or those its --where selected), how many for each kind of reason, and the first
        ``shown`` of them with theirs."""
        out = [f"{count:,} row{'s' if count != 1 else ''}: {change}{self._where(change, count, shown)}"
               for change, count in self.changed.items() if count]
        if self.dropped:
            kinds = self.left_out_by_kind()
            n = len(self.dropped)
            if self.rows:
                share = "under 1%" if n / self.rows < 0.01 else "over 99%" if 0.99 < n / self.rows < 1 else f"{n / self.rows:.0%}"
                counting = f"{n:,} of {self.rows:,} rows ({share})"
            else:
                counting = f"{n:,} row{'s' if n != 1 else ''}"
            counted = (" (" + "; ".join(f"{count:,}: {kind}" for kind, count in kinds.items()) + ")"
                       if len(kinds) > 1 or len(self.dropped) > shown else "")
            listed = "; ".join(f"{where} ({smiles or 'empty'}): {why}" for where, smiles, why, _ in self.dropped[:shown])
            more = f"; and {len(self.dropped) - shown:,} more" if len(self.dropped) > shown else ""
            out.append(f"{counting} {'are' if n != 1 else 'is'} left out{counted}: {listed}{more}")
        return out

    def left_out_by_kind(self) -> dict[str, int]:
        """How many rows each kind of reason left out, the commonest first."""
        counts: dict[str, int] = {}
        for *_, kind in self.dropped:
            counts[kind] = counts.get(kind, 0) + 1
        return dict(sorted(counts.items(), key=lambda item: -item[1]))

    def _where(self, change: str, count: int, shown: int) -> str:
        places = self.changed_where.get(change, [])[:shown]
        return f" ({', '.join(places)}{', ...' if count > len(places) else ''})" if places else ""

    def _change(self, change: str, place: str) -> None:
        self.changed[change] = self.changed.get(change, 0) + 1
        places = self.changed_where.setdefault(change, [])
        if len(places) < 10:   # the first few are enough to find them (a dataset changes thousands)
            places.append(place)

    def record(self) -> dict:
        """What the model card keeps of it: counts, and every row left out."""
        return {"changed": {k: v for k, v in self.changed.items() if v}, "left_out_by_reason": self.left_out_by_kind(),
                "left_out": [{"where": where, "smiles": smiles, "why": why} for where, smiles, why, _ in self.dropped]}


STEREO_DROPPED = "stereo dropped (the model's vocabulary has no @ or / \\ token: it writes no stereo)"
GRAPH_STEREO_DROPPED = "stereo dropped (a molecular graph carries none)"
PARENT_TAKEN = "salt or charge state read as its neutral parent"
NOT_A_MOLECULE = "not a valid molecule"
REPEATED = ("the same molecule as an earlier row once read so (a salt beside its parent, stereoisomers without "
            "their stereo, a repeat): learned once, so that no molecule is both trained and validated on")


def prepare_series(smiles: Sequence[str], vocabulary: SmilesVocabulary | None = None,
                   max_len: int | None = None, *, where: Sequence[str] | None = None,
                   unlearnable: Callable[[str], tuple[str, str] | None] | None = None,
                   stereo: bool | None = None) -> PreparedSeries:
    """``smiles`` as a SMILES model can learn them. ``vocabulary`` (a model being fine-tuned or continued): stereo
    is dropped where it has no stereo token, and a molecule needing a token it lacks is left out; None (a model
    built from these molecules) keeps stereo and every element. ``max_len``: the model's longest sequence, its
    begin and end tokens included. ``where``: how to name each row in what is said ("line 4" of a file; default
    "row 1", "row 2", ...). ``unlearnable``: another model's test in place of the SMILES model's (a graph model's:
    an atom type its vocabulary lacks, more atoms than it builds), given the canonical SMILES, returning None or
    (the kind of reason, counted across rows: "more heavy atoms than the 29 this model builds"; why, of this row). ``stereo``: whether the model writes stereo (default: as its vocabulary says; False for a graph model,
    whose stereoisomers are one graph, learned once)."""
    writes_stereo = (stereo if stereo is not None else
                     vocabulary is None or any("@" in t or t in ("/", "\\") for t in vocabulary.tokens))
    dropped_stereo = STEREO_DROPPED if stereo is None else GRAPH_STEREO_DROPPED
    prepared = PreparedSeries([], changed={PARENT_TAKEN: 0, dropped_stereo: 0, REPEATED: 0}, rows=len(smiles))
    seen: set[str] = set()
    for row, given in enumerate(smiles, start=1):
        place = where[row - 1] if where is not None else f"row {row}"
        parsed = parse_smiles(given)
        if not parsed.ok:
            prepared.dropped.append((place, str(given or ""), f"{NOT_A_MOLECULE} ({parsed.reason})", NOT_A_MOLECULE))
            continue
        mol = parsed.mol
        parent = neutral_parent(mol)
        changes = []   # said once the row is learned: a row left out is listed there alone
        if Chem.MolToSmiles(parent) != Chem.MolToSmiles(mol):
            changes.append(PARENT_TAKEN)
            mol = parent
        text = Chem.MolToSmiles(mol)
        if not writes_stereo and any(mark in text for mark in ("@", "/", "\\")):
            changes.append(dropped_stereo)
            text = Chem.MolToSmiles(without_stereo(mol))
        reason = unlearnable(text) if unlearnable is not None else _unwritable(text, vocabulary, max_len)
        if reason:
            kind, why = reason
            prepared.dropped.append((place, str(given), why, kind))
            continue
        for change in changes:
            prepared._change(change, place)
        if text in seen:
            prepared._change(REPEATED, place)
            continue
        seen.add(text)
        prepared.smiles.append(text)
    return prepared


#: The kind of reason a radical is left out of a SMILES model's training molecules.
RADICAL = "a radical (an unpaired electron)"


def _unwritable(smiles: str, vocabulary: SmilesVocabulary | None, max_len: int | None) -> tuple[str, str] | None:
    """Why the model cannot learn ``smiles`` as written (the kind of reason, and this molecule's), or None. A radical
    is left out as the graph families leave it out: most often a drawing's missing hydrogen ([CH2] for CH3), which a
    model would learn as a token of its own and write again (a review: kept without a word)."""
    mol = Chem.MolFromSmiles(smiles)
    if mol is not None and (unpaired := sum(atom.GetNumRadicalElectrons() for atom in mol.GetAtoms())):
        return (RADICAL, f"{unpaired} unpaired electron{'s' * (unpaired != 1)} (a radical; a hydrogen left out of the "
                         "drawing?)")
    try:
        tokens = tokenize(smiles)
    except TokenizeError as error:
        return "a SMILES the tokenizer cannot split", str(error)
    if vocabulary is not None:
        unknown = list(dict.fromkeys(t for t in tokens if t not in vocabulary))
        if unknown:
            return ("a token not in the model's vocabulary",
                    f"token{'s' if len(unknown) != 1 else ''} {', '.join(unknown)} not in the model's vocabulary "
                    f"(it never met {'them' if len(unknown) != 1 else 'it'} in training)")
    if max_len is not None and len(tokens) + 2 > max_len:
        return f"longer than the model's {max_len - 2:,} tokens", f"{len(tokens):,} tokens, longer than the model's {max_len - 2:,}"
    return None
