"""Deploy checks (`manage.py check --deploy`) of what pz needs in production."""

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register

# Process-local caches: an erasure or import in one worker leaves the others serving the
# old profile (for up to PZ_PROFILE_CACHE_SECONDS).
PROCESS_LOCAL_CACHES = frozenset(
    {
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.dummy.DummyCache",
    }
)
PUBLIC_DEFAULT_KEYS = frozenset({"pz-insecure-development-key-change-me"})
MIN_SECRET_LENGTH = 32


@register(Tags.caches, deploy=True)
def check_shared_cache(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    backend = settings.CACHES["default"]["BACKEND"]
    if backend not in PROCESS_LOCAL_CACHES:
        return []
    return [
        Error(
            f"The default cache is {backend.rsplit('.', 1)[-1]}, which lives in one process.",
            hint="Set REDIS_URL: with several workers, an erasure, consent change or CRM "
            "import in one of them would leave the others serving the old profile.",
            id="pz_core.E001",
        )
    ]


@register(Tags.security, deploy=True)
def check_secrets(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors = []
    keys = {
        "SECRET_KEY": settings.SECRET_KEY,
        "PZ_IDENTITY_SECRET": settings.PZ_IDENTITY_SECRET,
        "PZ_CUSTOMER_ID_PEPPER": settings.PZ_CUSTOMER_ID_PEPPER,
    }
    for name, value in keys.items():
        if value in PUBLIC_DEFAULT_KEYS or len(value) < MIN_SECRET_LENGTH:
            errors.append(
                Error(
                    f"{name} is a public default or shorter than {MIN_SECRET_LENGTH} characters.",
                    hint="Set it to a long random value in the environment.",
                    id="pz_core.E002",
                )
            )
    if len(set(keys.values())) < len(keys):
        errors.append(
            Error(
                "SECRET_KEY, PZ_IDENTITY_SECRET and PZ_CUSTOMER_ID_PEPPER are not all different.",
                hint="The identity secret is shared with the shop's backend: a shared value "
                "would let it sign visitor cookies too.",
                id="pz_core.E003",
            )
        )
    return errors
