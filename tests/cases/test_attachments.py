"""Before/after photos: type checked by content, size limited, visible only within the case's scope."""

import httpx

from tests.cases.helpers import auth, body, grid_points, scalar
from tests.conftest import Demo
from tests.live import live_server

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def test_photos(demo_url_fresh: str, demo: Demo) -> None:
    """A dispatcher attaches before and after photos; limits, roles and scope are enforced."""
    township = demo.summary.township_codes[0]
    _, lon, lat = grid_points(demo_url_fresh, township)[0]
    desk = auth(demo.token(f"demo-dispatcher-{township[:9]}"))
    with live_server(demo_url_fresh) as base:
        case = httpx.post(f"{base}/cases", json=body("P-1", lon, lat), headers=desk).json()
        url = f"{base}/cases/{case['id']}/attachments"
        before = httpx.post(
            url, files={"file": ("a.png", PNG, "image/png")}, data={"kind": "before"}, headers=desk
        )
        assert before.status_code == 201, before.text
        after = httpx.post(
            url,
            files={"file": ("b.bin", JPEG, "application/octet-stream")},
            data={"kind": "after"},
            headers=desk,
        )
        assert after.status_code == 201 and after.json()["content_type"] == "image/jpeg"
        listed = httpx.get(url, headers=desk).json()
        assert [(a["kind"], a["size_bytes"]) for a in listed] == [("before", len(PNG)), ("after", len(JPEG))]
        photo = httpx.get(f"{url}/{before.json()['id']}", headers=desk)
        assert photo.content == PNG and photo.headers["content-type"] == "image/png"
        text_file = httpx.post(url, files={"file": ("x.png", b"hello", "image/png")}, headers=desk)
        assert text_file.status_code == 422 and text_file.json()["errors"][0]["field"] == "file"
        huge = httpx.post(
            url, files={"file": ("h.png", PNG + b"\x00" * (5 * 2**20), "image/png")}, headers=desk
        )
        assert huge.status_code == 422 and "5 MiB" in huge.json()["detail"]
        leader = httpx.post(
            url, files={"file": ("a.png", PNG, "image/png")}, headers=auth(demo.token("demo-leader"))
        )
        assert leader.status_code == 403
        other = auth(demo.token(f"demo-dispatcher-{demo.summary.township_codes[1][:9]}"))
        assert httpx.get(f"{url}/{before.json()['id']}", headers=other).status_code == 404
        detail = httpx.get(f"{base}/cases/{case['id']}", headers=desk).json()
        assert [e["action"] for e in detail["events"]] == ["receive", "attach", "attach"]
        httpx.post(
            f"{base}/cases/{case['id']}/actions", json={"action": "reject", "reason": "测试"}, headers=desk
        )
        late = httpx.post(url, files={"file": ("a.png", PNG, "image/png")}, headers=desk)
        assert late.status_code == 409
    assert (
        scalar(demo_url_fresh, "SELECT count(*) FROM case_attachments WHERE case_id = :c", c=case["id"]) == 2
    )
