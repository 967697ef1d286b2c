"""Scoring profiles: which components, transforms and weights make "a good molecule".

A profile is a Python object (:class:`ScoringProfile`) or, equally, a TOML file::

    name = "drug-like"
    aggregation = "geometric"        # or "arithmetic"
    ranking = "score"                # or "pareto" (front first, then score)
    alerts = ["pains", "brenk", "rings"]   # alert sets reported for every candidate
    ignore_alerts = ["brenk:Aliphatic_long_chain"]   # alerts accepted for this series: not reported nor counted
                                     # ("<set>:<name>", or a name alone for every set that raises it)
    rules = { lipinski = 1, veber = 0 }   # rule -> allowed violations (or a list of names)
    hard_filters = ["rings"]         # any of "alerts" (any set), one alert set ("rings", "pains", ...), "rules",
                                     # "require", "avoid": failing one sets the score to 0 (the row stays)
    references = ["CC(=O)Oc1ccccc1C(=O)O"]  # for similarity_max / similarity_mean components
    require = ["c1ccccc1"]           # substructures that must be present (SMARTS or SMILES)
    avoid = ["[N+](=O)[O-]"]         # substructures that must be absent
                                     # (require and avoid are always hard filters, named in hard_filters or not)

    [[components]]
    property = "qed"
    transform = "identity"
    weight = 2

    [[components]]
    property = "sa"
    transform = "reverse_sigmoid"
    low = 2.5
    high = 5.0

    [[components]]
    property = "alerts"              # the count of different alerts the profile reports: a soft penalty
    transform = "gaussian"           # 1 with none, 0.61 with one, 0.14 with two
    target = 0
    width = 1

Validation names the file, the place (``components[2]``) and the offending key or value,
and suggests the closest known name for a misspelling.
"""

from __future__ import annotations

import copy
import difflib
import json
import math
import re
import tomllib
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path

from molgen.scoring.aggregate import AGGREGATIONS
from molgen.scoring.alerts import ALERT_SETS, ALIASES, expand_alert_sets, known_alert_names
from molgen.scoring.desirability import TRANSFORMS, Identity, Transform, make_transform, window_of
from molgen.scoring.properties import PROPERTIES
from molgen.scoring.rules import RULES
from molgen.scoring.similarity import reference_fingerprints, refuse_a_salt, substructure_query

PROFILE_DIR = Path(__file__).parent / "profiles"
#: The profile a molecule is scored with when none is named (the command line's default, and the workbench's).
DEFAULT_PROFILE = "drug-like"
SIMILARITY_PROPERTIES = ("similarity_max", "similarity_mean")
#: A component on the alert count (each different finding once) of the sets the profile reports: a molecule with
#: a PAINS or reactive-group alert scores lower without being struck out as a hard filter would.
ALERT_COUNT = "alerts"
HARD_FILTERS = ("alerts", "rules", "require", "avoid")
RANKINGS = ("score", "pareto")
_TOP_KEYS = ("name", "description", "aggregation", "ranking", "alerts", "ignore_alerts", "rules", "hard_filters",
             "references", "require", "avoid", "components")
_COMPONENT_KEYS = ("property", "transform", "weight")
_LIST_KEYS = ("alerts", "ignore_alerts", "hard_filters", "references", "require", "avoid")


class ProfileError(ValueError):
    """A profile that cannot be used; the message says which profile, where, and what."""


@dataclass(frozen=True)
class Component:
    """One scored property: its desirability transform and its weight in the aggregate."""

    property: str
    transform: Transform
    weight: float = 1.0


@dataclass
class ScoringProfile:
    """A named scoring recipe; see the module docstring for the TOML form."""

    name: str
    components: list[Component]
    description: str = ""
    aggregation: str = "geometric"
    ranking: str = "score"
    alerts: list[str] = field(default_factory=list)
    ignore_alerts: list[str] = field(default_factory=list)
    rules: dict[str, int] = field(default_factory=dict)
    hard_filters: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    require: list[str] = field(default_factory=list)
    avoid: list[str] = field(default_factory=list)
    source: str = field(default="", compare=False, repr=False)  # the file it came from, for messages
    #: the digest of everything a profile read back from a run holds (its record, an export's manifest; the name
    #: included), set by :func:`mark_stored`; empty for any other. See :attr:`stored`.
    stored_content: str = field(default="", compare=False, repr=False)

    @property
    def stored(self) -> bool:
        """Whether this is a run's profile as read back, unedited since: read as it ranked, without the checks a
        profile written now must pass (:func:`check_new_profile`), named as stored (:func:`marked_as_stored`). One
        edited since (in place, or by ``dataclasses.replace``) is a profile written now (a review)."""
        return bool(self.stored_content) and self.stored_content == _whole_digest(self)

    def __post_init__(self) -> None:
        self.validate()

    @property
    def filters_applied(self) -> list[str]:
        """The hard filters scoring applies: ``hard_filters``, and ``require`` and ``avoid`` wherever the profile has
        patterns there, named or not (a substructure that "must" be present or absent was only a column unless named,
        and a molecule holding an avoided nitro group ranked first: a review). The profile itself is left as written."""
        return list(self.hard_filters) + [key for key in ("require", "avoid")
                                          if getattr(self, key) and key not in self.hard_filters]

    def validate(self) -> None:
        """Raise :class:`ProfileError` for anything a scoring run would trip over later."""
        where = f"profile {self.source or repr(self.name)}"
        for key in _LIST_KEYS:
            setattr(self, key, _list_of_texts(getattr(self, key), key, where))
        if not self.components:
            raise ProfileError(f"{where}: at least one component is needed")
        _choice(self.aggregation, AGGREGATIONS, f"{where}, aggregation")
        _choice(self.ranking, RANKINGS, f"{where}, ranking")
        for i, component in enumerate(self.components, start=1):
            if not isinstance(component, Component):
                raise ProfileError(f"{where}, components[{i}]: expected a Component(property, transform), got "
                                   f"{component!r}")
            if not isinstance(component.transform, Transform):   # Component("logp", "gaussian"): an AttributeError
                raise ProfileError(f"{where}, components[{i}].transform: expected a transform such as Gaussian(target=2, "
                                   f"width=1) or make_transform('gaussian', target=2, width=1), got {component.transform!r}")
            known = tuple(PROPERTIES) + SIMILARITY_PROPERTIES + (ALERT_COUNT,)
            _choice(component.property, known, f"{where}, components[{i}].property")
            if component.property in SIMILARITY_PROPERTIES and not self.references:
                raise ProfileError(f"{where}, components[{i}]: {component.property} needs `references`")
            if component.property == ALERT_COUNT and not self.alerts:
                raise ProfileError(f"{where}, components[{i}]: {ALERT_COUNT} counts the alerts of the sets the profile "
                                   "reports, and it reports none: add some to `alerts`")
            if isinstance(component.transform, Identity) and not _on_unit_scale(component.property):
                # a value past 1 is clipped to 1: every molecule of MW 1 or more scores alike, silently
                raise ProfileError(f"{where}, components[{i}]: {component.property} runs past 0 to 1, which identity "
                                   "(the transform when none is named) clips to; name a transform that maps it there "
                                   f"({', '.join(kind for kind in TRANSFORMS if kind != 'identity')})")
            if not component.weight >= 0 or not math.isfinite(component.weight):   # inf would make every score NaN
                raise ProfileError(f"{where}, components[{i}].weight: must be a finite number >= 0, got {component.weight}")
            first = self.properties.index(component.property) + 1
            if first < i:   # a table has one d_<property> column: a second component's would hide the first's
                raise ProfileError(f"{where}, components[{i}]: {component.property} is scored by components[{first}] "
                                   "already; one component per property (combine the two windows in one transform)")
        if sum(c.weight for c in self.components) <= 0:
            raise ProfileError(f"{where}: the component weights are all zero")
        try:
            expand_alert_sets(self.alerts)
        except ValueError as error:
            raise ProfileError(f"{where}, alerts: {error}") from None
        if self.ignore_alerts:   # a misspelt name would leave the alert counted without a word
            known = known_alert_names(self.alerts)
            bare = {name.partition(":")[2] for name in known}
            for name in self.ignore_alerts:
                if name not in known and name not in bare and not (name.startswith("moses:") and
                                                                   not any(k.startswith("moses:MCF") for k in known)):
                    close = difflib.get_close_matches(name, sorted(known | bare), n=1)
                    raise ProfileError(f"{where}, ignore_alerts: {name!r} is no alert of the sets it reports "
                                       f"({', '.join(self.alerts) or 'none'})"
                                       + (f"; did you mean {close[0]!r}?" if close else ""))
        if not isinstance(self.rules, dict):
            raise ProfileError(f"{where}, rules: expected a list of rule names or a table of allowed violations, got "
                               f"{self.rules!r} (write rules = [\"lipinski\"])")
        for rule, allowed in self.rules.items():
            _choice(rule, RULES, f"{where}, rules")
            if not isinstance(allowed, int) or isinstance(allowed, bool) or allowed < 0:   # true is no count
                raise ProfileError(f"{where}, rules.{rule}: allowed violations must be a whole number >= 0, got {allowed!r}")
        reported = expand_alert_sets(self.alerts)
        for name in self.hard_filters:
            if name in ALERT_SETS or name in ALIASES:
                # a filter on an alert set the profile does not report would silently pass everything
                if not set(expand_alert_sets([name])) <= set(reported):
                    raise ProfileError(f"{where}, hard_filters: {name!r} is an alert set the profile does not report; "
                                       f"add it to alerts ({', '.join(self.alerts) or 'none'})")
                continue
            _choice(name, HARD_FILTERS + ALERT_SETS + tuple(ALIASES), f"{where}, hard_filters")
            # likewise a filter on rules, patterns or alerts the profile does not name: nothing could fail it
            if not getattr(self, name):
                raise ProfileError(f"{where}, hard_filters: {name!r} filters on the profile's `{name}`, and it has "
                                   f"none, so it would pass every molecule: add some to `{name}`, or drop the filter")
        try:
            reference_fingerprints(self.references)
        except ValueError as error:
            raise ProfileError(f"{where}, references: {error}") from None
        for key in ("require", "avoid"):
            for text in getattr(self, key):
                try:
                    substructure_query(text)
                except ValueError as error:
                    raise ProfileError(f"{where}, {key}: {error}") from None

    @property
    def properties(self) -> list[str]:
        return [c.property for c in self.components]

    @classmethod
    def from_dict(cls, data: dict, source: str = "<dict>") -> "ScoringProfile":
        """Build from the parsed TOML structure; errors name ``source`` and the place."""
        where = f"profile {source}"
        _unknown_keys(data, _TOP_KEYS, where)
        if "name" not in data:
            raise ProfileError(f"{where}: missing `name`")
        components = []
        raw_components = data.get("components", [])
        if not isinstance(raw_components, list):
            raise ProfileError(f"{where}, components: expected a list of [[components]] tables")
        for i, raw in enumerate(raw_components, start=1):
            place = f"{where}, components[{i}]"
            if not isinstance(raw, dict):
                raise ProfileError(f"{place}: expected a table")
            if "property" not in raw:
                raise ProfileError(f"{place}: missing `property`")
            transform_kind = raw.get("transform", "identity")
            params = {k: v for k, v in raw.items() if k not in _COMPONENT_KEYS}
            try:
                transform = make_transform(transform_kind, **params)
            except ValueError as error:
                suggestion = _suggest_param(params, transform_kind)
                raise ProfileError(f"{place} ({raw['property']}): {error}{suggestion}") from None
            weight = raw.get("weight", 1.0)
            if not isinstance(weight, (int, float)) or isinstance(weight, bool):
                raise ProfileError(f"{place}.weight: {weight!r} is not a number (write it without quotes)")
            components.append(Component(raw["property"], transform, float(weight)))
        rules = data.get("rules", {})
        if isinstance(rules, list) and not all(isinstance(name, str) for name in rules):   # [["lipinski"]]: unhashable
            raise ProfileError(f"{where}, rules: expected a list of rule names, got {rules!r} (write rules = "
                               "[\"lipinski\"])")
        if isinstance(rules, list):
            rules = {name: RULES[name].allowed_violations if name in RULES else 0 for name in rules}
        return cls(
            name=data["name"], components=components, description=data.get("description", ""),
            aggregation=data.get("aggregation", "geometric"), ranking=data.get("ranking", "score"),
            # a text (rules = "lipinski") is refused by validate, named, not by dict()'s own error (a review)
            rules=dict(rules) if isinstance(rules, dict) else rules, source=source,
            **{key: data.get(key, []) for key in _LIST_KEYS},   # checked by validate
        )

    def to_dict(self) -> dict:
        self.validate()   # a field set after construction (profile.avoid = "CN") is checked before it is written
        return {
            "name": self.name, "description": self.description, "aggregation": self.aggregation,
            "ranking": self.ranking, "alerts": list(self.alerts),
            **({"ignore_alerts": list(self.ignore_alerts)} if self.ignore_alerts else {}), "rules": dict(self.rules),
            "hard_filters": list(self.hard_filters), "references": list(self.references),
            "require": list(self.require), "avoid": list(self.avoid),
            "components": [
                {"property": c.property, "transform": c.transform.kind, "weight": c.weight,
                 **{k: v for k, v in c.transform.params().items() if v is not None}}
                for c in self.components
            ],
        }

    def to_toml(self) -> str:
        """The profile as TOML text that :func:`load_profile` reads back to an equal profile."""
        data = self.to_dict()
        lines = []
        for key in _TOP_KEYS[:-1]:
            if key not in data:   # ignore_alerts, written only when the profile has some
                continue
            value = data[key]
            if key == "rules":
                lines.append("rules = { " + ", ".join(f"{k} = {v}" for k, v in value.items()) + " }")
            else:
                lines.append(f"{key} = {_toml_value(value)}")
        for component in data["components"]:
            lines.append("\n[[components]]")
            lines.extend(f"{k} = {_toml_value(v)}" for k, v in component.items())
        return "\n".join(lines) + "\n"


def _window_beyond_reach(component) -> str | None:
    """Why a component's window lies wholly outside the values its property can take (a QED window of 200 to 500, a
    window meant for MW: every molecule then gets one desirability, and the score says nothing; a review), or
    None. Only a property's hard bounds count (QED 0 to 1, MW above 0): a peptide's MW of 2,700 is a molecule's
    too, and a window no scored molecule comes near is said when scoring (``WindowOutOfReach``)."""
    spec = PROPERTIES.get(component.property)
    window = window_of(component.transform)
    if spec is None or window is None:
        return None
    least = spec.floor if spec.floor is not None else -math.inf
    most = spec.ceiling if spec.ceiling is not None else math.inf
    said = f"{component.property}'s {component.transform.kind} ({component.transform.shown()})"
    if math.isfinite(least) and math.isfinite(most):   # bounded both ways: how much it changes across the bounds
        import numpy as np

        # the window's own edges among the points: a narrow one between two of them still counts
        inside = [x for x in (*window, *_middle(component)) if math.isfinite(x) and least <= x <= most]
        values = component.transform(np.concatenate([np.linspace(least, most, 401), inside]))
        if float(values.max() - values.min()) >= 0.01:
            return None
        return (f"{said} changes by less than 0.01 over the values {component.property} ({spec.description}) can "
                f"take, {least:g} to {most:g}: every molecule would get one desirability (a window meant for another "
                "property?)")
    if window[1] >= least and window[0] <= most:
        return None
    bounds = f"above {least:g}" if math.isfinite(least) else f"below {most:g}"
    where = (f"between {window[0]:.3g} and {window[1]:.3g}" if math.isfinite(window[0]) and math.isfinite(window[1])
             else f"below {window[1]:.3g}" if math.isfinite(window[1]) else f"above {window[0]:.3g}")
    return (f"{said} changes only {where}, and {component.property} "
            f"({spec.description}) lies {bounds}: every molecule would get one desirability (a window meant for "
            "another property?)")


def _middle(component) -> list[float]:
    """A transform's own centre (a Gaussian's target, a step's bounds), where it is most unlike its tails."""
    params = component.transform.params()
    return [float(v) for k, v in params.items() if k in ("target", "low", "high", "start", "end") and v is not None
            and math.isfinite(v)]


def _on_unit_scale(name: str) -> bool:
    """Whether a property's values lie between 0 and 1 already (QED, Fsp3, a similarity), so identity keeps them."""
    if name in SIMILARITY_PROPERTIES:
        return True
    spec = PROPERTIES.get(name)
    return spec is not None and spec.floor is not None and spec.floor >= 0 and spec.ceiling is not None \
        and spec.ceiling <= 1


def _list_of_texts(value, key: str, where: str) -> list[str]:
    """A list key's value as a list; one text written without brackets is refused, not read as its characters
    (avoid = "CN" as avoiding C and N)."""
    if isinstance(value, str):
        raise ProfileError(f"{where}, {key}: expected a list, got the text {value!r} (write {key} = [{json.dumps(value)}])")
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
        raise ProfileError(f"{where}, {key}: expected a list of texts, got {value!r}")
    return list(value)


def load_profile(name_or_path: str | Path | ScoringProfile | dict) -> ScoringProfile:
    """A shipped profile by name (``drug-like``, ``lead-like``), a TOML file by path, or a JSON file: a profile
    as a run records it, or an export's manifest (``*.manifest.json``), whose run's profile is taken, so an
    edited profile is reused as it ranked that run; or a dict, as a TOML file parses (``{"name": ..., "components":
    [...]}``)."""
    if isinstance(name_or_path, ScoringProfile):
        if name_or_path.stored:   # a run's, read as it ranked
            return name_or_path
        # any other object (built in Python, or a shipped one edited in place or by dataclasses.replace): checked as
        # a TOML file's is, and an edit under a shipped name marked so (a review: a salt reference scored
        # paracetamol 0.952 against itself; "drug-like" with one component was recorded as the shipped profile).
        # On a copy, validated as it is now (an edit in place is checked), sharing nothing with the caller's object.
        profile = copy.deepcopy(name_or_path)
        profile.validate()
        check_new_profile(profile, profile.source or repr(profile.name))
        return marked_if_edited(profile)
    if isinstance(name_or_path, dict):   # a script's own profile: checked as a TOML file's is
        profile = ScoringProfile.from_dict(name_or_path, "<dict>")
        check_new_profile(profile, "<dict>")
        return marked_if_edited(profile)
    if not isinstance(name_or_path, (str, Path)):   # pathlib's own TypeError named no profile (a review)
        raise ProfileError(f"a profile is a shipped name ({', '.join(shipped_profiles())}), a TOML or JSON path, a "
                           f"dict or a ScoringProfile, not {type(name_or_path).__name__}")
    path = Path(name_or_path)
    if not path.suffix:
        shipped = PROFILE_DIR / f"{name_or_path}.toml"
        if not shipped.is_file():
            close = difflib.get_close_matches(str(name_or_path).replace("_", "-").lower(), shipped_profiles(), n=1)
            raise ProfileError(f"no shipped profile {str(name_or_path)!r}"
                               + (f" (did you mean {close[0]!r}?)" if close else "")
                               + f"; shipped: {', '.join(shipped_profiles())} (or give a .toml path)")
        path = shipped
    if not path.is_file():
        raise ProfileError(f"profile file {path} does not exist")
    if path.suffix.lower() == ".json":
        # a run's stored profile (its record or an export's manifest): named as Compare names it
        return marked_as_stored(ScoringProfile.from_dict(_profile_in_json(path), str(path)))
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ProfileError(f"profile {path}: not valid TOML ({error})") from None
    profile = ScoringProfile.from_dict(data, str(path))
    check_new_profile(profile, str(path))
    return profile if path.resolve().parent == PROFILE_DIR.resolve() else marked_if_edited(profile)


def check_new_profile(profile: ScoringProfile, where: str) -> None:
    """A ``ProfileError`` for what a profile written now (a TOML file, a dict, the Generate page's editor) must not
    hold: a component whose window lies wholly outside the values its property takes (:func:`_window_beyond_reach`);
    a ``require`` or ``avoid`` pattern, or a reference, written as a salt (a review: ``nitrobenzene.Cl`` to avoid let
    nitrobenzene pass and struck out 4-chloronitrobenzene; :func:`~molgen.scoring.similarity.refuse_a_salt`). A
    run's stored profile is read as it ranked, without these: a check added since must not lock a chemist out of
    their runs."""
    stored = where.startswith("run ") or where.lower().endswith(".json")
    # a run's stored profile, reused: how to give a new run or table a corrected one
    hint = (" (a run's stored profile, read as it ranked that run; a new run or table needs one corrected: --profile "
            "FILE, or fill the Generate page's form from the run and edit its profile there)") if stored else ""
    for key in ("name", "description"):   # name = 3 failed later, in a regular expression (a review); a stored
        if not isinstance(getattr(profile, key), str):   # description 5 is no reason to lock a run (a review of it)
            raise ProfileError(f"profile {where}, {key}: expected a text, got {getattr(profile, key)!r} (write "
                               f"{key} = \"...\"){hint}")
    for i, component in enumerate(profile.components, start=1):
        if (beyond := _window_beyond_reach(component)) is not None:   # every molecule would score alike
            raise ProfileError(f"profile {where}, components[{i}]: {beyond}{hint}")
    for key in ("require", "avoid", "references"):
        for text in getattr(profile, key):
            try:
                refuse_a_salt(text) if key != "references" else _refuse_a_salt_reference(text)
            except ValueError as error:
                raise ProfileError(f"profile {where}, {key}: {error}{hint}") from None


def _refuse_a_salt_reference(text: str) -> None:
    """``ValueError`` for a reference to be similar to written as a salt or mixture: its counter-ion's bits are in
    its fingerprint, so the free base itself scored 0.89 against it (a review)."""
    from rdkit import Chem

    from molgen.chem.counterions import is_organic
    from molgen.chem.parse import parse_smiles
    from molgen.chem.standardize import salt_parent

    parsed = parse_smiles(text)
    if parsed.ok and len(Chem.GetMolFrags(parsed.mol)) > 1:
        parent = salt_parent(parsed.mol)
        raise ValueError(f"{text!r} is a salt or mixture: give the one molecule to compare with"
                         + (f", e.g. its parent {Chem.MolToSmiles(parent)}" if is_organic(parent) else "")
                         + " (a counter-ion's bits would lower every similarity to it)")


def stored_profile(data: dict, source: str) -> ScoringProfile:
    """The profile a run stored, read back to rank, resume or repeat it; a ``ProfileError`` saying so when a check
    added since the run refuses it (two components on one property, a rule written ``true``)."""
    try:
        return mark_stored(ScoringProfile.from_dict(data, source))
    except ProfileError as error:
        raise ProfileError(f"{error} (the profile stored with {source} is refused by a check added since it ran: "
                           "repeat the run with a corrected profile, `molgen generate --like RUN --profile FILE` or "
                           "another profile on the Generate page)") from None


def content_digest(profile: ScoringProfile) -> str:
    """Six hex digits of a profile's content (its name aside): the same edit gives the same digest."""
    import hashlib
    import json

    content = {k: v for k, v in profile.to_dict().items() if k != "name"}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:6]


def marked_if_edited(profile: ScoringProfile) -> ScoringProfile:
    """A profile that carries a shipped profile's name with other content is renamed "NAME (edited DIGEST)",
    so that a run's record, its export manifest and Compare never pass an edit off as the shipped profile
    (a copy of drug-like.toml with one weight changed, say); the digest tells two edits apart."""
    if profile.name in shipped_profiles() and not _scores_as_shipped(profile, profile.name):
        profile.name = f"{profile.name} (edited {content_digest(profile)})"
    elif (marked := _MARKED_NAME.fullmatch(profile.name)) and marked["base"] in shipped_profiles() \
            and marked["digest"] != content_digest(profile):   # edited again under its mark: the mark follows it
        base = marked["base"]
        profile.name = base if _scores_as_shipped(profile, base) else f"{base} (edited {content_digest(profile)})"
    return profile


#: A shipped profile's name as molgen marks another content under it: "(edited D)" or "(not as shipped now, D)".
_MARKED_NAME = re.compile(r"(?P<base>.+) \((?:edited |not as shipped now, )(?P<digest>[0-9a-f]{6})\)")


def _scores_as_shipped(profile: ScoringProfile, name: str) -> bool:
    """Whether ``profile`` scores as the shipped profile ``name`` does (names and descriptions aside; compared as
    values, so a weight written 2 is the shipped 2.0)."""
    return _scored_content(profile) == _shipped_scored_content(name, (PROFILE_DIR / f"{name}.toml").stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _shipped_scored_content(name: str, modified: int) -> dict:
    """A shipped profile's scored content, read once per version of its file (a store's list of runs compares each
    run's profile with it; a file changed under a running app is read again). Read-only: shared by every caller."""
    return _scored_content(load_profile(name))


def _scored_content(profile: ScoringProfile) -> dict:
    """What a profile scores by: its content without its name and description (a shipped profile's wording
    changed is no other profile)."""
    return {k: v for k, v in profile.to_dict().items() if k not in ("name", "description")}


def _read_back(data: dict) -> ScoringProfile | None:
    """A stored profile read back, as a run's record is (keys an older molgen left out take their defaults); None
    where a check added since refuses it, or a record edited by hand holds no profile."""
    try:
        return mark_stored(ScoringProfile.from_dict(data, "a run"))
    except (ProfileError, ValueError, TypeError, KeyError, AttributeError):
        return None


def differs_from_shipped(data: dict) -> bool:
    """Whether a stored profile carries a shipped profile's name with other content: a run scored by an older
    molgen's drug-like (before a hard filter was added, say) or under an edit that kept the name."""
    name = data.get("name", "")
    if name not in shipped_profiles():
        return False
    stored = _read_back(data)
    return stored is None or not _scores_as_shipped(stored, name)


def stored_profile_label(data: dict) -> str:
    """A stored profile's name as a table of runs shows it: "drug-like (not as shipped now, DIGEST)" where its
    content is not the shipped drug-like's, so two runs under one name and two contents are not read as alike (a
    run repeating it records that name, :func:`marked_as_stored`); a chemist's own profile as "NAME (DIGEST)"."""
    name = data.get("name", "")
    if name not in shipped_profiles():
        if not name or _MARKED_NAME.fullmatch(name) or (own := _read_back(data)) is None:   # a digest shown, or none
            return name
        # a chemist's own profile, edited between runs under one name: its content's digest tells them apart (a
        # review: two versions of "my-cns" were both shown as my-cns)
        return f"{name} ({content_digest(own)})"
    stored = _read_back(data)
    if stored is None:   # its name is all there is to show
        return f"{name} (not as shipped now)"
    return name if _scores_as_shipped(stored, name) else f"{name} (not as shipped now, {content_digest(stored)})"


def marked_as_stored(profile: ScoringProfile) -> ScoringProfile:
    """A stored profile under a shipped name with other content, renamed as :func:`stored_profile_label` shows it,
    so a run repeating it records it so, not as the shipped one."""
    if profile.name in shipped_profiles() and not _scores_as_shipped(profile, profile.name):
        profile.name = f"{profile.name} (not as shipped now, {content_digest(profile)})"
    return mark_stored(profile)


def mark_stored(profile: ScoringProfile) -> ScoringProfile:
    """``profile`` (read back from a run) flagged as stored, as it is now, its name included
    (:attr:`ScoringProfile.stored`: a stored profile renamed "drug-like" is one written now, a review)."""
    profile.stored_content = _whole_digest(profile)
    return profile


def _whole_digest(profile: ScoringProfile) -> str:
    """A digest of everything a profile holds, its name and description too (:func:`content_digest` leaves them out)."""
    import hashlib

    return hashlib.sha256(json.dumps(profile.to_dict(), sort_keys=True, default=str).encode()).hexdigest()


def _profile_in_json(path: Path) -> dict:
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ProfileError(f"profile {path}: not valid JSON ({error.msg}, line {error.lineno})") from None
    if isinstance(data, dict) and isinstance(data.get("run"), dict) and isinstance(data["run"].get("profile"), dict):
        return data["run"]["profile"]   # an export's manifest
    if isinstance(data, dict) and isinstance(data.get("profile"), dict):
        return data["profile"]   # a run's record (molgen runs show --json)
    if isinstance(data, dict) and "components" in data:
        return data
    raise ProfileError(f"profile {path}: holds no scoring profile (a profile's fields, a run record with 'profile', "
                       "or an export manifest)")


def shipped_profiles() -> list[str]:
    return sorted(p.stem for p in PROFILE_DIR.glob("*.toml"))


def _choice(value: str, known, where: str) -> None:
    if value not in known:
        close = difflib.get_close_matches(str(value), list(known), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ProfileError(f"{where}: unknown {value!r}{hint}; known: {', '.join(known)}")


def _unknown_keys(data: dict, known: tuple[str, ...], where: str) -> None:
    for key in data:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ProfileError(f"{where}: unknown key {key!r}{hint}")


def _suggest_param(params: dict, kind: str) -> str:
    if kind not in TRANSFORMS:
        return ""
    names = [f.name for f in fields(TRANSFORMS[kind])] + list(_COMPONENT_KEYS)
    for key in params:
        close = difflib.get_close_matches(key, names, n=1)
        if key not in names and close:
            return f" (did you mean {close[0]!r} for {key!r}?)"
    return ""


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):   # a basic string: control characters (a description's line breaks) escaped
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return '"' + re.sub(r"[\x00-\x1f\x7f]", lambda m: {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(
            m[0], f"\\u{ord(m[0]):04x}"), escaped) + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")
