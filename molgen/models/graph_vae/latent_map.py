"""A map of molecules in the graph VAE's latent space: each molecule at its encoder mean, the points projected onto
their first two principal components, so that sets (a run's molecules beside a chemist's series) can be seen
where they lie against each other. The Latent page draws it.

The encoder's mean is a function of the molecule alone (a descriptor): no refinement, which would move each point
by the decoder's lights, and take a second or so a molecule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from molgen.chem.graph import has_stereo
from molgen.chem.parse import parse_smiles
from molgen.data.files import SDF_TITLE_COLUMNS, input_name
from molgen.models.graph_vae import latent
from molgen.models.graph_vae.latent_tables import encoded_form

#: The most molecules one map holds (about 5 s a thousand to encode on 2 cores, and a chart a browser still draws).
MAP_MOLECULES = 2000
#: The properties every point carries, to colour the map by.
MAP_PROPERTIES = ("qed", "sa", "logp", "mw")
#: The columns a map's table has of its own (a caller's column of one of these names is kept as input_<name>).
MAP_COLUMNS = ("source", "smiles", "encoded", "reason", "pc_1", "pc_2", *MAP_PROPERTIES)


@dataclass
class LatentMap:
    """``table``: a row per molecule given, in order (source, smiles, the molecule encoded or why not, pc_1 and
    pc_2, the properties, and the caller's own columns); ``explained``: the share of the points' variance each
    axis shows; ``notes``: what of the molecules the map does not show as given."""

    table: pd.DataFrame
    explained: tuple[float, float]
    notes: list[str] = field(default_factory=list)


@dataclass
class MapSource:
    """One set a map is asked for: ``frame`` its molecules (a run's ranked ones, best first; a file's rows), ``name``
    how the map names it, ``longer`` how it is told apart from another set of that name (a path; a run's id),
    ``what`` how its rows are counted ("ranked molecules", "rows")."""

    name: str
    longer: str
    frame: pd.DataFrame
    what: str = "rows"

    @classmethod
    def of_run(cls, record: dict, ranked: pd.DataFrame) -> "MapSource":
        """A stored run's ranked molecules (``ranked``, best first), named by the run, told apart by its id."""
        return cls(record["name"], f"{record['name']} ({record['id']})", pd.DataFrame(
            {"smiles": ranked["smiles"], "rank": ranked["rank"], "score": ranked["score"]}), "ranked molecules")


def point_name(row: pd.Series) -> str:
    """How a point of the map is named: its set, and the compound's name or id in a file (the first of the columns an
    SDF title is taken from, in any case: a review saw "quin" for every compound of a series keyed by id), a pasted
    line's name, or a molecule's rank in a run."""
    columns = {str(column).strip().lower().replace(" ", "_"): column for column in row.index}
    for wanted in SDF_TITLE_COLUMNS:   # a compound number (101) is a name too
        value = row.get(columns[wanted]) if wanted in columns else None
        # pd.isna: an Int64 id column's blank is pd.NA, another set's rows on the map NaN (a review saw "<NA>")
        if value is not None and not (np.ndim(value) == 0 and pd.isna(value)) and str(value).strip():
            return f"{row['source']} {value}"
    rank = row.get("rank")
    # a run's rank (numpy's int64 too); a file's own rank may be text (A, B, C), shown as it is
    if pd.api.types.is_number(rank) and not isinstance(rank, bool) and pd.notna(rank):
        return f"{row['source']} rank {rank:.0f}"
    if rank is not None and pd.notna(rank) and str(rank).strip():
        return f"{row['source']} rank {rank}"
    return str(row["source"])


def gather(sources: list[MapSource], each: int) -> tuple[pd.DataFrame, list[str]]:
    """The molecules of a map: the first ``each`` of every source, each set named once (two files named
    series.csv, or a run named like a file, by their longer names, else numbered: a review saw three sets drawn as
    one), a column named twice in a file told apart; and what was cut or empty, said."""
    from molgen.data.files import _told_apart

    names = [source.name for source in sources]
    names = [source.longer if names.count(source.name) > 1 else source.name for source in sources]
    names = [f"{name} ({names[:i + 1].count(name)})" if names.count(name) > 1 else name for i, name in enumerate(names)]
    sets, said = [], []
    for source, name in zip(sources, names):
        if source.frame.empty:
            said.append(f"{name}: no {source.what} to place")
            continue
        sets.append(map_set(_told_apart(source.frame.head(each)), name))
        if len(source.frame) > each:
            lead = "best" if source.what == "ranked molecules" else "first"   # a run's, best first
            said.append(f"{name}: its {lead} {each:,} of {len(source.frame):,} {source.what}")
    molecules = pd.concat(sets, ignore_index=True) if sets else pd.DataFrame(columns=["smiles", "source"])
    return molecules, said


def map_set(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """``frame``'s rows as one set of a map, named ``name`` in its ``source`` column (a column of the file's own by
    that name kept as ``input_source``)."""
    if "source" in frame.columns:
        frame = frame.rename(columns={"source": input_name(set(frame.columns), "source")})
    return frame.assign(source=name)


def latent_map(model, molecules: pd.DataFrame, *, chunk: int = 256, progress=None) -> LatentMap:
    """The map of ``molecules`` (a ``smiles`` column, and a ``source`` naming the set each row is of; other columns
    kept, one named as the map's own set aside as ``input_<name>``). A row the model cannot encode keeps its place
    with the reason, and no point. ``ValueError`` with fewer than 3 molecules encoded (no plane to project onto) or
    more than :data:`MAP_MOLECULES` given. ``progress``: called with (molecules encoded, of how many)."""
    from sklearn.decomposition import PCA

    from molgen.scoring.properties import compute_properties

    if len(molecules) > MAP_MOLECULES:
        raise ValueError(f"a map holds at most {MAP_MOLECULES:,} molecules, not {len(molecules):,}")
    sources = list(molecules["source"]) if "source" in molecules.columns else ["molecules"] * len(molecules)
    given = ["" if s is None or (isinstance(s, float) and np.isnan(s)) else str(s) for s in molecules["smiles"]]
    encoded, reasons = [""] * len(given), [""] * len(given)
    parents = stereo = 0
    for i, text in enumerate(given):
        try:
            encoded[i], notes = encoded_form(text, model)
        except ValueError as error:
            reasons[i] = str(error) if text else "no SMILES"
            continue
        parents += any(note.startswith(("A salt", "A charged")) for note in notes)
        stereo += has_stereo(parse_smiles(encoded[i]).mol)
    rows = [i for i, text in enumerate(encoded) if text]
    if len(rows) < 3:
        encodable = (f"{len(rows)} of the {len(given)} given {'is' if len(rows) == 1 else 'are'}" if len(given) >= 3
                     else f"{len(given)} {'was' if len(given) == 1 else 'were'} given, {len(rows)} encoded")
        raise ValueError(f"a map needs at least 3 molecules the model encodes; {encodable}"
                         + (f" (e.g. {reasons[next(i for i, r in enumerate(reasons) if r)]})" if any(reasons) else ""))
    points = np.zeros((len(rows), model.config.latent_dim), dtype=np.float32)
    for first in range(0, len(rows), chunk):
        part = rows[first:first + chunk]
        points[first:first + len(part)] = latent.encode(model, [encoded[i] for i in part], refine_steps=0).numpy()
        if progress is not None:
            progress(first + len(part), len(rows))
    if np.allclose(points, points[0], atol=1e-6):   # no spread to project: every share of the variance 0/0
        raise ValueError(f"the {len(rows)} molecules encoded all lie at one point (one molecule, or stereoisomers "
                         "of it): a map needs molecules that differ")
    pca = PCA(n_components=2, svd_solver="full").fit(points)
    projected = pca.transform(points)
    # a principal axis has no sign of its own: the first molecule's side is positive, so a map drawn again (or
    # with a set added) does not flip for no reason a chemist could see
    signs = np.where(projected[0] < 0, -1.0, 1.0)
    projected *= signs
    coordinates = np.full((len(given), 2), np.nan)
    coordinates[rows] = projected
    properties = pd.DataFrame(np.nan, index=range(len(given)), columns=list(MAP_PROPERTIES))
    for i in rows:
        values = compute_properties(parse_smiles(encoded[i]).mol, list(MAP_PROPERTIES))
        properties.loc[i, list(MAP_PROPERTIES)] = [values[name] for name in MAP_PROPERTIES]
    mapped = pd.concat([pd.DataFrame({"source": sources, "smiles": given, "encoded": encoded, "reason": reasons,
                                      "pc_1": coordinates[:, 0], "pc_2": coordinates[:, 1]}), properties], axis=1)
    own = molecules.drop(columns=[c for c in ("smiles", "source") if c in molecules.columns]).reset_index(drop=True)
    taken = set(mapped.columns) | set(own.columns)   # a caller's qed (a measured one) moves aside, kept
    own.columns = [input_name(taken, c) if c in mapped.columns else c for c in own.columns]
    table = pd.concat([mapped, own], axis=1)
    notes = []
    if missed := [i for i, reason in enumerate(reasons) if reason]:
        notes.append(f"{len(missed):,} of the {len(given):,} molecules {'is' if len(missed) == 1 else 'are'} not on "
                     f"the map (the model cannot encode {'it' if len(missed) == 1 else 'them'}; column reason), e.g. "
                     f"{given[missed[0]] or '(blank)'}: {reasons[missed[0]]}")
    if parents:
        notes.append(f"{parents:,} salt{'s' if parents != 1 else ''}, mixture{'s' if parents != 1 else ''} or charged "
                     "form" + ("s are" if parents != 1 else " is") + " placed as the parent (column encoded)")
    if stereo:
        notes.append(f"{stereo:,} molecule{'s carry' if stereo != 1 else ' carries'} stereo, which the model does not "
                     "encode: stereoisomers share one point")
    explained = tuple(float(v) for v in pca.explained_variance_ratio_)
    return LatentMap(table, explained, notes)


def plot_map(drawn: LatentMap, colour: str, path: str | Path, label: str | None = None) -> Path:
    """The map as a PNG at ``path`` (written whole or not at all), its points coloured by ``colour``: ``source`` (a
    colour a set) or a numeric column (a colour scale, ``label`` on its bar)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from molgen.data.files import replacing

    table = drawn.table[drawn.table["pc_1"].notna()]
    figure, axis = plt.subplots(figsize=(7, 5.5))
    if colour == "source":
        for name, points in table.groupby("source", sort=False):
            axis.scatter(points["pc_1"], points["pc_2"], s=14, alpha=0.7, label=f"{name} ({len(points):,})")
        axis.legend(fontsize=8, markerscale=1.5)
    else:
        values = pd.to_numeric(table[colour], errors="coerce")
        # a point without a value (a run's molecule coloured by a file's pIC50) drawn grey, not left out
        scale = matplotlib.colormaps["viridis"].with_extremes(bad="lightgrey")
        shown = axis.scatter(table["pc_1"], table["pc_2"], c=values, s=14, alpha=0.8, cmap=scale, plotnonfinite=True)
        figure.colorbar(shown, ax=axis, label=(label or colour) + (f" (grey: none, {int(values.isna().sum()):,})"
                                                                  if values.isna().any() else ""))
    first, second = drawn.explained
    axis.set_xlabel(f"principal component 1 ({first:.0%} of the variance)")
    axis.set_ylabel(f"principal component 2 ({second:.0%} of the variance)")
    figure.tight_layout()
    path = Path(path)
    with replacing(path) as partial:
        figure.savefig(partial, dpi=110, format="png")
    plt.close(figure)
    return path
