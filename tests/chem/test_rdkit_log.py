"""quiet_rdkit: RDKit's log dropped inside the block, and a Ctrl-C that RDKit swallowed raised again after it."""

import logging
import signal

import pytest
from rdkit import rdBase

from molgen.chem.rdkit_log import SWALLOWED_INTERRUPT, quiet_rdkit


@pytest.fixture
def sigint_calls():
    """SIGINT recorded instead of raised (a KeyboardInterrupt would end the test session)."""
    calls = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: calls.append(number))
    yield calls
    signal.signal(signal.SIGINT, previous)


def test_a_ctrl_c_rdkit_swallowed_in_a_quiet_block_is_raised_again_on_leaving_it(sigint_calls):
    # what RDKit logs when a SIGINT landed inside its substructure search, which then returns as if finished
    with quiet_rdkit():
        rdBase.LogWarningMsg(f"{SWALLOWED_INTERRUPT}, result may not include all matches")
        assert sigint_calls == []   # the block finishes first
    assert sigint_calls == [signal.SIGINT]
    with quiet_rdkit():   # once only
        pass
    assert sigint_calls == [signal.SIGINT]


def test_a_block_left_by_an_exception_does_not_raise_a_second_interrupt(sigint_calls):
    with pytest.raises(KeyboardInterrupt):
        with quiet_rdkit():
            rdBase.LogWarningMsg(f"{SWALLOWED_INTERRUPT}, result may not include all matches")
            raise KeyboardInterrupt   # the interrupt Python did see: already stopping
    with quiet_rdkit():
        pass
    assert sigint_calls == []


def test_rdkit_messages_are_dropped_inside_a_quiet_block_and_its_log_left_as_it_was(capfd):
    with quiet_rdkit():
        with quiet_rdkit():   # nested: still quiet after the inner block
            rdBase.LogErrorMsg("inner message")
            rdBase.LogWarningMsg("inner warning")
        rdBase.LogErrorMsg("outer message")
    err = capfd.readouterr().err
    assert "inner" not in err and "outer message" not in err
    rdBase.DisableLog("rdApp.info")   # a channel the caller turned off stays off
    try:
        before = rdBase.LogStatus()
        with quiet_rdkit():
            pass
        assert rdBase.LogStatus() == before and "rdApp.info:disabled" in before
    finally:
        rdBase.EnableLog("rdApp.info")


def test_random_text_inside_a_quiet_block_reaches_no_python_logging_it_cannot_decode():
    """RDKit's bridge to Python's logging fails (SystemError) on a message cut inside a multibyte character, as a
    SMILES Parse Error quoting random bytes is: such errors stay blocked in RDKit."""
    import random

    from rdkit import Chem

    generator = random.Random(0)
    with quiet_rdkit():
        for _ in range(500):
            text = bytes(generator.randrange(256) for _ in range(40)).decode("latin-1")
            Chem.MolFromSmiles(text)
            Chem.MolFromSmarts(text)
