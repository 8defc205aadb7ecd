#!/usr/bin/env python3
"""Prints what abusive clients cost the clerk-emulator binary (Linux: reads /proc).

    python3 tests/emulator/limits_figures.py [path/to/clerk-emulator]

Starts the binary on 127.0.0.1 with its default limits (default path
target/debug/clerk-emulator) and, one scenario at a time, prints its threads, resident
memory and open descriptors:

1. 200 idle connections, then 300 (beyond the default cap of 256);
2. 30 connections that each declare a 16 MiB body and send all of it but the last byte;
3. one oversized fault of 512 MiB read to the end;

then starts a second one with --idle-timeout-ms 2000 (skipped by a binary without the
flag) for:

4. 200 idle connections, before and after the idle timeout.

Figures only, no pass/fail; every loop is bounded and only loopback is used.
"""

import json
import os
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def proc_figures(pid):
    status = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            status[key] = value.strip()
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    return f"threads {status['Threads']:>4}, RSS {int(status['VmRSS'].split()[0]) // 1024:>4} MiB, fds {fds:>4}"


def connect(port, timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return s


def read_status(s):
    try:
        data = s.recv(4096)
    except OSError as e:
        return f"error {e.__class__.__name__}"
    return data.split(b"\r\n", 1)[0].decode(errors="replace") if data else "closed"


def start(binary, *flags):
    child = subprocess.Popen([binary, "--port", "0", *flags], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    line = child.stdout.readline()
    if not line:
        child.wait()
        return child, None, None
    info = json.loads(line)
    return child, int(info["api_url"].rsplit(":", 1)[1]), info["secret_key"]


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target", "debug", "clerk-emulator")
    child, port, key = start(binary)
    try:
        pid = child.pid
        time.sleep(0.3)
        print(f"started:                         {proc_figures(pid)}")

        idle = [connect(port) for _ in range(200)]
        time.sleep(1)
        print(f"200 idle connections:            {proc_figures(pid)}")
        more = [connect(port) for _ in range(100)]
        time.sleep(1)
        figures = proc_figures(pid)
        for s in more:
            s.settimeout(0.05)
        answers = [read_status(s) for s in more]
        refused = sum(1 for a in answers if a.startswith("HTTP/1.1 503"))
        print(f"300 idle connections:            {figures}  ({refused} of the last 100 answered 503)")
        for s in idle + more:
            s.close()
        time.sleep(1)
        print(f"all closed:                      {proc_figures(pid)}")

        head = (
            "POST /v1/users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key +
            "\r\nContent-Type: application/json\r\nContent-Length: 16777216\r\n\r\n"
        ).encode()
        body = b"x" * (16 * 1024 * 1024 - 1)
        withholding, outcomes = [], {}
        for _ in range(30):
            s = connect(port)
            try:
                s.sendall(head)
                s.sendall(body)
                withholding.append(s)
            except OSError as e:
                outcomes[e.__class__.__name__] = outcomes.get(e.__class__.__name__, 0) + 1
                s.close()
        time.sleep(1)
        figures = proc_figures(pid)
        for s in withholding:
            s.settimeout(0.2)
            status = read_status(s)
            status = "no answer yet" if status == "error TimeoutError" else status
            outcomes[status] = outcomes.get(status, 0) + 1
        print(f"30 x 16 MiB minus one byte:      {figures}  outcomes {outcomes}")
        for s in withholding:
            s.close()
        time.sleep(1)
        print(f"all closed:                      {proc_figures(pid)}")

        size = 1 << 29
        fault = json.dumps({"path": "/v1/users", "action": "oversized", "body_bytes": size}).encode()
        s = connect(port)
        s.sendall(b"POST /__emulator/faults HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(fault) + fault)
        s.recv(4096)
        s.close()
        s = connect(port, timeout=60)
        s.sendall(("GET /v1/users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key + "\r\nConnection: close\r\n\r\n").encode())
        received, peak, started = 0, "", time.time()
        while received < size + 1024 and time.time() - started < 60:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            received += len(chunk)
            if received > size // 2 and not peak:
                peak = proc_figures(pid)
        s.close()
        print(f"512 MiB oversized, half read:    {peak}  ({received} bytes received in {time.time() - started:.1f} s)")
    finally:
        child.kill()
        child.wait()

    child, port, key = start(binary, "--idle-timeout-ms", "2000")
    if port is None:
        print("idle timeout: skipped (the binary has no --idle-timeout-ms)")
        return
    try:
        pid = child.pid
        idle = [connect(port) for _ in range(200)]
        time.sleep(1)
        print(f"200 idle connections again:      {proc_figures(pid)}")
        time.sleep(2.5)
        closed = 0
        for s in idle:
            s.settimeout(0.5)
            closed += read_status(s) == "closed"
            s.close()
        print(f"after the 2 s idle timeout:      {proc_figures(pid)}  ({closed} of 200 closed by the emulator)")
    finally:
        child.kill()
        child.wait()


if __name__ == "__main__":
    main()
