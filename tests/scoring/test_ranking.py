import numpy as np

from molgen.scoring.ranking import pareto_ranks, rank_by_pareto_then_score, rank_by_score, rank_after_hard_filters

# Hand-made: A..G with two objectives to maximise.
POINTS = np.array([[1, 5], [2, 4], [3, 3], [2, 2], [1, 1], [4, 1], [3, 3]], dtype=float)


def test_pareto_ranks_on_a_hand_made_set():
    # Front 1: (1,5) (2,4) (3,3) (4,1) and the duplicate (3,3); then (2,2); then (1,1).
    assert pareto_ranks(POINTS).tolist() == [1, 1, 1, 2, 3, 1, 1]


def test_pareto_ranks_with_a_minimised_objective():
    assert pareto_ranks(POINTS, [True, False]).tolist() == [4, 3, 2, 2, 2, 1, 2]


def test_pareto_nan_rows_are_unranked():
    points = np.vstack([POINTS, [[np.nan, 9.0]]])
    assert pareto_ranks(points)[-1] == 0


def brute_force(values):
    n = len(values)
    ranks, remaining, front = np.zeros(n, int), set(range(n)), 0
    while remaining:
        front += 1
        current = [i for i in remaining if not any((values[j] >= values[i]).all() and (values[j] > values[i]).any() for j in remaining)]
        ranks[current] = front
        remaining -= set(current)
    return ranks


def test_pareto_matches_brute_force_with_many_ties():
    values = np.random.default_rng(7).integers(0, 5, size=(600, 3)).astype(float)
    assert (pareto_ranks(values) == brute_force(values)).all()


def test_rank_by_score_shares_ties_and_skips_nan():
    assert rank_by_score([0.5, 0.9, np.nan, 0.5, 0.1]).tolist() == [2, 1, 0, 2, 4]


def test_pareto_then_score():
    scores = [0.1, 0.2, 0.3, 0.9, 0.5, 0.6, 0.3]
    # Within front 1 by score: (4,1)=0.6, the two (3,3)=0.3 tie, (2,4)=0.2, (1,5)=0.1; then the fronts 2 and 3.
    assert rank_by_pareto_then_score(POINTS, scores).tolist() == [5, 4, 2, 6, 7, 1, 2]


def test_molecules_failing_a_hard_filter_follow_every_passing_one_in_the_order_of_their_zeroed_score():
    scores = np.array([0.5, 0.0, 0.9, 0.0, np.nan])
    aggregate = np.array([0.5, 0.95, 0.9, 0.3, np.nan])
    passes = np.array([True, False, True, False, True])
    assert rank_after_hard_filters(scores, aggregate, passes).tolist() == [2, 3, 1, 4, 0]
    # Pareto: a failing molecule on the first front still follows the passing ones
    objectives = np.array([[0.5, 0.5], [1.0, 1.0], [0.9, 0.1], [0.3, 0.3], [np.nan, 0.0]])
    assert rank_after_hard_filters(scores, aggregate, passes, objectives).tolist() == [2, 3, 1, 4, 0]
    assert rank_after_hard_filters(scores[:0], aggregate[:0], passes[:0]).tolist() == []
    # a failing molecule with no aggregate (a property that could not be computed) still ranks, last
    assert rank_after_hard_filters([0.5, 0.0, 0.0], [0.5, np.nan, 0.2], [True, False, False]).tolist() == [1, 3, 2]
    # passing molecules tied: the failures come after all of them ([1, 2, 2, 2] holds four), so `rank <= 4` holds
    # no failure (a review: numbered from the highest passing rank, failures took 3 and 4)
    assert rank_after_hard_filters([0.9, 0.5, 0.5, 0.5, 0.0, 0.0], [0.9, 0.5, 0.5, 0.5, 0.8, 0.7],
                                   [True, True, True, True, False, False]).tolist() == [1, 2, 2, 2, 5, 6]
