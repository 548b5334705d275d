"""The secrets of a local install (demo, development, tests): random, made on first use
and kept in a file outside version control, so no install signs cookies or hashes
customer ids with a key anyone can read in the repository. Production settings never
read this file: they refuse to start without their secrets in the environment.
"""

import json
import os
import secrets
import tempfile
from pathlib import Path

NAMES = ("DJANGO_SECRET_KEY", "PZ_IDENTITY_SECRET", "PZ_CUSTOMER_ID_PEPPER")


def local_secrets(path: Path) -> dict[str, str]:
    """The install's secrets, created (mode 0600) if the file does not exist yet. Several
    processes starting at once agree on one file: it is published with a hard link,
    which fails if another process published first."""
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    values = {name: secrets.token_urlsafe(48) for name in NAMES}
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".pz-secrets-")
    try:
        with os.fdopen(descriptor, "w") as handle:
            json.dump(values, handle)
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)
    return _read(path)


def _read(path: Path) -> dict[str, str]:
    values = json.loads(path.read_text())
    missing = [name for name in NAMES if not values.get(name)]
    if missing:
        raise ValueError(f"{path} lacks {', '.join(missing)}; delete it to make a new one")
    return values
