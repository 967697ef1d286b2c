"""The ``molgen`` command. Each group lives with the capability it drives; this file wires them."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn, Optional

import typer
import typer.core
from rich.console import Console
from rich.markup import escape  # SMILES and SMARTS are full of [brackets] that Rich would read as markup
from rich.table import Column, Table


class _HelpGroup(typer.core.TyperGroup):
    """Click's plain help, with each command's whole first sentence in a group's list (click cuts it at the line's
    end: "Train the graph VAE; resumable, with a model card...")."""

    def format_commands(self, ctx, formatter) -> None:
        listed = [(name, command) for name in self.list_commands(ctx)
                  if (command := self.get_command(ctx, name)) is not None and not command.hidden]
        if listed:
            with formatter.section("Commands"):
                formatter.write_dl([(name, command.get_short_help_str(limit=1_000)) for name, command in listed])


def _typer(**settings) -> typer.Typer:
    # Click's plain help rather than Rich's boxes: in an 80-column terminal Rich's option table left 17 columns for
    # each option's help, and it wrote <bool> beside every flag
    return typer.Typer(cls=_HelpGroup, rich_markup_mode=None, no_args_is_help=True, **settings)


app = _typer(help="molgen: generative design of small molecules.", add_completion=False)
data_app = _typer(help="Datasets: list, fetch, info, featurize.")
app.add_typer(data_app, name="data")
#: Results on stdout, errors on stderr (a script piping the output reads no error as data). Lines are
#: not cut at 80 columns when the output is a pipe or a file: a SMILES or a path split in two is broken.
console = Console(soft_wrap=True)
error_console = Console(stderr=True, soft_wrap=True)


def _version(value: bool) -> None:
    if value:
        from molgen import __version__

        console.print(f"molgen {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit.")) -> None:
    """molgen: generate, score and evaluate small molecules."""


def run() -> None:
    """The ``molgen`` command: Ctrl-C watched (``molgen.interrupts``: RDKit would swallow some), then the app."""
    from molgen.interrupts import watch_ctrl_c

    watch_ctrl_c()
    try:
        app()
    except RuntimeError as error:   # any command that opens the run store: one line, its file and the remedy
        store = sys.modules.get("molgen.runs.store")   # loaded if it raised (not imported for every --help)
        if store is None or not isinstance(error, store.StoreUnreadable):
            raise
        error_console.print(escape(str(error)), style="red")
        raise SystemExit(2) from None


def _entry(name: str):
    from molgen.data.registry import get_dataset

    try:
        return get_dataset(name)
    except KeyError as error:
        error_console.print(escape(str(error.args[0])), style="red")
        raise typer.Exit(2) from None


@app.command("models")
def models_command(
    checkpoints: Optional[list[str]] = typer.Argument(None, metavar="[NAME|CHECKPOINT]...",
                                                      help="Shipped names or checkpoint files to show (default: every "
                                                           "shipped model); a file's card beside it, else its record."),
    as_json: bool = typer.Option(False, "--json", help="The model cards, for scripts."),
) -> None:
    """The shipped models (or the checkpoints given): the names --model takes, each one's family, size, training and
    measured quality."""
    import json

    from molgen.models.base import DEFAULT_CHECKPOINTS, CheckpointError, shipped_checkpoints

    try:
        cards = ({name: _card_shown(path) for name, path in shipped_checkpoints().items()} if not checkpoints else
                 {text: _card_shown(_checkpoint_file(text)) for text in checkpoints})
    except CheckpointError as error:   # a user's checkpoint missing, or unreadable (a review: no way to see its card)
        error_console.print(escape(str(error)), style="red")
        raise typer.Exit(2) from None
    if as_json:
        print(json.dumps(cards, indent=1))
        return
    defaults = {file.removesuffix(".pt"): family for family, file in DEFAULT_CHECKPOINTS.items()}
    rows = []
    for name, card in cards.items():
        metrics, training = card.get("metrics") or {}, card.get("training") or {}

        def measured(key: str) -> str:
            return f"{metrics[key]:.3f}" if isinstance(metrics.get(key), (int, float)) else "—"
        steps = _steps_said(training)
        parameters = card.get("parameters")
        rows.append({"--model": name, "family": (card.get("family") or "?") + (" (default)" if name in defaults else ""),
                     "parameters": (f"{parameters / 1e6:.1f} M" if parameters >= 100_000 else f"{parameters:,}")
                     if isinstance(parameters, int) else "?",
                     "trained on": f"{_data_said(training)}{steps}", "valid": measured("valid"),
                     "FCD/Test": measured("FCD/Test") + (f" (n {metrics['n']:,})" if isinstance(metrics.get("n"), int) else ""),
                     "novelty": measured("Novelty") if "Novelty" in metrics else _fine_tune_novelty(metrics)})
    if console.width < WIDE_TABLE:   # a block per model: seven squeezed columns read as noise
        for row in rows:
            console.print(f"[bold]{escape(row['--model'])}[/bold]  {escape(row['family'])}  {row['parameters']} parameters")
            console.print(f"    trained on {escape(row['trained on'])} · valid {row['valid']} · FCD/Test {row['FCD/Test']} "
                          f"· novelty {row['novelty']}")
    else:
        table = Table(Column("--model", no_wrap=True), *(key for key in rows[0] if key != "--model")) if rows else None
        for row in rows:
            table.add_row(*(escape(value) for value in row.values()))
        if table is not None:
            console.print(table)
    for name, card in cards.items():   # why a checkpoint's row has nothing measured, or is worse than its start
        if card.get("note"):
            console.print(escape(f"{name}: {card['note']}"), style="yellow")
        if worse := _worse_than_start(card.get("training") or {}):
            console.print(escape(f"{name}: {worse}"), style="yellow")
        if str((card.get("metrics") or {}).get("new_means", "")).startswith("not in the series ("):
            console.print(escape(f"{name}: its novelty counts against its series alone (the data of the model it "
                                 "started from is not found here)"), style="yellow")
    console.print("(default): what --model <family> takes. valid: as sampled, no valence correction (the graph VAE's "
                  "decoder masks valence by construction, so its 1.000 is by design; graph diffusion keeps the largest "
                  "piece, as DiGress counts). FCD/Test against MOSES test at the n shown: it depends on n. A fine-tune's "
                  "novelty: its distinct valid samples in neither its series nor its parent's data. Each card "
                  "(molgen/pretrained/<name>.json, or --json) holds the data, steps, time and command.")


def _fine_tune_novelty(metrics: dict) -> str:
    """A fine-tune card's share of its distinct valid samples in neither its series nor its parent's data (its card
    measures no MOSES novelty; a review read "—" beside 851 new molecules of 1,000)."""
    new, distinct = metrics.get("new_molecules"), metrics.get("distinct_valid")
    return f"{new / distinct:.3f}" if isinstance(new, int) and isinstance(distinct, int) and distinct else "—"


def _worse_than_start(training: dict) -> str | None:
    """That a fine-tune's kept checkpoint scored no better on its series' validation molecules than the model it
    started from (step 0), as training said when it ended; None otherwise."""
    score, start = _ranked_score(training), (training.get("started_from") or {}).get("valid_score_at_start")
    if score is None or not isinstance(start, (int, float)) or score < start:
        return None
    return (f"no step of its fine-tune beat the model it started from on the series' validation molecules (the kept "
            f"step {training.get('steps')}: {score:.4f}; {start:.4f} at step 0): sample that model, or fine-tune again "
            "with a lower --lr")


def _checkpoint_file(text: str) -> Path:
    """A family's default or a shipped name's checkpoint, as --model reads them, or a file given (``./graph-vae`` is
    the file, ``~`` read); :class:`CheckpointError` when there is none, or for a card given for its checkpoint."""
    from molgen.models.base import FAMILIES, CheckpointError, model_checkpoint, shipped_checkpoints

    given = Path(text).expanduser()   # a file of a shipped name's spelling (./graph-vae) is the file, as --model reads it
    path = given if text not in FAMILIES and text not in shipped_checkpoints() and given.exists() else \
        model_checkpoint(text)
    if path.suffix == ".json" and path.is_file():
        raise CheckpointError(f"{text} is a model card: give its checkpoint, {path.with_suffix('.pt')}")
    if path.is_dir():
        raise CheckpointError(f"{text} is a folder, not a checkpoint file")
    if not path.is_file():
        raise CheckpointError(f"{text}: no such checkpoint file")
    return path


def _card_shown(path: Path) -> dict:
    """The model card beside a checkpoint (RUN.json beside RUN.pt), else what the checkpoint itself records (a
    RUN.last.pt has no card of its own): its family and training, nothing measured."""
    import json
    import warnings

    from molgen.data.moses import sha256_of
    from molgen.models.base import CheckpointError, family_class, load_checkpoint

    card = path.with_suffix(".json")
    why = f"no card beside {path.name}"
    if card.is_file():
        try:
            read = json.loads(card.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError):   # cut short by a kill: the checkpoint's own record
            read, why = None, f"its card, {card.name}, cannot be read"
        if isinstance(read, dict) and "training" in read:
            if read.get("checkpoint_sha256") in (None, sha256_of(path)):
                return read
            why = f"its card, {card.name}, is of other weights (another sha256)"
    payload = load_checkpoint(path)
    try:   # the network's own, not the buffers a state dict also holds; built from this file (load("./graph-vae")
        # reads the shipped name); its card's mismatch is said in the note, not again as a warning
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parameters = family_class(payload.get("family")).load(path).num_parameters()
    except (KeyError, CheckpointError) as error:   # an unknown family, or weights of another version: shown all the same
        parameters, why = None, f"{why}; {error.args[0] if error.args else error}"   # KeyError's own text, unquoted
    return {"family": payload.get("family"), "checkpoint": str(path), "parameters": parameters,
            "training": payload.get("training") or {}, "metrics": {},
            "note": f"{why}: read from the checkpoint, nothing measured"}


def _data_said(training: dict) -> str:
    """A card's data as `molgen models` lists it, with how much of a registered dataset was learned (three shipped
    models learned about 600,000 of MOSES's 1,584,663 training molecules, all listed as "moses")."""
    from molgen.data.registry import REGISTRY

    data, learned = training.get("data", "?"), training.get("molecules")
    if data in REGISTRY and isinstance(learned, int):
        whole = (REGISTRY[data].expected_sizes or {}).get("train")
        valid = training.get("valid_molecules") if isinstance(training.get("valid_molecules"), int) else 0
        if whole and learned + valid < whole:
            return f"{data} ({learned:,} of its {whole:,} training molecules)"
    return Path(data).name if Path(data).suffix else data


def _steps_said(training: dict) -> str:
    """A card's training steps as `molgen models` lists them: the steps of the weights shipped, of how long a
    schedule (a time limit or the best checkpoint can end it early), and the steps of the model it started from
    (the transformer continued one: its own 12,000 are not all it learned)."""
    if not isinstance(training.get("steps"), int):
        return ""
    said = f", {training['steps']:,} steps"
    planned = (training.get("train_config") or {}).get("max_steps")
    if isinstance(planned, int) and planned != training["steps"]:
        said += f" of a {planned:,}-step schedule"
    before, parent = 0, training.get("started_from")
    while isinstance(parent, dict) and isinstance(parent.get("steps"), int):
        before, parent = before + parent["steps"], parent.get("started_from")
    return said + (f", after {before:,} of the model it started from" if before else "")


@data_app.command("list")
def data_list() -> None:
    """List the registered datasets and whether each is available here."""
    from molgen.data.registry import REGISTRY

    table = Table("name", "available", "splits", "description")
    for entry in REGISTRY.values():
        table.add_row(entry.name, "yes" if entry.is_available() else "no (molgen data fetch)", ", ".join(entry.splits), entry.description)
    console.print(table)


@data_app.command("fetch")
def data_fetch(
    name: str = typer.Argument(..., help="Dataset to fetch, e.g. moses."),
    wheel: Optional[Path] = typer.Option(None, help="Use a local copy of the source wheel instead of downloading."),
    force: bool = typer.Option(False, help="Fetch again even if already cached."),
) -> None:
    """Fetch a dataset into the molgen cache (checksums verified)."""
    from molgen.data.moses import FetchError

    entry = _entry(name)
    if entry.fetch is None:
        console.print(f"{name} ships with molgen; nothing to fetch ({entry.location()}).")
        return
    started = time.perf_counter()
    try:
        folder = entry.fetch(wheel=wheel, force=force) if name == "moses" else entry.fetch()
    except FetchError as error:
        error_console.print(f"[red]fetch failed:[/red] {escape(str(error))}")
        raise typer.Exit(1) from None
    console.print(f"{name} is in {folder} ({time.perf_counter() - started:.1f} s)")


@data_app.command("info")
def data_info(name: str = typer.Argument(..., help="Dataset name.")) -> None:
    """Split sizes, checksums and cache path of a dataset."""
    entry = _entry(name)
    console.print(f"[bold]{entry.name}[/bold]: {entry.description}")
    console.print(f"source: {entry.source}")
    console.print(f"path: {entry.location()}")
    if not entry.is_available():
        console.print("[yellow]not fetched[/yellow]: run `molgen data fetch " + name + "`")
        raise typer.Exit(1)
    from molgen.data.moses import FetchError

    table = Table("split", "molecules", "expected", "sha256")
    for split in entry.splits:
        try:
            smiles = entry.load(split)  # MOSES files are sha256-checked on every load
        except FetchError as error:   # a cached file damaged since it was fetched: said, with the fix
            error_console.print(escape(str(error)), style="red")
            raise typer.Exit(2) from None
        expected = (entry.expected_sizes or {}).get(split)
        table.add_row(split, f"{len(smiles):,}", f"{expected:,}" if expected else "", _split_checksum(name, split),
                      style="red" if expected and len(smiles) != expected else None)
    console.print(table)


def _split_checksum(name: str, split: str) -> str:
    if name == "moses":
        from molgen.data.moses import FILES

        return FILES[split].sha256[:16] + "... (verified)"
    from molgen.data.moses import sha256_of

    return sha256_of(_entry(name).location() / f"{split}.csv")[:16] + "..."


@data_app.command("featurize")
def data_featurize(
    context: typer.Context,
    name: str = typer.Argument(..., help="Dataset name or file."),
    split: str = typer.Option("train", help="Split to featurize."),
    workers: Optional[int] = typer.Option(None, help="Processes (default: all cores for large sets)."),
    aromatic_bonds: bool = typer.Option(False, "--aromatic-bonds",
                                        help="Aromatic bond scheme (an aromatic bond type, \\[nH] its own atom type) "
                                             "instead of Kekulé bonds."),
    smiles_column: Optional[str] = typer.Option(None, help="A file's SMILES column, when not found by name."),
) -> None:
    """Turn a dataset into cached molecular graphs (done once; later loads take seconds)."""
    from molgen.data.graphs import bond_scheme_name, cache_key, featurize
    from molgen.paths import cache_dir

    places = None   # a file's failures are named by the line a chemist can open it at
    from molgen.data.registry import REGISTRY

    if name not in REGISTRY and Path(name).is_file():
        if _typed(context, "split"):   # a review: featurized the whole file without a word
            error_console.print(escape(f"--split {split}: a file is featurized whole (--split picks a dataset's "
                                       "split, e.g. molgen data featurize moses --split test)"), style="red")
            raise typer.Exit(2)
        frame = _read_input(name, smiles_column)
        _say_reading_notes(frame, columns=False)   # a blank line skipped is said, as by every command reading a file
        smiles = ["" if s is None else str(s) for s in frame["smiles"]]
        places = ([f"line {n}" for n in frame["line"]] if "line" in frame
                  else [f"record {n}" for n in range(1, len(frame) + 1)])
    else:
        smiles = _dataset_smiles(name, split, smiles_column)
    if not smiles:
        error_console.print(escape(f"{name}: no molecules to featurize"), style="red")
        raise typer.Exit(2)
    started = time.perf_counter()
    dataset = featurize(smiles, workers=workers, aromatic=aromatic_bonds)  # the vocabulary is derived in the same pass
    console.print(f"{len(dataset):,} graph{'s' * (len(dataset) != 1)} ({bond_scheme_name(dataset.aromatic)} bonds), "
                  f"{len(dataset.failures):,} failure{'s' * (len(dataset.failures) != 1)}, atom types: "
                  f"{', '.join(t.label for t in dataset.vocabulary.types)} ({time.perf_counter() - started:.1f} s)")
    shown = 10
    for failure in dataset.failures[:shown]:   # a dataset's counted from 1 among its molecules
        place = places[failure.index] if places else f"molecule {failure.index + 1}"
        console.print(escape(f"  {place}: {failure.smiles!r}: {failure.reason}"), style="yellow")
    if len(dataset.failures) > shown:
        console.print(f"  ... and {len(dataset.failures) - shown:,} more", style="yellow")
    # where they are, for a chemist to find or remove (the cache, $MOLGEN_CACHE; not the data home)
    console.print(escape(f"cached in {cache_dir('graphs') / (cache_key(smiles, None, aromatic_bonds) + '.pt')}"))


@app.command("score")
def score_command(
    context: typer.Context,
    input: Path = typer.Argument(..., help="Molecules: CSV, TSV, SMI, SDF or Parquet; - reads SMILES (one per line, "
                                 "a name after it, or a CSV whose header names its SMILES column) from standard "
                                 "input."),
    output: Path = typer.Option(..., "-o", "--output", help="Scored table: .csv, .tsv, .parquet or .sdf."),
    profile: str = typer.Option("drug-like", help="Shipped profile (drug-like, lead-like), a TOML file, or a run's export "
                                "manifest (.manifest.json) to reuse its profile."),
    smiles_column: Optional[str] = typer.Option(None, help="SMILES column, when not found by name."),
    n_jobs: Optional[int] = typer.Option(None, "--n-jobs", "--jobs", min=1, help="Processes (default: all cores)."),
    largest_fragment: bool = typer.Option(False, "--largest-fragment",
                                          help="Score a salt or mixture by its parent: the largest organic fragment, by "
                                               "heavy atoms, that is no known counter-ion or solvent (pamoate, besylate, "
                                               "meglumine, ... go; lysine or salicylate beside a compound that is "
                                               "no listed salt former go too), "
                                               "neutralized, and an ion given alone "
                                               "neutralized; the fragments column keeps the input's count."),
    top: Optional[int] = typer.Option(None, "--top", min=1, help="Pick the best N distinct molecules: column pick "
                                      "numbers them 1..N in rank order (empty for the rest); every row is still written."),
    diverse: Optional[float] = typer.Option(None, "--diverse", min=0.0, max=1.0,
                                            help="Pick no two molecules more similar than this (Morgan Tanimoto), "
                                                 "best first; with --top, at most N of them."),
    passing_only: bool = typer.Option(False, "--passing-only", help="Picks leave out molecules failing the profile's "
                                      "hard filters (score 0, ranked last)."),
) -> None:
    """Score and rank molecules with a profile; invalid rows are kept with their reason."""
    from molgen.data.files import FileFormatError, read_molecules
    from molgen.data.moses import sha256_of
    from molgen.scoring.alerts import check_alert_data
    from molgen.scoring.profiles import ProfileError, check_new_profile, load_profile
    from molgen.scoring.file_scoring import (hard_filter_note, mixture_note, score_read_molecules, scoring_manifest,
                                             summary, uncharged_counter_ions_note, with_picks)

    _check_output(output, input)   # before the scoring, not after it; never over the input
    from_stdin = str(input) == "-"
    if from_stdin:   # `... | molgen score - -o x.csv`: read as a .smi file, named as standard input in the manifest
        if sys.stdin.isatty():   # it would wait for typing that a chemist does not know is expected
            error_console.print("- reads molecules from standard input: pipe them in (cat mols.smi | molgen score - "
                                "-o scored.csv), or give a file", style="red")
            raise typer.Exit(2)
        input = _stdin_as_smi_file(context)
    try:
        chosen = load_profile(profile)
        check_new_profile(chosen, chosen.source or repr(chosen.name))   # a JSON or a stored one's too
        check_alert_data(chosen.alerts)
        frame = read_molecules(input, smiles_column=smiles_column)
    except (ProfileError, FileFormatError, FileNotFoundError) as error:   # the piped input named as such
        error_console.print(escape(str(error).replace(str(input), "standard input") if from_stdin else str(error)),
                            style="red")
        raise typer.Exit(2) from None
    if from_stdin and "smiles_column" not in frame.attrs and _reads_as_a_table(input):   # read as broken SMILES
        console.print("[yellow]standard input is read as SMILES, one per line (a name after a space): a CSV or TSV "
                      "table is read from its file (molgen score table.csv -o ...)[/yellow]")
    started = time.perf_counter()
    scored = score_read_molecules(frame, chosen, n_jobs=n_jobs, largest_fragment=largest_fragment)
    window_notes = scored.attrs.get("window_notes", [])
    if top is not None or diverse is not None or passing_only:
        scored, picked, short = with_picks(scored, top, diverse, passing_only)
        console.print(f"[yellow]{escape(picked)}[/yellow]" if short else escape(picked))
    from molgen.runs.export import unranked_empty

    scored["rank"] = unranked_empty(scored["rank"])   # an invalid row has no rank: empty, sorted last
    from molgen.data.with_manifest import WriteError, manifest_path_of, write_with_manifest

    settings = {"largest_fragment": largest_fragment, "smiles_column": smiles_column, "top": top, "diverse": diverse,
                "passing_only": passing_only}
    replaced = _already_there(output, manifest_path_of(output))
    try:
        write_with_manifest(scored, output, lambda sha256: scoring_manifest(
            scored, input_file="(standard input)" if from_stdin else str(input), input_sha256=sha256_of(input),
            output_name=output.name, sha256=sha256, profile=chosen, settings=settings,
            blank_lines=frame.attrs.get("blank_lines", [])))
    except WriteError as error:
        error_console.print(escape(str(error)), style="red")
        raise typer.Exit(1) from None
    manifest = manifest_path_of(output)
    console.print(f"scored {summary(scored)} with {chosen.name} in {time.perf_counter() - started:.1f} s -> {output} "
                  f"(+ {manifest.name})")
    _say_replaced(replaced)
    others = [str(c) for c in frame.columns if c not in ("smiles", "line", "read_error")]
    if len(scored) and not scored["valid"].any() and smiles_column is not None and others:   # names or ids given
        console.print(f"[yellow]no row of column {escape(smiles_column)!r} is a molecule: does it hold the SMILES? "
                      f"The table's other columns: {escape(', '.join(others))}[/yellow]")
    if note := hard_filter_note(scored):
        console.print(escape(note))
    for note in window_notes:
        console.print(f"[yellow]{escape(note)}[/yellow]")
    _say_reading_notes(frame)
    from molgen.runs.notes import common_alert_notes

    for note in common_alert_notes(scored.loc[scored["valid"], "alert_names"]):
        console.print(f"[yellow]{escape(note)}[/yellow]")
    _say_alert_names_explained(scored.loc[scored["valid"], "alert_names"])
    if note := mixture_note(scored, largest_fragment, "--largest-fragment scores the parent molecule"):
        console.print(escape(note) if largest_fragment else f"[yellow]{escape(note)}[/yellow]")
    if not largest_fragment and (note := uncharged_counter_ions_note(scored.loc[scored["fragments"] > 1],
                                                                     "--largest-fragment scores the parent")):
        console.print(escape(note), style="yellow")


def _say_alert_names_explained(cells) -> None:
    """What the alert names in ``cells`` that say less than they match do match (the table's manifest keeps it)."""
    from molgen.scoring.alerts import explained_alert_names

    if explained := explained_alert_names(cells):
        console.print(escape("what some alert names match: " + "; ".join(f"{name}: {what}"
                                                                        for name, what in explained.items())))


def _already_there(*paths: Path | None) -> list[Path]:
    """The files among ``paths`` that exist before a command writes them: said replaced once it has (a review found
    score, evaluate and runs rejects writing over an earlier file without a word, export and augment saying it)."""
    return [path for path in dict.fromkeys(p for p in paths if p is not None) if path.is_file()]


def _say_replaced(paths: list[Path]) -> None:
    if paths:
        console.print(f"[yellow]{escape(', '.join(map(str, paths)))} existed and "
                      f"{'is' if len(paths) == 1 else 'are'} replaced[/yellow]")


def _write_or_exit(frame, output: Path, **options) -> None:
    """:func:`molgen.data.files.write_molecules`, or a failed write (a full disk) said in one line, exit status 1:
    the file is written whole or not at all, so an earlier one of that name is as it was."""
    from molgen.data.files import write_molecules

    try:
        write_molecules(frame, output, **options)
    except OSError as error:
        error_console.print(escape(f"writing {output} failed ({error.strerror or error}); "
                                   + (f"the earlier {output.name} is as it was" if output.exists()
                                      else "nothing was written")), style="red")
        raise typer.Exit(1) from None


def _reads_as_a_table(path: Path) -> bool:
    """Whether the first line of ``path`` holding anything reads as a table's: its first word holds a comma
    (``smiles,name``, ``CCO,1``), or the line holds a comma or tab and its first word is no SMILES (``Compound ID,
    SMILES``). A SMILES with a name after a tab or space (2,4-dinitrophenol) is a .smi line."""
    from molgen.chem.parse import parse_smiles

    with open(path, encoding="utf-8", errors="replace") as handle:
        first = next((line.strip() for line in handle if line.strip()), "")
    from molgen.data.files import is_smiles_header

    token = first.split()[0] if first else ""   # a name (2,4-dinitrophenol) or CXSMILES (|c:1,2|) follows a space
    fields = first.split("\t") if "\t" in first else first.split()   # "SMILES<tab>Compound Name": two fields
    if "," not in token and is_smiles_header(token) and len(fields) == 2:
        return False   # "SMILES<tab>id": a .smi file's header, read as one (a third column would be merged into name)
    return "," in token or (("," in first or "\t" in first) and not parse_smiles(token).ok)


def _stdin_as_smi_file(context: typer.Context) -> Path:
    """Standard input saved as a .smi file (removed as the command ends), for the readers that take a file: its
    lines are then named as a file's are."""
    import shutil
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="molgen-stdin-"))
    # Removed when the command's click context closes (an error or Ctrl-C included), not at interpreter exit: a
    # process that runs many commands (a test worker, a notebook's CliRunner) would otherwise keep every copy.
    context.call_on_close(lambda: shutil.rmtree(folder, ignore_errors=True))
    path = folder / "stdin.smi"
    path.write_bytes(sys.stdin.buffer.read())
    return path


@app.command("evaluate")
def evaluate_command(
    context: typer.Context,
    samples: Optional[list[Path]] = typer.Argument(None, help="Generated molecules, one file per model (CSV, SMI, ...); - reads one SMILES a line from standard input."),
    runs: Optional[list[str]] = typer.Option(None, "--run", help="A stored run (id, id prefix or name; repeatable): "
                                             "all its distinct valid molecules, in sampling order, its conditions "
                                             "met or not; validity, uniqueness and novelty from its counts, which "
                                             "saw every sample."),
    reference: str = typer.Option("moses", help="moses (test + scaffold-test), a dataset name (its test split), or a file."),
    train: Optional[str] = typer.Option(None, help="Training set for novelty: moses, a dataset, a file, or none. "
                                        "Default: moses for a file; for --run, the run's own novelty, measured "
                                        "against its model's training data."),
    n: Optional[int] = typer.Option(None, "-n", help="Use the first n rows of each file (e.g. 30000), as MOSES's "
                                    "scripts do. A file in sampling order is fine; one sorted by score or step is "
                                    "not, nor a dataset's own file (MOSES's test split is not shuffled): use --sample."),
    sample: Optional[int] = typer.Option(None, "--sample", help="Use n rows of each file drawn at random (--seed), "
                                         "whatever the file's order."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of --sample."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write all metrics as JSON."),
    markdown: Optional[Path] = typer.Option(None, help="Write the table (with published baselines) as Markdown."),
    plots: Optional[Path] = typer.Option(None, help="Folder for property-distribution PNGs."),
    published: bool = typer.Option(True, help="Show published MOSES baselines beside the models."),
    smiles_column: Optional[str] = typer.Option(None, help="SMILES column, when not found by name."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "--n-jobs", min=1,
                                       help="Processes describing molecules (default: all cores; 1 on a shared machine "
                                            "keeps it to one)."),
) -> None:
    """MOSES metrics of generated molecules, as a table like the MOSES README's and as JSON."""
    from molgen.data.files import FileFormatError, stem_of, write_json, write_protected, write_text
    from molgen.data.moses import sha256_of
    from molgen.metrics import markdown_table, moses_reference, property_plots, published_rows
    from molgen.metrics.ceiling import ceiling_rows
    from molgen.metrics.report import CEILING_LEGEND, PUBLISHED_LEGEND, TABLE_LEGEND
    from molgen.data.registry import REGISTRY
    from molgen.metrics.evaluate import FIRST_ROWS, PART_OF_REFERENCE, training_set
    from molgen.metrics.samples_file import evaluate_samples, read_samples

    # everything the metrics do not compute is checked first: a typo must not cost the minutes before it
    samples, runs = list(samples or []), list(runs or [])
    problems = [f"{flag} must be 1 or more, not {value}" for flag, value in (("-n", n), ("--sample", sample))
                if value is not None and value < 1]
    piped = [i for i, path in enumerate(samples) if str(path) == "-"]
    if len(piped) > 1:
        problems.append("- (standard input) is given twice")
    elif piped and sys.stdin.isatty():   # it would wait for typing that a chemist does not know is expected
        problems.append("- reads samples from standard input: pipe them in (... | molgen evaluate -), or give a file")
    elif piped:   # one SMILES a line, as a generator writes them: read as a .smi file, named as standard input
        samples[piped[0]] = _stdin_as_smi_file(context)
    if not samples and not runs:
        problems.append("nothing to evaluate: give samples files, --run RUN, or both")
    if n is not None and sample is not None:
        problems.append("-n (the first rows) or --sample (rows at random), not both")
    if seed and sample is None:
        problems.append(f"--seed {seed} draws --sample's rows: give --sample N too (without it every row, or -n's "
                        "first rows, are used)")
    for flag, value, extra in (("--reference", reference, ()), ("--train", train, ("none",))):
        if value is not None and value not in (*REGISTRY, *extra) and not Path(value).is_file():
            problems.append(f"{flag} {value}: neither a dataset ({', '.join((*REGISTRY, *extra))}) nor a file")
    for flag, path, suffix in (("-o", output, ".json"), ("--markdown", markdown, ".md")):
        if path is not None and path.suffix != suffix:
            problems.append(f"{flag} {path}: it writes {suffix[1:].upper()}, so its name ends in {suffix}")
        elif path is not None and not path.parent.is_dir():
            problems.append(f"{flag} {path}: the folder {path.parent} does not exist")
        elif path is not None and write_protected(path):   # a chemist's results file, protected (a code review)
            problems.append(f"{flag} {path}: the file is write-protected; remove its protection to replace it, or "
                            "choose another name")
    if plots is not None and (blocking := _file_in_the_way(plots)) is not None:   # found after the metrics, it crashed
        problems.append(f"--plots {plots}: {blocking} is a file, and --plots names a folder for the PNGs; name another")
    records = _evaluated_runs(runs, problems)
    if problems:
        error_console.print(escape("; ".join(problems)), style="red")
        raise typer.Exit(2)
    rows: dict[str, dict] = {}
    file_train = train or "moses"
    # a training file is canonicalized once, not once per samples file
    train_arg = None if file_train == "none" else (file_train if not Path(file_train).is_file()
                                                   else training_set(_file_smiles(file_train, "--train"), n_jobs=jobs))
    kl_reference = None
    if reference == "moses":
        reference_arg, reference_props = "moses", None
    else:  # a dataset's test split or a file: described once, shared by every model
        from molgen.data.registry import load_smiles
        from molgen.metrics import compute_reference

        kl_reference = _file_smiles(reference, "--reference") if Path(reference).is_file() else load_smiles(reference, "test")
        reference_arg = compute_reference(kl_reference, name=reference, n_jobs=jobs)
        reference_props = reference_arg.properties
    # the reference and train files the numbers were measured against, checksummed once for every samples file
    measured_against = {f"{flag}_sha256": sha256_of(Path(value)) for flag, value in
                        (("reference", reference), ("train", file_train)) if Path(value).is_file()}
    # each file's row in the table: its stem, or its path where two files share a stem (runA/x.smi, runB/x.smi);
    # a gzipped file's stem without its format (runs.csv.gz: runs); a run's, its name
    stems = [stem_of(path) for path in samples]
    names = [stem if stems.count(stem) == 1 else str(path) for stem, path in zip(stems, samples)]
    run_names = [record["name"] or record["id"] for record in records]
    run_names = [name if (run_names + names).count(name) == 1 else f"{name} ({record['id']})"
                 for name, record in zip(run_names, records)]
    if len(set(names + run_names)) < len(names) + len(run_names):
        error_console.print("[red]a samples file or a run is named twice[/red]")
        raise typer.Exit(2)
    for path, name in zip(samples, names):
        from_stdin = bool(piped) and path == samples[piped[0]]
        try:
            read = read_samples(path, smiles_column=smiles_column, first=n, sample=sample, seed=seed)
        except (FileFormatError, FileNotFoundError) as error:
            error_console.print(escape(str(error).replace(str(path), "standard input") if from_stdin else str(error)),
                                style="red")
            raise typer.Exit(2) from None
        for note in read.notes:   # beside the table, not in it: stdout stays pasteable
            error_console.print(escape(note), style="yellow")
        if read.rows_used == "all" and (n or sample or 0) > read.rows:
            error_console.print(f"[yellow]{escape(str(path))} has {read.rows:,} rows, fewer than "
                                f"{'-n' if n is not None else '--sample'} {n or sample:,}: using all[/yellow]")
        rows[name] = evaluate_samples(read, reference_arg, file="(standard input)" if from_stdin else str(path),
                                      sha256=sha256_of(path), train=train_arg, kl_reference=kl_reference, first=n,
                                      keep_properties=plots is not None, progress=True, n_jobs=jobs)
        rows[name]["input"].update({"reference": reference, "train": file_train, **measured_against})
    for record, name in zip(records, run_names):
        rows[name] = _evaluate_run(record, n=n, sample=sample, seed=seed, reference_arg=reference_arg,
                                   kl_reference=kl_reference, train=train, train_arg=train_arg,
                                   keep_properties=plots is not None, n_jobs=jobs)
        rows[name]["input"] = {**rows[name]["input"], "reference": reference, "train": train or "the run's own",
                               **{k: v for k, v in measured_against.items() if train is not None or k != "train_sha256"}}
    for name, metrics in rows.items():   # a part of the reference measured: where a file's first rows were taken, said
        first = "file" in metrics["input"] and metrics["input"]["rows_used"].startswith("the first")   # and how not to
        metrics["notes"] = [(f"{PART_OF_REFERENCE}, and {FIRST_ROWS}: draw rows at random (--sample N)" if first
                             else PART_OF_REFERENCE) if note.startswith(PART_OF_REFERENCE) else note
                            for note in metrics["notes"]]
    table_rows = {**rows, **(ceiling_rows(rows) if reference == "moses" else {}),
                  **(published_rows() if published and reference == "moses" else {})}
    legend = TABLE_LEGEND + (" " + CEILING_LEGEND if reference == "moses" else "") + \
        (" " + PUBLISHED_LEGEND if published and reference == "moses" else "")
    console.print(escape(markdown_table(table_rows)), soft_wrap=True)  # one row a line at any width: pasteable markdown
    console.print(escape(legend))
    notes = []
    for name, metrics in rows.items():
        extra = [f"{k} {metrics[k]:.4f}" if metrics.get(k) is not None else f"{k} n/d"
                 for k in ("KL_score", "FCD_score")]
        took = f"{metrics['seconds']:.0f} s"
        console.print(escape(f"{name}: {', '.join([*extra, took])}" + "".join(f"\n  note: {t}" for t in metrics["notes"])))
        notes += [f"- {name}: {t}" for t in metrics["notes"]]
    replaced = _already_there(output, markdown)
    if output:
        from molgen.metrics.evaluate import MOSES_COLUMNS

        # every column of the table, null where it reads n/d (a reference without a scaffold split has no TestSF)
        versions = _measured_versions()
        serialisable = {name: {**dict.fromkeys(MOSES_COLUMNS), **{k: v for k, v in m.items() if k != "properties"},
                               "versions": versions, "evaluated": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
                        for name, m in rows.items()}
        write_json(serialisable, output)
    if markdown:
        inputs = [f"- {name}: {m['input']['used']:,} of the {m['input']['rows']:,} rows of {m['input']['file']} "
                  f"({m['input']['rows_used']}), sha256 {m['input']['sha256'][:16]}" if "file" in m["input"] else
                  f"- {name}: {m['input']['used']:,} of the {m['input']['rows']:,} distinct valid molecules of run "
                  f"{m['input']['run']} ({m['input']['rows_used']}), model {m['input']['checkpoint']}, seed "
                  f"{m['input']['seed']}" for name, m in rows.items()]
        versions = ", ".join(f"{k} {v}" for k, v in _versions_said().items())
        trains = ", ".join(dict.fromkeys(m["input"]["train"] for m in rows.values()))
        sizes = next(iter(rows.values())).get("reference_n", {})   # one reference for every row
        described = " (" + ", ".join(f"{suffix} {size:,} molecules" for suffix, size in sizes.items()) + ")" if sizes else ""
        write_text(markdown_table(table_rows) + "\n\n" + legend + "\n\n" + "\n".join(inputs) + "\n"
                   + f"- reference {reference}{described}, train {trains}; {versions}\n"
                   + ("\n" + "\n".join(notes) + "\n" if notes else ""), markdown)
    _say_replaced(replaced)
    if plots:
        reference_props = reference_props or moses_reference("test").properties
        replaced = _already_there(*(plots / f"{name}.png" for name in reference_props))
        paths = property_plots({name: m["properties"] for name, m in rows.items()}, reference_props, plots,
                               reference_name="MOSES test" if reference == "moses" else reference)
        console.print(f"plots: {', '.join(str(p) for p in paths)}")
        _say_replaced(replaced)


def _nearest_there(path: Path) -> Path:
    """``path`` or the nearest of its parents that is there: a link counts, even one to nothing (mkdir fails on it)."""
    return next(there for there in (path, *path.parents) if there.exists() or there.is_symlink())


def _file_in_the_way(folder: Path) -> Path | None:
    """The file at ``folder`` or at the nearest of its parents that is there, where that is no folder: the folder
    cannot be made there."""
    there = _nearest_there(folder)
    return None if there.is_dir() else there


def _evaluated_runs(runs: list[str], problems: list[str]) -> list[dict]:
    """The stored runs ``molgen evaluate --run`` names, each once; a run the store lacks is added to ``problems``."""
    if not runs:
        return []
    from molgen.runs import RunNotFound, RunStore

    store, records = RunStore(), {}
    for run in runs:
        try:
            record = store.run(run)
        except RunNotFound as error:
            problems.append(str(error))
            continue
        if record["id"] in records:
            problems.append(f"--run {run} names run {record['id']} a second time")
        records[record["id"]] = record
    return list(records.values())


def _evaluate_run(record: dict, *, n: int | None, sample: int | None, seed: int, reference_arg, kl_reference,
                  train: str | None, train_arg, keep_properties: bool, n_jobs: int | None = None) -> dict:
    """``molgen evaluate --run``: :func:`molgen.runs.metrics.measure_run` of the rows -n or --sample choose."""
    from molgen.metrics.samples_file import evaluated_rows
    from molgen.runs import RunStore
    from molgen.runs.metrics import measure_run

    store = RunStore()
    total = store.count(record["id"])
    chosen, how = evaluated_rows(total, n, sample, seed)
    if how == "all" and (n or sample or 0) > total:
        error_console.print(f"[yellow]run {escape(record['id'])} stored {total:,} distinct valid molecules, "
                            f"fewer than {'-n' if n is not None else '--sample'} {n or sample:,}: using all[/yellow]")
    # --train none measures no novelty; no --train, the run's own
    metrics = measure_run(store, record, chosen, reference=reference_arg, train=train_arg if train is not None else None,
                          own_novelty=train is None, kl_reference=kl_reference, keep_properties=keep_properties,
                          progress=True, n_jobs=n_jobs)
    metrics["input"]["rows_used"] = how
    return metrics


def _measured_versions() -> dict:
    """The package versions beside evaluate's numbers: fcd-torch's too, whose ChemNet weights the FCD uses (as
    MOSES's own metrics use them)."""
    from importlib.metadata import version

    from molgen.runs.generate import package_versions

    return {**package_versions(), "fcd-torch": version("fcd-torch")}


def _versions_said() -> dict:
    """The versions the numbers depend on, for the Markdown's one line."""
    said = ("molgen", "rdkit", "torch", "python", "fcd-torch")
    return {k: v for k, v in _measured_versions().items() if k in said and v}


def _file_smiles(path: str, flag: str) -> list[str]:
    """A reference or training file's SMILES, every record's (a non-molecule is counted where it is used); what the
    reader noticed (blank lines skipped) said, led by the ``flag`` that named the file."""
    from molgen.data.files import read_molecules, reading_notes

    frame = read_molecules(path)
    for note in reading_notes(frame, columns=False):
        error_console.print(escape(f"{flag} {path}: {note}"), style="yellow")
    return frame["smiles"].fillna("").astype(str).tolist()


def _split(smiles: list[str], max_molecules: int | None, seed: int, valid_size: int):
    """(molecules used, their shuffled order, how many of that order are held out): the same subset
    and split for every family under the same seed, so label and graph caches are shared."""
    import numpy as np

    rng = np.random.default_rng(seed)
    if max_molecules is not None and max_molecules < len(smiles):
        smiles = [smiles[i] for i in np.sort(rng.choice(len(smiles), max_molecules, replace=False))]
    order = rng.permutation(len(smiles))
    return smiles, order, min(valid_size, max(1, len(smiles) // 10))


def _check_training_flags(*, batch_size: int, eval_every: int, max_steps: int, lr: float, max_minutes: float | None,
                          condition_dropout: float | None = None, max_molecules: int | None = None) -> None:
    """Refuse, before any data is read, what would crash or do nothing hours into a run."""
    problems = [text for bad, text in (
        (batch_size < 1, f"--batch-size must be 1 or more, not {batch_size}"),
        (eval_every < 1, f"--eval-every must be 1 or more, not {eval_every}"),
        (max_steps < 1, f"--max-steps must be 1 or more, not {max_steps}"),
        (not lr > 0, f"--lr must be positive, not {lr:g}"),
        (max_minutes is not None and not max_minutes > 0, f"--max-minutes must be positive, not {max_minutes}"),
        (condition_dropout is not None and not 0 <= condition_dropout <= 1,
         f"--condition-dropout is a chance, between 0 and 1, not {condition_dropout}"),
        (max_molecules is not None and max_molecules < 2,
         f"--max-molecules must be 2 or more (one is held out for validation), not {max_molecules}"),
    ) if bad]
    if problems:
        error_console.print(escape("; ".join(problems)), style="red")
        raise typer.Exit(2)


def _dataset_smiles(data: str, split: str = "train", smiles_column: str | None = None) -> list[str]:
    """A split of a dataset, or a file's molecules; a clear error when it is neither, or unreadable."""
    from molgen.data.files import FileFormatError
    from molgen.data.registry import REGISTRY, load_smiles

    if data in REGISTRY and split not in REGISTRY[data].splits:
        error_console.print(escape(f"{data} has no split {split!r}; it has {', '.join(REGISTRY[data].splits)}"), style="red")
        raise typer.Exit(2)
    try:
        return load_smiles(data, split, smiles_column=smiles_column)
    except (KeyError, FileNotFoundError, FileFormatError, IsADirectoryError) as error:
        error_console.print(escape(str(error.args[0] if isinstance(error, KeyError) else error)), style="red")
        raise typer.Exit(2) from None


def _training_split(smiles: list[str], max_molecules: int | None, seed: int, valid_size: int, data: str):
    """:func:`_split`, refusing a set with nothing left to train on (the training loop would wait forever)."""
    smiles, order, n_valid = _split(smiles, max_molecules, seed, valid_size)
    if len(smiles) - n_valid < 1:
        error_console.print(escape(f"{data} gives {len(smiles)} molecule{'s' * (len(smiles) != 1)}: too few to train (one in "
                                   "ten, and at least one, is held out for validation); give at least 2"), style="red")
        raise typer.Exit(2)
    if n_valid < FEW_VALIDATION:   # a review's 10-molecule series: the best checkpoint chosen on one molecule
        limited = n_valid == valid_size and n_valid < len(smiles) // 10   # --valid-size asked for so few
        console.print(escape(f"{n_valid} validation molecule{'s' * (n_valid != 1)} "
                             + (f"(--valid-size {valid_size})" if limited else f"(a tenth of the {len(smiles):,})")
                             + f": the checkpoint kept is the best on {'it' if n_valid == 1 else 'them'} alone, a "
                             "choice by chance more than by what the model learned; "
                             + ("a larger --valid-size makes it a measure" if limited else
                                "more molecules make it a measure")), style="yellow")
    return smiles, order, n_valid


#: Below this many validation molecules, the best checkpoint's choice is said to be a matter of chance.
FEW_VALIDATION = 5


def _fine_tunes(ctx: typer.Context, resume: Path, record: dict, data: str, flag: str = "--resume") -> bool:
    """Whether a --resume learns other data than the checkpoint (``record``: its training record) did, --data naming
    it: a fine-tune of the checkpoint, with a schedule of its own (the run's learning rate and 200,000 steps are no
    schedule for a series), said. Decided by name, before the data is read, and followed by the trainer too
    (``fine_tune``): the run's file moved elsewhere is other data (put back where the card names it, it continues
    the run; a guess by its name once continued an unrelated series over the run, a review found)."""
    recorded = record.get("data")
    if not _typed(ctx, "data") or recorded in (None, _data_name(data)):
        return False
    console.print(escape(f"{flag} {resume} on {data}, not the data it learned ({record['data']}): a fine-tune of "
                         "it, with a schedule of its own (the run's settings are not taken)"))
    return True


#: `molgen train`'s --replace.
REPLACE_HELP = ("Replace the earlier run under --out (its model, card, log and resume files); without it, an --out "
                "holding a trained model is refused.")


def _hold_run_name(context: typer.Context, out: Path) -> str | None:
    """Hold ``out``'s name for this training until its command ends (an advisory lock on RUN.pt.lock, a name no
    other tool writes, removed then), so that a second training of the same --out, started while the first runs, is
    refused: a review's two trainings, a second apart, both said they wrote RUN.pt, and the last one's model, card
    and log were all that was left. Returns the refusal, None once held (or where no lock can be had: no fcntl, a
    folder that refuses one)."""
    import os

    try:
        import fcntl
    except ImportError:
        return None
    lock = out.with_name(out.name + ".lock")
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None   # the folder's own check, after this, says why it cannot be written in
    for _ in range(5):
        try:
            handle = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError:
            return None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(handle, 64).decode(errors="replace").strip()
            os.close(handle)
            free = next(candidate for number in range(2, 10_000)
                        if not (candidate := out.with_name(f"{out.stem}-{number}.pt")).exists()
                        and not candidate.with_name(candidate.name + ".lock").exists())
            return (f"--out {out} is being trained by another process"
                    f"{f' (pid {holder})' if holder.isdigit() else ''} right now: wait for it to end, or name this "
                    f"run otherwise (--out {free})")
        except OSError:
            os.close(handle)
            return None
        try:   # the file locked is the one the name holds now, not one its holder removed as it ended
            held = os.fstat(handle).st_ino == os.stat(lock).st_ino
        except OSError:
            held = False
        if held:
            break
        os.close(handle)
    else:
        return None
    os.ftruncate(handle, 0)
    os.write(handle, str(os.getpid()).encode())

    def release() -> None:   # removed while still held: a run that opened it meanwhile sees it gone, and tries again
        lock.unlink(missing_ok=True)
        os.close(handle)

    context.call_on_close(release)
    return None


def _resumed_out(out: Path, default: Path, resume: Path | None, data: str | None = None,
                 starts_from: Path | None = None, replace: bool = False, family: str | None = None,
                 context: typer.Context | None = None) -> Path:
    """Where training writes: with --resume RUN.last.pt (or RUN.pt, its best) and no --out, the run's own RUN.pt, so
    its log and card stay in one place (a fine-tune from it, ``starts_from``: its own name, refused below, so that a
    new model is named; a shipped checkpoint continued: the default). Never into the
    shipped checkpoints' folder: `molgen train ship` puts a trained checkpoint there, with its card; never a name
    without .pt (NAME.json and NAME.csv are written beside it), and never over the ``data`` file (a review's
    `--data series.csv --out series.pt` wrote the training log over the series). A new run under the name of an
    earlier one (its checkpoint or its resume file there) is refused unless ``replace`` (a review lost a 200-step
    fine-tune to a reused --out: a model is hours of work, unlike an export); replacing, it says so (a Ctrl-C then
    points to resume files this run wrote, ``_run_training``).
    ``starts_from``: the checkpoint a new model starts a schedule of its own from (--from's, or a --resume's that is
    a fine-tune, a network grown or without its resume state), whose sha256 its card records: never written under
    that checkpoint's own run (a review: it replaced the model it started from). ``family``: the run's; a run
    continued whose best RUN.pt is now another family's checkpoint (put there since) is refused, not crashed on.
    ``context``: the command's, for which the run's name is held (:func:`_hold_run_name`) until it ends."""
    from molgen.models.base import PRETRAINED_DIR, checkpoint_family

    if resume is not None and out == default and PRETRAINED_DIR.resolve() not in resume.resolve().parents:
        # RUN.last.pt or RUN.pt (the best) resumed: the run's own RUN.pt (a review resumed lstm.pt and replaced another
        # model's runs/smiles-lm.pt without a word); a fine-tune from RUN.pt too: the default is then refused below
        out = resume.with_name(resume.name.removesuffix(".last.pt").removesuffix(".pt") + ".pt")
    refusal = None
    if PRETRAINED_DIR.resolve() in out.resolve().parents:
        refusal = (f"--out {out} is among the shipped checkpoints: train into another folder (runs/), then ship the "
                   "result with `molgen train ship`")
    elif out.suffix != ".pt" or out.is_dir():
        refusal = (f"--out {out}: give the checkpoint's file name, ending .pt (its card NAME.json and log NAME.csv "
                   "are written beside it)")
    elif data is not None and Path(data).is_file():
        from molgen.models.training import TRAINING_FILES

        written = {out.with_suffix(suffix).resolve(): suffix for suffix in (".pt", *TRAINING_FILES)}
        if (suffix := written.get(Path(data).resolve())) is not None:
            refusal = (f"--out {out} would write its {suffix} over the --data file {data}: name the model otherwise "
                       f"(e.g. --out {out.with_name(out.stem + '-model.pt')})")
    if refusal is None and starts_from is not None and _run_of(out) == _run_of(starts_from):
        named = starts_from.with_name(Path(_run_of(starts_from)).name + "-2.pt")
        refusal = (f"this run starts a model of its own from {starts_from} (a fine-tune, a network grown or a checkpoint "
                   f"without resume state): give it a name of its own (--out {named}), or it would replace the model "
                   "it starts from")
    if refusal is None and (resume is None or starts_from is not None or _run_of(out) != _run_of(resume)):
        from molgen.models.training import others_files_beside

        if others := others_files_beside(out):
            refusal = (f"--out {out} would write its card and log over {' and '.join(str(p) for p in others)}, "
                       f"{'which is' if len(others) == 1 else 'which are'} not a training run's: name the model "
                       f"otherwise (e.g. --out {out.with_name(out.stem + '-model.pt')}), or move "
                       f"{'it' if len(others) == 1 else 'them'} away")
    if refusal is None and context is not None:
        refusal = _hold_run_name(context, out)
    new_run = resume is None or starts_from is not None or _run_of(out) != _run_of(resume)
    if refusal is None and not new_run and family and out.is_file() and (found := checkpoint_family(out)) != family:
        held = f"a {found} checkpoint" if found else "no checkpoint molgen reads"
        refusal = (f"{out}, this run's best checkpoint, is {held} now, not this "
                   f"{family} run's (put there since the run wrote it): move it away to continue the run, or "
                   f"continue under another name (--out {out.with_name(out.stem + '-2.pt')})")
    earlier = [path for path in (out, out.with_suffix(".last.pt")) if path.is_file()]
    if refusal is None and new_run and earlier and not replace:
        free = next(candidate for number in range(2, 10_000)
                    if not (candidate := out.with_name(f"{out.stem}-{number}.pt")).exists()
                    and not candidate.with_suffix(".last.pt").exists())
        last = out.with_suffix(".last.pt")
        refusal = (f"--out {out}: {earlier[0]} is an earlier run's {'model' if earlier[0] == out else 'resume file'}: "
                   f"give this run a name of its own (--out {free}), "
                   + (f"continue that run (--resume {last}), " if last.is_file() else "")
                   + "or replace it, with its card and log (--replace)")
    if refusal is None:   # a folder that cannot be written in fails here, not after the data is read and featurized
        import tempfile

        try:   # the nearest folder that is there (a link counts, even one to nothing): the rest is made later
            existing = _nearest_there(out.parent)
            if not existing.is_dir():
                raise NotADirectoryError(20, "a link to nothing stands where a folder would be made" if
                                         existing.is_symlink() else "a file stands where a folder would be made",
                                         str(existing))
            with tempfile.TemporaryFile(dir=existing):
                pass
        except OSError as error:
            refusal = f"--out {out}: its folder {out.parent} cannot be written in ({error.strerror or error})"
    if refusal:
        error_console.print(escape(refusal), style="red")
        raise typer.Exit(2)
    if new_run and earlier:
        console.print(escape(f"{earlier[0]} exists (an earlier run): this run replaces it, with its card and log "
                             "(--replace)"), style="yellow")
    elif replace and not new_run:   # a fresh start was perhaps meant: it would need --resume left out
        console.print(escape(f"--replace: nothing is replaced; --resume {resume} continues that run (leave --resume "
                             "out to start it afresh)"), style="yellow")
    return out


def _run_of(path: Path) -> str:
    """A training run's name: its checkpoint's path without .pt or .last.pt (RUN.pt and RUN.last.pt are one run's)."""
    return str(path.resolve()).removesuffix(".last.pt").removesuffix(".pt")


def _afresh_from(resume: Path | None, fine_tune: bool = False, grown: bool = False) -> Path | None:
    """``resume`` when the run starts a schedule of its own from it (a fine-tune, a network grown, or a checkpoint
    without resume state: a shipped one), else None (:func:`_resumed_out`'s ``starts_from``)."""
    from molgen.models.training import state_path

    return resume if resume is not None and (fine_tune or grown or not state_path(resume).is_file()) else None


def _atom_count(text: str | None) -> int | list[int] | None:
    """--num-atoms read: 12 as 12, 10-14 (or 10..14) as [10, 14]; anything else refused (exit 2). The model refuses
    counts it cannot sample."""
    import re

    if text is None:
        return None
    match = re.fullmatch(r"\s*(\d+)\s*(?:(?:-|\.\.)\s*(\d+)\s*)?", text)
    if match is None:
        error_console.print(escape(f"--num-atoms {text}: give a number of heavy atoms (12) or a range (10-14)"),
                            style="red")
        raise typer.Exit(2)
    low, high = match.groups()
    return int(low) if high is None else [int(low), int(high)]


def _budget_spent(store, run: str, max_samples: int | None) -> tuple[str, int] | None:
    """The name and budget of ``run`` when resuming it with ``max_samples`` (None: its own budget) samples nothing, having
    sampled that many already (stopped by its budget, or interrupted as it reached it); else None (or a run not
    found: its resume says so)."""
    try:
        record = store.run(run)
        sampled = int(store.chunks(record["id"])["size"].sum())
    except Exception:  # noqa: BLE001 -- not found, ambiguous: the resume itself says it in its own words
        return None
    budget = max_samples if max_samples is not None else int(record["params"]["max_samples"])
    # a --max-samples below what it sampled is refused by the resume itself: nothing to say first (a review)
    spent = (record["status"] in ("budget_exhausted", "interrupted") and sampled >= budget
             and (max_samples is None or max_samples >= sampled))
    return (record["name"], budget) if spent else None


def _load_to_resume(loader, resume: Path):
    """The model a --resume (or --from) file holds: its architecture and conditions come from it, not from the
    flags."""
    from molgen.models.base import CheckpointError

    try:
        return loader(resume)
    except (CheckpointError, FileNotFoundError, IsADirectoryError) as error:
        error_console.print(escape(str(error)), style="red")
        raise typer.Exit(2) from None


def _refuse_finished(resume: Path, max_steps: int, record: dict, fine_tune: bool) -> Path | None:
    """Refuse, before any data is read, a resume state that is not of the checkpoint's step (``record``: its
    training record; RUN.pt, the best, beside the latest step's state) or is unreadable, and a run already at
    ``max_steps``: it would train one step past its schedule. A checkpoint without resume state restarts its
    schedule, so it is never finished; nor is a fine-tune (``fine_tune``: :func:`_fine_tunes`), whose state is not
    read. A finished fine-tune whose best checkpoint's card holds no measurement of its samples (Ctrl-C while it
    was sampled) is not refused: that checkpoint is returned, to measure now, and nothing is trained."""
    from molgen.models.base import CheckpointError
    from molgen.models.training import read_resume_state

    if fine_tune:
        return None
    steps = record.get("steps")
    try:
        done = read_resume_state(resume, steps).get("step")
    except CheckpointError as error:
        error_console.print(escape(str(error)), style="red")
        raise typer.Exit(2) from None
    if done and done >= max_steps:
        if (unmeasured := _unmeasured_fine_tune(resume, record)) is not None:
            console.print(escape(f"{resume} is at step {done:,}, the end of --max-steps {max_steps:,}, and the card of "
                                 f"{unmeasured.name} holds no measurement of its samples: measuring it now, training "
                                 "nothing"))
            return unmeasured
        error_console.print(escape(f"{resume} is at step {done:,}, the end of --max-steps {max_steps:,}: give a larger "
                                   "--max-steps to train on (the learning-rate schedule stretches to it)"), style="red")
        raise typer.Exit(2)
    return None


def _unmeasured_fine_tune(resume: Path, record: dict) -> Path | None:
    """The best checkpoint of the fine-tune ``resume`` continues (RUN.pt beside RUN.last.pt, or ``resume`` itself)
    when its card holds no measurement of its samples; None for another run, or one measured."""
    import json

    from molgen.models.training import is_fine_tune

    if not is_fine_tune(record) or not record.get("data_preparation"):   # a fine-tune onto a dataset is not measured
        return None
    best = resume.with_name(resume.name[: -len(".last.pt")] + ".pt") if resume.name.endswith(".last.pt") else resume
    if not best.is_file():
        return None
    try:
        card = json.loads(best.with_suffix(".json").read_text())
    except (OSError, ValueError):
        return None
    return None if "samples" in (card.get("metrics") or {}) else best


def _run_training(run, out: Path, best_line, resume: Path | None = None, max_steps: int | None = None,
                  series: bool = False) -> Path | None:
    """Run a family's training and report its best checkpoint: the card ``run`` returns, or, when no evaluation
    of this session beat the earlier best (a resumed run), the card of that best (beside ``out``, or beside the
    run resumed). Ctrl-C says how to continue, and so does --max-minutes ending it before step ``max_steps``; a fine-tune
    (``series``) whose best is of its first half says so.
    Returns the best checkpoint reported, None when there is none."""
    import json

    from molgen.models.base import CheckpointError
    from molgen.models.training import Terminated, remove_orphaned_partials

    if out.parent.is_dir() and (orphans := remove_orphaned_partials(out)):
        console.print(escape(f"removed {len(orphans)} temporary file{'s' * (len(orphans) != 1)} an earlier training "
                             f"under {out.name} left when it was killed mid-save ({orphans[0].name})"))
    last = out.with_suffix(".last.pt")
    # the resume file as an earlier run under this --out left it (by the filesystem's own clock): one this run did
    # not rewrite is not offered on Ctrl-C (a training review)
    before = (last.stat().st_mtime_ns, last.stat().st_ino) if last.is_file() else None
    try:
        card = run()
    except CheckpointError as error:   # a resume state found unreadable once training starts
        error_console.print(escape(str(error)), style="red")
        raise typer.Exit(2) from None
    except KeyboardInterrupt as stopped:
        from molgen.models.training import read_card

        written = last.is_file() and (last.stat().st_mtime_ns, last.stat().st_ino) != before
        again = last if written and (resume is None or last.stat().st_mtime >= resume.stat().st_mtime) else resume
        end = (read_card(out).get("training") or {}).get("run_end") if written else None
        if isinstance(end, dict) and end.get("state") == "finished" and end.get("max_steps") == max_steps:
            # stopped in its last step: nothing to resume
            console.print(escape(f"interrupted in its last step, which was taken: the run trained to the end of its "
                                 f"schedule (step {end.get('at_step', 0):,}); its best is {out}"
                                 + (f" (a fine-tune: --resume {again} measures its samples, and trains nothing)"
                                    if series else "")), style="yellow")
        else:
            console.print(escape(f"interrupted; continue with --resume {again}" if again is not None else
                                 "interrupted before the first evaluation, so there is nothing to resume: start again"),
                          style="yellow")
        if isinstance(stopped, Terminated):   # killed: dies of the signal once checkpointed, as generate does
            _Termination.die()
        raise typer.Exit(130) from None
    _say_stopped_early(out, max_steps)
    if card:
        console.print(escape(best_line(card["training"]) + f" -> {out}"))
        _say_best_early(out, series)
        return out
    beside = [out.with_suffix(".json")]
    if resume is not None:   # the best of the run continued, under its own name
        beside.append(resume.with_name(resume.name.removesuffix(".last.pt").removesuffix(".pt") + ".json"))
    for card_path in beside:
        best = card_path.with_suffix(".pt")
        try:
            earlier = json.loads(card_path.read_text()).get("training", {}) if card_path.is_file() else {}
        except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):   # cut short by a kill, or not a card
            if best.is_file():
                console.print(escape(f"no evaluation of this session beat the best so far, {best} (its card "
                                     f"{card_path} cannot be read)"), style="yellow")
                return best
            continue
        if earlier:
            console.print(escape(f"no evaluation of this session beat the best so far, {best}: " + best_line(earlier)),
                          style="yellow")
            _say_best_early(out, series, card_path)
            return best
    console.print(escape(f"no evaluation ran, so no checkpoint was written to {out}"), style="yellow")
    return None


def _last_logged_step(out: Path) -> int | None:
    """The step of the last evaluation in the CSV log beside ``out`` (written at every evaluation and at a stop);
    None without a readable one."""
    import csv

    log = out.with_suffix(".csv")
    if not log.is_file():
        return None
    with log.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    try:
        return int(rows[-1]["step"]) if rows else None
    except (KeyError, ValueError, TypeError):
        return None


def _say_stopped_early(out: Path, max_steps: int | None) -> None:
    """That --max-minutes ended a training before its last step (the log's last row, written at the stop, says at
    which), and how to go on: a review read the best line alone as a schedule trained to its end."""
    step = _last_logged_step(out)
    if max_steps is not None and step is not None and step < max_steps:
        console.print(escape(f"--max-minutes ended the training at step {step:,} of {max_steps:,}; continue with "
                             f"--resume {out.with_suffix('.last.pt')}, which trains to step {max_steps:,} unless "
                             "given a --max-minutes again (one that counts every session's minutes: give a larger "
                             "one)"), style="yellow")


def _ranked_score(training: dict) -> float | None:
    """The validation score a run ranks its checkpoints by, read from a card's training record: a SMILES model's
    NLL per token, graph diffusion's loss, the graph VAE's reconstruction + kl_weight * KL."""
    if isinstance(training.get("valid_nll_per_token"), (int, float)):
        return float(training["valid_nll_per_token"])
    if isinstance(training.get("valid_loss"), (int, float)):
        return float(training["valid_loss"])
    weight = (training.get("train_config") or {}).get("kl_weight")
    if all(isinstance(v, (int, float)) for v in (training.get("valid_recon_nll"), training.get("valid_kl"), weight)):
        return float(training["valid_recon_nll"]) + float(weight) * float(training["valid_kl"])
    return None


def _vae_fine_tune_sampling() -> dict:
    """How a graph-VAE fine-tune's card samples are drawn, recorded on the card (a review could not tell): its default
    decoding, from N(0, I), the prior a fine-tune has (its aggregate posterior described the encoder before it)."""
    from molgen.models.graph_vae.sample import DEFAULT_DECODING

    return {"decoding": DEFAULT_DECODING, "latent_prior": False}


def _say_best_early(out: Path, series: bool, card: Path | None = None) -> None:
    """For a fine-tune, how its kept checkpoint compares with the model it started from on the series' validation
    molecules (step 0 of the log), and that it is of the run's first half when no later evaluation beat it (a review
    took the best line for a model trained to its end, when step 10 of 54 was kept; another could not tell whether
    four fine-tunes that kept their first steps had learned anything)."""
    import json

    card = card or out.with_suffix(".json")   # the best's card; the run's log beside out
    last = _last_logged_step(out)
    if not series or not card.is_file() or last is None:
        return
    try:
        training = json.loads(card.read_text())["training"]
        best = int(training["steps"])
    except (KeyError, ValueError, TypeError, json.JSONDecodeError):
        return
    score = _ranked_score(training)
    start = (training.get("started_from") or {}).get("valid_score_at_start")
    scores = "" if score is None else f" ({score:.4f}" + ("" if start is None else f"; {start:.4f} at step 0") + ")"
    if _worse_than_start(training):
        console.print(escape(f"no evaluation up to step {last:,} beat the model it started from on the series' "
                             f"validation molecules (its {start:.4f} at step 0; the best, step {best:,}, "
                             f"{score:.4f}): the fine-tune learned nothing there that the starting model did not "
                             f"know; sample that model, or fine-tune again with a lower --lr (molgen models {out} "
                             "says so beside it)"), style="yellow")
    elif 2 * best <= last:
        console.print(escape(f"the best checkpoint is of step {best:,}{scores}: no evaluation up to step {last:,} beat "
                             f"it on the series' validation molecules, so step {best:,} is the one kept (after it the "
                             "model fit its training molecules better and the held-out ones worse)"), style="yellow")


def _say_no_latent_prior(best: Path, data: str) -> None:
    """That a trained graph VAE samples N(0, I), and the command that gives it an aggregate posterior from its data
    (`train ship` reads the file it trained on as the training did: its SMILES column, its --where rows)."""
    import shlex

    console.print(escape(f"{best} samples its prior latents from N(0, I): it carries no aggregate posterior (for the "
                         "shipped model, FCD/Test 2.93 from N(0, I) greedily, 1.61 from its posterior); add one with "
                         f"`molgen train ship {shlex.quote(str(best))} "
                         f"{shlex.quote(str(best.with_name(best.stem + '-prior.pt')))} --latent-prior "
                         f"{shlex.quote(data)}`"), style="yellow")


def _labels(smiles: list[str], order, n_valid: int, names: list[str]):
    """Property labels of the training part of ``order`` for ``names`` (computed for all five
    conditioning properties, so one cache serves every family)."""
    from molgen.models.smiles_lm.config import CONDITION_PROPERTIES
    from molgen.models.smiles_lm.labels import property_labels

    wanted = property_labels(smiles, CONDITION_PROPERTIES)[:, [CONDITION_PROPERTIES.index(n) for n in names]]
    return wanted[order[n_valid:]], wanted[order[:n_valid]]


train_app = _typer(help="Train generators.")
app.add_typer(train_app, name="train")

SMILES_LM_SIZES = {
    "tiny": {"embed_dim": 32, "hidden_dim": 64, "lstm_layers": 1, "d_model": 32, "n_heads": 2, "n_layers": 2, "ff_dim": 64},
    "small": {"embed_dim": 128, "hidden_dim": 256, "lstm_layers": 2, "d_model": 128, "n_heads": 4, "n_layers": 4, "ff_dim": 512},
    "medium": {"embed_dim": 128, "hidden_dim": 384, "lstm_layers": 2, "d_model": 192, "n_heads": 6, "n_layers": 6, "ff_dim": 768},
    "base": {"embed_dim": 256, "hidden_dim": 512, "lstm_layers": 3, "d_model": 256, "n_heads": 8, "n_layers": 6, "ff_dim": 1024},
}


#: A fine-tune's default length in passes over the series (``benchmarks/fine_tuning.py``, a 36-molecule series on the
#: shipped LSTM: after 50 passes 6 of 9 held-out members are found, 16% of samples copy the series and a fifth are
#: new molecules keeping its core; after 100, 9 of 9 but 59% copies and fewer new ones; after 400 mostly copies).
FINE_TUNE_EPOCHS = 50
#: Samples a fine-tuned model's card is measured on (seconds on a CPU for the shipped LSTM).
FINE_TUNE_SAMPLES = 1000
#: ``train smiles-lm`` flags a --resume takes from the run it continues unless given: the card's train_config names.
#: (threads only when the run was given a count: a card's top-level thread count may be all cores, which nobody chose)
RESUMED_FLAGS = {"batch_size": "batch_size", "lr": "lr", "min_lr": "min_lr", "max_steps": "max_steps",
                 "eval_every": "eval_every", "valid_size": "valid_size", "max_molecules": "max_molecules",
                 "randomize": "randomize_smiles", "condition_dropout": "condition_dropout", "bf16": "bf16", "seed": "seed",
                 "threads": "threads"}


def _warmup_steps(max_steps: int, record: dict, continues: bool) -> int:
    """A schedule's learning-rate warm-up: a tenth of ``max_steps`` (500 at most), or, for a run ``continues``d on
    its own schedule, the warm-up it had (``record``, its card): a finished run resumed with a longer --max-steps
    went back into a warm-up of the longer schedule's length (a review's run: 1e-4 at step 200, then 6.7e-4)."""
    earlier = (record.get("train_config") or {}).get("warmup_steps")
    if continues and isinstance(earlier, int) and 1 <= earlier < max_steps:   # a shorter schedule: a warm-up of its own
        return earlier
    return min(500, max(1, max_steps // 10))


def _say_schedule_stretched(record: dict, config, continues: bool) -> None:
    """That a run continued with a larger --max-steps lays its cosine decay out again over the new length: the
    learning rate rises where the shorter schedule had brought it down (a review saw 1e-4 at step 60, then 4.4e-4,
    with nothing said)."""
    from types import SimpleNamespace

    from molgen.models.training import learning_rate

    earlier = record.get("train_config") or {}
    step, before = record.get("steps"), earlier.get("max_steps")
    if not (continues and isinstance(step, int) and isinstance(before, int) and before < config.max_steps):
        return
    old = SimpleNamespace(**{**{k: getattr(config, k) for k in ("lr", "min_lr", "warmup_steps")}, **{
        k: earlier[k] for k in ("lr", "min_lr", "warmup_steps") if isinstance(earlier.get(k), (int, float))},
        "max_steps": before})
    was, now = learning_rate(step, old), learning_rate(step, config)
    if step < config.warmup_steps or not now > 1.1 * was:   # in its warm-up, or a lower --lr: no rise to say
        return
    console.print(escape(f"--max-steps {config.max_steps:,} stretches the run's schedule of {before:,} steps: its "
                         f"cosine decay is laid out again over {config.max_steps:,}, so at step {step:,} the learning "
                         f"rate rises from {was:.2e} (the run's schedule) to {now:.2e}"), style="yellow")


def _taken_from_run(ctx: typer.Context, record: dict, flags: dict[str, str]) -> dict:
    """The settings a --resume takes from the run it continues: each of ``flags`` (flag name -> the card's
    train_config name) that was not typed and that the card records."""
    earlier = record.get("train_config") or {}
    return {flag: earlier[key] for flag, key in flags.items() if not _typed(ctx, flag) and earlier.get(key) is not None}


def _refuse_reshaping(ctx: typer.Context, resume: Path, flags: dict[str, str], by: str = "--resume") -> None:
    """A --resume continues the run's own model: flags that shape a new one (``flags``: parameter name -> flag as
    typed) were taken silently and did nothing (--arch transformer trained the LSTM on), so they are refused."""
    typed = [flag for name, flag in flags.items() if _typed(ctx, name)]
    if typed:
        error_console.print(escape(f"{', '.join(typed)} {'shape' if len(typed) > 1 else 'shapes'} a new model; {by} "
                                   f"takes the model of {resume} as it is: leave {'them' if len(typed) > 1 else 'it'} "
                                   "out" + (" (or start a new run with --out elsewhere)" if by == "--resume" else "")),
                            style="red")
        raise typer.Exit(2)


def _say_continuing(ctx: typer.Context, data: str, taken: dict) -> None:
    """Say what a --resume continues on: the data (unless typed) and the run's settings it took."""
    if taken:
        settings = ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {' and '.join(v)}" if isinstance(v, list)
                             else f"{k} {v}" for k, v in taken.items())
        console.print(escape(f"continuing on {data} with the run's settings ({settings})"))
    elif not _typed(ctx, "data"):
        console.print(escape(f"continuing on {data}"))


def _holds_bonded_salt_metal(data: str) -> bool:
    """Whether a training file writes a salt metal bonded to its anion (O[Na], [Na]O...), which molgen reads as the
    salt's parent since a review; a dataset name or an unreadable file: no."""
    import re

    from molgen.chem.standardize import SALT_METAL_TOKEN

    try:
        text = Path(data).read_text(errors="replace") if Path(data).is_file() else ""
    except OSError:
        return False
    # the token with an atom written right before it or right after it: bonded, not a dot-separated ion
    return re.search(rf"[A-Za-z\])]{SALT_METAL_TOKEN}|{SALT_METAL_TOKEN}[A-Za-z(\[]", text) is not None


def _refuse_other_molecules(ctx: typer.Context, record: dict, training: list[str], data: str, hint: str = "",
                            n_valid: int | None = None, available: int | None = None) -> None:
    """A --resume whose training molecules are not the run's (another file, subset, split or seed) is refused
    unless --data asks for them, and then said: the card would otherwise describe data the model never saw."""
    from molgen.models.training import data_fingerprint

    if not record.get("data_fingerprint") or data_fingerprint(training) == record["data_fingerprint"]:
        return
    from molgen.models.series import PARENT_TAKEN

    if ((record.get("data_preparation") or {}).get("changed") or {}).get(PARENT_TAKEN):   # read before the rule
        hint += ("; or its salts read as their parent: molgen now sets a known counter-ion aside even when larger "
                 "than the drug, and weighs the other parts by heavy atoms, a salt former that is a drug too (lysine, "
                 "salicylate) giving way to the drug (molgen.chem.counterions), so a run prepared before reads other "
                 "parents")
    if _holds_bonded_salt_metal(data):
        hint += ("; or its salts written with their metal bonded (C(=O)O[Na]): molgen now reads them as their parent "
                 "(molgen.chem.standardize.without_metal_bonds), so a run prepared before reads other molecules")
    changed = _changed_since_run(ctx, record, data, n_valid, available)
    message = ("the training molecules differ from those of the run resumed ("
               + (f"{'; '.join(changed)}{hint}" if changed else
                  f"{data}, --max-molecules, the validation share and --seed decide them{hint}") + ")")
    if not _typed(ctx, "data"):
        flags = bool(changed) and all(text.startswith("--") for text in changed)
        error_console.print(escape(message + (": leave out the flag to continue the run, or" if flags else ":")
                                   + " give --data to continue on other molecules"), style="red")
        raise typer.Exit(2)
    console.print(f"[yellow]{escape(message)}: continuing on them, as --data asks[/yellow]")


def _changed_since_run(ctx: typer.Context, record: dict, data: str, n_valid: int | None,
                       available: int | None) -> list[str]:
    """What makes a --resume's molecules differ from its run's, where it can be named: the file changed since (its
    sha256), --seed typed with another value than the card's, --max-molecules typed for another subset of the
    ``available`` molecules, a validation share (``n_valid``, as the card records it) other than the run's on an
    unchanged file, other --where conditions. A review was told only which flags could: "--max-molecules, the
    validation share and --seed decide them"."""
    from molgen.data.moses import sha256_of
    from molgen.data.row_selection import RowCondition, RowConditionError

    earlier = record.get("train_config") or {}
    preparation = record.get("data_preparation") or {}
    changed = []
    if (Path(data).is_file() and preparation.get("sha256") and _data_name(data) == record.get("data")
            and sha256_of(Path(data)) != preparation["sha256"]):
        changed.append(f"{data} has changed since the run read it (its sha256 differs from the card's)")
    if _typed(ctx, "seed") and "seed" in earlier and ctx.params.get("seed") != earlier["seed"]:
        changed.append(f"--seed {ctx.params['seed']} (the run's: {earlier['seed']})")

    def subset(size: int | None) -> int | None:   # what a --max-molecules takes of the molecules there are
        return available if size is None else min(size, available) if available is not None else size

    if (_typed(ctx, "max_molecules") and "max_molecules" in earlier
            and subset(ctx.params.get("max_molecules")) != subset(earlier["max_molecules"])):
        changed.append(f"--max-molecules {ctx.params['max_molecules']} (the run's: "
                       f"{'all of the data' if earlier['max_molecules'] is None else earlier['max_molecules']})")
    if (not changed and _typed(ctx, "valid_size") and n_valid is not None
            and earlier.get("valid_size") not in (None, n_valid)):   # on a changed file, the share moves by itself
        changed.append(f"--valid-size {ctx.params['valid_size']}: {n_valid:,} validation molecules (the run's: "
                       f"{earlier['valid_size']:,})")

    def canonical(conditions) -> list[str]:   # "pic50 >= 7.0" and "pIC50>=7" are one condition
        try:
            return sorted(str(RowCondition.parse(text)).lower() for text in conditions)
        except RowConditionError:
            return sorted(conditions)

    selected = preparation.get("where") or []
    if _typed(ctx, "where") and canonical(ctx.params.get("where") or []) != canonical(selected):
        changed.append(f"--where {' '.join(ctx.params.get('where') or [])} (the run's: "
                       f"{' and '.join(selected) if selected else 'every row'})")
    return changed


def _recorded_max_molecules(record: dict, available: int, valid_size: int) -> int | None:
    """The subset size of a run recorded before cards named --max-molecules: the molecules it trained on plus its
    validation share, when that is fewer than the data holds (None: it trained on all of it)."""
    trained = record.get("molecules")
    if not isinstance(trained, int) or trained < 1:
        return None
    for total in range(trained + valid_size, trained, -1):   # the largest total whose split leaves ``trained``
        if total - min(valid_size, max(1, total // 10)) == trained:   # (59 and 60 both leave 54: the data decides)
            return total if total < available else None
    return None


def _graph_split(ctx: typer.Context, resume: Path | None, record: dict, taken: dict, smiles: list[str],
                 max_molecules: int | None, seed: int, valid_size: int, data: str):
    """A graph family's subset and split (:func:`_training_split`). With --resume: the run's own, refused when its
    molecules are not the run's unless --data asks, then said with the settings taken. A card from before
    --max-molecules was recorded gives the subset whose training molecules match its fingerprint (a guess from
    the molecules it trained on, which featurizing may have thinned, else all of the data)."""
    from molgen.models.training import data_fingerprint

    if (resume is not None and not _typed(ctx, "max_molecules") and record.get("data_fingerprint")
            and "max_molecules" not in (record.get("train_config") or {})):
        for guess in dict.fromkeys([_recorded_max_molecules(record, len(smiles), valid_size), None]):
            subset, order, n_valid = _split(smiles, guess, seed, valid_size)
            if data_fingerprint([subset[i] for i in order[n_valid:]]) == record["data_fingerprint"]:
                max_molecules = guess
                if guess is not None:
                    taken["max_molecules"] = guess
                break
    subset, order, n_valid = _training_split(smiles, max_molecules, seed, valid_size, data)
    if resume is not None:
        _refuse_other_molecules(ctx, record, [subset[i] for i in order[n_valid:]], data, n_valid=n_valid,
                                available=len(smiles))
        _say_continuing(ctx, data, taken)
    return subset, order, n_valid


def _training_molecules(data: str, smiles_column: str | None, where: list[str] | None,
                        **prepare) -> tuple[list[str], dict | None]:
    """A training run's molecules: a dataset's train split as it is, or a user's file made ready for the model
    (:func:`~molgen.models.series.prepare_series` with ``prepare``: salts as parents, a molecule once, ``--where``
    its rows, every row the model cannot learn listed by line), said, and kept for the card. Returns (SMILES, the
    preparation for the card; None for a dataset)."""
    from molgen.models.series import prepare_series

    if not Path(data).is_file():
        if where:
            error_console.print(escape(f"--where selects rows of a file by a measured column; {data} is a dataset of "
                                       "SMILES alone"), style="red")
            raise typer.Exit(2)
        return _dataset_smiles(data), None
    from molgen.data.moses import sha256_of

    # the file's checksum as it is read (a review: one hashed at each evaluation named a file edited meanwhile):
    # the card's fingerprint says whether a file found later holds the molecules learned, this which file it was
    checksum = sha256_of(Path(data))
    smiles, column, lines, selection = _training_file(data, smiles_column, where)
    prepared = prepare_series(smiles, where=lines, **prepare)
    for note in prepared.notes():
        console.print(f"[yellow]{escape(note)}[/yellow]")
    return prepared.smiles, {"sha256": checksum, "smiles_column": column, "rows": len(smiles),
                             "molecules": len(prepared.smiles), **prepared.record(), **(selection or {})}


def _graph_training_smiles(data: str, model=None, *, aromatic: bool = False, smiles_column: str | None = None,
                           where: list[str] | None = None, as_before: bool = False) -> tuple[list[str], dict | None]:
    """A graph family's molecules (:func:`_training_molecules`), stereo dropped (a graph carries none), a row it
    cannot learn being no molecule, a radical, and for a ``model`` continued on another file an atom type it lacks
    or more atoms than it builds (on its own file, the run's validation molecules may hold such atoms: the first
    reading is repeated, or the molecules would differ from the run's). ``as_before``: a run resumed on its file
    that trained before files were prepared (its card has no ``data_preparation``) reads it raw again, as it did,
    so its molecules still match the card's fingerprint."""
    from molgen.chem.graph import UnknownAtomError, mol_to_graph, typed_graph

    if as_before and Path(data).is_file():
        return _dataset_smiles(data, smiles_column=smiles_column), None
    largest = getattr(getattr(model, "config", None), "max_atoms", None)

    def unlearnable(text: str) -> tuple[str, str] | None:
        from rdkit import Chem

        mol = Chem.MolFromSmiles(text)
        try:
            mol_to_graph(mol, model.vocabulary, aromatic=aromatic) if model is not None else typed_graph(mol, aromatic=aromatic)
        except UnknownAtomError as error:
            return "an atom type not in the model's vocabulary", str(error)
        except ValueError as error:   # a radical, a bond type a graph has none of
            return "a radical or a bond a molecular graph cannot hold", str(error)
        if largest is not None and mol.GetNumAtoms() > largest:
            return (f"more heavy atoms than the {largest} this model builds",
                    f"{mol.GetNumAtoms()} heavy atoms, more than the {largest} this model builds")
        return None

    molecules, preparation = _training_molecules(data, smiles_column, where, unlearnable=unlearnable, stereo=False)
    too_large = sum(count for kind, count in ((preparation or {}).get("left_out_by_reason") or {}).items()
                    if kind.startswith("more heavy atoms than"))
    if largest is not None and too_large and too_large >= TOO_LARGE_SHARE * preparation["rows"]:
        # a review's kinase series lost a fifth of its members to the graph VAE's size, said in a list cut short
        console.print(escape(f"{too_large:,} of the {preparation['rows']:,} rows read ({too_large / preparation['rows']:.0%})"
                             f" are larger than the {largest} heavy atoms this model builds (its size is fixed by the "
                             "molecules it was first trained on): they are not learned. A SMILES model (molgen train "
                             "smiles-lm --from pretrained) learns molecules of any size whose SMILES fits its "
                             f"{_shipped_smiles_tokens()} tokens"), style="yellow")
    return molecules, preparation


#: A graph model's file losing at least this share of its rows to the model's size is told so apart.
TOO_LARGE_SHARE = 0.1


def _shipped_smiles_tokens() -> int:
    """The longest SMILES, in tokens, a SMILES model takes by default (its begin and end tokens aside; the shipped
    ones were trained so)."""
    from molgen.models.smiles_lm.config import SmilesLMConfig

    return SmilesLMConfig().max_len - 2


#: An element in at most this share of a file's molecules (or in one or two) is said before a graph model learns it.
RARE_ELEMENT_SHARE = 0.005


def _say_rare_atom_types(data: str, molecules: list[str], learned_as: str = "an atom type") -> None:
    """The elements a new model's file holds in few molecules, each learned as an atom type (a SMILES model's: a
    token) of its own: a review's model trained from a series with one selenium and one boron row wrote Se and B
    into most samples, and the training said nothing of them. A dataset (MOSES) is not read twice."""
    from collections import Counter

    from molgen.chem.parse import to_mol

    if not Path(data).is_file() or not molecules:
        return
    rows: Counter = Counter()
    example: dict[str, str] = {}
    for text in molecules:
        mol = to_mol(text)
        for element in {atom.GetSymbol() for atom in mol.GetAtoms()} if mol is not None else ():
            rows[element] += 1
            example.setdefault(element, text)
    # (in a handful of molecules every element is in few: said where it is under a tenth of them)
    rare = sorted(e for e, count in rows.items()
                  if count <= max(2, RARE_ELEMENT_SHARE * len(molecules)) and 10 * count < len(molecules))
    if rare:
        console.print(escape(f"elements in few of the file's molecules, each learned as {learned_as} of its own (a "
                             "model samples one it saw rarely at random, often far more than the file holds it): "
                             + "; ".join(f"{e} in {rows[e]:,} ({example[e]})" for e in rare)
                             + ". Leave those rows out of the file if they are not wanted"), style="yellow")


def _graph_fine_tune_settings(ctx: typer.Context, parent: dict, n_training: int, batch_size: int,
                              settings: dict, fine_tune_lr: bool = True) -> dict:
    """A graph family's fine-tune settings, each flag not typed set for a series as smiles-lm's --from sets them:
    ``FINE_TUNE_EPOCHS`` passes over it (not 100,000 steps: 13 hours for 270 molecules, a review found), a peak
    learning rate of 3e-4 (``fine_tune_lr``: where the command's default is higher), validation every tenth of the
    run; and for the graph VAE the KL weight and free bits the ``parent`` trained at, at full weight from the first
    step (its latent space is trained: a warm-up from 0 judged the best checkpoint at a weight it never trained at).
    Said in one line."""
    chosen = dict(settings)
    if not _typed(ctx, "max_steps"):
        chosen["max_steps"] = FINE_TUNE_EPOCHS * -(-n_training // batch_size)
    if fine_tune_lr and not _typed(ctx, "lr"):
        chosen["lr"] = 3e-4
    if not _typed(ctx, "eval_every"):
        chosen["eval_every"] = max(1, min(1000, chosen["max_steps"] // 10))
    trained = parent.get("train_config") or {}
    inherited = set()
    for name in ("kl_weight", "free_bits"):   # named alike in the flags and the parent's train_config
        if name in chosen and not _typed(ctx, name) and isinstance(trained.get(name), (int, float)):
            chosen[name] = trained[name]
            inherited.add(name)
    if "kl_warmup" in chosen and not _typed(ctx, "kl_warmup"):
        chosen["kl_warmup"] = 0
    said = [f"{chosen['max_steps']:,} steps" + ("" if _typed(ctx, "max_steps") else
                                              f" ({FINE_TUNE_EPOCHS} passes over {n_training:,} molecules)"),
            f"lr {chosen['lr']:g}", f"validated every {chosen['eval_every']:,}"]
    if "kl_weight" in chosen:
        said.append(f"KL weight {chosen['kl_weight']:g}" + (" (the parent's)" if "kl_weight" in inherited else "")
                    + (f" after {chosen['kl_warmup']:,} warm-up steps" if chosen["kl_warmup"] else " from the first step")
                    + f", free bits {chosen['free_bits']:g}" + (" (the parent's)" if "free_bits" in inherited else ""))
    console.print(escape("fine-tune settings (flags given override them): " + ", ".join(said)))
    return chosen


def _vocabulary_reading(ctx: typer.Context, model, record: dict):
    """The model whose atom types and size a file is read against (:func:`_graph_training_smiles`), or None: a model
    going on to other data (--data typed), and a fine-tune resumed on its series, whose first reading was against the
    same vocabulary (a review: without it, rows the model cannot learn came back, and the printed resume command was
    refused for other molecules). A run resumed on the data it built its vocabulary from is read as it first was."""
    from molgen.models.training import is_fine_tune

    return model if model is not None and (_typed(ctx, "data") or is_fine_tune(record)) else None


def _prepared_before(ctx: typer.Context, resume: Path | None, record: dict) -> bool:
    """Whether a graph run is resumed on its own file, read raw when it trained (before files were prepared)."""
    return resume is not None and not _typed(ctx, "data") and not record.get("data_preparation") and \
        not _typed(ctx, "where")


def _resumed_file_reading(ctx: typer.Context, record: dict, smiles_column: str | None,
                          where: list[str] | None) -> tuple[str | None, list[str] | None]:
    """A --resume on the run's own file reads it as the run did (its SMILES column, its --where rows), unless
    typed; a file given with --data is read afresh (its column found by name)."""
    preparation = record.get("data_preparation") or {}
    if _typed(ctx, "data"):
        return smiles_column, where
    return (smiles_column if _typed(ctx, "smiles_column") else preparation.get("smiles_column") or smiles_column,
            where if _typed(ctx, "where") else preparation.get("where") or where)


def _graph_from(ctx: typer.Context, from_: str | None, resume: Path | None, family: str) -> Path | None:
    """A graph family's --from: the checkpoint a fine-tune on --data starts from ('pretrained': the shipped one),
    read from there on as --resume CHECKPOINT --data FILE is (a review: `--from pretrained`, as smiles-lm takes it,
    was "no such option"). Without --from, ``resume`` as given."""
    from molgen.models.base import PRETRAINED_DIR

    if from_ is None:
        return resume
    if resume is not None:
        error_console.print("--from starts a fine-tune and --resume continues a run: give one of them", style="red")
        raise typer.Exit(2)
    if not _typed(ctx, "data"):
        error_console.print(escape(f"--from {from_} fine-tunes a model on a series: give it with --data FILE"),
                            style="red")
        raise typer.Exit(2)
    if not _typed(ctx, "out"):   # the default is a MOSES run's name, which a fine-tune would replace
        error_console.print(escape(f"--from {from_} makes a new model: name it with --out, e.g. --out "
                                   f"runs/{family}-{Path(ctx.params.get('data') or 'series').stem}.pt"), style="red")
        raise typer.Exit(2)
    return PRETRAINED_DIR / f"{family}.pt" if from_ == "pretrained" else Path(from_)


def _resume_graph_run(ctx: typer.Context, loader, resume: Path, data: str, flags: dict[str, str],
                      from_: str | None = None):
    """A graph family's --resume (or --from, ``from_``): its model, the data it trained on and the settings of
    ``flags`` it ran with (each unless typed), said in one line; on other data a fine-tune, which takes no setting.
    Returns (model, record, data, taken, fine_tune)."""
    from molgen.models.training import training_of

    model = _load_to_resume(loader, resume)
    record = training_of(model) or {}
    fine_tune = _fine_tunes(ctx, resume, record, data, flag="--from" if from_ is not None else "--resume")
    if from_ is not None and not fine_tune and record.get("data") is None:
        fine_tune = True   # a checkpoint that names no data: --from fine-tunes it on --data, as asked
    elif from_ is not None and not fine_tune:   # the data it learned: --from fine-tunes on a series
        error_console.print(escape(f"--from {from_}: {resume.name} learned {data} already; --from fine-tunes a model "
                                   "on other data (a series). To train on it longer, continue a run of your own with "
                                   "--resume RUN.last.pt"), style="red")
        raise typer.Exit(2)
    taken = {} if fine_tune else _taken_from_run(ctx, record, flags)
    data = _resumed_data(ctx, data, resume, record, say=False)
    return model, record, data, taken, fine_tune


@train_app.command("smiles-lm")
def train_smiles_lm(
    ctx: typer.Context,
    data: str = typer.Option("moses", help="Dataset name (its train split) or a file of SMILES (salts read as their "
                                           "parent; rows a model cannot learn listed and left out)."),
    arch: str = typer.Option("lstm", help="lstm or transformer (with --from pretrained: which shipped model)."),
    size: str = typer.Option("base", help="tiny, small, medium or base."),
    out: Path = typer.Option(Path("runs/smiles-lm.pt"), help="Best checkpoint path (card, log, resume files beside it)."),
    replace: bool = typer.Option(False, "--replace", help=REPLACE_HELP),
    from_: Optional[str] = typer.Option(None, "--from", help="Fine-tune: 'pretrained' (the shipped model of --arch) or a "
                                                             "checkpoint path."),
    resume: Optional[Path] = typer.Option(None, help="Continue a run from its .last.pt: its model, data, settings and "
                                                     "--out come from it, unless given; with --data naming other data, "
                                                     "fine-tune it as --from does (give --out)."),
    max_minutes: Optional[float] = typer.Option(None, help="Stop (cleanly, with a final checkpoint) after this many minutes "
                                                "of training in all, counting the sessions a --resume continues."),
    max_steps: Optional[int] = typer.Option(None, help="Length of the learning-rate schedule, and a hard stop (default "
                                            f"200,000; when fine-tuning, {FINE_TUNE_EPOCHS} passes over the data)."),
    batch_size: int = typer.Option(128),
    lr: Optional[float] = typer.Option(None, help="Peak learning rate (default 1e-3; 3e-4 when fine-tuning with --from)."),
    min_lr: Optional[float] = typer.Option(None, help="Learning rate at the end of the cosine (default: the lower of 1e-4 and lr/3)."),
    eval_every: Optional[int] = typer.Option(None, help="Validate and checkpoint every N steps (default 1000, or a tenth "
                                             "of --max-steps when that is shorter). Ctrl-C also checkpoints."),
    valid_size: int = typer.Option(10_000, help="Molecules held out for validation (a tenth of the molecules at most)."),
    max_molecules: Optional[int] = typer.Option(None, help="Train on a random subset of this many molecules (seeded)."),
    randomize: bool = typer.Option(False, help="Randomized-SMILES augmentation."),
    conditions: Optional[str] = typer.Option(None, help="Transformer: properties to condition on, comma-separated "
                                             "(e.g. qed,sa,logp,mw,tpsa); each hidden at random while training."),
    condition_dropout: float = typer.Option(0.3, help="Chance of hiding each property target during training."),
    bf16: bool = typer.Option(False, help="bfloat16 autocast for training (faster on CPUs with AVX512-BF16)."),
    seed: int = typer.Option(0, min=0, help="Seeds the subset, the split, the initial weights and the batches."),
    threads: Optional[int] = typer.Option(None, min=1, help="torch threads (default: all cores)."),
    smiles_column: Optional[str] = typer.Option(None, help="A file's SMILES column, when not found by name."),
    where: Optional[list[str]] = typer.Option(None, help="A file's rows to learn, by a measured column: 'pIC50>=7', "
                                              "'IC50_nM<100' (repeatable: all must hold). A qualified value counts "
                                              "when all it stands for meets it (>8 for >=7); ChEMBL's Standard "
                                              "Relation is read. Novelty still counts every row of the file."),
) -> None:
    """Train (or fine-tune) a SMILES language model; resumable, with a model card beside the checkpoint."""
    import numpy as np
    import torch

    from molgen.data.tokenizer import SmilesVocabulary, UnknownTokenError
    from molgen.models.base import PRETRAINED_DIR
    from molgen.models.smiles_lm.config import CONDITION_PROPERTIES, SmilesLMConfig, TrainConfig
    from molgen.models.smiles_lm.model import SmilesLM
    from molgen.models.smiles_lm.train import train

    model, record, converted = None, {}, None
    if resume is not None and _typed(ctx, "data") and not _typed(ctx, "from_"):
        from molgen.models.base import CheckpointError, load_checkpoint

        try:
            earlier = load_checkpoint(resume).get("training") or {}
        except (CheckpointError, FileNotFoundError, IsADirectoryError):
            earlier = {}   # the loader says what is wrong with the file, where the model is loaded
        if _fine_tunes(ctx, resume, earlier, data):   # the checkpoint fine-tuned, as --from CKPT does it
            from_, resume, converted = str(resume), None, resume
    if resume is not None:   # the run continued: its data and settings, unless a flag says otherwise
        _refuse_reshaping(ctx, resume, {"arch": "--arch", "size": "--size", "from_": "--from",
                                        "conditions": "--conditions"})
        model = _load_to_resume(SmilesLM.load, resume)
        record = model.training if isinstance(model.training, dict) else {}
        taken = _taken_from_run(ctx, record, RESUMED_FLAGS)
        before = record.get("train_config") or {}
        commands = [record.get("command") or ""] + [run.get("command") or "" for run in record.get("earlier_runs", [])]
        if _typed(ctx, "max_steps") and not any("--eval-every" in command for command in commands) \
                and before.get("eval_every") == _default_eval_every(before.get("max_steps") or 0):
            taken.pop("eval_every", None)   # a tenth of its old schedule by default: a tenth of the new one (one typed stays)
        if not model.config.conditions:   # an unconditional model has no property to hide
            taken.pop("condition_dropout", None)
        typed_where = where
        smiles_column, where = _resumed_file_reading(ctx, record, smiles_column, where)   # its file as it read it
        if where and where is not typed_where:
            taken["where"] = where   # the rows it chose, said with the settings
        batch_size, lr, min_lr = taken.get("batch_size", batch_size), taken.get("lr", lr), taken.get("min_lr", min_lr)
        max_steps, eval_every = taken.get("max_steps", max_steps), taken.get("eval_every", eval_every)
        valid_size, max_molecules = taken.get("valid_size", valid_size), taken.get("max_molecules", max_molecules)
        randomize, condition_dropout = taken.get("randomize", randomize), taken.get("condition_dropout", condition_dropout)
        bf16, seed, threads = taken.get("bf16", bf16), taken.get("seed", seed), taken.get("threads", threads)
        data = _resumed_data(ctx, data, resume, record, say=False)   # said below, with the settings
        _say_continuing(ctx, data, taken)
    from molgen.models.training import is_fine_tune

    if arch not in ("lstm", "transformer"):
        error_console.print(f"[red]--arch takes lstm or transformer, not {escape(arch)}[/red]")
        raise typer.Exit(2)
    source = None
    if resume is None and from_ is not None:   # the checkpoint a new run starts from (a --resume continues its own)
        source = PRETRAINED_DIR / f"smiles-lm-{arch}.pt" if from_ == "pretrained" else Path(from_)
        # its size and conditions are the checkpoint's: a typed one did nothing, and the card's command listed it
        shaping = [flag for name, flag in (("size", "--size"), ("conditions", "--conditions")) if _typed(ctx, name)]
        if shaping:
            how = f"--resume {converted} on other data" if converted is not None else f"--from {from_}"
            error_console.print(escape(f"{' and '.join(shaping)} {'shape' if len(shaping) > 1 else 'shapes'} a new "
                                       f"model; {how} fine-tunes {source.name} as it is (its size and "
                                       f"conditions): leave {'them' if len(shaping) > 1 else 'it'} out"), style="red")
            raise typer.Exit(2)
        model = _load_to_resume(SmilesLM.load, source)
        if _typed(ctx, "arch") and model.config.arch != arch:   # the flag and the checkpoint disagree: say so, not train the other
            error_console.print(escape(f"--arch {arch}, but {source} is a {model.config.arch}: leave out --arch, or give "
                                       f"a {arch} checkpoint"), style="red")
            raise typer.Exit(2)
    started = (model.training if isinstance(model.training, dict) else {}) if source is not None else {}
    # the defaults of a fine-tune (its learning rate, passes over a series); a MOSES run continued with --from is none
    fine_tuning = (is_fine_tune({"data": _data_name(data), "started_from": started}) if source is not None
                   else from_ is not None or is_fine_tune(record))
    # the schedule is checked before any data is read, so a typo fails at once
    # a checkpoint given to start from, on its own data or another: its minimum is not left at the 1e-3 of a new run
    lr = lr if lr is not None else (3e-4 if fine_tuning or from_ is not None else 1e-3)
    min_lr = min_lr if min_lr is not None else min(1e-4, lr / 3)
    _check_training_flags(batch_size=batch_size, eval_every=1 if eval_every is None else eval_every,
                          max_steps=1 if max_steps is None else max_steps, lr=lr,
                          max_minutes=max_minutes, condition_dropout=condition_dropout, max_molecules=max_molecules)
    if not 0 <= min_lr <= lr:
        error_console.print(f"[red]--min-lr {min_lr:g} must lie between 0 and the peak learning rate {lr:g}[/red]")
        raise typer.Exit(2)
    if valid_size < 1:
        error_console.print(f"[red]--valid-size must be 1 or more, not {valid_size}[/red]")
        raise typer.Exit(2)
    if source is not None and converted is None and not _typed(ctx, "out"):
        # the default is a MOSES run's name: a fine-tune written there replaced that model (the graph families refuse
        # it alike, in _graph_from)
        error_console.print(escape(f"--from {from_} makes a new model: name it with --out, e.g. --out "
                                   f"runs/smiles-lm-{Path(data).stem}.pt"), style="red")
        raise typer.Exit(2)
    # a --resume made a fine-tune keeps the resume's default --out (its RUN.pt), refused as the model it starts from
    out = _resumed_out(out, Path("runs/smiles-lm.pt"), resume or converted, data,
                       starts_from=source or _afresh_from(resume), replace=replace, family="smiles-lm",
                       context=ctx)
    if threads:
        torch.set_num_threads(threads)

    parent, unmeasured = None, None   # train() keeps the parent a resumed run recorded
    if resume is not None:   # a fine-tune is --from's
        unmeasured = _refuse_finished(resume, 200_000 if max_steps is None else max_steps, record, False)
    elif source is not None:   # loaded above
        from molgen.models.training import parent_record

        parent = parent_record(source, started)

    # a user's series: salts as parents, rows the model cannot learn listed, before training
    smiles, preparation = _training_molecules(
        data, smiles_column, where, vocabulary=model.vocabulary if model is not None else None,
        max_len=model.config.max_len if model is not None else SmilesLMConfig().max_len)
    data = _data_name(data)   # a card names a file wherever the model is used from
    available = len(smiles)
    smiles, order, n_valid = _training_split(smiles, max_molecules, seed, valid_size, data)
    if _typed(ctx, "valid_size") and n_valid < valid_size:   # a review asked for 100 of 300 and got 30, unsaid
        console.print(escape(f"--valid-size {valid_size:,} is more than a tenth of the {len(smiles):,} molecules: "
                             f"{n_valid:,} {'is' if n_valid == 1 else 'are'} held out for validation (a tenth at "
                             "most, so that nine in ten are learned)"), style="yellow")
    valid = [smiles[i] for i in order[:n_valid]]
    training = [smiles[i] for i in order[n_valid:]]
    if unmeasured is not None:
        _measure_fine_tune(SmilesLM.load, unmeasured, data, preparation, training, valid, sampling={"temperature": 1.0})
        return
    if len(training) < 20:   # a handful of molecules teaches their own spellings, little of a chemotype
        console.print(f"[yellow]{len(training)} molecules to train on: a model learns these molecules themselves "
                      f"more than their chemotype{'' if fine_tuning else ', and a new one little else'}; expect copies "
                      "of them among the samples[/yellow]")
    if resume is not None:
        _refuse_other_molecules(ctx, record, training, data, "; or the run was prepared before molgen learned a repeated "
                                "molecule once: fine-tune again with --from" if preparation and "molecules" not in
                                (record.get("data_preparation") or {"molecules": 0}) else "", n_valid=n_valid,
                                available=available)

    if model is not None:   # continued or fine-tuned: the architecture, vocabulary and conditions of the checkpoint
        model.network.train()
    else:
        if size not in SMILES_LM_SIZES:
            error_console.print(f"[red]unknown size {size!r}; use {', '.join(SMILES_LM_SIZES)}[/red]")
            raise typer.Exit(2)
        names = [c.strip() for c in conditions.split(",") if c.strip()] if conditions else []
        wrong = [c for c in names if c not in CONDITION_PROPERTIES]
        if wrong or (names and arch != "transformer"):
            error_console.print(f"[red]conditioning takes the transformer and properties from {', '.join(CONDITION_PROPERTIES)}; "
                                f"got --arch {arch} --conditions {conditions}[/red]")
            raise typer.Exit(2)
        _say_rare_atom_types(data, smiles, "a token")   # as a new graph model's are (a review: B, I, Si unsaid)
        vocabulary = SmilesVocabulary.from_smiles(smiles)
        config = SmilesLMConfig(arch=arch, vocab_size=len(vocabulary), conditions=names, **SMILES_LM_SIZES[size])
        torch.manual_seed(seed)  # the initial weights: torch seeds its generator at random in each process
        model = SmilesLM(config, vocabulary)
    if bf16:  # the model's own arch: with --from it comes from the checkpoint, not from --arch
        from molgen.models.smiles_lm.sample import require_bf16
        try:
            require_bf16(model.config.arch)
        except ValueError as error:
            error_console.print(escape(str(error)), style="red")
            raise typer.Exit(2) from None
    if max_steps is None:   # a fine-tune's schedule in passes over its series, not a MOSES run's 200,000 steps
        max_steps = FINE_TUNE_EPOCHS * -(-len(training) // batch_size) if fine_tuning else 200_000
    eval_every = eval_every or _default_eval_every(max_steps)
    train_labels = valid_labels = None
    if model.config.conditions:
        train_labels, valid_labels = _labels(smiles, order, n_valid, model.config.conditions)
        if not model.config.condition_mean:  # a fresh model normalises with its training data's statistics
            model.config.condition_mean = np.nanmean(train_labels, axis=0).astype(float).round(4).tolist()
            model.config.condition_std = np.nanstd(train_labels, axis=0).astype(float).round(4).tolist()
    train_config = TrainConfig(batch_size=batch_size, lr=lr, min_lr=min_lr, max_steps=max_steps, max_minutes=max_minutes,
                               eval_every=eval_every, valid_size=n_valid, seed=seed, randomize_smiles=randomize, bf16=bf16,
                               condition_dropout=condition_dropout, max_molecules=max_molecules, threads=threads,
                               warmup_steps=_warmup_steps(max_steps, record, resume is not None and source is None
                                                          and _afresh_from(resume) is None))
    _say_schedule_stretched(record, train_config, resume is not None and source is None and _afresh_from(resume) is None)
    console.print(f"{model.config.arch}, {model.num_parameters():,} parameters; {len(training):,} train / {len(valid):,} "
                  f"valid molecules; {max_steps:,} steps, validated every {eval_every:,}")
    try:
        _run_training(lambda: train(model, training, valid, train_config, out, data_name=data, resume=resume,
                                    train_labels=train_labels, valid_labels=valid_labels, parent=parent,
                                    preparation=preparation, fine_tune=False), out,
                      lambda t: f"best validation NLL {t['valid_nll_per_token']:.4f} per token at step {t['steps']:,}",
                      None if _afresh_from(resume) else resume, max_steps=max_steps,   # a new model's Ctrl-C: its own resume files
                      series=bool(fine_tuning))
    except UnknownTokenError as error:   # a dataset's molecules (a file's were checked above)
        error_console.print(escape(f"{error} (a model continued or fine-tuned keeps its vocabulary: leave out, or "
                                   "standardize, the molecules that use the token)"), style="red")
        raise typer.Exit(2) from None
    if fine_tuning:
        _measure_fine_tune(SmilesLM.load, out, data, preparation, training, valid, sampling={"temperature": 1.0})


def _measure_fine_tune(load, out: Path, data: str, preparation: dict | None, training: list[str], valid: list[str],
                       sampling: dict | None = None) -> None:
    """What a model fine-tuned on a file writes, in its card and said (:mod:`molgen.models.fine_tune_report`):
    ``load`` reads the best checkpoint ``out``; ``training`` and ``valid`` are the series as split. A dataset's run
    has its benchmark instead (and canonicalising a million molecules here would take minutes)."""
    if not preparation or not out.is_file():
        return
    from molgen.models.fine_tune_report import measure_fine_tune, report_line
    from molgen.models.training import training_of, write_card
    from molgen.runs.generate import data_molecules, training_molecules, validity_note

    from molgen.data.moses import sha256_of
    from molgen.models.training import read_card

    card = read_card(out)
    if (card.get("metrics") or {}).get("samples") and card.get("checkpoint_sha256") == sha256_of(out):
        # a resume whose evaluations did not beat the best: the card measured these very weights already
        console.print(escape(f"its card's measurement of {out.name} stands (the best checkpoint is unchanged): "
                             + report_line(card["metrics"])))
        return
    best = load(out)
    console.print(f"sampling {FINE_TUNE_SAMPLES:,} molecules of the fine-tuned model for its card"
                  + (" (graph diffusion: minutes on a CPU; Ctrl-C leaves the model whole)"
                     if best.family == "graph-diffusion" else ""))
    try:
        with _kill_as_ctrl_c():   # a kill too: it died without a word (a review)
            # a file's rows --where left out are the chemist's molecules too: not new (as a run's novelty counts them),
            # nor is a molecule of the data the model started from (MOSES): a run's novelty counts against it too
            known = data_molecules(data, preparation.get("smiles_column"))
            # the series and every parent's data (a parent with the series' very molecules, a file moved, adds none)
            record = training_of(best)
            before = training_molecules(record) if record.get("started_from") else frozenset()
            sampled_as = "as sampled, no correction" if best.family == "smiles-lm" else \
                validity_note({"model": best.family, "conditions": {}, "params": {"sample_options": {}}})
            metrics = measure_fine_tune(best, training, valid, n=FINE_TUNE_SAMPLES, known=known or frozenset(),
                                        learned_before=before, sampling=sampling, validity_note=sampled_as)
    except KeyboardInterrupt:   # the model is trained and checkpointed; only the card's measurement is missing
        console.print(escape(f"interrupted while sampling the fine-tuned model for its card: {out} is trained and "
                             f"whole; its card holds no measurement of its samples (molgen train {best.family} "
                             f"--resume {out.with_suffix('.last.pt')} measures it, once it has trained the rest of its "
                             "--max-steps when --max-minutes ended it first)"), style="yellow")
        if _KILLED:
            _KILLED.die()
        raise typer.Exit(130) from None
    write_card(best, out, metrics=metrics)
    console.print(escape(report_line(metrics)))


def _default_eval_every(max_steps: int) -> int:
    """A SMILES model's validation interval when none is given: a tenth of its schedule, at most 1,000 steps."""
    return max(1, min(1000, max_steps // 10))


def _data_name(data: str) -> str:
    """How a card names its training data: a file by its absolute path (found from any folder), a dataset by name."""
    return str(Path(data).resolve()) if Path(data).is_file() else data


def _resumed_data(ctx: typer.Context, data: str, resume: Path | None, record: dict | None = None,
                  say: bool = True) -> str:
    """The data a --resume trains on: ``--data`` when typed, else the data of the run it continues (a fine-tune
    resumed went back to MOSES, the default), which must still be found from here. ``record``: the run's training
    record, when loaded already (else read from ``resume``); ``say``: say which data it continues on."""
    if resume is None or _typed(ctx, "data"):
        return data
    if record is None:
        from molgen.models.base import CheckpointError, load_checkpoint

        try:
            record = load_checkpoint(resume).get("training") or {}
        except (CheckpointError, FileNotFoundError, IsADirectoryError):
            return data   # the loader says what is wrong with the file, where the model is loaded
    recorded = record.get("data")
    if not recorded or recorded == data:
        return data
    if recorded not in _registry_names() and not Path(recorded).is_file():
        error_console.print(escape(f"the run resumed trained on {recorded}, not found from here: put it back there to "
                                   "continue the run (--data naming another file fine-tunes the model, under a new "
                                   "--out)"), style="red")
        raise typer.Exit(2)
    if say:
        console.print(escape(f"continuing on {recorded}, the data of the run resumed"))
    return str(recorded)


def _registry_names() -> set[str]:
    from molgen.data.registry import REGISTRY

    return set(REGISTRY)


def _read_input(path, smiles_column: str | None = None):
    """A user's file of molecules as the reader gives it (:func:`molgen.data.files.read_molecules`); a missing,
    unreadable or malformed file is said, naming its line, and the command stops."""
    from molgen.data.files import FileFormatError, read_molecules

    try:
        if not Path(path).is_file():
            raise FileNotFoundError(f"{path}: not a file")
        return read_molecules(path, smiles_column=smiles_column)
    except (FileFormatError, FileNotFoundError, KeyError) as error:  # a folder or device: not a file
        error_console.print(escape(str(error)), style="red")
        raise typer.Exit(2) from None


def _training_file(path: str, smiles_column: str | None,
                   where: list[str] | None = None) -> tuple[list[str], str | None, list[str], dict | None]:
    """A user's file of molecules to train on: every record's SMILES (unreadable ones empty, so each keeps its row
    number), the column they were read from, each record's place ("line 4"), and, with ``where`` (``pIC50>=7``),
    only the rows meeting every condition, with what the selection left out for the card (None without)."""
    from dataclasses import replace

    from molgen.data.row_selection import RowCondition, RowConditionError, column_named, select_rows

    frame = _read_input(path, smiles_column)
    lines = [f"line {n}" for n in frame["line"]] if "line" in frame else [f"record {n}" for n in range(1, len(frame) + 1)]
    smiles = ["" if s is None else str(s) for s in frame["smiles"]]
    selection = None
    if where:
        try:
            conditions = [RowCondition.parse(text) for text in where]   # named as the file names the column:
            conditions = [replace(c, column=column_named(frame, c.column)) for c in conditions]   # for the card
            keep, why = select_rows(frame, conditions)
        except RowConditionError as error:
            error_console.print(f"--where: {escape(str(error))}", style="red")
            raise typer.Exit(2) from None
        left_out = [{"where": lines[i], "why": why[i]} for i in range(len(frame)) if not keep[i]]
        selection = {"where": [str(c) for c in conditions], "rows_selected": sum(keep), "not_selected": left_out}
        for note in _selection_notes(selection, len(frame)):
            console.print(f"[yellow]{escape(note)}[/yellow]" if not sum(keep) else escape(note))
        if split := _compounds_split(smiles, keep, lines, why):
            selection["compounds_split"] = split
            shown = "; ".join(f"{', '.join(s['kept'])} kept, {', '.join(s['left_out'])} not" for s in split[:3])
            more = f", and {len(split) - 3:,} more" if len(split) > 3 else ""
            console.print(f"[yellow]{len(split):,} compound{'s are' if len(split) != 1 else ' is'} kept by one row and "
                          f"left out by another (measurements either side of --where): {escape(shown)}{more}. The "
                          "kept rows are learned; `molgen augment replicates FILE` merges each compound's "
                          "measurements first[/yellow]")
        if not sum(keep):
            error_console.print("--where keeps no row: nothing to train on", style="red")
            raise typer.Exit(2)
        smiles = [s for s, k in zip(smiles, keep) if k]
        lines = [line for line, k in zip(lines, keep) if k]
    _say_reading_notes(frame, columns=False)   # the SMILES (a selecting column's unreadable cells are said above)
    return smiles, frame.attrs.get("smiles_column"), lines, selection


def _compounds_split(smiles: list[str], keep: list[bool], lines: list[str], why: list[str]) -> list[dict]:
    """The compounds (a salt as its parent) that --where keeps by one row and leaves out by another measured
    outside the condition: replicates either side of it (a review: pIC50 6.1 on one line, 7.9 on the next, learned
    as potent without a word). A row left out unmeasured, unreadable or undecided (>6 against >= 7) is no such
    measurement. Each as its rows' places, kept and left out."""
    from molgen.augment.replicates import compound_key
    from molgen.chem.rdkit_log import quiet_rdkit

    with quiet_rdkit():
        keys = [compound_key(text) if text else None for text in smiles]
    rows: dict[str, dict[str, list[str]]] = {}
    for key, kept, line, reason in zip(keys, keep, lines, why):
        if key is not None and (kept or _selection_kind(reason) == "outside the range"):
            rows.setdefault(key, {"kept": [], "left_out": []})["kept" if kept else "left_out"].append(line)
    return [places for places in rows.values() if places["kept"] and places["left_out"]]


def _selection_kind(why: str) -> str:
    """Why --where left a row out, as a kind: not measured, not read as a number, qualified and undecided, or
    outside the range (measured, and failing the condition)."""
    return ("not measured" if why.endswith("not measured") else "not read as a number" if "(not read" in why else
            "qualified, undecided" if "may or may not" in why else "outside the range")


def _selection_notes(selection: dict, rows: int, shown: int = 6) -> list[str]:
    """What --where kept, and the rows it left out grouped by why (below the threshold, undecided, not measured, a
    cell that is no number)."""
    kinds: dict[str, list[str]] = {}
    for row in selection["not_selected"]:
        kind = _selection_kind(row["why"])
        kinds.setdefault(kind, []).append(f"{row['where']} ({row['why']})" if kind != "not measured" else row["where"])
    said = [f"--where {' and '.join(selection['where'])} keeps {selection['rows_selected']:,} of {rows:,} rows"]
    for kind, rows_of_kind in kinds.items():
        more = f", and {len(rows_of_kind) - shown:,} more" if len(rows_of_kind) > shown else ""
        said.append(f"{len(rows_of_kind):,} left out, {kind}: {'; '.join(rows_of_kind[:shown])}{more}")
    return said


@app.command("generate")
def generate_command(
    ctx: typer.Context,
    model: str = typer.Option("smiles-lm", help="A generator family (its shipped checkpoint), a shipped checkpoint's name "
                                                "(smiles-lm-transformer) or a checkpoint path; molgen models lists them."),
    n: int = typer.Option(1000, "-n", help="Valid, unique molecules meeting every condition and passing the profile's "
                          "hard filters to collect (those failing one are kept, ranked last)."),
    condition: Optional[list[str]] = typer.Option(None, "--condition", help="e.g. 'qed>=0.7', 'mw<=450', '2<=logp<=4', 'qed=0.8' (repeatable)."),
    scaffold: Optional[str] = typer.Option(None, help="A substructure every molecule keeps (SMILES or SMARTS). A * "
                                           "bonded to one atom is an attachment point, in SMARTS too: an R-group core, "
                                           "a group there and none elsewhere on it ([!#1] asks for any atom instead)."),
    avoid: Optional[list[str]] = typer.Option(None, help="A substructure no molecule may contain (repeatable)."),
    similar_to: Optional[str] = typer.Option(None, help="SMILES:THRESHOLD, a reference to stay near (Morgan Tanimoto); "
                                             "a SMILES alone keeps every molecule and reports its similarity "
                                             "(column similarity_to_reference)."),
    profile: str = typer.Option("drug-like", help="Scoring profile: a shipped name, a TOML file, or a run's export "
                                "manifest (.manifest.json) to reuse its profile."),
    seed: int = typer.Option(1, min=0, help="The run's seed: the same seed and settings sample the same molecules."),
    name: Optional[str] = typer.Option(None, help="A name for the run (default: its id)."),
    max_samples: Optional[int] = typer.Option(None, help="Sampling budget (default 20 x n); with --resume, a new budget."),
    chunk_size: Optional[int] = typer.Option(None, help="Molecules per stored chunk (the unit of resuming); default: n, "
                                             "within 100 to 1,000, as in the web app (the molecules depend on it)."),
    temperature: Optional[float] = typer.Option(None, help="Sampling temperature (SMILES models; graph VAE with --decoding "
                                                "sampled or most-likely)."),
    decoding: Optional[str] = typer.Option(None, help="Graph VAE: 'most-likely' (default: the decoder's most likely of "
                                           "--candidates decodings), 'greedy' (about 4x faster) or 'sampled', for each "
                                           "prior latent."),
    candidates: Optional[int] = typer.Option(None, help="Graph VAE with --decoding most-likely: decodings per latent "
                                             "(greedy plus draws; default 5)."),
    top_k: Optional[int] = typer.Option(None, help="Top-k sampling (SMILES models)."),
    top_p: Optional[float] = typer.Option(None, help="Nucleus sampling (SMILES models)."),
    bf16: Optional[bool] = typer.Option(None, "--bf16/--no-bf16", help="Run the network in bfloat16 (SMILES models; faster on AVX512-BF16 CPUs)."),
    steps: Optional[int] = typer.Option(None, help="Denoising steps (graph diffusion; default: the checkpoint's)."),
    guidance: Optional[float] = typer.Option(None, help="Classifier-free guidance scale towards --condition targets "
                                             "(graph diffusion; default 0, the conditional network alone, which was "
                                             "closest for logP and QED targets: 1 overshot logP 4 to 4.7, and pulled an "
                                             "MW target furthest, at some validity; benchmarks/RESULTS.md)."),
    num_atoms: Optional[str] = typer.Option(None, "--num-atoms", help="Graph diffusion: heavy atoms of each sampled "
                                            "graph, 12, or a range drawn from evenly, 10-14 (default: as in the "
                                            "training set; the molecule kept is the graph's largest fragment, so it "
                                            "may hold fewer)."),
    sampler: Optional[str] = typer.Option(None, help="Graph diffusion: 'flow' (the discrete flow-matching chain of DeFoG; "
                                          "the default from 50 steps up, and with any --scaffold) or 'ancestral' "
                                          "(the DiGress posterior; the default below 50 steps without a scaffold)."),
    target_guidance: Optional[float] = typer.Option(None, help="Graph diffusion, flow sampler: the push towards the "
                                                    "predicted clean graph (default 1.5)."),
    stochasticity: Optional[float] = typer.Option(None, help="Graph diffusion, flow sampler: how readily a node or bond "
                                                  "leaves the type it holds (DeFoG's eta; default 20, 0 = never)."),
    step_spacing: Optional[float] = typer.Option(None, help="Graph diffusion: how the steps spread over the noise levels, "
                                                 "step k of n ending at T (1 - k/n)^spacing; 1 = evenly (DiGress), "
                                                 "above 1 crowded towards the clean end (default 2)."),
    projection: Optional[bool] = typer.Option(None, "--projection/--no-projection", help="Graph diffusion: project the sampled graphs "
                                              "onto valence and the training set's largest ring as the chain ends (a "
                                              "correction: validity is then no longer the uncorrected number)."),
    resume: Optional[str] = typer.Option(None, "--resume", help="Continue an interrupted run (id or name)."),
    like: Optional[str] = typer.Option(None, "--like", help="Start from a run's settings (id or name in the store, or "
                                       "its export's .manifest.json, from any store or machine): its model, "
                                       "n, seed, conditions, profile, budget and sampling options; each flag given "
                                       "replaces one (any condition flag replaces all its conditions)."),
    jobs: int = typer.Option(1, "--jobs", "--n-jobs", min=1, help="Scoring processes."),
    threads: Optional[int] = typer.Option(None, min=1, help="torch threads for sampling (default: all cores); the "
                                          "molecules do not depend on it. On a machine busy with other work, 1 can be "
                                          "several times faster (threads wait on each other for the cores)."),
) -> None:
    """Generate, deduplicate, condition, score and rank molecules; the run lands in the run store.

    Exit status 1 when the run ranks no molecule, fails, or is being sampled by another process; 2 for a refused
    option; 130 after Ctrl-C and 143 after a kill (SIGTERM), the run resumable."""
    from molgen.runs import ConditionError, RunBusy, RunNotFound, RunStore, build_conditions
    from molgen.runs import generate as run_generate
    from molgen.runs import resume as run_resume
    from molgen.runs.generate import LARGE_RUN, SampleOptionError, without_shortfall_warning

    # a shortfall is said below with what continues the run, not again as a Python warning
    run_generate, run_resume = without_shortfall_warning(run_generate), without_shortfall_warning(run_resume)

    import signal

    _use_threads(threads)   # a machine shared with other work, or several runs side by side
    if resume:
        # a resumed run samples as it started; an option given now would be silently ignored, so refuse it
        given = [name for name in ctx.params if name not in ("resume", "max_samples", "jobs", "threads")
                 and _typed(ctx, name)]
        if given:
            error_console.print(f"--resume continues run {escape(resume)} with the settings it started with; "
                                f"{', '.join(map(_flag, given))} cannot "
                                "change it (only --max-samples, --jobs and --threads can). Start a new run for new "
                                "settings.", style="red")
            raise typer.Exit(2)
    # a kill (SIGTERM) stops the run as Ctrl-C does: marked interrupted, what is stored ranked, resumable
    terminated = _Termination()
    said_before: list[str | None] = []   # what the run's start said the filter alone meets (not said again)
    previous_handler = signal.signal(signal.SIGTERM, terminated.handle)
    store = RunStore()
    started = time.time()
    try:
        if resume:
            if spent := _budget_spent(store, resume, max_samples):
                # it samples nothing (its budget is spent): said first, not left to a reprinted summary (a review)
                console.print(f"run {escape(spent[0])} has sampled its whole budget ({spent[1]:,} molecules): it ranks "
                              "what it stored and samples nothing more (a larger --max-samples samples on)")
            run = run_resume(resume, store=store, max_samples=max_samples, n_jobs=jobs if _typed(ctx, "jobs") else None,
                             on_chunk=terminated.check)
        else:
            conditions = build_conditions(condition, scaffold=scaffold, avoid=avoid, similar_to=similar_to)
            flags = {"temperature": temperature, "decoding": decoding, "candidates": candidates, "top_k": top_k,
                     "top_p": top_p, "bf16": bf16, "steps": steps, "guidance": guidance, "sampler": sampler,
                     "target_guidance": target_guidance, "stochasticity": stochasticity, "step_spacing": step_spacing,
                     "projection": projection, "num_atoms": _atom_count(num_atoms)}
            options = {k: v for k, v in flags.items() if v is not None}
            settings = {"model": model, "n": n, "conditions": conditions, "profile": profile, "seed": seed,
                        "max_samples": max_samples, "chunk_size": chunk_size, "sample_options": options}
            if like:
                settings = _settings_like(ctx, like, store, settings)
            _say_last_weights(settings["model"])
            if settings["n"] > LARGE_RUN:   # a typo's extra zeros start hours of sampling: said, not refused
                console.print(f"[yellow]n {settings['n']:,} is a large run (the workbench's form stops at "
                              f"{LARGE_RUN:,}): the progress bar says how long it will take; Ctrl-C stops it, and "
                              "--resume continues it[/yellow]")
            while True:   # each refused setting the run carried is left out in turn (greedy drops two of them)
                try:
                    run = run_generate(**settings, name=name, store=store, n_jobs=jobs, on_chunk=terminated.check,
                                       on_start=lambda run_id: said_before.append(_say_before_sampling(store, run_id)))
                    break
                except ValueError as error:
                    carried = _carried_options_refused(ctx, settings, error) if like else []
                    if not carried or hasattr(error, "molgen_run_id"):
                        raise
                    # a setting of the run that what was typed now makes inapplicable (its temperature under
                    # --decoding greedy, its guidance once the conditions hold no target) is left out, and said
                    left_out = ", ".join(f"{_flag(key)} {settings['sample_options'][key]}" for key in carried)
                    console.print(escape(f"left out the run's {left_out}: {_as_flags(str(error), GENERATE_OPTIONS)}"))
                    for key in carried:
                        settings["sample_options"].pop(key)
    except SampleOptionError as error:   # named as flags: the API's own option names are not all on the command line
        takes = [_flag(name) for name in error.accepted if name in flags]
        error_console.print(f"a {error.family} model takes no {', '.join(map(_flag, error.foreign))}; "
                            + (f"its sampling flags are {', '.join(takes)}" if takes else "it takes no sampling flag"), style="red")
        raise typer.Exit(2) from None
    except Exception as error:
        try:
            failed = store.run(error.molgen_run_id) if hasattr(error, "molgen_run_id") else None
        except RunNotFound:   # deleted by another process meanwhile: the error itself is what to say
            failed = None
        if failed is None:   # refused before the run sampled: the input was wrong
            if not isinstance(error, (ConditionError, RunNotFound, RunBusy, FileNotFoundError, ValueError, KeyError)):
                raise
            error_console.print(escape(_as_flags(str(error), GENERATE_OPTIONS)), style="red")
            raise typer.Exit(1 if isinstance(error, RunBusy) else 2) from None
        error_console.print(f"run {failed['id']} ({escape(failed['name'])}) {escape(failed['message'])} "
                            f"(molgen runs show {failed['id']})", style="red")
        raise typer.Exit(1) from None
    except KeyboardInterrupt as stop:
        _say_interrupted(store, getattr(stop, "molgen_run_id", None) or resume, started)
        if terminated:
            terminated.die()
        raise typer.Exit(130) from None
    finally:
        signal.signal(signal.SIGTERM, previous_handler)
    record = run.record
    counts = record["counts"]
    _say_run(record, counts, run.candidates, said_before)
    _say_best(run.candidates(limit=5))
    from molgen.runs.store import ranked_count

    if not ranked_count(counts) and record["status"] in ("complete", "budget_exhausted"):
        # exit 1, so that `molgen generate ... && molgen export ...` stops here (a review's script exported an empty
        # file, and was told nothing by the exit status)
        kept = counts.get("unique", 0)   # named by its id: a name may need quoting, or begin with a dash
        console.print("[yellow]" + escape("the run ranked no molecule (exit status 1)" + (
            f": `molgen export {record['id']} --include-unranked -o FILE` writes the {kept:,} it "
            "kept, unranked" if kept else ": there is nothing to export")) + "[/yellow]")
        raise typer.Exit(1)


def _say_run(record: dict, counts: dict, candidates, said_before: frozenset | set = frozenset()) -> None:
    """A run's outcome as ``molgen generate`` ends it and ``molgen runs show`` opens it: its message, its counts, its
    notes, how each condition was met (natively or by the filter alone). ``said_before``: notes a resume said."""
    from molgen.runs.conditions import ConditionFilter, conditions_from_dict
    from molgen.runs.generate import filter_alone_note, validity_note
    from molgen.runs.notes import run_notes

    console.print(f"run [bold]{record['id']}[/bold] ({escape(record['name'])}): {record['status']}. "
                  f"{escape(record['message'])}")
    if counts.get("sampled"):
        console.print(f"sampled {counts['sampled']:,}, valid {counts['valid']:,} ({counts['validity']:.1%}, "
                      f"{validity_note(record, counts)}), duplicates removed {counts['duplicates']:,}, "
                      f"unique {counts['unique']:,}, "
                      f"novel {format(counts['novel'], ',') if counts['novel'] is not None else 'unknown'}, "
                      f"meeting conditions {counts['accepted']:,}"
                      + (f" ({failing:,} failing the profile's hard filters, ranked last)"
                         if (failing := counts.get("failing_hard_filters")) else ""))
    if counts.get("note"):   # a run still sampling: counted from what it has stored so far
        console.print(f"  ({escape(counts['note'])})")
    for note in run_notes(record, candidates):
        console.print(f"  [yellow]{escape(note)}[/yellow]")
    for what, how in record["native"].items():
        console.print(f"  {what}: steered natively by {escape(how)}")
    if (alone := filter_alone_note(record)) and alone not in said_before:
        console.print(f"  {escape(alone)}")
    if any([record["conditions"].get(k) for k in ("targets", "ranges", "scaffold", "avoid", "similar_to")]):
        windows = ConditionFilter(conditions_from_dict(record["conditions"])).describe()
        console.print("  the filter keeps only molecules meeting every condition: " + escape("; ".join(windows)))


def _say_last_weights(model: str) -> None:
    """That a training's RUN.last.pt (its last step's weights, kept to resume it) is not the checkpoint training kept,
    RUN.pt beside it (a review sampled step 40 of a fine-tune whose step 4 was best, without a word)."""
    import json

    if not str(model).endswith(".last.pt"):
        return
    last = Path(model).expanduser()
    best = last.with_name(last.name.removesuffix(".last.pt") + ".pt")
    if not best.is_file():
        return
    try:
        steps = json.loads(best.with_suffix(".json").read_text())["training"]["steps"]
    except (OSError, KeyError, TypeError, ValueError):
        steps = None
    console.print(escape(f"{last.name} holds the last step's weights, kept to resume the training; the checkpoint it "
                         f"kept{f' (step {steps:,})' if isinstance(steps, int) else ''} is {best}"), style="yellow")


def _say_before_sampling(store, run_id: str) -> str | None:
    """Before sampling starts, as the Generate page says them: a property window few training molecules reach,
    read against what the model steers for these conditions, and the conditions it leaves to the filter (a
    scaffold the LSTM cannot build on keeps few molecules of a budget spent by the time the run would say so).
    Returns the latter, said."""
    from molgen.runs import filter_alone_note
    from molgen.runs.conditions import FEW_TRAINING_MOLECULES, ConditionFilter, conditions_from_dict, training_share

    record = store.run(run_id)
    steered = [what.split(" ", 1)[1] for what in record["native"] if what.startswith(("target ", "range "))]
    share = training_share(ConditionFilter(conditions_from_dict(record["conditions"])).windows(), steered,
                           say_windows=True)   # said first, before any condition: "inside it" named nothing
    if share is not None and share[0] < FEW_TRAINING_MOLECULES:
        console.print(f"[yellow]{escape(share[1])}[/yellow]")
    guidance = record["params"]["sample_options"].get("guidance") or 0
    if record["model"] == "graph-diffusion" and guidance > 1:   # the Generate page's slider says it in its help
        console.print(f"[yellow]--guidance {guidance:g} is above 1: at 1 the shipped model already overshot logP "
                      "(4.74 for a target of 4); at 2 no MW, logP or QED target came closer than at 0 or 1, and 12 to "
                      "55 fewer of 200 samples were valid than at 0 (benchmarks/RESULTS.md, atom counts near a "
                      "property target). 0 steers by the conditional network alone[/yellow]")
    if record["model"] == "graph-vae" and not _carries_latent_prior(record["checkpoint"]):   # training says so; here too
        console.print(escape(f"{record['checkpoint']} samples its latents from N(0, I): it carries no aggregate "
                             "posterior (`molgen train ship CHECKPOINT OUT.pt --latent-prior DATA` adds one; the shipped "
                             "model decoding greedily: FCD/Test 2.93 from N(0, I), 1.61 from its posterior)"), style="yellow")
    if alone := filter_alone_note(record):
        console.print(f"[yellow]{escape(alone)}[/yellow]")
    return alone


def _carries_latent_prior(checkpoint: str) -> bool:
    """Whether a graph VAE checkpoint samples from an aggregate posterior (an unreadable one is said elsewhere)."""
    from molgen.models.base import load_checkpoint

    try:
        return bool((load_checkpoint(checkpoint).get("config") or {}).get("latent_prior_rows"))
    except Exception:  # noqa: BLE001 -- the run itself reports a checkpoint it cannot load
        return True


def _pinned_default(family: str, options: dict) -> dict:
    """What a run of ``family`` pins when none of its sampling options is chosen (a SMILES model's strategy,
    temperature, top-k and top-p; a graph VAE's decoding with its temperature and candidates): its options that
    differ are the ones a chemist chose. Graph diffusion's follow its step count and scaffold: {} (all said)."""
    if family == "smiles-lm":
        from molgen.models.smiles_lm.sample import SAMPLING_DEFAULTS

        return SAMPLING_DEFAULTS
    if family == "graph-vae":
        from molgen.models.graph_vae.sample import DECODING_DEFAULTS, DEFAULT_DECODING

        return {"decoding": DEFAULT_DECODING, **DECODING_DEFAULTS[DEFAULT_DECODING]}
    return {}


def _settings_like(ctx: typer.Context, like: str, store, given: dict) -> dict:
    """generate's settings from run ``like``, with each flag typed on the command line in place of the run's
    own; printed, with what changed, before sampling starts."""
    from molgen.runs.conditions import ConditionFilter
    from molgen.models.graph_diffusion.model import FLOW_DEFAULTS
    from molgen.runs.generate import DEFAULT_BUDGET_FACTOR, resolve_checkpoint
    from molgen.runs.settings import checkpoint_changed, run_record, run_settings
    from molgen.scoring.profiles import differs_from_shipped

    record = run_record(like, store=store)
    if not _typed(ctx, "model") and not Path(record["checkpoint"]).is_file():
        error_console.print(escape(f"run {record['id']} ({record['name']}): its checkpoint {record['checkpoint']} is gone; "
                                   "give --model to repeat its other settings with another"), style="red")
        raise typer.Exit(2)
    settings = run_settings(like, store=store, model=given["model"] if _typed(ctx, "model") else None,
                            profile=given["profile"] if _typed(ctx, "profile") else None)
    changed, notes = [], []
    if not _typed(ctx, "profile") and differs_from_shipped(record["profile"]):
        name = record["profile"]["name"]
        notes.append(f"its profile, named {name}, is not the {name} this molgen ships (an older molgen's, or one "
                     f"edited under its name): the run's is used, recorded as {settings['profile'].name!r}; "
                     f"--profile {name} takes the shipped one")
    if _typed(ctx, "model"):
        family, _ = resolve_checkpoint(given["model"])
        changed.append(f"model {given['model']}")
        if family != record["model"] and settings["sample_options"]:
            # another family's options would be refused: the run's stay with its model (said where it set any
            # other than the defaults a SMILES run pins)
            if any(_pinned_default(record["model"], settings["sample_options"]).get(key, object()) != value
                   for key, value in settings["sample_options"].items()):
                notes.append(f"its {record['model']} sampling options are left out")
            settings["sample_options"] = {}
    elif checkpoint_changed(record):
        notes.append(f"its checkpoint {settings['model']} has changed since (sha256 differs): the molecules will "
                     "not repeat the run's")
    if any(_typed(ctx, flag) for flag in ("condition", "scaffold", "avoid", "similar_to")):
        settings["conditions"] = given["conditions"]
        changed.append("conditions")
    carried_conditions = settings["conditions"]   # the run's, or those typed now
    if "similar_to" in (record.get("native") or {}) and not (record["conditions"] or {}).get("min_similarity") \
            and carried_conditions.similar_to and carried_conditions.min_similarity <= 0:
        # a graph VAE run from before a reference alone stopped being steered towards (molgen.runs.generate.to_steer)
        notes.append("it decoded around its reference, given without a threshold; a new run takes a reference alone "
                     "as a similarity column and samples the prior: the molecules will not repeat the run's (give "
                     "--similar-to SMILES:THRESHOLD to steer)")
    for key in ("n", "profile", "seed", "max_samples", "chunk_size"):
        if _typed(ctx, key):
            settings[key] = given[key]
            changed.append(f"{_flag(key)} {given[key]}")
    other_n = _typed(ctx, "n") and given["n"] != record["n_requested"]
    other_chunks = _typed(ctx, "chunk_size") and given["chunk_size"] != record["params"]["chunk_size"]
    if "chunk_plan" in settings and (other_n or other_chunks):
        # its first chunks' sizes were the run's for its own n and chunk size (run_settings)
        del settings["chunk_plan"]
        notes.append("the sizes its first chunks had after its budget changed on a resume are dropped: chunks are "
                     f"sized afresh for the new {'n' if other_n else 'chunk size'}")
    if _typed(ctx, "n") and given["n"] != record["n_requested"] and not _typed(ctx, "max_samples"):
        settings["max_samples"] = None   # the run's budget was sized for its own n: 20 x the new one
        notes.append(f"the budget is {DEFAULT_BUDGET_FACTOR} x the new n ({DEFAULT_BUDGET_FACTOR * given['n']:,} "
                     "samples), not the run's "
                     f"{record['params']['max_samples']:,}")
    options = {key: value for key, value in given["sample_options"].items() if _typed(ctx, key)}
    if options.get("sampler", settings["sample_options"].get("sampler")) != settings["sample_options"].get("sampler"):
        # the run's pinned flow options (0 under the ancestral sampler) belong to its sampler, not to the new one
        for key in FLOW_DEFAULTS:
            settings["sample_options"].pop(key, None)
    carried = settings["sample_options"]
    if options.get("decoding", carried.get("decoding")) != carried.get("decoding"):
        # the graph VAE's run pinned its decoding's defaults (most-likely's temperature 0.7 is not what --decoding
        # sampled takes, a review): those are left for the new decoding's own, pinned when the run starts; a value
        # the run was given stays, and is said if the new decoding cannot take it
        from molgen.models.graph_vae.sample import DECODING_DEFAULTS

        pinned = {key: carried.pop(key) for key, default in DECODING_DEFAULTS.get(carried.get("decoding"), {}).items()
                  if carried.get(key) == default and key not in options}
        if pinned:   # a value typed in the run equal to its default cannot be told from the default: said
            notes.append(f"its {' and '.join(f'{key} {value:g}' for key, value in pinned.items())}, "
                         f"{carried['decoding']}'s default{'s' * (len(pinned) > 1)}, left for "
                         f"{options['decoding']}'s own")
    settings["sample_options"] = {**settings["sample_options"], **options}
    if note := _default_sampler_again(record, settings, options):
        notes.append(note)
    changed += [_flag(key) if value is True else f"--no-{_flag(key)[2:]}" if value is False else f"{_flag(key)} {value}"
                for key, value in options.items()]   # switches as typed: --bf16, --no-projection
    windows = "; ".join(ConditionFilter(settings["conditions"]).describe()) or "none"
    console.print(f"settings of run {record['id']} ({escape(record['name'])})"
                  + (f", changed: {escape(', '.join(changed))}" if changed else ", unchanged")
                  + f": {escape(str(settings['model']))}, n {settings['n']:,}, seed {settings['seed']}, conditions "
                    f"{escape(windows)}, profile {escape(str(getattr(settings['profile'], 'name', settings['profile'])))}"
                  + "".join(f"; {escape(note)}" for note in notes))
    return settings


#: When graph diffusion's default at attachment points became the flow chain (each mark then took one new atom):
#: runs stored before it with a marked scaffold and the ancestral sampler had it as their default.
ANCESTRAL_AT_MARKS_UNTIL = 1796474909.0   # 2026-12-05 12:48:29 UTC


def _default_sampler_again(record: dict, settings: dict, typed: dict) -> str | None:
    """Graph diffusion's default sampler follows the step count and the scaffold (``sampler_options``): a run
    repeated with other steps or another scaffold and no sampler typed takes their default where the run's sampler
    was its own default (a sampler the run was given by name stays). Returns the note that says so, or None."""
    from molgen.models.graph_diffusion.model import FLOW_DEFAULTS, sampler_options

    options = settings["sample_options"]
    carried = options.get("sampler")
    before = (record["params"]["sample_options"].get("steps"), (record["conditions"] or {}).get("scaffold"))
    after = (options.get("steps"), settings["conditions"].scaffold)
    if carried is None or before == after or {"sampler", *FLOW_DEFAULTS} & set(typed):
        return None
    # the run's own default then: today's, or for a run stored with attachment points before the default became the
    # chain there, the ancestral sampler (a review: such a run repeated around a whole scaffold kept it); a run since
    # that names it keeps it
    earlier = carried == "ancestral" and before[1] is not None and "*" in before[1] and \
        record.get("created", 0) < ANCESTRAL_AT_MARKS_UNTIL
    if sampler_options(steps=before[0], scaffold=before[1])["sampler"] != carried and not earlier:
        return None   # chosen by name when the run started
    default = sampler_options(steps=after[0], scaffold=after[1])["sampler"]
    if default == carried:
        return None
    for key in ("sampler", *FLOW_DEFAULTS):   # the new sampler's own defaults are pinned when the run starts
        options.pop(key, None)
    changed = " and ".join(what for what, old, new in zip(("steps", "scaffold"), before, after) if old != new)
    return f"sampler {default}, the default for the new {changed} (the run's {carried} was the default for its own)"


#: generate's options whose API names differ from their flags, for errors the API raises (molgen.runs.generate,
#: the samplers); one-word names (steps, temperature) read the same either way and are common words in messages
GENERATE_OPTIONS = ("chunk_size", "max_samples", "top_k", "top_p", "target_guidance", "step_spacing", "num_atoms")


def _carried_options_refused(ctx: typer.Context, settings: dict, error: Exception) -> list[str]:
    """The sampling options --like carried from its run (not typed now) that a refusal names."""
    import re

    return [key for key in settings["sample_options"]
            if not _typed(ctx, key) and re.search(rf"(?<![\w-]){key}(?![\w-])", str(error))]


def _as_flags(message: str, names) -> str:
    """An API error read on the command line: each option named as its flag ("top_p must lie in (0, 1]" ->
    "--top-p must lie in (0, 1]")."""
    import re

    for name in names:   # whole words only
        message = re.sub(rf"(?<![\w-]){name}(?![\w-])", _flag(name), message)
    return message


def _flag(name: str) -> str:
    """A parameter's command-line spelling: ``top_k`` -> ``--top-k``, ``n`` -> ``-n``."""
    return "-n" if name == "n" else "--" + name.replace("_", "-")


def _typed(ctx: typer.Context, name: str) -> bool:
    """Whether option ``name`` was given on the command line (not left at its default)."""
    return getattr(ctx.get_parameter_source(name), "name", "") == "COMMANDLINE"   # by name: typer vendors click


class _Termination:
    """SIGTERM, taken as Ctrl-C: a KeyboardInterrupt at once, and again at the next chunk should the first be lost.

    An exception raised from a signal handler lands wherever the interpreter happens to be. Inside an
    object's finalizer (tqdm's ``__del__``) Python prints and drops it, and the run went on to the end.
    About 1 run in 30 also died of SIGINT after it had been stored and reported (exit 130 expected):
    CPython, on leaving, dies of SIGINT when it noted a KeyboardInterrupt as unhandled, and code run
    for a C extension (``PyRun_String``) notes one passing through, which is the likely path. So the
    flag is checked between chunks too, and a terminated run ends by dying of SIGTERM itself (exit
    status 143 in a shell) once its record is written, as a parent expects of a killed child."""

    def __init__(self) -> None:
        self.received = False

    def __bool__(self) -> bool:
        return self.received

    def handle(self, signum, frame) -> None:
        if self.received:   # a second SIGTERM: no more waiting for the record to be written
            self.die()
        self.received = True
        raise KeyboardInterrupt

    def check(self, accepted: int, n: int, sampled: int) -> None:
        """``on_chunk``: a SIGTERM whose KeyboardInterrupt was swallowed stops the run here."""
        if self.received:
            raise KeyboardInterrupt

    @staticmethod
    def die() -> None:
        import os
        import signal

        sys.stdout.flush()
        sys.stderr.flush()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        # delivered at once, except to PID 1 (a container without an init), which ignores its own default-handled
        # SIGTERM: then exit with the status a shell gives a killed process
        time.sleep(1)
        os._exit(128 + signal.SIGTERM)


def _say_interrupted(store, run: str | None, started: float) -> None:
    """On stderr: which run stopped, what it holds, and the command that continues it."""
    from molgen.runs import RunNotFound

    # the run the interrupt names (or the one resumed); else one stopped before it could say: the newest
    # interrupted since this command started (another terminal's run may be newer, so only as a last resort)
    try:
        run_id = store.run(run)["id"] if run else store.newest("interrupted", started)
    except RunNotFound:
        run_id = None
    if run_id is None:
        error_console.print("interrupted before a run was stored", style="yellow")
        return
    from molgen.runs import counted_of

    stopped = store.run(run_id)
    counts = stopped["counts"] or {}
    # in the terms of the run's own message: the molecules counted towards n, and those kept but not counted
    failing = counts.get("failing_hard_filters", 0) if counted_of(stopped) < counts.get("accepted", 0) else 0
    error_console.print(
        f"run {stopped['id']} ({escape(stopped['name'])}) interrupted: {counted_of(stopped):,} of the "
        f"{stopped['n_requested']:,} molecules asked for {'is' if counted_of(stopped) == 1 else 'are'} stored and ranked"
        + (f" ({failing:,} more fail the profile's hard filters)" if failing else "")
        + f"; continue with molgen generate --resume {stopped['id']}", style="yellow")


runs_app = _typer(help="The run store: list, show, tag and delete generation runs, and list what a run sampled "
                  "that is no molecule (rejects). A run's molecules are written to a file by "
                  "`molgen export RUN`.")
app.add_typer(runs_app, name="runs")


#: Narrower terminals (and pipes, read at 80 columns) get `runs list` as a block per run instead of a table.
WIDE_TABLE = 120


@runs_app.command("list")
def runs_list(as_json: bool = typer.Option(False, "--json", help="One JSON record per run, for scripts.")) -> None:
    """Every stored run, newest first."""
    from molgen.models.base import shipped_checkpoints
    from molgen.runs import RunStore

    store = RunStore()
    frame = store.runs()
    if as_json:   # the fields and time of `runs show --json` (seconds since the epoch), unescaped paths
        import json

        shown = frame.drop(columns="created").rename(columns={"created_at": "created"}).assign(
            tags=[json_list(t) for t in frame["tags"]])
        records = shown.astype(object).where(shown.notna(), None).to_dict(orient="records")   # null, not NaN
        print(json.dumps(records, indent=1, default=lambda v: v.item() if hasattr(v, "item") else str(v)))
        return
    if frame.empty:   # said, not a blank: an empty output reads as a failure, or as the wrong store
        console.print(escape(f"no runs yet in {store.path} (molgen generate starts one)"))
        return
    # a shipped checkpoint by the name --model takes (smiles-lm-lstm or smiles-lm-transformer, not their family), a
    # checkpoint of the chemist's own (a fine-tune) beside its family: two smiles-lm runs may be two models
    shipped = {str(path.resolve()): name for name, path in shipped_checkpoints().items()}
    frame["model"] = [model if not checkpoint else shipped.get(checkpoint, f"{model}: {Path(checkpoint).name}")
                      for model, checkpoint in zip(frame["model"], frame["checkpoint"])]
    if console.width < WIDE_TABLE:   # ten columns squeezed to three characters each read as noise: a block per run
        for row in frame.itertuples():
            tags = ", ".join(json_list(row.tags))
            named = f"  {escape(row.name)}" if row.name != row.id else ""
            console.print(f"[bold]{row.id}[/bold]{named}  {row.status}  {escape(row.model)}  seed {row.seed}", soft_wrap=True)
            console.print(f"    created {row.created} UTC · asked {row.n_requested:,} · sampled {row.sampled:,} · ranked "
                          f"{row.ranked:,}" + (f" · tags: {escape(tags)}" if tags else ""), soft_wrap=True)
        return
    # the id is what other commands take: never cut; the other columns wrap rather than be cut to "na…"
    table = Table(Column("id", no_wrap=True, min_width=len(frame["id"].iloc[0]) if len(frame) else 2),
                  *(Column(name, overflow="fold") for name in ("name", "created (UTC)", "status", "model", "seed", "asked",
                                                               "sampled", "ranked", "tags")))
    for row in frame.itertuples():
        table.add_row(row.id, escape(row.name), row.created, row.status, escape(row.model), str(row.seed), f"{row.n_requested:,}",
                      f"{row.sampled:,}", f"{row.ranked:,}", escape(", ".join(json_list(row.tags))))
    console.print(table)


def json_list(text: str) -> list:
    import json

    return json.loads(text or "[]")


def _or_exit_if_missing(read):
    """What ``read`` reads from the run store, or, for a run that is not there, the reason and exit status 2."""
    from molgen.runs import RunNotFound

    try:
        return read()
    except RunNotFound as error:
        error_console.print(escape(str(error)), style="red")
        raise typer.Exit(2) from None


@runs_app.command("show")
def runs_show(run: str, top: int = typer.Option(10, help="Best candidates to print."),
              as_json: bool = typer.Option(False, "--json", help="The record and the best candidates as JSON, for scripts.")) -> None:
    """A run's provenance, counts and best candidates."""
    import json

    from molgen.runs import RunStore

    from molgen.scoring.profiles import stored_profile_label

    store = RunStore()
    record = _or_exit_if_missing(lambda: store.run(run))
    shown = {k: v for k, v in record.items() if k not in ("profile",)}
    shown["profile"] = stored_profile_label(record["profile"])   # an older molgen's drug-like said as such
    if not record["counts"]:   # still sampling (counts are written as a run ends): what it has stored so far
        shown["counts"] = {**store.tally(record["id"], record["n_requested"]),
                           "note": "counted from what the run has stored so far; its molecules are ranked as it ends"}
    frame = store.candidates(record["id"], ranked_only=True, limit=top)
    if as_json:
        best = json.loads(frame.drop(columns=["id", "run_id"]).to_json(orient="records"))
        print(json.dumps({**shown, "best": best}, indent=1, default=str))
        return
    _say_run(record, shown["counts"], lambda **options: store.candidates(record["id"], **options))
    for line in _run_settings_said(record, shown["profile"]):
        console.print(escape(line))
    _say_best(frame)
    rejects = store.rejects(record["id"])
    if len(rejects):
        kinds = rejects["reason"].str.split(":").str[0].value_counts()
        console.print(f"{len(rejects):,} sampled string{'s' * (len(rejects) != 1)} or graph{'s' * (len(rejects) != 1)} "
                      f"not a molecule ({', '.join(f'{kind} {count:,}' for kind, count in kinds.items())}): "
                      f"`molgen runs rejects {record['id']}` lists each with its reason")
    console.print(f"`molgen runs show {record['id']} --json`: the whole record (every setting, the versions), "
                  "for scripts", style="dim")


def _say_best(ranked) -> None:
    """A run's best candidates, a line each: a table's column folded each SMILES in a narrow terminal, and a SMILES
    cut in two is broken."""
    from pandas import notna

    for row in ranked.itertuples():
        console.print(f"  #{row.rank} {escape(row.smiles)}  score {row.score:.3f}  qed {row.qed:.2f}  sa {row.sa:.2f}  "
                      f"logp {row.logp:.2f}  mw {row.mw:.1f}  alerts {row.alerts}"
                      + "  in the training data" * bool(notna(row.novel) and not row.novel))


def _run_settings_said(record: dict, profile: str) -> list[str]:
    """A stored run's settings in a few lines for a person (``runs show`` printed 80 lines of JSON): the model and
    what it learned from, the seed and sampling options, the profile, when and how long, the tags."""
    params = record["params"]
    training = record.get("model_training") or {}
    learned = (f"; trained on {training['data']}" + (f", {training['steps']:,} steps" if training.get("steps") else "")
               if training.get("data") else "")
    options = ", ".join(f"{k} {v}" for k, v in (params.get("sample_options") or {}).items())
    day = lambda when: time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(when))   # as runs list prints it
    timings = record.get("timings") or {}
    took = (f"; took {timings['total']:,.1f} s over {timings.get('sessions', 1)} session"
            f"{'s' * (timings.get('sessions', 1) != 1)}" if timings.get("total") is not None else "")
    digest = f" (sha256 {record['checkpoint_sha256'][:12]})" if record.get("checkpoint_sha256") else ""
    budget = f"; a budget of {params['max_samples']:,} samples" if params.get("max_samples") else ""
    return [f"model: {record['model']}, {record['checkpoint']}{digest}{learned}",
            f"seed {record['seed']}; {record['n_requested']:,} asked for"
            + (f"; chunks of {params['chunk_size']:,}" if params.get("chunk_size") else "") + budget
            + (f"; {options}" if options else ""),
            f"profile: {profile}",
            f"created {day(record['created'])}, updated {day(record['updated'])}{took}",
            *([f"tags: {', '.join(record['tags'])}"] if record.get("tags") else [])]


@runs_app.command("rejects")
def runs_rejects(run: str, output: Optional[Path] = typer.Option(None, "-o", "--output",
                                                                   help="Write them all (.csv, .tsv, .parquet, or .sdf: there each an empty record holding its text)."),
                 top: int = typer.Option(20, help="How many to print (without -o).")) -> None:
    """What a run sampled that is not a molecule: each string or graph as sampled, with RDKit's reason."""
    from molgen.runs import RunStore

    if output is not None:   # a name it cannot write is refused before the store is read
        _check_output(output, beside=())
    store = RunStore()
    frame = _or_exit_if_missing(lambda: store.rejects(run))
    if output is not None:
        replaced = _already_there(output)
        # the run named in each row: a rejects file passed on can be traced to its run (a review)
        frame.insert(0, "run_id", store.run(run)["id"])
        _write_or_exit(frame.rename(columns={"text": "sampled"}), output, smiles_column="sampled")
        console.print(f"wrote {len(frame):,} rejects -> {output}")
        _say_replaced(replaced)
        return
    if not len(frame):
        running = store.run(run)["status"] == "running"
        console.print("no sample stored so far failed to be a molecule: the run is still sampling" if running else
                      "every sample of this run was a molecule")
        return
    table = Table("chunk", Column("sampled", overflow="fold"), Column("reason", overflow="fold"))
    for row in frame.head(top).itertuples():
        table.add_row(str(row.chunk), escape(row.text or "(nothing)"), escape(row.reason))
    console.print(table)
    if len(frame) > top:
        console.print(f"the first {top} of {len(frame):,}; -o FILE writes them all")


@runs_app.command("delete")
def runs_delete(run: str, yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask first.")) -> None:
    """Remove a run and its candidates from the store (asks first, unless --yes)."""
    from molgen.runs import RunBusy, RunNotFound, RunStore

    store = RunStore()
    try:
        record = store.run(run)
        if busy := store.busy(record["id"]):   # before asking, not after a yes
            raise RunBusy(busy)
        if not yes:
            rows = store.count(record["id"])
            typer.confirm(f"delete run {record['id']} ({record['name']}, {rows:,} candidates)?", abort=True)
        console.print(f"deleted run {store.delete_run(record['id'])}")
    except RunNotFound as error:
        error_console.print(escape(str(error)), style="red")
        raise typer.Exit(2) from None
    except RunBusy as error:
        error_console.print(escape(str(error)), style="red")
        raise typer.Exit(1) from None


@runs_app.command("tag")
def runs_tag(run: str, tags: list[str], remove: bool = typer.Option(False, help="Remove these tags instead.")) -> None:
    """Add (or remove) tags on a run."""
    from molgen.runs import RunNotFound, RunStore

    try:
        store = RunStore()
        before = store.run(run)["tags"] or []
        after = store.tag_run(run, tags, remove=remove)
    except (RunNotFound, ValueError) as error:
        error_console.print(escape(str(error)), style="red")
        raise typer.Exit(2) from None
    absent = [t.strip() for t in tags if t.strip() not in before] if remove else []
    if absent:
        console.print(escape(f"not tagged {', '.join(absent)}: nothing to remove"), style="yellow")
    console.print(f"tags: {escape(', '.join(after)) or '(none)'}")


@app.command("export")
def export_command(
    run: str = typer.Argument(..., help="Run id or name."),
    output: Path = typer.Option(..., "-o", "--output", help="File to write (.csv, .tsv, .sdf or .parquet; .csv.gz and "
                                                          ".tsv.gz compressed)."),
    format: Optional[str] = typer.Option(None, help="csv, tsv, sdf or parquet (default: from the file name; a name "
                                         "without a known ending gets .csv, .tsv, .sdf or .parquet added)."),
    top: Optional[int] = typer.Option(None, help="Keep the best N (1 or more)."),
    diverse: Optional[float] = typer.Option(None, help="No two kept molecules more similar than this (Tanimoto, 0 to "
                                            "1)."),
    where: Optional[str] = typer.Option(None, help="A filter over any column (names in any case), e.g. 'qed > 0.6 and alerts == 0'."),
    selected: bool = typer.Option(False, help="Only the candidates selected in the app."),
    tagged: Optional[str] = typer.Option(None, help="Only the candidates carrying this tag (given in the app's Browse "
                                         "page), ranked or not."),
    passing_only: bool = typer.Option(False, help="Leave out the molecules failing the profile's hard filters (score "
                                      "0, ranked last)."),
    include_unranked: bool = typer.Option(False, help="Also the molecules that missed a condition (no rank, last; "
                                          "each says which)."),
) -> None:
    """Export a run's ranked candidates with every score, plus FILE.manifest.json (provenance).

    Exit status 1 when no row is written (the file and its manifest still are), 2 for a refused option or run."""
    from molgen.runs import RunNotFound, RunStore
    from molgen.runs.export import ExportError, export_with_manifest, never_exported_said, picked_by_hand

    # said, not refused: exporting a run again over its last export is the common case (`-o results --format csv`
    # writes results.csv)
    written_as = output.with_name(f"{output.name}.{format}") if format else output
    existed = {p.resolve() for p in _already_there(output, written_as, *(p.with_name(f"{p.name}.manifest.json")
                                                                         for p in (output, written_as)))}
    try:
        store = RunStore()
        path, manifest = export_with_manifest(store, run, output, format=format, top=top, diverse=diverse, where=where,
                                              selected_only=selected, passing_only=passing_only,
                                              include_unranked=include_unranked, tagged=tagged)
    except (RunNotFound, ExportError) as error:
        error_console.print(escape(str(error)), style="red")
        raise typer.Exit(2) from None
    rows, record = manifest["export"]["rows"], manifest["run"]
    console.print(f"wrote {rows:,} candidate{'s' * (rows != 1)} to {path} (+ {path.name}.manifest.json)")
    # no export writes these: said, with where they are
    if never := never_exported_said(manifest["export"]["left_out"], f"molgen runs rejects {record['id']} says why",
                                    "--include-unranked adds them"):
        console.print(escape(f"not written: {'; '.join(never)}"))
    asked = record.get("n_requested")
    if top is None and not include_unranked and isinstance(asked, int) and rows > asked:   # -n 30: 35 rows (a review)
        console.print(escape(f"(more than the {asked:,} the run asked for: a run ranks every molecule of its last "
                             f"chunk; --top {asked:,} writes ranks 1 to {asked:,} only)"))
    _say_replaced([p for p in (path, path.with_name(f"{path.name}.manifest.json")) if p.resolve() in existed])
    if record["status"] == "failed":
        console.print(f"[yellow]run {escape(record['name'])} failed ({escape(record['message'])}): these are the "
                      "molecules it ranked before the error[/yellow]")
    elif record["status"] == "running":   # ranks are set when a run ends: a resume would be refused meanwhile
        stored = store.count(record["id"])
        console.print(f"[yellow]run {escape(record['name'])} is still sampling: its molecules are ranked, and can be "
                      "exported ranked, when it ends" + (" (those written now have no rank yet)" if rows else
                      f"; --include-unranked writes the {stored:,} stored so far, unranked" if stored and not
                      include_unranked else "") + "[/yellow]")
    elif record["status"] not in ("complete", "budget_exhausted"):
        console.print(f"[yellow]run {escape(record['name'])} is {record['status']}: these are the molecules ranked so far; "
                      f"continue it with molgen generate --resume {record['id']}[/yellow]")
    if not rows:
        chosen, hand = picked_by_hand(store, record["id"], selected, tagged)
        known = ", ".join(store.candidate_tags(record["id"])) if tagged is not None else ""
        why = (f"no candidate is {hand}" + (" (select them in the app's Browse page)" if selected else
                  f" (the run's molecules carry: {known})" if known else " (no molecule of this run carries a tag)")
               if (selected or tagged is not None) and not chosen else
               f"none of the {chosen:,} {hand} passes the filters" if selected or tagged is not None else
               "the filters kept none" if where or diverse is not None else
               "every ranked molecule fails the profile's hard filters" if passing_only and store.count(record["id"], ranked_only=True)
               else "the run is still sampling, and ranks its molecules when it ends" if record["status"] == "running"
               else "the run has no ranked candidates" + (
                   f" (--include-unranked writes the {stored:,} it stored, unranked)"
                   if not include_unranked and (stored := store.count(record["id"])) else ""))
        console.print(f"[yellow]the file is empty: {escape(why)} (written, with its header and manifest; exit status 1)"
                      "[/yellow]")
        raise typer.Exit(1)   # a script's next step is told (a review: exit 0 over an empty file)
    elif failing := manifest["export"]["failing_hard_filters"]:
        console.print(f"[yellow]{failing:,} of them {'fails' if failing == 1 else 'fail'} the profile's hard filters "
                      "(score 0, ranked last; "
                      f"--passing-only leaves them out)[/yellow]")


#: ``train graph-vae`` flags a --resume takes from the run it continues unless given: the card's train_config names.
GRAPH_VAE_RESUMED_FLAGS = {"batch_size": "batch_size", "lr": "lr", "max_steps": "max_steps", "eval_every": "eval_every",
                           "max_molecules": "max_molecules", "kl_warmup": "kl_warmup_steps", "free_bits": "free_bits",
                           "kl_weight": "kl_weight", "seed": "seed", "threads": "threads"}
GRAPH_VAE_SIZES = {"tiny": {"latent_dim": 16, "hidden_dim": 48, "encoder_layers": 2},
                   "small": {"latent_dim": 32, "hidden_dim": 128, "encoder_layers": 3},
                   "base": {"latent_dim": 64, "hidden_dim": 192, "encoder_layers": 4}}


@train_app.command("graph-vae")
def train_graph_vae(
    ctx: typer.Context,
    data: str = typer.Option("moses", help="Dataset name (its train split) or a file of SMILES."),
    size: str = typer.Option("base", help="tiny, small or base."),
    out: Path = typer.Option(Path("runs/graph-vae.pt"), help="Best checkpoint path (card, log, resume files beside it)."),
    replace: bool = typer.Option(False, "--replace", help=REPLACE_HELP),
    from_: Optional[str] = typer.Option(None, "--from", help="Fine-tune on --data FILE: 'pretrained' (the shipped "
                                        "graph-vae model) or a checkpoint path (give --out)."),
    resume: Optional[Path] = typer.Option(None, help="Continue a run from its .last.pt (its model, conditions and --out come from it); "
                                                "with --data naming other data, fine-tune the checkpoint as --from does (give --out)."),
    max_minutes: Optional[float] = typer.Option(None, help="Stop cleanly after this many minutes of training in all, "
                                                "counting the sessions a --resume continues."),
    max_steps: int = typer.Option(100_000, help="Length of the learning-rate schedule, and a hard stop (a fine-tune: "
                                  f"{FINE_TUNE_EPOCHS} passes over its series)."),
    max_molecules: Optional[int] = typer.Option(None, help="Train on a random subset of this many molecules (seeded)."),
    batch_size: int = typer.Option(128),
    lr: float = typer.Option(1e-3, help="Peak learning rate (a fine-tune: 3e-4); the cosine ends at the lower of 1e-4 "
                                        "and lr/3."),
    eval_every: int = typer.Option(1000, help="Validate and checkpoint every N steps (a fine-tune: a tenth of its run, "
                                   "at most 1,000)."),
    kl_warmup: int = typer.Option(5000, help="Steps over which the KL weight rises from 0 (a fine-tune: none, "
                                  "its parent's weight and free bits from the first step)."),
    free_bits: float = typer.Option(0.25, help="KL free bits per latent dimension (against posterior collapse)."),
    kl_weight: float = typer.Option(1.0, help="KL weight after the warm-up (beta); below 1 the latent carries more of the molecule."),
    properties: Optional[str] = typer.Option("qed,sa,logp", help="Property head targets (comma-separated; '' for none)."),
    focus_attention: bool = typer.Option(False, help="Decoder heads attend over the placed atoms; with --resume, adds it to a checkpoint without."),
    seed: int = typer.Option(0, min=0, help="Seeds the subset, the split, the initial weights and the batches."),
    threads: Optional[int] = typer.Option(None, min=1, help="torch threads (default: all cores)."),
    smiles_column: Optional[str] = typer.Option(None, help="A file's SMILES column, when not found by name."),
    where: Optional[list[str]] = typer.Option(None, help="A file's rows to learn, by a measured column: 'pIC50>=7' "
                                              "(repeatable: all must hold), as for smiles-lm."),
) -> None:
    """Train the graph VAE; resumable, with a model card beside the checkpoint."""
    import numpy as np
    import torch

    from molgen.models.graph_vae.config import PROPERTY_NAMES, TrainConfig
    from molgen.models.graph_vae.model import GraphVAE
    from molgen.models.graph_vae.train import build_model, train, with_focus_attention
    from molgen.models.training import is_fine_tune

    model, record, taken, fine_tune, grown, unmeasured = None, {}, {}, False, False, None
    resume = _graph_from(ctx, from_, resume, "graph-vae")
    if resume is not None:   # the run continued: its model, data and settings, unless a flag says otherwise
        _refuse_reshaping(ctx, resume, {"size": "--size", "properties": "--properties"},   # --focus-attention grows it
                          "--from" if from_ is not None else "--resume")
        model, record, data, taken, fine_tune = _resume_graph_run(ctx, GraphVAE.load, resume, data,
                                                                  GRAPH_VAE_RESUMED_FLAGS, from_)
        grown = focus_attention and not model.config.focus_attention
        if not grown:   # a network grown starts its schedule afresh
            unmeasured = _refuse_finished(resume, taken.get("max_steps", max_steps), record, fine_tune)
        batch_size, lr, max_steps = taken.get("batch_size", batch_size), taken.get("lr", lr), taken.get("max_steps", max_steps)
        eval_every, max_molecules = taken.get("eval_every", eval_every), taken.get("max_molecules", max_molecules)
        kl_warmup, free_bits = taken.get("kl_warmup", kl_warmup), taken.get("free_bits", free_bits)
        kl_weight, seed, threads = taken.get("kl_weight", kl_weight), taken.get("seed", seed), taken.get("threads", threads)
    if threads:
        torch.set_num_threads(threads)
    if size not in GRAPH_VAE_SIZES:
        error_console.print(f"[red]unknown size {size!r}; use {', '.join(GRAPH_VAE_SIZES)}[/red]")
        raise typer.Exit(2)
    names = [p.strip() for p in (properties or "").split(",") if p.strip()]
    if any(p not in PROPERTY_NAMES for p in names):
        error_console.print(f"[red]--properties takes {', '.join(PROPERTY_NAMES)}; got {properties}[/red]")
        raise typer.Exit(2)
    _check_training_flags(batch_size=batch_size, eval_every=eval_every, max_steps=max_steps, lr=lr,
                          max_minutes=max_minutes, max_molecules=max_molecules)
    if kl_weight < 0 or free_bits < 0:   # a negative weight rewards a large KL, and checkpoint selection with it
        error_console.print(escape(f"--kl-weight and --free-bits must be 0 or more, not {kl_weight:g} and "
                                   f"{free_bits:g}"), style="red")
        raise typer.Exit(2)
    afresh = _afresh_from(resume, fine_tune, grown)
    out = _resumed_out(out, Path("runs/graph-vae.pt"), resume, data, starts_from=afresh, replace=replace,
                       family="graph-vae", context=ctx)
    smiles_column, where = _resumed_file_reading(ctx, record, smiles_column, where)
    molecules, preparation = _graph_training_smiles(data, _vocabulary_reading(ctx, model, record),
                                                    smiles_column=smiles_column, where=where,
                                                    as_before=_prepared_before(ctx, resume, record))
    if resume is None:   # a new model's atom types are the file's: a rare one is said
        _say_rare_atom_types(data, molecules)
    # a fine-tune splits its series as a new run does
    smiles, order, n_valid = _graph_split(ctx, None if fine_tune else resume, {} if fine_tune else record, taken,
                                          molecules, max_molecules, seed, 5000, data)
    valid, training = [smiles[i] for i in order[:n_valid]], [smiles[i] for i in order[n_valid:]]
    if unmeasured is not None:
        _measure_fine_tune(GraphVAE.load, unmeasured, data, preparation, training, valid,
                           sampling=_vae_fine_tune_sampling())
        return
    if resume is not None:   # its size and property head come from the checkpoint
        names = list(model.config.properties)
        if grown:
            model = with_focus_attention(model)   # a new network: training starts its schedule afresh
    labels = _labels(smiles, order, n_valid, names)[0] if names else None
    if resume is None:
        torch.manual_seed(seed)  # the initial weights: torch seeds its generator at random in each process
        model, _ = build_model(training, properties=names, progress=True, focus_attention=focus_attention,
                               **GRAPH_VAE_SIZES[size])
        if names:
            model.config.property_mean = np.nanmean(labels, axis=0).round(4).tolist()
            model.config.property_std = np.nanstd(labels, axis=0).round(4).tolist()
    if fine_tune:   # a series' schedule and the parent's KL settings, not a MOSES run's from scratch
        settings = _graph_fine_tune_settings(ctx, record, len(training), batch_size, {
            "max_steps": max_steps, "lr": lr, "eval_every": eval_every, "kl_weight": kl_weight, "free_bits": free_bits,
            "kl_warmup": kl_warmup})
        max_steps, lr, eval_every = settings["max_steps"], settings["lr"], settings["eval_every"]
        kl_weight, free_bits, kl_warmup = settings["kl_weight"], settings["free_bits"], settings["kl_warmup"]
    # the cosine ends below its peak: at 1e-4, or lr/3 for a peak under 3e-4 (a review's --lr 3e-5, as a failed
    # fine-tune advises, rose to 1e-4 over the run), as the SMILES models' does
    config = TrainConfig(batch_size=batch_size, lr=lr, min_lr=min(1e-4, lr / 3), max_steps=max_steps,
                         max_minutes=max_minutes, eval_every=eval_every, valid_size=n_valid, kl_warmup_steps=kl_warmup,
                         free_bits=free_bits, kl_weight=kl_weight, seed=seed,
                         warmup_steps=_warmup_steps(max_steps, record, resume is not None and afresh is None),
                         max_molecules=max_molecules, threads=threads)
    _say_schedule_stretched(record, config, resume is not None and afresh is None)
    console.print(f"graph VAE, {model.num_parameters():,} parameters; {len(training):,} train / {len(valid):,} valid molecules")
    if kl_warmup >= max_steps:   # the best checkpoint is judged at the full weight, which such a run never trains at
        console.print(f"[yellow]--kl-warmup {kl_warmup:,} is as long as --max-steps {max_steps:,} or longer: the KL "
                      f"weight reaches {kl_weight * max_steps / kl_warmup:.3g} of its {kl_weight:g} by the last step, "
                      "and checkpoints are compared at the full weight (give a shorter --kl-warmup)[/yellow]")
    best = _run_training(lambda: train(model, training, valid, config, out, data_name=_data_name(data), resume=resume,
                                       train_labels=labels, preparation=preparation, fine_tune=fine_tune),
                         out, lambda t: f"best validation reconstruction NLL {t['valid_recon_nll']:.3f}, KL "
                                        f"{t['valid_kl']:.3f} at step {t['steps']:,}",
                         None if afresh else resume, max_steps=max_steps,   # a new model's own resume files
                         series=fine_tune or is_fine_tune(record))
    if best is not None:   # training drops the prior a checkpoint carried (it described the encoder before)
        _say_no_latent_prior(best, data)
    if fine_tune or is_fine_tune(record):   # a fine-tune resumed too: its card is rewritten at each best step
        _measure_fine_tune(GraphVAE.load, out, data, preparation, training, valid,
                           sampling=_vae_fine_tune_sampling())


#: ``train graph-diffusion`` flags a --resume takes from the run it continues unless given (train_config names).
GRAPH_DIFFUSION_RESUMED_FLAGS = {"batch_size": "batch_size", "lr": "lr", "max_steps": "max_steps",
                                 "eval_every": "eval_every", "max_molecules": "max_molecules",
                                 "condition_dropout": "condition_dropout", "seed": "seed", "threads": "threads"}
GRAPH_DIFFUSION_SIZES = {"tiny": {"hidden_dim": 32, "edge_dim": 8, "heads": 2, "layers": 2},
                         "small": {"hidden_dim": 96, "edge_dim": 24, "heads": 4, "layers": 4},
                         "base": {"hidden_dim": 128, "edge_dim": 32, "heads": 4, "layers": 6}}


@train_app.command("graph-diffusion")
def train_graph_diffusion(
    ctx: typer.Context,
    data: str = typer.Option("moses", help="Dataset name (its train split) or a file of SMILES."),
    size: str = typer.Option("small", help="tiny, small or base."),
    out: Path = typer.Option(Path("runs/graph-diffusion.pt"), help="Best checkpoint path (card, log, resume files beside it)."),
    replace: bool = typer.Option(False, "--replace", help=REPLACE_HELP),
    from_: Optional[str] = typer.Option(None, "--from", help="Fine-tune on --data FILE: 'pretrained' (the shipped "
                                        "graph-diffusion model) or a checkpoint path (give --out)."),
    resume: Optional[Path] = typer.Option(None, help="Continue a run from its .last.pt (its model, conditions and --out come from it); "
                                                "with --data naming other data, fine-tune the checkpoint as --from does (give --out)."),
    max_minutes: Optional[float] = typer.Option(None, help="Stop cleanly after this many minutes of training in all, "
                                                "counting the sessions a --resume continues."),
    max_steps: int = typer.Option(100_000, help="Length of the learning-rate schedule, and a hard stop (a fine-tune: "
                                  f"{FINE_TUNE_EPOCHS} passes over its series)."),
    max_molecules: Optional[int] = typer.Option(None, help="Train on a random subset of this many molecules (seeded)."),
    timesteps: int = typer.Option(500, help="Diffusion steps of the noise process (sampling may use fewer)."),
    batch_size: int = typer.Option(64, help="Molecules per training step."),
    lr: float = typer.Option(2e-4, help="Peak learning rate (a cosine then takes it to a tenth)."),
    eval_every: int = typer.Option(1000, help="Validate and checkpoint every N steps (a fine-tune: a tenth of its run, "
                                   "at most 1,000)."),
    conditions: Optional[str] = typer.Option(None, help="Properties for classifier-free guidance, e.g. qed,sa,logp,mw."),
    extra_features: bool = typer.Option(False, help="Feed the denoiser ring statistics of the noisy graph (DiGress's extra features)."),
    spectral_features: bool = typer.Option(False, help="Feed the denoiser the noisy graph's components and Laplacian spectrum."),
    valence_features: bool = typer.Option(False, help="Feed the denoiser the bond-order sum of each noisy atom."),
    edge_products: bool = typer.Option(False, help="Edges also read low-rank bilinear forms of their two atoms (after DiGress), not only the per-head scores."),
    path_features: bool = typer.Option(False, help="Edges read the bond distance of their two noisy atoms (the ring a new bond would close)."),
    aromatic_bonds: bool = typer.Option(False, help="Bonds as single/double/triple/aromatic (as DiGress on MOSES) instead of Kekulé forms."),
    condition_dropout: float = typer.Option(0.3, help="Chance of hiding each property target during training."),
    seed: int = typer.Option(0, min=0, help="Seeds the subset, the split, the initial weights and the batches."),
    threads: Optional[int] = typer.Option(None, min=1, help="torch threads (default: all cores)."),
    smiles_column: Optional[str] = typer.Option(None, help="A file's SMILES column, when not found by name."),
    where: Optional[list[str]] = typer.Option(None, help="A file's rows to learn, by a measured column: 'pIC50>=7' "
                                              "(repeatable: all must hold), as for smiles-lm."),
) -> None:
    """Train the discrete graph diffusion model; resumable, with a model card beside the checkpoint."""
    import numpy as np
    import torch

    from molgen.models.graph_diffusion.config import TrainConfig
    from molgen.models.graph_diffusion.model import TRAINED_DEFAULT_STEPS, GraphDiffusion
    from molgen.models.graph_diffusion.train import build_model, train
    from molgen.models.smiles_lm.config import CONDITION_PROPERTIES
    from molgen.models.training import is_fine_tune

    model, record, taken, fine_tune, unmeasured = None, {}, {}, False, None
    resume = _graph_from(ctx, from_, resume, "graph-diffusion")
    if resume is not None:   # the run continued: its model, data and settings, unless a flag says otherwise
        _refuse_reshaping(ctx, resume, {name: "--" + name.replace("_", "-") for name in (
            "size", "timesteps", "conditions", "extra_features", "spectral_features", "valence_features",
            "edge_products", "path_features", "aromatic_bonds")}, "--from" if from_ is not None else "--resume")
        model, record, data, taken, fine_tune = _resume_graph_run(ctx, GraphDiffusion.load, resume, data,
                                                                  GRAPH_DIFFUSION_RESUMED_FLAGS, from_)
        unmeasured = _refuse_finished(resume, taken.get("max_steps", max_steps), record, fine_tune)
        batch_size, lr, max_steps = taken.get("batch_size", batch_size), taken.get("lr", lr), taken.get("max_steps", max_steps)
        eval_every, max_molecules = taken.get("eval_every", eval_every), taken.get("max_molecules", max_molecules)
        seed, threads = taken.get("seed", seed), taken.get("threads", threads)
        if model.config.conditions:   # an unconditional model has no property to hide
            condition_dropout = taken.get("condition_dropout", condition_dropout)
        else:
            taken.pop("condition_dropout", None)
    if threads:
        torch.set_num_threads(threads)
    if size not in GRAPH_DIFFUSION_SIZES:
        error_console.print(f"[red]unknown size {size!r}; use {', '.join(GRAPH_DIFFUSION_SIZES)}[/red]")
        raise typer.Exit(2)
    names = [c.strip() for c in (conditions or "").split(",") if c.strip()]
    if any(c not in CONDITION_PROPERTIES for c in names):
        error_console.print(f"[red]--conditions takes {', '.join(CONDITION_PROPERTIES)}; got {conditions}[/red]")
        raise typer.Exit(2)
    _check_training_flags(batch_size=batch_size, eval_every=eval_every, max_steps=max_steps, lr=lr,
                          max_minutes=max_minutes, condition_dropout=condition_dropout, max_molecules=max_molecules)
    if timesteps < 1:
        error_console.print(f"[red]--timesteps must be 1 or more, not {timesteps}[/red]")
        raise typer.Exit(2)
    afresh = _afresh_from(resume, fine_tune)
    out = _resumed_out(out, Path("runs/graph-diffusion.pt"), resume, data, starts_from=afresh, replace=replace,
                       family="graph-diffusion", context=ctx)
    smiles_column, where = _resumed_file_reading(ctx, record, smiles_column, where)
    molecules, preparation = _graph_training_smiles(
        data, _vocabulary_reading(ctx, model, record), smiles_column=smiles_column, where=where,
        aromatic=model.config.aromatic_bonds if model is not None else aromatic_bonds,
        as_before=_prepared_before(ctx, resume, record))
    if resume is None:   # a new model's atom types are the file's: a rare one is said
        _say_rare_atom_types(data, molecules)
    # a fine-tune splits its series as a new run does
    smiles, order, n_valid = _graph_split(ctx, None if fine_tune else resume, {} if fine_tune else record, taken,
                                          molecules, max_molecules, seed, 2000, data)
    valid, training = [smiles[i] for i in order[:n_valid]], [smiles[i] for i in order[n_valid:]]
    if unmeasured is not None:
        _measure_fine_tune(GraphDiffusion.load, unmeasured, data, preparation, training, valid,
                           sampling={"steps": model.resolved_steps()})
        return
    if resume is not None:   # its size, features and conditions come from the checkpoint
        names = list(model.config.conditions)
    labels = _labels(smiles, order, n_valid, names)[0] if names else None
    if resume is None:
        torch.manual_seed(seed)  # the initial weights: torch seeds its generator at random in each process
        model, _ = build_model(training, conditions=names, progress=True, timesteps=timesteps, extra_features=extra_features,
                               spectral_features=spectral_features, valence_features=valence_features,
                               edge_products=edge_products, path_features=path_features, aromatic_bonds=aromatic_bonds,
                               **GRAPH_DIFFUSION_SIZES[size])
        if names:
            model.config.condition_mean = np.nanmean(labels, axis=0).round(4).tolist()
            model.config.condition_std = np.nanstd(labels, axis=0).round(4).tolist()
        model.config.default_steps = min(TRAINED_DEFAULT_STEPS, timesteps)   # `train ship --default-steps` changes it
        if model.config.default_steps < timesteps:
            console.print(f"sampling takes {model.config.default_steps} steps of its {timesteps} unless asked for "
                          "more (--steps)")
    if fine_tune:   # a series' schedule, not a MOSES run's from scratch
        settings = _graph_fine_tune_settings(ctx, record, len(training), batch_size,
                                             {"max_steps": max_steps, "lr": lr, "eval_every": eval_every},
                                             fine_tune_lr=False)   # its default, 2e-4, is below a fine-tune's 3e-4
        max_steps, eval_every = settings["max_steps"], settings["eval_every"]
    config = TrainConfig(batch_size=batch_size, lr=lr, min_lr=lr / 10, max_steps=max_steps, max_minutes=max_minutes,
                         eval_every=eval_every, seed=seed,
                         warmup_steps=_warmup_steps(max_steps, record, resume is not None and afresh is None),
                         condition_dropout=condition_dropout, max_molecules=max_molecules, threads=threads)
    _say_schedule_stretched(record, config, resume is not None and afresh is None)
    console.print(f"graph diffusion, {model.num_parameters():,} parameters; {len(training):,} train / {len(valid):,} valid molecules")
    _run_training(lambda: train(model, training, valid, config, out, data_name=_data_name(data), resume=resume,
                                train_labels=labels, preparation=preparation, fine_tune=fine_tune),
                  out, lambda t: f"best validation loss {t['valid_loss']:.4f} at step {t['steps']:,}",
                  None if afresh else resume, max_steps=max_steps,   # a new model's Ctrl-C: its own resume files, not the parent's
                  series=fine_tune or is_fine_tune(record))
    if fine_tune or is_fine_tune(record):   # a fine-tune resumed too: its card is rewritten at each best step
        _measure_fine_tune(GraphDiffusion.load, out, data, preparation, training, valid,
                           sampling={"steps": model.resolved_steps()})


@train_app.command("ship")
def train_ship(
    source: Path = typer.Argument(..., help="A trained checkpoint (any family), e.g. runs/graph-vae.pt."),
    destination: Path = typer.Argument(..., help="Where the shipped copy goes, e.g. molgen/pretrained/graph-vae.pt."),
    float32: bool = typer.Option(False, "--float32", help="Keep float32 weights (default: float16, half the size)."),
    default_steps: Optional[int] = typer.Option(None, help="Graph diffusion: sampling steps when none are asked for."),
    label_prior: Optional[str] = typer.Option(None, help="Conditional graph diffusion: draw the label prior (training "
                                              "molecules' atom counts with their properties, which untargeted sampling "
                                              "follows) from this dataset's train split, e.g. moses."),
    latent_prior: Optional[str] = typer.Option(None, help="Graph VAE: carry the aggregate posterior (the encoder's "
                                               "posteriors of 16,384 molecules of this dataset's train split, e.g. moses), "
                                               "which prior sampling then follows instead of N(0, I)."),
    max_ring_size: Optional[int] = typer.Option(None, help="Graph VAE: decoding closes no ring of more atoms than "
                                                "this; graph diffusion: the projection's ring limit (models trained now "
                                                "record it from their training molecules)."),
    replace: bool = typer.Option(False, "--replace", help="Ship over a checkpoint already at DESTINATION (e.g. the "
                                 "shipped model being updated), with its card."),
) -> None:
    """Copy a trained checkpoint for shipping, with its model card (metrics come from the family's benchmark)."""
    from molgen.models.base import CheckpointError, load, load_checkpoint
    from molgen.models.training import export_checkpoint

    from molgen.data.registry import load_smiles

    if max_ring_size is not None and max_ring_size < 0:
        error_console.print(f"--max-ring-size must be 0 or more, not {max_ring_size}", style="red")
        raise typer.Exit(2)
    if default_steps is not None and default_steps < 1:
        error_console.print(f"--default-steps must be 1 or more, not {default_steps}", style="red")
        raise typer.Exit(2)
    if destination.suffix != ".pt":
        error_console.print(escape(f"{destination}: a checkpoint's name ends in .pt (its card is written beside it as .json)"),
                            style="red")
        raise typer.Exit(2)
    if destination.resolve() == source.resolve():   # the float32 weights and their training card would be replaced
        error_console.print(escape(f"{destination} is the checkpoint being shipped: give another path for the shipped copy"),
                            style="red")
        raise typer.Exit(2)
    replaced = _refuse_shipping_over(destination, replace)
    changes = {name: value for name, value in {"default_steps": default_steps, "max_ring_size": max_ring_size}.items()
               if value is not None}
    prepare, carried_before = None, 0
    try:
        if latent_prior:
            held = load_checkpoint(source)
            family, carried_before = held.get("family"), (held.get("config") or {}).get("latent_prior_rows")
            if family != "graph-vae":
                raise ValueError(f"--latent-prior is for graph VAE checkpoints, not {family}")
            molecules = None if Path(latent_prior).is_file() else load_smiles(latent_prior, "train")
            reading = _as_trained_on(source, latent_prior)

            def prepare(model):
                _carry_latent_prior(model, latent_prior, molecules, **reading)
        if label_prior:
            from molgen.models.graph_diffusion.train import label_prior_from_smiles

            model = load(str(source))
            if model.family != "graph-diffusion":
                raise ValueError(f"--label-prior is for graph diffusion checkpoints, not {model.family}")
            changes["label_prior"] = label_prior_from_smiles(model, load_smiles(label_prior, "train"))
        card = export_checkpoint(source, destination, half=not float32, prepare=prepare, **changes)
    except (CheckpointError, FileNotFoundError, ValueError, KeyError) as error:
        error_console.print(escape(str(error)), style="red")
        raise typer.Exit(2) from None
    console.print(f"{card['family']} -> {destination} ({card['checkpoint_bytes']:,} bytes, {card['training']['weights']}); "
                  f"card {destination.with_suffix('.json')}")
    if replaced:   # said once written: a ship that failed replaced nothing
        console.print(escape(f"{' and '.join(str(p) for p in replaced)} existed and "
                             f"{'is' if len(replaced) == 1 else 'are'} replaced (--replace)"), style="yellow")
    _say_run_end(source, card["training"])
    if card["training"].get("metrics_before_export"):   # a review: the card lost its numbers without a word
        console.print(escape(f"its card's metrics are measured on the shipped weights, so it holds none yet; those of "
                             f"{source.name} are kept in its training record as metrics_before_export"
                             + ((" (sampled from its earlier prior, not this one)" if carried_before else
                                 " (sampled from N(0, I), not from this prior)") if latent_prior else "")))


def _refuse_shipping_over(destination: Path, replace: bool) -> list[Path]:
    """A shipped copy replaces no model unasked: a checkpoint or card at ``destination`` needs --replace (a review
    shipped over another run's fine-tuned VAE, its card and model gone without a word); a training run's best,
    with its resume files beside it, is never shipped over (resuming it then crashed on another family's card).
    Returns what --replace replaces, said once it has."""
    resume_files = [destination.with_suffix(suffix) for suffix in (".last.pt", ".state.pt")
                    if destination.with_suffix(suffix).is_file()]
    taken = [path for path in (destination, destination.with_suffix(".json")) if path.is_file()]
    if resume_files:
        refusal = (f"{destination} is a training run's model ({' and '.join(p.name for p in resume_files)} beside it, "
                   "to resume it): ship to another path")
    elif taken and not replace:
        free = next(candidate for number in range(2, 10_000)
                    if not (candidate := destination.with_name(f"{destination.stem}-{number}.pt")).exists()
                    and not candidate.with_suffix(".json").exists())
        refusal = (f"{taken[0]} exists ({'a checkpoint' if taken[0] == destination else 'a card'}): ship to another "
                   f"path ({free}), or replace it with its card (--replace)")
    else:
        return taken
    error_console.print(escape(refusal), style="red")
    raise typer.Exit(2)


#: A latent prior of fewer molecules than this is said to sample near them (a review's 58-molecule series prior:
#: 12 of its samples were series members written back).
FEW_PRIOR_MOLECULES = 1000


def _say_run_end(source: Path, training: dict) -> None:
    """Warn, as `train ship` ships it, of a checkpoint whose run did not end its schedule (its card's ``run_end``),
    or whose card records no end at all: a review shipped an interrupted run's best as a finished model."""
    from molgen.models.training import read_card

    end = training.get("run_end")
    if not isinstance(end, dict) and source.name.endswith(".last.pt"):   # RUN.pt's card, of the same step
        run_end = (read_card(source.with_name(source.name.removesuffix(".last.pt") + ".pt")).get("training") or {}).get("run_end")
        end = run_end if isinstance(run_end, dict) and run_end.get("at_step") == training.get("steps") else None
    if not isinstance(end, dict) and "exported_from" in (read_card(source).get("training") or {}):
        return   # a shipped checkpoint shipped again: its card is from before cards recorded a run's end
    if not isinstance(end, dict):
        console.print(escape(f"{source}'s card records no end of its run: it may still be training, or have been killed "
                             "(or been written by a molgen before cards recorded it); its steps: "
                             f"{training.get('steps', '?')}"), style="yellow")
    elif end.get("state") != "finished":
        console.print(escape(f"{source}'s run was {end.get('said', end.get('state'))}, at step {end.get('at_step', 0):,} "
                             f"of {end.get('max_steps', 0):,} (the checkpoint shipped is of step "
                             f"{training.get('steps', '?')}); continue the run with --resume {end.get('resume_with')}"),
                      style="yellow")


def _as_trained_on(checkpoint: Path, file: str) -> dict:
    """How `train ship --latent-prior FILE` reads ``file`` when it is the file ``checkpoint`` trained on (its path,
    or a copy of it: its sha256), or the dataset it trained on: as the training did (its SMILES column, only the rows
    its --where kept; the run's validation molecules left out by its split), said. A
    review's prior, from the file a --where run had trained on, was drawn from every row. A file at the training's
    path that has changed since, and another file where the training selected rows, are said too."""
    from molgen.data.moses import sha256_of
    from molgen.models.base import load_checkpoint

    training = load_checkpoint(checkpoint).get("training") or {}
    config = training.get("train_config") or {}
    # the run's split, so that the prior leaves out the validation molecules, as the model did (a review: a prior
    # of all 64 members sampled 2 of the 6 held out, which the card had measured at 0 from N(0, I))
    # (a card from before cards named --max-molecules, the shipped graph VAE's: its subset is guessed as a resume
    # guesses it, from the molecules it trained on)
    split = ({"max_molecules": config.get("max_molecules"), "recorded": "max_molecules" in config,
              "trained": training.get("molecules"), "seed": config["seed"], "valid_size": config["valid_size"],
              "fingerprint": training["data_fingerprint"]}
             if training.get("data_fingerprint") and {"seed", "valid_size"} <= set(config) else None)
    if not Path(file).is_file():   # a dataset: its train split, as the run read it when it is the run's data
        return {"split": split} if training.get("data") == file else {}
    preparation = training.get("data_preparation") or {}
    recorded, checksum = preparation.get("sha256"), sha256_of(Path(file))
    where = preparation.get("where")
    if training.get("data") != _data_name(file) and (not recorded or checksum != recorded):
        if where:
            console.print(escape(f"{file} is not the file {checkpoint} trained on ({training.get('data')}, where "
                                 f"{' and '.join(where)}): the prior is drawn from every row it holds"), style="yellow")
        return {}
    if recorded and checksum != recorded:
        console.print(escape(f"{file} has changed since {checkpoint} trained on it (its sha256 differs from the "
                             "card's): the prior is of the file as it is now"), style="yellow")
    if where:
        console.print(escape(f"{file} is read as {checkpoint} trained on it: the rows where {' and '.join(where)}"))
    return {"smiles_column": preparation.get("smiles_column"), "where": where, "split": split}


def _carry_latent_prior(model, source: str, molecules: list[str] | None, *, smiles_column: str | None = None,
                        where: list[str] | None = None, split: dict | None = None) -> None:
    """Give a graph VAE the aggregate posterior of ``source``'s molecules (``molecules``: a dataset's train split;
    None for a file, read here as training reads one: salts as parents, each row the model cannot hold listed by
    line, ``smiles_column`` and ``where`` as the training read the file), said, and recorded in its training record
    for the card (a review: `train ship --latent-prior` said nothing of the rows it read, and the card did not name
    them). ``split``: the run's own (:func:`_as_trained_on`), whose validation molecules are left out."""
    from molgen.data.moses import sha256_of
    from molgen.models.graph_vae.latent import aggregate_posterior
    from molgen.models.training import data_fingerprint, training_of

    preparation, validation = None, None
    if molecules is None:
        molecules, preparation = _graph_training_smiles(source, model, smiles_column=smiles_column, where=where)
    if split is not None:
        guesses = [split["max_molecules"]] if split["recorded"] else list(dict.fromkeys([_recorded_max_molecules(
            {"molecules": split.get("trained")}, len(molecules), split["valid_size"]), None]))
        for guess in guesses:
            subset, order, n_valid = _split(molecules, guess, split["seed"], split["valid_size"])
            trained = [subset[i] for i in order[n_valid:]]
            if data_fingerprint(trained) == split["fingerprint"]:
                molecules, validation = trained, n_valid
                console.print(escape(f"the prior is drawn from the {len(trained):,} molecules the model trained on; "
                                     f"its {n_valid:,} validation molecules are left out, as training left them"))
                break
        else:
            console.print(escape(f"{source}'s molecules no longer split as the run's did (its training molecules' "
                                 "fingerprint differs): the prior is drawn from all of them, validation molecules "
                                 "included"), style="yellow")
    left_out: list = []
    mu, logvar = aggregate_posterior(model, molecules, left_out=left_out)
    model.set_latent_prior(mu, logvar)
    read = len(mu) + len(left_out)
    # every key written, so that a re-shipped checkpoint's card fills in none from its source's prior (a review)
    record = {"data": _data_name(source), "sha256": sha256_of(Path(source)) if Path(source).is_file() else None,
              # a file's rows, and its molecules once read as training reads them (a salt as its parent, a repeat
              # once, a row the model cannot hold left out): the prior's molecules are among these
              "file_rows": preparation["rows"] if preparation else None, "molecules_read": len(molecules),
              "where": where, "validation_left_out": validation,
              "posteriors": len(mu), "drawn": read, "left_out": len(left_out), "seed": 0}
    training_of(model)["latent_prior"] = record
    console.print(escape(f"latent prior: the encoder's posteriors of {len(mu):,} molecules of {source}"
                         + (f" (a seeded {read:,} of its {len(molecules):,} read)" if read < len(molecules) else "")
                         + (f"; {len(left_out):,} left out, which the model cannot hold: "
                            + "; ".join(f"{smiles} ({why})" for smiles, why in left_out[:3])
                            + (" ..." if len(left_out) > 3 else "") if left_out else "")))
    if len(mu) < FEW_PRIOR_MOLECULES:
        console.print(escape(f"a prior of {len(mu):,} molecules samples near them: expect some of them written back "
                             "among the samples (a run's novelty says how many)"), style="yellow")


#: Every augment command's -o: the rows, and the files written beside them.
_AUGMENT_OUTPUT_HELP = ("The rows to write (.csv, .tsv, .parquet or .sdf); OUTPUT.removed.csv (each row taken out, "
                        "with why) and OUTPUT.manifest.json are written beside it.")
augment_app = _typer(help="Synthetic training data: enumerate, analogues, balance (with leak guards and provenance); "
                     "replicates merges repeated measurements.")
app.add_typer(augment_app, name="augment")


def _augment_guard(held_out: Optional[list[str]], near_duplicate: float, alerts: Optional[list[str]],
                   rules: Optional[list[str]], generated: bool = False):
    """The guard of an augment command; ``generated``: its rows are new molecules (analogues, balance), which
    :data:`~molgen.augment.guards.GENERATED_ROW_ALERTS` screen unless ``--alerts`` says otherwise."""
    from molgen.augment import Guard, ReferenceSet
    from molgen.augment.guards import GENERATED_ROW_ALERTS
    from molgen.scoring.alerts import expand_alert_sets

    # the sets named add to the screen of new molecules; "none" clears it first (--alerts none --alerts pains)
    given = list(alerts or [])
    screen = [] if "none" in given or not generated else list(GENERATED_ROW_ALERTS)
    alerts = list(dict.fromkeys(screen + [name for name in given if name != "none"]))
    try:
        expand_alert_sets(alerts)   # an unknown set refused now, not after the sampling
    except ValueError as error:
        error_console.print(f"[red]--alerts: {escape(str(error))} (or none)[/red]")
        raise typer.Exit(2) from None

    if not near_duplicate > 0:   # every molecule is at Tanimoto >= 0 to a held-out one: all would be removed
        error_console.print(f"[red]--near-duplicate must lie above 0 (up to 1, exact copies only), not {near_duplicate}[/red]")
        raise typer.Exit(2)
    from molgen.augment import reference_cache

    if not held_out:   # a forgotten flag: no output row is checked against a test set (a review: a MOSES test
        # molecule came out of balance without a word)
        console.print("[yellow]no --held-out: the rows written are checked against no test set (give one, e.g. "
                      "--held-out moses:test, to keep held-out molecules out)[/yellow]")
    sets = []
    for source in held_out or []:
        try:
            smiles, where, names = _held_out_smiles(source)
            if where is None and ":" not in source:   # a dataset named alone: its test split, said and recorded
                console.print(escape(f"--held-out {source}: its test split ({source}:test; name another split, "
                                     f"{source}:test_scaffolds, as another --held-out)"))
                source = f"{source}:test"
            if len(smiles) >= reference_cache.CACHE_FROM and not reference_cache.is_stored(smiles):
                console.print(f"keying the {len(smiles):,} held-out molecules of {escape(source)} (about a minute "
                              "for MOSES test; once: later runs read the keys back from the molgen cache)")
            sets.append(ReferenceSet(source, smiles, where, names))
            sets[-1].require_readable()
        except KeyboardInterrupt:   # before any work: nothing was written
            error_console.print(f"[yellow]stopped while keying --held-out {escape(source)}: nothing was written. "
                                "Run the command again to start over.[/yellow]")
            raise typer.Exit(130) from None
        except (KeyError, FileNotFoundError, ValueError) as error:
            message = str(error).replace("(--smiles-column NAME; smiles_column= in Python)",
                                         f"(--held-out {source}:COLUMN)")
            error_console.print(f"[red]--held-out {escape(source)}: {escape(message)}[/red]")
            raise typer.Exit(2) from None
    try:
        return Guard(held_out=sets, near_duplicate=near_duplicate if near_duplicate < 1 else None, alerts=list(alerts or []),
                     rules=list(rules or []))
    except ValueError as error:
        error_console.print(escape(str(error)), style="red")
        raise typer.Exit(2) from None


def _held_out_smiles(source: str) -> tuple[list[str], list[str] | None, list | None]:
    """The molecules of one ``--held-out``, each one's place and name: a file (FILE, or FILE:COLUMN naming its SMILES
    column, as a held-out file's header seldom matches the input's), each record's line (with the reader's reason
    where it could not read the record) and name (:func:`~molgen.data.files.names_of`), or a dataset split
    (moses:test; the test split by default; no places)."""
    from molgen.data.files import names_of, places_of, read_molecules
    from molgen.data.registry import load_smiles

    path, column = _held_out_file(source)
    if path is not None:
        frame = read_molecules(path, smiles_column=column)
        return ["" if s is None else str(s) for s in frame["smiles"]], places_of(frame), names_of(frame)
    name, _, split = source.partition(":")
    return load_smiles(name, split or "test"), None, None


def _held_out_file(source: str) -> tuple[Path | None, str | None]:
    """The file a ``--held-out`` names and its SMILES column (FILE, or FILE:COLUMN), or (None, None) for a
    dataset split."""
    if Path(source).is_file():
        return Path(source), None
    before, _, column = source.rpartition(":")   # the last colon: a Windows drive letter stays in the path
    return (Path(before), column) if before and Path(before).is_file() else (None, None)


def _say_reading_notes(frame, where=None, skip=(), columns: bool = True) -> None:
    """What the reader noticed in the input (:func:`molgen.data.files.reading_notes`, ``skip`` and ``columns`` as
    there), said in yellow (on ``where``, the standard output by default)."""
    from molgen.data.files import reading_notes

    for note in reading_notes(frame, skip=skip, columns=columns):
        (where or console).print(f"[yellow]{escape(note)}[/yellow]")


def _augment_input(path: Path, smiles_column: str | None = None, quiet_about=()):
    """The input's SMILES, one per record, and its other columns (ids, labels), row for row; what the reader noticed
    is said, except of the columns in ``quiet_about`` (a command that says it better)."""
    frame = _read_input(path, smiles_column)
    _say_reading_notes(frame, skip=quiet_about)
    smiles = ["" if s is None else str(s) for s in frame["smiles"]]
    columns = frame.drop(columns=[c for c in ("smiles", "read_error") if c in frame.columns])
    from molgen.augment.provenance import read_errors

    columns.attrs["read_errors"] = read_errors(frame)   # the reasons _augment_write gives those rows
    return smiles, columns


def _check_output(output: Path, input: Path | None = None, held_out: Optional[list[str]] = None,
                  beside: tuple[str, ...] = (".manifest.json",)) -> None:
    """Refuse an output name molgen cannot write, or one that would overwrite the input or a ``--held-out`` file,
    itself or by a file written beside it (``beside``: OUTPUT.manifest.json, OUTPUT.removed.csv, ...): the input
    would be lost and the manifest would checksum the output as the input; a held-out set written over would guard
    nothing next time. Before the work, not after it."""
    from molgen.data.files import FileFormatError, check_writable, write_protected

    if not output.name or output.name == ".." or output.is_dir():   # -o . has no name to write beside
        error_console.print(escape(f"{output} is a folder: give the name of the file to write"), style="red")
        raise typer.Exit(2)
    kept = [(input, "the input")] if input is not None else []
    kept += [(path, "a --held-out file") for path, _ in map(_held_out_file, held_out or []) if path is not None]
    for written in [output, *(output.with_name(output.name + suffix) for suffix in beside)]:
        for path, what in kept:
            if written.resolve() == path.resolve():
                where = "" if written == output else f" (written beside {output.name})"
                error_console.print(escape(f"{written}{where} is {what}: give the output another name"), style="red")
                raise typer.Exit(2)
    for written in [output, *(output.with_name(output.name + suffix) for suffix in beside)]:
        if (why := _another_outputs(written, output)) is not None:
            error_console.print(escape(f"{why}: give the output another name"), style="red")
            raise typer.Exit(2)
    try:
        check_writable(output)
    except FileFormatError as error:
        error_console.print(escape(str(error)), style="red")
        raise typer.Exit(2) from None
    for suffix in beside:   # a folder under a report's name stopped the writes midway, the manifest left stale
        if write_protected(written := output.with_name(output.name + suffix)):   # found before the work, not midway
            error_console.print(escape(f"{written} (written beside {output.name}) is write-protected: remove its "
                                       "protection to replace it, or choose another name"), style="red")
            raise typer.Exit(2)
        if written.is_dir():
            error_console.print(escape(f"{written} (written beside {output.name}) is a folder: move it away or give "
                                       "the output another name"), style="red")
            raise typer.Exit(2)


#: What molgen writes beside an output OUT: OUT.removed.csv, OUT.histogram.csv, OUT.manifest.json.
_COMPANIONS = (".removed.csv", ".histogram.csv", ".manifest.json")


def _outputs_named_in(manifest_path: Path) -> set[str]:
    """The file names a molgen manifest lists under its ``output`` (the output, its report, histogram, ...) or its
    ``export``; none where there is no such manifest."""
    import json

    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        # an augment's, a score's or a latent command's output; an export's file (molgen export)
        output = [manifest.get("output"), manifest.get("export")]
    except (OSError, ValueError, AttributeError, RecursionError):
        return set()   # no manifest there, or none of molgen's

    def strings(value) -> set[str]:
        if isinstance(value, dict):
            return set().union(*map(strings, value.values())) if value else set()
        if isinstance(value, list):
            return set().union(*map(strings, value)) if value else set()
        return {value} if isinstance(value, str) else set()
    return strings(output)


def _another_outputs(written: Path, output: Path) -> str | None:
    """Why ``written`` (``output`` or a file written beside it) is another output's file, else None: a report written
    beside another output, named in that output's manifest (enum.csv.removed.csv, beside enum.csv), or a file beside
    ``output`` that is an output of its own, with its manifest (q.csv.removed.csv, scored by `molgen score`).
    ``output``'s own are its to replace. A review wrote one augment's output over another's removed rows, and that
    output's manifest went on naming them; a review of the fix found the other way round."""
    if written != output and written.exists() and \
            written.name in _outputs_named_in(written.with_name(written.name + ".manifest.json")):
        return f"{written} (written beside {output.name}) is an output of its own, with {written.name}.manifest.json"
    for suffix in _COMPANIONS:
        owner = written.with_name(written.name.removesuffix(suffix))
        if written.name.endswith(suffix) and owner.name and owner.resolve() != output.resolve() and owner.exists() \
                and written.name in _outputs_named_in(owner.with_name(owner.name + ".manifest.json")):
            return f"{written} is written beside {owner} (named in {owner.name}.manifest.json)"
    return None


#: A kill (SIGTERM: a batch scheduler's time limit) received by an augment or latent command.
_KILLED = _Termination()


@contextmanager
def _kill_as_ctrl_c():
    """Within it a kill (SIGTERM: a batch scheduler's time limit) stops an augment or latent command's work as Ctrl-C
    does, said with what it left (it ended silently, a review); the command then dies of SIGTERM, as a scheduler
    expects of a killed job. The caller's handler is put back as it ends (a Python caller's, a test process's)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _KILLED.received = False
    previous = signal.signal(signal.SIGTERM, _KILLED.handle)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stopped_before_writing(output: Path | None) -> NoReturn:
    """Ctrl-C (or a kill, :func:`_kill_as_ctrl_c`) during an augment or latent command's work (minutes, for analogues
    and balance), said with what it left: nothing, since the rows are written at the end (exit 130, as a shell counts
    SIGINT; a kill dies of SIGTERM, 143)."""
    left = f"; {output} is as it was" if output is not None and output.exists() else ""
    error_console.print(f"[yellow]stopped{' by a kill (SIGTERM)' if _KILLED else ''}: nothing was written"
                        f"{escape(left)}. Run the command again to start over (the same seed gives the same rows)."
                        "[/yellow]")
    if _KILLED:
        _KILLED.die()
    raise typer.Exit(130)


#: What an augment command writes beside its output (balance adds the histogram).
_AUGMENT_BESIDE = (".removed.csv", ".manifest.json")
def _written_beside_before(output: Path) -> list[Path]:
    """The files an earlier augment run's manifest says it wrote beside ``output`` besides the removal report
    (balance's histogram) that are still there as written; none without a readable manifest."""
    import json

    from molgen.data.moses import sha256_of
    from molgen.data.with_manifest import manifest_path_of

    try:
        earlier = json.loads(manifest_path_of(output).read_text())
        named = {entry["file"]: entry.get("sha256") for entry in earlier["output"].get("beside", [])}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return []
    # as written then (its checksum): a file the chemist has saved under that name since is theirs
    return [path for name, sha256 in named.items() if Path(name).name == name and name.startswith(output.name + ".")
            and (path := output.with_name(name)).is_file() and sha256_of(path) == sha256]


def _augment_write(rows, removed, output: Path, context: typer.Context, guard, read_errors: dict | None = None,
                   beside: dict | None = None) -> None:
    """The rows, the removal report, the tables of ``beside`` (suffix -> table: balance's histogram) and, last, a
    manifest (settings, input checksum, guard, counts, versions, each file's checksum): a manifest is never left
    describing the files of an earlier run. ``read_errors``: why the reader could not read an input row
    (``_augment_input``), given as that row's reason."""
    from molgen.augment.provenance import reason_first, reason_lines, with_read_errors, write_manifest
    from molgen.data.files import FileFormatError, write_molecules
    from molgen.data.with_manifest import folder_lock, manifest_path_of

    removed = reason_first(with_read_errors(removed, read_errors))

    report = output.with_name(output.name + ".removed.csv")
    extra = {output.with_name(output.name + suffix): table for suffix, table in (beside or {}).items()}
    manifest = manifest_path_of(output)
    try:
        with folder_lock(output.parent):   # two runs writing one output at once: each set whole, with its manifest
            # said, not refused: rerunning a command over its own output is the common case (the report too:
            # another run's output may have been named like it)
            replaced = _already_there(output, report, *extra, manifest)
            # an earlier balance's histogram beside an output now written by another command would read as this
            # one's: removed when the earlier manifest names it as written beside (never a file of the chemist's)
            stale = [path for path in _written_beside_before(output) if path not in extra
                     and path.resolve() != Path(context.params["input"]).resolve()]
            manifest.unlink(missing_ok=True)   # an earlier run's manifest must not stand beside this run's files
            for path in stale:
                path.unlink(missing_ok=True)
            for path, table in ((output, rows), (report, removed), *extra.items()):
                write_molecules(table, path)
            settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in context.params.items()}
            write_manifest(output, command=f"augment {context.info_name}", settings=settings,
                           input_path=context.params["input"], guard=guard, rows=len(rows), removed=removed,
                           report=report, beside=list(extra))
    except (OSError, FileFormatError) as error:   # a disk filled, a folder gone, a file protected meanwhile: said
        what = (f"{error.filename or output} failed ({error.strerror or error})" if isinstance(error, OSError)
                else f"failed ({error})")
        error_console.print(escape(f"writing {what}: no manifest was written, so the files beside {output.name} are "
                                   "not a whole set; run the command again"), style="red")
        raise typer.Exit(1) from None
    _say_replaced(replaced)
    if stale:
        console.print(f"[yellow]removed {escape(', '.join(map(str, stale)))}: an earlier run's, which this one does "
                      "not write[/yellow]")
    console.print(f"wrote {len(rows):,} rows to {output}; {len(removed):,} removed, with the reason of each, in {report.name}"
                  f" (settings, input checksum and guard in {output.name}.manifest.json)")
    for line in reason_lines(removed):
        console.print(f"  {escape(line)}")


_HELD_OUT = typer.Option(None, "--held-out", help="Molecules that must never appear: a file (FILE:COLUMN names its SMILES column), or a dataset split like moses:test (repeatable).")
_NEAR = typer.Option(0.95, min=0.0, max=1.0,
                     help="Tanimoto at or above which a generated row is a near-duplicate of a held-out molecule "
                          "(1 = exact only), and (balance) a near copy of an input; analogues take --max-similarity as "
                          "the near-copy edge for every seed. A seed itself is matched exactly (in any spelling or "
                          "form): one merely similar is your own data.")
_ALERTS = typer.Option(None, "--alerts", help="Remove rows hitting these alert sets (pains, brenk, ...; repeatable). "
                       "analogues and balance remove new molecules with a strained ring system, a radical, no carbon or a "
                       "halogen on N, O or S (not a sulfonyl halide) by default (rings, radicals, inorganic, halogen_donors: the shipped "
                       "profiles' hard filters), and the sets named "
                       "add to those; --alerts none keeps them (--alerts none --alerts pains: PAINS only).")
_RULES = typer.Option(None, "--rules", help="Remove rows failing these rules (lipinski, veber, ...; repeatable).")
_SMILES_COLUMN = typer.Option(None, "--smiles-column", help="The input's SMILES column, when not found by name.")
_THREADS = typer.Option(None, "--threads", min=1, help="torch threads for the models (default: all cores).")


def _use_threads(threads: int | None) -> None:
    """torch's thread count, when given: a machine shared with other work."""
    if threads:
        import torch

        torch.set_num_threads(threads)


@augment_app.command("enumerate")
def augment_enumerate(
    context: typer.Context,
    input: Path = typer.Argument(..., help="Molecules (CSV, SMI, SDF, Parquet, ...)."),
    output: Path = typer.Option(..., "-o", "--output", help=_AUGMENT_OUTPUT_HELP),
    k: int = typer.Option(10, "-k", min=1, help="Randomized SMILES per molecule (distinct; fewer if a molecule has fewer)."),
    include_canonical: bool = typer.Option(False, "--include-canonical/--no-include-canonical",
                                           help="Also keep each molecule's canonical SMILES."),
    seed: int = typer.Option(0, min=0),
    held_out: Optional[list[str]] = _HELD_OUT,
    alerts: Optional[list[str]] = _ALERTS, rules: Optional[list[str]] = _RULES,
    smiles_column: Optional[str] = _SMILES_COLUMN,
) -> None:
    """k randomized spellings of every molecule, guarded against held-out leaks (matched exactly, in any spelling
    or form: a spelling is the chemist's own molecule, so no near-duplicate threshold applies)."""
    _check_output(output, input, held_out, _AUGMENT_BESIDE)
    import pandas as pd

    from molgen.augment import apply_guard, enumerate_smiles

    guard = _augment_guard(held_out, 1.0, alerts, rules)   # 1.0: exact only, and the manifest says no threshold
    with _kill_as_ctrl_c():   # a kill is said as Ctrl-C is
        try:   # keying a held-out split takes a minute the first time: Ctrl-C there is said, as by analogues and balance
            smiles, columns = _augment_input(input, smiles_column)
            rows, failed = enumerate_smiles(smiles, k, seed=seed, include_canonical=include_canonical)
            kept, removed = apply_guard(rows, guard)   # the rows are spellings of the inputs (method enumerate)
        except KeyboardInterrupt:
            _stopped_before_writing(output)
    from molgen.augment.enumerate import repeated_inputs, short_enumerations
    from molgen.augment.provenance import with_input_columns
    _augment_write(with_input_columns(kept, columns),
                   with_input_columns(pd.concat([failed, removed], ignore_index=True), columns), output, context, guard,
                   columns.attrs["read_errors"])
    if not len(kept) and len(smiles):   # no training data: a script must not go on as if there were
        error_console.print(f"[red]no row kept: every input record was removed (the reasons in {escape(output.name)}"
                            ".removed.csv)[/red]")
        raise typer.Exit(1)
    if lost := len(smiles) - kept["input_row"].nunique():   # a compound gone whole, not only some of its spellings
        console.print(f"[yellow]{lost:,} of the {len(smiles):,} input records {'have' if lost != 1 else 'has'} no row in "
                      f"the output (the reasons in {output.name}.removed.csv, by input_row)[/yellow]")
    for note in (repeated_inputs(kept), short_enumerations(rows, k)):   # pairs the guard left both rows of
        if note:
            console.print(f"[yellow]note: {escape(note)}[/yellow]")


@augment_app.command("replicates")
def augment_replicates(
    context: typer.Context,
    input: Path = typer.Argument(..., help="Measurements, one row each (CSV, SMI, SDF, Parquet, ...)."),
    output: Path = typer.Option(..., "-o", "--output", help=_AUGMENT_OUTPUT_HELP),
    label: list[str] = typer.Option(..., "--label", help="A measured column to aggregate (repeatable): pIC50, logD ..."),
    how: str = typer.Option("median", help="median, mean, or geometric (for concentrations such as IC50 in nM)."),
    by: str = typer.Option("parent", help="parent: a salt or charge state is its compound's row (stereoisomers stay "
                                          "apart); tautomer: tautomers of one parent too (keyed by RDKit's canonical "
                                          "tautomer, written as the form submitted most often; E and Z stay apart); "
                                          "molecule: only identical molecules merge."),
    max_spread: float = typer.Option(1.0, min=0.0, help="Replicates spreading wider than this (largest minus smallest; "
                                                         "log10 units for geometric) are marked in LABEL_disagree, "
                                                         "as is a qualified value ('>5') the aggregate contradicts by more "
                                                         "than this ('>5' beside 4.2 and 4.3 is within 1)."),
    relation: Optional[str] = typer.Option(None, help="A column holding each value's qualifier ('=', '>', '<'), as "
                                                      "ChEMBL's Standard Relation (found by that name when present: "
                                                      "it then qualifies the Standard Value and p-value labels, "
                                                      "flipped for a pIC50, not others, a logD); a column named here "
                                                      "qualifies, beside a concentration (IC50_nM, Ki), the "
                                                      "concentrations and p-values as ChEMBL's does; else every label, "
                                                      "as written."),
    smiles_column: Optional[str] = _SMILES_COLUMN,
) -> None:
    """One row per compound: replicate rows merged, each label aggregated beside its values, count and spread, and
    compounds whose replicates disagree marked (curation before augmenting or training; values of more than one
    Standard Units or Standard Type are marked too). Other columns keep their distinct values, joined by '; '
    (an id column lists every registration merged); input_rows names the rows merged."""
    _check_output(output, input, beside=_AUGMENT_BESIDE)
    from molgen.augment import Guard
    from molgen.augment.replicates import AGGREGATES, CHEMBL_RELATION, GROUPINGS, merge_replicates
    from molgen.data.measurements import column_named

    for flag, value, known in (("--how", how, AGGREGATES), ("--by", by, GROUPINGS)):
        if value not in known:
            error_console.print(f"[red]{flag}: {escape(value)} is not one of {', '.join(known)}[/red]")
            raise typer.Exit(2)
    smiles, columns = _augment_input(input, smiles_column, quiet_about=label)   # the merge says what it read of them
    if relation is None and (found := column_named(columns.columns, CHEMBL_RELATION)) is not None:
        # ChEMBL's qualifiers, in a column of their own ("Standard Relation"; its client's standard_relation)
        relation = context.params["relation"] = found   # the manifest names the column read
        console.print(f"reading each value's qualifier from column {found!r} (--relation)")
    try:
        result = merge_replicates(smiles, columns, label, how=how, by=by, max_spread=max_spread, relation=relation)
    except ValueError as error:
        error_console.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(2) from None
    from molgen.augment.provenance import with_input_columns

    _augment_write(result.merged, with_input_columns(result.removed, columns), output, context,
                   Guard(near_duplicate=None), columns.attrs["read_errors"])
    for note in result.notes:
        console.print(f"[yellow]note: {escape(note)}[/yellow]")


@augment_app.command("analogues")
def augment_analogues(
    context: typer.Context,
    input: Path = typer.Argument(..., help="The seed series."),
    output: Path = typer.Option(..., "-o", "--output", help=_AUGMENT_OUTPUT_HELP),
    per_seed: int = typer.Option(20, min=1, help="Analogues kept per seed at most (the most similar; the rest are "
                                                 "listed as removed)."),
    min_similarity: float = typer.Option(0.4, min=0.0, max=1.0, help="Lower edge of the similarity window (no molecule too far from its seed; "
                                        "Tanimoto on Morgan fingerprints, radius 2, 2,048 bits)."),
    max_similarity: float = typer.Option(0.95, min=0.0, max=1.0, help="Upper edge of the similarity window (no copies)."),
    method: Optional[list[str]] = typer.Option(None, "--method", help="prefix, fine-tune, latent (graph VAE), inpaint "
                                               "(graph diffusion keeping the seed's scaffold) (repeatable; default prefix)."),
    latent_radius: float = typer.Option(2.0, min=0.0, help="Radius around each seed's latent point (--method latent)."),
    diffusion_steps: int = typer.Option(100, min=1, help="Denoising steps (--method inpaint)."),
    vae: Optional[str] = typer.Option(None, help="Graph VAE checkpoint for --method latent (default: the shipped one)."),
    diffusion: Optional[str] = typer.Option(None, help="Graph diffusion checkpoint for --method inpaint (default: the shipped one)."),
    model: str = typer.Option("smiles-lm", help="SMILES model: family name or checkpoint."),
    samples_per_seed: int = typer.Option(300, min=1, help="Sampling budget per seed and method."),
    fine_tune_steps: int = typer.Option(200, min=1, help="Fine-tuning steps on the seeds (--method fine-tune)."),
    temperature: float = typer.Option(1.0, min=0.0, help="Sampling temperature of the SMILES model."),
    profile: Optional[str] = typer.Option(None, help="Score rows with this profile (its hard filters remove rows)."),
    seed: int = typer.Option(0, min=0),
    held_out: Optional[list[str]] = _HELD_OUT, near_duplicate: float = _NEAR,
    alerts: Optional[list[str]] = _ALERTS, rules: Optional[list[str]] = _RULES,
    smiles_column: Optional[str] = _SMILES_COLUMN, threads: Optional[int] = _THREADS,
) -> None:
    """New molecules near each seed, inside a similarity window, with the method of each."""
    _use_threads(threads)
    _check_output(output, input, held_out, _AUGMENT_BESIDE)
    from molgen.augment import analogues

    guard = _augment_guard(held_out, near_duplicate, alerts, rules, generated=True)
    context.params["method"] = list(dict.fromkeys(method or ["prefix"]))   # the manifest names the methods run
    with _kill_as_ctrl_c():   # a kill is said as Ctrl-C is
        try:
            smiles, columns = _augment_input(input, smiles_column)
            kept, removed = analogues(smiles, per_seed=per_seed, min_similarity=min_similarity,
                                      max_similarity=max_similarity, methods=context.params["method"], model=model,
                                      samples_per_seed=samples_per_seed, fine_tune_steps=fine_tune_steps, temperature=temperature,
                                      seed=seed, guard=guard, profile=profile, latent_radius=latent_radius,
                                      diffusion_steps=diffusion_steps, vae_checkpoint=vae, diffusion_checkpoint=diffusion,
                                      screen=False)   # the guard holds the screen --alerts asked for (none, or more)
        except ValueError as error:
            error_console.print(escape(str(error)), style="red")
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            _stopped_before_writing(output)
    from molgen.augment.provenance import with_input_columns, with_seed_columns
    _augment_write(with_seed_columns(kept, columns), with_seed_columns(with_input_columns(removed, columns), columns),
                   output, context, guard, columns.attrs["read_errors"])
    from molgen.augment.analogues import methods_without_analogues, scaffold_note, seeds_without_analogues, stereo_note

    if empty := seeds_without_analogues(smiles, kept, removed):
        console.print(escape(empty), style="yellow")
    if idle := methods_without_analogues(context.params["method"], kept, removed):
        console.print(escape(idle), style="yellow")
    for note in filter(None, (scaffold_note(kept), stereo_note(kept))):
        console.print(escape(note), style="yellow")


def _refuse_a_label(name: str, columns, input: Path, profile: Optional[str]) -> None:
    """A ``ValueError`` when ``--property`` names a column of the input (a measured label such as pIC50) rather
    than a property molgen computes: a generated molecule has no value of it, so no bin could be filled."""
    from molgen.scoring.properties import PROPERTIES

    given = {str(column).lower(): str(column) for column in columns.columns if column != "line"}
    if name not in PROPERTIES and name.lower() not in PROPERTIES and profile is None and name.lower() in given:
        raise ValueError(f"{given[name.lower()]!r} is a column of {input.name}, a value you measured: a generated "
                         "molecule has none, so no bin of it can be filled. Balance on a property molgen computes "
                         f"({', '.join(PROPERTIES)}) or, with --profile, a scoring column")


@augment_app.command("balance")
def augment_balance(
    context: typer.Context,
    input: Path = typer.Argument(..., help="The set to balance."),
    output: Path = typer.Option(..., "-o", "--output", help=_AUGMENT_OUTPUT_HELP),
    property: str = typer.Option(..., "--property", help="A property (qed, logp, ...) or, with --profile, a scoring column."),
    bins: int = typer.Option(10, min=1, help="Equal-width bins of the histogram."),
    value_range: Optional[str] = typer.Option(None, "--range", help="LOW,HIGH of the histogram (default: the input's range)."),
    per_bin: Optional[int] = typer.Option(None, min=1, help="Target count per bin (default: the fullest bin's); a bin "
                                          "already above it is not trimmed."),
    model: str = typer.Option("smiles-lm", help="The SMILES model that samples the new molecules: a family name or a "
                              "checkpoint (the conditional transformer steers towards each bin's centre)."),
    max_samples: int = typer.Option(50_000, min=1, help="Sampling budget."),
    profile: Optional[str] = typer.Option(None, help="A scoring profile (a shipped name or a TOML file) whose columns "
                                          "--property may name besides the properties (score, d_qed, ...)."),
    seed: int = typer.Option(0, min=0),
    held_out: Optional[list[str]] = _HELD_OUT, near_duplicate: float = _NEAR,
    alerts: Optional[list[str]] = _ALERTS, rules: Optional[list[str]] = _RULES,
    smiles_column: Optional[str] = _SMILES_COLUMN, threads: Optional[int] = _THREADS,
) -> None:
    """Fill the short bins of a property's histogram with generated molecules."""
    _use_threads(threads)
    _check_output(output, input, held_out, (*_AUGMENT_BESIDE, ".histogram.csv"))
    from molgen.augment import balance
    from molgen.augment.balance import balance_notes, bin_label, filled_columns, histogram_table

    guard = _augment_guard(held_out, near_duplicate, alerts, rules, generated=True)
    bounds = None
    if value_range:
        try:
            low, high = (float(v) for v in value_range.split(","))
            bounds = (low, high)
        except ValueError:
            error_console.print(f"[red]--range {value_range!r}: write LOW,HIGH, e.g. 0,1[/red]")
            raise typer.Exit(2) from None
    with _kill_as_ctrl_c():   # a kill is said as Ctrl-C is
        try:
            smiles, columns = _augment_input(input, smiles_column)
            from molgen.scoring.properties import PROPERTIES

            property = property.lower() if property.lower() in PROPERTIES else property   # --property QED is qed
            context.params["property"] = property
            _refuse_a_label(property, columns, input, profile)
            rows, removed, histogram = balance(smiles, property, bins=bins, value_range=bounds, per_bin=per_bin,
                                               model=model, max_samples=max_samples, seed=seed, guard=guard, profile=profile,
                                               screen=False)   # the guard holds the screen --alerts asked for
        except ValueError as error:
            error_console.print(escape(str(error)), style="red")
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            _stopped_before_writing(output)
    from molgen.augment.provenance import with_input_columns
    _augment_write(with_input_columns(rows, columns), with_input_columns(removed, columns), output, context, guard,
                   columns.attrs["read_errors"], beside={".histogram.csv": histogram_table(histogram, property)})
    table = Table("bin", "before", "target", "added", "after", "reached")
    for row in histogram.itertuples():
        table.add_row(bin_label(property, row.low, row.high), str(row.before), str(row.target), str(row.added), str(row.after),
                      "yes" if row.reached else "[yellow]no[/yellow]")
    console.print(table)
    for note in balance_notes(histogram, removed, budget="--max-samples", labels=filled_columns(columns)):
        console.print(escape(note), style="yellow" if "short of" in note or not note.startswith("sampled") else None)
    console.print(f"the histogram, bin by bin: {output.name}.histogram.csv")


latent_app = _typer(help="The graph VAE's latent space: interpolate between two molecules, analogues around one, "
                    "a push towards property targets and a map, as on the Latent page; and, here only, encode a "
                    "file of molecules and decode saved points.")
app.add_typer(latent_app, name="latent")

_LATENT_MODEL = typer.Option("graph-vae", "--model", help="A graph VAE: graph-vae (the shipped one), a shipped "
                             "checkpoint's name or a checkpoint path.")
_REFINE = typer.Option(40, "--refine-steps", min=0, help="Gradient steps that move each given molecule's encoding "
                       "until greedy decoding returns it (about 0.2 s a molecule; on the shipped model 40 steps bring "
                       "80% of MOSES test molecules back, the encoder's point alone 9%); 0: the encoder's point.")
_LATENT_OUTPUT = typer.Option(None, "-o", "--output", help="Write the whole table (.csv, .tsv, .parquet or .sdf) "
                              "with OUTPUT.manifest.json (model, settings, versions).")
_LATENT_TOP = typer.Option(20, "--top", min=0, help="Rows to print (the output file holds all).")


def _latent_model(name: str):
    """The graph VAE ``--model`` names and its file; a missing, corrupt or other family's checkpoint is said (exit 2),
    and what loading warned of (a card that does not describe it) in yellow."""
    import warnings

    from molgen.models.base import FAMILIES, CheckpointError, checkpoint_path, load, shipped_checkpoint

    try:
        path = shipped_checkpoint(name) if name in FAMILIES else checkpoint_path(name)
        if path is None:
            raise CheckpointError(f"molgen ships no {name} checkpoint; give a checkpoint path")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = load(path)
    except (CheckpointError, FileNotFoundError, IsADirectoryError, KeyError) as error:
        error_console.print(f"[red]--model {escape(name)}: {escape(str(error.args[0] if isinstance(error, KeyError) else error))}[/red]")
        raise typer.Exit(2) from None
    for warning in caught:
        console.print(f"[yellow]{escape(str(warning.message))}[/yellow]")
    if getattr(model, "family", None) != "graph-vae":
        error_console.print(f"[red]--model {escape(name)} is a {escape(str(getattr(model, 'family', 'unknown')))} "
                            "checkpoint: the latent commands need a graph VAE (graph-vae)[/red]")
        raise typer.Exit(2)
    return model, Path(path)


def _refuse_a_non_table(output: Path, what: str) -> None:
    """A latent command's ``-o`` that is no table (.sdf, .smi.gz, .txt) refused, naming what the table holds."""
    if not output.name.lower().removesuffix(".gz").endswith((".csv", ".tsv", ".parquet")) or (
            output.suffix.lower() == ".gz" and output.name.lower().endswith(".parquet.gz")):
        error_console.print(f"[red]{escape(output.name)}: write {what} to a table (.csv, .tsv or .parquet; .csv.gz "
                            "and .tsv.gz too)[/red]")
        raise typer.Exit(2)


def _latent_molecule(model, text: str, what: str) -> str:
    """The molecule the model encodes for ``text`` (a salt as its parent, said); one that it cannot is said (exit 2)."""
    from molgen.models.graph_vae.latent_tables import encoded_form

    try:
        encoded, notes = encoded_form(text, model)
    except ValueError as error:
        error_console.print(f"[red]{what}: {escape(str(error))}[/red]")
        raise typer.Exit(2) from None
    for note in notes:
        console.print(f"[yellow]{what}: {escape(note)}[/yellow]")
    return encoded


@contextmanager
def _latent_stop(output: Path | None):
    """A latent command's body: Ctrl-C anywhere in it (loading the model, encoding, scoring) said with what it left,
    nothing, since its table is written at the end (exit 130)."""
    with _kill_as_ctrl_c():
        try:
            yield
        except KeyboardInterrupt:
            _stopped_before_writing(output)


def _latent_work(work):
    """``work()`` and whether it warned; its warnings (a molecule the model does not hold) said in yellow, each
    once; a ``ValueError`` said (exit 2)."""
    import warnings

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = work()
    except ValueError as error:
        error_console.print(escape(str(error)), style="red")
        raise typer.Exit(2) from None
    said = list(dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, UserWarning)))
    for note in said:
        console.print(f"[yellow]{escape(note)}[/yellow]")
    return result, bool(said)


def _latent_table(table, columns: list[str], top: int, title: str, output: Path | None) -> None:
    """``title`` (the counts), then the first ``top`` rows of ``table`` as a terminal table of ``columns``: numbers
    to 3 places, the alerts counted (the output file names them too) with the hard filters failed, a push's start
    marked in its ``met`` column."""

    def cell(name: str, value, row: dict) -> str:
        if name == "met" and row.get("is_start"):
            return "(start)"
        if name == "alerts" and isinstance(failed := row.get("failed_filters"), str) and failed:
            return f"{value}; fails {failed}"   # a hard filter's verdict, not a flag to look at
        return f"{value:.3f}" if isinstance(value, float) else str(value)

    console.print(escape(title))
    if top and len(table):
        shown = Table(*[Column(c, overflow="fold") if c == "smiles" else c for c in columns])
        for row in table.head(top).itertuples(index=False):
            values = row._asdict()
            shown.add_row(*[escape(cell(c, values[c], values)) for c in columns])
        console.print(shown)
    if len(table) > top:
        more = len(table) - top
        console.print(f"... {more:,} more row{'s' * (more != 1)}"
                      + (f" in {output.name}" if output is not None else " (--top N prints more; -o FILE writes all)"))


def _latent_write(table, output: Path | None, context: typer.Context, checkpoint: Path, given: dict,
                  settings: dict) -> None:
    """``table`` written to ``output`` with its manifest: the command, the ``settings`` that applied (not a flag the
    method does not read, nor --top), the molecules given as read and as encoded (``given``: an input file's name
    and checksum for encode), the model's file and checksum, the versions."""
    if output is None:
        return
    from molgen.data.with_manifest import WriteError, manifest_path_of, write_with_manifest
    from molgen.models.graph_vae.latent_manifest import latent_manifest, model_provenance

    model = model_provenance(checkpoint)
    replaced = _already_there(output, manifest_path_of(output))
    try:
        write_with_manifest(table, output, lambda sha256: latent_manifest(
            command=f"molgen latent {context.info_name}", settings=settings, given=given, model=model,
            file=output.name, sha256=sha256, rows=len(table)))
    except WriteError as error:
        error_console.print(escape(str(error)), style="red")
        raise typer.Exit(1) from None
    console.print(f"wrote {len(table):,} row{'s' * (len(table) != 1)} to {output} (+ {manifest_path_of(output).name})")
    _say_replaced(replaced)


def _say_latent_notes(notes: list[str]) -> None:
    for note in notes:
        console.print(f"[yellow]{escape(note)}[/yellow]")


_PROPERTY_COLUMNS = ["qed", "sa", "logp", "mw", "alerts"]


@latent_app.command("interpolate")
def latent_interpolate(
    context: typer.Context,
    start: str = typer.Argument(..., help="The molecule the path starts from (SMILES)."),
    end: str = typer.Argument(..., help="The molecule it ends at."),
    points: int = typer.Option(12, "--points", min=2, help="Latent points on the path, its two ends included."),
    spherical: bool = typer.Option(False, "--spherical", help="Spherical interpolation (slerp) instead of linear."),
    refine_steps: int = _REFINE, model: str = _LATENT_MODEL, output: Optional[Path] = _LATENT_OUTPUT,
    top: int = _LATENT_TOP,
) -> None:
    """The distinct molecules met on the way from one molecule to another through the latent space."""
    from molgen.chem.parse import canonical_smiles
    from molgen.models.graph_vae import latent
    from molgen.models.graph_vae.latent_tables import interpolation_table, stereo_notes, why_not_back, with_properties

    if output is not None:
        _check_output(output)
    with _latent_stop(output):
        vae, checkpoint = _latent_model(model)
        encoded = [_latent_molecule(vae, start, "start"), _latent_molecule(vae, end, "end")]
        if latent.graph_key(encoded[0]) == latent.graph_key(encoded[1]):
            why = ("differ only in stereochemistry or isotope labels, which this model does not encode: to it they "
                   "are one molecule" if canonical_smiles(encoded[0]) != canonical_smiles(encoded[1])
                   else "are one molecule" + (" (as the model reads them)" if encoded != [start, end] else ""))
            error_console.print(f"[red]start and end {why}: there is no path between them; `molgen latent analogues` "
                                "explores around it[/red]")
            raise typer.Exit(2)
        met, warned = _latent_work(lambda: latent.interpolate(vae, *encoded, points, spherical=spherical,
                                                              refine_steps=refine_steps))
        table, missed = interpolation_table(met, *encoded)
        table = with_properties(table)
    if missed and not warned:   # the warnings above name each end the model does not hold
        ends = [encoded[0]] * ("start" in missed) + [encoded[1]] * ("end" in missed)
        console.print(f"[yellow]the {' and '.join(missed)} did not decode back to the molecule given: the path runs "
                      "from the nearest molecules the encoding reached "
                      f"({escape(why_not_back(vae, ends, 'more --refine-steps'))})[/yellow]")
    _say_latent_notes(stereo_notes(start, end))
    _latent_table(table, ["where", "smiles", *_PROPERTY_COLUMNS], top,
                  f"{len(table)} distinct molecule{'s' * (len(table) != 1)} on the way, {points} "
                  f"{'spherical' if spherical else 'linear'} points", output)
    _latent_write(table, output, context, checkpoint,
                  {"start": {"given": start, "encoded": encoded[0]}, "end": {"given": end, "encoded": encoded[1]}},
                  {"points": points, "spherical": spherical, "refine_steps": refine_steps, "model": model})


@latent_app.command("analogues")
def latent_analogues(
    context: typer.Context,
    seed_molecule: str = typer.Argument(..., metavar="SEED", help="The molecule to explore around (SMILES)."),
    points: int = typer.Option(30, "--points", min=1, help="Latent points decoded around the seed's encoding."),
    radius: float = typer.Option(2.0, "--radius", min=0.0, help="Their distance from it (on the shipped model, 20 "
                                 "points at radius 2 gave about 16 distinct molecules at a Tanimoto of about 0.38 to "
                                 "the seed; larger finds more, less similar ones)."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of the random directions."),
    refine_steps: int = _REFINE, model: str = _LATENT_MODEL, output: Optional[Path] = _LATENT_OUTPUT,
    top: int = _LATENT_TOP,
) -> None:
    """Distinct molecules decoded around a seed molecule's latent point, most similar to it first (the seed itself
    not listed). For a file of seeds, with a leak guard: `molgen augment analogues --method latent`."""
    import math

    from molgen.models.graph_vae import latent
    from molgen.models.graph_vae.latent_tables import (analogue_table, failures_last, stereo_notes, why_not_back,
                                                       with_properties)

    if not math.isfinite(radius):
        error_console.print(f"[red]--radius must be a finite number, not {radius}[/red]")
        raise typer.Exit(2)
    if output is not None:
        _check_output(output)
    with _latent_stop(output):
        vae, checkpoint = _latent_model(model)
        encoded = _latent_molecule(vae, seed_molecule, "seed")

        def explore():
            z = latent.encode(vae, [encoded], refine_steps=refine_steps)
            return latent.decode(vae, z)[0], latent.analogues_around(vae, z[0], encoded, points, radius, seed=seed)
        (centre, found), _ = _latent_work(explore)
        table = failures_last(with_properties(analogue_table(found)))
    if centre != latent.graph_key(encoded):
        console.print(f"[yellow]the seed's encoding decodes to {escape(centre or 'nothing')}, not to the seed: the "
                      "analogues lie around that molecule, and their similarity is still to the seed "
                      f"({escape(why_not_back(vae, [encoded], 'more --refine-steps'))})[/yellow]")
    _say_latent_notes(stereo_notes(seed_molecule))
    if table.empty:
        console.print(f"[yellow]every point at radius {radius:g} decoded back to the seed: raise --radius to reach "
                      "other molecules[/yellow]")
    _latent_table(table, ["smiles", "tanimoto_to_seed", *_PROPERTY_COLUMNS], top,
                  f"{len(table)} distinct molecule{'s' * (len(table) != 1)} other than the seed, from {points} points "
                  f"at radius {radius:g}; any failing a hard filter (failed_filters) after those that pass", output)
    _latent_write(table, output, context, checkpoint,
                  {"seed": {"given": seed_molecule, "encoded": encoded}, "decodes_to": centre},
                  {"points": points, "radius": radius, "seed": seed, "refine_steps": refine_steps, "model": model})


#: How `molgen latent push` moves: the two searches decode and score with RDKit; gradient follows the property head.
_PUSH_METHODS = ("random", "bayesian", "gradient")
#: The flags each method reads (the others are refused with it, and left out of the manifest).
_PUSH_FLAGS = {"random": ("decodings", "radius", "seed"), "bayesian": ("decodings", "radius", "seed"),
               "gradient": ("steps",)}


def _push_targets(given: list[str]) -> dict[str, float]:
    """``--target qed=0.9`` (repeatable) as {"qed": 0.9}, read as a generate condition 'qed=0.9' is (an unknown
    property's nearest name suggested, a target no molecule can meet refused); anything else said (exit 2)."""
    from molgen.runs.conditions import ConditionError, Conditions, parse_condition

    conditions = Conditions()
    for text in given:
        try:
            if "=" not in text or any(op in text for op in ("<", ">", "!")) or text.count("=") > 1:
                raise ConditionError(f"--target {text!r}: write PROPERTY=VALUE, e.g. qed=0.9 (a target, not a range)")
            parse_condition(text, conditions)
        except ConditionError as error:
            error_console.print(f"[red]{escape(str(error))}[/red]")
            raise typer.Exit(2) from None
    return dict(conditions.targets)


@latent_app.command("push")
def latent_push(
    context: typer.Context,
    start: str = typer.Argument(..., help="The molecule to start from (SMILES)."),
    target: list[str] = typer.Option(..., "--target", help="PROPERTY=VALUE to move towards, met within the tolerance "
                                     "a generate condition 'qed=0.9' uses (repeatable)."),
    method: str = typer.Option("random", "--method", help="random: decode points around the start and score each "
                               "molecule with RDKit; bayesian: rounds of 16 picked by a Gaussian process (on the shipped "
                               "model no better than random, and slower); gradient: steps on the model's property head "
                               "(its own properties only)."),
    decodings: int = typer.Option(256, "--decodings", min=1, help="Latent points decoded (random, bayesian)."),
    radius: float = typer.Option(4.0, "--radius", min=0.0, help="The scale of the search around the start (random, "
                                 "bayesian): a point lies about a quarter to the whole of it away."),
    steps: int = typer.Option(60, "--steps", min=1, help="Gradient steps (gradient)."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of the search's points (random, bayesian)."),
    refine_steps: int = _REFINE, model: str = _LATENT_MODEL, output: Optional[Path] = _LATENT_OUTPUT,
    top: int = _LATENT_TOP,
) -> None:
    """Molecules near a start molecule in the latent space that move towards property targets: those meeting every
    target first, the most similar to the start first; the start's own decoding marked is_start."""
    import math

    from molgen.models.graph_vae import latent
    from molgen.models.graph_vae.latent_tables import (GAP_CAPTION, failures_last, gradient_table, head_drift, search_table,
                                                       stereo_notes, with_properties)
    from molgen.scoring.properties import tolerance

    if method not in _PUSH_METHODS:
        error_console.print(f"[red]--method {escape(method)}: one of {', '.join(_PUSH_METHODS)}[/red]")
        raise typer.Exit(2)
    unread = [name for name in ("decodings", "radius", "steps", "seed")
              if name not in _PUSH_FLAGS[method] and _typed(context, name)]
    if unread:
        error_console.print(f"[red]{', '.join(map(_flag, unread))} do{'es' * (len(unread) == 1)} not apply to "
                            f"--method {method}[/red]")
        raise typer.Exit(2)
    if method != "gradient" and not 0 < radius < math.inf:
        error_console.print(f"[red]--radius must be above 0 (and finite), not {radius}[/red]")
        raise typer.Exit(2)
    if output is not None:
        _check_output(output)
    targets = _push_targets(target)
    # the tolerances too: a file's met and gap columns are read against them
    settings = {"method": method, "targets": targets, "tolerances": {name: tolerance(name) for name in targets},
                **{name: context.params[name] for name in _PUSH_FLAGS[method]}, "refine_steps": refine_steps,
                "model": model}
    with _latent_stop(output):
        vae, checkpoint = _latent_model(model)
        if method == "gradient" and vae.property_head is None:
            error_console.print("[red]this graph VAE was trained without a property head: --method gradient cannot "
                                "steer it (random and bayesian need none)[/red]")
            raise typer.Exit(2)
        encoded = _latent_molecule(vae, start, "start")
        if method == "gradient":
            path, _ = _latent_work(lambda: latent.optimise(vae, encoded, targets, steps=steps, refine_steps=refine_steps))
            table = gradient_table(path)
        else:
            found, _ = _latent_work(lambda: latent.search(vae, encoded, targets, decodings=decodings, method=method,
                                                          radius=radius, seed=seed, refine_steps=refine_steps))
            table = search_table(found, method)
        table = with_properties(table)
        if method != "gradient":   # a walk keeps its steps' order
            table = failures_last(table)
    _say_latent_notes(stereo_notes(start))
    found = table[~table["is_start"]]
    met = int(found["met"].sum()) if len(found) else 0
    first = "step" if method == "gradient" else "tanimoto_to_start"
    _latent_table(table, [first, "smiles", *targets, "gap", "met", "alerts"], top,
                  f"{len(found)} distinct molecule{'s' * (len(found) != 1)} besides the start's own decoding (marked "
                  f"(start)); {met} meet every target within its tolerance (RDKit on the decoded molecules)"
                  + ("; any failing a hard filter (failed_filters) after those that pass" if method != "gradient" else ""),
                  output)
    console.print(escape(GAP_CAPTION))
    if method == "gradient" and (drift := head_drift(table, targets)):
        console.print(f"[yellow]{escape(drift)}[/yellow]")
    _latent_write(table, output, context, checkpoint, {"start": {"given": start, "encoded": encoded}}, settings)


def _encode_columns(dims: int) -> list[str]:
    """The columns `molgen latent encode` adds to each input row (an input column of one of these names moves
    aside)."""
    return ["smiles", "encoded", "encodable", "reason", "decodes_to", "decodes_back",
            *[f"z_{d + 1}" for d in range(dims)]]


@latent_app.command("encode")
def latent_encode(
    context: typer.Context,
    input: Path = typer.Argument(..., help="Molecules (CSV, TSV, SMI, SDF or Parquet); - reads SMILES (one per line, "
                                 "a name after it, or a CSV whose header names its SMILES column) from standard "
                                 "input."),
    output: Path = typer.Option(..., "-o", "--output", help="The table: the input's columns, then whether each row "
                                "was encoded (or why not), what its latent point decodes to, and z_1 ... z_D "
                                "(.csv, .tsv or .parquet), with OUTPUT.manifest.json."),
    refine_steps: int = typer.Option(0, "--refine-steps", min=0, help="Gradient steps that move each encoding until "
                                     "greedy decoding returns the molecule (about 0.2 s a molecule); 0, the default: "
                                     "the encoder's mean, a function of the molecule alone (a descriptor), which "
                                     "decodes back for few molecules (9% of MOSES test on the shipped model)."),
    smiles_column: Optional[str] = _SMILES_COLUMN, model: str = _LATENT_MODEL,
) -> None:
    """Each molecule's point in the latent space (one row per input record; a record the model cannot encode keeps
    its row with the reason): for plotting a library in the model's space or as descriptors."""
    import numpy as np
    import pandas as pd

    from molgen.chem.graph import has_stereo
    from molgen.chem.parse import parse_smiles
    from molgen.data.files import input_name
    from molgen.data.moses import sha256_of
    from molgen.models.graph_vae import latent
    from molgen.models.graph_vae.latent_tables import encoded_form
    from molgen.progress import progress_bar

    from_stdin = str(input) == "-"
    if from_stdin:
        if sys.stdin.isatty():
            error_console.print("- reads SMILES, one per line (a name after it), from standard input: pipe them in "
                                "(cat mols.smi | molgen latent encode - -o points.parquet), or give a file", style="red")
            raise typer.Exit(2)
    _refuse_a_non_table(output, "the latent points")
    if not from_stdin:
        _check_output(output, input)
    else:
        _check_output(output)
        input = _stdin_as_smi_file(context)
    with _latent_stop(output):
        vae, checkpoint = _latent_model(model)
        try:
            frame = _read_input(input, smiles_column)
        except typer.Exit:
            if from_stdin:   # the error named the temporary file the input was saved to
                error_console.print("(the file above is what standard input gave)", style="red")
            raise
        if smiles_column is not None and "smiles_column" not in frame.attrs:   # a .smi's lines: no column to name
            error_console.print(f"[red]--smiles-column {escape(smiles_column)} names a table's column, and "
                                f"{'standard input' if from_stdin else escape(str(input))} was read without columns "
                                "to name (SMILES lines, or SDF records): give a table whose header names them[/red]")
            raise typer.Exit(2)
        given = ["" if s is None else str(s) for s in frame["smiles"]]
        encoded, reasons, parents = [""] * len(given), [""] * len(given), 0
        flattened, unlabelled = 0, 0   # read without what the model does not encode: said, not silently dropped
        for i, text in enumerate(given):
            if isinstance(frame["read_error"].iat[i], str):
                reasons[i] = frame["read_error"].iat[i]
                continue
            try:
                encoded[i], notes = encoded_form(text, vae)
                parents += any(note.startswith(("A salt", "A charged")) for note in notes)
                unlabelled += any(note.startswith("Isotope labels") for note in notes)
                flattened += has_stereo(parse_smiles(encoded[i]).mol)
            except ValueError as error:
                reasons[i] = str(error)
        rows = [i for i, text in enumerate(encoded) if text]
        dims = vae.config.latent_dim
        points = np.full((len(given), dims), np.nan, dtype=np.float32)
        decoded = [""] * len(given)
        chunk = 256
        with progress_bar(total=len(rows), desc="encoding", unit="mol", disable=len(rows) <= chunk) as bar:
            for first in range(0, len(rows), chunk):
                part = rows[first:first + chunk]
                z = latent.encode(vae, [encoded[i] for i in part], refine_steps=refine_steps)
                points[part] = z.numpy()
                for i, smiles in zip(part, latent.decode(vae, z)):
                    decoded[i] = smiles
                bar.update(len(part))
    valid = [bool(text) for text in encoded]
    back = [v and bool(d) and latent.graph_key(text) == latent.graph_key(d) for text, d, v in zip(encoded, decoded, valid)]
    # refinement cannot bring these back: a ring larger than the decoder closes
    ringed = sum(1 for text, v, b in zip(encoded, valid, back) if v and not b and latent.ring_out_of_reach(vae, text))
    own = frame.drop(columns=[c for c in ("smiles", "read_error") if c in frame.columns]).reset_index(drop=True)
    added = _encode_columns(dims)
    taken = set(added) | set(own.columns)   # an input column named as one of these (an output encoded again) moves aside
    names = []
    for column in own.columns:
        names.append(input_name(taken, column) if column in added else column)
        taken.add(names[-1])
    own.columns = names
    table = pd.concat([own, pd.DataFrame({
        "smiles": given, "encoded": encoded, "encodable": valid, "reason": reasons, "decodes_to": decoded,
        "decodes_back": pd.array([b if v else None for b, v in zip(back, valid)], dtype="boolean")}),
        pd.DataFrame(points, columns=added[6:])], axis=1)
    _latent_write(table, output, context, checkpoint,
                  {"input": {"file": "(standard input)" if from_stdin else str(input), "sha256": sha256_of(input),
                             "blank_lines_skipped": list(frame.attrs.get("blank_lines", []))},
                   "rows": len(given), "encoded": len(rows), "salts_or_charged_read_as_parents": int(parents),
                   "stereo_not_encoded": int(flattened), "isotope_labels_not_encoded": int(unlabelled),
                   "rings_the_decoder_never_closes": int(ringed)},
                  {"refine_steps": refine_steps, "smiles_column": smiles_column, "model": model})
    console.print(f"encoded {len(rows):,} of {len(given):,} rows ({refine_steps} refine steps); "
                  f"{sum(back):,} of them decode back to their molecule (greedy)"
                  + ("; --refine-steps 40 moves each point until it does, for most molecules" if not refine_steps
                     else ""))
    if parents:
        what = "salts, mixtures or charged forms were" if parents != 1 else "salt, mixture or charged form was"
        console.print(f"[yellow]{parents:,} {what} encoded as the parent (column encoded)[/yellow]")
    if flattened:   # a review: L- and D-alanine got one point, and nothing said so
        console.print(f"[yellow]{flattened:,} encoded row{'s carry' if flattened != 1 else ' carries'} stereocentres "
                      "or double-bond geometry, which the model does not encode: stereoisomers share one point"
                      "[/yellow]")
    if unlabelled:
        console.print(f"[yellow]{unlabelled:,} encoded row{'s carry' if unlabelled != 1 else ' carries'} isotope labels, "
                      "which the model does not encode: a labelled molecule has its unlabelled form's point[/yellow]")
    if ringed:
        console.print(f"[yellow]{ringed:,} encoded row{'s hold' if ringed != 1 else ' holds'} a ring larger than the "
                      f"decoder closes ({vae.config.max_ring_size} atoms at most): no point decodes back to "
                      f"{'them' if ringed != 1 else 'it'}, however many --refine-steps[/yellow]")
    if len(rows) < len(given):
        from molgen.data.files import places_of

        missed, where = [i for i, reason in enumerate(reasons) if reason], places_of(frame)
        console.print(f"[yellow]{len(missed):,} row{'s' * (len(missed) != 1)} not encoded (column reason), e.g. "
                      + escape("; ".join(reasons[i] if reasons[i] == where[i] else f"{where[i]}: {reasons[i]}"
                                         for i in missed[:3])) + "[/yellow]")
    _say_reading_notes(frame)


def _map_file(source: str, smiles_column: str | None):
    """A file of molecules for `latent map`: ``--smiles-column`` where the file has that column, else its SMILES
    column found by name (a vendor's file and a series mapped together: the flag names the vendor's)."""
    from molgen.data.files import FileFormatError, read_molecules

    if smiles_column is None:
        return _read_input(source, None)
    try:
        frame = read_molecules(source, smiles_column=smiles_column)
        # the flag's column was read (a .smi or .sdf file has none to read: the check below counts tables alone)
        frame.attrs["smiles_column_given"] = str(frame.attrs.get("smiles_column", "")).lower() == smiles_column.lower()
        return frame
    except (FileFormatError, KeyError):
        pass   # read as if no flag were given: a file without that column finds its own
    try:
        return read_molecules(source)
    except (FileFormatError, KeyError) as error:
        error_console.print(escape(f"{source} has no column {smiles_column} (--smiles-column), and "
                                   f"{error.args[0] if isinstance(error, KeyError) else error}"), style="red")
        raise typer.Exit(2) from None


@latent_app.command("map")
def latent_map_command(
    context: typer.Context,
    sources: list[str] = typer.Argument(..., metavar="SOURCE...", help="Files of molecules (CSV, TSV, SMI, SDF, "
                                        "Parquet) and stored runs (a run's name or id: its best-ranked molecules), "
                                        "placed together."),
    output: Path = typer.Option(..., "-o", "--output", help="The table: a row per molecule (source, smiles, the "
                                "molecule encoded or why not, pc_1, pc_2, QED, SA, logP, MW, and its file's own "
                                "columns; .csv, .tsv or .parquet), with OUTPUT.manifest.json."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="Also draw the map as a PNG."),
    colour: str = typer.Option("source", "--colour", help="What colours the plot's points: source (a colour a "
                               "set), qed, sa, logp, mw, or a numeric column of the files (pIC50)."),
    each: int = typer.Option(500, "--each", min=1, help="Molecules from each source: a run's best-ranked, a file's "
                             "first rows (2,000 at most in all)."),
    smiles_column: Optional[str] = typer.Option(None, "--smiles-column", help="The SMILES column of the files that "
                                                "hold it (the others' found by name)."),
    model: str = _LATENT_MODEL,
) -> None:
    """Sets of molecules placed together in the latent space, as the Latent page's Map: each at the encoder's mean (a
    descriptor of the molecule alone), all projected on their first two principal components."""
    import pandas as pd

    from molgen.data.files import input_name, stem_of
    from molgen.data.moses import sha256_of
    from molgen.models.graph_vae.latent_map import (MAP_COLUMNS, MAP_MOLECULES, MAP_PROPERTIES, MapSource, gather,
                                                    latent_map, plot_map)
    from molgen.runs import RunNotFound, RunStore

    _refuse_a_non_table(output, "the map")
    files = [Path(source) for source in sources if Path(source).is_file()]
    if len(set(map(Path.resolve, files))) < len(files) or len(set(sources)) < len(sources):
        error_console.print("[red]a source is given twice: each is placed once[/red]")
        raise typer.Exit(2)
    for file in files or [None]:   # never over a source file, nor its manifest
        _check_output(output, file)
    if plot is not None:
        if plot.suffix.lower() != ".png":
            error_console.print(f"[red]--plot {escape(str(plot))}: the map is drawn as a PNG (name it .png)[/red]")
            raise typer.Exit(2)
        for file in [output, *files]:
            if plot.resolve() == file.resolve():
                error_console.print(escape(f"--plot {plot} is {'-o' if file == output else 'a source'}: give the "
                                           "plot another name"), style="red")
                raise typer.Exit(2)
        if not plot.parent.is_dir():   # before the encoding, not after it
            error_console.print(escape(f"--plot {plot}: no folder {plot.parent}"), style="red")
            raise typer.Exit(2)
    found, given, runs = [], [], None
    for source in sources:
        if Path(source).is_file():
            frame = _map_file(source, smiles_column)
            found.append(MapSource(stem_of(source), source, frame))
            given.append({"file": source, "sha256": sha256_of(Path(source)), "rows": len(frame),
                          "smiles_column": frame.attrs.get("smiles_column"),
                          "smiles_column_given": bool(frame.attrs.get("smiles_column_given"))})
            continue
        try:
            runs = runs or RunStore()   # opened once, for the first run named
            record = runs.run(source)
        except RunNotFound:
            error_console.print(escape(f"{source}: neither a file nor a stored run (molgen runs list names them)"),
                                style="red")
            raise typer.Exit(2) from None
        ranked = runs.candidates(record["id"], ranked_only=True)
        found.append(MapSource.of_run(record, ranked))
        given.append({"run": record["id"], "name": record["name"], "ranked": len(ranked)})
    if smiles_column is not None and not any(entry.get("smiles_column_given") for entry in given):
        error_console.print(escape(f"--smiles-column {smiles_column}: no table given has that column (a .smi or .sdf "
                                   "file is read by its own rules)"), style="red")
        raise typer.Exit(2)
    molecules, cut = gather(found, each)
    if len(molecules) > MAP_MOLECULES:
        error_console.print(f"[red]{len(molecules):,} molecules asked for, and a map holds {MAP_MOLECULES:,}: a lower "
                            "--each, or fewer sources[/red]")
        raise typer.Exit(2)
    # the colours: the set, a property, or a numeric column of the files (one named as the map's own, input_<name>)
    own = set(MAP_COLUMNS)
    numeric = {input_name(own, c) if c in own else c for c in molecules.columns
               if c not in ("smiles", "source") and pd.api.types.is_numeric_dtype(molecules[c])}
    if colour != "source" and colour not in MAP_PROPERTIES and colour not in numeric:
        error_console.print(escape(f"--colour {colour}: source, qed, sa, logp, mw, or a numeric column of the sources"
                                   + (f" ({', '.join(sorted(numeric))})" if numeric else "")), style="red")
        raise typer.Exit(2)
    with _latent_stop(output):
        vae, checkpoint = _latent_model(model)
        drawn, _ = _latent_work(lambda: latent_map(vae, molecules))
    for note in cut + drawn.notes:
        console.print(f"[yellow]{escape(note)}[/yellow]")
    first, second = drawn.explained
    mapped = int(drawn.table["pc_1"].notna().sum())
    console.print(f"{mapped:,} molecules on the map from {len(sources)} source{'s' * (len(sources) != 1)}; its axes "
                  f"show {first:.0%} and {second:.0%} of the variance of the {vae.config.latent_dim}-dimensional "
                  "points (far apart on the map is far apart in the latent space; close on it may not be)")
    _latent_write(drawn.table, output, context, checkpoint, {"sources": given, "explained_variance": [first, second],
                                                             "mapped": mapped},
                  {"each": each, "smiles_column": smiles_column, "model": model})
    if plot is not None:
        replaced = _already_there(plot)
        plot_map(drawn, colour, plot)
        console.print(f"drew the map to {plot}")
        _say_replaced(replaced)


def _say_far_points(points, reasons: list[str], places: list[str], dims: int) -> None:
    """A note for points far outside where the model's molecules lie (a review: z_1 = 1e6 decoded to an all-nitrogen
    cage without a word): decoded as given, but likely a slip in a cell."""
    import numpy as np

    from molgen.models.graph_vae.latent import FAR_POINT, far_points

    far = [i for i in far_points(points) if not reasons[i]]
    if far:
        norms = np.linalg.norm(np.nan_to_num(points[far]).astype(np.float64), axis=1)   # 1e20 squared is no float32
        shown = "; ".join(f"{places[i]}: |z| = {norm:.3g}" for i, norm in zip(far[:3], norms))
        console.print(escape(f"{len(far):,} point{'s' * (len(far) != 1)} lie{'s' * (len(far) == 1)} more than "
                             f"{FAR_POINT * dims ** 0.5:.0f} from the origin ({shown}), where the molecules the model "
                             f"encodes lie within about {3 * dims ** 0.5:.0f}: decoded as given; check the z cells"),
                      style="yellow")


def _same_graph(decoded: str, given: object) -> bool | None:
    """Whether a decoded molecule is the row's input molecule as the model reads it (no stereo, no isotope labels;
    encode's ``encoded`` column holds a salt's parent); None where the input holds no molecule."""
    from molgen.models.graph_vae.latent import graph_key

    if not isinstance(given, str) or not given.strip():
        return None
    key = graph_key(given)
    return None if key is None else key == graph_key(decoded)


@latent_app.command("decode")
def latent_decode(
    context: typer.Context,
    input: Path = typer.Argument(..., help="Latent points: a table (.csv, .tsv or .parquet) with columns z_1 ... z_D, "
                                 "as `molgen latent encode` writes it, or points made from it (a cluster's centre, a "
                                 "point moved by hand)."),
    output: Optional[Path] = _LATENT_OUTPUT,
    decoding: str = typer.Option("greedy", "--decoding", help="'greedy' (what encode's decodes_back measured), "
                                 "'sampled' or 'most-likely' (the decoder's most likely of --candidates decodings)."),
    temperature: Optional[float] = typer.Option(None, help="Sampling temperature (--decoding sampled or most-likely)."),
    candidates: Optional[int] = typer.Option(None, help="--decoding most-likely: decodings per point (greedy plus "
                                             "draws; default 5)."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of the draws (sampled, most-likely)."),
    from_another_model: bool = typer.Option(False, "--from-another-model", help="Decode points whose manifest names "
                                            "another checkpoint than --model (refused without it: a point means "
                                            "nothing in another model's space)."),
    model: str = _LATENT_MODEL, top: int = _LATENT_TOP,
) -> None:
    """The molecule at each latent point (one row per input row; a row without a whole point keeps its place with the
    reason), with QED, SA, logP, MW and alerts."""
    import re

    import pandas as pd

    from molgen.data.files import FileFormatError, input_name
    from molgen.data.moses import sha256_of
    from molgen.models.graph_vae.latent_points import (check_point_columns, decode_points, encoding_model, points_of,
                                                       read_points_table)
    from molgen.models.graph_vae.latent_tables import with_properties
    from molgen.models.graph_vae.sample import check_decoding

    try:
        check_decoding(decoding, temperature, candidates)
    except ValueError as error:
        error_console.print(f"[red]{escape(str(error))}[/red]")
        raise typer.Exit(2) from None
    if output is not None:   # the points are the table's; an SDF would lose them
        _refuse_a_non_table(output, "the decoded points")
        _check_output(output, input)
    with _latent_stop(output):
        vae, checkpoint = _latent_model(model)
        try:
            frame = read_points_table(input)
            check_point_columns(frame, vae.config.latent_dim, str(input))
        except (FileFormatError, FileNotFoundError, ValueError) as error:
            error_console.print(escape(str(error)), style="red")
            raise typer.Exit(2) from None
        encoder = encoding_model(input)
        if encoder is not None and encoder["sha256"] != sha256_of(checkpoint):
            said = (f"{input}'s manifest says its points were encoded by {encoder.get('checkpoint', 'another model')}"
                    f" (sha256 {encoder['sha256'][:12]}...), not by {checkpoint}")
            if not from_another_model:
                error_console.print(escape(f"{said}: decode them with --model naming that checkpoint, or give "
                                           "--from-another-model to decode them here anyway"), style="red")
                raise typer.Exit(2)
            console.print(f"[yellow]{escape(said)}; decoded here as --from-another-model asks[/yellow]")
        points, reasons = points_of(frame, vae.config.latent_dim)
        _say_far_points(points, reasons, frame.attrs["places"], vae.config.latent_dim)
        decoded, _ = _latent_work(lambda: decode_points(vae, points, decoding=decoding, temperature=temperature,
                                                        candidates=candidates, seed=seed))
    places = frame.attrs["places"]
    reasons = [given or why for given, (_, why) in zip(reasons, decoded)]
    molecules = pd.DataFrame({"smiles": [smiles for smiles, _ in decoded], "reason": reasons})
    held = [i for i, reason in enumerate(reasons) if not reason]
    molecules = pd.concat([molecules, with_properties(molecules.iloc[held][["smiles"]]).drop(columns="smiles")],
                          axis=1)   # a row without a molecule has no properties (nor alerts) to read
    molecules["alerts"] = molecules["alerts"].astype("Int64")
    taken = set(molecules.columns) | set(frame.columns) | {"same_as_input"}   # the input's own smiles moves aside
    # the molecule each row's point encodes: encode's own column (a salt's parent), else the row's SMILES
    given_column = next((c for c in ("encoded", "smiles") if c in frame.columns), None)
    given_smiles = frame[given_column].reset_index(drop=True) if given_column is not None else None
    renamed = {c: input_name(taken, c) for c in frame.columns if c in molecules.columns or c == "same_as_input"}
    frame.columns = [renamed.get(c, c) for c in frame.columns]
    differ = []
    if given_smiles is not None:   # a review: pIC50 beside another molecule than the one it was measured on
        same = [None if not smiles else _same_graph(smiles, given) for smiles, given in zip(molecules["smiles"], given_smiles)]
        molecules.insert(1, "same_as_input", pd.array(same, dtype="boolean"))
        differ = [i for i, is_same in enumerate(same) if is_same is False]
    table = pd.concat([frame.reset_index(drop=True), molecules], axis=1)
    distinct = len({molecules["smiles"].iat[i] for i in held})
    shown = table.assign(smiles=[s if s else f"({places[i]}: {reasons[i]})" for i, s in enumerate(table["smiles"])])
    _latent_table(shown, ["smiles", *_PROPERTY_COLUMNS], top,
                  f"decoded {len(held):,} of {len(table):,} points ({decoding}): {distinct:,} distinct "
                  f"molecule{'s' * (distinct != 1)}", output)
    missed = [i for i, reason in enumerate(reasons) if reason]
    if missed:
        console.print(f"[yellow]{len(missed):,} row{'s' * (len(missed) != 1)} not decoded (column reason), e.g. "
                      + escape("; ".join(f"{places[i]}: {reasons[i]}" for i in missed[:3])) + "[/yellow]")
    if differ:
        given_now = renamed.get(given_column, given_column)
        # the row's own columns, not molgen's (z_, encode's, an earlier decode's, each however often moved aside)
        ours = {*_encode_columns(0), *molecules.columns, "line", "same_as_input"}
        others = [c for c in frame.columns if not re.fullmatch(r"(input_)*(z_\d+|" + "|".join(map(re.escape, ours)) + ")",
                                                                 str(c))]
        console.print(escape(f"{len(differ):,} of {len(held):,} decoded molecules are not their row's input molecule "
                             f"(column same_as_input false; {given_now} holds the molecule given)"
                             + (f": the row's {', '.join(map(str, others[:5]))} describe {given_now}, not smiles"
                                if others else "")), style="yellow")
    _latent_write(table, output, context, checkpoint,
                  {"input": {"file": str(input), "sha256": sha256_of(input)}, "rows": len(table),
                   "decoded": len(held), "distinct": distinct, "not_the_input_molecule": len(differ),
                   "encoded_by": encoder["sha256"] if encoder is not None else None},
                  {"decoding": decoding, "temperature": temperature, "candidates": candidates,
                   "seed": seed if decoding != "greedy" else None, "model": model})


if __name__ == "__main__":  # python -m molgen.cli (tests run the CLI in a subprocess this way), as the command
    run()
