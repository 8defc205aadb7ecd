"""Writes a copy of Clerk's spec with `/v1` prefixed to every path, because Prism serves
paths at its root while the client speaks to `{api_url}/v1/...`.

usage: python3 derive-spec.py SPEC_IN SPEC_OUT
"""
import json
import sys

source, target = sys.argv[1], sys.argv[2]
with open(source, encoding="utf-8") as f:
    spec = json.load(f)
spec["paths"] = {"/v1" + path: item for path, item in spec["paths"].items()}
spec["servers"] = [{"url": "http://127.0.0.1"}]
with open(target, "w", encoding="utf-8") as f:
    json.dump(spec, f)
