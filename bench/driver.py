"""bench/run.sh's driver: runs the contestants in interleaved rounds and writes bench/results.

Called by bench/run.sh once everything is built (see there for the layout). Every
contestant is a separate program that prints JSON lines (count or calls, wall seconds, CPU
seconds); this script starts them, rotates their order from round to round (a shared,
noisy machine slows whoever runs during a burst, so no contestant always runs at the same
moment), takes per-round ratios to the anchors measured in that same round, and reports
medians. Peak RSS comes from wait4's rusage of each child. Writes results.md, results.csv
and PNG charts (matplotlib, from the benchmark-only venv).

A benchmark, not a test: it prints figures and asserts nothing about them (a contestant
that fails to run is an error, reported as such).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
OUT = ROOT / "target" / "bench"  # build products of run.sh
PRIVATE_KEY = ROOT / "tests" / "c" / "fixtures" / "other_signing_key.pem"
PUBLIC_KEY = ROOT / "tests" / "c" / "fixtures" / "other_signing_key.pub.pem"
PAGE = 100  # users per page in the API-call listing
# The memory listing takes the largest pages the API allows: the most bytes per response
# (the worst case for peak RSS) and the fewest requests (the emulator filters and sorts all
# 100,000 users for each page, which on a loaded machine takes most of a second).
MEMORY_PAGE = 500


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


@dataclass
class Run:
    """One child process: its JSON lines, peak RSS (KiB) and exit status."""

    lines: List[Dict[str, Any]]
    max_rss_kib: int
    stdout: str


def run(argv: List[str], env: Optional[Dict[str, str]] = None, cwd: Optional[Path] = None,
        timeout: float = 600) -> Run:
    """Runs argv to completion (bounded by timeout); JSON lines of its stdout are parsed."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    # Peak RSS through GNU time: wait4's ru_maxrss of a child forked from this (large)
    # Python process counts the fork's pages from before its exec.
    rss_file = tempfile.NamedTemporaryFile(suffix=".rss", delete=False)
    rss_file.close()
    argv = ["/usr/bin/time", "-f", "%M", "-o", rss_file.name] + argv
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(argv, stdout=out, stderr=err, env=full_env, cwd=cwd)
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                child.kill()
                os.wait4(child.pid, 0)
                raise RuntimeError(f"timed out after {timeout:.0f} s: {argv}")
            time.sleep(0.01)
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    rss_text = Path(rss_file.name).read_text().strip().splitlines()
    os.unlink(rss_file.name)
    if child.returncode != 0:
        raise RuntimeError(f"{argv[5]} exited {child.returncode}: {stderr[-2000:]}")
    max_rss_kib = int(rss_text[-1])
    lines = []
    for line in stdout.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    del usage
    return Run(lines, max_rss_kib, stdout)


# -- verification ----------------------------------------------------------------------

GO_BENCH = re.compile(r"^Benchmark(\w+?)(?:-\d+)?\s+(\d+)\s+.*?([\d.]+) tokens/cpu-s\s+([\d.]+) tokens/s")


def verify_contestants(token_file: Path, seconds: float) -> Dict[str, Any]:
    """name -> a function running that program once, returning its measurements."""
    common = {"CLERK_BENCH_TOKEN_FILE": str(token_file)}

    def rust() -> List[Dict[str, Any]]:
        env = dict(common, CLERK_BENCH_PUBLIC_KEY=str(PUBLIC_KEY), CLERK_BENCH_SECONDS=str(seconds))
        return run([str(OUT / "verify_bench_rs")], env).lines

    def c() -> List[Dict[str, Any]]:
        env = dict(common, CLERK_BENCH_JSONL="1")
        return run([str(OUT / "verify_bench_c"), str(PRIVATE_KEY), str(PUBLIC_KEY), str(seconds)], env).lines

    def python() -> List[Dict[str, Any]]:
        argv = [str(BENCH / ".venv" / "bin" / "python"),
                str(ROOT / "bindings" / "python" / "bench" / "verify_bench.py"),
                str(PRIVATE_KEY), str(PUBLIC_KEY), str(seconds)]
        return run(argv, common).lines

    def go() -> List[Dict[str, Any]]:
        names = {"Verify": ("go-wrapper", 1), "VerifyParallel": ("go-wrapper", 2),
                 "StdlibRS256": ("go-stdlib-rs256", 1), "StdlibRS256Parallel": ("go-stdlib-rs256", 2)}
        argv = [str(OUT / "gobench.test"), "-test.run", "^$",
                "-test.bench", "^Benchmark(" + "|".join(names) + ")$",
                "-test.benchtime", f"{seconds}s", "-test.cpu", "2", "-test.count", "1"]
        env = dict(common, CLERK_EMULATOR_BIN=str(ROOT / "target" / "release" / "clerk-emulator"))
        result = run(argv, env, cwd=ROOT / "bindings" / "go")
        lines = []
        for text in result.stdout.splitlines():
            match = GO_BENCH.match(text)
            if match and match.group(1) in names:
                impl, threads = names[match.group(1)]
                count = int(match.group(2))
                cpu_rate, wall_rate = float(match.group(3)), float(match.group(4))
                lines.append({"bench": "verify", "impl": impl, "threads": threads, "count": count,
                              "wall_s": count / wall_rate, "cpu_s": count / cpu_rate})
        if len(lines) != len(names):
            raise RuntimeError(f"go benchmarks: expected {len(names)} results:\n{result.stdout}")
        return lines

    def node() -> List[Dict[str, Any]]:
        argv = ["node", str(BENCH / "node" / "verify.mjs"), str(token_file), str(PUBLIC_KEY), str(seconds)]
        return run(argv, cwd=BENCH / "node").lines

    return {"rust": rust, "c": c, "python": python, "go": go, "node": node}


def rotated(items: List[Any], round_index: int) -> List[Any]:
    k = round_index % len(items)
    return items[k:] + items[:k]


def verify_rounds(token_file: Path, rounds: int, seconds: float) -> List[Dict[str, Any]]:
    contestants = verify_contestants(token_file, seconds)
    rows = []
    for r in range(rounds):
        order = rotated(list(contestants), r)
        log(f"verify round {r + 1}/{rounds}: {' '.join(order)}")
        for name in order:
            for line in contestants[name]():
                line["round"] = r
                rows.append(line)
    return rows


# -- the emulator and API calls ----------------------------------------------------------

class Emulator:
    """A release clerk-emulator on 127.0.0.1:0, seeded with `users` users."""

    def __init__(self, users: int) -> None:
        self.seed = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        # No email, phone, username or external_id: the emulator checks those for
        # uniqueness by scanning every user, which makes a 100,000-user seed quadratic.
        # public_metadata carries an address instead, so the users are not unrealistically small.
        json.dump([{"method": "POST", "path": "/v1/users", "body": {
            "id": f"user_bench_{i:06d}", "first_name": "Bench", "last_name": f"User {i}",
            "public_metadata": {"email": f"user{i:06d}@bench.test", "plan": "pro", "n": i}}}
            for i in range(users)], self.seed)
        self.seed.close()
        started = time.monotonic()
        self.process = subprocess.Popen(
            [str(ROOT / "target" / "release" / "clerk-emulator"), "--port", "0", "--seed", self.seed.name],
            stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        if not first:
            raise RuntimeError("the emulator did not start")
        info = json.loads(first)
        self.url: str = info["api_url"]
        self.secret: str = info["secret_key"]
        log(f"emulator with {users} users at {self.url} (seeded in {time.monotonic() - started:.1f} s)")

    def counters(self) -> Dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/__emulator/counters", timeout=10) as answer:
            return json.load(answer)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.unlink(self.seed.name)


def api_argv(impl: str, emulator: Emulator, mode: str, n: int, arg: str) -> Tuple[List[str], Optional[Path]]:
    tail = [emulator.url, emulator.secret, mode, str(n), arg]
    python = str(BENCH / ".venv" / "bin" / "python")
    if impl == "rust":
        return [str(OUT / "api_bench_rs")] + tail, None
    if impl == "c":
        return [str(OUT / "api_bench_c")] + tail, None
    if impl == "go":
        return [str(OUT / "api_bench_go")] + tail, None
    if impl in ("libclerk", "py-sdk"):
        return [python, str(BENCH / "py" / "api_bench.py"), impl] + tail, None
    if impl == "clerk-backend":
        return ["node", str(BENCH / "node" / "api.mjs")] + tail, BENCH / "node"
    raise ValueError(impl)


API_IMPLS = ["rust", "c", "libclerk", "go", "py-sdk", "clerk-backend"]


def api_once(impl: str, emulator: Emulator, mode: str, n: int, arg: str) -> Dict[str, Any]:
    argv, cwd = api_argv(impl, emulator, mode, n, arg)
    before = emulator.counters()
    result = run(argv, cwd=cwd)
    after = emulator.counters()
    (line,) = result.lines
    # Minus one: the connection of the `after` counters request itself is counted.
    line["connections"] = after["connections"] - before["connections"] - 1
    line["requests"] = after["requests"] - before["requests"]
    line["max_rss_kib"] = result.max_rss_kib
    return line


def api_rounds(emulator: Emulator, rounds: int, gets: int, listing: int) -> List[Dict[str, Any]]:
    rows = []
    for r in range(rounds):
        order = rotated(API_IMPLS, r)
        log(f"API round {r + 1}/{rounds}: {' '.join(order)}")
        for impl in order:
            for mode, n, arg in (("get", gets, "user_bench_000042"), ("list", listing, str(PAGE))):
                line = api_once(impl, emulator, mode, n, arg)
                line["round"] = r
                rows.append(line)
    return rows


def memory_runs(emulator: Emulator, users: int) -> List[Dict[str, Any]]:
    rows = []
    for impl in ["rust", "c", "libclerk", "go", "py-sdk"]:
        log(f"memory: {impl} lists {users} users")
        rows.append(api_once(impl, emulator, "list", users, str(MEMORY_PAGE)))
    return rows


# -- footprint ---------------------------------------------------------------------------

def footprint(clean_build: bool) -> Dict[str, Any]:
    facts: Dict[str, Any] = {}
    tree = subprocess.run(["cargo", "tree", "-p", "clerk-ffi", "-e", "normal", "--prefix", "none"],
                          cwd=ROOT, check=True, capture_output=True, text=True).stdout
    crates = {line.replace(" (*)", "").split(" (")[0].strip() for line in tree.splitlines() if line.strip()}
    facts["crates_normal"] = len(crates)
    tree = subprocess.run(["cargo", "tree", "-p", "clerk-ffi", "-e", "normal,build", "--prefix", "none"],
                          cwd=ROOT, check=True, capture_output=True, text=True).stdout
    facts["crates_normal_build"] = len({line.replace(" (*)", "").split(" (")[0].strip()
                                         for line in tree.splitlines() if line.strip()})
    for name, strip_args in (("libclerk.so", ["strip"]), ("libclerk.a", ["strip", "--strip-debug"])):
        copy = OUT / f"stripped-{name}"
        shutil.copy(ROOT / "target" / "release" / name, copy)
        subprocess.run(strip_args + [str(copy)], check=True)
        facts[f"{name}_stripped_bytes"] = copy.stat().st_size
    wheels = sorted((OUT / "wheel").glob("libclerk-*.whl"))
    facts["wheel_bytes"] = wheels[-1].stat().st_size
    facts["wheel_name"] = wheels[-1].name
    facts.update(sdk_footprint(wheels[-1]))
    if clean_build:
        facts.update(clean_build_time())
    return facts


def site_kib(python: Path) -> Tuple[int, Path]:
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  check=True, capture_output=True, text=True).stdout.strip())
    total = sum(p.stat().st_size for p in purelib.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return total // 1024, purelib


def sdk_footprint(wheel: Path) -> Dict[str, Any]:
    """Installs the official SDK, then our wheel, each into a scratch venv: KiB over an empty venv."""
    facts: Dict[str, Any] = {}
    pin = next(line.strip() for line in (BENCH / "requirements.txt").read_text().splitlines()
               if line.startswith("clerk-backend-api=="))
    for label, spec in (("sdk", [pin]), ("ours", [str(wheel)])):
        with tempfile.TemporaryDirectory() as scratch:
            venv = Path(scratch) / "venv"
            subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
            empty, purelib = site_kib(venv / "bin" / "python")
            subprocess.run([str(BENCH / ".venv" / "bin" / "pip"), "install", "-q", "--disable-pip-version-check",
                            "--target", str(purelib)] + spec, check=True)
            after, _ = site_kib(venv / "bin" / "python")
            dists = [p for p in purelib.iterdir() if p.name.endswith(".dist-info")]
            facts[f"{label}_installed_kib"] = after - empty
            facts[f"{label}_distributions"] = len(dists)
    facts["sdk_pin"] = pin
    return facts


def clean_build_time() -> Dict[str, Any]:
    """A clean `cargo build --release -p clerk-ffi` in its own target dir: wall and CPU time."""
    target = ROOT / "target" / "bench-clean"
    shutil.rmtree(target, ignore_errors=True)
    log("clean release build of clerk-ffi (target/bench-clean)")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    subprocess.run(["cargo", "build", "--quiet", "--release", "-p", "clerk-ffi"], cwd=ROOT, check=True,
                   env=dict(os.environ, CARGO_TARGET_DIR=str(target)))
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    shutil.rmtree(target, ignore_errors=True)
    return {"clean_build_wall_s": wall, "clean_build_cpu_s": cpu}


# -- callgrind -----------------------------------------------------------------------------

def callgrind(token_file: Path, count: int) -> Dict[str, Any]:
    """Instructions of clerk_verifier_verify and of the RSA part inside it (valgrind)."""
    if shutil.which("valgrind") is None or shutil.which("callgrind_annotate") is None:
        return {"callgrind": "valgrind not installed"}
    out_file = OUT / "callgrind.out"
    env = dict(os.environ, CLERK_BENCH_TOKEN_FILE=str(token_file), CLERK_BENCH_COUNT=str(count))
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}",
                    "--toggle-collect=clerk_verifier_verify",
                    str(OUT / "verify_bench_c"), str(PRIVATE_KEY), str(PUBLIC_KEY)],
                   env=env, check=True, capture_output=True)
    text = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100", str(out_file)],
                          check=True, capture_output=True, text=True).stdout
    functions: List[Tuple[int, str]] = []
    for line in text.splitlines():
        match = re.match(r"^\s*([\d,]+)\s+\([^)]*\)\s+\S*:(\S+)", line) or re.match(r"^\s*([\d,]+)\s+\S*:(\S+)", line)
        if match:
            functions.append((int(match.group(1).replace(",", "")), match.group(2)))
    (OUT / "callgrind.txt").write_text(text)

    def inclusive(pattern: str) -> int:
        hits = [cost for cost, name in functions if re.search(pattern, name)]
        return max(hits) if hits else 0

    # Only clerk_verifier_verify and what it calls were collected: the program total.
    match = re.search(r"^\s*([\d,]+)\s+\(100.0%\)\s+PROGRAM TOTALS", text, re.M) or re.search(
        r"^\s*([\d,]+)\s+PROGRAM TOTALS", text, re.M)
    total = int(match.group(1).replace(",", "")) if match else inclusive(r"^clerk_verifier_verify$")
    facts = {
        "callgrind_count": count,
        "verify_ir": total / count,
        "digest_verify_ir": inclusive(r"EVP_DigestVerify$") / count,
        "rsa_ir": inclusive(r"RSA_verify$|rsa_verify_raw|RSA_verify_pss_mgf1|rsa_pkcs1_verify") / count,
        "rsa_public_ir": inclusive(r"rsa_verify_raw_no_self_test|RSA_verify_raw$") / count,
        "sha256_ir": inclusive(r"SHA256_Update$|SHA256_update") / count,
        "json_out_ir": inclusive(r"serde_json.*(to_string|to_writer|ser)") / count,
        "top": [(cost / count, name) for cost, name in functions[:40]],
    }
    return facts


# -- results --------------------------------------------------------------------------------

VERIFY_LABELS = {
    "aws-lc-rs-raw": "raw RSA-2048, aws-lc-rs parsed key (limit)",
    "openssl-digest-verify": "raw RSA-2048, OpenSSL EVP_DigestVerify",
    "openssl-prehashed": "raw RSA-2048, OpenSSL EVP_PKEY_verify prehashed (limit)",
    "rust-verifier": "libclerk Rust Verifier::verify",
    "c-abi": "libclerk C ABI clerk_verifier_verify",
    "python-wrapper": "libclerk Python Verifier.verify",
    "go-wrapper": "libclerk Go Verifier.Verify",
    "go-stdlib-rs256": "Go stdlib RS256 check",
    "pyjwt": "PyJWT jwt.decode",
    "py-sdk-verify_token": "clerk-backend-api verify_token(jwt_key)",
    "py-sdk-authenticate_request": "clerk-backend-api authenticate_request(jwt_key)",
    "jose-jwtVerify": "jose jwtVerify",
    "clerk-backend-verifyToken": "@clerk/backend verifyToken({jwtKey})",
}
API_LABELS = {"rust": "libclerk Rust", "c": "libclerk C ABI", "libclerk": "libclerk Python",
              "go": "libclerk Go", "py-sdk": "clerk-backend-api (Python SDK)",
              "clerk-backend": "@clerk/backend client"}


def median(values: Iterable[float]) -> float:
    values = list(values)
    return statistics.median(values) if values else float("nan")


def verify_summary(rows: List[Dict[str, Any]]) -> Dict[Tuple[str, int], Dict[str, Any]]:
    """(impl, threads) -> medians of rates and of per-round ratios to the anchors."""
    by_round: Dict[int, Dict[Tuple[str, int], Dict[str, Any]]] = {}
    for row in rows:
        row["cpu_rate"] = row["count"] / row["cpu_s"] if row.get("cpu_s") else float("nan")
        row["wall_rate"] = row["count"] / row["wall_s"]
        by_round.setdefault(row["round"], {})[(row["impl"], row["threads"])] = row
    summary: Dict[Tuple[str, int], Dict[str, Any]] = {}
    for key in {(row["impl"], row["threads"]) for row in rows}:
        entries = [rnd[key] for rnd in by_round.values() if key in rnd]
        ratios_raw = [rnd[key]["cpu_rate"] / rnd[("aws-lc-rs-raw", key[1])]["cpu_rate"]
                      for rnd in by_round.values() if key in rnd and ("aws-lc-rs-raw", key[1]) in rnd]
        ratios_ossl = [rnd[key]["cpu_rate"] / rnd[("openssl-prehashed", key[1])]["cpu_rate"]
                       for rnd in by_round.values() if key in rnd and ("openssl-prehashed", key[1]) in rnd]
        summary[key] = {
            "cpu_rate": median(e["cpu_rate"] for e in entries),
            "wall_rate": median(e["wall_rate"] for e in entries),
            "cpu_rates": [round(e["cpu_rate"]) for e in entries],
            "ratio_raw": median(ratios_raw),
            "ratio_openssl": median(ratios_ossl),
            "rounds": len(entries),
        }
    return summary


def same_round_ratio(rows: List[Dict[str, Any]], a: Tuple[str, int], b: Tuple[str, int]) -> float:
    """Median over rounds of cpu_rate(a) / cpu_rate(b), both from the same round."""
    by_round: Dict[int, Dict[Tuple[str, int], float]] = {}
    for row in rows:
        by_round.setdefault(row["round"], {})[(row["impl"], row["threads"])] = row["cpu_rate"]
    return median(r[a] / r[b] for r in by_round.values() if a in r and b in r)


def api_summary(rows: List[Dict[str, Any]]) -> Dict[Tuple[str, str], Dict[str, Any]]:
    summary = {}
    for key in {(row["impl"], row["mode"]) for row in rows}:
        entries = [row for row in rows if (row["impl"], row["mode"]) == key]
        summary[key] = {
            "calls_per_s": median(e["calls"] / e["wall_s"] for e in entries),
            "cpu_us_per_call": median(1e6 * e["cpu_s"] / e["calls"] for e in entries),
            "calls_per_cpu_s": median(e["calls"] / e["cpu_s"] for e in entries if e["cpu_s"] > 0),
            "items": entries[0]["items"],
            "calls": entries[0]["calls"],
            "requests": median(e["requests"] for e in entries),
            "connections": max(e["connections"] for e in entries),
            "rounds": len(entries),
        }
    return summary


def api_ratio(rows: List[Dict[str, Any]], impl: str, peer: str, mode: str, metric: str) -> float:
    """Median over rounds of impl's / peer's metric, both from the same round."""
    def value(row: Dict[str, Any]) -> float:
        return row["calls"] / row["wall_s"] if metric == "wall" else row["calls"] / row["cpu_s"]
    rounds = {row["round"] for row in rows}
    ratios = []
    for r in rounds:
        mine = [row for row in rows if row["round"] == r and row["impl"] == impl and row["mode"] == mode]
        theirs = [row for row in rows if row["round"] == r and row["impl"] == peer and row["mode"] == mode]
        if mine and theirs:
            ratios.append(value(mine[0]) / value(theirs[0]))
    return median(ratios)


def fmt(value: float, digits: int = 0) -> str:
    if value != value:  # NaN
        return "n/a"
    return f"{value:,.{digits}f}"


def machine() -> Dict[str, str]:
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    load = os.getloadavg()
    del load
    return {"cpus": str(os.cpu_count()), "cpu_model": model, "kernel": platform.release()}


def goal(rows: List[List[str]], name: str, value: float, target: float, higher: bool, unit: str = "x",
         note: str = "") -> None:
    if value != value:
        verdict = "not measured"
    else:
        met = value >= target if higher else value <= target
        if met:
            verdict = "met"
        else:
            gap = (target - value) / target * 100 if higher else (value - target) / target * 100
            verdict = f"**missed** by {gap:.0f}%"
    shown = fmt(value, 2 if unit == "x" else 1)
    rows.append([name, f"{'>=' if higher else '<='} {target:g}{unit}", f"{shown}{unit}", verdict, note])


def write_results(args: argparse.Namespace, verify_rows: List[Dict[str, Any]], api_rows: List[Dict[str, Any]],
                  memory_rows: List[Dict[str, Any]], facts: Dict[str, Any], profile: Dict[str, Any],
                  started: float) -> None:
    results = Path(args.results)
    results.mkdir(parents=True, exist_ok=True)
    info = machine() | {"load_at_start": args.load_at_start,
                        "load_at_end": " ".join(f"{x:.2f}" for x in os.getloadavg())}
    vs = verify_summary(verify_rows)
    ap = api_summary(api_rows)
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    elapsed = time.monotonic() - started + args.setup_seconds

    # CSV: every measurement of every round, then the footprint facts.
    with open(results / "results.csv", "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["section", "impl", "threads_or_mode", "round", "count_or_calls", "items",
                         "wall_s", "cpu_s", "per_cpu_s", "per_wall_s", "connections", "requests", "max_rss_kib"])
        for row in verify_rows:
            writer.writerow(["verify", row["impl"], row["threads"], row["round"], row["count"], "",
                             f"{row['wall_s']:.6f}", f"{row['cpu_s']:.6f}", f"{row['cpu_rate']:.1f}",
                             f"{row['wall_rate']:.1f}", "", "", ""])
        for section, rows in (("api", api_rows), ("memory", memory_rows)):
            for row in rows:
                writer.writerow([section, row["impl"], row["mode"], row.get("round", 0), row["calls"], row["items"],
                                 f"{row['wall_s']:.6f}", f"{row['cpu_s']:.6f}",
                                 f"{row['calls'] / row['cpu_s']:.1f}" if row["cpu_s"] else "",
                                 f"{row['calls'] / row['wall_s']:.1f}", row["connections"], row["requests"],
                                 row["max_rss_kib"]])
        for key, value in facts.items():
            writer.writerow(["footprint", key, "", "", value, "", "", "", "", "", "", "", ""])
        for key in ("verify_ir", "digest_verify_ir", "rsa_ir", "rsa_public_ir", "sha256_ir"):
            if key in profile:
                writer.writerow(["callgrind", key, "", "", f"{profile[key]:.0f}", "", "", "", "", "", "", "", ""])

    md: List[str] = []
    md.append(f"# libclerk benchmarks against peers\n")
    md.append(f"Run {when} by `bench/run.sh{' --quick' if args.quick else ''}` in {elapsed / 60:.1f} min "
              f"on {info['cpus']} CPUs ({info['cpu_model']}, Linux {info['kernel']}); load average "
              f"{info['load_at_start']} at the start and {info['load_at_end']} at the end. **The machine was "
              f"shared** with other builds, so wall-clock rates are noisy: compare the per-CPU-second "
              f"rates and the same-round ratios, which stay stable under load. Verification: "
              f"{args.rounds} interleaved rounds of {args.seconds:g} s per measurement (order rotated "
              f"each round), medians; API calls: {args.api_rounds} rounds.\n")
    md.append("## 1. Session token verification (one RS256 token, 2048-bit key)\n")
    md.append("Every contestant verifies the same token file (a v2 session token with an organization, "
              f"{facts.get('token_bytes', '?')} bytes). Ratios are taken per round against the raw "
              "aws-lc-rs verify measured in that round, then the median.\n")
    md.append("| contestant | threads | tokens per CPU-second | tokens/s (wall) | vs aws-lc-rs raw | vs OpenSSL prehashed |")
    md.append("|---|---:|---:|---:|---:|---:|")
    order = ["aws-lc-rs-raw", "openssl-prehashed", "openssl-digest-verify", "rust-verifier", "c-abi",
             "python-wrapper", "go-wrapper", "go-stdlib-rs256", "pyjwt", "py-sdk-verify_token",
             "py-sdk-authenticate_request", "jose-jwtVerify", "clerk-backend-verifyToken"]
    for threads in (1, 2):
        for impl in order:
            s = vs.get((impl, threads))
            if s is None:
                continue
            md.append(f"| {VERIFY_LABELS[impl]} | {threads} | {fmt(s['cpu_rate'])} | {fmt(s['wall_rate'])} | "
                      f"{fmt(s['ratio_raw'], 2)}x | {fmt(s['ratio_openssl'], 2)}x |")
    md.append("| libclerk, repeated token (verified-token cache) | 1 | n/a (no cache yet) | | | |")
    md.append("\nNode runs JavaScript on one thread, so the Node contestants and the Python SDK have no "
              "2-thread row. 2-thread rows are tokens per CPU-second of the whole process (both threads). "
              "The repeated-token rows are absent because libclerk has no verified-token cache yet: "
              "every figure above verifies the same token again, in full, each time.\n")

    md.append(f"## 2. Backend API calls against the emulator (127.0.0.1)\n")
    md.append(f"`get`: {args.gets} sequential `GET /v1/users/{{id}}`; `list`: {args.listing:,} users in pages "
              f"of {PAGE} (`GET /v1/users?limit={PAGE}&offset=...`). Calls are the program's own calls "
              "(a page is one call; @clerk/backend's `getUserList` also sends `GET /users/count` for each "
              "page, counted under requests). Client CPU is the client process's CPU time around its loop. "
              "TCP connections and requests are the emulator's counters (the counters request's own connection not counted). The emulator runs on the same "
              "2 CPUs, so wall rates include its time.\n")
    md.append("| client | calls | calls/s (wall) | client CPU per call (us) | requests | TCP connections |")
    md.append("|---|---|---:|---:|---:|---:|")
    for mode in ("get", "list"):
        for impl in API_IMPLS:
            s = ap.get((impl, mode))
            if s is None:
                continue
            md.append(f"| {API_LABELS[impl]} | {mode} ({s['calls']:.0f}) | {fmt(s['calls_per_s'])} | "
                      f"{fmt(s['cpu_us_per_call'], 1)} | {s['requests']:.0f} | {s['connections']} |")

    md.append(f"\n## 3. Memory: peak RSS while iterating {args.memory_users:,} users\n")
    md.append(f"Each program lists every user of an emulator seeded with {args.memory_users:,} users, "
              f"in pages of {MEMORY_PAGE}, one page in memory at a time where the API allows it; peak RSS of the "
              "whole process (GNU time's %M), interpreter or runtime included.\n")
    md.append("| client | users | peak RSS (MB) | wall s | requests | TCP connections |")
    md.append("|---|---:|---:|---:|---:|---:|")
    for row in memory_rows:
        md.append(f"| {API_LABELS[row['impl']]} | {row['items']:,} | {row['max_rss_kib'] / 1024:.1f} | "
                  f"{row['wall_s']:.1f} | {row['requests']} | {row['connections']} |")

    md.append("\n## 4. Footprint\n")
    md.append("| what | libclerk | peer |")
    md.append("|---|---:|---:|")
    md.append(f"| distinct crates, `cargo tree -p clerk-ffi -e normal` | {facts['crates_normal']} "
              f"({facts['crates_normal_build']} with build dependencies) | clerk-rs 0.5: 128 (figure from the issue, not rebuilt here) |")
    md.append(f"| stripped libclerk.so | {facts['libclerk.so_stripped_bytes'] / 1048576:.2f} MB | clerk-rs 0.5: 6.4 MB (figure from the issue, not rebuilt) |")
    md.append(f"| libclerk.a, debug info stripped | {facts['libclerk.a_stripped_bytes'] / 1048576:.2f} MB | |")
    md.append(f"| Python: wheel / installed | {facts['wheel_bytes'] / 1048576:.2f} MB wheel, "
              f"{facts['ours_installed_kib'] / 1024:.1f} MB installed, {facts['ours_distributions']} distribution | "
              f"{facts['sdk_pin']}: {facts['sdk_installed_kib'] / 1024:.1f} MB installed, "
              f"{facts['sdk_distributions']} distributions |")
    if "clean_build_wall_s" in facts:
        md.append(f"| clean `cargo build --release -p clerk-ffi` | {facts['clean_build_wall_s']:.0f} s wall "
                  f"({facts['clean_build_cpu_s']:.0f} CPU-s, shared machine) | clerk-rs 0.5: ~12 min (figure from the issue, not rebuilt) |")
    else:
        md.append("| clean release build | not measured in this run (`bench/run.sh --clean-build`) | "
                  "clerk-rs 0.5: ~12 min (figure from the issue, not rebuilt) |")

    # Goals.
    g: List[List[str]] = []
    c1 = vs.get(("c-abi", 1), {})
    goal(g, "verify: C ABI vs raw RSA (aws-lc-rs), first time", c1.get("ratio_raw", float("nan")), 0.90, True)
    goal(g, "verify: C ABI vs raw RSA (OpenSSL prehashed)", c1.get("ratio_openssl", float("nan")), 0.90, True,
         note="the same goal against the other limit")
    py1 = vs.get(("python-wrapper", 1), {})
    goal(g, "verify: Python vs raw RSA (aws-lc-rs)", py1.get("ratio_raw", float("nan")), 0.85, True)
    for peer, target, label in (("clerk-backend-verifyToken", 15, "@clerk/backend"), ("pyjwt", 4, "PyJWT"),
                                ("go-stdlib-rs256", 3, "Go stdlib RS256")):
        ours = "go-wrapper" if peer == "go-stdlib-rs256" else ("python-wrapper" if peer == "pyjwt" else "c-abi")
        goal(g, f"verify: {VERIFY_LABELS[ours].replace('libclerk ', '')} vs {label}",
             same_round_ratio(verify_rows, (ours, 1), (peer, 1)), target, True)
    goal(g, "verify: repeated token vs raw RSA", float("nan"), 10, True, note="no verified-token cache yet")
    worst_cpu = max((ap[(impl, "get")]["cpu_us_per_call"] for impl in ("rust", "c", "libclerk", "go")
                     if (impl, "get") in ap), default=float("nan"))
    goal(g, "calls: client CPU per call (worst of ours, get)", worst_cpu, 50, False, unit=" us")
    for peer in ("py-sdk", "clerk-backend"):
        for impl in ("rust", "libclerk"):
            goal(g, f"calls: {API_LABELS[impl]} vs {API_LABELS[peer]}, calls/s (get)",
                 api_ratio(api_rows, impl, peer, "get", "wall"), 3, True)
    conns = max((ap[(impl, "get")]["connections"] for impl in ("rust", "c", "libclerk", "go")
                 if (impl, "get") in ap), default=float("nan"))
    goal(g, "calls: TCP connections for sequential calls (worst of ours)", conns, 1, False, unit="")
    ours_rss = max((row["max_rss_kib"] / 1024 for row in memory_rows if row["impl"] in ("rust", "c", "go", "libclerk")),
                   default=float("nan"))
    goal(g, f"memory: peak RSS paging {args.memory_users:,} users (worst of ours)", ours_rss, 30, False, unit=" MB")
    goal(g, "footprint: crates", facts["crates_normal"], 40, False, unit="")
    if "clean_build_wall_s" in facts:
        goal(g, "footprint: clean release build (wall)", facts["clean_build_wall_s"], 150, False, unit=" s")
    goal(g, "footprint: wheel", facts["wheel_bytes"] / 1048576, 3, False, unit=" MB")
    md.append("\n## Goals (ratios from the same run)\n")
    md.append("| goal | target | measured | verdict | note |")
    md.append("|---|---|---|---|---|")
    for row in g:
        md.append("| " + " | ".join(row) + " |")

    if "verify_ir" in profile:
        md.append("\n## Where verification time goes (callgrind, instructions per token)\n")
        md.append(f"`valgrind --tool=callgrind` over {profile['callgrind_count']} `clerk_verifier_verify` calls "
                  "of the C bench (bench/c/verify_bench.c, release libclerk): instruction counts are "
                  "reproducible on a loaded machine.\n")
        md.append("| part | instructions per token | share |")
        md.append("|---|---:|---:|")
        total = profile["verify_ir"] or float("nan")
        for key, label in (("verify_ir", "clerk_verifier_verify, all of it"),
                           ("digest_verify_ir", "EVP_DigestVerify inside it: SHA-256 + RSA, what the raw aws-lc-rs limit does"),
                           ("rsa_ir", "the RSA PKCS#1 v1.5 verify inside it (aws-lc RSA_verify)"),
                           ("sha256_ir", "SHA-256 of the signing input (part of the row above)")):
            md.append(f"| {label} | {fmt(profile[key])} | {fmt(100 * profile[key] / total, 1)}% |")
        md.append(f"| everything else (parsing, claims checks, claims JSON out) | "
                  f"{fmt(total - profile['rsa_ir'])} | {fmt(100 * (total - profile['rsa_ir']) / total, 1)}% |")
        md.append("\nThe heaviest functions (inclusive, per token) are in `callgrind-top.txt`.\n")
        with open(results / "callgrind-top.txt", "w") as file:
            for cost, name in profile["top"]:
                file.write(f"{cost:14,.0f}  {name}\n")

    md.append("\n## Charts\n")
    md.append("![verification](verify.png)\n\n![API calls](api.png)\n\n![memory](memory.png)\n")
    (results / "results.md").write_text("\n".join(md) + "\n")
    (results / "goals.json").write_text(json.dumps({"goals": g, "facts": facts}, indent=1) + "\n")
    charts(results, vs, ap, memory_rows, when)
    log(f"wrote {results}/results.md, results.csv and charts")


def charts(results: Path, vs: Dict[Tuple[str, int], Dict[str, Any]], ap: Dict[Tuple[str, str], Dict[str, Any]],
           memory_rows: List[Dict[str, Any]], when: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ours = {"rust-verifier", "c-abi", "python-wrapper", "go-wrapper", "rust", "c", "libclerk", "go"}
    limits = {"aws-lc-rs-raw", "openssl-prehashed", "openssl-digest-verify"}

    def color(impl: str) -> str:
        return "#1f77b4" if impl in ours else ("#7f7f7f" if impl in limits else "#ff7f0e")

    items = sorted(((s["cpu_rate"], impl) for (impl, threads), s in vs.items() if threads == 1))
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(items) + 1.5))
    ax.barh([VERIFY_LABELS[i] for _, i in items], [v for v, _ in items], color=[color(i) for _, i in items])
    for y, (value, _) in enumerate(items):
        ax.text(value, y, f" {value / 1000:.1f}k", va="center", fontsize=8)
    ax.set_xlabel("tokens per CPU-second, 1 thread (median of interleaved rounds)")
    ax.set_title(f"RS256 session token verification ({when})\nblue: libclerk, grey: raw RSA, orange: peers",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(results / "verify.png", dpi=110)
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    for ax, mode, title in ((axes[0], "get", "sequential GET /users/{id}"), (axes[1], "list", "listing, pages of 100")):
        impls = [impl for impl in API_IMPLS if (impl, mode) in ap]
        values = [ap[(impl, mode)]["cpu_us_per_call"] for impl in impls]
        ax.barh([API_LABELS[i] for i in impls], values, color=[color(i) for i in impls])
        for y, value in enumerate(values):
            ax.text(value, y, f" {value:,.0f}", va="center", fontsize=8)
        ax.set_xlabel("client CPU per call (us), lower is better")
        ax.set_title(title, fontsize=9)
        ax.invert_yaxis()
    fig.suptitle(f"Backend API calls against the emulator on 127.0.0.1 ({when})", fontsize=10)
    fig.tight_layout()
    fig.savefig(results / "api.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 3.2))
    labels = [API_LABELS[row["impl"]] for row in memory_rows]
    values = [row["max_rss_kib"] / 1024 for row in memory_rows]
    ax.barh(labels, values, color=[color(row["impl"]) for row in memory_rows])
    for y, value in enumerate(values):
        ax.text(value, y, f" {value:.1f} MB", va="center", fontsize=8)
    ax.axvline(30, color="red", linestyle="--", linewidth=1)
    ax.set_xlabel("peak RSS (MB) while iterating every user; dashed: the 30 MB goal")
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(results / "memory.png", dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--results", default=str(BENCH / "results"))
    parser.add_argument("--clean-build", action="store_true",
                        help="also time a clean release build of clerk-ffi (10+ min on a busy 2-core machine)")
    parser.add_argument("--setup-seconds", type=float, default=0.0, help="time run.sh spent before this")
    args = parser.parse_args()
    args.rounds, args.seconds = (2, 0.5) if args.quick else (5, 1.0)
    args.api_rounds = 1 if args.quick else 3
    args.gets, args.listing = (200, 2_000) if args.quick else (500, 10_000)
    args.memory_users = 20_000 if args.quick else 100_000
    started = time.monotonic()
    args.load_at_start = " ".join(f"{x:.2f}" for x in os.getloadavg())
    OUT.mkdir(parents=True, exist_ok=True)

    token_file = OUT / "token.jwt"
    minted = run([str(OUT / "verify_bench_c"), str(PRIVATE_KEY), str(PUBLIC_KEY)], {"CLERK_BENCH_MINT": "1"})
    token_file.write_text(minted.stdout.strip() + "\n")
    facts: Dict[str, Any] = {"token_bytes": len(minted.stdout.strip())}

    verify_rows = verify_rounds(token_file, args.rounds, args.seconds)
    emulator = Emulator(args.listing)
    try:
        api_rows = api_rounds(emulator, args.api_rounds, args.gets, args.listing)
    finally:
        emulator.stop()
    emulator = Emulator(args.memory_users)
    try:
        memory_rows = memory_runs(emulator, args.memory_users)
    finally:
        emulator.stop()
    log("footprint")
    facts.update(footprint(clean_build=args.clean_build))
    log("callgrind")
    profile = callgrind(token_file, 50 if args.quick else 200)
    write_results(args, verify_rows, api_rows, memory_rows, facts, profile, started)


if __name__ == "__main__":
    main()
