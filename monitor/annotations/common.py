"""What people's annotations share (exclusions, provider notices): input checked at the edge,
the reason a revocation needs, who made a change, and the service it is about."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..config.fields import describe_validation_error
from ..config.settings import Settings
from ..errors import InputError
from ..redact import excerpt

__all__ = ["Revocation", "Text", "check_author", "check_service", "parse_input"]

#: Free text a person writes: a note, a reference.
Text = Annotated[str, Field(min_length=1, max_length=2000)]


class Revocation(BaseModel):
    """Why an annotation is withdrawn (it is kept, marked)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    note: Text


def parse_input(model: type[BaseModel], data: Any, source: str) -> Any:
    """Validate ``data`` as ``model``; one :class:`InputError` line naming the field if not."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise InputError(f"{source}: {describe_validation_error(error)}") from None


def check_author(by: object) -> str:
    """Who makes a change: a name of 1 to 200 characters."""
    if not isinstance(by, str) or not by.strip() or len(by) > 200:
        raise InputError(f"by: expected a name of 1 to 200 characters, got {excerpt(by)}")
    return by


def check_service(settings: Settings, service: str) -> None:
    """An annotation is about a configured service."""
    known = [s.name for s in settings.services]
    if service not in known:
        names = ", ".join(known) or "none"
        raise InputError(f"service: unknown service {excerpt(service)} (services: {names})")
