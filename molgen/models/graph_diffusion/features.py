"""Structural features the denoiser cannot compute by itself: rings.

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

import torch

NODE_FEATURES = 4   # 3- and 4-cycles through the atom, closed 5- and 6-walks
GRAPH_FEATURES = 3  # 3- and 4-cycles in the graph, atoms / 40


def cycle_features(e: torch.Tensor, node_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Node features (B, N, 4) and graph features (B, 3) of one-hot bonds ``e`` (B, N, N, 4)."""
    adjacency = e[..., 1:].sum(-1) * (node_mask[:, :, None] & node_mask[:, None, :])
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
