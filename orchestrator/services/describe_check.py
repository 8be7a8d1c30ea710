"""The pod's describe, cached per connection (payload-contract §5).

`GET …/orchestrations/describe` says what a pod really accepts; what it
means for a publish (names, lengths, codes, strategy, refusals) is worked out
in `services.compatibility`. Reading it on every publish would cost a slow
request, so it is kept in `RemoteDescribe` per connection name, base URL,
REST framework version and Metadata-Context, for `CX_DESCRIBE_CACHE_SECONDS`
(default one hour). A cached describe that refuses is re-read once before the
refusal stands, and the publish run drops the cache when the pod refuses a
stage, since both may mean its metadata changed.
"""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from ..models import RemoteDescribe
from .compatibility.resolve import Dialect, resolve_dialect

DEFAULT_CACHE_SECONDS = 3600


# -- the cache ---------------------------------------------------------------------------------------------------------


def _cache_key(connection) -> dict[str, str]:
    return {
        "connection_name": connection.name,
        "base_url": connection.base_url,
        "framework_version": connection.framework_version,
        "metadata_context": connection.metadata_context,
    }


def cached_describe(connection) -> dict[str, Any] | None:
    """The cached describe of `connection`, or None when absent or older than the cache lifetime."""
    seconds = getattr(settings, "CX_DESCRIBE_CACHE_SECONDS", DEFAULT_CACHE_SECONDS)
    if seconds <= 0:
        return None
    entry = RemoteDescribe.objects.filter(
        **_cache_key(connection), fetched_at__gte=timezone.now() - timedelta(seconds=seconds)
    ).first()
    return entry.document if entry else None


def store_describe(connection, document: dict[str, Any]) -> None:
    RemoteDescribe.objects.update_or_create(
        **_cache_key(connection), defaults={"document": document, "fetched_at": timezone.now()}
    )


def forget_describe(connection) -> None:
    RemoteDescribe.objects.filter(**_cache_key(connection)).delete()


def connection_dialect(api, connection, *, fresh: bool = False) -> tuple[Dialect, dict[str, Any]]:
    """(the pod's dialect, its describe) for `connection`: the cached describe, or a fresh read (then cached).

    `api` is a CxSalesApi on that connection; RemoteError propagates.
    """
    describe = None if fresh else cached_describe(connection)
    if describe is None:
        describe = api.describe()
        store_describe(connection, describe)
    return resolve_dialect(describe, connection), describe
