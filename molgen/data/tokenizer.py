"""SMILES tokenizer and vocabulary for the language models.

Tokens are atoms and bonds as a chemist reads them: a bracket atom (``[nH]``, ``[C@@H]``,
``[N+]``) is one token, ``Cl`` and ``Br`` are one token, a two-digit ring bond ``%10`` is
one token. ``"".join(tokenize(s)) == s`` for every SMILES; a character the grammar does
not know is an error naming it, never silently dropped.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Literal, Sequence

SMILES_TOKEN_PATTERN = re.compile(r"(\[[^\[\]]+\]|Br|Cl|%\d{2}|[BCNOPSFIbcnosp*]|[()=#$:/\\.~+\-@?>]|\d)")

#: The element of an atom token: Cl, Br or an organic-subset letter (c is aromatic C), or a bracket atom's symbol
#: after its isotope ([13CH3], [nH], [Cl-], [se]).
_ELEMENT_OF_TOKEN = re.compile(r"^(Cl|Br|[BCNOPSFIbcnosp])$|^\[\d*([A-Z][a-z]?|[a-z][a-z]?)")
PAD, BOS, EOS, UNK = "<pad>", "<bos>", "<eos>", "<unk>"
SPECIAL_TOKENS = (PAD, BOS, EOS, UNK)


class TokenizeError(ValueError):
    """A SMILES string with a character outside the SMILES grammar the tokenizer knows."""


class UnknownTokenError(ValueError):
    """A token that is not in the vocabulary (when ``unknown="error"``)."""


def tokenize(smiles: str) -> list[str]:
    """Split a SMILES string into tokens; raises :class:`TokenizeError` on an unknown character."""
    tokens, position = [], 0
    for match in SMILES_TOKEN_PATTERN.finditer(smiles):
        if match.start() != position:
            bad = smiles[position]
            raise TokenizeError(f"unexpected character {bad!r} at position {position} of {smiles!r}")
        tokens.append(match.group())
        position = match.end()
    if position != len(smiles):
        raise TokenizeError(f"unexpected character {smiles[position]!r} at position {position} of {smiles!r}")
    return tokens


@dataclass
class SmilesVocabulary:
    """Token <-> id mapping; ids 0-3 are ``<pad>``, ``<bos>``, ``<eos>``, ``<unk>``.

    Build it from training SMILES with :meth:`from_smiles`; it is saved with every model.
    """

    tokens: list[str]
    counts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if tuple(self.tokens[: len(SPECIAL_TOKENS)]) != SPECIAL_TOKENS:
            raise ValueError(f"a vocabulary starts with the special tokens {SPECIAL_TOKENS}")
        self._ids = {token: i for i, token in enumerate(self.tokens)}

    pad_id, bos_id, eos_id, unk_id = 0, 1, 2, 3

    def __len__(self) -> int:
        return len(self.tokens)

    def __contains__(self, token: str) -> bool:
        return token in self._ids

    @classmethod
    def from_smiles(cls, smiles: Iterable[str]) -> "SmilesVocabulary":
        """Every token met in ``smiles``, most frequent first (ties by token text)."""
        counter: Counter[str] = Counter()
        for s in smiles:
            counter.update(tokenize(s))
        ordered = sorted(counter, key=lambda t: (-counter[t], t))
        return cls(list(SPECIAL_TOKENS) + ordered, {t: counter[t] for t in ordered})

    def encode(self, smiles: str, *, add_bos_eos: bool = True, unknown: Literal["error", "unk"] = "error") -> list[int]:
        """Token ids of ``smiles``; an unknown token raises, or becomes ``<unk>`` when asked."""
        ids = [self.bos_id] if add_bos_eos else []
        for token in tokenize(smiles):
            index = self._ids.get(token)
            if index is None or index < len(SPECIAL_TOKENS):
                if unknown == "unk":
                    index = self.unk_id
                else:
                    raise UnknownTokenError(f"token {token!r} in {smiles!r} is not in the vocabulary; pass unknown='unk' to map it to {UNK}")
            ids.append(index)
        if add_bos_eos:
            ids.append(self.eos_id)
        return ids

    def decode(self, ids: Sequence[int]) -> str:
        """The SMILES spelled by ``ids``: stops at ``<eos>``, skips ``<bos>`` and ``<pad>``."""
        out = []
        for index in ids:
            index = int(index)
            if index == self.eos_id:
                break
            if index in (self.bos_id, self.pad_id):
                continue
            out.append(self.tokens[index])
        return "".join(out)

    def elements(self) -> set[str]:
        """The elements this vocabulary can write, by symbol (``c`` and ``[nH]`` are C and N): what a model of it
        can put in a molecule, and a scaffold with another element is out of its reach."""
        written = set()
        for token in self.tokens[len(SPECIAL_TOKENS):]:
            if atom := _ELEMENT_OF_TOKEN.match(token):
                written.add((atom.group(1) or atom.group(2)).capitalize())
        return written

    def charged_forms(self) -> set[tuple[str, int]]:
        """The charged atoms this vocabulary can write, as (element symbol, formal charge): a bracket token with a
        charge ([N+], [O-]); a model of MOSES, which holds no charged atom, writes none."""
        from rdkit import Chem

        forms = set()
        for token in self.tokens[len(SPECIAL_TOKENS):]:
            if token.startswith("[") and ("+" in token or "-" in token):
                atom = Chem.MolFromSmiles(token, sanitize=False)   # an aromatic [n+] alone is no sanitizable molecule
                if atom is not None and atom.GetNumAtoms() == 1 and atom.GetAtomWithIdx(0).GetFormalCharge():
                    forms.add((atom.GetAtomWithIdx(0).GetSymbol(), atom.GetAtomWithIdx(0).GetFormalCharge()))
        return forms

    def to_dict(self) -> dict:
        return {"tokens": self.tokens, "counts": self.counts}

    @classmethod
    def from_dict(cls, data: dict) -> "SmilesVocabulary":
        return cls(list(data["tokens"]), dict(data.get("counts", {})))

    def save(self, path) -> None:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(self.to_dict(), handle, indent=1)

    @classmethod
    def load(cls, path) -> "SmilesVocabulary":
        with open(path, encoding="utf-8") as handle:
            return cls.from_dict(json.load(handle))
