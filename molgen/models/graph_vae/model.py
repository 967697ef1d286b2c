"""The graph VAE: a GINE encoder to a latent z, and a decoder that builds the graph from z atom
by atom and bond by bond in breadth-first order, masking every choice that would break valence.

Decoding, one atom ``t`` at a time:

1. a GRU state ``h_t`` (started from z) picks the atom type of ``t``, or STOP;
2. for every earlier atom ``j`` (in order), a bond class (none, single, double, triple) given
   ``h_t``, the new atom, ``j``'s own state, how far back ``j`` is, the valence ``j`` has left,
   and the bonds ``t`` has made to atoms before ``j`` (their orders and who the partners are),
   so the bonds of one new atom are chosen in turn, each knowing the ones before it;
3. the new atom and its bonds become the GRU's next input.

Masks (the same in training, from the true partial graph, and in sampling): a bond of order
``k`` needs ``k`` free valence on both atoms (``capacities`` per atom type, the largest bond-order
sum seen in training); a new atom must bond to some earlier atom (so ``none`` is ruled out at the
last earlier atom that still has free valence when no bond was made yet); an atom can only be
added while some earlier atom has free valence, else the molecule stops. Every decoded graph is
therefore connected and within every atom's capacity by construction.

Ring limit (decoding only): a bond that would close a ring of more than ``config.max_ring_size``
atoms (the largest ring the training molecules' decodings close, :func:`largest_closed_rings`) is
ruled out. The ring a bond closes is the shortest path between its atoms in the partial graph,
plus one. Training needs no such mask: with the limit ``build_model`` records, no training molecule
closes a larger ring. With it, a bond that would close a three-membered ring holding a double bond
(a cyclopropene) or a four-membered ring holding two (a cyclobutadiene) is ruled out too: both are
strained or antiaromatic and raise a ring alert (:func:`small_ring_doubles`).
"""

from __future__ import annotations

from collections import deque

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.nn import GINEConv, global_add_pool, global_mean_pool

from molgen.chem.graph import AtomVocabulary, MolGraph
from molgen.models.base import Conditions, GraphModelCheckpoint, Sample
from molgen.models.graph_vae.config import GraphVAEConfig

FAMILY = "graph-vae"
NUM_BOND_CLASSES = 4  # none, single, double, triple (class k has bond order k)
MAX_ORDER_SUM = 6     # free valence and bond-order sums are embedded up to this (sulfur's 6)
UNREACHED = 10_000    # the graph distance between atoms not (yet) connected


def bfs_order(graph: MolGraph) -> np.ndarray:
    """Atom indices in breadth-first order from atom 0, neighbours by index (the decoding order)."""
    n = graph.num_atoms
    neighbours: list[list[int]] = [[] for _ in range(n)]
    for i, j in graph.bonds:
        neighbours[int(i)].append(int(j))
        neighbours[int(j)].append(int(i))
    order, seen = [], [False] * n
    for root in range(n):  # a disconnected graph: each fragment in turn
        if seen[root]:
            continue
        seen[root] = True
        queue = deque([root])
        while queue:
            atom = queue.popleft()
            order.append(atom)
            for other in sorted(neighbours[atom]):
                if not seen[other]:
                    seen[other] = True
                    queue.append(other)
    return np.array(order, dtype=np.int64)


def to_sequences(graphs: list[MolGraph], max_atoms: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Atom types (B, N) in BFS order (-1 = padding), bond classes (B, N, N) symmetric, and lengths (B,)."""
    n = min(max(g.num_atoms for g in graphs), max_atoms)
    atoms = np.full((len(graphs), n), -1, dtype=np.int64)  # filled in numpy: element-wise tensor writes are slow
    bonds = np.zeros((len(graphs), n, n), dtype=np.int64)
    lengths = np.zeros(len(graphs), dtype=np.int64)
    for b, graph in enumerate(graphs):
        if graph.num_atoms > max_atoms:
            raise ValueError(f"a molecule with {graph.num_atoms} atoms exceeds max_atoms {max_atoms}")
        order = bfs_order(graph)
        position = np.empty_like(order)
        position[order] = np.arange(len(order))
        atoms[b, :len(order)] = graph.atoms[order]
        if len(graph.bonds):
            p, q = position[graph.bonds[:, 0]], position[graph.bonds[:, 1]]
            bonds[b, p, q] = bonds[b, q, p] = graph.bond_types + 1
        lengths[b] = len(order)
    return torch.from_numpy(atoms), torch.from_numpy(bonds), torch.from_numpy(lengths)


class PartialPaths:
    """Shortest paths (in bonds) between the atoms placed so far, batched, for the ring a new bond closes.

    While atom ``t`` makes its bonds, ``reach[x]`` is the shortest path from ``x`` to any atom ``t`` is
    bonded to, in the graph before ``t``: a bond ``t - j`` then closes a ring of ``reach[j] + 2`` atoms
    (``UNREACHED`` or more: no ring, ``t`` has no bond yet). When ``t`` is done, the paths through it join
    the table, once per atom rather than once per bond. With ``max_ring``, ``may_close(j)`` says where a
    bond ``t - j`` stays within it (kept up to date as bonds are made, since decoding asks at every ``j``).
    """

    def __init__(self, batch: int, max_atoms: int, max_ring: int | None = None):
        self.between = torch.full((batch, max_atoms, max_atoms), UNREACHED, dtype=torch.long)
        self.max_ring, self.t = max_ring, 0
        self.start_atom(0)

    def start_atom(self, t: int) -> None:
        self.t, self.reach = t, torch.full((len(self.between), t), UNREACHED, dtype=torch.long)
        self.within = torch.ones(len(self.between), t, dtype=torch.bool)

    def ring(self, j: int) -> torch.Tensor:
        """(B,) the atoms in the ring a bond ``t - j`` would close now (``UNREACHED`` or more: none)."""
        return self.reach[:, j] + 2

    def may_close(self, j: int) -> torch.Tensor:
        """(B,) whether a bond ``t - j`` closes no ring larger than ``max_ring``."""
        return self.within[:, j]

    def bond(self, j: int, bonded: torch.Tensor) -> None:
        """Atom ``t`` bonded to ``j`` in the rows where ``bonded`` (B,) is true."""
        if not bool(bonded.any()):
            return
        self.reach = torch.where(bonded[:, None], torch.minimum(self.reach, self.between[:, j, :self.t]), self.reach)
        if self.max_ring is not None:
            self.within = (self.reach >= UNREACHED) | (self.reach + 2 <= self.max_ring)

    def finish_atom(self) -> None:
        t, to_t = self.t, (self.reach + 1).clamp(max=UNREACHED)
        through = (to_t[:, :, None] + to_t[:, None, :]).clamp(max=UNREACHED)
        self.between[:, :t, :t] = torch.minimum(self.between[:, :t, :t], through)
        self.between[:, t, :t] = self.between[:, :t, t] = to_t
        self.between[:, t, t] = 0


def small_ring_doubles(bonds: torch.Tensor, t: int, j: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The most double bonds on the three- and four-membered rings a bond ``t - j`` would close, less that bond:
    (B,) over paths ``t - a - j`` and (B,) over paths ``t - a - m - j`` in the partial graph (``a`` bonded to the
    new atom ``t``), -1 where the bond closes no such ring. Any double bond in a three-membered ring makes a
    cyclopropene; two in a four-membered ring make a cyclobutadiene."""
    placed = bonds[:, :t, :t]                                    # (B, t, t) bond classes, class k = order k
    to_t, to_j = bonds[:, t, :t], placed[:, :, j]                # (B, t): t's bonds so far; j's bonds
    via = (to_t > 0) & (to_j > 0)                                # [b, a]: t - a - j
    three = torch.where(via, (to_t == 2).long() + (to_j == 2).long(), -1).amax(1)
    path = (to_t > 0)[:, :, None] & (placed > 0) & (to_j > 0)[:, None, :]   # [b, a, m]: t - a - m - j
    doubles = (to_t == 2).long()[:, :, None] + (placed == 2).long() + (to_j == 2).long()[:, None, :]
    return three, torch.where(path, doubles, -1).flatten(1).amax(1)


def largest_closed_rings(bonds: torch.Tensor) -> torch.Tensor:
    """(B,) the largest ring each graph's BFS decoding closes (0: none), from :func:`to_sequences`'
    bonds: the quantity ``config.max_ring_size`` limits when decoding."""
    b, n = bonds.shape[:2]
    paths = PartialPaths(b, n)
    largest = torch.zeros(b, dtype=torch.long)
    for t in range(n):
        paths.start_atom(t)
        for j in range(t):
            bonded = bonds[:, t, j] > 0
            ring = paths.ring(j)
            largest = torch.where(bonded & (ring < UNREACHED), torch.maximum(largest, ring), largest)
            paths.bond(j, bonded)
        paths.finish_atom()
    return largest


class Encoder(nn.Module):
    """GINE message passing over atom and bond embeddings, pooled (mean and sum) to q(z | G)."""

    def __init__(self, config: GraphVAEConfig):
        super().__init__()
        h = config.hidden_dim
        self.atom = nn.Embedding(config.num_atom_types, h)
        self.bond = nn.Embedding(NUM_BOND_CLASSES - 1, h)
        self.layers = nn.ModuleList(
            GINEConv(nn.Sequential(nn.Linear(h, h), nn.ReLU(), nn.Linear(h, h)), edge_dim=h) for _ in range(config.encoder_layers))
        self.norms = nn.ModuleList(nn.LayerNorm(h) for _ in range(config.encoder_layers))
        self.out = nn.Sequential(nn.Linear(2 * h, h), nn.ReLU(), nn.Linear(h, 2 * config.latent_dim))

    def forward(self, batch) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.atom(batch.x)
        edges = self.bond(batch.edge_attr)
        for layer, norm in zip(self.layers, self.norms):
            x = x + F.relu(norm(layer(x, batch.edge_index, edges)))
        pooled = torch.cat([global_mean_pool(x, batch.batch), global_add_pool(x, batch.batch) / 10.0], dim=1)
        mu, logvar = self.out(pooled).chunk(2, dim=1)
        return mu, logvar.clamp(-10, 10)


class FocusAttention(nn.Module):
    """Where the next atom goes. Multi-head attention from the decoder state over the atoms placed so far,
    each seen with the valence it has left and how many steps ago it was placed: in BFS order a new atom
    bonds first to the earliest atom still taking neighbours, which the GRU state alone has to remember.
    Both outputs (for the atom head and the bond head) start at zero, so a trained decoder can gain this
    module and fine-tune from where it was."""

    def __init__(self, hidden_dim: int, max_atoms: int, heads: int = 4):
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(hidden_dim, hidden_dim)
        self.key = nn.Linear(hidden_dim, hidden_dim, bias=False)
        self.value = nn.Linear(hidden_dim, hidden_dim, bias=False)
        self.key_free = nn.Embedding(MAX_ORDER_SUM + 1, hidden_dim)
        self.value_free = nn.Embedding(MAX_ORDER_SUM + 1, hidden_dim)
        self.key_distance = nn.Embedding(max_atoms + 1, hidden_dim)
        self.to_atom = nn.Linear(hidden_dim, hidden_dim)
        self.to_bond = nn.Linear(hidden_dim, hidden_dim)
        for layer in (self.to_atom, self.to_bond):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, state: torch.Tensor, placed: torch.Tensor, free: torch.Tensor, distance: torch.Tensor,
                visible: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``state`` (B, T, H) at T steps; ``placed`` (B, N, H) the atoms; ``free`` (B, T, N) each atom's free
        valence at each step; ``distance`` (T, N) steps since placing; ``visible`` (T, N) atom placed before
        the step. Returns the additions to the atom head's and the bond head's inputs, (B, T, H) each."""
        b, t, h = state.shape
        n, k = placed.shape[1], self.heads
        d = h // k
        if n == 0:
            zero = state.new_zeros(b, t, h)
            return zero, zero
        query = self.query(state).view(b, t, k, d) / d ** 0.5
        free = free.clamp(0, MAX_ORDER_SUM)
        by_free = free[:, :, None, :].expand(b, t, k, n)
        score = (torch.einsum("btkd,bnkd->btkn", query, self.key(placed).view(b, n, k, d))
                 + torch.einsum("btkd,fkd->btkf", query, self.key_free.weight.view(-1, k, d)).gather(-1, by_free)
                 + torch.einsum("btkd,fkd->btkf", query, self.key_distance.weight.view(-1, k, d))
                 .gather(-1, distance.clamp(0, self.key_distance.num_embeddings - 1)[None, :, None, :].expand(b, t, k, n)))
        score = score.masked_fill(~visible[None, :, None, :], float("-inf"))
        weights = torch.softmax(score, -1).nan_to_num(0.0)  # a step with no atom placed yet attends to nothing
        context = torch.einsum("btkn,bnkd->btkd", weights, self.value(placed).view(b, n, k, d))
        per_free = torch.zeros(b, t, k, MAX_ORDER_SUM + 1, dtype=weights.dtype).scatter_add_(-1, by_free, weights)
        context = context + torch.einsum("btkf,fkd->btkd", per_free, self.value_free.weight.view(-1, k, d))
        context = context.reshape(b, t, h)
        return self.to_atom(context), self.to_bond(context)


class Decoder(nn.Module):
    """z -> graph, autoregressive in BFS order (see the module docstring)."""

    def __init__(self, config: GraphVAEConfig):
        super().__init__()
        h, v = config.hidden_dim, config.num_atom_types
        self.config = config
        self.stop = v  # atom class index meaning "no more atoms"
        self.atom = nn.Embedding(v, h)
        self.position = nn.Embedding(config.max_atoms + 1, h)
        self.start = nn.Parameter(torch.zeros(h))
        self.bond_message = nn.ModuleList(nn.Linear(h, h, bias=False) for _ in range(NUM_BOND_CLASSES - 1))
        self.z_state = nn.Linear(config.latent_dim, h)
        self.z_input = nn.Linear(config.latent_dim, h)
        self.gru = nn.GRU(h, h, batch_first=True)
        self.atom_head = nn.Sequential(nn.Linear(h, h), nn.ReLU(), nn.Linear(h, v + 1))
        # The bond head is an MLP on [new atom, earlier atom]; its first layer is split in two so each
        # atom is projected once and pairs only add (N x cheaper than projecting every pair).
        self.edge_new = nn.Linear(h, h)
        self.edge_old = nn.Linear(h, h, bias=False)
        self.edge_out = nn.Sequential(nn.ReLU(), nn.Linear(h, NUM_BOND_CLASSES))
        # What the bond head knows of (t, j) beyond the two atoms (see the module docstring).
        self.edge_distance = nn.Embedding(config.max_atoms + 1, h)
        self.edge_free = nn.Embedding(MAX_ORDER_SUM + 1, h)
        self.edge_made = nn.Embedding(MAX_ORDER_SUM + 1, h)
        self.edge_partners = nn.Linear(h, h, bias=False)
        self.focus = FocusAttention(h, config.max_atoms) if config.focus_attention else None
        self.register_buffer("capacity", torch.tensor(config.capacities, dtype=torch.long), persistent=False)

    def node_features(self, atoms: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(atoms.shape[1], device=atoms.device)
        return self.atom(atoms.clamp(min=0)) + self.position(positions)[None]

    def messages(self, node: torch.Tensor, bonds: torch.Tensor) -> torch.Tensor:
        """For each atom, the sum over its bonded earlier atoms of a bond-type transform of their features."""
        n = node.shape[1]
        earlier = torch.tril(torch.ones(n, n, dtype=torch.bool, device=node.device), diagonal=-1)
        out = torch.zeros_like(node)
        for k, transform in enumerate(self.bond_message, start=1):
            out = out + transform(((bonds == k) & earlier).float() @ node)
        return out

    def logits(self, z: torch.Tensor, atoms: torch.Tensor, bonds: torch.Tensor, lengths: torch.Tensor,
               use_masks: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher-forced logits: atom classes (B, N+1, V+1) for steps 0..N, and bond classes
        (B, N, N, 4) for every pair [t, j], masked as :meth:`decode` masks them."""
        b, n = atoms.shape
        node = self.node_features(atoms)
        step_in = node + self.messages(node, bonds)  # what atom t tells step t+1
        inputs = torch.cat([self.start.expand(b, 1, -1), step_in], dim=1) + self.z_input(z)[:, None]
        states, _ = self.gru(inputs, torch.tanh(self.z_state(z))[None])  # (B, N+1, H): state t picks atom t
        old = states[:, :n] + node                  # atom j with the state that chose it
        cap = self.capacity[atoms.clamp(min=0)].masked_fill(atoms < 0, 0)
        atom_in, bond_in = states, 0
        if self.focus is not None:
            used = self._used_at_steps(bonds)
            steps = torch.arange(n + 1)[:, None] - torch.arange(n)[None]                                    # (N+1, N)
            atom_extra, bond_extra = self.focus(states, old, cap[:, None, :] - used, steps, steps > 0)
            atom_in, bond_in = states + atom_extra, bond_extra[:, :n]
        atom_logits = self.atom_head(atom_in)
        if use_masks:
            atom_logits = atom_logits.masked_fill(~self._atom_mask(atoms, bonds, lengths), float("-inf"))
        new = states[:, :n] + node + bond_in        # atom t as it is placed
        free_j = (cap[:, None, :] - self._used_before(bonds)).clamp(0, MAX_ORDER_SUM)   # j's free valence when t arrives
        made = (torch.cumsum(bonds, dim=2) - bonds).clamp(0, MAX_ORDER_SUM)             # orders t bonded before j
        bonded = (bonds > 0).float()[..., None] * self.edge_partners(old)[:, None]      # (B, N, N, H): [t, j'] partner j'
        partners = torch.cumsum(bonded, dim=2) - bonded                                 # t's partners before j
        distance = (torch.arange(n)[:, None] - torch.arange(n)[None]).clamp(0, self.config.max_atoms)
        edge_hidden = (self.edge_new(new)[:, :, None] + self.edge_old(old)[:, None] + self.edge_distance(distance)[None]
                       + self.edge_free(free_j) + self.edge_made(made) + partners)
        edge_logits = self.edge_out(edge_hidden)  # (B, N, N, 4): [t, j]
        if use_masks:
            edge_logits = edge_logits.masked_fill(~self._edge_mask(atoms, bonds), float("-inf"))
        return atom_logits, edge_logits

    def forward(self, z: torch.Tensor, atoms: torch.Tensor, bonds: torch.Tensor, lengths: torch.Tensor,
                use_masks: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
        """Teacher-forced (atom NLL summed, bond NLL summed), each per molecule."""
        b, n = atoms.shape
        atom_logits, edge_logits = self.logits(z, atoms, bonds, lengths, use_masks)
        # atoms: target a_t for t < length, STOP at t = length, nothing after
        targets = torch.cat([atoms, torch.full((b, 1), -1, dtype=torch.long)], dim=1)
        targets[torch.arange(b), lengths] = self.stop
        atom_nll = F.cross_entropy(atom_logits.reshape(-1, atom_logits.shape[-1]), targets.reshape(-1), ignore_index=-1,
                                   reduction="none").view(b, n + 1).sum(1)
        # bonds: every pair j < t < length
        real = torch.arange(n)[None] < lengths[:, None]
        pairs = torch.tril(torch.ones(n, n, dtype=torch.bool), diagonal=-1)[None] & real[:, :, None] & real[:, None, :]
        edge_targets = bonds.masked_fill(~pairs, -1)
        bond_nll = F.cross_entropy(edge_logits.reshape(-1, NUM_BOND_CLASSES), edge_targets.reshape(-1), ignore_index=-1,
                                   reduction="none").view(b, n, n).sum((1, 2))
        return atom_nll, bond_nll

    # -- masks from a (true or sampled) partial graph ------------------------------------

    def _used_before(self, bonds: torch.Tensor) -> torch.Tensor:
        """used[t, j]: bond orders atom j carries to atoms before t (j's load when t arrives)."""
        return torch.cumsum(bonds, dim=1) - bonds

    def _used_at_steps(self, bonds: torch.Tensor) -> torch.Tensor:
        """(B, N+1, N): bond orders atom j carries when atom step t starts (t = N: the whole graph)."""
        return torch.cat([self._used_before(bonds), bonds.sum(2, keepdim=True).transpose(1, 2)], dim=1)

    def _atom_mask(self, atoms: torch.Tensor, bonds: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """(B, N+1, V+1): which atom classes step t may pick, given atoms 0..t-1 and their bonds."""
        b, n = atoms.shape
        cap = self.capacity[atoms.clamp(min=0)].masked_fill(atoms < 0, 0)            # (B, N)
        used = self._used_at_steps(bonds)
        # free valence of each earlier atom j when step t starts
        free = (cap[:, None, :] - used).clamp(min=0)
        earlier = torch.tril(torch.ones(n + 1, n, dtype=torch.bool), diagonal=-1)[None]
        any_free = ((free > 0) & earlier).any(2)                                      # (B, N+1)
        mask = torch.ones(b, n + 1, self.stop + 1, dtype=torch.bool)
        can_bond = self.capacity >= 1
        steps = torch.arange(n + 1)[None]
        grow = (any_free | (steps == 0)) & (steps < self.config.max_atoms)
        mask[..., :self.stop] = grow[..., None] & (can_bond[None, None] | (steps == 0)[..., None])
        mask[:, 0, self.stop] = False  # a molecule has at least one atom
        return mask

    def _edge_mask(self, atoms: torch.Tensor, bonds: torch.Tensor) -> torch.Tensor:
        """(B, N, N, 4): which bond classes (t, j) may take, deciding j = 0, 1, ... for each t."""
        cap = self.capacity[atoms.clamp(min=0)].masked_fill(atoms < 0, 0)
        free_j = cap[:, None, :] - self._used_before(bonds)                         # j's free valence when t arrives
        made = torch.cumsum(bonds, dim=2) - bonds                                     # t's bonds to atoms before j
        free_t = cap[:, :, None] - made
        room = torch.minimum(free_j, free_t)                                          # (B, N, N)
        orders = torch.arange(NUM_BOND_CLASSES)
        mask = orders[None, None, None] <= room[..., None]
        n = atoms.shape[1]
        earlier = torch.tril(torch.ones(n, n, dtype=torch.bool), diagonal=-1)[None]
        available = (free_j > 0) & earlier
        later_available = torch.flip(torch.cumsum(torch.flip(available.long(), [2]), 2), [2]) - available.long() > 0
        real = (atoms >= 0)[:, :, None]
        must_bond = real & (made == 0) & available & ~later_available                 # last chance to connect t
        mask[..., 0] = ~must_bond
        return mask

    # -- sampling ------------------------------------------------------------------------

    @torch.no_grad()
    def decode(self, z: torch.Tensor, *, greedy: bool = False, temperature: float = 1.0, generator: torch.Generator | None = None,
               use_masks: bool = True, ring_limit: bool = True, with_log_likelihood: bool = False):
        """Graphs from latents: atom types (B, N) (-1 after the end), bond classes (B, N, N), lengths.
        ``ring_limit`` (with ``use_masks``) rules out closing a ring larger than ``config.max_ring_size``, and a
        cyclopropene or cyclobutadiene (:func:`small_ring_doubles`).
        ``with_log_likelihood`` adds a fourth tensor (B,): the log-probability the network gives every
        choice made (temperature 1, valence masks applied, the ring limit not), which is the teacher-forced
        ``-forward`` of the decoded graph. Scored without the limit's renormalisation, a graph the
        network only reached because a larger ring was ruled out keeps the low likelihood it has."""
        b, n_max = z.shape[0], self.config.max_atoms
        ring_rules = use_masks and ring_limit
        max_ring = self.config.max_ring_size if ring_rules else None
        if ring_rules:
            paths = PartialPaths(b, n_max, max_ring)
        h = torch.tanh(self.z_state(z))
        z_in = self.z_input(z)
        atoms = torch.full((b, n_max), -1, dtype=torch.long)
        bonds = torch.zeros((b, n_max, n_max), dtype=torch.long)
        states = torch.zeros(b, n_max, h.shape[1])
        nodes = torch.zeros(b, n_max, h.shape[1])
        load = torch.zeros(b, n_max, dtype=torch.long)  # bond orders each atom carries so far
        done = torch.zeros(b, dtype=torch.bool)
        step_input = self.start.expand(b, -1) + z_in
        classes = torch.arange(NUM_BOND_CLASSES)[None]
        log_likelihood = torch.zeros(b)

        def pick(logits: torch.Tensor, live: torch.Tensor, scored: torch.Tensor | None = None) -> torch.Tensor:
            """Choose from ``logits``; add the choice's log-probability under ``scored`` (default ``logits``)."""
            if greedy:
                choice = logits.argmax(-1)
            else:
                choice = torch.multinomial(torch.softmax(logits / temperature, -1), 1, generator=generator).squeeze(1)
            if with_log_likelihood:  # rows already stopped add nothing (where, not a product: their logits may be NaN)
                chosen = torch.log_softmax(logits if scored is None else scored, -1).gather(1, choice[:, None]).squeeze(1)
                log_likelihood.add_(torch.where(live, chosen, 0.0))
            return choice

        for t in range(n_max + 1):
            h = self.gru(step_input[:, None], h[None])[1][0]
            free = self.capacity[atoms[:, :t].clamp(min=0)] - load[:, :t]        # (B, t) free valence now
            atom_in, bond_in = h, 0
            if self.focus is not None:
                steps = t - torch.arange(t)[None]
                atom_extra, bond_extra = self.focus(h[:, None], states[:, :t] + nodes[:, :t], free[:, None], steps, steps > 0)
                atom_in, bond_in = h + atom_extra[:, 0], bond_extra[:, 0]
            logits = self.atom_head(atom_in)
            allowed = torch.ones_like(logits, dtype=torch.bool)
            if t == n_max:
                allowed[:, :self.stop] = False
            elif use_masks and t > 0:
                allowed[:, :self.stop] = (free > 0).any(1)[:, None] & (self.capacity >= 1)[None]
            if t == 0:
                allowed[:, self.stop] = False
            choice = pick(logits.masked_fill(~allowed, float("-inf")), ~done)
            done = done | (choice == self.stop)
            if done.all() or t == n_max:
                break
            atoms[:, t] = torch.where(done, -1, choice)
            if ring_rules:
                paths.start_atom(t)
            states[:, t] = h
            nodes[:, t] = self.atom(atoms[:, t].clamp(min=0)) + self.position.weight[t]
            cap_t = self.capacity[atoms[:, t].clamp(min=0)]
            available = free > 0
            later = (torch.flip(torch.cumsum(torch.flip(available.long(), [1]), 1), [1]) - available.long()) > 0
            made = torch.zeros(b, dtype=torch.long)
            new = self.edge_new(h + nodes[:, t] + bond_in)
            old = self.edge_old(states[:, :t] + nodes[:, :t])
            partner = self.edge_partners(states[:, :t] + nodes[:, :t])
            distance = self.edge_distance(t - torch.arange(t))
            free_embedded = self.edge_free(free.clamp(0, MAX_ORDER_SUM))
            partners = torch.zeros_like(new)
            for j in range(t):
                edge_logits = self.edge_out(new + old[:, j] + distance[j] + free_embedded[:, j]
                                            + self.edge_made(made.clamp(max=MAX_ORDER_SUM)) + partners)
                scored = None
                if use_masks:
                    allowed = classes <= torch.minimum(free[:, j], cap_t - made)[:, None]
                    allowed[:, 0] = ~((made == 0) & available[:, j] & ~later[:, j])
                    if ring_rules:  # a first bond (made == 0) closes no ring, so these never rule out every class
                        if with_log_likelihood:
                            scored = edge_logits.masked_fill(~allowed, float("-inf"))
                        allowed[:, 1:] &= paths.may_close(j)[:, None]
                        if bool((paths.ring(j) <= 4).any()):   # a three- or four-membered ring: check for doubles
                            three, four = small_ring_doubles(bonds, t, j)
                            allowed[:, 2:] &= ((three < 0) & (four < 1))[:, None]
                            allowed[:, 1:] &= ((three < 1) & (four < 2))[:, None]
                    edge_logits = edge_logits.masked_fill(~allowed, float("-inf"))
                kind = torch.where(done, 0, pick(edge_logits, ~done, scored))
                if ring_rules:
                    paths.bond(j, kind > 0)
                bonds[:, t, j] = bonds[:, j, t] = kind
                made += kind
                load[:, j] += kind
                partners = partners + (kind > 0).float()[:, None] * partner[:, j]
            load[:, t] = made
            if ring_rules:
                paths.finish_atom()
            message = 0
            for k, transform in enumerate(self.bond_message, start=1):
                message = message + transform(((bonds[:, t, :t] == k).float()[:, None] @ nodes[:, :t]).squeeze(1))
            step_input = nodes[:, t] + message + z_in
        if with_log_likelihood:
            return atoms, bonds, (atoms >= 0).sum(1), log_likelihood
        return atoms, bonds, (atoms >= 0).sum(1)


class GraphVAE(GraphModelCheckpoint, nn.Module):
    """The trained model: encoder, decoder, optional property head, and the atom vocabulary."""

    family = FAMILY
    config_class = GraphVAEConfig

    def __init__(self, config: GraphVAEConfig, vocabulary: AtomVocabulary, training: dict | None = None):
        super().__init__()
        self.config, self.vocabulary = config, vocabulary
        self.training_record = training or {}
        self.encoder = Encoder(config)
        self.decoder = Decoder(config)
        self.property_head = (nn.Sequential(nn.Linear(config.latent_dim, config.hidden_dim), nn.ReLU(),
                                            nn.Linear(config.hidden_dim, len(config.properties)))
                              if config.properties else None)
        if config.latent_prior_rows:
            self.register_buffer("latent_prior", torch.zeros(config.latent_prior_rows, 2, config.latent_dim))
        self._reference_encodings: dict[str, torch.Tensor] = {}   # similar_to references, encoded once (_encoding)
        self._round_trips: dict[str, str] = {}   # and what each decodes back to, said once

    def set_latent_prior(self, mu: torch.Tensor, logvar: torch.Tensor) -> None:
        """Carry the posteriors N(mu_i, exp(logvar_i)) of training molecules: prior samples then come from
        their equal mixture, the aggregate posterior (``sample.sample_prior``; ``latent.aggregate_posterior``)."""
        if mu.shape != logvar.shape or mu.dim() != 2 or mu.shape[1] != self.config.latent_dim or not len(mu):
            raise ValueError(f"the prior needs (rows, {self.config.latent_dim}) means and log-variances, "
                             f"got {tuple(mu.shape)} and {tuple(logvar.shape)}")
        self.config.latent_prior_rows = len(mu)
        self.register_buffer("latent_prior", torch.stack([mu, logvar], dim=1).detach().float().clone())

    def clear_latent_prior(self) -> None:
        """Forget the aggregate posterior (training changes the encoder it describes); N(0, I) again."""
        if self.config.latent_prior_rows:
            del self.latent_prior
            self.config.latent_prior_rows = 0

    def check_sample_options(self, *, decoding: str | None = None, temperature: float | None = None,
                             candidates: int | None = None, **options) -> dict:
        """Refuse bad option values before a run is stored (``molgen.runs.generate`` calls this), and
        return the options with the defaults written in (the decoding, and its candidates and temperature), so
        the run pins them: a run resumed or repeated (``--like``) after a default changed decodes as it began."""
        from molgen.models.graph_vae.sample import DECODING_DEFAULTS, DEFAULT_DECODING, check_decoding

        decoding = decoding or DEFAULT_DECODING
        check_decoding(decoding, temperature, candidates)
        given = {"temperature": temperature, "candidates": candidates}
        return {**options, "decoding": decoding, **DECODING_DEFAULTS[decoding],
                **{k: v for k, v in given.items() if v is not None}}

    def sample(self, n: int, *, conditions: Conditions | None = None, seed: int | None = None, decoding: str | None = None,
               temperature: float | None = None, candidates: int | None = None, batch_size: int = 512,
               use_masks: bool = True, latent_prior: bool = True, ring_limit: bool = True, **options) -> list[Sample]:
        """``n`` molecules decoded from prior latents: greedily, by sampling, or the most likely of
        ``candidates`` decodings (``decoding``: see ``sample.DECODINGS``; default ``sample.DEFAULT_DECODING``);
        every one is valid by construction (valence masks), and closes no ring of more than
        ``config.max_ring_size`` atoms (``ring_limit=False`` lifts it).
        The latents come from the aggregate posterior the checkpoint carries (``set_latent_prior``),
        else, or with ``latent_prior=False``, from N(0, I); given ``conditions.similar_to``, from around the
        reference's encoding instead, nearer it but not held to ``conditions.min_similarity`` (some fall below:
        ``molgen.generate`` filters for the threshold)."""
        from molgen.models.base import check_sample_request, refuse_unknown_options, warn_unread_conditions
        from molgen.models.graph_vae.sample import DEFAULT_DECODING, sample_prior

        refuse_unknown_options(self.family, options)
        check_sample_request(n, conditions, batch_size)
        warn_unread_conditions(self.family, conditions, {"similar_to"})
        if n < 0:
            raise ValueError(f"n must be 0 or more, not {n}")
        around = self._encoding(conditions.similar_to) if conditions is not None and conditions.similar_to else None
        return sample_prior(self, n, seed=seed, decoding=decoding or DEFAULT_DECODING, temperature=temperature, candidates=candidates,
                            batch_size=batch_size, use_masks=use_masks, latent_prior=latent_prior, ring_limit=ring_limit,
                            around=around)

    def native_conditions(self, conditions: Conditions) -> tuple[Conditions, dict[str, str]]:
        """The conditions this model steers itself: a reference to stay near (``similar_to``), by decoding latents
        around the reference's encoding instead of the prior's. Property conditions and a scaffold are left to
        the run's filter (the property head steers only ``latent.search``, one molecule at a time)."""
        from molgen.models.graph_vae.sample import SIMILAR_RADII

        if not conditions.similar_to:
            return Conditions(), {}
        try:
            self._encoding(conditions.similar_to)
        except ValueError:   # an element or charge the model never saw: the filter alone, and the run says so
            return Conditions(), {}
        low, high = SIMILAR_RADII
        return (Conditions(similar_to=conditions.similar_to, min_similarity=conditions.min_similarity),
                {"similar_to": f"decoding latents around the reference's encoding (latent distance {low:g} to "
                               f"{high:g}) instead of the prior's{self._reference_round_trip(conditions.similar_to)}"})

    def _reference_round_trip(self, smiles: str) -> str:
        """What the reference's own encoding decodes to, when not the reference: how near this model gets to it
        (a 29-atom quinazoline came back at Tanimoto 0.24, and no molecule of a run reached the 0.5 asked)."""
        if smiles in self._round_trips:   # a page asks again at every rerun of its form
            return self._round_trips[smiles]
        self._round_trips[smiles] = said = self._said_round_trip(smiles)
        return said

    def _said_round_trip(self, smiles: str) -> str:
        from rdkit import Chem, DataStructs

        from molgen.chem.graph import graph_round_trip_smiles
        from molgen.models.graph_vae.latent import decode
        from molgen.scoring.similarity import morgan_fingerprint

        back = decode(self, self._encoding(smiles)[None])[0]
        given, decoded = Chem.MolFromSmiles(smiles), Chem.MolFromSmiles(back) if back else None
        if decoded is None or given is None:
            return ""
        if graph_round_trip_smiles(given) == Chem.MolToSmiles(decoded):   # graphs carry no stereo or isotopes
            return "; its encoding decodes back to it"
        near = DataStructs.TanimotoSimilarity(morgan_fingerprint(given), morgan_fingerprint(decoded))
        return (f"; its own encoding decodes back (greedily) to {back}, Tanimoto {near:.2f} to it: the model does not "
                "hold the reference itself")

    def unsteered(self, conditions: Conditions) -> dict[str, str]:
        """The conditions this model steers in general but cannot here, each with why: a reference it cannot encode
        (too many heavy atoms, an element it never saw), which the run's filter alone then meets."""
        if not conditions.similar_to:
            return {}
        try:
            self._encoding(conditions.similar_to)
        except ValueError as error:
            return {"similar_to": str(error)}
        return {}

    def _encoding(self, smiles: str) -> torch.Tensor:
        """The reference's latent point (``latent.encode``, refined), computed once per reference and model."""
        from molgen.models.graph_vae.latent import encode

        if smiles not in self._reference_encodings:
            self._reference_encodings[smiles] = encode(self, [smiles])[0]
        return self._reference_encodings[smiles]
