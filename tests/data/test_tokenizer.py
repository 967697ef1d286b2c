import pytest

from molgen.data.tokenizer import SPECIAL_TOKENS, SmilesVocabulary, TokenizeError, UnknownTokenError, tokenize


def test_multi_character_tokens_stay_whole():
    assert tokenize("C[C@@H](Cl)c1ccc(Br)cc1%10") == ["C", "[C@@H]", "(", "Cl", ")", "c", "1", "c", "c", "c", "(", "Br", ")", "c", "c", "1", "%10"]
    assert tokenize("[nH]1cc[n+]([O-])c1") == ["[nH]", "1", "c", "c", "[n+]", "(", "[O-]", ")", "c", "1"]


def test_every_sample_smiles_round_trips_exactly(sample_smiles):
    vocabulary = SmilesVocabulary.from_smiles(sample_smiles)
    assert [vocabulary.decode(vocabulary.encode(s)) for s in sample_smiles] == sample_smiles
    assert all("".join(tokenize(s)) == s for s in sample_smiles)


def test_unknown_character_is_named():
    with pytest.raises(TokenizeError, match="'X' at position 2"):
        tokenize("CCXC")
    with pytest.raises(TokenizeError, match="'l'"):
        tokenize("Cll")


def test_unknown_token_is_an_error_or_unk():
    vocabulary = SmilesVocabulary.from_smiles(["CCO", "c1ccccc1"])
    with pytest.raises(UnknownTokenError, match="'Br'"):
        vocabulary.encode("CCBr")
    ids = vocabulary.encode("CCBr", unknown="unk")
    assert ids[-2] == vocabulary.unk_id and vocabulary.decode(ids) == "CC<unk>"


def test_special_tokens_first_and_decode_stops_at_eos(tmp_path):
    vocabulary = SmilesVocabulary.from_smiles(["CCO"])
    assert tuple(vocabulary.tokens[:4]) == SPECIAL_TOKENS
    ids = vocabulary.encode("CO") + [vocabulary.tokens.index("C")] * 3
    assert vocabulary.decode(ids) == "CO"
    vocabulary.save(tmp_path / "vocab.json")
    assert SmilesVocabulary.load(tmp_path / "vocab.json").tokens == vocabulary.tokens


def test_a_special_token_spelled_in_smiles_is_not_accepted():
    vocabulary = SmilesVocabulary.from_smiles(["CCO"])
    with pytest.raises(TokenizeError):
        vocabulary.encode("C<pad>C")


def test_a_vocabulary_says_the_elements_it_can_write():
    vocabulary = SmilesVocabulary(list(SPECIAL_TOKENS) + ["c", "[nH]", "Cl", "[13CH3]", "[se]", "[Cl-]", "[C@@H]", "1", "=",
                                                          "(", "%10", "*", "[Sn]", "[O-]", "Br", "s"])
    assert vocabulary.elements() == {"C", "N", "Cl", "Se", "Sn", "O", "Br", "S"}
