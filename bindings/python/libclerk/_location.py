"""Where the bundled C library lives inside the package: one folder per platform.

Shared by the loader (`_ffi.py`) and the build (`setup.py`, which reads this file on its
own, so it imports nothing but the standard library).
"""

from __future__ import annotations

import platform
import sys


def platform_dir() -> str:
    """The folder of this platform's library, e.g. ``linux-x86_64`` or ``darwin-aarch64``."""
    machine = platform.machine().lower()
    machine = {"amd64": "x86_64", "x64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    return f"{sys.platform}-{machine}"


def library_name() -> str:
    """The library's file name on this platform."""
    if sys.platform == "win32":
        return "clerk.dll"
    if sys.platform == "darwin":
        return "libclerk.dylib"
    return "libclerk.so"
