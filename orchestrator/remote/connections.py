"""Named connections to the remote systems (CX Sales pods, Outreach), read from the environment.

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
| ``FIELD_NAMES`` | JSON ``{"Stages.StageName": "OrchestrationStageName"}``: the pod's name |
|                 | for a contract attribute (wins over the describe) |
| ``CODES`` | JSON ``{"Steps.StepType": {"TASK": "ORA_TASK"}}``: our code → the pod's (reversed on pull) |
| ``HEADER_DEFAULTS`` | JSON ``{"StatusCode": "DRAFT"}``: mandatory orchestration attributes we do not model |
| ``REQUIRE_APPROVAL`` | ``true``/``false``: publishing needs an approval of exactly the content sent; |
|                      | default ``true``, except for the built-in sandbox (``false``) |
| ``BUSINESS_UNIT_ID`` + ``SALES_METHOD_ID`` | the sales method whose sales stages the reference catalogue |
|                      | reads (``crmBusinessUnits/{id}/child/salesMethods/{id}/child/SalesStage``); |
|                      | unset: the catalogue has no sales stages (the built-in sandbox has a demo method) |

Outreach connections (``system="outreach"``) follow the same pattern with
the prefix ``OUTREACH_``: ``OUTREACH_BASE_URL`` (unset = the built-in
sandbox; else ``https://host/api/v2``) and ``OUTREACH_TOKEN`` (Bearer,
required for a real remote), more with ``OUTREACH_CONNECTIONS=eu,us`` and
``OUTREACH_EU_BASE_URL``, ``OUTREACH_EU_TOKEN``.

B2C Service connections (``system="b2c_service"``) read ``B2C_BASE_URL``
(unset = the built-in sandbox; else ``https://site/services/rest/connect/v1.4``),
``B2C_USERNAME`` + ``B2C_PASSWORD`` (Basic, required for a real site) and
``B2C_APP_CONTEXT`` (the ``OSvC-CREST-Application-Context`` header, at most 40
characters, default "Orchestrator rehearsal"); more with ``B2C_CONNECTIONS``
and ``B2C_<NAME>_…``.

The environment is read when asked, not at import, so tests pass a mapping
and nothing is cached that could go stale. Errors name the variable, never
its value: the value might be a password.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..redaction import credential_forms
from .cx_fields import catalogue, find_field
from .errors import ConnectionConfigError
from .systems import B2C_SERVICE, CX_SALES, OUTREACH, RemoteSystem, system_named
from .url_safety import SANDBOX_BASE_URL, check_base_url

__all__ = [
    "DEFAULT_FRAMEWORK_VERSION",
    "SANDBOX_BASE_URL",
    "Connection",
    "connection_names",
    "get_connection",
    "list_connections",
]

DEFAULT_FRAMEWORK_VERSION = "4"
DEFAULT_APP_CONTEXT = "Orchestrator rehearsal"
APP_CONTEXT_MAX = 40
AuthKind = Literal["basic", "bearer", "none"]

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,29}$")
_SANDBOX_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_ .-]{0,79}$")
_HEADER_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")
_POD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,99}$")
_JSON_LIMIT = 20_000  # characters; these are small maps, a bigger value is a mistake


@dataclass(frozen=True)
class Connection:
    """Where and as whom to talk to a remote system (CX Sales unless `system` says). repr/str never show secrets."""

    name: str
    base_url: str
    username: str = ""
    password: str = field(default="", repr=False)
    token: str = field(default="", repr=False)
    framework_version: str = DEFAULT_FRAMEWORK_VERSION
    metadata_context: str = ""
    # Per-pod adaptations (issue 7): {"Stages.StageName": "OrchestrationStageName"} …
    field_names: Mapping[str, str] = field(default_factory=dict, hash=False)
    # {"Steps.StepType": {"TASK": "ORA_TASK"}} …
    codes: Mapping[str, Mapping[str, str]] = field(default_factory=dict, hash=False)
    # {"StatusCode": "DRAFT"}: pod attribute names of the orchestration header
    header_defaults: Mapping[str, Any] = field(default_factory=dict, hash=False)
    # Which remote system this is (systems.SYSTEMS): "cx_sales" or "outreach".
    system: str = CX_SALES.key

    # B2C Service: the OSvC-CREST-Application-Context header every request carries.
    app_context: str = DEFAULT_APP_CONTEXT

    # Publishing here needs an approval of the exact content (issue 10); None: the default for the kind.
    require_approval_setting: bool | None = None

    # The sales method the reference catalogue reads the sales stages of (issue 11); "" when not configured.
    business_unit_id: str = ""
    sales_method_id: str = ""

    @property
    def require_approval(self) -> bool:
        """True when a publish here needs the content's approval: by default everywhere but the built-in sandbox."""
        if self.require_approval_setting is not None:
            return self.require_approval_setting
        return not self.is_sandbox

    @property
    def is_sandbox(self) -> bool:
        """True for the built-in sandbox (in-process emulator, no network)."""
        return self.base_url == SANDBOX_BASE_URL

    @property
    def remote_system(self) -> RemoteSystem:
        """The system's protocol particulars (headers, media type, rate limits, errors)."""
        return system_named(self.system)

    @property
    def api_url(self) -> str:
        """What request paths are appended to: the base URL and the system's API root."""
        return self.remote_system.api_url(self.base_url)

    @property
    def auth_kind(self) -> AuthKind:
        """How requests authenticate: a token wins over a user name and password."""
        if self.token:
            return "bearer"
        if self.username and self.password:
            return "basic"
        return "none"

    def secrets(self) -> tuple[str, ...]:
        """The credentials to scrub from anything written down (journal, logs, errors), in every spelling.

        The raw values, their base64 and percent-encoded forms and the base64
        of ``user:password`` that Basic sends: a remote may echo any of them.
        """
        forms: set[str] = set()
        if self.password:
            forms |= credential_forms(self.password, self.username)
        if self.token:
            forms |= credential_forms(self.token)
        return tuple(sorted(forms, key=len, reverse=True))

    def describe_safe(self) -> dict[str, str]:
        """What may be shown or logged about this connection: never a credential."""
        if self.system != CX_SALES.key:
            return {"name": self.name, "system": self.system, "base_url": self.base_url, "auth_kind": self.auth_kind}
        return {
            "name": self.name,
            "base_url": self.base_url,
            "auth_kind": self.auth_kind,
            "framework_version": self.framework_version,
            "metadata_context": self.metadata_context,
        }

    def adaptations(self) -> dict[str, Any]:
        """The pod adaptations from the environment (no secret among them), for reports and fingerprints."""
        return {
            "field_names": dict(self.field_names),
            "codes": {key: dict(value) for key, value in self.codes.items()},
            "header_defaults": dict(self.header_defaults),
        }


def _connection_names(environ: Mapping[str, str], prefix: str = CX_SALES.env_prefix) -> list[str]:
    raw = environ.get(f"{prefix}_CONNECTIONS", "")
    names: list[str] = []
    for item in raw.split(","):
        name = item.strip().lower()
        if not name:
            continue
        if not _NAME.match(name):
            raise ConnectionConfigError(
                f"{prefix}_CONNECTIONS: {name[:30]!r} is not a valid connection name "
                "(a letter, then letters, digits or '_', at most 30)."
            )
        if name == "default":
            raise ConnectionConfigError(
                f"{prefix}_CONNECTIONS must not list 'default': it comes from {prefix}_BASE_URL."
            )
        if name not in names:
            names.append(name)
    return names


def _read_outreach(environ: Mapping[str, str], name: str) -> Connection:
    """An Outreach connection: a base URL ending with /api/v2 (or the sandbox) and a Bearer token."""
    prefix = "OUTREACH_" if name == "default" else f"OUTREACH_{name.upper()}_"
    base_url = environ.get(prefix + "BASE_URL", "").strip()
    if not base_url:
        if name != "default":
            raise ConnectionConfigError(
                f"Outreach connection {name!r}: {prefix}BASE_URL is not set "
                f"(use {SANDBOX_BASE_URL} for the built-in sandbox)."
            )
        base_url = SANDBOX_BASE_URL
    try:
        base_url = check_base_url(base_url, resolve=False, api_root=OUTREACH.api_root)
    except ConnectionConfigError as exc:
        raise type(exc)(f"Outreach connection {name!r} ({prefix}BASE_URL): {exc.message}") from None
    token = environ.get(prefix + "TOKEN", "").strip()
    if _HEADER_UNSAFE.search(token):
        raise ConnectionConfigError(f"Outreach connection {name!r}: {prefix}TOKEN contains a control character.")
    if not token and base_url != SANDBOX_BASE_URL:
        raise ConnectionConfigError(
            f"Outreach connection {name!r}: {prefix}TOKEN is not set (Outreach needs a Bearer token)."
        )
    return Connection(name=name, base_url=base_url, token=token, system=OUTREACH.key)


def _read_b2c(environ: Mapping[str, str], name: str) -> Connection:
    """A B2C Service connection: a base URL ending with /services/rest/connect/v1.4 (or the sandbox), Basic."""
    prefix = "B2C_" if name == "default" else f"B2C_{name.upper()}_"
    label = f"B2C Service connection {name!r}"
    base_url = environ.get(prefix + "BASE_URL", "").strip()
    if not base_url:
        if name != "default":
            raise ConnectionConfigError(
                f"{label}: {prefix}BASE_URL is not set (use {SANDBOX_BASE_URL} for the built-in sandbox)."
            )
        base_url = SANDBOX_BASE_URL
    try:
        base_url = check_base_url(base_url, resolve=False, api_root=B2C_SERVICE.api_root)
    except ConnectionConfigError as exc:
        raise type(exc)(f"{label} ({prefix}BASE_URL): {exc.message}") from None
    username, password = environ.get(prefix + "USERNAME", "").strip(), environ.get(prefix + "PASSWORD", "")
    if bool(username) != bool(password):
        missing = "PASSWORD" if username else "USERNAME"
        raise ConnectionConfigError(f"{label}: {prefix}{missing} is not set (Basic needs both).")
    if not username and base_url != SANDBOX_BASE_URL:
        raise ConnectionConfigError(f"{label}: {prefix}USERNAME and {prefix}PASSWORD are not set (B2C needs Basic).")
    if ":" in username:
        raise ConnectionConfigError(f"{label}: {prefix}USERNAME must not contain ':' (HTTP Basic).")
    for suffix, secret in (("USERNAME", username), ("PASSWORD", password)):
        if _HEADER_UNSAFE.search(secret):
            raise ConnectionConfigError(f"{label}: {prefix}{suffix} contains a control character.")
    context = environ.get(prefix + "APP_CONTEXT", "").strip() or DEFAULT_APP_CONTEXT
    if len(context) > APP_CONTEXT_MAX or _HEADER_UNSAFE.search(context) or not context.isascii():
        raise ConnectionConfigError(
            f"{label}: {prefix}APP_CONTEXT must be at most {APP_CONTEXT_MAX} printable ASCII characters "
            f"(it is the OSvC-CREST-Application-Context header)."
        )
    return Connection(
        name=name,
        base_url=base_url,
        username=username,
        password=password,
        system=B2C_SERVICE.key,
        app_context=context,
    )


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
        field_names=_field_names(environ.get(prefix + "FIELD_NAMES", ""), f"{prefix}FIELD_NAMES", name),
        codes=_codes(environ.get(prefix + "CODES", ""), f"{prefix}CODES", name),
        header_defaults=_header_defaults(environ.get(prefix + "HEADER_DEFAULTS", ""), f"{prefix}HEADER_DEFAULTS", name),
        require_approval_setting=_flag(value("REQUIRE_APPROVAL"), f"{prefix}REQUIRE_APPROVAL", name),
        business_unit_id=_oracle_id(value("BUSINESS_UNIT_ID"), f"{prefix}BUSINESS_UNIT_ID", name),
        sales_method_id=_oracle_id(value("SALES_METHOD_ID"), f"{prefix}SALES_METHOD_ID", name),
    )


def _oracle_id(raw: str, variable: str, name: str) -> str:
    """An optional NUMBER(18) id (it becomes part of a request path, so nothing else may pass)."""
    if raw and not re.fullmatch(r"[1-9][0-9]{0,17}", raw):
        raise ConnectionConfigError(f"Connection {name!r}: {variable} must be a number of at most 18 digits.")
    return raw


_TRUE, _FALSE = frozenset({"true", "1", "yes", "on"}), frozenset({"false", "0", "no", "off"})


def _flag(raw: str, variable: str, name: str) -> bool | None:
    """A true/false variable; None when unset (the caller's default applies)."""
    if not raw:
        return None
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ConnectionConfigError(f"Connection {name!r}: {variable} must be true or false, not {raw[:20]!r}.")


def _json_object(raw: str, variable: str, name: str) -> dict[str, Any]:
    """The variable's JSON object ({} when unset); errors name the variable and say what is wrong."""
    raw = (raw or "").strip()
    if not raw:
        return {}
    if len(raw) > _JSON_LIMIT:
        raise ConnectionConfigError(f"Connection {name!r}: {variable} is longer than {_JSON_LIMIT} characters.")
    try:
        value = json.loads(raw)
    except RecursionError:
        raise ConnectionConfigError(f"Connection {name!r}: {variable} is nested too deeply.") from None
    except ValueError as exc:
        raise ConnectionConfigError(
            f"Connection {name!r}: {variable} is not valid JSON ({exc.msg} at character {exc.pos})."
        ) from None
    if not isinstance(value, dict):
        raise ConnectionConfigError(f"Connection {name!r}: {variable} must be a JSON object.")
    return value


def _known_key(key: str, variable: str, name: str):
    found = find_field(key)
    if found is None:
        resource = key.partition(".")[0]
        if resource not in catalogue():
            detail = f"{resource!r} is not a resource; use one of {', '.join(catalogue())}"
        else:
            detail = f"the contract sends no attribute {key.partition('.')[2]!r} on {resource}"
        raise ConnectionConfigError(
            f"Connection {name!r}: {variable} key {key[:80]!r}: {detail} (keys are Resource.ContractName)."
        )
    return found


def _field_names(raw: str, variable: str, name: str) -> dict[str, str]:
    names: dict[str, str] = {}
    for key, value in _json_object(raw, variable, name).items():
        _known_key(key, variable, name)
        if not isinstance(value, str) or not _POD_NAME.match(value):
            raise ConnectionConfigError(
                f"Connection {name!r}: {variable}[{key!r}] must be an attribute name "
                "(a letter, then letters, digits or '_', at most 100)."
            )
        names[key] = value
    return names


def _codes(raw: str, variable: str, name: str) -> dict[str, dict[str, str]]:
    maps: dict[str, dict[str, str]] = {}
    for key, mapping in _json_object(raw, variable, name).items():
        found = _known_key(key, variable, name)
        if not isinstance(mapping, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip() and len(v) <= 100 for k, v in mapping.items()
        ):
            raise ConnectionConfigError(
                f"Connection {name!r}: {variable}[{key!r}] must map our codes to the pod's, "
                'e.g. {"TASK": "ORA_TASK"} (non-empty strings, at most 100 characters).'
            )
        if found.codes:
            unknown = sorted(set(mapping) - set(found.codes))
            if unknown:
                raise ConnectionConfigError(
                    f"Connection {name!r}: {variable}[{key!r}] maps {', '.join(unknown)[:200]}, which "
                    f"{'is not one of our codes' if len(unknown) == 1 else 'are not our codes'} "
                    f"({', '.join(found.codes)})."
                )
        targets = list(mapping.values())
        clashes = sorted({v for v in targets if targets.count(v) > 1})
        if clashes:
            raise ConnectionConfigError(
                f"Connection {name!r}: {variable}[{key!r}] maps two of our codes to {clashes[0][:100]!r}; "
                "a pull could not tell them apart."
            )
        maps[key] = dict(mapping)
    return maps


def _header_defaults(raw: str, variable: str, name: str) -> dict[str, Any]:
    defaults: dict[str, Any] = {}
    for key, value in _json_object(raw, variable, name).items():
        if not _POD_NAME.match(key):
            raise ConnectionConfigError(
                f"Connection {name!r}: {variable} key {key[:80]!r} is not an attribute name of the pod."
            )
        if isinstance(value, dict | list) or value is None:
            raise ConnectionConfigError(
                f"Connection {name!r}: {variable}[{key!r}] must be a string, a number or true/false."
            )
        if isinstance(value, str) and len(value) > 2000:
            raise ConnectionConfigError(f"Connection {name!r}: {variable}[{key!r}] is too long.")
        defaults[key] = value
    return defaults


_READERS = {CX_SALES.key: _read, OUTREACH.key: _read_outreach, B2C_SERVICE.key: _read_b2c}


def connection_names(environ: Mapping[str, str] | None = None, *, system: str = CX_SALES.key) -> list[str]:
    """The names of `system`'s connections, ``default`` first; raises ConnectionConfigError for a bad list."""
    env = os.environ if environ is None else environ
    return ["default", *_connection_names(env, system_named(system).env_prefix)]


def get_connection(
    name: str = "default", environ: Mapping[str, str] | None = None, *, system: str = CX_SALES.key
) -> Connection:
    """The connection of `system` called `name`, read from `environ` (default: os.environ).

    Raises ConnectionConfigError for an unknown name, a missing or unsafe base
    URL (UnsafeURLError), half-set Basic credentials, a missing Outreach token
    or a bad framework version.
    """
    env = os.environ if environ is None else environ
    key = (name or "").strip().lower()
    prefix = system_named(system).env_prefix
    names = _connection_names(env, prefix)  # validated even for "default": a typo there should not go unnoticed
    if key != "default" and key not in names:
        known = ", ".join(["default", *names])
        what = "connection" if system == CX_SALES.key else f"{system_named(system).label} connection"
        raise ConnectionConfigError(f"Unknown {what} {name[:30]!r}; configured: {known}.")
    return _READERS[system](env, key)


def list_connections(environ: Mapping[str, str] | None = None, *, system: str = CX_SALES.key) -> list[Connection]:
    """Every configured connection of `system`, ``default`` first, then <PREFIX>_CONNECTIONS in order."""
    env = os.environ if environ is None else environ
    return [_READERS[system](env, name) for name in connection_names(env, system=system)]
