"""The console as people start it: beside `orderroute serve`, and on its own with `orderroute console`."""

from __future__ import annotations

import http.client
import subprocess
import sys
import time
from pathlib import Path

from service.storage.local_redis import free_port
from tests.servers import Server


def get(port: str | int, path: str, deadline: float = 20) -> tuple[int, str]:
    """The page once the console answers."""
    end = time.monotonic() + deadline
    while True:
        connection = http.client.HTTPConnection("127.0.0.1", int(port), timeout=5)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.read().decode()
        except ConnectionRefusedError:
            assert time.monotonic() < end, f"no console on port {port}"
            time.sleep(0.1)
        finally:
            connection.close()


def test_serve_starts_the_console_beside_routing(tmp_path: Path) -> None:
    server = Server(tmp_path / "data")
    try:
        status, page = get(server.console_port, "/rule-sets")
        assert status == 200 and '<a href="/rule-sets/fulfilment">fulfilment</a>' in page
    finally:
        assert server.stop() == 0
        output = server.process.stdout.read() if server.process.stdout and not server.process.stdout.closed else ""
        assert "Traceback" not in output


def test_the_console_runs_on_its_own_against_a_server(tmp_path: Path) -> None:
    server = Server(tmp_path / "data")
    port = free_port()
    command = [sys.executable, "-m", "service.cli", "console", "--server", server.address, "--port", str(port)]
    console = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        status, page = get(port, "/rule-sets/fulfilment/versions/1")
        assert status == 200 and "repeat-customer-express" in page
    finally:
        console.terminate()
        output, _ = console.communicate(timeout=10)
        server.stop()
    assert f"console on http://127.0.0.1:{port} for the server at {server.address}" in output
    assert console.returncode == 0 and "Traceback" not in output


def test_the_console_says_in_one_line_when_no_server_answers() -> None:
    command = [sys.executable, "-m", "service.cli", "console", "--server", f"127.0.0.1:{free_port()}", "--port", "0"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "no orderroute server answers at" in result.stderr
