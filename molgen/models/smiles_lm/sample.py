"""Decoding for the SMILES language models: greedy, temperature, top-k, top-p and beam search.

All strategies are batched and seeded (a ``torch.Generator``), and every string comes with
its log-likelihood under the model itself (temperature 1, no truncation), so scores from
different decoding settings stay comparable (with ``bf16``, under the model run in bfloat16;
beam search always runs in float32). Nothing is corrected: a string that is not a
molecule is returned as it is.
"""

from __future__ import annotations

import torch

from molgen.models.base import Conditions, Sample, sampling_seed

STRATEGIES = ("sample", "greedy", "beam")
#: What a SMILES model samples with unless told otherwise, written into a run's record (``check_sample_options``).
SAMPLING_DEFAULTS = {"strategy": "sample", "temperature": 1.0, "top_k": 0, "top_p": 1.0}
BEAM_WIDTH = 10


def bf16_supported() -> bool:
    """Whether oneDNN runs bfloat16 on this CPU (AVX512-BF16 or AMX)."""
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def bf16_runs(arch: str) -> bool:
    """Whether a network of ``arch`` runs in bfloat16 here: oneDNN's LSTM primitive fails without
    bfloat16 support; the transformer runs anywhere (slower than float32 without that support)."""
    return arch != "lstm" or bf16_supported()


def require_bf16(arch: str) -> None:
    """A clear error instead of oneDNN's when ``bf16`` is asked of an LSTM on a CPU that has none."""
    if not bf16_runs(arch):
        raise ValueError("bf16 for an LSTM needs a CPU with bfloat16 support (AVX512-BF16 or AMX), and this one has "
                         "none: run without bf16 (it only adds speed), or use a transformer")


def _filter_logits(logits: torch.Tensor, top_k: int, top_p: float) -> torch.Tensor:
    if top_k and top_k < logits.shape[-1]:
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p < 1.0:
        ordered, order = torch.sort(logits, descending=True, dim=-1)
        cumulative = torch.softmax(ordered, dim=-1).cumsum(dim=-1)
        drop = cumulative - torch.softmax(ordered, dim=-1) >= top_p  # keep the smallest set reaching top_p
        ordered = ordered.masked_fill(drop, float("-inf"))
        logits = torch.full_like(logits, float("-inf")).scatter(-1, order, ordered)
    return logits


def _step(network, arch: str, token_or_seq: torch.Tensor, state, cond, position: int, use_cache: bool):
    """Next-token logits (batch, vocab) and the new state, for either architecture.

    <pad>, <bos> and <unk> can never come next (only <eos> of the special tokens), so their
    logits are -inf: a model that learned no such token still may put mass on it early on.
    """
    if arch == "lstm":
        logits, state = network(token_or_seq, state)
    elif use_cache:
        logits, state = network(token_or_seq, state, cond, position=position, use_cache=True)
    else:
        logits, state = network(token_or_seq, None, cond)  # the whole sequence again
    logits = logits[:, -1, :].float()
    logits[:, [0, 1, 3]] = float("-inf")  # pad, bos, unk ids of every SmilesVocabulary
    return logits, state


def _keep_rows(state, keep: torch.Tensor, arch: str):
    """The recurrent state (LSTM) or KV cache (transformer) of the rows in ``keep`` only."""
    if state is None:
        return None
    if arch == "lstm":
        return state[0][:, keep], state[1][:, keep]
    return [(k[keep], v[keep]) for k, v in state]


def _draw(logits: torch.Tensor, generator, *, greedy: bool, temperature: float, top_k: int,
          top_p: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The next token of every row and its log-probability under the model (temperature 1).

    Sampling inverts the cumulative distribution with one uniform number per row: the same
    distribution as ``torch.multinomial`` (not the same draws under a seed) at a tenth of its
    cost, which matters once per token.
    """
    logp = torch.log_softmax(logits.float(), dim=-1)
    if greedy:
        nxt = logp.argmax(dim=-1)
    else:
        if temperature == 1.0 and not top_k and top_p >= 1.0:
            probs = logp.exp()
        else:
            probs = torch.softmax(_filter_logits(logits.float() / temperature, top_k, top_p), dim=-1)
        cumulative = probs.cumsum(dim=-1)
        uniform = torch.rand(len(probs), 1, generator=generator) * cumulative[:, -1:]
        # the first token whose cumulative mass exceeds the draw; one with no mass is never chosen
        nxt = (cumulative <= uniform).sum(dim=-1).clamp_(max=probs.shape[-1] - 1)
    return nxt, logp.gather(1, nxt[:, None]).squeeze(1)


def _without_end(logits: torch.Tensor, eos_id: int) -> torch.Tensor:
    """``logits`` with <eos> ruled out: the string must go on (a group at a scaffold's attachment point)."""
    logits = logits.clone()
    logits[..., eos_id] = float("-inf")
    return logits


@torch.no_grad()
def _sample_batch(model, batch: int, prefix: list[int], cond, generator, *, greedy: bool, temperature: float,
                  top_k: int, top_p: float, max_len: int, use_cache: bool,
                  bf16: bool = False, extend: bool = False) -> list[tuple[list[int], float, bool]]:
    """Transformer: one batch written in lockstep. Rows that have emitted <eos> leave the
    batch, so the network only runs on unfinished strings: a batch costs the sum of its
    lengths rather than batch x its longest string. ``extend``: the first token is not <eos>."""
    vocab, network, arch = model.vocabulary, model.network.eval(), model.config.arch
    start = [vocab.bos_id] + prefix
    if len(start) >= max_len:  # no room left after the prefix: it comes back as it is, flagged truncated
        return [(list(prefix), 0.0, False) for _ in range(batch)]
    seq = torch.full((batch, max_len), vocab.pad_id, dtype=torch.long)
    seq[:, :len(start)] = torch.tensor(start)
    length = len(start)
    rows = torch.arange(batch)                     # the rows still being written
    finished = torch.zeros(batch, dtype=torch.bool)
    loglik = torch.zeros(batch, dtype=torch.float64)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        logits, state = _step(network, arch, seq[:, :length], None, cond, 0, use_cache)
        if extend:
            logits = _without_end(logits, vocab.eos_id)
        while length < max_len:
            nxt, token_logp = _draw(logits, generator, greedy=greedy, temperature=temperature, top_k=top_k, top_p=top_p)
            loglik[rows] += token_logp.double()
            seq[rows, length] = nxt
            length += 1
            ended = nxt == vocab.eos_id
            if ended.any():
                finished[rows[ended]] = True
                keep = ~ended
                rows, nxt, state = rows[keep], nxt[keep], _keep_rows(state, keep, arch)
                cond = cond[keep] if cond is not None else None
            if rows.numel() == 0 or length >= max_len:
                break
            feed = nxt[:, None] if use_cache else seq[rows, :length]
            logits, state = _step(network, arch, feed, state, cond, length - 1, use_cache)
    return [(row[1:].tolist(), float(ll), bool(done)) for row, ll, done in zip(seq, loglik, finished)]


@torch.no_grad()
def _sample_stream(model, n: int, width: int, prefix: list[int], generator, *, greedy: bool, temperature: float,
                   top_k: int, top_p: float, max_len: int, bf16: bool = False,
                   extend: bool = False) -> list[tuple[list[int], float, bool]]:
    """LSTM: ``n`` strings, ``width`` of them in flight at a time. A row whose string ends
    starts the next string at once, so the batch stays full until the last strings: no step
    runs the network on a half-empty batch while one long string finishes.

    Every string starts from the same state (after <bos> and the prefix), computed once. ``extend``: the first
    token is not <eos>.
    """
    vocab, network = model.vocabulary, model.network.eval()
    start = [vocab.bos_id] + prefix
    if len(start) >= max_len:  # no room left after the prefix: it comes back as it is, flagged truncated
        return [(list(prefix), 0.0, False) for _ in range(n)]
    seq = torch.full((n, max_len), vocab.pad_id, dtype=torch.long)
    seq[:, :len(start)] = torch.tensor(start)
    finished = torch.zeros(n, dtype=torch.bool)
    loglik = torch.zeros(n, dtype=torch.float64)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        start_logits, (start_h, start_c) = _step(network, "lstm", torch.tensor([start]), None, None, 0, True)
        if extend:
            start_logits = _without_end(start_logits, vocab.eos_id)
        width = min(width, n)
        rows = torch.arange(width)                          # the string each row is writing
        position = torch.full((width,), len(start))         # where its next token goes
        logits = start_logits.expand(width, -1)
        state = (start_h.expand(-1, width, -1).contiguous(), start_c.expand(-1, width, -1).contiguous())
        started = width
        while rows.numel():
            nxt, token_logp = _draw(logits, generator, greedy=greedy, temperature=temperature, top_k=top_k, top_p=top_p)
            loglik[rows] += token_logp.double()
            seq[rows, position] = nxt
            position += 1
            ended = nxt == vocab.eos_id
            finished[rows[ended]] = True
            keep = ~(ended | (position >= max_len))         # full length without <eos>: truncated
            rows, position, nxt = rows[keep], position[keep], nxt[keep]
            state = (state[0][:, keep], state[1][:, keep])
            logits, state = _step(network, "lstm", nxt[:, None], state, None, 0, True) if rows.numel() else (logits[:0], state)
            fresh = min(width - rows.numel(), n - started)  # rows freed this step take the next strings
            if fresh > 0:
                rows = torch.cat([rows, torch.arange(started, started + fresh)])
                position = torch.cat([position, torch.full((fresh,), len(start))])
                logits = torch.cat([logits, start_logits.expand(fresh, -1).to(logits.dtype)])
                state = (torch.cat([state[0], start_h.expand(-1, fresh, -1).to(state[0].dtype)], dim=1),
                         torch.cat([state[1], start_c.expand(-1, fresh, -1).to(state[1].dtype)], dim=1))
                started += fresh
    return [(row[1:].tolist(), float(ll), bool(done)) for row, ll, done in zip(seq, loglik, finished)]


@torch.no_grad()
def beam_search(model, width: int, prefix: list[int], cond, max_len: int, length_penalty: float = 1.0,
                extend: bool = False) -> list[tuple[list[int], float, float]]:
    """The ``width`` best sequences by length-normalised log-likelihood (sum / length**length_penalty);
    ``extend``: none ends right after the prefix.

    Returns (tokens, log-likelihood, normalised score), best first.
    """
    vocab, network, arch = model.vocabulary, model.network.eval(), model.config.arch
    seq = torch.tensor([[vocab.bos_id] + prefix], dtype=torch.long)
    cond1 = cond[:1] if cond is not None else None
    logits, state = _step(network, arch, seq, None, cond1, 0, True)
    if extend:
        logits = _without_end(logits, vocab.eos_id)
    scores = torch.zeros(1, dtype=torch.float64)
    done: list[tuple[list[int], float, float]] = []
    while seq.shape[1] < max_len and len(done) < width:
        logp = torch.log_softmax(logits.float(), dim=-1).double()
        total = (scores[:, None] + logp).reshape(-1)
        best = torch.topk(total, min(2 * width, total.numel())).indices  # 2x: room for hypotheses that end now
        beams, tokens = best // logp.shape[1], best % logp.shape[1]
        keep_beams, keep_tokens, keep_scores = [], [], []
        for beam, token, value in zip(beams.tolist(), tokens.tolist(), total[best].tolist()):
            if token == vocab.eos_id:
                body = seq[beam, 1:].tolist()
                length = len(body) + 1
                done.append((body, value, value / length ** length_penalty))
            else:
                keep_beams.append(beam)
                keep_tokens.append(token)
                keep_scores.append(value)
            if len(keep_beams) == width:
                break
        if not keep_beams:
            break
        index = torch.tensor(keep_beams)
        seq = torch.cat([seq[index], torch.tensor(keep_tokens)[:, None]], dim=1)
        scores = torch.tensor(keep_scores, dtype=torch.float64)
        if arch == "lstm":
            state = (state[0][:, index], state[1][:, index])
        else:
            state = [(k[index], v[index]) for k, v in state]
        beam_cond = cond1.expand(len(index), -1) if cond1 is not None else None
        logits, state = _step(network, arch, seq[:, -1:], state, beam_cond, seq.shape[1] - 1, True)
    if len(done) < width:  # unfinished hypotheses at max_len, scored as they stand
        for row, value in zip(seq, scores.tolist()):
            done.append((row[1:].tolist(), value, value / max(len(row) - 1, 1) ** length_penalty))
    return sorted(done, key=lambda item: -item[2])[:width]


def check_options(model, *, strategy: str = "sample", temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0,
                  beam_width: int = BEAM_WIDTH, bf16: bool = False, batch_size: int = 512, max_len: int | None = None,
                  **_) -> None:
    """``ValueError`` for a sampling option no run could use, named with what it got."""
    from molgen.models.base import whole_number

    whole_number("batch_size", batch_size, least=1)   # 0 wrote empty strings, a run's validity 0 (a review)
    if max_len is not None:   # 0 was read as the default
        whole_number("max_len", max_len, least=1)
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    if not 0 < top_p <= 1:
        raise ValueError(f"top_p must lie in (0, 1], got {top_p}")
    if top_k < 0:
        raise ValueError(f"top_k must be 0 (off) or more, got {top_k}")
    if strategy == "beam" and beam_width < 1:
        raise ValueError(f"beam_width must be at least 1, got {beam_width}")
    if bf16:
        require_bf16(model.config.arch)


def generate(model, n: int, *, conditions: Conditions | None = None, seed: int | None = None, strategy: str = "sample",
             temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0, beam_width: int = BEAM_WIDTH,
             batch_size: int = 512, max_len: int | None = None, use_cache: bool = True,
             bf16: bool = False) -> list[Sample]:
    """``n`` samples from ``model``; see :meth:`SmilesLM.sample` for the options."""
    if n < 0:
        raise ValueError(f"n must be 0 or more, not {n}")
    check_options(model, strategy=strategy, temperature=temperature, top_k=top_k, top_p=top_p, beam_width=beam_width,
                  bf16=bf16, batch_size=batch_size, max_len=max_len)
    conditions = conditions or Conditions()
    seed = sampling_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    texts = list(conditions.prefixes) or [conditions.prefix or ""]
    samples: list[Sample] = []
    # the molecules spread evenly over the prefixes; the remainder goes to prefixes picked by the seed, so a run's
    # chunks (each with its own seed) do not all favour the first spellings
    first = seed % len(texts)
    for i, prefix_text in enumerate(texts):
        share = n // len(texts) + ((i - first) % len(texts) < n % len(texts))
        if share:
            samples += _generate_from(model, share, prefix_text, conditions, generator, strategy=strategy,
                                      temperature=temperature, top_k=top_k, top_p=top_p, beam_width=beam_width,
                                      batch_size=batch_size, max_len=max_len, use_cache=use_cache, bf16=bf16)
    return samples


def _generate_from(model, n: int, prefix_text: str, conditions: Conditions, generator, *, strategy: str,
                   temperature: float, top_k: int, top_p: float, beam_width: int, batch_size: int, max_len: int | None,
                   use_cache: bool, bf16: bool) -> list[Sample]:
    """``n`` samples completing one prefix (``""``: from scratch)."""
    vocab = model.vocabulary
    prefix = vocab.encode(prefix_text, add_bos_eos=False) if prefix_text else []
    max_len = min(max_len or model.config.max_len, model.config.max_len)
    samples: list[Sample] = []
    if strategy == "beam":
        cond = model.normalise_targets(conditions.targets, 1)
        for tokens, loglik, score in beam_search(model, max(beam_width, n), prefix, cond, max_len,
                                                 extend=bool(prefix) and conditions.extend_prefix)[:n]:
            samples.append(Sample(prefix_text + vocab.decode(tokens[len(prefix):]), loglik, {"beam_score": score}))
        return samples
    options = dict(greedy=strategy == "greedy", temperature=temperature, top_k=top_k, top_p=top_p, max_len=max_len, bf16=bf16,
                   extend=bool(prefix) and conditions.extend_prefix)
    if model.config.arch == "lstm":
        model.normalise_targets(conditions.targets, 1)  # refuses property targets: an LSTM takes none
        rows = _sample_stream(model, n, batch_size, prefix, generator, **options)
    else:
        rows = []
        while len(rows) < n:
            size = min(batch_size, n - len(rows))
            cond = model.normalise_targets(conditions.targets, size)
            rows += _sample_batch(model, size, prefix, cond, generator, use_cache=use_cache, **options)
    for tokens, loglik, finished in rows:
        if finished:
            samples.append(Sample(vocab.decode(tokens), loglik, {}))
        else:   # cut off at max_len: no molecule the model wrote, though its start may parse as one (a review: a
            # run at max_len 30 ranked 11 such cut-off strings as valid molecules); the text is kept in meta
            samples.append(Sample("", loglik, {"truncated": True, "unfinished": vocab.decode(tokens),
                                              "max_len": max_len}))
    return samples
