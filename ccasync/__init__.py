"""ccasync: asynchronous Constant Contact v3 client with strict rate limiting and bulk engines."""

__version__ = "0.1.0"

from ccasync._limiter import RateLimiter
from ccasync._requestor import RequestEvent
from ccasync.auth import StaticToken
from ccasync.client import Client
from ccasync.config import RetryPolicy
from ccasync.errors import (
    APIError,
    APIErrorDetail,
    AuthenticationError,
    BadRequestError,
    BulkError,
    CCAsyncError,
    ConfigError,
    ConflictError,
    ConnectError,
    DecodeError,
    ForbiddenError,
    NotFoundError,
    QuotaExhaustedError,
    RateLimitError,
    RateLimitKind,
    RequestTimeoutError,
    ServerError,
    TransportError,
    UnsupportedMediaTypeError,
    ValidationError,
)

__all__ = [
    "APIError",
    "APIErrorDetail",
    "AuthenticationError",
    "BadRequestError",
    "BulkError",
    "CCAsyncError",
    "Client",
    "ConfigError",
    "ConflictError",
    "ConnectError",
    "DecodeError",
    "ForbiddenError",
    "NotFoundError",
    "QuotaExhaustedError",
    "RateLimitError",
    "RateLimitKind",
    "RateLimiter",
    "RequestEvent",
    "RequestTimeoutError",
    "RetryPolicy",
    "ServerError",
    "StaticToken",
    "TransportError",
    "UnsupportedMediaTypeError",
    "ValidationError",
    "__version__",
]
