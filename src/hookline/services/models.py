"""Request and response bodies of the Svix-compatible ``/api/v1`` (camelCase on the wire)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

Uid = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9\-_.]+$", min_length=1, max_length=256)]


def _not_an_id(prefix: str) -> AfterValidator:
    """svix-server refuses a uid that starts like an id of its kind: ``app_…`` could not be told apart."""

    def check(value: str) -> str:
        if value.startswith(prefix):
            raise ValueError("Uids are not allowed to have the same prefix as the ID. Prefix with _?")
        return value

    return AfterValidator(check)


AppUid = Annotated[Uid, _not_an_id("app_")]
EndpointUid = Annotated[Uid, _not_an_id("ep_")]
EventTypeName = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9\-_.]+$", min_length=1, max_length=256)]
# Svix's channel characters (``+`` among them); ``#`` is hookline's own, kept for channels stored with it
Channel = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9\-_.:#+]+$", min_length=1, max_length=128)]


def iso(ts: float | None) -> str | None:
    """Epoch seconds as an RFC 3339 UTC timestamp, as Svix writes them."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# Svix's rates are 16-bit unsigned integers (messages a second); a larger one is refused, not stored.
UINT16_MAX = 65535


class In(BaseModel):
    """Base of request bodies: camelCase names, snake_case accepted too; unknown fields ignored."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class Out(BaseModel):
    """Base of response bodies."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class ApplicationIn(In):
    name: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    uid: AppUid | None = None
    throttle_rate: Annotated[int, Field(ge=0, le=UINT16_MAX)] | None = None
    rate_limit: Annotated[int, Field(ge=0, le=UINT16_MAX)] | None = None
    metadata: dict[str, str] | None = None


class ApplicationPatch(In):
    name: Annotated[str, StringConstraints(min_length=1, max_length=256)] | None = None
    uid: AppUid | None = None
    throttle_rate: Annotated[int, Field(ge=0, le=UINT16_MAX)] | None = None
    rate_limit: Annotated[int, Field(ge=0, le=UINT16_MAX)] | None = None
    metadata: dict[str, str] | None = None


class EventTypeIn(In):
    name: EventTypeName
    description: str = ""
    archived: bool = False
    deprecated: bool = False
    schemas: dict[str, Any] | None = None
    group_name: str | None = None
    feature_flags: list[str] | None = None
    feature_flag: str | None = None


class EventTypeUpdate(In):
    description: str = ""
    archived: bool = False
    deprecated: bool = False
    schemas: dict[str, Any] | None = None
    group_name: str | None = None
    feature_flags: list[str] | None = None
    feature_flag: str | None = None


class EventTypePatch(In):
    description: str | None = None
    archived: bool | None = None
    deprecated: bool | None = None
    schemas: dict[str, Any] | None = None
    group_name: str | None = None
    feature_flags: list[str] | None = None


class EndpointIn(In):
    url: Annotated[str, StringConstraints(min_length=1, max_length=65536)]
    description: str = ""
    uid: EndpointUid | None = None
    disabled: bool = False
    throttle_rate: Annotated[int, Field(ge=1, le=UINT16_MAX)] | None = None
    rate_limit: Annotated[int, Field(ge=1, le=UINT16_MAX)] | None = None
    event_types: list[EventTypeName] | None = None
    filter_types: list[EventTypeName] | None = None
    channels: list[Channel] | None = None
    secret: str | None = None
    metadata: dict[str, str] | None = None
    headers: dict[str, str] | None = None
    # svix-server's: at least 1, stored and answered (1 when absent)
    version: Annotated[int, Field(ge=1, le=UINT16_MAX)] | None = None
    # hookline's own: deliveries under way at once to this endpoint (docs/delivery.md)
    max_in_flight: Annotated[int, Field(ge=1, le=UINT16_MAX)] | None = None

    @field_validator("event_types", "filter_types", "channels")
    @classmethod
    def _non_empty(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(value) == 0:
            return None
        return value


class EndpointPatch(In):
    url: Annotated[str, StringConstraints(min_length=1, max_length=65536)] | None = None
    description: str | None = None
    uid: EndpointUid | None = None
    disabled: bool | None = None
    throttle_rate: Annotated[int, Field(ge=1, le=UINT16_MAX)] | None = None
    rate_limit: Annotated[int, Field(ge=1, le=UINT16_MAX)] | None = None
    event_types: list[EventTypeName] | None = None
    filter_types: list[EventTypeName] | None = None
    channels: list[Channel] | None = None
    metadata: dict[str, str] | None = None
    secret: str | None = None
    version: Annotated[int, Field(ge=1, le=UINT16_MAX)] | None = None
    max_in_flight: Annotated[int, Field(ge=1, le=UINT16_MAX)] | None = None

    @field_validator("version", mode="before")
    @classmethod
    def _version_not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("version cannot be null; send a number of at least 1 or leave it out")
        return value


class OperationalEndpointUpsertIn(In):
    """Svix's ``OperationalWebhookEndpointUpsertIn`` (PUT)."""

    url: Annotated[str, StringConstraints(min_length=1, max_length=65536)]
    description: str = ""
    uid: EndpointUid | None = None
    disabled: bool = False
    throttle_rate: Annotated[int, Field(ge=1, le=UINT16_MAX)] | None = None
    event_types: list[EventTypeName] | None = None
    metadata: dict[str, str] | None = None


class OperationalEndpointIn(OperationalEndpointUpsertIn):
    """Svix's ``OperationalWebhookEndpointIn`` (POST): the PUT's fields, a secret and headers."""

    secret: str | None = None
    headers: dict[str, str] | None = None


class EndpointHeadersIn(In):
    headers: dict[str, str]


class EndpointHeadersPatchIn(In):
    headers: dict[str, str] = Field(default_factory=dict)
    delete_headers: list[str] | None = None


class EndpointSecretRotateIn(In):
    key: str | None = None
    # how long the replaced secret keeps signing: 0 (at once) .. 7 days, a day by default (as Svix)
    grace_period_seconds: Annotated[int, Field(ge=0, le=7 * 24 * 3600)] | None = None


Tag = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9\-_./\\#]+$", min_length=1, max_length=128)]


# a media type (RFC 9110: type "/" subtype, then parameters) in visible ASCII, for a raw payload's Content-Type
MEDIA_TYPE = r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+/[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:[ \t]*;[ \t]*[\x20-\x7e]*)?$"


class TransformationsParamsIn(BaseModel):
    """What Svix's SDKs send as ``transformationsParams`` for a raw payload (``message_in_raw``): the
    text to send instead of ``payload``, and the ``Content-Type`` to send it with. Transformations
    themselves are not served, so any other field is refused."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    raw_payload: str | None = None
    headers: dict[str, str] | None = None

    @field_validator("raw_payload")
    @classmethod
    def _storable(cls, value: str | None) -> str | None:
        if value is not None and "\x00" in value:
            raise ValueError("rawPayload may not contain a NUL character")
        return value

    @field_validator("headers")
    @classmethod
    def _content_type_only(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is None:
            return None
        out = {}
        for name, given in value.items():
            if name.lower() != "content-type":
                raise ValueError(f"only content-type may be set for a raw payload, not {name!r}")
            if len(given) > 255 or not re.match(MEDIA_TYPE, given):
                raise ValueError("content-type must be a media type such as text/xml; charset=utf-8")
            out["content-type"] = given
        return out


class MessageIn(In):
    event_type: EventTypeName
    # "" only beside a raw payload, as the Java and Kotlin SDKs' messageInRaw send it
    payload: dict[str, Any] | Literal[""]
    event_id: Uid | None = None
    channels: Annotated[list[Channel], Field(min_length=1, max_length=10)] | None = None
    tags: Annotated[list[Tag], Field(max_length=5)] | None = None
    application: ApplicationIn | None = None
    payload_retention_period: Annotated[int, Field(ge=1, le=90)] | None = None
    payload_retention_hours: Annotated[int, Field(ge=1, le=90 * 24)] | None = None
    deliver_at: datetime | None = None
    # Svix's raw payloads; anything else in it (transformations) is refused, not dropped
    transformations_params: TransformationsParamsIn | None = None

    @field_validator("channels", "tags")
    @classmethod
    def _unique(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("items must be unique")
        return value

    @field_validator("event_id")
    @classmethod
    def _not_an_id(cls, value: str | None) -> str | None:
        if value is not None and value.startswith("msg_"):
            raise ValueError("Uids are not allowed to have the same prefix as the ID. Prefix with _?")
        return value

    @model_validator(mode="after")
    def _one_retention(self) -> MessageIn:
        if self.payload_retention_period is not None and self.payload_retention_hours is not None:
            raise ValueError("payloadRetentionPeriod and payloadRetentionHours are mutually exclusive")
        if self.raw_payload is not None and self.payload:
            raise ValueError(
                "payload must be {} when transformationsParams.rawPayload is given: that is what is sent"
            )
        if self.raw_payload is None and self.content_type is not None:
            raise ValueError(
                "transformationsParams.headers sets the Content-Type of a rawPayload; send one with it"
            )
        if self.raw_payload is None and not isinstance(self.payload, dict):
            raise ValueError("payload must be a JSON object")
        return self

    @property
    def raw_payload(self) -> str | None:
        """The text to send as is instead of ``payload`` (Svix's ``message_in_raw``), if any."""
        return self.transformations_params.raw_payload if self.transformations_params else None

    @property
    def content_type(self) -> str | None:
        """The delivery's Content-Type when the sender set one; None: ``application/json``."""
        headers = self.transformations_params.headers if self.transformations_params else None
        return headers.get("content-type") if headers else None


class TimeRangeIn(In):
    since: datetime
    until: datetime | None = None


class EventExampleIn(In):
    event_type: EventTypeName
    example_index: int = 0
    payload: dict[str, Any] | None = None


PortalCapability = Literal[
    "ViewBase", "ViewEndpointSecret", "ManageEndpointSecret", "ManageTransformations", "CreateAttempts",
    "ManageEndpoint",
]  # fmt: skip
FeatureFlag = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9\-_.]+$", min_length=1, max_length=256)]


class AppPortalAccessIn(In):
    application: ApplicationIn | None = None
    # Svix's range: an hour to 7 days (7 days when absent); outside it a 422, never a quiet clamp
    expiry: Annotated[int, Field(ge=3600, le=7 * 24 * 3600)] | None = None
    read_only: bool | None = None
    capabilities: list[PortalCapability] | None = None
    feature_flags: Annotated[list[FeatureFlag], Field(min_length=1, max_length=25)] | None = None
    session_id: (
        Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9@_-]+$", min_length=1, max_length=64)] | None
    ) = None

    @field_validator("capabilities", "feature_flags")
    @classmethod
    def _unique(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("items must be unique")
        return value

    @model_validator(mode="after")
    def _view_base(self) -> AppPortalAccessIn:
        if self.capabilities is not None and "ViewBase" not in self.capabilities:
            raise ValueError("the ViewBase capability is always required")
        if self.read_only and self.capabilities is not None and set(self.capabilities) != {"ViewBase"}:
            raise ValueError("readOnly allows ViewBase alone: drop readOnly or the other capabilities")
        return self


SessionId = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9@_-]+$", min_length=1, max_length=64)]


class ApplicationTokenExpireIn(In):
    expiry: Annotated[int, Field(ge=0, le=3 * 24 * 3600)] | None = None  # Svix's range: up to 3 days
    session_ids: Annotated[list[SessionId], Field(max_length=1000)] | None = None


class MessagePrecheckIn(In):
    event_type: EventTypeName
    channels: Annotated[list[Channel], Field(max_length=10)] | None = None


class BulkReplayIn(In):
    since: datetime
    until: datetime | None = None
    event_types: list[EventTypeName] | None = None
    channel: Channel | None = None
    tag: Tag | None = None
    status: Annotated[int, Field(ge=0, le=4)] | None = None
    status_code_class: Literal[0, 100, 200, 300, 400, 500] | None = None


class BulkExpungeIn(In):
    ids: (
        Annotated[
            list[Annotated[str, StringConstraints(min_length=1, max_length=256)]], Field(max_length=250)
        ]
        | None
    ) = None


class AppUsageStatsIn(In):
    since: datetime
    until: datetime
    app_ids: (
        Annotated[
            list[Annotated[str, StringConstraints(min_length=1, max_length=256)]], Field(max_length=250)
        ]
        | None
    ) = None


class EventTypeImportOpenApiIn(In):
    dry_run: bool = False
    replace_all: bool = False
    spec: dict[str, Any] | None = None
    spec_raw: Annotated[str, StringConstraints(max_length=4 * 1024 * 1024)] | None = None


AppId = Annotated[str, StringConstraints(pattern=r"^app_[A-Za-z0-9]{27}$")]
EndpointId = Annotated[str, StringConstraints(pattern=r"^ep_[A-Za-z0-9]{27}$")]


class EnvironmentEndpointIn(EndpointIn):
    """An endpoint in an environment import (hookline's addition): its id is kept when given."""

    id: EndpointId | None = None


class EnvironmentApplicationIn(ApplicationIn):
    """An application in an environment import (hookline's addition), with its endpoints."""

    id: AppId | None = None
    endpoints: Annotated[list[EnvironmentEndpointIn], Field(max_length=1000)] | None = None


class EnvironmentIn(In):
    event_types: Annotated[list[EventTypeIn], Field(max_length=10000)] | None = None
    settings: dict[str, Any] | None = None
    connectors: list[dict[str, Any]] | None = None
    applications: Annotated[list[EnvironmentApplicationIn], Field(max_length=10000)] | None = None
