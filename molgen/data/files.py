"""Reading a user's molecules from CSV, TSV, SMI, SDF or Parquet.

Every reader returns a DataFrame with one row per record, in file order: ``smiles`` (as
written, or derived from the molblock for SDF), ``line`` (where the record starts, 1-based;
the row number for Parquet), ``read_error`` (why an SDF record could not be read, else
``None``) and the file's other columns. A file that cannot be read at all raises
:class:`FileFormatError`, naming the file and the line.
"""

from __future__ import annotations

import bisect
import csv
import glob
import gzip
import io
import itertools
import json
import math
import os
import re
import secrets
import stat
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
from rdkit import Chem
from rdkit.Chem import AllChem

from molgen.chem.parse import problem_in_words
from molgen.chem.rdkit_log import quiet_rdkit

#: Column names recognised as the SMILES column, in order of preference, compared without case, spaces, ``_`` or
#: ``-`` (PubChem's IsomericSMILES, ChEMBL's canonical_smiles, "Canonical SMILES"): an isomeric column before a
#: canonical one, as PubChem's CanonicalSMILES drops the stereo its IsomericSMILES keeps. A header with none of them
#: but one column whose name holds the word SMILES (BindingDB's "Ligand SMILES", SMILES_2D) reads that one.
SMILES_COLUMN_NAMES = ("smiles", "isomeric_smiles", "canonical_smiles", "smi", "smiles_string", "molecule_smiles", "structure")

FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".smi": "smi", ".smiles": "smi", ".txt": "smi",
           ".sdf": "sdf", ".sd": "sdf", ".parquet": "parquet", ".pq": "parquet"}


class FileFormatError(ValueError):
    """A file that cannot be read as molecules; the message names the file and, where known, the line."""

    def __init__(self, path: Path | str, message: str, line: int | None = None):
        self.path, self.line = Path(path), line
        where = f"{path}, line {line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {message}")


class NoSmilesColumn(FileFormatError):
    """A table whose header names no SMILES column; ``columns`` are its columns, to choose the SMILES column from."""

    def __init__(self, path: Path | str, message: str, line: int | None, columns: list[str]):
        super().__init__(path, message, line)
        self.columns = columns


def _header_key(name: str) -> str:
    """A column name as :data:`SMILES_COLUMN_NAMES` are compared: lower case, no spaces, underscores or hyphens."""
    return re.sub(r"[\s_\-]+", "", str(name).strip().lower())


#: Words beside "SMILES" in a column's name that make it a column about the SMILES, not of them.
NOT_SMILES_WORDS = frozenset({"id", "source", "len", "length", "count", "valid", "validity", "error", "flag", "type",
                              "status", "origin", "note", "notes", "comment", "version", "hash"})


def _names_smiles(column: str) -> bool:
    """Whether a column's name says it holds SMILES: the word SMILES (SMILES_2D, "Ligand SMILES", "SMILES
    (canonical)", smiles1) and no word that makes it a column about them (smiles_id, "SMILES source")."""
    words = [word.rstrip("0123456789") for word in re.split(r"[^a-z0-9]+", str(column).lower()) if word]
    return "smiles" in words and not NOT_SMILES_WORDS & set(words)


def is_smiles_header(name: str) -> bool:
    """Whether ``name`` is one of :data:`SMILES_COLUMN_NAMES` (a .smi file's header line)."""
    return _header_key(name) in {_header_key(known) for known in SMILES_COLUMN_NAMES}


def detect_format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    fmt = FORMATS.get(suffixes[-1] if suffixes else "")
    if fmt is None:
        raise FileFormatError(path, f"unknown file type; use one of {', '.join(sorted(FORMATS))} (optionally .gz)")
    return fmt


def read_molecules(path: str | Path, *, smiles_column: str | None = None, format: str | None = None) -> pd.DataFrame:
    """Read molecules from a file; the format comes from the suffix unless given.

    Args:
        path: a ``.csv`` (comma-separated, or semicolon-separated as ChEMBL exports it), ``.tsv``, ``.smi``,
            ``.sdf`` or ``.parquet`` file (text ones may be gzipped).
        smiles_column: the SMILES column of a table; found by name when omitted.
        format: ``csv``, ``tsv``, ``smi``, ``sdf`` or ``parquet``, overriding the suffix.
    """
    path = Path(path)
    if path.is_dir():
        raise FileNotFoundError(f"{path} is a folder, not a file of molecules")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    fmt = format or detect_format(path)
    if fmt == "parquet":
        frame = _read_parquet(path, smiles_column)
    elif fmt in ("csv", "tsv", "smi", "sdf"):
        text = _read_text(path)
        if fmt == "smi" and (delimiter := _table_in_a_smi(text)) is not None:   # a CSV or TSV under .smi or .txt
            # its # comments emptied (a .smi file's; a table's reader would take the first for its header), each
            # line kept where it was, so that every line is named as the file numbers it
            if "#" in text:
                text = "\n".join("" if line.lstrip().startswith("#") else line for line in text.split("\n"))
            frame = _read_table(path, text, delimiter, smiles_column)
        elif fmt == "smi":
            frame = _read_smi(path, text)
        elif fmt == "sdf":
            frame = _read_sdf(path, text)
        else:
            frame = _read_table(path, text, _csv_delimiter(text) if fmt == "csv" else "\t", smiles_column)
    else:
        raise FileFormatError(path, f"unknown format {fmt!r}")
    if frame.empty:   # an export that went wrong upstream, the wrong file: said, not scored as an empty success
        raise FileFormatError(path, "holds no molecules" + (" (a header, then nothing)" if fmt in ("csv", "tsv") else ""))
    return frame


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    if path.suffix.lower() == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise FileFormatError(path, f"not a readable gzip file ({error})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        # Excel on Windows saves "CSV (Comma delimited)" in Windows-1252: the byte is named as it would read there,
        # and the way out, not guessed at (a name read in the wrong encoding would be changed without a word)
        byte = raw[error.start: error.start + 1]
        try:
            as_windows = f", {byte.decode('cp1252')!r} in Windows-1252 as Excel writes it"
        except UnicodeDecodeError:
            as_windows = ""
        raise FileFormatError(path, f"not UTF-8 text (byte 0x{byte[0]:02x} at column {column}{as_windows}); save the "
                              "file as UTF-8 (in Excel: Save As, 'CSV UTF-8')", line) from None


def find_smiles_column(columns: list[str], path: Path | str = "<table>", given: str | None = None,
                       line: int = 1, first_rows: list[list[str]] | None = None) -> str:
    """Pick the SMILES column among ``columns`` (the header, on ``line``): the one given, else the first known name.
    A header cell that is itself a molecule means the file has no header: its first molecule would be read as a
    column's name and lost (a held-out molecule left unguarded), so the column is refused, or the cell named."""
    # a header cell that is a molecule above cells that are molecules too (``first_rows``, the records below it, up to
    # three): no header (a descriptor column CNS over a flag N, or C=O over counts, is a header)
    headless = [column for i, column in enumerate(columns) if first_rows and _headless_column(column, i, first_rows[:3])]
    if given is not None:
        alike = [column for column in columns if str(column).lower() == given.lower()]
        if given not in columns and len(alike) == 1:   # --smiles-column mol for a header's "Mol": no other to mean
            given = alike[0]
        if given not in columns:
            raise FileFormatError(path, f"no column {given!r}; columns are {', '.join(map(repr, columns))}", line)
        if given in headless:
            raise FileFormatError(path, f"the column named {given!r} is itself a molecule: the file seems to have no "
                                  "header line, and its first molecule would be read as a column's name, not as a "
                                  "row. Add a header line (smiles) above the molecules, or give them as a .smi file",
                                  line)
        return given
    keyed: dict[str, str] = {}
    for column in columns:   # the first of two spellings (smiles, SMILES) wins, as it reads left to right
        keyed.setdefault(_header_key(column), column)
    for name in SMILES_COLUMN_NAMES:
        if _header_key(name) in keyed:
            return keyed[_header_key(name)]
    named = [column for column in keyed.values() if _names_smiles(column)]
    if len(named) == 1:
        return named[0]
    if headless and not named:   # naming the column would lose the first molecule: say what the line is
        # no column to choose (the Augment page offers a choice on NoSmilesColumn): the file wants a header
        raise FileFormatError(path, f"this line is no header but a molecule ({headless[0]!r}): add a header line "
                              "(smiles) above the molecules, or give them as a .smi file (one SMILES per line, a "
                              "name after it)", line)
    found = (f"{len(named)} columns are named as SMILES ({', '.join(map(repr, named))}): name the one to read"
             if named else f"no SMILES column in the header (columns are {', '.join(map(repr, columns))}); rename "
             f"a column to one of {', '.join(SMILES_COLUMN_NAMES)}, or name the column that holds them")
    raise NoSmilesColumn(path, f"{found} (--smiles-column NAME; smiles_column= in Python)", line, list(columns))


def other_smiles_columns(columns: list[str], chosen: str) -> list[str]:
    """The columns besides ``chosen`` whose header also names SMILES (a registration export's SMILES beside its
    Canonical_Smiles): read as columns, not molecules, and said, since the two may hold different structures."""
    known = {_header_key(name) for name in SMILES_COLUMN_NAMES}
    # molgen's own provenance columns (augment's seed_smiles, a clashing column kept as input_smiles) are no second
    # structure column: read back, they were said on every read (a review)
    others = [column for column in dict.fromkeys(columns) if column != chosen and not column.startswith(("seed_", "input_"))
              and (_header_key(column) in known or _names_smiles(column))]
    return [chosen] * (columns.count(chosen) - 1) + others   # a header naming it again: each repeat too


#: Yes/no flags RDKit reads as molecules (N, NO: nitrogen, hydroxylamine): a column CNS or C=O over them is named.
_FLAGS = frozenset({"N", "Y", "NO", "YES", "NA", "ND"})


def _headless_column(cell: str, at: int, below: list[list[str]]) -> bool:
    """Whether a header ``cell`` is a molecule over a column of molecules (``below``: the next records, up to three):
    the cell a molecule of two heavy atoms or more; most cells below molecules too, yes/no flags aside (one invalid
    sample or a water among them left phenol read as a column's name; CNS over NO and YES is names)."""
    cells = [row[at] for row in below if at < len(row)]
    if not cells or not _reads_as_molecule(cell):
        return False
    molecules = [c for c in cells if c.strip().upper() not in _FLAGS and _reads_as_molecule(c, least=1)]
    return 2 * len(molecules) > len(cells)


def _reads_as_molecule(cell: str, least: int = 2) -> bool:
    """Whether a table cell reads as a molecule of ``least`` heavy atoms or more (two: a column named N or C, or a
    flag N below one, is no molecule; a SMILES has no spaces)."""
    from molgen.chem.rdkit_log import quiet_rdkit

    cell = str(cell).strip()
    if not cell or " " in cell:
        return False
    with quiet_rdkit():
        mol = Chem.MolFromSmiles(cell)
    return mol is not None and mol.GetNumHeavyAtoms() >= least


# Cells a numeric column may hold for "no value"; numbers in plain decimal notation, no words (inf, nan)
MISSING_MARKERS = {"", "NA", "N/A", "NAN", "NULL", "NONE"}
WHOLE_NUMBER = r"-?\d+"
#: A compound identifier among whole numbers (CMP-3, ABC_12, CHEMBL25): letters, then digits.
IDENTIFIER = r"[A-Za-z]+[-_ ]?\d+"
DECIMAL_NUMBER = r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?"


def _csv_delimiter(text: str) -> str:
    """``;`` for a CSV whose header is split by semicolons and holds no comma outside quotes (ChEMBL's export:
    ``"Molecule ChEMBL ID";"Molecule Name";...;"Smiles"``), a tab for one split by tabs (a TSV named .csv: each row
    read whole as one SMILES scored validity 0), else ``,``: of those that split the header, the one whose fields
    name a SMILES column, else the one giving the most non-empty fields (``smiles<tab>`` is one column). A SMILES
    holds no comma, semicolon or tab."""
    first = _first_content_line(text, comments=False)
    best, best_fields = ",", 1
    for delimiter in (",", ";", "\t"):
        try:
            fields = [field.strip() for field in next(csv.reader([first], delimiter=delimiter), []) if field.strip()]
        except csv.Error:
            continue
        if len(fields) > 1 and any(_names_a_smiles_column(field, delimiter) for field in fields):
            return delimiter
        if len(fields) > best_fields:
            best, best_fields = delimiter, len(fields)
    return best


#: The delimiters a table of molecules is written with.
_DELIMITERS = (",", ";", "\t")


def _names_a_smiles_column(field: str, delimiter: str) -> bool:
    """Whether a header ``field`` (split by ``delimiter``) names a SMILES column: a known name or one with the word
    SMILES in it, and no other delimiter inside (``Name<tab>SMILES<tab>IC50 (nM`` split by commas is no field)."""
    field = field.strip().strip('"')
    if any(other in field for other in _DELIMITERS if other != delimiter):
        return False
    return is_smiles_header(field) or _names_smiles(field)


def _first_content_line(text: str, comments: bool = True) -> str:
    """The first line holding anything (but a # comment, with ``comments``: a .smi file's), read lazily: a
    ChEMBL-size file is not split whole to look at its header."""
    # newline=None: a bare CR (old Mac Excel exports) ends a line too
    return next((line.strip() for line in io.StringIO(text, newline=None)
                 if line.strip() and not (comments and line.lstrip().startswith("#"))), "")


def _first_word(line: str) -> str:
    return re.split(r"[,;\s]", line, maxsplit=1)[0]


def _table_in_a_smi(text: str) -> str | None:
    """The delimiter of a table saved under a .smi or .txt name, None for a .smi file. A comma or semicolon table is
    one whose first line (comments aside) names a SMILES column among its fields (``ID,SMILES``, ``SMILES
    string,ID``; read as one SMILES a line, its header was a sample and every row an invalid SMILES: validity 0,
    without a word). A tab-separated first line is a .smi file's header where its first word names the SMILES
    (RDKit's ``SMILES<tab>Name<tab>``, records with or without a name), else a table where a later field does
    (ChEMBL's ``chembl_id<tab>canonical_smiles``)."""
    first = _first_content_line(text)
    if not first:
        return None
    # a first word that is a molecule begins a record (CCO<tab>smiles_1, CCO<tab>smiles), unless a field is a SMILES
    # column's own name and the next line begins with no molecule (a row-number header NO or S.NO over 1,CCO)
    if _reads_as_molecule(_first_word(first)):
        exact = any(is_smiles_header(field.strip().strip('"')) for d in _DELIMITERS for field in first.split(d))
        following = next((line.strip() for line in itertools.islice(io.StringIO(text, newline=None), 1, 200)
                          if line.strip() and not line.lstrip().startswith("#") and line.strip() != first), "")
        if not exact or not following or _reads_as_molecule(_first_word(following), least=1):
            return None
    for delimiter in (",", ";"):
        try:
            fields = next(csv.reader([first], delimiter=delimiter), []) if delimiter in first else []
        except csv.Error:
            continue
        if any(_names_a_smiles_column(field, delimiter) for field in fields):
            return delimiter
    if "\t" in first:   # a .smi file's header names the SMILES first (SMILES<tab>Name<tab>, as RDKit writes it)
        fields = first.split("\t")
        # (read by its first word, as the .smi reader reads it: "Canonical SMILES<tab>ID" is a table's)
        if not is_smiles_header(first.split()[0]) and any(_names_a_smiles_column(field, "\t") for field in fields):
            return "\t"   # ChEMBL's chembl_id<tab>canonical_smiles, Canonical SMILES<tab>ID
    return None


def _read_table(path: Path, text: str, delimiter: str, smiles_column: str | None) -> pd.DataFrame:
    # strict: an unclosed quote is an error naming its line, not a field that swallows the rows after it
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header = []
    while not any(h.strip() for h in header):   # blank lines before the header are skipped, as the delimiter's guess does
        try:
            header = next(reader)
        except StopIteration:
            raise FileFormatError(path, "the file is empty", 1) from None
        except csv.Error as error:
            raise FileFormatError(path, f"unreadable header ({error})", reader.line_num + 1) from None
    header = [h.strip() for h in header]
    header_line = reader.line_num
    rows, lines, blank = [], [], []
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            why = ("a quoted field opened here is never closed (an unclosed quote?)" if "unexpected end of data" in str(error)
                   else f"malformed row ({error})")
            raise FileFormatError(path, why, start) from None
        if not row or (len(row) == 1 and row[0] and not row[0].strip()):
            blank.append(start)
            continue  # a blank line is not a record (counted, and said); a quoted empty field ("", as pandas writes
            # a missing SMILES) is a row whose SMILES is empty, kept so that it is counted and reported
        if len(row) != len(header):
            raise FileFormatError(path, f"{len(row)} fields where the header has {len(header)}", start)
        rows.append(row)
        lines.append(start)
    # found once the first record is read: a header that is a molecule above another is no header
    column = find_smiles_column(header, path, smiles_column, header_line, rows[:3])
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    text_among_numbers, decimal_commas = {}, []
    at = header.index(column)   # the first column of that name is read as SMILES
    for position, name in enumerate(header):  # by position: a header may repeat a name (or leave several blank)
        if position != at:
            values = frame.iloc[:, position]
            # a semicolon CSV from a decimal-comma locale (5,1): read as numbers when every cell is one; otherwise
            # kept as written, and its words found among the numbers as read with a decimal point
            as_read = values.str.replace(",", ".", regex=False) if delimiter == ";" and _decimal_commas(values) \
                else values
            numbers = _numbers_if_all_are(as_read)
            # read with points: numbers, or qualified numbers among them (>6.0); a word among them keeps the column
            # as written (its words found below)
            if as_read is not values and (numbers.dtype != object or _numbers_or_qualified(as_read)):
                values = numbers
                decimal_commas.append(name)
            else:
                values = _numbers_if_all_are(values)
            frame.isetitem(position, values)
            if cells := _words_among_numbers(as_read if values.dtype == object else values):
                text_among_numbers[name] = [(lines[i], cell) for i, cell in cells]
    # a second column of the SMILES column's name (smiles,smiles or SMILES,smiles) is kept as the file's own text,
    # under a name no other column of the file has
    names, taken = [], set(header)
    for position, name in enumerate(header):
        if position != at and (name.lower() == "smiles" or name == column):
            name = input_name(taken, name)
            taken.add(name)
        names.append("smiles" if position == at else name)
    frame.columns = names
    frame["smiles"] = frame["smiles"].str.strip() if len(frame) else frame["smiles"]
    frame = _finish(frame, lines, blank, table=True)
    frame.attrs["text_among_numbers"], frame.attrs["decimal_commas"] = text_among_numbers, decimal_commas
    frame.attrs["smiles_column"] = column   # the column read as SMILES, found by name or given
    frame.attrs["other_smiles_columns"] = [] if smiles_column is not None else other_smiles_columns(header, column)
    return frame


#: The qualifiers a measurement outside an assay's range is written with: ``>10``, ``<= 5``, ``~7``.
QUALIFIERS = r">=|<=|>|<|~|≥|≤"
#: A number written with a qualifier; groups: the qualifier, the number.
QUALIFIED_NUMBER = re.compile(rf"({QUALIFIERS})\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)")


def stem_of(name: str | Path) -> str:
    """A file name without its format (``series.csv.gz``: ``series``): how a file's set or row is named."""
    path = Path(name)
    return Path(path.stem).stem if path.suffix.lower() == ".gz" else path.stem


def input_name(taken, name: str) -> str:
    """``input_<name>`` for a file's or caller's column whose name molgen's own output holds, prefixed again while
    that too is taken (a file holding both rank and input_rank)."""
    name = f"input_{name}"
    while name in taken:
        name = f"input_{name}"
    return name


def _filled(values: pd.Series) -> pd.Series:
    """A text column's cells that hold something, stripped (blank, NA, NaN, null, None and N/A left out)."""
    text = values.str.strip()
    return text[~text.str.upper().isin(MISSING_MARKERS)]


def _decimal_commas(values: pd.Series) -> bool:
    """Whether most filled cells are numbers, one at least written with a decimal comma (``5,1``), as Excel writes
    a semicolon-separated file in a decimal-comma locale (a stray word among them is found by the caller)."""
    filled = _filled(values)
    # a qualified value (>6,0, a measurement outside the assay's range) is written in the same locale
    numeric = filled.str.fullmatch(rf"(?:{QUALIFIERS})?\s*[+-]?\d+(,\d+)?([eE][+-]?\d+)?")
    return bool(len(filled)) and numeric.mean() >= 0.5 and filled[numeric].str.contains(",").any()


def _numbers_or_qualified(values: pd.Series) -> bool:
    """Whether every filled cell is a number, plain or qualified (``>6.0``), one at least qualified: a column of
    plain numbers kept as text (wells 1,10 and 1,1; leading zeros) is the reader's to keep as written."""
    filled = _filled(values)
    qualified = filled.str.fullmatch(QUALIFIED_NUMBER.pattern)
    return bool(qualified.any() and (filled.str.fullmatch(DECIMAL_NUMBER) | qualified).all())


#: Several numbers in one cell, joined by "; " (a merged compound's values).
_NUMBER_LIST = re.compile(rf"{DECIMAL_NUMBER}(?:\s*;\s*{DECIMAL_NUMBER})+")


def _words_among_numbers(values: pd.Series, most: int = 3) -> list[tuple[int, str]]:
    """For a column left as text whose filled cells are mostly numbers (an activity with one "notmeasured"):
    the positions and text of up to ``most`` cells that are not, so a reader can say why the whole column is
    text (it would go to Parquet as strings, and a model would not read it); else []."""
    if values.dtype != object or not len(values):
        return []
    text = values.astype(str).str.strip()
    filled = text[~text.str.upper().isin(MISSING_MARKERS) & values.notna()]
    numeric = filled.str.fullmatch(DECIMAL_NUMBER)
    if not len(filled) or numeric.all() or numeric.mean() < 0.5:
        return []
    if filled[numeric].str.fullmatch(WHOLE_NUMBER).all() and filled[~numeric].str.fullmatch(IDENTIFIER).all():
        return []   # 1001, 1002, CMP-3: identifiers; 120, 4500, inactive, >1000 (an IC50 in nM): a measurement
    return [(int(i), str(cell)) for i, cell in filled[~numeric].head(most).items()]


def _numbers_if_all_are(values: pd.Series) -> pd.Series:
    """A text column as numbers when every filled cell is a plain decimal number (blank cells and
    NA, NaN, null, None, N/A become missing), so that an activity read from CSV stays a number in
    Parquet; otherwise the text unchanged. Whole numbers become Int64, exactly (never through float),
    unless one has a leading zero (an identifier such as 007) or does not fit 64 bits; decimals stay text
    where two would read as one number (wells 1.10 and 1.1) or one has a leading zero."""
    text = values.str.strip()
    filled = text[~text.str.upper().isin(MISSING_MARKERS)]
    if not len(filled):
        return values
    if filled.str.fullmatch(WHOLE_NUMBER).all():
        if filled.str.lstrip("-").str.match(r"0\d").any():
            return values  # leading zeros: an identifier, not a count
        numbers = [int(v) for v in filled]
        if not all(-2**63 <= v < 2**63 for v in numbers):
            return values
        out = pd.array([None] * len(text), dtype="Int64")
        out[np.flatnonzero(text.index.isin(filled.index))] = numbers
        return pd.Series(out, index=values.index)
    if filled.str.fullmatch(DECIMAL_NUMBER).all():
        if filled.str.lstrip("+-").str.match(r"0\d").any():
            return values  # leading zeros (0003.1): an identifier, not a measurement
        numbers = pd.to_numeric(text.where(text.index.isin(filled.index)), errors="coerce").astype("float64")
        if numbers[filled.index].nunique() < filled.nunique():
            return values  # two spellings of one number (wells 1.10 and 1.1): text that means more than its value
        return numbers
    return values


def read_smi_text(text: str) -> pd.DataFrame:
    """Molecules typed or pasted as a ``.smi`` file holds them (a SMILES, then optionally a name; ``#``
    comments and a header line skipped), with the columns :func:`read_molecules` gives."""
    return _read_smi(Path("<text>"), text, names_first_refused=False)   # typed: each entry said as not valid


def _read_smi(path: Path, text: str, names_first_refused: bool = True) -> pd.DataFrame:
    smiles, names, lines, blank, comments = [], [], [], [], []
    first = True
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped:
            blank.append(number)
            continue
        if stripped.startswith("#"):
            comments.append(number)
            continue
        parts = stripped.split(None, 1)
        if first and is_smiles_header(parts[0]):
            first = False
            blank.clear()   # the blank lines and comments above a header are before the file's rows, not among them
            comments.clear()
            continue  # a header line: the first that is neither blank nor a comment
        first = False
        text_smiles, name = parts[0], parts[1] if len(parts) > 1 else None
        end = name.find("|", 1) if name and name.startswith("|") else -1
        if end > 0:   # a CXSMILES extension (|&1:10|, an enhanced stereo group) belongs to the SMILES, not the name
            text_smiles, name = f"{text_smiles} {name[:end + 1]}", name[end + 1:].strip() or None
        smiles.append(text_smiles)
        names.append(name)
        lines.append(number)
    if names_first_refused:
        _refuse_names_first(path, smiles, names, lines)
    return _finish(pd.DataFrame({"smiles": smiles, "name": names}, dtype=object), lines, blank, comments)


_SMILES_SYNTAX = re.compile(r"[\[\]=#@%]")   # what a SMILES is written with and a name seldom ((S)-naproxen has none)


def _refuse_names_first(path: Path, smiles: list[str], names: list[str | None], lines: list[int], look: int = 20) -> None:
    """:class:`FileFormatError` for a .smi file written name first (``ZINC1 CCO``): none of its first records' first
    words is a molecule and most of their second words are. Read as written, every record was an invalid SMILES and
    a generator's validity read 0 without a word."""
    from molgen.chem.rdkit_log import quiet_rdkit

    head = list(zip(smiles[:look], names[:look]))
    if not head:
        return
    with quiet_rdkit():
        # a name: no molecule, and no SMILES syntax (ZINC1, 2244, 50-78-2, 4-acetamidophenol); a low-validity
        # generator's invalid samples (C1CC(=O)N) beside a second SMILES are samples
        named = sum(Chem.MolFromSmiles(first) is None and not _SMILES_SYNTAX.search(first) for first, _ in head)
        second = sum(name is not None and Chem.MolFromSmiles(name.split()[0]) is not None for _, name in head)
    if named >= 0.8 * len(head) and second > len(head) / 2:
        raise FileFormatError(path, "its records are written name first (a name, then a SMILES): a .smi file holds "
                              "the SMILES first, then the name; swap the two columns, or save it as a table with a "
                              "header (.csv)", lines[0])


def _read_sdf(path: Path, text: str) -> pd.DataFrame:
    records, lines = [], []
    block: list[str] = []
    start = 1
    all_lines = text.splitlines()
    for number, line in enumerate(all_lines, start=1):
        if line.strip() == "$$$$":
            records.append(_sdf_record(block, start))
            lines.append(start)
            block, start = [], number + 1
        else:
            block.append(line)
    if any(line.strip() for line in block):  # a last record without its $$$$ terminator
        records.append(_sdf_record(block, start))
        lines.append(start)
    if not records:
        raise FileFormatError(path, "no SDF records", 1)
    frame = pd.DataFrame(records, dtype=object)
    for position, name in enumerate(frame.columns):   # a data item of numbers is numbers, as a CSV column is (a
        # review: molgen's own SDF export read back qed as text); the title, and a data item named as a column of
        # the reader's own (sdf_name, sdf_SMILES), stay as written
        if name in ("smiles", "read_error", "name") or re.fullmatch(r"(?i)(sdf_)+(smiles|read_error|name|line)", str(name)):
            continue
        values = frame.iloc[:, position]
        numbers = _numbers_if_all_are(values.where(values.notna(), "").astype(str))
        if pd.api.types.is_numeric_dtype(numbers):
            frame.isetitem(position, numbers)
    return _finish(frame, lines)


def _sdf_record(block: list[str], start: int) -> dict:
    end = next((i for i, line in enumerate(block) if line.startswith("M  END")), None)
    if end is None:
        return {"smiles": None, "read_error": f"record starting at line {start} is truncated (no 'M  END')",
                "name": block[0].strip() if block else None}
    record: dict = {}
    molblock = "\n".join(block[: end + 1])
    with quiet_rdkit():
        mol = Chem.MolFromMolBlock(molblock, sanitize=False, removeHs=False)
        if mol is None:
            record.update(smiles=None, read_error=f"record starting at line {start}: {_molblock_cause(block, start)}")
        else:
            problems = Chem.DetectChemistryProblems(mol)
            if problems:
                # in words, atoms counted from 1 as in the molblock's atom block (RDKit counts from 0)
                message = problem_in_words(problems[0].Message())
                record.update(smiles=None, read_error=f"record starting at line {start}: {message}")
            else:
                Chem.SanitizeMol(mol)
                record.update(smiles=_record_smiles(Chem.RemoveHs(mol)), read_error=None)
    record["name"] = block[0].strip() if block else None
    # A data item never replaces what the reader took from the molblock: a vendor's <SMILES> item (a salt
    # form, say) would be scored in place of the structure, a <read_error> would mark a good record bad.
    ours = {*record, "line"}
    for key, value in _sdf_fields(block[end + 1:]).items():
        while key.strip().lower() in ours:
            key = f"sdf_{key}"
        record[key] = value
    return record


#: Atom symbols a molfile may hold that are no element: query atoms, R-groups, pseudo-atoms, deuterium and tritium.
_MOLFILE_NON_ELEMENTS = {"A", "AH", "Q", "QH", "X", "XH", "M", "MH", "L", "LP", "R", "R#", "*", "D", "T"}


def _molblock_cause(block: list[str], start: int) -> str:
    """Why RDKit read no molecule from a record's molblock, where molgen can tell: the first atom whose symbol is
    no element (a review: a record with "Xx" said only "unreadable molblock"), with its line in the file. RDKit
    logs its own reason as a warning, which it offers no scoped way to capture (only its error log is)."""
    v3000 = any("V3000" in line for line in block[3:4])
    in_atoms, continued = False, False
    for offset, line in enumerate(block):
        if v3000:   # M  V30 BEGIN ATOM / M  V30 1 C x y z 0 / M  V30 END ATOM
            words = line.split()
            was_continued, continued = continued, line.rstrip().endswith("-")   # "-": the next line goes on with it
            if was_continued:   # an atom's line carried on (MASS=13 CHG=0): no atom of its own
                continue
            if words[2:4] == ["BEGIN", "ATOM"]:
                in_atoms = True
                continue
            if words[2:4] == ["END", "ATOM"]:
                break
            if not in_atoms or len(words) < 4 or not words[2].isdigit():
                continue
            symbol = words[3]
        else:   # V2000: line 4 counts the atoms, the atom block follows, its symbol in columns 32 to 34
            if offset < 4:
                continue
            counts = block[3][:3].strip() if len(block) > 3 else ""
            if not counts.isdigit() or offset >= 4 + int(counts):
                break
            symbol = line[31:34].strip()
            if not symbol:   # a bond line or M  END: the counts line gives more atoms than the block holds
                return (f"line {start + offset} is no atom line, but the counts line (line {start + 3}) gives "
                        f"{int(counts)} atoms")
        if symbol.startswith(("[", "NOT")) or symbol in _MOLFILE_NON_ELEMENTS or re.fullmatch(r"R\d+", symbol):
            continue
        with quiet_rdkit():
            try:
                Chem.GetPeriodicTable().GetAtomicNumber(symbol)
                continue
            except RuntimeError:
                pass
        return f"unknown element {symbol!r} on line {start + offset}"
    return "RDKit could not read its molblock (its counts, atom or bond lines)"


def _sdf_fields(lines: list[str]) -> dict:
    """Data items after ``M  END``: ``> <NAME>`` then value lines up to a blank line."""
    fields, key, value = {}, None, []
    for line in lines + [""]:
        if line.startswith(">") and "<" in line and ">" in line[line.index("<"):]:
            key, value = line[line.index("<") + 1: line.index(">", line.index("<"))], []
        elif key is not None and not line.strip():
            fields[key] = "\n".join(value)
            key = None
        elif key is not None:
            value.append(line)
    return fields


def _read_parquet(path: Path, smiles_column: str | None) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except Exception as error:  # pyarrow raises several types for a damaged file
        raise FileFormatError(path, f"not a readable Parquet file ({error})") from None
    header = [str(c) for c in frame.columns]
    column = find_smiles_column(header, path, smiles_column)
    # another column named smiles (SMILES read, smiles beside it) is kept as the file's own, as a CSV's is: renamed
    # to smiles, the read column had taken its place and it was lost
    taken, names = set(header), []
    for name in header:
        if name != column and name.lower() == "smiles":
            name = input_name(taken, name)
            taken.add(name)
        names.append("smiles" if name == column else name)
    frame.columns = names
    frame["smiles"] = frame["smiles"].astype(object)
    finished = _finish(frame.reset_index(drop=True), list(range(1, len(frame) + 1)))
    finished.attrs["smiles_column"] = column
    finished.attrs["other_smiles_columns"] = [] if smiles_column is not None else other_smiles_columns(header, column)
    return finished


def _set_apart(number: int, lines: list[int], comments: list[int]) -> bool:
    """Whether a comment line lies between blank line ``number`` and the record before it or the one after it
    (``lines`` and ``comments`` ascending, as read)."""
    if not comments:
        return False
    at = bisect.bisect_left(lines, number)
    before, after = lines[at - 1] if at else 0, lines[at] if at < len(lines) else math.inf
    nearest = bisect.bisect_left(comments, number)   # the comments just before and just after the blank line
    return (nearest > 0 and comments[nearest - 1] > before) or (nearest < len(comments) and comments[nearest] < after)


def _finish(frame: pd.DataFrame, lines: list[int], blank: list[int] = (), comments: list[int] = (),
            table: bool = False) -> pd.DataFrame:
    """The reader's columns in order (smiles, line, read_error, the file's own); ``frame.attrs["blank_lines"]``
    the blank lines between records that were skipped, so that a caller can say them: a line that held nothing is
    no molecule, but a chemist counting rows should know. ``frame.attrs["empty_sample_lines"]``: the blank lines
    (below a header) that a caller reading each line as one sample takes as an empty one (``molgen evaluate``: a
    generator that wrote ''), first and last ones included, but not one a comment sets apart from the records (a
    blank line under a ``#`` header formats it); none in a table (``table``), which writes an empty sample as a quoted empty field."""
    if "line" in frame.columns:   # the file's own column of that name (molgen's output read back): kept, renamed
        kept = "input_line"
        while kept in frame.columns:
            kept = f"input_{kept}"
        frame = frame.rename(columns={"line": kept})
    frame.insert(1 if "smiles" in frame.columns else 0, "line", pd.Series(lines, dtype="int64"))
    if "read_error" not in frame.columns:
        frame["read_error"] = None
    first = [list(frame.columns).index(c) for c in ("smiles", "line", "read_error")]
    rest = [i for i, c in enumerate(frame.columns) if c not in ("smiles", "line", "read_error")]
    frame = frame.iloc[:, first + rest]  # by position: a repeated column name is kept once, not doubled
    frame.attrs["blank_lines"] = [number for number in blank if lines and lines[0] < number < lines[-1]]
    # a table writes an empty sample as "" (pandas, Python's csv), and MOSES's reader (pandas) skips a blank line:
    # in a CSV or TSV a blank line is no sample (a trailing one read validity 0.667 for two valid molecules)
    frame.attrs["empty_sample_lines"] = [] if table else [number for number in blank
                                                          if not _set_apart(number, lines, comments)]
    return frame


def places_of(frame: pd.DataFrame) -> list[str]:
    """Each record's place as a message names it: "line 12", or the reader's reason where it could not read the
    record ("record starting at line 12: atom 2 (C) has a valence of 5, ..."); "record N" without line numbers."""
    lines = frame["line"].tolist() if "line" in frame.columns else [None] * len(frame)
    errors = frame["read_error"].tolist() if "read_error" in frame.columns else [None] * len(frame)
    return [error if isinstance(error, str) and error else (f"line {line}" if line is not None else f"record {i}")
            for i, (line, error) in enumerate(zip(lines, errors), start=1)]


#: A header naming a molecule's identity, as a word of its own (compound_id, Name, "Molecule ChEMBL ID"; not
#: pKa_acidic), read in words (:func:`header_words`).
IDENTITY = re.compile(r"(?:^|[^a-z])(?:id|ids|cid|name|names|compound|code|title|identifier|registry)(?:[^a-z]|$)")


#: A header that names something else than the molecule, though it holds an identity's word (compound_class,
#: "Assay ID", target_name): never a molecule's name.
NOT_AN_IDENTITY = re.compile(r"(?:^|[^a-z])(?:class|type|assay|target|source|batch|plate|vendor|series|project)(?:[^a-z]|$)")


def header_words(header: str) -> str:
    """A header in lower case with its camelCase words apart (CompoundID: "compound id", MolName: "mol name")."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", header).lower()


def names_of(frame: pd.DataFrame) -> list[str | None] | None:
    """Each record's name where the file gives one: a .smi line's words after the SMILES, an SDF record's title
    (the reader's ``name`` column), else a table's first column whose header names an identity (:data:`IDENTITY`);
    None without."""
    column = "name" if "name" in frame.columns else next(
        (c for c in frame.columns if c not in ("smiles", "line", "read_error") and IDENTITY.search(header_words(str(c)))
         and not NOT_AN_IDENTITY.search(header_words(str(c)))), None)
    if column is None:
        return None
    return [str(value).strip() if pd.notna(value) and str(value).strip() else None for value in frame[column]]


def _record_smiles(mol: Chem.Mol) -> str:
    """An SDF record's molecule as text: its canonical SMILES, or, where it holds a relative configuration (an AND or
    OR stereo group, as `molgen score -o x.sdf` writes a racemate), with the groups after it as CXSMILES: plain SMILES
    read rac-cis back as one enantiomer (a review)."""
    from molgen.chem.parse import relative_stereo_smiles

    return relative_stereo_smiles(mol) or Chem.MolToSmiles(mol)


def reading_notes(frame: pd.DataFrame, skip=(), columns: bool = True) -> list[str]:
    """What the reader noticed, in sentences (the command line and the workbench say them): blank lines skipped
    between records (a record may have been lost in an edit), numbers read with a decimal comma, and a column of
    numbers kept as text because of a few cells that are not (one "notmeasured" pIC50), except of the columns in
    ``skip`` (a command that says what it made of their cells); ``columns=False``: nothing about any column (a
    command that reads the SMILES alone)."""
    notes = []
    if blank := frame.attrs.get("blank_lines"):
        shown = ", ".join(map(str, blank[:10])) + (f" and {len(blank) - 10:,} more" if len(blank) > 10 else "")
        notes.append(f"{len(blank):,} blank line{'s' * (len(blank) != 1)} between records skipped "
                     f"(line{'s' * (len(blank) != 1)} {shown}): no molecule there, no row")
    if "smiles" in frame.columns and "line" in frame.columns:
        from molgen.chem.parse import gives_relative_configuration

        relative = [int(line) for line, text in zip(frame["line"], frame["smiles"]) if gives_relative_configuration(text)]
        if relative:
            shown = ", ".join(map(str, relative[:10])) + (f" and {len(relative) - 10:,} more" if len(relative) > 10 else "")
            notes.append(f"{len(relative):,} row{'s give' if len(relative) != 1 else ' gives'} a relative configuration "
                         f"between stereocentres (CXSMILES |&1:...| racemic or |o1:...| unknown enantiomer; "
                         f"line{'s' * (len(relative) != 1)} {shown}), which a SMILES cannot hold: their properties are "
                         "read with those centres unassigned; score, enumerate and replicates keep the configuration "
                         "in the canonical CXSMILES they name the molecule by (rac-cis and rac-trans stay two "
                         "molecules), but a model, a fingerprint and an enumerated spelling do not")
    if others := frame.attrs.get("other_smiles_columns"):
        chosen = frame.attrs.get("smiles_column")
        repeats = others.count(chosen)
        again = {0: [], 1: [f"a second {chosen!r}"]}.get(repeats, [f"{repeats} more {chosen!r}"])
        said = again + [repr(name) for name in others if name != chosen]
        notes.append(f"column {chosen!r}{' (the first of that name)' if repeats else ''} read as the molecules; "
                     f"{', '.join(said)} also name{'s' * (len(others) == 1)} SMILES and "
                     f"{'is' if len(others) == 1 else 'are'} kept as {'a column' if len(others) == 1 else 'columns'}: "
                     + ("rename a repeated column to read another" if repeats else "") + ("; " if repeats and
                                                                                        len(said) > 1 else "")
                     + ("name the column to read if it holds the structures meant (--smiles-column NAME on the "
                        "command line)" if len(said) > bool(repeats) else ""))
    for column in frame.attrs.get("decimal_commas", []) if columns else ():   # said even of a skipped column
        notes.append(f"column {str(column)!r} read as numbers written with a decimal comma (5,1 is 5.1)")
    for column, cells in frame.attrs.get("text_among_numbers", {}).items() if columns else ():
        if column in skip:
            continue
        shown = ", ".join(f"line {line}: {cell!r}" for line, cell in cells)
        if all(QUALIFIED_NUMBER.fullmatch(cell.strip()) for _, cell in cells):   # >8, <10: outside an assay's range
            notes.append(f"column {str(column)!r} is mostly numbers but is kept as text because of values written "
                         f"with a qualifier ({shown}): a measurement outside the assay's range, no number a model "
                         "can use as it stands (`molgen augment replicates` lists them apart)")
            continue
        if all(_NUMBER_LIST.fullmatch(cell.strip()) for _, cell in cells):   # as replicates writes other columns
            notes.append(f"column {str(column)!r} is mostly numbers but is kept as text because some cells hold "
                         f"several, joined by '; ' ({shown}), as `molgen augment replicates` writes a merged "
                         "compound's columns other than its --label (a measurement given as a --label there gets one value each)")
            continue
        notes.append(f"column {str(column)!r} is mostly numbers but is kept as text because of cells that are not "
                     f"({shown}): if it holds numbers, make those cells numbers or leave them empty")
    return notes


def write_json(data: dict, path: str | Path) -> Path:
    """Write ``data`` as indented JSON, atomically (a temporary name, then renamed); values JSON
    cannot hold (paths, timestamps) are written as text."""
    return write_text(json.dumps(data, indent=1, default=str), path)


def partial_name(path: Path) -> Path:
    """A temporary name beside ``path`` to write it under before the rename, of its own: two writers of one file
    (a card saved by two processes, two commands writing one -o) would otherwise write into one temporary file."""
    return path.with_name(f"{path.name}.{secrets.token_hex(4)}.partial")


#: How old a temporary file must be before a writer of its name removes it as left by a killed write (one still
#: being written is younger: its writer touches it as it writes).
STALE_PARTIAL_SECONDS = 600


def _try_lock(handle: int) -> bool | None:
    """An exclusive advisory lock on an open file, not waited for: True when taken, False when another process holds
    one, None where no such lock can be had (no fcntl; NFS refusing it): the file's age is then all that tells a
    killed write from a slow one. (On NFS a lock is a POSIX lock, which any close of the file by its holder drops:
    there it guards less.)"""
    try:
        import fcntl
    except ImportError:
        return None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:
        return None
    return True


def remove_stale_partials(path: Path, min_age: float = STALE_PARTIAL_SECONDS) -> list[Path]:
    """Remove what killed writes of ``path`` left (``NAME.1f2e3d4c.partial``, of :func:`partial_name`; a SIGKILL
    runs no cleanup), those older than ``min_age`` seconds whose writer holds no lock on them (:func:`replacing`
    keeps one while it writes): a writer still at work, or paused for an hour, is left alone. One that cannot be
    opened or removed (another user's, in a shared cache) is left as it is: cleaning up never fails a save.
    Where no lock can be taken (no fcntl; on NFS, another user's file, opened read-only) age alone decides, as
    before locks. Returns those removed."""
    pattern = re.compile(re.escape(path.name) + r"\.[0-9a-f]{8}\.partial")
    now = time.time()
    removed = []
    for candidate in path.parent.glob(f"{glob.escape(path.name)}.*.partial"):
        try:
            if not pattern.fullmatch(candidate.name) or now - candidate.stat().st_mtime <= min_age:
                continue
            try:   # opened for writing where it can be: NFS grants an exclusive lock only to such a descriptor
                handle = os.open(candidate, os.O_RDWR)
            except PermissionError:
                handle = os.open(candidate, os.O_RDONLY)
        except OSError:   # renamed into place meanwhile, or not ours to open
            continue
        try:
            if _try_lock(handle) is not False:
                candidate.unlink()
                removed.append(candidate)
        except OSError:   # renamed into place by its writer meanwhile, or not ours to remove
            continue
        finally:
            os.close(handle)
    return removed


#: The names :func:`replacing` has looked for earlier killed writes of, in this process.
_CLEANED: set[Path] = set()


@contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """Yield a temporary name of its own beside ``path`` (:func:`partial_name`) to write the new file to; when the
    block ends without an error it replaces ``path`` in one rename, so a reader never meets half a file. What the
    block wrote is removed if it raised (a full disk, a checksum that did not match). The file is created here,
    as open() creates files (the umask and a folder's default ACL apply), and locked until the rename, so that
    :func:`remove_stale_partials`, called here at a name's first write in a process, tells it from what earlier
    killed writes left."""
    path = Path(path)
    if path not in _CLEANED:   # once a process: a folder of 50,000 files took 68 ms to look through at each write
        _CLEANED.add(path)
        remove_stale_partials(path)
    partial = partial_name(path)
    handle: int | None = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        if path.is_file():   # the file replaced keeps its permissions (a report shared with the group stays so)
            os.chmod(partial, stat.S_IMODE(path.stat().st_mode))
        if not _try_lock(handle):   # no lock to hold (no fcntl): nothing keeps the file open across the rename
            os.close(handle)
            handle = None
        yield partial
        os.replace(partial, path)
    finally:
        if handle is not None:
            os.close(handle)
        partial.unlink(missing_ok=True)


def write_protected(path: str | Path) -> bool:
    """Whether ``path`` is a file protected from writing for everyone (``chmod a-w``): replacing it by a rename
    would go round the protection (a review: an export replaced a 444 file). Only the files written for a chemist
    (:func:`write_molecules`, an export's pair) refuse one: molgen's own files (checkpoints, caches, cards) are
    replaced as before, so a umask of 0222 does not stop training at its second checkpoint. Another user's file
    in a shared folder is no protected one (the rename replaces it, as before)."""
    path = Path(path)
    try:
        return path.is_file() and not path.stat().st_mode & 0o222
    except OSError:
        return False


def write_text(text: str, path: str | Path) -> Path:
    """Write ``text`` atomically: under a temporary name, then renamed, so a reader never finds half a report."""
    path = Path(path)
    with replacing(path) as partial, open(partial, "w", encoding="utf-8") as file:
        file.write(text)
    return path


#: Floats in text files: 15 significant digits, as many as a double holds exactly, so a sum's rounding noise
#: (MolWt 284.35900000000004) reads as 284.359 and nothing measured is lost. Parquet keeps the doubles.
FLOAT_FORMAT = "%.15g"


#: The formats :func:`write_molecules` writes (a .smi file would lose every column but the SMILES).
WRITABLE = ("csv", "tsv", "parquet", "sdf")


def check_writable(path: str | Path, probe: bool = True) -> str:
    """The format :func:`write_molecules` would write ``path`` in; :class:`FileFormatError` when it writes none,
    so a command can refuse the name before its work rather than after. ``probe``: also create a file in its folder
    and remove it (a writer about to write needs no probe: its own write says so)."""
    path = Path(path)
    try:
        fmt = detect_format(path)
    except FileFormatError:   # its message offers the formats molgen reads, .smi among them
        fmt = None
    if fmt not in WRITABLE or (path.suffix.lower() == ".gz" and fmt not in ("csv", "tsv")):
        raise FileFormatError(path, "cannot write this file type; end the name in .csv, .tsv, .parquet or .sdf "
                                    "(optionally .gz for .csv and .tsv)")
    if not path.parent.is_dir():
        raise FileFormatError(path, f"the folder {path.parent} does not exist")
    if path.is_dir():
        raise FileFormatError(path, "is a folder: give the name of the file to write")
    if path.exists() and not path.is_file():   # /dev/stdout, a pipe: written by a rename beside it, it would be replaced
        raise FileFormatError(path, "is no regular file (a device or a pipe): give the name of a file to write")
    if write_protected(path):
        raise FileFormatError(path, "is write-protected: remove its protection to replace it, or choose another name")
    try:   # a folder the process cannot write in (read-only, /proc) fails here, not after minutes of work
        if probe:
            with tempfile.TemporaryFile(dir=path.parent):
                pass
    except OSError as error:
        raise FileFormatError(path, f"the folder {path.parent} cannot be written in ({error.strerror})") from None
    return fmt


def _table_options(fmt: str) -> dict:
    """How a table is written as text (``csv`` or ``tsv``), wherever it is: the same bytes from the same table."""
    return {"index": False, "sep": "," if fmt == "csv" else "\t", "float_format": FLOAT_FORMAT}


def csv_text(frame: pd.DataFrame) -> str:
    """``frame`` as :func:`write_molecules` writes it to a ``.csv``, byte for byte: a download the web app offers
    checksums as the command line's file does."""
    return frame.to_csv(**_table_options("csv"))


def write_molecules(frame: pd.DataFrame, path: str | Path, *, smiles_column: str = "smiles",
                    before_replace: Callable[[Path], None] | None = None) -> Path:
    """Write a molecule table as CSV, TSV, Parquet or SDF (by suffix), atomically.

    The file appears complete or not at all (written to a temporary name, then renamed); a failed write (a full
    disk) raises ``OSError`` and leaves any earlier file as it was. ``before_replace``: called with the complete
    temporary file just before it takes the name (an export stages its manifest of it there).
    In SDF every row becomes a record, invalid ones included as empty molecules, with every
    column as a data item, so nothing is lost.
    """
    path = Path(path)
    fmt = check_writable(path, probe=False)
    with replacing(path) as partial:
        if fmt in ("csv", "tsv") and path.suffix.lower() == ".gz":
            # the gzip header names the file by its own name (gunzip -N), not the temporary one, and holds no time:
            # the same table writes the same bytes
            with open(partial, "wb") as raw, gzip.GzipFile(filename=path.name[:-3], mode="wb", fileobj=raw,
                                                            mtime=0) as zipped:   # gzip strips only ".gz"
                frame.to_csv(zipped, **_table_options(fmt))
        elif fmt in ("csv", "tsv"):
            frame.to_csv(partial, **_table_options(fmt))
        elif fmt == "parquet":
            _one_type_a_column(_told_apart(frame)).to_parquet(partial, index=False)
        elif fmt == "sdf":
            _write_sdf(_told_apart(frame), partial, smiles_column)
        if before_replace is not None:
            before_replace(partial)
    return path


def _kind(value) -> str:
    """What a cell holds, as Parquet types them: text, a number (int or float alike), a bool, a date, or else."""
    import datetime
    import decimal
    import numbers

    if isinstance(value, str):
        return "text"
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, np.timedelta64):   # a numpy integer too, but Arrow writes none from an object column
        return "timedelta64"
    if isinstance(value, numbers.Number) and not isinstance(value, decimal.Decimal):
        return "number"
    if isinstance(value, datetime.datetime):   # a Timestamp too; a date alone is another kind, a datetime64 a third
        return "datetime" if value.tzinfo is None else f"datetime in {value.tzinfo}"   # Arrow keeps one zone or none
    if isinstance(value, np.datetime64):   # Arrow cannot mix a column's units (seconds beside nanoseconds: a review)
        return f"datetime64[{np.datetime_data(value)[0]}]"
    return "date" if isinstance(value, datetime.date) else type(value).__name__


def _one_type_a_column(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each column that mixes kinds of values (two files' pIC50, one holding "high"; dates beside
    years) as text, its empty cells left empty: a Parquet column holds one type, and the write failed after the work,
    or read a year as a date (reviews)."""
    def missing(value) -> bool:
        try:
            return bool(pd.isna(value))
        except (TypeError, ValueError):   # a list or an array in a cell: not one missing value
            return False
    # more than one kind of value (text, a number, a bool, a date): one file's pIC50 or "tested" column read as
    # numbers, booleans or dates, another's as words or numbers (a year 2019 beside dates was written as a date)
    # (a missing time keeps its unit: NaT in nanoseconds beside times in seconds fails the write too, a review)
    def kinds(column) -> set[str]:
        return {_kind(v) for v in frame[column] if not missing(v) or isinstance(v, (np.datetime64, np.timedelta64))}

    # a kind Arrow cannot write from an object column even alone: durations, and times in days or minutes (a review)
    mixed = [column for column in frame.columns if frame[column].dtype == object and
             (len(found := kinds(column)) > 1 or found & {"timedelta64", *(f"datetime64[{unit}]" for unit in "DhmWMY")})]
    if not mixed:
        return frame
    frame = frame.copy()
    for column in mixed:   # the numbers written as a CSV writes them, a missing cell left empty
        frame[column] = [None if missing(v) else FLOAT_FORMAT % v if isinstance(v, float) else str(v)
                         for v in frame[column]]
    return frame


def _told_apart(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with a repeated column name (a file's two "id" columns, kept by position) numbered from its second
    on ("id (2)"): Parquet and SDF data items need a name each; a CSV keeps the names as they were."""
    if frame.columns.is_unique:
        return frame
    given = set(map(str, frame.columns))
    names: list[str] = []
    for column in map(str, frame.columns):
        name, number = column, 2
        while name in names or (name != column and name in given):   # "id (2)" may be a column of its own
            name, number = f"{column} ({number})", number + 1
        names.append(name)
    return frame.set_axis(names, axis=1)


# The record's title line (what viewers list), from the first of these columns a table has, else the SMILES.
SDF_TITLE_COLUMNS = ("name", "title", "id", "input_name", "input_id", "compound_id", "molecule_id")


def _sdf_value(value) -> str:
    """A data item's text: a blank line ends an SDF data item, and RDKit drops (with a warning, quieted here) a value
    holding one, e.g. a multi-line note of a user's file: its lines are kept, the blank ones left out."""
    text = FLOAT_FORMAT % value if isinstance(value, float) else str(value)
    if "\n" in text or "\r" in text:
        text = "\n".join(line for line in text.splitlines() if line.strip())
    return text


def _absolute_stereocentres(mol: Chem.Mol) -> bool:
    """Whether ``mol`` has a stereocentre given as written, absolute: one outside every relative (AND/OR) group. A
    molfile says so by its chiral flag; without it, the MDL convention (and RDKit's
    ``TranslateChiralFlagToStereoGroups``) reads every ungrouped centre as relative, as in a racemate."""
    relative = {atom.GetIdx() for group in mol.GetStereoGroups()
                if group.GetGroupType() != Chem.StereoGroupType.STEREO_ABSOLUTE for atom in group.GetAtoms()}
    return any(atom.GetChiralTag() != Chem.ChiralType.CHI_UNSPECIFIED and atom.GetIdx() not in relative
               for atom in mol.GetAtoms())


def _write_sdf(frame: pd.DataFrame, path: Path, smiles_column: str) -> None:
    lowered = {str(c).lower(): c for c in frame.columns}
    title = next((lowered[c] for c in SDF_TITLE_COLUMNS if c in lowered), smiles_column)
    # through a Python file: a failed write (a full disk) raises, where RDKit's own file writer stops silently
    # and a cut-short file would be renamed into place as whole
    handle = open(path, "w", encoding="utf-8")
    writer = Chem.SDWriter(handle)
    try:
        with quiet_rdkit():
            columns = [str(c) for c in frame.columns]   # as written: itertuples renames "IC50 (nM)" to _39
            for row, name in zip(frame.itertuples(index=False, name=None), frame[title].tolist()):
                values = dict(zip(columns, row))
                smiles = values.get(smiles_column)
                mol = Chem.MolFromSmiles(smiles) if isinstance(smiles, str) and smiles else None
                if mol is not None:
                    AllChem.Compute2DCoords(mol)  # a depiction-ready record, not a 0,0,0 pile
                    if _absolute_stereocentres(mol):   # flag 0 reads as relative: an (S) series registered racemic
                        mol.SetIntProp("_MolFileChiralFlag", 1)
                else:
                    mol = Chem.Mol()
                for key, value in values.items():
                    if value is not None and not (isinstance(value, float) and np.isnan(value)) and value is not pd.NA:
                        mol.SetProp(str(key), _sdf_value(value))
                if name is not None and not pd.isna(name):
                    mol.SetProp("_Name", " ".join(str(name).split()))  # the title is one line of the record
                writer.write(mol)
        writer.close()
    finally:
        handle.close()
