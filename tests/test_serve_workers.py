"""``crimea-monitor serve --workers N``: N processes behind one port, connections dealt to them in turn."""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from monitor.web.workers import listen
from tests.conftest import cli_env, store_with_corpus

pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists() or not hasattr(socket, "send_fds"),
                                reason="needs Linux (SCM_RIGHTS, /proc)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _wait_ready(process: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else "server exited"
        try:
            if _get(port, "/api/search?q=court")[0] == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("server did not answer within 60 s")


def _connections_by_process(server_pid: int, port: int) -> list[int]:
    """How many established connections on 127.0.0.1:port each child process of the server holds (sorted)."""
    needle = f"0100007F:{port:04X}"
    with open("/proc/net/tcp") as f:
        inodes = {f"socket:[{fields[9]}]" for fields in (line.split() for line in f)
                  if fields[1] == needle and fields[3] == "01"}
    counts = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) != server_pid:
                continue
            links = [str(fd.readlink()) for fd in (entry / "fd").iterdir()]
        except (OSError, ValueError):
            continue
        held = sum(1 for link in links if link in inodes)
        if held:
            counts.append(held)
    return sorted(counts)


def test_two_workers_share_the_port_and_a_second_server_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    store_with_corpus(db, limit=5)
    port = _free_port()
    env = cli_env(db)
    cmd = [sys.executable, "-m", "monitor", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2",
           "--public-read"]  # the workers read without a login too
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_ready(server, port)
        clients = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(6)]
        try:
            for conn in clients:  # keep-alive connections, all open at once: dealt 3 and 3
                conn.request("GET", "/api/search?q=court&limit=1")
                response = conn.getresponse()
                assert response.status == 200 and b'"hits"' in response.read()
            assert _connections_by_process(server.pid, port) == [3, 3]
        finally:
            for conn in clients:
                conn.close()

        second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert f"cannot listen on 127.0.0.1:{port}" in second.stderr + second.stdout
        assert server.poll() is None
    finally:
        server.terminate()
        server.wait(timeout=30)
    listen("127.0.0.1", port).close()  # the port is free again: nothing is left listening
