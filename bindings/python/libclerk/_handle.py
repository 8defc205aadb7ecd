"""An owned C handle that closes exactly once, never while a call is using it."""

from __future__ import annotations

import threading
from typing import Any, Callable, TypeVar

from ._errors import ClosedError


class Handle:
    """A pointer from a ``clerk_*_new`` and the ``clerk_*_free`` that releases it.

    Calls bracket their use with :meth:`enter` / :meth:`leave`; :meth:`close` is
    idempotent and, when other threads are still inside a call, leaves the free to the
    last of them, so a close racing a call can never free memory in use.
    """

    __slots__ = ("_pointer", "_free", "_what", "_lock", "_users", "_closing")

    def __init__(self, pointer: int, free: Callable[[int], Any], what: str) -> None:
        self._pointer = pointer
        self._free = free
        self._what = what
        self._lock = threading.Lock()
        self._users = 0
        self._closing = False

    @property
    def closed(self) -> bool:
        return self._closing

    def enter(self) -> int:
        """The pointer, for one call; raises :class:`ClosedError` after :meth:`close`."""
        with self._lock:
            if self._closing:
                raise ClosedError(f"the {self._what} is closed", "closed")
            self._users += 1
            return self._pointer

    def leave(self) -> None:
        with self._lock:
            self._users -= 1
            if self._closing and self._users == 0:
                self._release()

    def close(self) -> None:
        with self._lock:
            if self._closing:
                return
            self._closing = True
            if self._users == 0:
                self._release()

    def _release(self) -> None:
        pointer, self._pointer = self._pointer, 0
        if pointer:
            self._free(pointer)


_Owner = TypeVar("_Owner", bound="HandleOwner")


class HandleOwner:
    """The lifetime of an object that owns one :class:`Handle` (a client, a verifier):
    idempotent :meth:`close`, ``with`` blocks, and ``__del__`` as the fallback."""

    _handle: Handle

    def close(self) -> None:
        """Frees the handle (idempotent); later calls raise :class:`ClosedError`."""
        self._handle.close()

    @property
    def closed(self) -> bool:
        return self._handle.closed

    def __enter__(self: _Owner) -> _Owner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        # A constructor that failed leaves no handle behind.
        handle = getattr(self, "_handle", None)
        if handle is not None:
            handle.close()

    def __repr__(self) -> str:
        return f"<libclerk.{type(self).__name__} {'closed' if self.closed else 'open'}>"
