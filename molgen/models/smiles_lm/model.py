"""The SMILES language models: a character LSTM and a GPT-style transformer with a KV cache,
and ``SmilesLM``, the Generator that wraps either with its vocabulary.

Both networks map token ids ``(batch, time)`` to next-token logits and carry a ``state``
between calls, so sampling feeds one token at a time: the LSTM's state is its ``(h, c)``;
the transformer's is a per-layer key/value cache (or ``None`` to recompute the prefix).
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from rdkit import Chem
from torch import nn

from molgen.chem.graph import has_stereo
from molgen.chem.rdkit_log import quiet_rdkit
from molgen.chem.standardize import without_stereo
from molgen.data.tokenizer import SmilesVocabulary
from molgen.models.base import (Conditions, Sample, load_checkpoint, normalise_targets, range_target_basis, range_targets,
                                save_checkpoint)
from molgen.models.smiles_lm.config import SmilesLMConfig
from molgen.models.smiles_lm.scaffold import AttachmentError, attachment_point, decoration_spellings

#: Spellings of a scaffold tried per position; the model completes the one whose trial completions most often hold
#: the scaffold (then the one it finds most likely): :data:`TRIAL_COMPLETIONS` of each, drawn under
#: :data:`TRIAL_SEED`, so a run repeats.
SPELLINGS_PER_POSITION = 8
TRIAL_COMPLETIONS = 8
TRIAL_SEED = 0

FAMILY = "smiles-lm"


class LSTMNet(nn.Module):
    """Embedding -> multi-layer LSTM -> linear head (the MOSES CharRNN shape)."""

    def __init__(self, config: SmilesLMConfig):
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.embed_dim)
        self.lstm = nn.LSTM(config.embed_dim, config.hidden_dim, config.lstm_layers, batch_first=True,
                            dropout=config.dropout if config.lstm_layers > 1 else 0.0)
        self.head = nn.Linear(config.hidden_dim, config.vocab_size)

    def forward(self, tokens: torch.Tensor, state=None, conditions: torch.Tensor | None = None, position: int = 0,
                use_cache: bool = True):
        out, state = self.lstm(self.embed(tokens), state)
        return self.head(out), state


class CausalSelfAttention(nn.Module):
    def __init__(self, config: SmilesLMConfig):
        super().__init__()
        self.n_heads = config.n_heads
        self.qkv = nn.Linear(config.d_model, 3 * config.d_model)
        self.proj = nn.Linear(config.d_model, config.d_model)
        self.dropout = config.dropout

    def forward(self, x: torch.Tensor, cache: tuple[torch.Tensor, torch.Tensor] | None):
        b, t, d = x.shape
        if cache is not None and t > 1:
            raise ValueError("with a KV cache, feed one token at a time")
        q, k, v = self.qkv(x).split(d, dim=2)
        q, k, v = (z.view(b, t, self.n_heads, d // self.n_heads).transpose(1, 2) for z in (q, k, v))
        if cache is not None:  # append this step's keys/values to everything seen before
            k, v = torch.cat([cache[0], k], dim=2), torch.cat([cache[1], v], dim=2)
        # A single new token after a cache attends to every position; a fresh sequence is causal.
        y = F.scaled_dot_product_attention(q, k, v, is_causal=cache is None,
                                           dropout_p=self.dropout if self.training else 0.0)
        return self.proj(y.transpose(1, 2).reshape(b, t, d)), (k, v)


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, config: SmilesLMConfig):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(config.d_model), nn.LayerNorm(config.d_model)
        self.attn = CausalSelfAttention(config)
        self.mlp = nn.Sequential(nn.Linear(config.d_model, config.ff_dim), nn.GELU(), nn.Linear(config.ff_dim, config.d_model),
                                 nn.Dropout(config.dropout))

    def forward(self, x, cache):
        attended, cache = self.attn(self.norm1(x), cache)
        x = x + attended
        return x + self.mlp(self.norm2(x)), cache


class TransformerNet(nn.Module):
    """GPT-style causal transformer; optional property conditioning added to every position.

    Each conditioning property has a learned direction scaled by its normalised target and a
    learned "absent" vector used when the target is not given (NaN), so one model samples
    with any subset of targets or none.
    """

    def __init__(self, config: SmilesLMConfig):
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.d_model)
        self.position = nn.Embedding(config.max_len, config.d_model)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.n_layers))
        self.norm = nn.LayerNorm(config.d_model)
        self.head = nn.Linear(config.d_model, config.vocab_size, bias=False)
        self.drop = nn.Dropout(config.dropout)
        n_cond = len(config.conditions)
        if n_cond:
            self.cond_scale = nn.Parameter(torch.randn(n_cond, config.d_model) * 0.02)
            self.cond_absent = nn.Parameter(torch.zeros(n_cond, config.d_model))
        self.apply(self._init)

    @staticmethod
    def _init(module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)

    def condition_vector(self, conditions: torch.Tensor | None, batch: int) -> torch.Tensor | None:
        """(batch, d_model) from normalised targets (NaN = absent); ``None`` without conditioning."""
        if not self.config.conditions:
            return None
        if conditions is None:
            conditions = torch.full((batch, len(self.config.conditions)), float("nan"))
        present = ~torch.isnan(conditions)
        values = torch.nan_to_num(conditions)
        per_property = torch.where(present[..., None], values[..., None] * self.cond_scale, self.cond_absent)
        return per_property.sum(dim=1)

    def forward(self, tokens: torch.Tensor, state=None, conditions: torch.Tensor | None = None, position: int = 0,
                use_cache: bool = False):
        """Logits for ``tokens`` starting at ``position``; with ``use_cache`` (or a ``state``) also
        the per-layer key/value cache to pass back with the next single token."""
        b, t = tokens.shape
        if position + t > self.config.max_len:
            raise ValueError(f"sequence of {position + t} tokens exceeds max_len {self.config.max_len}")
        positions = torch.arange(position, position + t, device=tokens.device)
        x = self.embed(tokens) + self.position(positions)
        cond = self.condition_vector(conditions, b)
        if cond is not None:
            x = x + cond[:, None, :]
        x = self.drop(x)
        keep = use_cache or state is not None
        new_state = []
        for i, block in enumerate(self.blocks):
            x, cache = block(x, state[i] if state is not None else None)
            if keep:
                new_state.append(cache)
        return self.head(self.norm(x)), (new_state if keep else None)


def _smiles_or_none(text: str) -> Chem.Mol | None:
    """The scaffold as a molecule, or None for a SMARTS pattern (filtered for, not completed), without RDKit's
    parse error on the terminal."""
    with quiet_rdkit():
        return Chem.MolFromSmiles(text)


def build_network(config: SmilesLMConfig) -> nn.Module:
    if config.arch == "lstm":
        return LSTMNet(config)
    if config.arch == "transformer":
        return TransformerNet(config)
    raise ValueError(f"unknown architecture {config.arch!r}; use lstm or transformer")


class SmilesLM:
    """A trained SMILES language model: network, vocabulary and the record of its training."""

    family = FAMILY
    #: What a run stored before its sampling defaults were pinned (``sample_options`` {}) sampled with, filled in
    #: on resume and --like as the graph families' are (``molgen.runs``): a later default does not change it.
    OPTIONS_BEFORE_PINNED = {"strategy": "sample", "temperature": 1.0, "top_k": 0, "top_p": 1.0}

    def __init__(self, config: SmilesLMConfig, vocabulary: SmilesVocabulary, network: nn.Module | None = None,
                 training: dict | None = None):
        self.config, self.vocabulary = config, vocabulary
        self.network = network or build_network(config)
        self.training = training or {}

    def sample(self, n: int, *, conditions: Conditions | None = None, seed: int | None = None, **options) -> list[Sample]:
        """``n`` SMILES strings (invalid ones included; nothing is corrected), each with its log-likelihood.

        Options: ``strategy`` (``sample`` | ``greedy`` | ``beam``), ``temperature``, ``top_k``,
        ``top_p``, ``beam_width``, ``batch_size``, ``max_len``, ``use_cache`` (transformer), ``bf16``
        (the forward pass in bfloat16: faster on CPUs with AVX512-BF16; not for beam search).
        ``conditions.prefix`` completes a given SMILES prefix; ``conditions.targets`` steer a
        conditional transformer.
        """
        from molgen.models.base import (SAMPLE_OPTIONS, check_sample_request, refuse_unknown_options,
                                        warn_unread_conditions)
        from molgen.models.smiles_lm.sample import generate

        # named as this method's, not the sampler's ("generate() got an unexpected keyword argument 'decoding'")
        refuse_unknown_options(self.family, {k: v for k, v in options.items() if k not in SAMPLE_OPTIONS[self.family]})
        check_sample_request(n, conditions, options.get("batch_size"))
        # a scaffold reaches the sampler as prefixes (native_conditions), never as itself
        warn_unread_conditions(self.family, conditions, {"prefix", "prefixes", "targets"})
        return generate(self, n, conditions=conditions, seed=seed, **options)

    def check_sample_options(self, **options) -> dict:
        """Refuse bad option values before a run is stored (``molgen.runs.generate`` calls this), and return them
        with the sampling defaults written in (strategy, temperature, top-k and top-p; a beam's width), so a run's
        record and manifest say how it sampled (a review: ``{}``) and a run resumed or repeated after a default
        changed samples as it began, as the graph families' runs do."""
        from molgen.models.smiles_lm.sample import BEAM_WIDTH, SAMPLING_DEFAULTS, check_options

        check_options(self, **options)
        pinned = {**SAMPLING_DEFAULTS, **options}
        if pinned["strategy"] == "beam":
            pinned.setdefault("beam_width", BEAM_WIDTH)
        return pinned

    def native_conditions(self, conditions: Conditions) -> tuple[Conditions, dict[str, str]]:
        """The conditions this model steers itself, and how (the pipeline filters for all of them anyway).

        A conditional transformer takes property targets; a range becomes a target at its middle; a one-sided
        bound, the training mean when that lies well inside it, else half a training standard deviation inside.
        A prefix, or a scaffold written as SMILES, is met by left-to-right completion: a scaffold as several
        prefixes, each ending at another atom that can take a group (``smiles_lm.scaffold``).
        """
        steer = Conditions(prefix=conditions.prefix)
        how: dict[str, str] = {}
        names = self.config.conditions
        for name, value in conditions.targets.items():
            if name in names:
                steer.targets[name] = value
                how[f"target {name}"] = f"property conditioning (target {value:g})"
        for name, target in range_targets(conditions, names, self.config.condition_std,
                                                 self.config.condition_mean).items():
            steer.targets[name] = target
            mean = self.config.condition_mean[names.index(name)] if self.config.condition_mean else None
            basis = range_target_basis(*conditions.ranges[name], target, mean)
            how[f"range {name}"] = f"property conditioning (target {target:.3g}: {basis}; the filter keeps the whole range)"
        if conditions.prefix:
            how["prefix"] = "left-to-right completion"
        elif conditions.scaffold and (scaffold := _smiles_or_none(conditions.scaffold)) is not None:
            try:
                marked = attachment_point(scaffold)
            except AttachmentError:   # several * (or one inside a ring): the pipeline's filter alone enforces it
                return steer, how
            positions = None
            if marked is not None:   # the group goes where the chemist put the *, nowhere else
                scaffold, anchor = marked
                positions = {anchor}
            spellings, unassigned = self._spellings(scaffold, positions), ""
            if not spellings and has_stereo(scaffold):
                # a model trained without stereo (MOSES) has no @ or / token: it completes the scaffold with its
                # stereo left unassigned, which the filter passes (it may be the stereoisomer asked for)
                # read again from its SMILES: a [C@H]'s hydrogen, bracketed for its stereo, is then one a group
                # may take, as the scaffold written without stereo has it (an attachment point's atom found again)
                flat = Chem.MolFromSmiles(Chem.MolToSmiles(without_stereo(scaffold)))
                order = flat.GetSubstructMatch(without_stereo(scaffold))
                scaffold, positions = flat, positions and {order[index] for index in positions}
                spellings = self._spellings(scaffold, positions)
                unassigned = (", its stereo left unassigned (the model writes none; a run then sets the scaffold's "
                              "stereocentres on each molecule holding it)")
            if not spellings:   # the pipeline's filter alone enforces it
                return steer, how
            steer.prefixes = spellings
            # a group is asked for: the string may not end with the bare scaffold (a spelling ending in a ring
            # closure was mostly ended there, which the filter rejects at an attachment point and repeats elsewhere)
            steer.extend_prefix = True
            placed = ("written once, so the new group lands on its one position" if len(spellings) == 1 else
                      f"written {len(spellings)} ways so the new group lands on each of {len(spellings)} distinct "
                      "positions in turn (one position per molecule: a scaffold substituted at two places, as "
                      "gefitinib's quinazoline is, does not come from this model; graph diffusion's inpainting "
                      "builds at several)")
            shown = Chem.MolToSmiles(scaffold)
            if marked is not None:   # named as written, with its *
                # started there, not held to one: the model may write a second group on that atom (an amide's or
                # sulfonamide's NH made tertiary, or a ring), which the filter refuses (a review kept 0 of 180)
                placed, shown = ("the new group started at the attachment point (*); a second group the model writes "
                                 "on that atom is refused by the filter"), conditions.scaffold
            how["scaffold"] = f"left-to-right completion of {shown}{unassigned}, {placed}"
        return steer, how

    def _spellings(self, scaffold: Chem.Mol, positions: set[int] | None = None) -> list[str]:
        """One spelling of the scaffold for each position (at ``positions`` only, when given): of a position's
        spellings this model can read (every token one it was trained on), the one whose trial completions most
        often are molecules holding the scaffold, the likeliest of those tied. A spelling it seldom met reads as
        another molecule's start: `n1c(...)nccc1` drew a pyrimidinone's `=O` in 99% of completions, where
        `c1cnc(...)nc1` gave 99% valid molecules; and the likeliest is not always the one it completes:
        a benzimidazole's C2 written `n1c2ccccc2[nH]c1` (the likeliest) gave 2 valid completions of 60,
        `c1(nc2ccccc2[nH]1)` 53 (a review). Kept per scaffold on this model: the trials take seconds, and a run
        asks twice as it starts, the web page at every rerun (training the model forgets them)."""
        # the molecule with its atom order (the positions are its atom indices: one SMILES can come from two orders)
        key = (scaffold.ToBinary(), tuple(sorted(positions)) if positions is not None else None)
        chosen = self.__dict__.setdefault("_chosen_spellings", {})
        if key not in chosen:
            chosen[key] = self._choose_spellings(scaffold, positions)
        return list(chosen[key])

    def _choose_spellings(self, scaffold: Chem.Mol, positions: set[int] | None) -> list[str]:
        readable: list[list[str]] = []   # each position's spellings this model can read and extend
        for spellings in decoration_spellings(scaffold, positions, per_position=SPELLINGS_PER_POSITION):
            readable.append([])
            for text in spellings:
                try:
                    tokens = self.vocabulary.encode(text, add_bos_eos=False)
                except ValueError:  # a token this model never saw
                    continue
                if len(tokens) + 2 <= self.config.max_len:   # room for <bos>, and for a group after it
                    readable[-1].append(text)
        flat = [text for texts in readable for text in texts]
        likelihood = dict(zip(flat, self.prefix_log_likelihoods(flat))) if flat else {}   # one pass for all
        held = self._trial_completions(flat, scaffold, positions)
        return [max(texts, key=lambda text: (held[text], likelihood[text])) for texts in readable if texts]

    def _trial_completions(self, spellings: list[str], scaffold: Chem.Mol,
                           positions: set[int] | None = None) -> dict[str, int]:
        """How many of :data:`TRIAL_COMPLETIONS` seeded completions of each spelling are molecules holding
        ``scaffold``, with one group on each of ``positions`` when given (an attachment point: an aniline's NH made
        tertiary holds the core, and the run's filter refuses it); one batch for all, so a position's choice does not
        depend on the run's seed."""
        if not spellings:
            return {}
        samples = self.sample(len(spellings) * TRIAL_COMPLETIONS, seed=TRIAL_SEED,
                              conditions=Conditions(prefixes=spellings, extend_prefix=True))
        held = dict.fromkeys(spellings, 0)
        with quiet_rdkit():
            for index, sample in enumerate(samples):   # in the spellings' order, TRIAL_COMPLETIONS each
                mol = Chem.MolFromSmiles(sample.smiles) if sample.smiles else None
                # any match will do: one match of a piperazine or a cyclopropane can put the anchor on its twin
                matches = mol.GetSubstructMatches(scaffold, uniquify=False) if mol is not None else ()
                held[spellings[index // TRIAL_COMPLETIONS]] += any(all(
                    mol.GetAtomWithIdx(match[p]).GetDegree() == scaffold.GetAtomWithIdx(p).GetDegree() + 1
                    for p in positions or ()) for match in matches)
        return held

    @torch.no_grad()
    def prefix_log_likelihoods(self, texts: list[str]) -> list[float]:
        """The log-likelihood of each text as the start of a string (its tokens after <bos>, no <eos>), with no
        property target."""
        vocab = self.vocabulary
        encoded = [[vocab.bos_id] + vocab.encode(text, add_bos_eos=False) for text in texts]
        width = max(len(ids) for ids in encoded)
        tokens = torch.full((len(encoded), width), vocab.pad_id, dtype=torch.long)
        for row, ids in enumerate(encoded):
            tokens[row, :len(ids)] = torch.tensor(ids)
        training = self.network.training
        self.network.eval()
        logits, _ = self.network(tokens[:, :-1], None, self.normalise_targets({}, len(encoded)))
        self.network.train(training)
        logp = torch.log_softmax(logits.float(), dim=-1).gather(2, tokens[:, 1:, None]).squeeze(2)
        return (logp * (tokens[:, 1:] != vocab.pad_id)).sum(dim=1).tolist()

    def save(self, path, *, half: bool = False, extra: dict | None = None) -> Path:
        state = {k: (v.half() if half and v.is_floating_point() else v) for k, v in self.network.state_dict().items()}
        return save_checkpoint(path, {"family": FAMILY, "config": self.config.to_dict(), "vocabulary": self.vocabulary.to_dict(),
                                      "state_dict": state, "training": self.training, **(extra or {})})

    @classmethod
    def load(cls, path) -> "SmilesLM":
        payload = load_checkpoint(path, FAMILY)
        config = SmilesLMConfig.from_dict(payload["config"])
        model = cls(config, SmilesVocabulary.from_dict(payload["vocabulary"]), training=payload.get("training", {}))
        state = {k: v.float() if v.is_floating_point() else v for k, v in payload["state_dict"].items()}
        model.network.load_state_dict(state)
        model.network.eval()
        return model

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.network.parameters())

    def normalise_targets(self, targets: dict[str, float] | None, batch: int) -> torch.Tensor | None:
        """Targets as the (batch, n_conditions) tensor the network reads (NaN = not asked)."""
        c = self.config
        return normalise_targets(c.conditions, c.condition_mean, c.condition_std, targets, batch)
