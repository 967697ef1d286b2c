"""What every workbench page shares: the run store, cached models, depictions, field checks.

UI helpers only; the chemistry and the data come from molgen.
"""

from __future__ import annotations

import hashlib
import re
import threading
import zlib
from pathlib import Path

import pandas as pd
import streamlit as st
from rdkit import Chem
from rdkit.Chem.Draw import rdMolDraw2D

from molgen.chem.parse import parse_smiles
from molgen.chem.rdkit_log import quiet_rdkit
from molgen.models.base import PRETRAINED_DIR, checkpoint_family
from molgen.runs.store import AmbiguousRun, RunNotFound, RunStore, StoreUnreadable
from molgen.scoring.profiles import ScoringProfile

#: The key scores shown everywhere, with their labels.
KEY_SCORES = {"score": "score", "qed": "QED", "sa": "SA", "logp": "logP", "mw": "MW", "tpsa": "TPSA"}


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:])")


# Inputs kept across pages: the forms a chemist fills in, by the prefix of their widget keys. Not kept:
# buttons, downloads and uploads (Streamlit refuses to set them; every uploader's key ends in _file, as a test
# holds every page to), the drawing editors (components), and
# inputs whose options follow what the page shows (Browse's page number, its candidate picker and table,
# which a changed run could leave pointing at nothing). Browse's range sliders are kept: the page clamps
# them to the run's bounds.
KEPT_INPUTS = {"generate": "gen_", "latent": "latent_", "augment": "aug_", "browse": "browse_", "compare": "compare_",
               "export": "export_", "score": "score_"}
NOT_KEPT = re.compile(r"_go(_|$)|^gen_continue_|^gen_more_|^gen_like_|^gen_stop|^gen_address_|download|_manifest$|_file$|_editor|"
                      r"^browse_(detail|select_all|unselect_all|tag_said)$|^browse_table_|^browse_rejects_")


#: A run's statuses that Generate's "Continue a stopped run" takes up.
CONTINUABLE = ("interrupted", "budget_exhausted")


def keep_page_inputs(page: str) -> None:
    """Streamlit forgets the value of every widget a run did not draw, so a visit to another page reset a
    form to its defaults. The app calls this before each page (``page``: its url path). Each run of a page
    with a form records what its inputs hold; coming back from another page puts back any the visit made
    Streamlit forget. Reruns of one page restore nothing, so a key the page drops stays dropped."""
    kept = st.session_state.setdefault("_kept_inputs", {})
    returning = st.session_state.get("_kept_page") != page
    st.session_state["_kept_page"] = page
    st.session_state["_page_returned_to"] = returning   # this run is the first since another page's
    prefix = KEPT_INPUTS.get(page)
    if prefix is None:
        return
    if returning:
        for key, value in kept.get(page, {}).items():
            if key not in st.session_state:
                st.session_state[key] = value
    record_page_inputs(page)


#: The longest value a page writes into its address: a long list of molecules would make a link too long to share.
ADDRESS_LONGEST = 2000


def read_address(fields: dict, page: str) -> None:
    """The inputs a page's address names, on this browser session's first visit to ``page`` (after that the widgets
    hold them, and the inputs kept across pages bring them back); ``fields``: address name -> (widget key,
    default, reader of the text, None for a value it cannot hold, which is ignored)."""
    if st.session_state.get(f"_{page}_address_read"):
        return
    st.session_state[f"_{page}_address_read"] = True
    for name, (key, _, read) in fields.items():
        if name in st.query_params and (value := read(st.query_params[name])) is not None:
            st.session_state[key] = value
    # noted now as the page's inputs: recorded only at the run's start, a view opened from a link was lost after a
    # look at another page (a code review; Browse's had been, too)
    record_page_inputs(page)


def write_address(fields: dict) -> None:
    """The inputs of ``fields`` that are not their defaults, in the address, so a reload or a link brings them back
    (a review: a reload emptied the Latent and Augment pages); a value longer than :data:`ADDRESS_LONGEST` is left
    out, and one back at its default taken out."""
    for name, (key, default, _) in fields.items():
        value = st.session_state.get(key, default)
        text = None if value == default or value is None else "1" if value is True else f"{value:g}" \
            if isinstance(value, float) else str(value)
        if text is None or len(text) > ADDRESS_LONGEST:
            if name in st.query_params:
                del st.query_params[name]
        elif st.query_params.get(name) != text:
            st.query_params[name] = text


def address_number(low: float, high: float, whole: bool = True, step: float | None = None):
    """A reader of an address value: a number from ``low`` to ``high`` (whole, or not) on the slider's ``step`` from
    ``low``, else None (a value the widget could not show)."""
    def read(text: str):
        try:
            value = int(text) if whole else float(text)
        except ValueError:
            return None
        if not (low <= value <= high) or value != value:
            return None
        on_step = step is None or abs(round((value - low) / step, 9) - round((value - low) / step)) < 1e-9
        return value if on_step else None
    return read


def keep_while_hidden(keys: list[str]) -> None:
    """Streamlit forgets a widget's value in a run that does not draw it, so inputs drawn under one choice only (the
    Push tab's targets under one method) went back to their defaults when the choice came back (a review). Called
    before they are drawn, each run: the values they hold are noted, and a forgotten one is put back."""
    noted = st.session_state.setdefault("_kept_while_hidden", {})
    for key in keys:
        if key in st.session_state:
            noted[key] = st.session_state[key]
        elif key in noted:
            st.session_state[key] = noted[key]


def record_page_inputs(page: str) -> None:
    """Note what ``page``'s inputs hold now, for :func:`keep_page_inputs` to put back after a visit elsewhere. A page
    that sets inputs itself during its run (Browse, from its address) calls it again at its end: recorded at the
    start only, a view opened from a link was lost on the way back (a review)."""
    prefix = KEPT_INPUTS.get(page)
    if prefix is None:
        return
    st.session_state.setdefault("_kept_inputs", {})[page] = {
        key: st.session_state[key] for key in list(st.session_state.keys())
        if isinstance(key, str) and key.startswith(prefix) and not NOT_KEPT.search(key)
        and _an_input_value(st.session_state[key])}


def _an_input_value(value: object) -> bool:
    """What a text field, number, checkbox, selectbox or slider holds; a page's own results (aug_result,
    a tuple of tables) are not inputs."""
    scalar = (str, int, float, bool, type(None))
    return isinstance(value, scalar) or (isinstance(value, (list, tuple)) and all(isinstance(v, scalar) for v in value))


def plain(text: object) -> str:
    """``text`` escaped so that Streamlit's Markdown shows it as written: SMILES such as
    ``[N+](=O)[O-]`` or ``C[Si](C)C`` are otherwise read as links, and ``__x__`` as bold."""
    return _MARKDOWN.sub(r"\\\1", str(text))


def store() -> RunStore:
    """This browser session's connection to the shared run store (runs are shared, state is not)."""
    if "store" not in st.session_state:
        try:
            st.session_state["store"] = RunStore()
        except StoreUnreadable as error:   # the page says which file and what to do, and goes no further
            st.error(plain(error))
            st.stop()
    return st.session_state["store"]


def shipped_checkpoints() -> dict[str, Path]:
    """Label -> path of every shipped checkpoint (the label says its family and architecture), the
    default SMILES model first: it is the fastest and the closest to the training distribution."""
    import json

    from molgen.models.base import DEFAULT_CHECKPOINTS

    first = DEFAULT_CHECKPOINTS["smiles-lm"]
    out = {}
    for path in sorted(PRETRAINED_DIR.glob("*.pt"), key=lambda p: (p.name != first, p.name)):
        card = path.with_suffix(".json")
        info = json.loads(card.read_text()) if card.is_file() else {}
        label = f"{path.stem} ({info.get('family', '?')}, {info.get('parameters', 0) / 1e6:.1f} M parameters)"
        out[label] = path
    return out


def model_choices(extra: list[Path] | tuple = ()) -> dict[str, Path]:
    """The Generate form's models, label -> path: the shipped checkpoints, then the chemist's own (a model fine-tuned
    on a series): every checkpoint a stored run used that is still on disk, and ``extra`` (typed on the page)."""
    import json

    out = shipped_checkpoints()
    shipped = {path.resolve() for path in out.values()}
    runs = store().runs()
    used = [Path(c) for c in runs["checkpoint"].dropna()] if "checkpoint" in runs else []
    for path in dict.fromkeys([*map(Path, extra), *used]):
        path = path.expanduser().resolve()
        if path in shipped or not path.is_file():
            continue
        card = path.with_suffix(".json")
        info = json.loads(card.read_text()) if card.is_file() else {}
        trained_on = Path(str((info.get("training") or {}).get("data", ""))).name
        family = info.get("family") or checkpoint_family(path)   # a checkpoint copied without its card names it too
        label = (f"{path.stem} (your own {family or 'checkpoint'}"
                 + (f", trained on {trained_on}" if trained_on else "") + f": {path})")
        out[label] = path
        shipped.add(path)
    return out


#: Downloads that failed as they were made, by (browser session, page): said on that page's next run. The file is
#: made on a worker thread when the browser asks for it, where an error reaches no page, and the browser shows
#: nothing (a review's click on a run deleted meanwhile).
_FAILED_DOWNLOADS: dict[tuple[str, str], str] = {}


def _browser_session() -> str:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    context = get_script_run_ctx()
    return context.session_id if context is not None else ""


def say_failed_download(page: str) -> None:
    """Say, once, that this session's last download on ``page`` failed, and why."""
    if failure := _FAILED_DOWNLOADS.pop((_browser_session(), page), None):
        st.error(plain(f"The last download failed, and no file was written: {failure}"))


class ExportPair:
    """A file and its manifest, downloaded by two buttons, as the halves of one export: the first click makes both
    (``make``: () -> (file bytes, manifest bytes)) and the other button then gives the other half; a button clicked
    again makes a new pair. A run still sampling, exported once per click, gave a manifest of another file than the
    one downloaded. Each click's callback runs on a worker thread of its own: one at a time. ``page``: where a
    failure is said on the next run (:func:`say_failed_download`)."""

    def __init__(self, make, page: str = "") -> None:
        self._make, self._kept, self._lock = make, {}, threading.Lock()
        self._where = (_browser_session(), page)   # read here: the worker thread has no session

    def half(self, manifest: bool) -> bytes:
        with self._lock:
            if manifest in self._kept:
                return self._kept.pop(manifest)
            try:
                made = dict(zip((False, True), self._make()))
            except Exception as error:
                _FAILED_DOWNLOADS[self._where] = str(error) or type(error).__name__
                raise   # no file: Streamlit serves none
            self._kept = {not manifest: made[not manifest]}
            return made[manifest]


@st.cache_resource(show_spinner="loading the model")
def load_model(path: str):
    """A generator, loaded once per process and shared by every session."""
    from molgen.models.base import load

    return load(path)


def say_load_warnings(path: str) -> None:
    """On the page, at each rerun: a checkpoint its card does not describe (damaged, or saved again meanwhile).
    Checked here, not caught from the load: the load is cached, and warnings are no per-thread channel."""
    from molgen.models.base import card_mismatch

    if why := card_mismatch(Path(path)):
        st.warning(plain(why))


#: Highlight colours: a structural alert in RDKit's warm default, a kept scaffold in a cool blue, so the two read apart.
ALERT_COLOUR = (1.0, 0.7, 0.7)
SCAFFOLD_COLOUR = (0.65, 0.8, 1.0)


def depict(smiles: str, size: tuple[int, int] = (260, 200), highlight: list[int] | None = None,
           scaffold: tuple[int, ...] | list[int] | None = None) -> str:
    """An RDKit SVG of ``smiles``: atoms in ``highlight`` (alerts) drawn in red, the atoms and bonds of a kept
    ``scaffold`` in blue (an atom in both stays red: the alert matters more); '' if it does not parse."""
    with quiet_rdkit():
        mol = Chem.MolFromSmiles(smiles) if smiles else None
    if mol is None:
        return ""
    alert, kept = set(highlight or []), set(scaffold or []) - set(highlight or [])
    atoms = {**{a: SCAFFOLD_COLOUR for a in kept}, **{a: ALERT_COLOUR for a in alert}}
    # a bond takes a colour when both its atoms are in the alert (or both in the scaffold), as RDKit's default does
    bonds = {}
    for group, colour in ((set(scaffold or []), SCAFFOLD_COLOUR), (alert, ALERT_COLOUR)):
        bonds.update({bond.GetIdx(): colour for bond in mol.GetBonds()
                      if bond.GetBeginAtomIdx() in group and bond.GetEndAtomIdx() in group})
    drawer = rdMolDraw2D.MolDraw2DSVG(*size)
    drawer.drawOptions().clearBackground = False
    rdMolDraw2D.PrepareAndDrawMolecule(drawer, mol, highlightAtoms=list(atoms), highlightAtomColors=atoms,
                                       highlightBonds=list(bonds), highlightBondColors=bonds)
    drawer.FinishDrawing()
    return drawer.GetDrawingText()


def show_svg(svg: str, caption: str = "") -> None:
    if svg:
        st.image(svg, caption=caption or None)


def smiles_field(label: str, value: str = "", *, key: str, help: str | None = None, smarts: bool = False) -> tuple[str, bool]:
    """A SMILES (or SMARTS) text field with its verdict shown right under it; returns (text, ok)."""
    text = st.text_input(label, value=value, key=key, help=help).strip()
    if not text:
        return "", True
    if smarts:
        from molgen.scoring.similarity import refuse_spaces, substructure_query, written_as_smarts

        try:
            refuse_spaces(text)
            substructure_query(text)
        except ValueError as error:
            st.error(plain(error))
            return text, False
        read = parse_smiles(text)
        if not read.ok:   # SMARTS only: a slip in a SMILES (a ring that cannot be aromatic) reads so without a word
            said = (f"Read as SMARTS: it is not valid SMILES ({read.reason}), so a model that builds on a scaffold "
                    "written as SMILES only filters for it.")
            # written as a SMILES would be (no SMARTS-only syntax): likely a slip, said louder
            # meant as SMARTS: said quietly; else likely a slip in a SMILES, said louder
            (st.caption if written_as_smarts(text) else st.warning)(plain(said))
        return text, True
    from molgen.scoring.similarity import written_as_smarts

    # a review: [#6]-[#7] read as SMILES was "atom 0 (C) is a radical". The SMILES part only, and $ only as SMARTS's
    # recursion: a CXSMILES extension (|&1:1|, |c:0,2,4|) and a quadruple bond ([Mo]$[Mo]) are SMILES (a code review)
    written = text.split()[0]
    if written_as_smarts(written.replace("$", "") if "$(" not in written else written):
        st.error(plain(f"{text} is written as SMARTS (a pattern: [#6], ~, a comma or semicolon in brackets), and this "
                       "field takes one molecule as SMILES, e.g. CN for [#6]-[#7]"))
        return text, False
    result = parse_smiles(text)
    if not result.ok:
        st.error(plain(f"not a valid molecule: {result.reason}"))
        return text, False
    return text, True


def molecule_editor(field_key: str, label: str = "Draw it") -> None:
    """A Ketcher molecule editor in an expander, writing the drawn molecule (on Apply) into the text
    field ``field_key``. Call it before that field is created: Streamlit lets a page set a widget's
    value only before the widget is drawn in the run."""
    try:
        from streamlit_ketcher import st_ketcher
    except ImportError:  # the editor is an optional nicety; typing SMILES always works
        return
    typed = st.session_state.get(field_key, "")
    with st.expander(label):
        # Ketcher reads the molecule it is given only when it is created: keyed by the typed text, the
        # editor is created afresh, showing it, whenever the field changes (it showed the old drawing)
        drawn = st_ketcher(typed, height=420, key=f"{field_key}_editor_{zlib.crc32(typed.encode()):08x}")
    # Until Apply is pressed the editor hands back what it was given, so only a value that differs from
    # the field is a new drawing; anything else would rewrite (and for SMARTS, change the meaning of) what
    # was typed. After an Apply the field changes, and with it the editor's key: the new editor hands
    # back the field, so one drawing is applied once.
    if drawn is not None and drawn != typed:
        with quiet_rdkit():
            mol = Chem.MolFromSmiles(drawn) if drawn else None
        # Ketcher writes its own SMILES dialect; canonical RDKit SMILES reads the same everywhere.
        st.session_state[field_key] = Chem.MolToSmiles(mol) if mol is not None else drawn


NO_RUNS = "No runs yet: generate one on the Generate page (or `molgen generate` on the command line)."


def run_labels() -> dict[str, str]:
    """Every stored run, newest first: its id -> how a picker shows it (name, status, ranked count, when)."""
    return {r.id: f"{r.name} · {status_shown(r.status)} · {r.ranked:,} ranked · {r.created}"
            for r in store().runs().itertuples()}


def status_shown(status: str) -> str:
    """A run's status in words, as the Generate page says it ("budget exhausted", not the stored budget_exhausted)."""
    return str(status).replace("_", " ")


def current_run() -> str | None:
    """The run this session looks at: the one last picked or generated here, else the one in the address
    (an id, a name or a unique id prefix, as on the command line; left as given when no run answers to it)."""
    if st.session_state.get("run_id"):
        return st.session_state["run_id"]
    asked = st.query_params.get("run")
    if not asked:
        return None
    try:
        return store().resolve(asked)
    except RunNotFound:
        return asked


def missing_run_note(current: str | None, ids: list[str]) -> str | None:
    """What to say when the run in the address is not in the store (deleted since, or a mistyped link): the
    page shows another run, and must not let it pass for the one asked for."""
    if current is None or current in ids:
        return None
    try:
        store().resolve(current)
    except AmbiguousRun as error:
        return f"{error}; showing the newest run instead"
    except RunNotFound:
        pass
    return f"No run {current!r} in the store (deleted since, or a mistyped link): showing the newest run instead."


def run_picker(label: str = "Run", key: str = "run") -> str | None:
    """Choose a stored run (newest first; the one just generated in this session by default). The run
    also stands in the page's address (``?run=<id>``), so a reload or a shared link shows the same run.
    The options are run ids, shown by label: a run that grows keeps its place in the picker."""
    labels = run_labels()
    if not labels:
        st.info(NO_RUNS)
        return None
    ids = list(labels)
    current = current_run()
    if key in st.session_state and st.session_state[key] not in labels:
        del st.session_state[key]   # its run was deleted since
    if key not in st.session_state and (note := missing_run_note(current, ids)):
        st.warning(note)
    choice = st.selectbox(label, ids, index=ids.index(current) if current in ids else 0, key=key,
                          format_func=lambda run_id: labels.get(run_id, run_id))
    st.session_state["run_id"] = choice
    st.query_params["run"] = choice
    return choice


def nothing_valid(record: dict) -> str | None:
    """Said of a run that sampled and found no valid molecule (all its samples refused: read under Browse's "Invalid
    samples"), told apart from a run stopped before it stored one; None for any other run."""
    counts = record.get("counts") or {}
    if not counts.get("sampled") or counts.get("valid") != 0:
        return None
    return (f"None of this run's {counts['sampled']:,} samples was a valid molecule "
            f"({on_this_page(record['message']).rstrip('.')})")


def checked_number(label: str, bounds: tuple[float, float | None], value: float | None, *, key: str,
                   whole: bool = True, **widget) -> tuple[float | None, bool]:
    """A number field and whether it holds a number within ``bounds`` (no upper bound where None; whole, with
    ``whole``; empty where ``value`` is None); said under it if not. The field itself has no bounds: one past them
    showed the number typed, red, while the page went on with the last one in range (a review asked for 150,000
    molecules and got 200)."""
    low, high = bounds
    number = st.number_input(label, value=value, key=key, **widget)
    if number is None or ((not whole or number == int(number)) and low <= number and (high is None or number <= high)):
        return number, True
    kind = "a whole number" if whole else "a number"
    st.error(plain(f"{label}: {number:,} is not {kind} " + (f"from {low:,} to {high:,}" if high is not None else
                                                            f"of {low:,} or more")))
    return number, False


def on_this_page(message: str) -> str:
    """A run's message as a page shows it: without the command that continues it (Generate's Continue button does),
    and the model or option it points to named as Generate's controls rather than as flags."""
    message = message.replace("(--model graph-vae decodes around its encoding)",
                              "(choose graph-vae under Model: it decodes around its encoding)")
    message = re.sub(r", and --scaffold '([^']+)'", r", and keeping \1 as the substructure to keep", message)
    message = message.replace(", and --scaffold keeps its core", ", and a kept substructure keeps its core")   # older runs
    message = message.replace("(--model smiles-lm-lstm or graph-diffusion)",
                              "(smiles-lm-lstm or graph-diffusion under Model)")
    message = message.replace("higher --temperature", "higher Temperature")   # saturation_note's advice
    message = message.replace("lower --temperature", "lower Temperature")   # a run with no valid sample
    message = message.replace("more --steps", "more Diffusion steps")
    message = message.replace("--decoding sampled", "'sampled' decoding of each latent (under Decoding)")
    message = message.replace("nother --model", "nother Model")   # "another" or "Another", sentence-first
    message = message.replace("More --steps", "More Diffusion steps")
    return re.sub(r" \(more: molgen generate --resume \S+ --max-samples N\)|; continue with `molgen generate "
                  r"--resume \S+`| \(molgen generate --resume \S+ --max-samples N\)", "", message)


def file_states(paths) -> tuple:
    """(path, mtime_ns, size) of each of ``paths`` that is a file here: in a cache key, a result read from a file
    is read again once the file is edited (or put back)."""
    states = []
    for path in paths:
        try:
            stat = Path(path).stat()
        except (OSError, ValueError):
            continue
        states.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(states)


def run_notes_of(run_id: str, updated: float) -> list[str]:
    """A finished run's notes (training-data copies, the series' ring systems, an alert most molecules raise), as the
    command line says them, read once per state of the run (``updated``) and of the files its model learned from
    (a fine-tuned model's note reads its series file, which may be edited or put back meanwhile)."""
    from molgen.runs.generate import lineage_reading

    lineage = store().run(run_id).get("model_training") or {}
    return _run_notes_of(run_id, updated, file_states(data for data, _, _ in lineage_reading(lineage)))


@st.cache_data(show_spinner=False, max_entries=32)
def _run_notes_of(run_id: str, updated: float, files: tuple) -> list[str]:
    from molgen.runs.notes import run_notes

    return run_notes(store().run(run_id), lambda **options: store().candidates(run_id, **options), on_page=True)


def file_name(run_name: str, max_bytes: int = 100) -> str:
    """A run's name as a file name: a run named "round 1/indoles: DMPK?" is written as round 1_indoles_ DMPK_ (a
    slash would name a folder, and a colon or question mark is refused by some systems), cut to ``max_bytes`` of
    UTF-8: a file name holds 255 bytes, and a download's name adds its cut, format and ".manifest.json" (a review's
    300-character tag made every download fail, unsaid)."""
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", run_name)
    name = name.encode()[:max_bytes].decode(errors="ignore")   # a character cut in two is left out whole
    return name.strip(" .") or "run"


def export_file_name(run_name: str, fmt: str, options: dict) -> str:
    """An export's download name: the run's, then which cut of it the file holds (``options``, export_run's), so
    that two downloads of one run do not overwrite each other; 255 bytes at most with ".manifest.json" added."""
    tagged = options.get("tagged")
    cut = "".join(["-selected" * bool(options.get("selected_only")),
                   f"-tagged-{file_name(tagged, 40)}" if tagged else "",
                   f"-top{int(options['top'])}" if options.get("top") else "",
                   f"-diverse{options['diverse']:g}" if options.get("diverse") is not None else "",
                   "-filtered" if options.get("where") else "", "-passing" * bool(options.get("passing_only")),
                   "-with-unranked" * bool(options.get("include_unranked"))])
    return f"{file_name(run_name)}{cut}.{fmt}"


# 2,000 molecules draw the reference histograms as well as 5,000 did; RDKit's QED takes about
# 3 ms a molecule on a slow CPU, so the first visit waits 6 s instead of 15. One table for every page.
@st.cache_data(show_spinner="computing training-set properties")
def training_properties(n: int = 2000) -> pd.DataFrame:
    """QED, SA, logP, MW and TPSA of the first ``n`` molecules of the committed MOSES training sample."""
    from molgen.data.registry import load_smiles
    from molgen.scoring.properties import PROPERTIES

    mols = [Chem.MolFromSmiles(s) for s in load_smiles("moses-sample", "train")[:n]]
    return pd.DataFrame({p: [PROPERTIES[p].function(m) for m in mols] for p in ("qed", "sa", "logp", "mw", "tpsa")})


#: The most molecules of one dataset Browse compares a molecule with (a fixed random sample past it).
NEIGHBOUR_POOL = 50_000


@st.cache_resource(show_spinner="fingerprinting the training set", max_entries=8)   # an edited file adds an entry
def training_neighbours(sources: tuple[tuple[str, str | None, str | None], ...],
                        files: tuple = ()) -> tuple[list, list[str], str]:
    """Fingerprints of a model's training molecules, and which they are in words: ``sources``, (data, SMILES
    column, sha256 as learned) triples, the model's own data first, then what a fine-tuned model started from (a
    molecule it copied from MOSES has its neighbour at 1.0 too). Each dataset up to NEIGHBOUR_POOL molecules, a
    fixed random sample past that; a source not on this machine, or a file changed since the model learned it, is
    said and left out. ``files``: :func:`file_states` of the sources, for the cache only (a file edited, or put back
    as the model learned it, is read again)."""
    import numpy as np

    from molgen.data.registry import load_smiles
    from molgen.runs.generate import changed_since_learned
    from molgen.scoring.similarity import reference_fingerprints

    pool: dict[str, str] = {}   # canonical -> as written: a series member also in MOSES is one neighbour, not two
    said = []
    for data, column, sha256 in sources:
        name = Path(data).name if Path(data).suffix else data
        if changed_since_learned(data, sha256):   # its molecules now are not those the model saw
            said.append(f"{name} left out: it has changed since the model learned it")
            continue
        try:
            smiles = [s for s in load_smiles(data, "train", smiles_column=column) if s]
        except (KeyError, FileNotFoundError, ValueError):
            said.append(f"{name} not available here")
            continue
        sampled = len(smiles) > NEIGHBOUR_POOL
        if sampled:
            picked = np.random.default_rng(0).choice(len(smiles), NEIGHBOUR_POOL, replace=False)
            total, smiles = len(smiles), [smiles[i] for i in sorted(picked)]
        read = [(parsed.canonical, s) for s in smiles if (parsed := parse_smiles(s)).ok]
        unread = len(smiles) - len(read)   # a series' unreadable row, which its fine-tune left out too
        for canonical, written in read:
            pool.setdefault(canonical, written)
        said.append((f"a fixed random {len(read):,} of {name}'s {total:,} training molecules" if sampled else
                     f"all {len(read):,} molecules of {name}")
                    + (f" ({unread:,} row{'s' * (unread != 1)} not a molecule left out)" if unread else ""))
    smiles = list(pool.values())
    return reference_fingerprints(smiles), smiles, "; ".join(said)


def kept_upload(widget, key: str, instead: str) -> tuple[str, bytes] | None:
    """The file uploaded in ``widget`` as (name, bytes). A visit to another page empties the uploader (Streamlit
    cannot put a file back in it), so the file is kept (as ``_{key}_upload``) until the chemist removes it in the
    uploader, uploads another, or presses the button that drops it (labelled ``instead``); a form whose file
    silently went back to the typed molecules lost work."""
    state = st.session_state
    if widget is not None:
        state[f"_{key}_upload"] = (widget.name, widget.getvalue())
    elif state.get(f"_{key}_upload_live") and not state.get("_page_returned_to"):
        state.pop(f"_{key}_upload", None)   # removed in the uploader itself
    state[f"_{key}_upload_live"] = widget is not None
    kept = state.get(f"_{key}_upload")
    if kept is not None and widget is None:
        st.caption(plain(f"Using {kept[0]}, uploaded before you left the page (the uploader cannot show it again)."))
        if st.button(instead, key=f"{key}_drop_upload_go"):
            state.pop(f"_{key}_upload", None)
            st.rerun()
    return kept


def read_upload(upload: tuple[str, bytes], key: str) -> tuple[pd.DataFrame | None, str | None]:
    """The molecules of an uploaded file (:func:`read_molecules`), or None after saying why not, and the SMILES column
    chosen (None when the header names it). A table whose header names no SMILES column (a vendor's "Structure_2D")
    asks which column holds them, as ``--smiles-column`` does on the command line; the choice is kept per file."""
    import tempfile

    from molgen.data.files import FileFormatError, NoSmilesColumn, read_molecules

    name, content = upload
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        try:
            return read_molecules(path), None
        except NoSmilesColumn as error:
            column = st.selectbox(f"Which column of {name} holds the SMILES?", error.columns, index=None,
                                  key=f"{key}_smiles_column_{hashlib.sha256(content).hexdigest()[:16]}",
                                  placeholder="its header names no SMILES column: choose one")
            if column is None:
                st.warning(plain(str(error).replace(str(path), name).replace(
                    "(--smiles-column NAME; smiles_column= in Python)", "(choose it above)")))
                return None, None
            try:
                return read_molecules(path, smiles_column=column), column
            except FileFormatError as error:
                st.error(plain(str(error).replace(str(path), name)))
                return None, column
        except FileFormatError as error:
            st.error(plain(str(error).replace(str(path), name)))   # the name the chemist knows
            return None, None


def profile_file_stem(profile) -> str:
    """A profile's name as a file name's part: "drug-like", or "drug-like-edited-3f2a9c" for the shipped one edited."""
    return file_name(re.sub(r" \((?:edited |not as shipped now, )(\w+)\)$", r"-edited-\1", profile.name))


def profile_editor(prefix: str) -> tuple[ScoringProfile | None, bool]:
    """A shipped profile to pick (``{prefix}_profile``), its TOML to edit, and a download of an edit: the profile as
    edited (an edit keeping a shipped name is renamed "(edited ...)") and whether it can be used (else said why)."""
    import tomllib

    from molgen.scoring.profiles import (ProfileError, load_profile, marked_if_edited, check_new_profile,
                                         shipped_profiles)

    # each profile's edit kept while another profile is looked at (Streamlit forgot the text box it stopped drawing:
    # a review's edit of drug-like was back as shipped after a look at lead-like, unsaid)
    keep_while_hidden([f"{prefix}_toml_{name}" for name in shipped_profiles()])
    profile_name = st.selectbox("Profile", shipped_profiles(), key=f"{prefix}_profile")
    profile_text = st.text_area("Edit it here (TOML)", load_profile(profile_name).to_toml(), height=200,
                                key=f"{prefix}_toml_{profile_name}")
    try:
        profile = ScoringProfile.from_dict(tomllib.loads(profile_text), source="(edited here)")
        check_new_profile(profile, "(edited here)")   # a pattern written as a salt, refused in a profile written now
        profile = marked_if_edited(profile)
    except ProfileError as error:   # it names the profile and the place: "profile (edited here): unknown key ..."
        st.error(plain(error))
        return None, False
    except tomllib.TOMLDecodeError as error:
        st.error(plain(f"profile (edited here): not valid TOML: {error}"))
        return None, False
    if profile.to_dict() != load_profile(profile_name).to_dict():   # edited, or renamed and edited
        # kept for the command line (--profile) and the next session; its TOML as recorded, so a shipped name edited
        # stays "(edited ...)" when read back, not passed off as the shipped one
        st.download_button("Download this profile (TOML)", profile.to_toml(),
                           file_name=profile_file_stem(profile) + ".toml",
                           mime="application/toml", key=f"{prefix}_profile_download", on_click="ignore")
    return profile, True


def shown_table(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` for ``st.dataframe``, which refuses a repeated column name (a file with two "id" columns): the
    second and later named "id (2)", ...; the file written keeps the names as they are."""
    given = list(map(str, frame.columns))
    taken: set[str] = set()
    names = []
    for name in given:
        shown, n = name, 1
        while shown in taken:   # "id (2)" may be a column of the file's own too
            n += 1
            shown = f"{name} ({n})"
        taken.add(shown)
        names.append(shown)
    return frame.set_axis(names, axis=1) if names != given else frame
