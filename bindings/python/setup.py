"""Builds clerk-ffi (the workspace's C library) with cargo and ships it inside the package.

setuptools-rust runs ``cargo rustc --lib --crate-type cdylib`` on clerk-ffi
(``Binding.NoBinding``: no Python binding, the package loads it with ctypes). Two things
differ from an extension module, both set here:

- the library is copied to ``libclerk/<platform>-<arch>/<libclerk.so|libclerk.dylib|
  clerk.dll>`` (where ``libclerk/_location.py`` says the loader looks), not to a
  CPython-tagged ``*.cpython-311-*.so`` name;
- the wheel is tagged ``py3-none-<platform>``: the library has no Python ABI dependency,
  so one wheel serves every CPython 3 on that platform.

``CARGO_TARGET_DIR`` is honoured, so builds can reuse the workspace's ``target/``.
"""

from __future__ import annotations

import os
import runpy

from setuptools import setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_ext import build_ext
from setuptools_rust import Binding, RustExtension, Strip

HERE = os.path.dirname(os.path.abspath(__file__))
MANIFEST = os.path.join(HERE, "..", "..", "clerk-ffi", "Cargo.toml")
LOCATION = runpy.run_path(os.path.join(HERE, "libclerk", "_location.py"))
EXTENSION = "libclerk._native"


class BuildExt(build_ext):
    def get_ext_fullpath(self, ext_name: str) -> str:
        path: str = super().get_ext_fullpath(ext_name)
        if ext_name != EXTENSION:
            return path
        package_dir = os.path.dirname(path)
        return os.path.join(package_dir, LOCATION["platform_dir"](), LOCATION["library_name"]())


class BdistWheel(bdist_wheel):
    def get_tag(self) -> tuple[str, str, str]:
        _, _, platform = super().get_tag()
        return "py3", "none", platform


if not os.path.exists(MANIFEST):
    raise SystemExit(
        "libclerk is built from its repository: clerk-ffi/Cargo.toml must be at "
        f"{os.path.normpath(MANIFEST)} (install from a checkout, or install a built wheel)"
    )

setup(
    rust_extensions=[
        RustExtension(
            EXTENSION,
            path=MANIFEST,
            binding=Binding.NoBinding,
            strip=Strip.All,
            py_limited_api=False,
        )
    ],
    cmdclass={"build_ext": BuildExt, "bdist_wheel": BdistWheel},
    zip_safe=False,
)
