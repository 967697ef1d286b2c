"""The graph diffusion model: the noise process (``noise.py``), the denoiser (``denoiser.py``), the
training loss, and sampling with any number of steps, classifier-free guidance and inpainting.

Validity is reported as DiGress does: the sampled graph is sanitized by RDKit as it is (no
correction), and the largest fragment is kept as the molecule. The optional projection onto valence
and ring size (``projection.py``, off by default) is a correction, and is reported as one.
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np
import torch
import torch.nn.functional as F
from rdkit import Chem
from torch import nn

from molgen.chem.graph import AtomVocabulary, MolGraph, graph_to_mol, has_stereo, mol_to_graph, unsanitized_smiles
from molgen.chem.parse import misplaced_attachment_point
from molgen.chem.rdkit_log import quiet_rdkit
from molgen.models.base import (Conditions, GraphModelCheckpoint, Sample, check_sample_request, normalise_targets,
                               refuse_unknown_options, sampling_seed, warn_unread_conditions, whole_number)
from molgen.models.graph_diffusion.config import GraphDiffusionConfig
from molgen.models.graph_diffusion.denoiser import Denoiser
from molgen.models.graph_diffusion.noise import MarginalNoise, _masked, _sample_onehot
from molgen.models.graph_diffusion.projection import atom_capacities, project_batch
from molgen.models.training import normalised_conditions
from molgen.progress import progress_part, report_progress

FAMILY = "graph-diffusion"
SIZE_GROUP = 64  # graphs per denoising batch within a sampling batch, grouped by size
#: Label-prior molecules nearest a property target whose atom counts the targeted graphs draw from.
NEAR_TARGET_ROWS = 256
#: How the reverse process runs: "ancestral" draws from the DiGress posterior p(z_s | z_t); "flow"
#: follows the discrete flow-matching chain (DeFoG) of the same denoiser (``noise.flow_step``).
SAMPLERS = ("ancestral", "flow")
#: The default: the flow chain, pushed towards the predicted clean graph (target guidance, DeFoG's
#: omega) and free to leave a type it chose wrongly (stochasticity, eta). At 50 steps with even spacing
#: it had FCD/Test 6.66 against the ancestral sampler's 7.69, valid 0.909 against 0.913 (n = 25,000;
#: benchmarks/RESULTS.md, "stochasticity in the flow chain"). With the step spacing, omega 0.5, 1 and 1.5
#: gave FCD/Test 5.40, 5.34, 5.23, SNN 0.424, 0.435, 0.445 and a ring of more than seven atoms in 27%, 25%
#: and 22% of the molecules (n = 5,000, seed 1; omega 2 was worse at n = 1,000; RESULTS.md, "target guidance").
DEFAULT_SAMPLER = "flow"
FLOW_DEFAULTS = {"target_guidance": 1.5, "stochasticity": 20.0}
#: Below this many steps the default is the ancestral sampler. With the default step spacing, at 25 steps
#: the ancestral sampler was valid 0.945 of the time with FCD/Test 8.76, the flow chain 0.928 and 9.60; at
#: 50 steps the chain leads (0.974 and 6.50 against 0.955 and 7.88; n = 1,000 each, benchmarks/RESULTS.md,
#: "step spacing"). With even spacing the chain fell apart at 25 steps (valid 0.69).
#: With a scaffold the default is the chain at any step count. Inpainting a whole scaffold, the ancestral sampler
#: gave valid molecules 0.22 and 0.24 of the time (indole, pyridine; 50 steps) against the chain's 0.83 and 0.89,
#: and 0.22 and 0.29 against 0.79 and 0.85 at 20 steps: it bonds new atoms to scaffold atoms with no valence left.
#: Growing at attachment points (a group by a single bond at each ``*``, ``_bonds_at_the_marks``), the chain kept
#: the decorated scaffold 0.980 and 0.987 of the time against 0.933 and 0.863 (quinazoline 6-* and 6,7-*, 50 steps),
#: 0.950 and 0.930 against 0.903 and 0.907 at 20 steps (n = 300 a row, seed 3; benchmarks/RESULTS.md, "a group at
#: each attachment point").
FLOW_MIN_STEPS = 50
#: The sampling steps a newly trained model takes when none are asked for (the shipped model's): a user's model
#: sampled every one of its 500 timesteps, ten times as long, without a word.
TRAINED_DEFAULT_STEPS = 50
#: How the reverse steps are spread over the noise levels, for either sampler: step k of n ends at
#: t = T * (1 - k / n) ** spacing. 1 spaces them evenly in t, as DiGress does; above 1 they crowd
#: towards the clean end, where the chain settles which atoms bond (DeFoG's "time distortion").
#: At 50 flow steps, spacing 1, 1.5, 2, 2.5 and 3 gave valid 0.912, 0.958, 0.974, 0.973, 0.967 and FCD/Test
#: 7.72, 6.68, 6.50, 6.88, 6.80 (n = 1,000; benchmarks/RESULTS.md, "step spacing").
STEP_SPACING = 2.0
#: With ``projection`` on, the graphs the chain samples at noise levels up to this fraction of the
#: timesteps (the last 16 of 50 spaced steps) are projected onto valence and the ring limit
#: (``projection.py``), so the denoiser rebuilds around a bond it was refused. At 50 flow steps
#: (seed 1) that gave FCD/Test 4.88 against 5.23 as sampled (n = 5,000); projecting only the final
#: graph left FCD as it was, and the whole chain was no better than the last tenth at three times the
#: projection work (n = 1,000 and 2,000; benchmarks/RESULTS.md, "projection").
PROJECT_BELOW = 0.1


def sampler_options(sampler: str | None = None, target_guidance: float | None = None,
                    stochasticity: float | None = None, steps: int | None = None,
                    step_spacing: float | None = None, scaffold: str | None = None) -> dict:
    """The sampler, its two flow options and the step spacing with the defaults filled in (``None``:
    the default), or a clear ``ValueError`` for an unknown sampler, a negative value, a flow option
    given to "ancestral", or a step spacing that is not positive.

    With no sampler named and no flow option given, the default is "flow" with a ``scaffold``, at any step count
    (:data:`FLOW_MIN_STEPS`' note says why); with no scaffold, :data:`DEFAULT_SAMPLER`, unless ``steps`` (the step
    count the chain will run) is below :data:`FLOW_MIN_STEPS`: then "ancestral"."""
    if sampler is None:
        few_steps = steps is not None and steps < FLOW_MIN_STEPS
        flow_asked = target_guidance is not None or stochasticity is not None
        if flow_asked:
            sampler = "flow"
        elif scaffold:
            sampler = "flow"
        else:
            sampler = "ancestral" if few_steps else DEFAULT_SAMPLER
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler must be one of {', '.join(SAMPLERS)}, got {sampler!r}")
    values = {"target_guidance": target_guidance, "stochasticity": stochasticity}
    for name, value in values.items():
        if value is None:
            values[name] = FLOW_DEFAULTS[name] if sampler == "flow" else 0.0
        elif value < 0:
            raise ValueError(f"{name} must be >= 0, got {value}")
        elif value and sampler != "flow":
            raise ValueError(f"{name} applies only to sampler='flow'")
    step_spacing = STEP_SPACING if step_spacing is None else float(step_spacing)
    if not step_spacing > 0:
        raise ValueError(f"step_spacing must be > 0, got {step_spacing}")
    return {"sampler": sampler, **values, "step_spacing": step_spacing}


def dense_batch(graphs: list[MolGraph], num_atom_types: int, n: int | None = None, num_bond_classes: int = 4):
    """One-hot atoms (B, N, V), one-hot bonds (B, N, N, C) and the node mask (B, N); class 0 is "no bond"."""
    n = n or max(g.num_atoms for g in graphs)
    sizes = torch.tensor([g.num_atoms for g in graphs])
    mask = torch.arange(n)[None] < sizes[:, None]
    # One indexed write for all atoms and one for all bonds (a Python loop per bond cost 13% of a step).
    x = torch.zeros(len(graphs), n, num_atom_types)
    x[mask] = F.one_hot(torch.from_numpy(np.concatenate([g.atoms for g in graphs])).long(), num_atom_types).float()
    classes = torch.zeros(len(graphs), n, n, dtype=torch.long)
    bond_counts = [len(g.bond_types) for g in graphs]
    largest = max((int(np.max(g.bond_types)) for g in graphs if len(g.bond_types)), default=-1)
    if largest + 1 >= num_bond_classes:
        raise ValueError(f"bond type {largest} needs more than {num_bond_classes} edge classes "
                         "(an aromatic graph given to a Kekulé model, or num_bond_classes not passed?)")
    if sum(bond_counts):
        owner = torch.repeat_interleave(torch.arange(len(graphs)), torch.tensor(bond_counts))
        ends = torch.from_numpy(np.concatenate([np.asarray(g.bonds, dtype=np.int64).reshape(-1, 2) for g in graphs])).long()
        kinds = torch.from_numpy(np.concatenate([np.asarray(g.bond_types, dtype=np.int64) for g in graphs])).long() + 1
        classes[owner, ends[:, 0], ends[:, 1]] = kinds
        classes[owner, ends[:, 1], ends[:, 0]] = kinds
    e = F.one_hot(classes, num_bond_classes).float()
    return (*_masked(x, e, mask), mask)


class GraphDiffusion(GraphModelCheckpoint, nn.Module):
    family = FAMILY
    config_class = GraphDiffusionConfig
    #: Sampling options runs began to pin later, with the value a run that lacks them was sampled with
    #: (``molgen.runs.generate`` fills them in on resume): runs stored before the flow chain became the
    #: default pinned no sampler and ran the ancestral one (flow options 0), and runs stored before the
    #: step spacing existed spaced their steps evenly, and none was projected. A stored option always wins over these.
    #: Runs stored before targeted graphs drew their atom counts near the targets drew them from the training set.
    OPTIONS_BEFORE_PINNED = {"sampler": "ancestral", "target_guidance": 0.0, "stochasticity": 0.0, "step_spacing": 1.0,
                             "projection": False, "target_sizes": False}

    def __init__(self, config: GraphDiffusionConfig, vocabulary: AtomVocabulary, training: dict | None = None):
        super().__init__()
        self.config, self.vocabulary = config, vocabulary
        self.training_record = training or {}
        self.denoiser = Denoiser(config)
        self.noise = MarginalNoise(config.node_marginals, config.edge_marginals, config.timesteps)

    # -- conditioning vector ---------------------------------------------------------------

    def y_vector(self, t: torch.Tensor, targets: torch.Tensor | None) -> torch.Tensor:
        """[t / T, (value, present) per condition]; ``targets`` normalised, NaN = not given."""
        parts = [t.float()[:, None] / self.config.timesteps]
        if self.config.conditions:
            if targets is None:
                targets = torch.full((len(t), len(self.config.conditions)), float("nan"))
            present = ~torch.isnan(targets)
            parts += [torch.nan_to_num(targets), present.float()]
        return torch.cat(parts, dim=1)

    def normalise_targets(self, targets: dict[str, float] | None, batch: int) -> torch.Tensor | None:
        c = self.config
        return normalise_targets(c.conditions, c.condition_mean, c.condition_std, targets, batch)

    # -- training ----------------------------------------------------------------------------

    def loss(self, x0, e0, mask, targets: torch.Tensor | None = None, generator: torch.Generator | None = None):
        """Cross-entropy of the clean atoms and bonds from a random noise level, per graph averaged."""
        t = torch.randint(1, self.config.timesteps + 1, (len(x0),), generator=generator)
        xt, et = self.noise.add_noise(x0, e0, t, mask, generator)
        logits_x, logits_e = self.denoiser(xt, et, self.y_vector(t, targets), mask)
        pair = mask[:, :, None] & mask[:, None, :] & ~torch.eye(mask.shape[1], dtype=torch.bool)[None]
        loss_x = F.cross_entropy(logits_x[mask], x0[mask].argmax(-1))
        loss_e = F.cross_entropy(logits_e[pair], e0[pair].argmax(-1))
        return loss_x + self.config.edge_weight * loss_e, loss_x.detach(), loss_e.detach()

    # -- sampling ----------------------------------------------------------------------------

    @torch.no_grad()
    def sample_graphs(self, n: int, *, steps: int | None = None, sizes: torch.Tensor | None = None,
                      targets: dict[str, float] | torch.Tensor | None = None, guidance: float = 0.0,
                      scaffold: str | None = None, generator: torch.Generator | None = None, sampler: str | None = None,
                      target_guidance: float | None = None, stochasticity: float | None = None,
                      step_spacing: float | None = None, projection: bool = False,
                      keep_scaffold_hydrogens: bool = True):
        """Dense one-hot graphs (X, E, mask) and the bonds the projection dropped or lowered in each
        final graph (zeros without it) after ``steps`` reverse steps (default: the config's
        ``default_steps``, else all). ``targets`` is one set of property targets for every graph
        (a dict of raw values), or a standardised (n, conditions) tensor with a row per graph
        (NaN = not asked for). ``sampler`` is one of :data:`SAMPLERS` (default :data:`DEFAULT_SAMPLER`,
        "ancestral" below :data:`FLOW_MIN_STEPS` steps);
        ``target_guidance`` and ``stochasticity`` apply to "flow" only (``noise.MarginalNoise.flow_step``;
        defaults :data:`FLOW_DEFAULTS`); ``step_spacing`` to both (:data:`STEP_SPACING`). ``projection``
        projects the last part of the chain onto the ring limit and valence (a correction;
        :data:`PROJECT_BELOW`, ``projection.py``). ``keep_scaffold_hydrogens``: a scaffold atom written
        with its hydrogens keeps them (``_closed_atoms``; False opens every atom, for a Murcko core whose
        ``[nH]`` only marks where the seed had a substituent)."""
        cfg = self.config
        capacities = self._capacities(projection)
        steps = self.resolved_steps(steps)
        fixed = self._held(scaffold, keep_scaffold_hydrogens) if scaffold else None
        if sizes is None:
            sizes = torch.multinomial(self.size_weights(fixed[0].shape[0] if fixed is not None else 0), n,
                                      replacement=True, generator=generator)
        if fixed is not None:
            sizes = sizes.clamp(min=fixed[0].shape[0])
        n_max = int(sizes.max())
        mask = torch.arange(n_max)[None] < sizes[:, None]
        # The limit distribution, drawn with the caller's generator so that a seed fixes everything.
        xt = _sample_onehot(self.noise.m_x.expand(n, n_max, -1), generator)
        et = _sample_onehot(self.noise.m_e.expand(n, n_max, n_max, -1), generator)
        upper = torch.triu(torch.ones(n_max, n_max, dtype=torch.bool), diagonal=1)[None, :, :, None]
        xt, et = _masked(xt, torch.where(upper, et, et.transpose(1, 2)), mask)
        if isinstance(targets, torch.Tensor):
            if targets.shape != (n, len(cfg.conditions)):
                raise ValueError(f"per-graph targets must be ({n}, {len(cfg.conditions)}), got {tuple(targets.shape)}")
            cond = targets.float()
        else:
            cond = self.normalise_targets(targets, n) if targets else None
        chain = sampler_options(sampler, target_guidance, stochasticity, steps, step_spacing, scaffold)
        flow = chain["sampler"] == "flow"
        projected = torch.zeros(n, dtype=torch.long)
        held = fixed[0].shape[0] if fixed is not None else 0
        belief = None   # the last prediction's chance of a bond per pair: which new bond a mark keeps
        schedule = self._schedule(steps, chain["step_spacing"])
        for step, (t, s, tau, dtau) in enumerate(schedule):
            report_progress(step / len(schedule))   # a listener (the web app's bar) hears each step
            if fixed is not None:
                xt, et = self._inpaint(xt, et, fixed, t, mask, generator, belief)
            tt = torch.full((n,), t, dtype=torch.long)
            logits_x, logits_e = self.denoiser(xt, et, self.y_vector(tt, cond), mask)
            if cond is not None and guidance:
                free_x, free_e = self.denoiser(xt, et, self.y_vector(tt, None), mask)
                logits_x = free_x + (1 + guidance) * (logits_x - free_x)
                logits_e = free_e + (1 + guidance) * (logits_e - free_e)
            px, pe = logits_x.softmax(-1), logits_e.softmax(-1)
            belief = 1 - pe[..., 0]
            if s == 0:
                xt, et = F.one_hot(px.argmax(-1), cfg.num_atom_types).float(), F.one_hot(pe.argmax(-1), cfg.num_bond_classes).float()
            else:
                if flow:
                    post_x = self.noise.flow_step(px, xt, tau, dtau, self.noise.m_x, chain["target_guidance"],
                                                  chain["stochasticity"])
                    post_e = self.noise.flow_step(pe, et, tau, dtau, self.noise.m_e, chain["target_guidance"],
                                                  chain["stochasticity"])
                else:
                    post_x = self.noise.posterior(px, xt, t, s, self.noise.m_x)
                    post_e = self.noise.posterior(pe, et, t, s, self.noise.m_e)
                xt = _sample_onehot(post_x.clamp(min=0) + 1e-12, generator)
                et = _sample_onehot(post_e.clamp(min=0) + 1e-12, generator)
                et = torch.where(upper, et, et.transpose(1, 2))
            xt, et = _masked(xt, et, mask)
            if projection and s <= PROJECT_BELOW * cfg.timesteps:
                if fixed is not None:  # the exact scaffold (the next step noises it again), kept first and unchecked
                    xt, et = self._inpaint(xt, et, fixed, 0, mask, generator, belief)
                et, projected = project_batch(xt, et, 1 - pe[..., 0], mask, capacities, cfg.max_ring_size, fixed=held)
        if fixed is not None:   # after a projection, nothing added: a mark's bond it dropped went to a full atom
            xt, et = self._inpaint(xt, et, fixed, 0, mask, generator, belief, grow=not projection)
        return xt, et, mask, projected

    def _capacities(self, projection: bool) -> list[int] | None:
        """The valence the projection allows each atom type (None without projection), or a clear error
        for a ``projection`` that is not a bool, or a model with aromatic bonds (order 1.5)."""
        if not isinstance(projection, (bool, np.bool_)):
            raise ValueError(f"projection must be True or False, got {projection!r}")
        if not projection:
            return None
        if self.config.aromatic_bonds:
            raise ValueError("projection needs a Kekulé model (integer bond orders); this one has aromatic bonds")
        return atom_capacities(self.vocabulary)

    def check_sample_options(self, *, sampler: str | None = None, target_guidance: float | None = None,
                             stochasticity: float | None = None, step_spacing: float | None = None,
                             projection: bool = False, scaffold: str | None = None, **options) -> dict:
        """Refuse bad option values before a run is stored (``molgen.runs.generate`` calls this), and
        return the options with the sampler's defaults written in, so the run pins them (the default sampler
        depends on the run's ``scaffold``, which is not an option and is not returned)."""
        self._capacities(projection)  # refuses a non-bool, and a model with aromatic bonds
        if options.get("guidance") is not None and not options["guidance"] >= 0:
            raise ValueError(f"guidance must be 0 or more (0: the conditional network alone), got {options['guidance']}")
        steps = self.resolved_steps(options.get("steps"))   # pinned: the record says how many steps ran
        if options.get("num_atoms") is not None:   # refused before a run is stored, and stored as JSON holds it
            low, high = self._atom_range(options["num_atoms"])
            self._check_atoms_around(scaffold, low, options["num_atoms"])
            options["num_atoms"] = low if np.ndim(options["num_atoms"]) == 0 else [low, high]
        return {**options, "steps": steps,
                **sampler_options(sampler, target_guidance, stochasticity, steps, step_spacing, scaffold),
                "projection": bool(projection), "target_sizes": bool(options.get("target_sizes", True))}

    def resolved_steps(self, steps: int | None = None) -> int:
        """The reverse steps a chain runs when ``steps`` are asked for (1 to the timesteps; others are
        refused): the config's ``default_steps`` (else every timestep) when none are."""
        cfg = self.config
        # a whole number: 2.5 reached torch's linspace as a TypeError, with a failed run stored (a review)
        if steps is not None and (isinstance(steps, bool) or not isinstance(steps, numbers.Integral)
                                  or not 1 <= steps <= cfg.timesteps):
            raise ValueError(f"steps must lie in 1..{cfg.timesteps} (this model's noise levels), got {steps!r}")
        return steps or min(cfg.default_steps or cfg.timesteps, cfg.timesteps)

    def _schedule(self, steps: int, spacing: float = 1.0) -> list[tuple[int, int, float, float]]:
        """(t, s, tau, dtau) per reverse step: the network's noise level t, the next level s (0 ends), and
        the flow's time tau = abar_t with its increment abar_s - abar_t. Step k of n ends at
        T * (1 - k / n) ** spacing, rounded; 1 spaces the steps evenly in t (DiGress). Near the clean end,
        where that would round two steps to one level, step k ends no lower than n - k, so with a spacing
        of 1 or more every step moves and there are ``steps`` of them (below 1, steps that would round to
        one level near the noisy end are merged). (Spaced evenly in tau, 50 flow steps gave 48 valid graphs
        of 64 against 61 of 64 for the ancestral sampler: too few steps near the data.)"""
        abar = self.noise.alpha_bar.tolist()
        even = torch.linspace(self.config.timesteps, 0, steps + 1)
        if spacing == 1.0:  # the exact levels of the even spacing, unchanged by a power's rounding
            times = even.round().long()
        else:
            fraction = even.double() / self.config.timesteps
            floor = torch.arange(steps, -1, -1, dtype=torch.float64)
            times = torch.maximum((self.config.timesteps * fraction ** spacing).round(), floor).long()
        times = torch.unique_consecutive(times).tolist()
        return [(t, s, abar[t], abar[s] - abar[t]) for t, s in zip(times[:-1], times[1:])]

    def _scaffold(self, smiles: str):
        mol, anchors = scaffold_core(smiles)
        graph = mol_to_graph(mol, self.vocabulary, aromatic=self.config.aromatic_bonds)
        x, e, _ = dense_batch([graph], self.config.num_atom_types, num_bond_classes=self.config.num_bond_classes)
        if anchors is not None and self.config.aromatic_bonds:
            # aromatic types pin hydrogens: *n1ccnc1's N would be held as [nH], which can take no new atom
            x = x.clone()
            for index, atom_type in substituted_anchor_types(smiles, self.vocabulary).items():
                x[0, index] = F.one_hot(torch.tensor(atom_type), x.shape[-1]).to(x.dtype)
        return x[0], e[0]

    def _held(self, smiles: str, keep_scaffold_hydrogens: bool = True):
        """What inpainting holds of a scaffold: its atom and bond types (``_scaffold``), the atoms closed to new
        bonds (``_closed_atoms``) and the attachment points on each atom ((k,) long; None without a ``*``)."""
        x, e = self._scaffold(smiles)
        marks = scaffold_core(smiles)[1]
        # an attachment point says where the new atoms go whatever keep_scaffold_hydrogens says
        opened = not keep_scaffold_hydrogens and marks is None
        closed = torch.zeros(len(x), dtype=torch.bool) if opened else self._closed_atoms(smiles)
        return x, e, closed, None if marks is None else torch.tensor(marks, dtype=torch.long)

    def _closed_atoms(self, smiles: str) -> torch.Tensor:
        """(k,) bool: the scaffold atoms inpainting gives no bond to the new atoms. With attachment points
        (``*``), every atom but those bearing one. Else the atoms written with their hydrogens (``[nH]``,
        ``[NH2]``, ``[C@@H]``): a run's filter reads a scaffold as SMARTS when it parses as one
        (``substructure_query``), and there such an atom must keep exactly that many hydrogens.
        Read as SMILES (a scaffold that is no SMARTS), hydrogens do not count and every atom is open."""
        mol, anchors = scaffold_core(smiles)
        if anchors is not None:
            return torch.tensor([not anchor for anchor in anchors], dtype=torch.bool)
        with quiet_rdkit():
            as_smarts = Chem.MolFromSmarts(smiles) is not None
        return torch.tensor([as_smarts and atom.GetNumExplicitHs() > 0 for atom in mol.GetAtoms()], dtype=torch.bool)

    def _inpaint(self, xt, et, fixed, t: int, mask, generator, belief=None, grow: bool = True):
        """Hold the scaffold's atoms and bonds (noised to level t, exact at 0) on the first k nodes,
        keep the closed ones (``_closed_atoms``) unbonded to the rest at every level, and give an atom with
        attachment points as many new bonds as it has points, each single (``_bonds_at_the_marks``; ``grow=False``:
        only fewer, as after a projection).

        At the end an open atom keeps its element and charge but may take the pinned hydrogen count
        the model sampled (with aromatic bonds, types such as ``N`` and ``N[H1]``); a closed atom
        keeps its exact type, and so does a marked one."""
        fx, fe, closed, marks = fixed
        k = fx.shape[0]
        if bool(closed.any()):
            rows = closed.nonzero().squeeze(1)
            no_bond = F.one_hot(torch.zeros((), dtype=torch.long), et.shape[-1]).to(et.dtype)
            outside = mask[:, k:, None].to(et.dtype) * no_bond  # (B, N - k, C), zero on padding
            et[:, rows, k:] = outside[:, None].expand(-1, len(rows), -1, -1)
            et[:, k:, rows] = outside[:, :, None].expand(-1, -1, len(rows), -1)
        if marks is not None:
            self._bonds_at_the_marks(et, marks, k, mask, generator, belief if grow else None)
        if t == 0:
            sampled, held = xt[:, :k].argmax(-1), fx.argmax(-1).expand(len(xt), -1)
            # a marked atom keeps its held type too: its bonds are fixed, so a sampled [nH] with its group is N(5)
            marked = marks > 0 if marks is not None else torch.zeros_like(closed)
            same_atom = self._same_element_and_charge()[held, sampled] & ~closed & ~marked
            xt[:, :k] = torch.where(same_atom[..., None], xt[:, :k], fx)
            et[:, :k, :k] = fe
            return xt, et
        tt = torch.full((len(xt),), t, dtype=torch.long)
        nx, ne = self.noise.add_noise(fx.expand(len(xt), -1, -1), fe.expand(len(xt), -1, -1, -1), tt,
                                      torch.ones(len(xt), k, dtype=torch.bool), generator)
        xt[:, :k], et[:, :k, :k] = nx, ne
        return xt, et

    @staticmethod
    def _bonds_at_the_marks(et, marks, k: int, mask, generator, belief=None) -> None:
        """In place: each scaffold atom with attachment points takes exactly as many bonds to the new atoms as it has
        points, each single, as an R-group table reads its ``*`` (each a hydrogen replaced by one group through a
        single bond). The chain draws every pair's bond apart from the others, so a marked ring carbon took two or
        three new atoms (valence 5 or 6: about one sample in ten at a quinazoline's 6 and 7), or none, and the new
        atoms then formed a fragment apart (62% of a 6-position's samples ended as the bare scaffold). Kept, or
        added, are the bonds the last prediction held likeliest (``belief``, (B, N, N)); without one (before the first
        prediction, after a projection) drawn bonds are only thinned, at random, and none is added."""
        single, none = torch.eye(et.shape[-1], dtype=et.dtype)[[1, 0]]
        inside = mask[:, k:]
        taken = torch.zeros_like(inside)   # new atoms an earlier mark bonded here: a group per mark, not one shared
        for row in marks.nonzero().squeeze(1).tolist():
            bonded = (et[:, row, k:].argmax(-1) > 0) & inside          # (B, N - k)
            if belief is None:
                score = torch.rand(bonded.shape, generator=generator).masked_fill(~bonded, -1.0)
                wanted = bonded
            else:   # drawn bonds first, then the likeliest others
                score = belief[:, row, k:] + 2.0 * bonded
                wanted = inside & ~taken
            score = score.masked_fill(~wanted, -2.0)
            top = score.topk(min(int(marks[row]), score.shape[1]), dim=-1).indices
            keep = torch.zeros_like(bonded).scatter_(1, top, True) & wanted
            taken |= keep
            new = torch.where(keep[..., None], single, none) * inside[..., None].to(et.dtype)
            et[:, row, k:] = new
            et[:, k:, row] = new

    def _same_element_and_charge(self) -> torch.Tensor:
        """(V, V) bool: the two atom types differ at most in their pinned hydrogen count."""
        keys = [(t.symbol, t.charge) for t in self.vocabulary.types]
        return torch.tensor([[a == b for b in keys] for a in keys])

    def sample(self, n: int, *, conditions: Conditions | None = None, seed: int | None = None, steps: int | None = None,
               guidance: float = 0.0, batch_size: int = 256, num_atoms: int | tuple[int, int] | None = None,
               label_prior: bool = True, sampler: str | None = None, target_guidance: float | None = None,
               stochasticity: float | None = None, step_spacing: float | None = None, projection: bool = False,
               keep_scaffold_hydrogens: bool = True, target_sizes: bool = True, **options) -> list[Sample]:
        """``n`` molecules: graphs sanitized as sampled (nothing corrected), the largest fragment kept
        (with a scaffold, the fragment that holds it).
        With ``projection`` the last part of the chain is projected onto the ring limit and valence
        (``projection.py``; a correction, so validity is then not DiGress's uncorrected number), and each
        sample's ``meta["projected_bonds"]`` counts the bonds it dropped or lowered in the final graph.

        ``num_atoms`` fixes the number of nodes of each sampled graph (an int) or draws it uniformly
        from an inclusive ``(low, high)`` range; by default it follows the training distribution, and with
        property targets (``target_sizes``, a model with a label prior, no scaffold) that of the training
        molecules nearest the targets (:meth:`sizes_near`).
        The molecule returned is the graph's largest fragment (with a scaffold, the one holding it), so
        it may have fewer atoms.

        With no targets, no scaffold and no ``num_atoms``, a conditional model that carries a label
        prior (``config.label_prior``: training molecules' atom counts with their property values)
        gives each graph one such row, through the conditional branch (see
        :func:`~molgen.models.graph_diffusion.sample.sample_with_labels`); ``label_prior=False``
        samples the unconditional branch instead. Property ranges in ``conditions`` restrict those
        rows to the training molecules inside every range the model is conditioned on.

        ``batch_size``: graphs denoised at once. One random stream runs through the batches, so the molecules
        drawn depend on it: the same seed and batch size repeat a draw.

        ``sampler``, ``target_guidance``, ``stochasticity``, ``step_spacing`` and ``keep_scaffold_hydrogens``:
        see :meth:`sample_graphs`.
        """
        refuse_unknown_options(self.family, options, also=("keep_scaffold_hydrogens",))
        check_sample_request(n, conditions, batch_size)
        conditions = conditions or Conditions()
        # ranges are read only to pick label-prior rows, and only those of properties the model is conditioned on
        prior_used = self._uses_label_prior(conditions, label_prior, num_atoms)
        warn_unread_conditions(self.family, conditions, {"targets", "scaffold"},
                               ranges_read=self.config.conditions if prior_used else ())
        if guidance and not conditions.targets:   # as molgen generate refuses it (a review: ignored without a word)
            warnings.warn(f"guidance {guidance:g} pushes towards property targets (qed=0.8), and none was given: it "
                          "does nothing here (ranges steer through the label prior, not guidance)", UserWarning,
                          stacklevel=2)
        if n < 0:
            raise ValueError(f"n must be 0 or more, not {n}")
        chain = sampler_options(sampler, target_guidance, stochasticity, self.resolved_steps(steps),  # fails before any work
                                step_spacing, conditions.scaffold)
        generator = torch.Generator().manual_seed(sampling_seed(seed))
        low, high = self._atom_range(num_atoms)
        prior = self._prior_inside(conditions.ranges) if prior_used else None
        held = self._check_atoms_around(conditions.scaffold, low, num_atoms)
        weights = self.size_weights(held)
        if target_sizes and self.config.label_prior and conditions.targets and not held and low is None:
            weights = self.sizes_near(conditions.targets)   # atom counts that agree with the targets (an MW above all)
        out: list[Sample] = []
        while len(out) < n:
            size = min(batch_size, n - len(out))
            targets = conditions.targets or None
            if prior is not None:
                rows = prior[torch.randint(len(prior), (size,), generator=generator)]
                sizes, targets = rows[:, 0].long(), normalised_conditions(self, rows[:, 1:].numpy(), np.arange(size))
            elif low is None:
                sizes = torch.multinomial(weights, size, replacement=True, generator=generator)
            else:
                sizes = torch.randint(low, high + 1, (size,), generator=generator)
            with progress_part(len(out) / n, size / n):
                out.extend(self.sample_sizes(sizes, steps=steps, targets=targets, guidance=guidance if prior is None
                                             else 0.0, scaffold=conditions.scaffold, generator=generator,
                                             projection=projection, keep_scaffold_hydrogens=keep_scaffold_hydrogens,
                                             **chain))
        return out

    def sample_sizes(self, sizes: torch.Tensor, *, steps: int | None = None, targets: dict[str, float] | torch.Tensor | None = None,
                     guidance: float = 0.0, scaffold: str | None = None, generator: torch.Generator | None = None,
                     sampler: str | None = None, target_guidance: float | None = None,
                     stochasticity: float | None = None, step_spacing: float | None = None,
                     projection: bool = False, keep_scaffold_hydrogens: bool = True) -> list[Sample]:
        """One molecule per entry of ``sizes``, in that order; ``targets`` as in :meth:`sample_graphs`
        (a per-graph tensor has one row per entry of ``sizes``)."""
        # Graphs of similar size denoised together: a dense batch pads every graph to its largest,
        # and the bond tensors grow with the square of that. Samples come back in the given order.
        out: list[Sample | None] = [None] * len(sizes)
        held = self._scaffold(scaffold)[0].shape[0] if scaffold else 0   # the scaffold's nodes, first in each graph
        aromatic = [atom.GetIsAromatic() for atom in scaffold_core(scaffold)[0].GetAtoms()] if scaffold else None
        done = 0
        for group in sizes.argsort(stable=True).split(SIZE_GROUP):
            chosen = targets[group] if isinstance(targets, torch.Tensor) else targets
            with progress_part(done / len(sizes), len(group) / len(sizes)):
                x, e, mask, projected = self.sample_graphs(
                    len(group), steps=steps, sizes=sizes[group], targets=chosen, guidance=guidance, scaffold=scaffold,
                    generator=generator, sampler=sampler, target_guidance=target_guidance, stochasticity=stochasticity,
                    step_spacing=step_spacing, projection=projection, keep_scaffold_hydrogens=keep_scaffold_hydrogens)
            done += len(group)
            for index, sample, changed in zip(group.tolist(), self._to_samples(x, e, mask, scaffold_atoms=held,
                                                                                 scaffold_aromatic=aromatic),
                                              projected.tolist()):
                if projection:
                    sample.meta["projected_bonds"] = changed
                out[index] = sample
        return out

    def size_weights(self, held: int = 0) -> torch.Tensor:
        """The training distribution of atom counts, as weights to draw a graph's size from. With ``held``
        atoms held fixed (a scaffold), only the sizes above it, where any remain: a size at or below the
        scaffold's leaves no atom to denoise, and every such graph came back as the bare scaffold (three in five
        samples of a 22-atom fluoxetine scaffold; benchmarks/RESULTS.md)."""
        weights = torch.tensor(self.config.size_counts, dtype=torch.float)
        larger = weights.clone()
        larger[:held + 1] = 0
        return larger if larger.sum() > 0 else weights

    def sizes_near(self, targets: dict[str, float], rows: int = NEAR_TARGET_ROWS) -> torch.Tensor:
        """Atom-count weights for graphs conditioned on ``targets``: the counts of the ``rows`` label-prior
        molecules nearest the targets (in training standard deviations of each property targeted): a handful
        of counts around an MW target (the prior holds no molecule far outside MOSES, so MW 450 and 800 get the
        same ones). An MW and an atom count that disagree make invalid graphs: at a target of MW 260, counts
        drawn from the whole training set gave 156 valid of 200, mean absolute error 33; from the nearest rows,
        194 and 21 (benchmarks/RESULTS.md, "atom counts near a property target")."""
        prior = torch.tensor(self.config.label_prior, dtype=torch.float32)
        distance = torch.zeros(len(prior))
        for name, value in targets.items():
            if name not in self.config.conditions:   # refused with its reason where the targets are read
                continue
            index = self.config.conditions.index(name)
            distance += ((prior[:, 1 + index] - value) / self.config.condition_std[index]) ** 2
        nearest = prior[distance.topk(min(rows, len(prior)), largest=False).indices, 0].long()
        return torch.bincount(nearest, minlength=len(self.config.size_counts)).float()

    def _prior_inside(self, ranges: dict) -> torch.Tensor:
        """The label prior's rows (atoms, *labels) whose labels lie inside every range on a property this
        model is conditioned on. Steering a range this way (each graph given a whole training row from
        inside it) put more samples in range than a target at its middle did (logP >= 3: 0.67 of 300
        samples against 0.57, and 0.29 from the whole prior; benchmarks/RESULTS.md)."""
        rows = torch.tensor(self.config.label_prior, dtype=torch.float32)
        inside = torch.ones(len(rows), dtype=torch.bool)
        for name, (low, high) in ranges.items():
            if name in self.config.conditions:
                column = rows[:, 1 + self.config.conditions.index(name)]
                inside &= (column >= (-math.inf if low is None else low)) & (column <= (math.inf if high is None else high))
        if not inside.any():
            raise ValueError(f"no training molecule of the label prior lies inside {ranges}: a run's filter would keep "
                             "almost nothing")
        return rows[inside]

    def _check_atoms_around(self, scaffold: str | None, low: int | None, num_atoms) -> int:
        """The atoms ``scaffold`` holds (0 without one), refused where inpainting cannot hold it or where graphs of
        ``low`` atoms leave nothing to grow on it."""
        if not scaffold:
            return 0
        self._check_inpaintable(scaffold)   # refused as a run refuses it: one it cannot hold is no scaffold kept
        held = self._scaffold(scaffold)[0].shape[0]
        if low is not None and low <= held:   # every such graph came back as the bare scaffold, unsaid
            raise ValueError(f"num_atoms {num_atoms}: the scaffold holds {held} atoms, so nothing grows on a graph "
                             f"of {low}; give at least {held + 1}")
        return held

    def _atom_range(self, num_atoms) -> tuple[int | None, int | None]:
        """``num_atoms`` (a whole number, or a (low, high) pair of them) as a range; a fraction is refused, not
        truncated (a review: 12.7 sampled graphs of 12)."""
        if num_atoms is None:
            return None, None
        try:
            pair = (num_atoms,) * 2 if np.ndim(num_atoms) == 0 else tuple(num_atoms)
            if len(pair) != 2:
                raise ValueError
            # 12.0 is 12 (a run stored so resumes as it started); 12.7 is no count of atoms; 0 or -3 are whole,
            # refused by the range below
            low, high = (whole_number("num_atoms", int(value) if isinstance(value, (float, np.floating))
                                      and float(value).is_integer() else value, least=-2 ** 63) for value in pair)
        except (TypeError, ValueError):
            raise ValueError(f"num_atoms is a whole number of atoms or a (low, high) pair of them, got {num_atoms!r}") \
                from None
        if not 1 <= low <= high <= self.config.max_atoms:
            raise ValueError(f"num_atoms must lie in 1..{self.config.max_atoms} (low <= high), got {num_atoms}")
        return low, high

    def _uses_label_prior(self, conditions: Conditions, label_prior: bool = True, num_atoms=None) -> bool:
        """Whether sampling draws each graph's atom count and property labels from the label prior: a model that
        carries one, asked for no target, no scaffold and no atom count (``sample``'s ``label_prior``)."""
        return bool(label_prior and self.config.label_prior and not conditions.targets and not conditions.scaffold
                    and num_atoms is None)

    def native_conditions(self, conditions: Conditions, *, label_prior: bool = True,
                          num_atoms=None) -> tuple[Conditions, dict[str, str]]:
        """What this model steers itself (``label_prior`` and ``num_atoms`` as ``sample`` takes them)."""
        steer, how = Conditions(), {}
        for name, value in conditions.targets.items():
            if name in self.config.conditions:
                steer.targets[name] = value
                # at guidance 0 (the default) the conditional branch alone; a scale above it adds classifier-free
                # guidance, away from the unconditional branch
                how[f"target {name}"] = "property conditioning (the conditional branch; a guidance scale above 0 " \
                                        "adds classifier-free guidance)"
        # A range: the label prior restricted to training rows inside it (_prior_inside), only where the
        # prior is what sampling uses (no target, no scaffold). A target at the range's middle, as the
        # conditional transformer takes it, landed fewer samples inside (benchmarks/RESULTS.md).
        steerable = {name: bounds for name, bounds in conditions.ranges.items() if name in self.config.conditions}
        if steerable and self._uses_label_prior(Conditions(targets=steer.targets, scaffold=conditions.scaffold),
                                                label_prior, num_atoms):
            try:
                rows = len(self._prior_inside(steerable))
            except ValueError:   # no training row inside: the filter alone, as for a model without a prior
                rows = 0
            if rows:
                steer.ranges = steerable
                for name in steerable:
                    how[f"range {name}"] = (f"label prior: each graph conditioned on one of the {rows:,} of "
                                            f"{len(self.config.label_prior):,} training molecules inside every range")
        if conditions.scaffold:
            self._check_inpaintable(conditions.scaffold)
            steer.scaffold = conditions.scaffold
            how["scaffold"] = "inpainting (scaffold atoms and bonds held fixed)"
            if scaffold_core(conditions.scaffold)[1] is not None:
                how["scaffold"] += ", new atoms bonded at the attachment points (*) only"
            else:   # a review read piperazinones among piperazine's molecules as the scaffold not held
                how["scaffold"] += (": new atoms may bond to any scaffold atom with a hydrogen not written in "
                                    "brackets ([nH] keeps its own), by a double bond too (a C=O on a ring carbon); "
                                    "a * marks where groups go")
            with quiet_rdkit():
                written = Chem.MolFromSmiles(conditions.scaffold)
            if written is not None and has_stereo(written):   # graphs carry no stereo: the molecules have none
                how["scaffold"] += (", its stereo left unassigned (the model writes none; a run then sets the "
                                     "scaffold's stereocentres on each molecule holding it)")
        return steer, how

    def _check_inpaintable(self, scaffold: str) -> None:
        """Refuse, before a run starts, a scaffold inpainting cannot hold: one that is no SMILES molecule,
        whose atoms have no graph form (``[#6]`` written without hydrogens is a radical), written in pieces, or
        as large as the largest graph this model denoises (nothing could grow). Filtering alone would keep almost
        nothing of such a run."""
        hint = ("; graph diffusion grows a scaffold by inpainting, which needs it written as SMILES "
                "(c1ccccc1, not [#6]1:[#6]:[#6]:[#6]:[#6]:[#6]:1)")
        with quiet_rdkit():
            mol = Chem.MolFromSmiles(scaffold)
        if mol is None:
            raise ValueError(f"scaffold {scaffold!r} is not a SMILES molecule{hint}")
        try:
            core, _ = scaffold_core(scaffold)
        except ValueError as error:
            raise ValueError(f"scaffold {scaffold!r}: {error}") from None
        if (pieces := len(Chem.GetMolFrags(core))) > 1:   # the new atoms grow on one piece; the others came apart
            raise ValueError(f"scaffold {scaffold!r} is written in {pieces} pieces: inpainting grows one connected "
                             "scaffold, and the molecules kept the piece they grew on, losing the others; join "
                             "the pieces as the molecules should hold them, or keep one as the scaffold and "
                             "require the other in the scoring profile")
        if core.GetNumAtoms() >= self.config.max_atoms:   # at the largest size, every graph is the bare scaffold
            raise ValueError(f"scaffold {scaffold!r} has {core.GetNumAtoms()} heavy atoms; this model's graphs hold at "
                             f"most {self.config.max_atoms}, so nothing could grow around it")
        try:
            self._scaffold(scaffold)
        except (ValueError, KeyError) as error:
            from molgen.scoring.similarity import written_as_smarts

            if written_as_smarts(scaffold):   # [#6] reads as a bare carbon, a radical: the SMARTS is the cause
                raise ValueError(f"scaffold {scaffold!r} is written as SMARTS{hint}") from None
            # written as SMILES already ([se]: an element the model lacks): the SMILES hint would mislead (a review)
            raise ValueError(f"scaffold {scaffold!r}: {error}") from None

    def _to_samples(self, x, e, mask, scaffold_atoms: int = 0, scaffold_aromatic: list[bool] | None = None) -> list[Sample]:
        """Each graph as a molecule, sanitized as sampled: its largest fragment or, with a scaffold held on the
        first ``scaffold_atoms`` nodes, the fragment holding node 0, where inpainting placed it (a smaller
        fragment than the new atoms formed apart would otherwise be dropped with the scaffold); its
        ``added_atoms`` then counts the atoms it grew (0: the new atoms all came apart, the bare scaffold), and
        ``scaffold_aromaticity_changed`` the held atoms whose aromaticity differs from the scaffold's as written
        (``scaffold_aromatic``): the bonds are held as drawn, but a ring fused onto a held single bond can make
        held atoms aromatic (an oxindole grown on pyrrolidin-2-one), and the scaffold as written then no longer
        matches it as a substructure (a run's filter drops it)."""
        scaffold_fragment = scaffold_atoms > 0
        samples = []
        for b in range(len(x)):
            k = int(mask[b].sum())
            atoms = x[b, :k].argmax(-1).numpy()
            classes = e[b, :k, :k].argmax(-1)
            upper = torch.triu(classes, diagonal=1)
            pairs = upper.nonzero().numpy()
            kinds = (upper[upper > 0] - 1).numpy()
            result = graph_to_mol(atoms, pairs.reshape(-1, 2), kinds, self.vocabulary)
            if not result.valid:   # the graph as drawn (unsanitized), so a run's rejects show what failed
                samples.append(Sample("", None, {"atoms": k, "error": result.error, "reason": result.reason,
                                                 "graph": unsanitized_smiles(result.mol)}))
                continue
            fragments = Chem.GetMolFrags(result.mol, asMols=True)
            grown = {}
            if scaffold_fragment:
                which, nodes = next((i, atoms) for i, atoms in enumerate(Chem.GetMolFrags(result.mol)) if 0 in atoms)
                kept = fragments[which]
                # the new nodes it holds (a scaffold written in pieces may leave one of its own pieces behind)
                grown = {"added_atoms": sum(node >= scaffold_atoms for node in nodes)}
                if scaffold_aromatic is not None:
                    grown["scaffold_aromaticity_changed"] = sum(
                        result.mol.GetAtomWithIdx(i).GetIsAromatic() != was for i, was in enumerate(scaffold_aromatic))
            else:
                kept = max(fragments, key=lambda m: m.GetNumAtoms())
                grown = {"kept_atoms": kept.GetNumAtoms()}   # of the graph's k: how much of it came apart
            samples.append(Sample(Chem.MolToSmiles(kept), None, {"atoms": k, "fragments": len(fragments), **grown}))
        return samples


def scaffold_core(smiles: str) -> tuple[Chem.Mol, list[int] | None]:
    """A scaffold as inpainting holds it: the molecule without its attachment points (``*``, each put back as the
    hydrogen it stands for, so ``*n1ccnc1`` holds an NH) and, per remaining atom, how many it bore (None when
    none is written: every atom may take new atoms). Several attachment points are fine (an R1/R2 table); each
    must hang off one scaffold atom by a single bond."""
    with quiet_rdkit():
        mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        raise ValueError("is not a valid SMILES")
    # the graphs carry no isotope labels: a deuterium would fold away and shift every atom's index after it (a code
    # review: a run crashed after minutes), and the filter would then ask for a label no sample carries
    if any(atom.GetIsotope() and atom.GetAtomicNum() for atom in mol.GetAtoms()):
        raise ValueError("holds isotope labels ([2H], [13C]), which the model's graphs do not carry: write the "
                         "scaffold without them")
    dummies = [atom for atom in mol.GetAtoms() if atom.GetAtomicNum() == 0]
    if not dummies:
        return mol, None
    if why := misplaced_attachment_point(mol):
        raise ValueError(why)
    editable = Chem.RWMol(mol)
    for atom in editable.GetAtoms():   # where each kept atom was written (RemoveHs renumbers)
        atom.SetIntProp("_written", atom.GetIdx())
    for dummy in dummies:
        bonds = dummy.GetBonds()
        anchor = editable.GetAtomWithIdx(bonds[0].GetOtherAtomIdx(dummy.GetIdx()))
        anchor.SetIntProp("_marks", anchor.GetIntProp("_marks") + 1 if anchor.HasProp("_marks") else 1)
    _attachment_points_as(editable, 1)
    removal = Chem.RemoveHsParameters()
    removal.removeDefiningBondStereo = True   # a * fixing a double bond's E/Z goes too (graphs carry no stereo)
    with quiet_rdkit():
        try:
            core = Chem.RemoveHs(editable.GetMol(), removal)
        except Exception as error:   # RDKit's sanitization errors share no base class worth naming
            raise ValueError(f"without its attachment points it is no molecule ({error})") from None
    if not core.GetNumAtoms():
        raise ValueError("holds no atom besides its attachment points")
    return core, [atom.GetIntProp("_marks") if atom.HasProp("_marks") else 0 for atom in core.GetAtoms()]


def _attachment_points_as(editable: Chem.RWMol, atomic_number: int) -> None:
    """Each ``*`` of ``editable`` made a plain atom of ``atomic_number`` (the hydrogen it stands for, or a carbon
    standing for a group): no label, charge or pinned hydrogens (``[*:1]`` is read with none: as carbon, a radical)."""
    for atom in editable.GetAtoms():
        if atom.GetAtomicNum() == 0:
            atom.SetAtomicNum(atomic_number)
            atom.SetIsotope(0)
            atom.SetAtomMapNum(0)
            atom.SetFormalCharge(0)
            atom.SetNoImplicit(False)
            atom.SetNumExplicitHs(0)


def substituted_anchor_types(smiles: str, vocabulary: AtomVocabulary) -> dict[int, int]:
    """For each atom bearing an attachment point (its index in :func:`scaffold_core`'s molecule), its type in the
    aromatic scheme once substituted, read with each ``*`` as a carbon: an aromatic N marked for a group is an
    ``n``, not the ``[nH]`` that the ``*`` read as a hydrogen gives. An anchor whose substituted form does not
    read, or has a type outside ``vocabulary``, keeps its type."""
    from molgen.chem.graph import atom_types

    core, anchors = scaffold_core(smiles)
    editable = Chem.RWMol(Chem.MolFromSmiles(smiles))
    _attachment_points_as(editable, 6)
    with quiet_rdkit():
        try:
            substituted = editable.GetMol()
            Chem.SanitizeMol(substituted)
            types = atom_types(substituted, aromatic=True)
        except Exception:   # noqa: BLE001 -- RDKit's sanitization errors share no useful base class
            return {}
    written = [types[atom.GetIntProp("_written")] for atom in core.GetAtoms()]
    return {i: vocabulary.index(written[i]) for i, anchor in enumerate(anchors or []) if anchor and written[i] in vocabulary}
