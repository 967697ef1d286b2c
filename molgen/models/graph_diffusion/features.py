"""Structural features the denoiser cannot compute by itself: rings, connectivity, valence and distances.

Attention over atoms and bonds cannot tell a five-membered ring from a six-membered one, and
ring sizes decide whether a sampled graph is a molecule. DiGress (Vignac et al. 2023) therefore
feeds the denoiser cycle statistics of the noisy graph at every step. From the adjacency matrix
A (any bond) and the degrees d:

- 3-cycles through atom i: (A^3)_ii / 2;
- 4-cycles through i: ((A^4)_ii - d_i (d_i - 1) - (A d)_i) / 2, the closed 4-walks that are not
  back-and-forth moves;
- closed walks of length 5 and 6 from i, (A^5)_ii and (A^6)_ii, scaled. These are not cycle
  counts (walks that run round a triangle and step back are in them too), but five- and
  six-membered rings raise them, and exact per-atom formulas for those lengths are easy to
  get wrong; the network is left to read them.

Per graph: the number of 3- and 4-cycles (an atom sum divided by the ring size), and the number
of atoms / 40.
"""

from __future__ import annotations

import math

import torch

CYCLE_NODE_FEATURES = 4   # 3- and 4-cycles through the atom, closed 5- and 6-walks
CYCLE_GRAPH_FEATURES = 3  # 3- and 4-cycles in the graph, atoms / 40


def cycle_features(e: torch.Tensor, node_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Node features (B, N, 4) and graph features (B, 3) of one-hot bonds ``e`` (B, N, N, C), class 0 "no bond"."""
    adjacency = _adjacency(e, node_mask)
    degree = adjacency.sum(-1)
    powers = [adjacency]
    for _ in range(5):
        powers.append(powers[-1] @ adjacency)
    closed = [p.diagonal(dim1=1, dim2=2) for p in powers]  # closed[k - 1]: closed walks of length k
    c3 = closed[2] / 2
    c4 = (closed[3] - degree * (degree - 1) - (adjacency @ degree[..., None]).squeeze(-1)) / 2
    nodes = torch.stack([c3, c4, closed[4] / 10, closed[5] / 100], dim=-1) * node_mask[..., None]
    graphs = torch.stack([c3.sum(-1) / 3, c4.sum(-1) / 4, node_mask.sum(-1) / 40], dim=-1)
    return nodes, graphs


# -- connectivity and spectrum --------------------------------------------------------------
# A denoiser that cannot see whether its graph is one piece emits fragments: at 100 steps the
# first shipped checkpoint's samples were one molecule only 59% of the time. DiGress adds spectral
# features of the graph Laplacian L = D - A; molgen adds the component sizes exactly as well.

SPECTRAL_NODE_FEATURES = 4   # two lowest non-trivial Laplacian eigenvectors, component size / atoms, in largest component
SPECTRAL_GRAPH_FEATURES = 6  # components / 5, the five lowest non-zero Laplacian eigenvalues / 4
_EIGENVALUES = 5
_EIGENVECTORS = 2


def _adjacency(e: torch.Tensor, node_mask: torch.Tensor) -> torch.Tensor:
    return e[..., 1:].sum(-1) * (node_mask[:, :, None] & node_mask[:, None, :])


def _reachability(adjacency: torch.Tensor) -> torch.Tensor:
    """(B, N, N) bool: whether a path joins i and j (i to itself included), by repeated squaring."""
    n = adjacency.shape[-1]
    reach = (adjacency + torch.eye(n, dtype=adjacency.dtype)) > 0
    for _ in range(max(1, math.ceil(math.log2(max(n, 2))))):
        reach = (reach.float() @ reach.float()) > 0
    return reach


def component_sizes(adjacency: torch.Tensor, node_mask: torch.Tensor) -> torch.Tensor:
    """Atoms in each atom's connected component (B, N), 0 on padding."""
    pair = node_mask[:, :, None] & node_mask[:, None, :]
    return (_reachability(adjacency) & pair).sum(-1).float()


def spectral_features(e: torch.Tensor, node_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Node features (B, N, 4) and graph features (B, 6) of one-hot bonds ``e`` (B, N, N, C), class 0 "no bond"."""
    adjacency = _adjacency(e, node_mask)
    n = adjacency.shape[-1]
    atoms = node_mask.sum(-1).clamp(min=1)
    sizes = component_sizes(adjacency, node_mask)
    components = (node_mask / sizes.clamp(min=1)).sum(-1).round()   # each component's atoms sum to one
    largest = (sizes == sizes.max(-1, keepdim=True).values) & node_mask
    laplacian = torch.diag_embed(adjacency.sum(-1)) - adjacency
    # Padding atoms get a large diagonal, so their eigenvalues sort after every real one.
    laplacian = laplacian + torch.diag_embed((~node_mask).float() * 2 * n)
    values, vectors = torch.linalg.eigh(laplacian)
    # The first ``components`` eigenvalues are zero (one per component); the informative ones follow.
    first = components.long()[:, None]
    value_index = (first + torch.arange(_EIGENVALUES)).clamp(max=n - 1)
    eigenvalues = values.gather(1, value_index)
    real = (first + torch.arange(_EIGENVALUES)) < atoms.long()[:, None]
    eigenvalues = torch.where(real, eigenvalues, torch.zeros_like(eigenvalues))
    vector_index = (first + torch.arange(_EIGENVECTORS)).clamp(max=n - 1)
    eigenvectors = vectors.gather(2, vector_index[:, None, :].expand(-1, n, -1))
    # An eigenvector's sign is arbitrary; fix it so that its largest entry is positive, which
    # makes the features the same however the graph is padded (up to exact ties in symmetry).
    peak = eigenvectors.gather(1, eigenvectors.abs().argmax(1, keepdim=True))
    eigenvectors = eigenvectors * torch.where(peak < 0, -1.0, 1.0)
    vector_real = (first + torch.arange(_EIGENVECTORS)) < atoms.long()[:, None]
    eigenvectors = eigenvectors * vector_real[:, None, :]
    nodes = torch.cat([eigenvectors, (sizes / atoms[:, None])[..., None], largest[..., None].float()], dim=-1)
    graphs = torch.cat([components[:, None] / 5, eigenvalues / 4], dim=-1)
    return nodes * node_mask[..., None], graphs


# -- valence --------------------------------------------------------------------------------
# Whether an atom may take another bond is the sum of its bond orders, which attention (a
# weighted mean) cannot add up. DiGress gives its denoiser the valence of each noisy atom.

VALENCE_NODE_FEATURES = 1    # bond-order sum / 4
VALENCE_GRAPH_FEATURES = 1   # mean bond-order sum / 4
BOND_ORDERS = (0.0, 1.0, 2.0, 3.0, 1.5)   # none, single, double, triple, aromatic (RDKit's 1.5)


def valence_features(e: torch.Tensor, node_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Node features (B, N, 1) and graph features (B, 1) of one-hot bonds ``e`` (B, N, N, 4 or 5)."""
    pair = (node_mask[:, :, None] & node_mask[:, None, :]).float()
    valence = ((e * torch.tensor(BOND_ORDERS[:e.shape[-1]])).sum(-1) * pair).sum(-1) * node_mask
    mean = valence.sum(-1) / node_mask.sum(-1).clamp(min=1)
    return (valence / 4)[..., None], (mean / 4)[:, None]


# -- distances between atoms ----------------------------------------------------------------
# Half the base denoiser's valid samples carry a ring of more than seven atoms: deciding whether
# atoms i and j bond, an edge cannot tell that the bond would close a ring of nine. A new bond
# between atoms d bonds apart closes a ring of d + 1 atoms, so each edge reads the shortest-path
# distance of its atom pair in the noisy graph (Graphormer's spatial encoding), one-hot.

PATH_MAX_DISTANCE = 7                          # rings up to eight atoms are told apart, larger ones pooled
PATH_EDGE_FEATURES = PATH_MAX_DISTANCE + 2     # distance 1..7, farther, not connected


@torch.no_grad()
def path_features(e: torch.Tensor, node_mask: torch.Tensor) -> torch.Tensor:
    """Edge features (B, N, N, 9) of one-hot bonds ``e`` (B, N, N, C): for each pair of distinct atoms,
    one-hot their bond distance 1 to 7, "farther" or "in another fragment"; zero on the diagonal and padding."""
    adjacency = _adjacency(e, node_mask)
    n = adjacency.shape[-1]
    pair = node_mask[:, :, None] & node_mask[:, None, :] & ~torch.eye(n, dtype=torch.bool)
    reached = torch.eye(n, dtype=torch.bool).expand_as(pair)
    channels = []
    for _ in range(PATH_MAX_DISTANCE):
        grown = reached | ((reached.float() @ adjacency) > 0)
        channels.append(grown & ~reached)
        reached = grown
    connected = _reachability(adjacency)
    channels += [connected & ~reached, ~connected]
    return torch.stack(channels, dim=-1).float() * pair[..., None]


def feature_sizes(cycles: bool, spectral: bool, valence: bool) -> tuple[int, int]:
    """How many node and graph features the chosen families add."""
    node = CYCLE_NODE_FEATURES * cycles + SPECTRAL_NODE_FEATURES * spectral + VALENCE_NODE_FEATURES * valence
    graph = CYCLE_GRAPH_FEATURES * cycles + SPECTRAL_GRAPH_FEATURES * spectral + VALENCE_GRAPH_FEATURES * valence
    return node, graph


@torch.no_grad()
def structural_features(e: torch.Tensor, node_mask: torch.Tensor, *, cycles: bool, spectral: bool,
                        valence: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """The chosen families' node features (B, N, k) and graph features (B, m), concatenated.
    Computed on the noisy input, so no gradient flows through them (eigh's backward is unstable)."""
    chosen = [f for f, on in ((cycle_features, cycles), (spectral_features, spectral), (valence_features, valence)) if on]
    parts = [f(e, node_mask) for f in chosen]
    return torch.cat([p[0] for p in parts], dim=-1), torch.cat([p[1] for p in parts], dim=-1)
