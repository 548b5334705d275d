"""Pure recommendation engine (numpy/scipy/scikit-learn, no Django).

Train with ``train_model(Interactions, TrainingConfig)``; serve with
``TrainedModel.recommend``.
"""

from .interactions import DEFAULT_EVENT_WEIGHTS, Interactions, build_interactions
from .model import TrainedModel
from .neighbours import ItemNeighbours, top_n_neighbours
from .training import TrainingConfig, train_model

__all__ = [
    "DEFAULT_EVENT_WEIGHTS",
    "Interactions",
    "ItemNeighbours",
    "TrainedModel",
    "TrainingConfig",
    "build_interactions",
    "top_n_neighbours",
    "train_model",
]
