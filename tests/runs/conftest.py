"""A tiny SMILES LSTM trained on the committed sample: fast enough to generate runs in tests."""

from __future__ import annotations

import pytest

from molgen.data.registry import load_smiles
from molgen.data.tokenizer import SmilesVocabulary
from molgen.models.smiles_lm.config import SmilesLMConfig, TrainConfig
from molgen.models.smiles_lm.model import SmilesLM
from molgen.models.smiles_lm.train import train


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    smiles = load_smiles("moses-sample", "train")
    vocabulary = SmilesVocabulary.from_smiles(smiles + load_smiles("moses-sample", "test"))
    config = SmilesLMConfig(arch="lstm", vocab_size=len(vocabulary), embed_dim=32, hidden_dim=256, lstm_layers=1, dropout=0.0)
    model = SmilesLM(config, vocabulary)
    out = tmp_path_factory.mktemp("tiny-lm") / "tiny.pt"
    train(model, smiles[:4000], smiles[4000:], TrainConfig(batch_size=64, max_steps=500, eval_every=500, warmup_steps=20, lr=5e-3),
          out, data_name="moses-sample", progress=False)
    return out
