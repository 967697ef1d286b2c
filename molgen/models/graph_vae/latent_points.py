"""Latent points a chemist saved or made (``molgen latent encode``'s table, a cluster's centre, one point moved by
hand) read back from a table and decoded to molecules: ``molgen latent decode``.

A point is a row's ``z_1 ... z_D`` cells. A row without a whole point (a blank cell: a row encode could not encode;
a word where a number belongs) keeps its place with the reason, as every molgen table does with a row it cannot use.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from molgen.data.files import MISSING_MARKERS, FileFormatError, _numbers_if_all_are

#: The largest magnitude a latent point's float32 coordinate holds.
FLOAT32_MAX = float(np.finfo(np.float32).max)
#: Formats a points table may come in (SDF and SMILES files hold no points).
POINT_FORMATS = {".csv": ",", ".tsv": "\t", ".parquet": None}


def point_columns(dims: int) -> list[str]:
    """The columns of a ``dims``-dimensional point, as ``molgen latent encode`` writes them."""
    return [f"z_{d + 1}" for d in range(dims)]


def read_points_table(path: str | Path) -> pd.DataFrame:
    """A table of points (a CSV or TSV, gzipped or not, or Parquet): a CSV's columns read as numbers where every filled
    cell is one (a zero-padded id, 00123, stays text but in a ``z_`` column; a cell that is no number is left for
    :func:`points_of` to name); each row's place in the file in ``attrs["places"]`` ("line 4"). A missing, empty or
    malformed file (a row longer than the header, a point column named twice) is a :class:`FileFormatError` naming
    it, and the line."""
    path = Path(path)
    if path.is_dir():
        raise FileNotFoundError(f"{path} is a folder, not a table of latent points")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    suffix = path.suffix.lower() if path.suffix.lower() != ".gz" else Path(path.stem).suffix.lower()
    if suffix not in POINT_FORMATS:
        raise FileFormatError(path, f"latent points are read from a table ({', '.join(POINT_FORMATS)}), not a "
                                    f"{suffix or 'suffixless'} file")
    if suffix == ".parquet":
        frame, places = _read_parquet_points(path), None
    else:
        frame, places = _read_text_points(path, POINT_FORMATS[suffix])
    if frame.empty:
        raise FileFormatError(path, "holds no rows (a header, then nothing)")
    for at, column in enumerate(frame.columns):   # by position: a file may name two columns alike
        values = frame.iloc[:, at]
        if suffix == ".parquet" and not _is_point_column(column):
            continue   # a Parquet file's own types stand: its text ids (123, 1E5) stay text
        if values.dtype == object or pd.api.types.is_string_dtype(values):   # a file's own, as the reader reads them
            frame.isetitem(at, _numbers_where_all_are(values) if _is_point_column(column) else
                           _numbers_if_all_are(values.fillna("").astype(str)))
    frame.attrs["places"] = places or [f"row {i + 1}" for i in range(len(frame))]
    return frame


def _is_point_column(name) -> bool:
    return isinstance(name, str) and name.startswith("z_") and name[2:].isdigit()


def _read_parquet_points(path: Path) -> pd.DataFrame:
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(path).names
    except Exception as error:   # pyarrow's errors have no common base worth naming
        raise FileFormatError(path, f"is not a readable Parquet file ({error})") from None
    if twice := sorted({name for name in names if _is_point_column(name) and names.count(name) > 1}):
        raise FileFormatError(path, f"names a column more than once ({', '.join(twice)}): which holds the point?")
    try:
        return pq.ParquetFile(path).read().to_pandas()   # another column named twice kept twice, by position
    except Exception as error:
        raise FileFormatError(path, f"is not a readable Parquet file ({error})") from None


def _read_text_points(path: Path, delimiter: str) -> tuple[pd.DataFrame, list[str]]:
    """A CSV or TSV as text cells with each record's first line: a line with nothing on it is skipped, a row of
    empty cells kept (a point with none of its cells), trailing empty cells past the header's (a spreadsheet's
    trailing delimiter) dropped."""
    import csv
    import gzip

    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            header, rows, places, start = None, [], [], 1
            for record in reader:
                line, start = start, reader.line_num + 1   # a quoted field may span lines: a record's first line
                if not record or (len(record) == 1 and not record[0].strip()):
                    continue
                if header is None:   # a blank name as pandas names it; only a point column twice is refused
                    header = [name if name.strip() else f"Unnamed: {i}" for i, name in enumerate(record)]
                    width = len(header)
                    if twice := sorted({n for n in header if _is_point_column(n) and header.count(n) > 1}):
                        raise FileFormatError(path, f"names a column more than once ({', '.join(twice)}): which "
                                                    "holds the point?", line)
                    continue
                if len(record) > width:
                    if any(cell.strip() for cell in record[width:]):
                        raise FileFormatError(path, f"this row has {len(record)} cells and the header names "
                                                    f"{width}", line)
                    record = record[:width]
                rows.append(record + [""] * (width - len(record)))
                places.append(f"line {line}")
    except (csv.Error, UnicodeDecodeError, OSError, EOFError) as error:
        raise FileFormatError(path, f"is not a well-formed table: {error}") from None
    if header is None:
        raise FileFormatError(path, "is empty")
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    # a spreadsheet's empty trailing columns (",," after every line): no name, no cell
    unnamed = [i for i, name in enumerate(header) if name.startswith("Unnamed: ")
               and all(not str(row[i]).strip() for row in rows)]
    return frame.drop(columns=frame.columns[unnamed]) if unnamed else frame, places


def _numbers_where_all_are(column: pd.Series) -> pd.Series:
    """A point column as numbers when every filled cell is one (blank cells NaN; "inf" is a number here, named by
    :func:`points_of`), else as it was: a cell that is no number is left for :func:`points_of` to name."""
    text = column.astype(str).str.strip()
    filled = text.mask(text.eq("") | column.isna())
    try:
        return pd.to_numeric(filled)
    except (ValueError, TypeError):
        return column


def check_point_columns(frame: pd.DataFrame, dims: int, source: str) -> None:
    """A ``ValueError`` when the table's ``z_`` columns are not the model's ``dims`` (points of another model, or a
    table that is not one of points)."""
    wanted = point_columns(dims)
    held = [c for c in frame.columns if _is_point_column(c)]
    missing = [c for c in wanted if c not in frame.columns]
    extra = [c for c in held if c not in wanted]
    if not held:
        raise ValueError(f"{source} has no latent point columns: give a table with z_1 ... z_{dims} (as molgen "
                         "latent encode writes it)")
    if missing or extra:
        raise ValueError(f"{source} holds points of {len(held)} dimensions ({held[0]} ... {held[-1]}), and this "
                         f"model's latent space has {dims} (z_1 ... z_{dims}): the points come from another model")


def encoding_model(path: str | Path) -> dict | None:
    """The model a points file's manifest (``FILE.manifest.json``, as ``molgen latent encode`` writes it) names, or
    None without one."""
    from molgen.data.with_manifest import manifest_path_of

    manifest = manifest_path_of(Path(path))
    if not manifest.is_file():
        return None
    try:
        model = json.loads(manifest.read_text()).get("model")
    except (ValueError, OSError, AttributeError):
        return None
    return model if isinstance(model, dict) and model.get("sha256") else None


def points_of(frame: pd.DataFrame, dims: int) -> tuple[np.ndarray, list[str]]:
    """Each row's point (NaN where it has none) and why a row has none ('' where it has one): a blank cell, a word,
    an infinite value, each named by its column."""
    columns = point_columns(dims)
    points = np.full((len(frame), dims), np.nan, dtype=np.float32)
    reasons = [""] * len(frame)
    cells = frame[columns]
    encode_reasons = list(frame["reason"]) if "reason" in frame.columns else None
    for i, row in enumerate(cells.itertuples(index=False)):
        blank, words = [], []
        for column, cell in zip(columns, row):
            number = _number(cell)
            if number is None:
                blank.append(column)
            elif isinstance(number, str):
                words.append(f"{column} is {number!r}, not a number")
            elif not math.isfinite(number):
                words.append(f"{column} is {number}")
            elif abs(number) > FLOAT32_MAX:   # the decoder's float32 would make it infinite
                words.append(f"{column} is {number:g}, beyond what a latent point holds")
            else:
                points[i, int(column[2:]) - 1] = number
        if len(blank) == dims:   # encode's table says why it has none
            why = _number(encode_reasons[i]) if encode_reasons is not None else None
            reasons[i] = "no latent point" + (f": not encoded, {why}" if isinstance(why, str) else
                                              " (every z cell blank)")
        elif blank or words:
            said = words[:3] + ([f"and {len(words) - 3} more not numbers"] if len(words) > 3 else [])
            reasons[i] = "; ".join(said + ([f"{_listed(blank)} blank"] if blank else []))
    points[[bool(r) for r in reasons]] = np.nan
    return points, reasons


def _number(cell) -> float | str | None:
    """A cell as a number, None when blank, the text itself when it is no number."""
    if cell is None or (not isinstance(cell, str) and pd.isna(cell)):   # NaN, pd.NA, NaT
        return None
    if isinstance(cell, (int, float, np.number)) and not isinstance(cell, bool):
        return float(cell)
    text = str(cell).strip()
    if text.upper() in MISSING_MARKERS:   # as the molecule reader reads a blank cell
        return None
    try:
        return float(text)
    except ValueError:
        return text


def _listed(columns: list[str]) -> str:
    return ", ".join(columns) if len(columns) <= 3 else f"{columns[0]}, {columns[1]} and {len(columns) - 2} more"


def decode_points(model, points: np.ndarray, *, decoding: str = "greedy", temperature: float | None = None,
                  candidates: int | None = None, seed: int = 0) -> list[tuple[str, str]]:
    """Each point's molecule and, where it has none, why: a row of NaN (no point) is left undecoded. Greedy decoding
    is what ``latent encode`` measured ``decodes_back`` with; ``sampled`` and ``most-likely`` draw (seeded)."""
    from molgen.models.graph_vae.sample import DECODING_DEFAULTS, check_decoding, decode_latents

    check_decoding(decoding, temperature, candidates)
    defaults = DECODING_DEFAULTS[decoding]
    held = ~np.isnan(points).any(axis=1)
    out = [("", "")] * len(points)
    if held.any():
        samples = decode_latents(model, torch.from_numpy(points[held]), greedy=decoding == "greedy",
                                 temperature=defaults.get("temperature", 1.0) if temperature is None else temperature,
                                 candidates=candidates or defaults.get("candidates", 1), seed=seed)
        for i, sample in zip(np.flatnonzero(held), samples):
            out[i] = (sample.smiles, "" if sample.smiles else
                      f"the decoded graph is no molecule RDKit sanitizes ({sample.meta.get('error', 'unknown')})")
    return out
