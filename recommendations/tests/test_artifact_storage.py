"""Models over `PZ_RECOMMENDER_ARTIFACT_DB_MAX_BYTES` live in the artifact storage: the
row names the file, the switch of the active version stays atomic, serving processes
read a version's file once, retention deletes old files."""

import pickle

import pytest

from recommendations import artifacts, selectors, services, serving
from recommendations.models import RecommenderModel
from recommendations.selectors import artifact_of
from recommendations.tests.conftest import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def file_storage(settings, tmp_path):
    settings.PZ_RECOMMENDER_ARTIFACT_DB_MAX_BYTES = 0
    settings.STORAGES = {
        **settings.STORAGES,
        artifacts.STORAGE_ALIAS: {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


@pytest.fixture
def train(shop, django_capture_on_commit_callbacks):
    def run() -> RecommenderModel:
        with django_capture_on_commit_callbacks(execute=True):
            return services.train_recommender(now=NOW)

    return run


def test_a_large_model_is_written_to_the_storage_and_served_from_it(file_storage, train):
    row = train()

    assert row.artifact is None and row.artifact_file.startswith("recommender-v1-")
    stored = file_storage / row.artifact_file
    assert stored.stat().st_size == row.artifact_bytes
    model = pickle.loads(stored.read_bytes())  # noqa: S301 - written by this test's training
    assert model.strategy_weights == {"ease": 1.0}
    result = serving.recommend(strategy="similar", product_id="tent", k=2)
    assert result.model_version == 1 and result.items[0]["product_id"] == "stove"


def test_a_small_model_stays_in_its_row(train, settings):
    settings.PZ_RECOMMENDER_ARTIFACT_DB_MAX_BYTES = 10**9

    row = train()

    assert row.artifact_file == "" and len(row.artifact) == row.artifact_bytes
    assert artifact_of(1) == bytes(row.artifact)


def test_a_serving_process_reads_the_file_once_per_version(file_storage, train, monkeypatch):
    train()
    reads = []
    real_read = selectors.read_artifact_file

    def counting_read(name, sha256):
        reads.append(name)
        return real_read(name, sha256)

    monkeypatch.setattr(selectors, "read_artifact_file", counting_read)
    for _ in range(3):
        serving.recommend(strategy="popular", k=2)
    assert len(reads) == 1

    train()  # a new version: one more read, then none
    for _ in range(3):
        assert serving.recommend(strategy="popular", k=2).model_version == 2
    assert len(reads) == 2


def test_a_failed_switch_keeps_the_old_version_and_removes_the_new_file(
    file_storage, train, monkeypatch
):
    first = train()

    def broken():
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "_drop_old_artifacts", broken)
    with pytest.raises(RuntimeError):
        train()

    assert [p.name for p in file_storage.iterdir()] == [first.artifact_file]
    active = RecommenderModel.objects.get(is_active=True)
    assert active.version == 1 and active.artifact_file == first.artifact_file
    assert RecommenderModel.objects.get(version=2).artifact_file == ""
    assert serving.recommend(strategy="popular", k=1).model_version == 1


def test_retention_deletes_the_files_of_dropped_versions(file_storage, train, settings):
    settings.PZ_RECOMMENDER_KEEP_ARTIFACTS = 1
    rows = [train() for _ in range(3)]

    kept = RecommenderModel.objects.exclude(artifact_file="").order_by("version")
    assert list(kept.values_list("version", flat=True)) == [2, 3]
    assert sorted(p.name for p in file_storage.iterdir()) == sorted(
        r.artifact_file for r in rows[1:]
    )


def test_an_altered_file_is_refused_and_the_loaded_version_keeps_serving(file_storage, train):
    first = train()
    assert serving.recommend(strategy="popular", k=1).model_version == 1
    second = train()
    (file_storage / second.artifact_file).write_bytes(pickle.dumps("not the model"))

    assert artifact_of(2) is None
    assert serving.recommend(strategy="popular", k=1).model_version == first.version


def test_staff_see_where_the_model_is_stored(file_storage, train, admin_client):
    row = train()

    page = admin_client.get(f"/admin/recommenders/inspect/{row.pk}/")

    assert page.status_code == 200 and row.artifact_file.encode() in page.content
