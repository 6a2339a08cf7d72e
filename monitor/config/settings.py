"""The configuration file: YAML parsed once into frozen, validated settings.

``load_settings(path)`` reads the file, substitutes ``${VAR}`` and ``${VAR:-default}`` from the
environment, reads numbers with decimals as exact decimals, and validates. Every error is one
:class:`ConfigError` line naming the file, the field path and what was expected.
"""

from __future__ import annotations

import enum
import math
import os
import re
import socket
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from ..errors import ConfigError
from ..redact import StoreUrl, excerpt, redact_url
from .fields import (
    NUMBER_MAX_DIGITS,
    NUMBER_MAX_EXPONENT,
    Duration,
    Zone,
    describe_validation_errors,
    number_out_of_range,
    parse_dns_server,
    parse_duration,
)
from .terms import ContractTerms

__all__ = [
    "CANARY_SERVICE",
    "NOTIFY_EVENTS",
    "CheckConfig",
    "CheckRole",
    "DnsCheck",
    "HttpCheck",
    "NotifyEvent",
    "NotifySettings",
    "Quorum",
    "ServiceConfig",
    "Settings",
    "SpoolSettings",
    "StatusPageSettings",
    "StoreUrl",
    "TcpCheck",
    "Webhook",
    "load_settings",
    "parse_settings",
]

_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"
Name = Annotated[str, Field(pattern=_NAME)]


class CheckRole(enum.StrEnum):
    """Where a check looks: through the provider's load balancers, at one node, or at DNS."""

    FRONTEND = "frontend"
    NODE = "node"
    DNS = "dns"
    #: The vantage's own connectivity, outside every service: while a canary answers, this
    #: vantage's network is up, so its services' failures are theirs.
    CANARY = "canary"


#: The service name canaries are scheduled under; ``@`` cannot begin a service name.
CANARY_SERVICE = "@canary"

#: How many vantages must agree that a service is down: ``majority`` of those with fresh data
#: (the default), ``all`` of them, ``any`` one, or a number (capped at how many have data).
Quorum = Literal["majority", "all", "any"] | Annotated[int, Field(ge=1)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _problems(found: list[str]) -> None:
    """Raise every problem a model-level check found, one line each (``field: what``)."""
    if found:
        raise ValueError("\n".join(found))


#: A retry_interval not written is this, or the interval when that is shorter.
DEFAULT_RETRY = 2.0


class _Timing(_Model):
    """How often and how patiently a check probes (confirmed down, adaptive cadence)."""

    name: Name
    interval: Duration = 10.0
    timeout: Duration = 5.0
    retry_interval: Duration = DEFAULT_RETRY
    confirm: Annotated[int, Field(ge=1, le=10)] = 2

    @model_validator(mode="before")
    @classmethod
    def _default_retry(cls, data: Any) -> Any:
        # `interval: 1s` alone is a complete check: the default retry follows a short interval.
        if isinstance(data, dict) and "retry_interval" not in data and "interval" in data:
            try:
                interval = parse_duration(data["interval"])
            except ValueError:
                return data  # the interval's own error says what is wrong
            return {**data, "retry_interval": min(DEFAULT_RETRY, interval)}
        return data

    @model_validator(mode="after")
    def _timing_fits(self) -> Self:
        if self.retry_interval > self.interval:
            raise ValueError(
                f"retry_interval ({self.retry_interval:g}s) must not exceed interval "
                f"({self.interval:g}s)"
            )
        return self


class HttpCheck(_Timing):
    """A page, a file download (``min_bytes``) or a stream (``stream_bytes``) over HTTP(S)."""

    type: Literal["http"]
    url: str
    method: Literal["GET", "HEAD", "POST"] = "GET"
    expect_status: list[Annotated[int, Field(ge=100, le=599)]] | None = None
    contains: str | None = None
    regex: str | None = None
    min_bytes: Annotated[int, Field(ge=1)] | None = None
    stream_bytes: Annotated[int, Field(ge=1)] | None = None
    max_body_bytes: Annotated[int, Field(ge=1)] = 1_048_576
    host: str | None = None
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    max_latency: Duration | None = None
    verify_tls: bool = True
    follow_redirects: bool = True
    reuse_connections: bool = False

    @model_validator(mode="after")
    def _url_is_http(self) -> Self:
        found = [] if _is_http_url(self.url) else [_NOT_HTTP]
        for name in ("min_bytes", "stream_bytes"):
            wanted = getattr(self, name)
            if wanted is not None and wanted > self.max_body_bytes:
                found.append(
                    f"{name}: {wanted} is more than max_body_bytes ({self.max_body_bytes}),"
                    " the most a probe reads"
                )
        if self.regex is not None:
            try:
                re.compile(self.regex)
            except re.error as error:
                found.append(f"regex: not a valid regular expression: {error}")
        _problems(found)
        return self

    @property
    def target(self) -> str:
        """What is probed, for people: the URL without its password and query values."""
        return redact_url(self.url)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            yield name, (redact_url(value) if name == "url" else value)


class TcpCheck(_Timing):
    """A TCP connect, optionally sending bytes and expecting a reply that contains others."""

    type: Literal["tcp"]
    host: str
    port: Annotated[int, Field(ge=1, le=65535)]
    send: str | None = None
    expect: str | None = None

    @property
    def target(self) -> str:
        """What is probed, for people."""
        return f"{self.host}:{self.port}"


class DnsCheck(_Timing):
    """A DNS lookup; the answer set is recorded (the global load balancer's view)."""

    type: Literal["dns"]
    query: str
    record: Literal["A", "AAAA", "CNAME", "MX", "TXT", "NS"] = "A"
    server: str | None = None
    expect: list[str] | None = None

    @property
    def target(self) -> str:
        """What is probed, for people."""
        return f"{self.query} {self.record}" + (f" @{self.server}" if self.server else "")


CheckConfig = Annotated[HttpCheck | TcpCheck | DnsCheck, Field(discriminator="type")]


class DnsWatch(_Model):
    """The service's DNS name, watched for the addresses the global load balancer hands out."""

    name: str
    record: Literal["A", "AAAA"] = "A"
    server: str | None = None
    interval: Duration = 30.0
    timeout: Duration = 5.0
    retry_interval: Duration = 5.0
    confirm: Annotated[int, Field(ge=1, le=10)] = 2

    def as_check(self) -> DnsCheck:
        """The probe definition that watches this name."""
        return DnsCheck(
            name="dns",
            type="dns",
            query=self.name,
            record=self.record,
            server=self.server,
            interval=self.interval,
            timeout=self.timeout,
            retry_interval=min(self.retry_interval, self.interval),
            confirm=self.confirm,
        )


class FailoverTerms(_Model):
    """C4's promise, in numbers: how long the frontend may fail, how soon capacity returns."""

    max_frontend_outage: Duration = 30.0
    restore_within: Duration = 600.0


class ServiceConfig(_Model):
    """One service bought under one contract."""

    name: Name
    contract: str
    frontend: Annotated[list[CheckConfig], Field(min_length=1)]
    nodes: list[CheckConfig] = Field(default_factory=list)
    dns: DnsWatch | None = None
    failover: FailoverTerms = Field(default_factory=FailoverTerms)
    quorum: Quorum = "majority"

    @model_validator(mode="after")
    def _names_unique(self) -> Self:
        seen: set[str] = set()
        for check in [*self.frontend, *self.nodes]:
            if check.name in seen or (self.dns is not None and check.name == "dns"):
                raise ValueError(f"check name {check.name!r} is used twice in this service")
            seen.add(check.name)
        return self

    def checks(self) -> list[tuple[CheckRole, HttpCheck | TcpCheck | DnsCheck]]:
        """Every check of the service with its role."""
        found: list[tuple[CheckRole, HttpCheck | TcpCheck | DnsCheck]] = [
            (CheckRole.FRONTEND, c) for c in self.frontend
        ]
        found += [(CheckRole.NODE, c) for c in self.nodes]
        if self.dns is not None:
            found.append((CheckRole.DNS, self.dns.as_check()))
        return found


class HttpListen(_Model):
    """The daemon's own HTTP surface: /metrics, /healthz and the JSON API."""

    listen: str = "127.0.0.1:9464"
    api_token: SecretStr | None = None

    @model_validator(mode="after")
    def _listen_is_host_port(self) -> Self:
        found = []
        host, _, port = self.listen.rpartition(":")
        if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            found.append(f"listen: expected HOST:PORT, got {excerpt(self.listen)}")
        if self.api_token is not None and not self.api_token.get_secret_value().strip():
            # An empty token would let an empty `Authorization: Bearer` in.
            found.append(
                "api_token: is empty (is its environment variable empty?); expected a long"
                " random secret, or no api_token at all to keep the API off"
            )
        _problems(found)
        return self

    @property
    def host(self) -> str:
        """Address to bind (brackets of an IPv6 literal removed)."""
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        """Port to bind; 0 picks a free one."""
        return int(self.listen.rpartition(":")[2])


class LogSettings(_Model):
    """Structured logging."""

    format: Literal["text", "json"] = "text"
    level: Literal["debug", "info", "warning", "error"] = "info"


NotifyEvent = Literal["outage_start", "outage_end", "failover_breach", "cert_expiry"]
NOTIFY_EVENTS: tuple[NotifyEvent, ...] = (
    "outage_start",
    "outage_end",
    "failover_breach",
    "cert_expiry",
)


#: A URL's error names what was expected, never the URL: it may carry a password or a token.
_NOT_HTTP = "url: expected an http:// or https:// URL with a host"


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # an unbalanced IPv6 bracket
        return False


class Webhook(_Model):
    """Where notifications are POSTed."""

    url: str
    #: ``json``: slawatch's own body; ``slack``: ``{"text": ...}`` (Slack, Mattermost, ...).
    format: Literal["json", "slack"] = "json"
    events: list[NotifyEvent] = Field(default_factory=lambda: list(NOTIFY_EVENTS))
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    timeout: Duration = 10.0

    @model_validator(mode="after")
    def _url_is_http(self) -> Self:
        if not _is_http_url(self.url):
            raise ValueError(_NOT_HTTP)
        return self

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        # Its path, not only its query, may be the token (Slack's are).
        for name, value in super().__repr_args__():
            yield name, ("(hidden)" if name == "url" else value)


class NotifySettings(_Model):
    """Notifications slawatch sends itself (C4: the provider should, slawatch makes sure)."""

    webhooks: list[Webhook] = Field(default_factory=list)
    #: Warn when a checked certificate expires within this many days.
    cert_expiry_days: Annotated[int, Field(ge=1, le=365)] = 14
    #: Notifications waiting for delivery, at most; past it the oldest are dropped (counted).
    max_queue: Annotated[int, Field(ge=1, le=100_000)] = 1000
    #: Delivery attempts per webhook and notification before giving up (counted).
    attempts: Annotated[int, Field(ge=1, le=20)] = 5


class SpoolSettings(_Model):
    """Where results wait while the store is down: memory first, then local files."""

    #: Results held in memory before further ones go to the spool directory.
    max_memory: Annotated[int, Field(ge=1, le=10_000_000)] = 100_000
    #: Results and interval changes held in memory at most when the spool cannot be written
    #: either (a full disk); past it the oldest results are dropped, counted. About 300 bytes
    #: each: the default is about 150 MB.
    max_memory_hard: Annotated[int, Field(ge=1, le=100_000_000)] = 500_000
    #: The spool directory; by default ``spool`` beside the SQLite file, or ``./slawatch-spool``.
    directory: Path | None = None

    @model_validator(mode="after")
    def _hard_above_spill(self) -> Self:
        if self.max_memory_hard < self.max_memory:
            raise ValueError(
                f"max_memory_hard: must be at least max_memory ({self.max_memory}),"
                f" got {self.max_memory_hard}"
            )
        return self


class StatusPageSettings(_Model):
    """The public status page and the machine-readable status (``summary.json``, the Atom feed,
    the badges): what they show and the days they are local to.

    Money never appears there, whatever is set; vantage names and check names only when asked.
    """

    title: Annotated[str, Field(min_length=1, max_length=200)] = "Status"
    #: The zone whose midnights divide the days of the history bar and the windows.
    timezone: Zone = Field(default_factory=lambda: ZoneInfo("UTC"))
    #: The services shown publicly, by name; every service when not given.
    public: list[Name] | None = None
    show_checks: bool = False
    show_vantages: bool = False
    #: Days of history: the day cells, the uptime windows' reach, the incidents listed.
    history_days: Annotated[int, Field(ge=1, le=366)] = 90
    #: Where the page is published (``https://status.example.com/``): the links of
    #: ``summary.json`` and the feed. Relative links when not given.
    url: str | None = None

    @model_validator(mode="after")
    def _url_is_http(self) -> Self:
        if self.url is not None and not _is_http_url(self.url):
            raise ValueError(f"url: expected an http:// or https:// URL, got {excerpt(self.url)}")
        return self

    @property
    def zone_name(self) -> str:
        """The zone's IANA name."""
        return str(self.timezone)


def _dns_server(text: str) -> str:
    """A DNS server the probes can ask: an IP address, with an optional port."""
    try:
        parse_dns_server(text)
    except ValueError:
        raise ValueError(
            f"expected an IP address, IP:PORT or [IPV6]:PORT, got {excerpt(text)}"
        ) from None
    return text


DnsServer = Annotated[str, AfterValidator(_dns_server)]


class Settings(_Model):
    """The whole configuration."""

    vantage: Name = Field(default_factory=lambda: socket.gethostname().split(".")[0] or "local")
    #: Shown without its password: ``str(settings.store)``; the store alone connects with it.
    store: StoreUrl = StoreUrl("sqlite:///slawatch.db")
    http: HttpListen = Field(default_factory=HttpListen)
    log: LogSettings = Field(default_factory=LogSettings)
    # Before retention_days, whose check reads it.
    allow_short_retention: bool = False
    retention_days: Annotated[int, Field(ge=1)] = 90
    max_concurrency: Annotated[int, Field(ge=1, le=100_000)] = 256
    #: The daemon's event loop: uvloop when it is installed (``auto``), or the one named.
    event_loop: Literal["auto", "uvloop", "asyncio"] = "auto"
    #: How often the live SLA figures (the month so far) are recomputed, 1 s to 1 min.
    sla_refresh: Annotated[Duration, Field(ge=1, le=60)] = 60.0
    resolver: list[DnsServer] | None = None
    spool: SpoolSettings = Field(default_factory=SpoolSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    contracts: dict[str, ContractTerms] = Field(default_factory=dict)
    services: list[ServiceConfig] = Field(default_factory=list)
    canaries: list[CheckConfig] = Field(default_factory=list)
    # After services, whose names its check reads.
    status_page: StatusPageSettings = Field(default_factory=StatusPageSettings)

    # The checks across fields are field validators reading the fields before them, not a
    # check of the whole model: that one would not run while any other field is invalid, and
    # every problem of the file is reported at once.

    @field_validator("retention_days")
    @classmethod
    def _retention_enough(cls, days: int, info: ValidationInfo) -> int:
        if days < 90 and not info.data.get("allow_short_retention", False):
            raise ValueError(
                "records are kept at least 90 days (C8); "
                "set allow_short_retention: true to keep fewer"
            )
        return days

    @field_validator("services")
    @classmethod
    def _services_consistent(
        cls, services: list[ServiceConfig], info: ValidationInfo
    ) -> list[ServiceConfig]:
        contracts = info.data.get("contracts")  # absent when invalid: its own error says why
        found: list[str] = []
        names: set[str] = set()
        for index, service in enumerate(services):
            if service.name in names:
                found.append(f"[{index}].name: {service.name!r} is used twice")
            names.add(service.name)
            if contracts is not None and service.contract not in contracts:
                known = ", ".join(sorted(contracts)) or "none defined"
                found.append(
                    f"[{index}].contract: unknown contract {excerpt(service.contract)} "
                    f"(contracts: {known})"
                )
        _problems(found)
        return services

    @field_validator("status_page")
    @classmethod
    def _public_services_known(
        cls, page: StatusPageSettings, info: ValidationInfo
    ) -> StatusPageSettings:
        services = info.data.get("services")  # absent when invalid: its own error says why
        if services is None or page.public is None:
            return page
        names = {service.name for service in services}
        found = [
            f"public[{index}]: unknown service {excerpt(name)}"
            for index, name in enumerate(page.public)
            if name not in names
        ]
        _problems(found)
        return page

    @property
    def public_services(self) -> list[ServiceConfig]:
        """The services the public status page shows, in the configuration's order."""
        public = self.status_page.public
        if public is None:
            return list(self.services)
        shown = set(public)
        return [service for service in self.services if service.name in shown]

    @field_validator("canaries")
    @classmethod
    def _canaries_named_once(cls, canaries: list[CheckConfig]) -> list[CheckConfig]:
        names: set[str] = set()
        found: list[str] = []
        for index, canary in enumerate(canaries):
            if canary.name in names:
                found.append(f"[{index}].name: {canary.name!r} is used twice")
            names.add(canary.name)
        _problems(found)
        return canaries

    @property
    def spool_directory(self) -> Path:
        """Where results spill while the store is down."""
        if self.spool.directory is not None:
            return self.spool.directory
        path = self.store.sqlite_path
        return Path("slawatch-spool") if path is None else path.parent / "spool"


#: The largest configuration file read (1 MiB): a hundred times the complete example.
MAX_CONFIG_BYTES = 1_048_576
#: At most this many aliases (``*name``) in a file ...
MAX_ALIASES = 1_000
#: ... standing for at most this many values in all, counted as they expand (an alias of a
#: list of aliases stands for all their values): a few hundred bytes of nested aliases would
#: otherwise expand to billions of values.
MAX_ALIAS_VALUES = 100_000
#: How deep mappings and lists may nest.
MAX_YAML_DEPTH = 64


class _Refused(yaml.MarkedYAMLError):
    """YAML that is valid but refused: too deep, too many aliases, or an alias in itself."""


class _DecimalLoader(yaml.SafeLoader):
    """YAML with exact decimals (``daily_fee: 144.10`` must not pass through a float), bounded:
    nesting, aliases and what they expand to are counted while the file is composed, before
    anything is built from it."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._values: dict[int, int] = {}  # id(node) -> the values it stands for, expanded
        self._open: set[str] = set()  # anchors of the nodes being composed
        self._aliases = 0
        self._aliased = 0
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            return self._alias(event, parent, index)
        self._depth += 1
        if self._depth > MAX_YAML_DEPTH:
            raise _refused(
                f"mappings and lists nested deeper than {MAX_YAML_DEPTH} levels", event.start_mark
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            self._open.add(anchor)
        node = super().compose_node(parent, index)
        self._open.discard(anchor or "")
        self._depth -= 1
        self._values[id(node)] = 1 + sum(self._values.get(id(c), 1) for c in _children(node))
        return node

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # PyYAML's constructors take what its resolver gives them; a value tagged by hand
        # (`!!bool x`, `!!timestamp x`) or a date that does not exist (2026-13-45) makes them
        # fail with whatever Python raised. Each becomes one line naming where the value is.
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
            raise _not_valid(node) from None

    def _alias(
        self, event: yaml.AliasEvent, parent: yaml.Node | None, index: int
    ) -> yaml.Node | None:
        self._aliases += 1
        if self._aliases > MAX_ALIASES:
            raise _refused(f"more than {MAX_ALIASES:,} aliases", event.start_mark)
        if event.anchor in self._open:
            raise _refused(f"alias *{event.anchor} is inside its own anchor", event.start_mark)
        node = super().compose_node(parent, index)
        self._aliased += self._values.get(id(node), 1)
        if self._aliased > MAX_ALIAS_VALUES:
            raise _refused(
                f"aliases stand for more than {MAX_ALIAS_VALUES:,} values in all", event.start_mark
            )
        return node


def _not_valid(node: yaml.Node) -> yaml.constructor.ConstructorError:
    """A value its constructor could not build, as one error naming where it is."""
    kind = node.tag.rsplit(":", 1)[-1]
    value = excerpt(node.value) if isinstance(node, yaml.ScalarNode) else "this node"
    return yaml.constructor.ConstructorError(
        None, None, f"{value} is not a valid {kind}", node.start_mark
    )


def _refused(problem: str, mark: Any) -> _Refused:
    return _Refused(None, None, problem, mark)


def _children(node: yaml.Node | None) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal | float:
    text = str(loader.construct_scalar(node)).replace("_", "")  # type: ignore[arg-type]
    try:
        return Decimal(text)
    except ArithmeticError:
        # .inf, .nan, 1:30.5 (base 60): YAML's own reading; a non-finite one is refused below,
        # naming its field.
        return loader.construct_yaml_float(node)  # type: ignore[arg-type]


class _TooLong:
    """An integer with more digits than Python converts: refused below, naming its field."""


def _integer(loader: yaml.SafeLoader, node: yaml.Node) -> int | _TooLong:
    try:
        return loader.construct_yaml_int(node)  # type: ignore[arg-type]
    except ValueError:
        if str(node.value).replace("_", "").lstrip("+-").isdigit():
            return _TooLong()
        raise  # `!!int x`: not an integer at all


_DecimalLoader.add_constructor("tag:yaml.org,2002:float", _decimal)
_DecimalLoader.add_constructor("tag:yaml.org,2002:int", _integer)

_CLoader: type | None = getattr(yaml, "CSafeLoader", None)


if _CLoader is not None:

    class _FastLoader(_CLoader):  # type: ignore[misc,valid-type]
        """The same reading on libyaml's parser, several times faster: for files without
        anchors, whose only bound left to check is the nesting (:func:`_load`)."""

        def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
            try:
                return super().construct_object(node, deep)
            except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
                raise _not_valid(node) from None

    _FastLoader.add_constructor("tag:yaml.org,2002:float", _decimal)
    _FastLoader.add_constructor("tag:yaml.org,2002:int", _integer)


def _check_depth(root: yaml.Node | None) -> None:
    """Refuse mappings and lists nested deeper than MAX_YAML_DEPTH (a walk, not a recursion)."""
    stack = [(root, 1)] if root is not None else []
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, yaml.SequenceNode | yaml.MappingNode):
            continue
        if depth > MAX_YAML_DEPTH:
            raise _refused(
                f"mappings and lists nested deeper than {MAX_YAML_DEPTH} levels", node.start_mark
            )
        stack.extend((child, depth + 1) for child in _children(node))


def _load(text: str) -> Any:
    """The YAML document, bounded. A file with an anchor (``&``) anywhere, aliases possible, is
    read by the loader that counts aliases as it composes; any other by libyaml's parser when
    installed, then checked for depth before anything is built from it."""
    if _CLoader is None or "&" in text:
        return yaml.load(text, Loader=_DecimalLoader)  # noqa: S506 - a SafeLoader subclass
    loader = _FastLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as error:
            if "nesting depth" not in str(error.problem):
                raise
            # libyaml's own bound (1,000 levels) met first: the same refusal as ours.
            raise _refused(
                f"mappings and lists nested deeper than {MAX_YAML_DEPTH} levels", error.problem_mark
            ) from None
        _check_depth(node)
        return None if node is None else loader.construct_document(node)
    finally:
        loader.dispose()


def _numbers(value: object, path: str, found: list[str]) -> None:
    """Each number that no field can take, one line naming its field: infinite or not a
    number, or beyond :func:`~monitor.config.fields.number_out_of_range`."""
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            _numbers(key, where, found)
            _numbers(item, where, found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _numbers(item, f"{path}[{index}]", found)
    elif isinstance(value, float) and not math.isfinite(value):
        found.append(f"{path or 'document'}: expected a finite number, got {value}")
    elif isinstance(value, _TooLong) or (
        isinstance(value, int | Decimal)
        and not isinstance(value, bool)
        and number_out_of_range(value)
    ):
        found.append(
            f"{path or 'document'}: number out of range: at most {NUMBER_MAX_DIGITS} digits "
            f"and an exponent from -{NUMBER_MAX_EXPONENT} to {NUMBER_MAX_EXPONENT}"
        )


_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _substitute(value: object, environ: Mapping[str, str], path: str, missing: list[str]) -> object:
    """``value`` with ``${VAR}`` replaced; each variable not set is added to ``missing``."""
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            name, default = match[1], match[2]
            if name in environ:
                return environ[name]
            if default is not None:
                return default
            missing.append(f"{path}: environment variable {name} is not set")
            return ""

        return _ENV.sub(replace, value)
    if isinstance(value, dict):
        return {
            k: _substitute(v, environ, f"{path}.{k}" if path else str(k), missing)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_substitute(v, environ, f"{path}[{i}]", missing) for i, v in enumerate(value)]
    return value


def parse_settings(text: str, source: str, environ: Mapping[str, str] | None = None) -> Settings:
    """Validate configuration text; ``source`` names the file in errors."""
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{source}: larger than 1 MiB: not a configuration file")
    try:
        document: Any = _load(text)
    except _Refused as error:
        mark = error.problem_mark
        where = f"line {mark.line + 1} column {mark.column + 1}: " if mark is not None else ""
        raise ConfigError(f"{source}: {where}{error.problem}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1} column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ConfigError(f"{source}: {where}not valid YAML: {problem}") from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ConfigError(f"{source}: expected a mapping of settings at the top level")
    numbers: list[str] = []
    _numbers(document, "", numbers)
    if numbers:
        raise ConfigError("\n".join(f"{source}: {line}" for line in numbers))
    missing: list[str] = []
    document = _substitute(document, os.environ if environ is None else environ, "", missing)
    if missing:
        raise ConfigError("\n".join(f"{source}: {line}" for line in missing))
    try:
        return Settings.model_validate(document)
    except ValidationError as error:
        # Every problem, each on its own line naming the file and the field.
        lines = describe_validation_errors(error)
        raise ConfigError("\n".join(f"{source}: {line}" for line in lines)) from None


def load_settings(path: str | Path, environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the configuration file at ``path`` (at most 1 MiB of it is read)."""
    try:
        with Path(path).open("rb") as file:
            data = file.read(MAX_CONFIG_BYTES + 1)
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise ConfigError(f"{path}: cannot read: {reason}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: larger than 1 MiB: not a configuration file")
    return parse_settings(text, str(path), environ)
