"""Scoring: properties, alerts, rules, desirability, aggregation, ranking, diversity, profiles."""

from molgen.scoring.aggregate import weighted_arithmetic_mean, weighted_geometric_mean
from molgen.scoring.alerts import ALERT_SETS, find_alerts
from molgen.scoring.desirability import (
    DoubleSigmoid,
    Gaussian,
    Identity,
    LinearRamp,
    ReverseSigmoid,
    Sigmoid,
    Step,
    make_transform,
)
from molgen.scoring.diversity import butina_clusters, diverse_top, maxmin_pick
from molgen.scoring.profiles import Component, ProfileError, ScoringProfile, load_profile, shipped_profiles
from molgen.scoring.properties import PROPERTIES, compute_properties
from molgen.scoring.ranking import pareto_ranks, rank_by_pareto_then_score, rank_by_score
from molgen.scoring.rules import RULES, check_rule
# the warnings a script filters by class (warnings.filterwarnings(category=...)), importable from here
from molgen.scoring.pipeline import MixturesScoredWhole, WindowOutOfReach, score
from molgen.scoring.select import select_diverse_top
from molgen.scoring.similarity import morgan_fingerprint, similarity_to_references, substructure_query

__all__ = [
    "weighted_arithmetic_mean", "weighted_geometric_mean", "ALERT_SETS", "find_alerts", "DoubleSigmoid",
    "Gaussian", "Identity", "LinearRamp", "ReverseSigmoid", "Sigmoid", "Step", "make_transform",
    "butina_clusters", "diverse_top", "maxmin_pick", "Component", "ProfileError", "ScoringProfile",
    "load_profile", "shipped_profiles", "PROPERTIES", "compute_properties", "pareto_ranks",
    "rank_by_pareto_then_score", "rank_by_score", "RULES", "check_rule", "score", "select_diverse_top",
    "morgan_fingerprint", "similarity_to_references", "substructure_query", "MixturesScoredWhole", "WindowOutOfReach",
]
