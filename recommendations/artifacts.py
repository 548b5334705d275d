"""Where a trained model's bytes live: in its database row up to
`PZ_RECOMMENDER_ARTIFACT_DB_MAX_BYTES`, above that in the `recommender_artifacts`
storage (`STORAGES`; a directory by default, any Django storage such as
django-storages' S3 backend by setting).

A stored file is named by version and a random token and only becomes reachable when
the row that names it is committed, so readers never see a half-written model; its
SHA-256 is kept in the row and checked before unpickling, so a file changed in the
storage is refused rather than executed.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages

STORAGE_ALIAS = "recommender_artifacts"


class ArtifactUnreadable(Exception):
    """The artifact file is missing or does not match the digest in its row."""


@dataclass(frozen=True)
class StoredArtifact:
    """What the row records: the bytes themselves, or the name of the file holding them."""

    inline: bytes | None
    file_name: str
    sha256: str
    size: int


def artifact_storage() -> Storage:
    return storages[STORAGE_ALIAS]


def store_artifact(version: int, data: bytes) -> StoredArtifact:
    """Keep small artifacts for the row; write large ones to the artifact storage under a
    fresh name (nothing points at it until the row is committed)."""
    digest = hashlib.sha256(data).hexdigest()
    if len(data) <= settings.PZ_RECOMMENDER_ARTIFACT_DB_MAX_BYTES:
        return StoredArtifact(inline=data, file_name="", sha256=digest, size=len(data))
    name = f"recommender-v{version}-{secrets.token_hex(8)}.pickle"
    saved = artifact_storage().save(name, ContentFile(data))
    return StoredArtifact(inline=None, file_name=saved, sha256=digest, size=len(data))


def read_artifact_file(name: str, sha256: str) -> bytes:
    """The bytes of a stored artifact, checked against the digest recorded with it."""
    try:
        with artifact_storage().open(name, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise ArtifactUnreadable(f"{name}: {exc}") from exc
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ArtifactUnreadable(f"{name}: content does not match its recorded SHA-256")
    return data


def delete_artifact_files(names: Iterable[str]) -> None:
    storage = artifact_storage()
    for name in names:
        if name:
            storage.delete(name)
