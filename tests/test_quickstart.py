"""The README's first command, end to end: `grids demo` from nothing to serving, on its own PostGIS."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from grids.embedded import EmbeddedPostgres
from tests.live import free_port

GRIDS = str(Path(sys.executable).with_name("grids"))
TOKEN_LINE = re.compile(r"^(demo-\S+)\s+(\w+)\s+(\d{12})\s+(grd_\S+)$", re.MULTILINE)


def test_grids_demo_serves_the_demo_city(tmp_path: Path) -> None:
    """Embedded db up, migrate, load, tokens printed, API serving; a second run replaces the demo."""
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if k != "GRIDS_DATABASE_URL"} | {"GRIDS_HOME": str(home)}
    port = free_port()
    log = tmp_path / "demo.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [GRIDS, "demo", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and server.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        assert server.poll() is None, log.read_text()
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").json()["status"] == "ok"
        accounts = {m[0]: m for m in TOKEN_LINE.findall(log.read_text())}
        assert {"demo-admin", "demo-leader"} <= set(accounts)
        assert any(name.startswith("demo-dispatcher-") for name in accounts)
        assert any(name.startswith("demo-planner-") for name in accounts)
        me = httpx.get(
            f"http://127.0.0.1:{port}/me", headers={"Authorization": f"Bearer {accounts['demo-admin'][3]}"}
        )
        assert me.json() == {"name": "demo-admin", "role": "admin", "scope": "990100000000", "platform": None}
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    again = subprocess.run(
        [GRIDS, "demo", "--no-serve"], env=env, capture_output=True, text=True, timeout=240
    )
    try:
        assert again.returncode == 0, again.stderr
        second = {m[0]: m for m in TOKEN_LINE.findall(again.stdout)}
        assert set(second) == set(accounts)  # replaced, not doubled: the names would clash otherwise
    finally:
        EmbeddedPostgres(home).destroy()
