"""Type stubs of the Rust extension module ``noorle._native``."""

from typing import Any, Callable, Dict, Generic, Mapping, Optional, Tuple, TypeVar, final

T = TypeVar("T")

VERSION: str

@final
class ApiKey:
    """A parsed, validated Noorle API key. Every printed form is redacted (``ak-{access_id}***``);
    ``expose_secret()`` is the one way to read the whole key. Equality is constant-time. Pickling
    is refused (it would write the secret into the pickle)."""

    def __new__(cls, key: str) -> ApiKey: ...
    @staticmethod
    def parse(key: str) -> ApiKey:
        """Parses strictly; raises ``InvalidApiKeyError`` with ``code`` and ``position``."""
    @staticmethod
    def parse_loaded(raw: str) -> ApiKey:
        """Parses a value read from a file or variable: surrounding whitespace is stripped first."""
    @property
    def access_id(self) -> str:
        """The public access id (32 lowercase hex characters). Safe to log."""
    def redacted(self) -> str:
        """``ak-{access_id}***``."""
    def expose_secret(self) -> str:
        """The whole key, secret included. Keep the result short-lived and never log it."""
    def __eq__(self, other: object) -> bool: ...
    def __ne__(self, other: object) -> bool: ...
    def __hash__(self) -> int: ...
    def __format__(self, format_spec: str) -> str: ...
    def __copy__(self) -> ApiKey: ...
    def __deepcopy__(self, memo: Any) -> ApiKey: ...

@final
class CancelToken:
    def __new__(cls) -> CancelToken: ...
    def cancel(self) -> None: ...
    @property
    def cancelled(self) -> bool: ...

@final
class Decoder(Generic[T]):
    """Decodes an answer into a record: natively by the record's plan (``_records.PLANS``) when
    the answer (its member ``key``, or all of it) has the plan's shape, else by ``fallback``, the
    Python decoder of the whole answer. Calling it decodes a Python value with ``fallback``."""

    def __new__(cls, key: Optional[str], plan: Any, fallback: Callable[[Any], T]) -> Decoder[T]: ...
    def __call__(self, v: Any) -> T: ...
    def decode_json(self, text: str) -> T:
        """Decodes the JSON text of an answer as one from the core (tests)."""

@final
class Completer:
    """Sets the results of one event loop's futures, in batches, on the loop's thread."""

    def __new__(cls, event_loop: Any) -> Completer: ...
    def __call__(self) -> None: ...
    def fileno(self) -> Optional[int]:
        """The eventfd for the loop to watch (``loop.add_reader(fd, completer.drain_fd)``), or None."""
    def watched(self) -> None:
        """Says that the loop watches the fd: wake-ups go through it from now on."""
    def drain_fd(self) -> None: ...

@final
class NativeClient:
    def __new__(cls, config: Mapping[str, Any], api_key: Optional[ApiKey] = None) -> NativeClient: ...
    def execute(self, op: Mapping[str, Any], decode: Callable[[Any], T]) -> T:
        """Runs ``op`` (the GIL released while it waits) and returns its answer decoded by ``decode``."""
    def execute_async(
        self, op: Mapping[str, Any], decode: Callable[[Any], Any], token: CancelToken, completer: Completer, fut: Any
    ) -> None:
        """Starts ``op``; its answer decoded by ``decode``, or its error, is set on ``fut`` (a future
        of the running loop)."""
    def info(self) -> Dict[str, Any]:
        """Where the key came from, the redacted key, the base URL and loading warnings (local)."""
    def redacted_key(self) -> str: ...
    @property
    def base_url(self) -> str: ...

def execute_static(op: Mapping[str, Any], api_key: Optional[ApiKey] = None) -> Any: ...
def auth_header(key: ApiKey, scheme: str = "x-api-key") -> Tuple[str, str]: ...
def enable_logging(filter: str) -> bool: ...
def _shutdown() -> None: ...

# Only in builds with the cargo feature `test-hooks` (bindings-python/test.sh).
def _inflight() -> int: ...
def _panic_for_test(asynchronous: bool) -> Any: ...
def _panic_in_thread() -> bool: ...

