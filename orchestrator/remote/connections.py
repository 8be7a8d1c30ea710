"""Named connections to CX Sales pods, read from the environment.

One connection is always there: ``default`` from ``CX_BASE_URL`` and friends,
or the built-in sandbox when ``CX_BASE_URL`` is unset, so a fresh checkout
publishes somewhere harmless. More come from ``CX_CONNECTIONS=dev,prod`` with
``CX_DEV_BASE_URL``, ``CX_DEV_USERNAME`` … (the same suffixes per name).

| suffix | meaning |
|---|---|
| ``BASE_URL`` | ``https://host[:port]`` (``sandbox://builtin`` for the built-in sandbox) |
| ``USERNAME`` + ``PASSWORD`` | HTTP Basic |
| ``TOKEN`` | ``Authorization: Bearer`` (wins over Basic when both are set) |
| ``REST_FRAMEWORK_VERSION`` | ``1``…``9``, default ``4`` (pinned on every call) |
| ``METADATA_CONTEXT`` | sandbox name, sent as ``Metadata-Context: sandbox="<name>"`` |

The environment is read when asked, not at import, so tests pass a mapping
and nothing is cached that could go stale. Errors name the variable, never
its value: the value might be a password.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from .errors import ConnectionConfigError
from .url_safety import SANDBOX_BASE_URL, check_base_url

__all__ = [
    "DEFAULT_FRAMEWORK_VERSION",
    "SANDBOX_BASE_URL",
    "Connection",
    "get_connection",
    "list_connections",
]

DEFAULT_FRAMEWORK_VERSION = "4"
AuthKind = Literal["basic", "bearer", "none"]

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,29}$")
_SANDBOX_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_ .-]{0,79}$")
_HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Connection:
    """Where and as whom to talk to CX Sales. repr/str never show the secrets."""

    name: str
    base_url: str
    username: str = ""
    password: str = field(default="", repr=False)
    token: str = field(default="", repr=False)
    framework_version: str = DEFAULT_FRAMEWORK_VERSION
    metadata_context: str = ""

    @property
    def is_sandbox(self) -> bool:
        """True for the built-in sandbox (in-process emulator, no network)."""
        return self.base_url == SANDBOX_BASE_URL

    @property
    def auth_kind(self) -> AuthKind:
        """How requests authenticate: a token wins over a user name and password."""
        if self.token:
            return "bearer"
        if self.username and self.password:
            return "basic"
        return "none"

    def secrets(self) -> tuple[str, ...]:
        """The credential values to scrub from anything written down (journal, logs, errors)."""
        return tuple(s for s in (self.password, self.token) if s)

    def describe_safe(self) -> dict[str, str]:
        """What may be shown or logged about this connection: never a credential."""
        return {
            "name": self.name,
            "base_url": self.base_url,
            "auth_kind": self.auth_kind,
            "framework_version": self.framework_version,
            "metadata_context": self.metadata_context,
        }


def _connection_names(environ: Mapping[str, str]) -> list[str]:
    raw = environ.get("CX_CONNECTIONS", "")
    names: list[str] = []
    for item in raw.split(","):
        name = item.strip().lower()
        if not name:
            continue
        if not _NAME.match(name):
            raise ConnectionConfigError(
                f"CX_CONNECTIONS: {name[:30]!r} is not a valid connection name "
                "(a letter, then letters, digits or '_', at most 30)."
            )
        if name == "default":
            raise ConnectionConfigError("CX_CONNECTIONS must not list 'default': it comes from CX_BASE_URL.")
        if name not in names:
            names.append(name)
    return names


def _read(environ: Mapping[str, str], name: str) -> Connection:
    prefix = "CX_" if name == "default" else f"CX_{name.upper()}_"

    def value(suffix: str) -> str:
        return environ.get(prefix + suffix, "").strip()

    base_url = value("BASE_URL")
    if not base_url:
        if name != "default":
            raise ConnectionConfigError(
                f"Connection {name!r}: {prefix}BASE_URL is not set (use {SANDBOX_BASE_URL} for the built-in sandbox)."
            )
        base_url = SANDBOX_BASE_URL
    try:
        # Static rules only: a DNS lookup here would make reading settings slow and
        # network-dependent. The client resolves and checks before every request.
        base_url = check_base_url(base_url, resolve=False)
    except ConnectionConfigError as exc:
        raise type(exc)(f"Connection {name!r} ({prefix}BASE_URL): {exc.message}") from None

    username, password, token = value("USERNAME"), environ.get(prefix + "PASSWORD", ""), value("TOKEN")
    if bool(username) != bool(password) and not token:
        missing = "PASSWORD" if username else "USERNAME"
        raise ConnectionConfigError(f"Connection {name!r}: {prefix}{missing} is not set (Basic needs both).")
    if ":" in username:
        raise ConnectionConfigError(f"Connection {name!r}: {prefix}USERNAME must not contain ':' (HTTP Basic).")
    for suffix, secret in (("USERNAME", username), ("PASSWORD", password), ("TOKEN", token)):
        if _HEADER_UNSAFE.search(secret):
            raise ConnectionConfigError(f"Connection {name!r}: {prefix}{suffix} contains a control character.")

    version = value("REST_FRAMEWORK_VERSION") or DEFAULT_FRAMEWORK_VERSION
    if not re.fullmatch(r"[1-9]", version):
        raise ConnectionConfigError(
            f"Connection {name!r}: {prefix}REST_FRAMEWORK_VERSION must be an integer from 1 to 9, not {version[:20]!r}."
        )
    context = value("METADATA_CONTEXT")
    if context and not _SANDBOX_NAME.match(context):
        raise ConnectionConfigError(
            f"Connection {name!r}: {prefix}METADATA_CONTEXT must be a sandbox name "
            "(letters, digits, spaces, '_', '-', '.'; at most 80)."
        )
    return Connection(
        name=name,
        base_url=base_url,
        username=username,
        password=password,
        token=token,
        framework_version=version,
        metadata_context=context,
    )


def get_connection(name: str = "default", environ: Mapping[str, str] | None = None) -> Connection:
    """The connection called `name`, read from `environ` (default: os.environ).

    Raises ConnectionConfigError for an unknown name, a missing or unsafe base
    URL (UnsafeURLError), half-set Basic credentials or a bad framework version.
    """
    env = os.environ if environ is None else environ
    key = (name or "").strip().lower()
    names = _connection_names(env)  # validated even for "default": a typo there should not go unnoticed
    if key != "default" and key not in names:
        known = ", ".join(["default", *names])
        raise ConnectionConfigError(f"Unknown connection {name[:30]!r}; configured: {known}.")
    return _read(env, key)


def list_connections(environ: Mapping[str, str] | None = None) -> list[Connection]:
    """Every configured connection, ``default`` first, then CX_CONNECTIONS in order."""
    env = os.environ if environ is None else environ
    return [_read(env, name) for name in ["default", *_connection_names(env)]]
