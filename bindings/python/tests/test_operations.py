"""Every operation of the table is reachable by name, operationId and attribute, and the
generated stub describes exactly what the runtime builds."""

from __future__ import annotations

import ast
import ctypes
import os
import re
from pathlib import Path
from typing import Dict, List, Set, Tuple

import pytest

import libclerk
from conftest import REPO
from libclerk._client import RESOURCES, iterator_method_name

STUB = Path(libclerk.__file__).parent / "api.pyi"


def test_the_table_has_every_operation_once() -> None:
    assert len(libclerk.OPERATIONS) == 249
    names = {operation["name"] for operation in libclerk.OPERATIONS}
    ids = {operation["operation_id"] for operation in libclerk.OPERATIONS}
    assert len(names) == len(ids) == 249


def test_every_operation_reaches_the_library_by_name_id_and_attribute() -> None:
    # A parameter no operation has: the library must find the operation (not
    # UnknownOperationError) and refuse the key before anything is sent, so no server is
    # needed (the client points at a closed port).
    client = libclerk.Client("sk_test_unused", api_url="http://127.0.0.1:9")
    with client:
        for operation in libclerk.OPERATIONS:
            resource, method = operation["name"].split(".", 1)
            bound = getattr(getattr(client, resource), method)
            for call, target in (
                (client.call, (operation["name"],)),
                (client.call, (operation["operation_id"],)),
                (bound, ()),
            ):
                with pytest.raises(libclerk.InvalidParamsError) as caught:
                    call(*target, zz_not_a_param=1)
                assert "zz_not_a_param" in str(caught.value), operation["name"]


def test_list_operations_have_an_iterator_twin() -> None:
    client = libclerk.Client("sk_test_unused", api_url="http://127.0.0.1:9")
    paged = [op for op in libclerk.OPERATIONS if op["pagination"] != "none"]
    assert len(paged) == 36
    for operation in paged:
        resource, method = operation["name"].split(".", 1)
        methods = {
            op["name"].split(".", 1)[1]
            for op in libclerk.OPERATIONS
            if op["name"].startswith(resource + ".")
        }
        twin = getattr(getattr(client, resource), iterator_method_name(method, methods))
        assert twin.__doc__ and operation["name"] in twin.__doc__
    # `organization_domains` has a spec method `list_all`, so `list` pages with `list_iter`.
    assert hasattr(client.organization_domains, "list_iter")
    assert hasattr(client.users, "list_all")
    client.close()


def _stub_classes() -> Dict[str, Dict[str, Tuple[List[str], Set[str]]]]:
    """class -> method -> (keyword argument names, required ones), from api.pyi."""
    tree = ast.parse(STUB.read_text())
    classes: Dict[str, Dict[str, Tuple[List[str], Set[str]]]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name.endswith("Resource"):
            methods = {}
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    args = item.args
                    names = [a.arg for a in args.kwonlyargs]
                    required = {
                        a.arg
                        for a, default in zip(args.kwonlyargs, args.kw_defaults)
                        if default is None
                    }
                    methods[item.name] = (names, required)
            classes[node.name] = methods
    return classes


def test_the_stub_describes_exactly_the_runtime_resources() -> None:
    stub = _stub_classes()
    runtime = {cls.__name__: cls for cls in RESOURCES.values()}
    assert set(stub) == set(runtime)
    by_name = {op["name"]: op for op in libclerk.OPERATIONS}
    for resource, cls in RESOURCES.items():
        runtime_methods = {name for name in vars(cls) if not name.startswith("_")}
        assert set(stub[cls.__name__]) == runtime_methods, resource
        for method, (arguments, required) in stub[cls.__name__].items():
            operation = by_name.get(f"{resource}.{method}")
            if operation is None:  # an iterator twin: same arguments as its list method
                operation = by_name[f"{resource}.{method.rsplit('_', 1)[0]}"]
            params = {param["name"] for param in operation["params"]}
            spelled = {"$body": "body", "$extra_body": "extra_body"}
            aliases = {
                spelled[key] for key in libclerk._client._ALIASES[operation["name"]].values()
            }
            assert arguments[-1] == "timeout", (resource, method)
            assert set(arguments) == params | aliases | {"timeout"}, (resource, method)
            wanted = {param["name"] for param in operation["params"] if param["required"]}
            if operation["body"]["kind"] == "whole" and operation["body"]["required"]:
                wanted.add("body")
            assert required == wanted, (resource, method)


def test_the_stub_has_a_typed_dict_per_model() -> None:
    text = STUB.read_text()
    for name in (
        "class User(TypedDict)",
        "class Organization(TypedDict)",
        "JWKSRsaPublicKey = TypedDict(",
    ):
        assert name in text
    assert "def create(" in text and "-> User:" in text


def test_the_library_is_the_one_inside_the_package() -> None:
    if os.environ.get("LIBCLERK_PATH"):
        pytest.skip("LIBCLERK_PATH overrides the bundled library")
    path = Path(libclerk._ffi.library_path())
    assert path.parent.parent == Path(libclerk.__file__).parent
    assert path.exists()
    assert (Path(libclerk.__file__).parent / "py.typed").exists()
    assert "site-packages" in libclerk.__file__, "the tests must run against the installed package"


def test_every_c_function_is_declared_with_its_signature() -> None:
    header = (REPO / "include" / "clerk.h").read_text()
    declarations = re.findall(
        r"^[a-z_ ]+?\*?(clerk_[a-z_]+)\(([^)]*)\);", header, re.MULTILINE | re.DOTALL
    )
    assert len(declarations) >= 23
    for name, params in declarations:
        function = getattr(libclerk._ffi.lib, name)
        arity = 0 if params.strip() == "void" else params.count(",") + 1
        assert function.argtypes is not None and len(function.argtypes) == arity, name
        # Every symbol's result type is set explicitly (ctypes would assume int).
        assert function.restype is not ctypes.c_int, name


def test_versions() -> None:
    assert libclerk.library_version() == libclerk.__version__
    assert libclerk.library_version().count(".") == 2
