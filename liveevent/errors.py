"""One exception tree for liveevent.

    LiveEventError
    ├── ClientError                 the caller's fault; carries an HTTP status and a code
    │   ├── InvalidInput      422   a field is wrong (``fields`` names each one and why)
    │   ├── MalformedBody     400   the body is not JSON / not the expected shape at all
    │   ├── BodyTooLarge      413
    │   ├── UnsupportedMediaType 415 not the Content-Type the route takes (a CSRF defence)
    │   ├── Unauthenticated   401   no token
    │   ├── Forbidden         403   a token, but not one that may do this
    │   ├── NotFound          404
    │   ├── Conflict          409   not allowed in the current state
    │   └── RateLimited       429
    └── ServiceError                our side; the caller may retry
        ├── StoreUnavailable  503   the store did not answer, or refused the write
        └── CorruptEntry      500   a stored entry could not be decoded

The domain raises these without knowing about HTTP; ``web.middleware`` is the only place that
turns them into responses and websocket error messages.
"""

from __future__ import annotations

from collections.abc import Mapping


class LiveEventError(Exception):
    """Base of every error liveevent raises on purpose."""

    status = 500
    code = "internal"

    def __init__(self, message: str, *, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields or {})

    def to_wire(self) -> dict[str, object]:
        body: dict[str, object] = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return body


class ClientError(LiveEventError):
    status = 400
    code = "bad_request"


class InvalidInput(ClientError):
    status = 422
    code = "invalid"


class MalformedBody(ClientError):
    status = 400
    code = "malformed"


class BodyTooLarge(ClientError):
    status = 413
    code = "too_large"


class UnsupportedMediaType(ClientError):
    status = 415
    code = "unsupported_media_type"


class Unauthenticated(ClientError):
    status = 401
    code = "unauthenticated"


class Forbidden(ClientError):
    status = 403
    code = "forbidden"


class NotFound(ClientError):
    status = 404
    code = "not_found"


class Conflict(ClientError):
    status = 409
    code = "conflict"


class RateLimited(ClientError):
    status = 429
    code = "rate_limited"


class ServiceError(LiveEventError):
    status = 503
    code = "unavailable"


class StoreUnavailable(ServiceError):
    """The store did not answer in time or refused a write; nothing was acknowledged."""

    status = 503
    code = "store_unavailable"


class CorruptEntry(ServiceError):
    status = 500
    code = "corrupt_entry"
