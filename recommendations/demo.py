"""The demo's first recommender model, trained at the end of `load_demo`."""

from recommendations.models import RecommenderModel
from recommendations.services import train_recommender


def train_demo_recommender() -> RecommenderModel:
    """Train and activate a model on the demo events just loaded."""
    return train_recommender()


def describe(model: RecommenderModel) -> str:
    """One summary line for the command's output."""
    personal = model.metrics.get("strategies", {}).get("personal", {})
    popular = model.metrics.get("strategies", {}).get("popularity", {})
    ndcg = (
        f", NDCG@10 personal {personal['ndcg']:.4f} vs popularity {popular['ndcg']:.4f}"
        if personal and popular
        else ""
    )
    return (
        f"recommender v{model.version}: {model.status}, {model.n_users} visitors, "
        f"{model.n_items} products, {model.training_seconds or 0:.1f} s{ndcg}"
    )
