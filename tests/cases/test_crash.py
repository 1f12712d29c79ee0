"""`kill -9` of the server in the middle of a batch: what was acknowledged is whole, nothing is half
written, and retrying the interrupted request with its Idempotency-Key succeeds."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.cases.helpers import auth, body, grid_points, scalar
from tests.conftest import Demo
from tests.live import free_port


@contextmanager
def server_process(url: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """uvicorn in its own process on `url`; yields the base URL and the process."""
    port = free_port()
    env = {**os.environ, "GRIDS_DATABASE_URL": url}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "api.app:create_app",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{base}/livez", timeout=1)
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline and proc.poll() is None, "server did not start"
            time.sleep(0.1)
    try:
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def test_kill_during_a_batch(demo_url_fresh: str, demo: Demo) -> None:
    """Two batches acknowledged, the third interrupted by SIGKILL, then retried with its key."""
    township = demo.summary.township_codes[0]
    points = grid_points(demo_url_fresh, township, 20)
    token = demo.token(f"demo-dispatcher-{township[:9]}")
    batches = [[body(f"KILL-{b}-{i}", *points[i % len(points)][1:]) for i in range(300)] for b in range(3)]
    acknowledged: list[int] = []
    with server_process(demo_url_fresh) as (base, proc):
        with httpx.Client(timeout=120) as http:
            for b in range(2):
                r = http.post(
                    f"{base}/cases/batch", json={"items": batches[b]}, headers=auth(token, f"batch-{b}")
                )
                assert r.status_code == 200 and r.json()["created"] == 300
                acknowledged += [i["case"]["id"] for i in r.json()["items"]]
        outcome: dict[str, object] = {}

        def third() -> None:
            try:
                outcome["response"] = httpx.post(
                    f"{base}/cases/batch",
                    json={"items": batches[2]},
                    headers=auth(token, "batch-2"),
                    timeout=120,
                )
            except httpx.HTTPError as exc:
                outcome["error"] = exc

        sender = threading.Thread(target=third)
        sender.start()
        time.sleep(0.5)  # the batch is being written
        os.kill(proc.pid, signal.SIGKILL)
        sender.join()
        assert "error" in outcome, "the batch finished before the kill; make it bigger"
    count = "SELECT count(*) FROM case_intake_keys WHERE external_id LIKE 'KILL-%'"
    assert scalar(demo_url_fresh, count) == 600
    ids = ",".join(map(str, acknowledged))
    assert scalar(demo_url_fresh, f"SELECT count(*) FROM cases WHERE id IN ({ids})") == 600
    assert (
        scalar(
            demo_url_fresh,
            f"SELECT count(*) FROM case_events WHERE action = 'receive' AND case_id IN ({ids})",
        )
        == 600
    )
    orphans = (
        "SELECT count(*) FROM cases c WHERE c.received_at > now() - interval '1 hour' AND (NOT EXISTS "
        "(SELECT 1 FROM case_intake_keys k WHERE k.case_id = c.id) OR NOT EXISTS "
        "(SELECT 1 FROM case_events e WHERE e.case_id = c.id AND e.action = 'receive'))"
    )
    assert scalar(demo_url_fresh, orphans) == 0
    with server_process(demo_url_fresh) as (base, _):
        retry = httpx.post(
            f"{base}/cases/batch", json={"items": batches[2]}, headers=auth(token, "batch-2"), timeout=120
        )
        assert retry.status_code == 200 and retry.json()["created"] == 300
        replay = httpx.post(
            f"{base}/cases/batch", json={"items": batches[2]}, headers=auth(token, "batch-2"), timeout=120
        )
        assert replay.json() == retry.json()
    assert scalar(demo_url_fresh, count) == 900
