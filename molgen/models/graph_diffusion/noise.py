"""The noise process, apart from the network: categorical transitions towards the data's
marginal distribution of atom and bond types, on a cosine schedule (DiGress, Vignac et al. 2023).

For a one-hot x0 and marginals m, ``q(x_t | x0) = abar_t * x0 + (1 - abar_t) * m``; between any two
times s < t, ``q(x_t | x_s) = (abar_t / abar_s) * x_s + (1 - abar_t / abar_s) * m``. Both are closed
forms, so sampling may jump from t straight to any s < t: 500 training steps, 25 sampling steps.
"""

from __future__ import annotations

import math

import torch


def cosine_alpha_bar(timesteps: int, s: float = 0.008) -> torch.Tensor:
    """abar_t for t = 0..T (abar_0 = 1, abar_T close to 0), float64."""
    steps = torch.arange(timesteps + 1, dtype=torch.float64)
    f = torch.cos((steps / timesteps + s) / (1 + s) * math.pi / 2) ** 2
    return (f / f[0]).clamp(min=1e-6, max=1.0)


class MarginalNoise:
    """Noising and the posterior step for node and edge categories."""

    def __init__(self, node_marginals, edge_marginals, timesteps: int):
        self.m_x = torch.as_tensor(node_marginals, dtype=torch.float32)
        self.m_e = torch.as_tensor(edge_marginals, dtype=torch.float32)
        self.timesteps = timesteps
        self.alpha_bar = cosine_alpha_bar(timesteps).float()

    def marginal_probs(self, x0: torch.Tensor, t: torch.Tensor, marginals: torch.Tensor) -> torch.Tensor:
        """q(x_t | x0) for one-hot ``x0`` (..., K) and per-graph times ``t`` (B,)."""
        abar = self.alpha_bar[t].view(-1, *([1] * (x0.dim() - 1)))
        return abar * x0 + (1 - abar) * marginals

    def transition_matrix(self, t: int, s: int, marginals: torch.Tensor) -> torch.Tensor:
        """The (K, K) matrix of q(x_t | x_s) for s <= t (s = 0: Qbar_t), row = from, column = to.
        Sampling never builds it (the closed forms above are cheaper); it states the process plainly."""
        keep = float(self.alpha_bar[t] / self.alpha_bar[s])
        k = len(marginals)
        return keep * torch.eye(k) + (1 - keep) * marginals[None, :].expand(k, k)

    def add_noise(self, x0: torch.Tensor, e0: torch.Tensor, t: torch.Tensor, node_mask: torch.Tensor,
                  generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Sample one-hot X_t (B, N, V) and symmetric E_t (B, N, N, C) given clean one-hot graphs."""
        px = self.marginal_probs(x0, t, self.m_x)
        pe = self.marginal_probs(e0, t, self.m_e)
        xt = _sample_onehot(px, generator)
        et = _sample_onehot(pe, generator)
        upper = torch.triu(torch.ones(et.shape[1], et.shape[1], dtype=torch.bool), diagonal=1)[None, :, :, None]
        et = torch.where(upper, et, et.transpose(1, 2))
        return _masked(xt, et, node_mask)

    def posterior(self, probs_x0: torch.Tensor, zt: torch.Tensor, t: int, s: int, marginals: torch.Tensor) -> torch.Tensor:
        """p(z_s | z_t) = sum over x0 of p(x0 | z_t) q(z_s | z_t, x0), for predicted ``probs_x0`` (..., K)."""
        abar_t, abar_s = float(self.alpha_bar[t]), float(self.alpha_bar[s])
        alpha_ts = abar_t / abar_s
        m = marginals
        zt_index = zt.argmax(-1, keepdim=True)
        m_zt = m[zt_index]                                               # (..., 1)
        left = alpha_ts * zt + (1 - alpha_ts) * m_zt                     # q(z_t | z_s = c), over c
        denom = abar_t * zt + (1 - abar_t) * m_zt                        # q(z_t | x0), over x0
        weighted = probs_x0 / denom.clamp(min=1e-12)
        right = abar_s * weighted + (1 - abar_s) * weighted.sum(-1, keepdim=True) * m  # weighted @ Qbar_s
        out = left * right
        return out / out.sum(-1, keepdim=True).clamp(min=1e-12)

    def flow_step(self, probs_x1: torch.Tensor, zt: torch.Tensor, tau: float, dtau: float, marginals: torch.Tensor,
                  target_guidance: float = 0.0, stochasticity: float = 0.0) -> torch.Tensor:
        """p(z at tau + dtau | z at tau): one Euler step of the continuous-time Markov chain of discrete
        flow matching (DeFoG, Qin et al. 2025), for predicted clean-type probabilities ``probs_x1`` (..., K).

        ``tau = abar_t`` is the flow's time (0: the marginals, 1: the data). The flow's interpolant
        ``tau * x1 + (1 - tau) * m`` is the very ``q(x_t | x0)`` this process trains on, so the denoiser
        serves both samplers. Given a clean type c, the rate from z to j != z is
        ``relu(d_j - d_z) / (K p(z | c))`` with ``d = d/dtau p(. | c) = onehot(c) - m``: the least
        mass-moving rate whose marginals follow the interpolant. ``target_guidance`` (DeFoG's omega)
        adds ``omega * onehot(c)_j / (K p(z | c))``, a push towards the predicted clean type.

        ``stochasticity`` (DeFoG's eta) adds ``eta * p(j | c)``: for a sure c, the flux z -> j,
        ``eta p(z | c) p(j | c)``, equals the flux back, so this rate moves no mass away from the
        interpolant (detailed balance) but lets a node leave a type the chain chose wrongly. (This is one
        rate with that property; DeFoG offers several. Its expectation over c is
        ``eta * (tau * probs_x1 + (1 - tau) * m)``.)
        """
        k = marginals.shape[0]
        eye = torch.eye(k)
        zi = zt.argmax(-1)
        m_z = marginals[zi][..., None]                                  # (..., 1)
        d = eye - marginals[None, :]                                     # d/dtau p(j | c), [c, j]
        d_z = eye[zi] - m_z                                              # d/dtau p(z | c), over c
        p_z = tau * eye[zi] + (1 - tau) * m_z                            # p(z | c), over c
        pushes = torch.relu(d - d_z[..., :, None]) + target_guidance * eye  # (..., c, j)
        rate = ((probs_x1 / (k * p_z.clamp(min=1e-12)))[..., :, None] * pushes).sum(-2)
        if stochasticity:
            rate = rate + stochasticity * (tau * probs_x1 + (1 - tau) * marginals)
        jump = dtau * rate * (1 - zt)                                    # never "to" the current type
        total = jump.sum(-1, keepdim=True)
        jump = jump / total.clamp(min=1.0)                               # a step may not leave more than all mass
        return jump + (1 - jump.sum(-1, keepdim=True)).clamp(min=0) * zt


def _sample_onehot(probs: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    flat = probs.reshape(-1, probs.shape[-1])
    index = torch.multinomial(flat, 1, generator=generator).view(probs.shape[:-1])
    return torch.nn.functional.one_hot(index, probs.shape[-1]).float()


def _masked(x: torch.Tensor, e: torch.Tensor, node_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero padded nodes, and edges touching them or on the diagonal."""
    pair = node_mask[:, :, None] & node_mask[:, None, :]
    pair &= ~torch.eye(node_mask.shape[1], dtype=torch.bool)[None]
    return x * node_mask[..., None], e * pair[..., None]
