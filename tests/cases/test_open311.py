"""Open311 GeoReport v2: services, submitting (form-encoded, GCJ-02 via coord_sys), following."""

import httpx

from gis.offsets import wgs84_to_gcj02
from tests.cases.helpers import grid_points, scalar
from tests.conftest import Demo
from tests.live import live_server


def test_submit_and_follow(demo_url_fresh: str, demo: Demo) -> None:
    """A client lists services, posts a request with an api_key, and reads it back without personal data."""
    township = demo.summary.township_codes[0]
    code, lon, lat = grid_points(demo_url_fresh, township)[0]
    key = demo.token(f"demo-dispatcher-{township[:9]}")
    gx, gy = wgs84_to_gcj02(lon, lat)
    with live_server(demo_url_fresh) as base:
        api = f"{base}/open311/v2"
        services = httpx.get(f"{api}/services.json", params={"api_key": key}).json()
        assert {"service_code": "street_vending", "group": "enforcement"}.items() <= next(
            s for s in services if s["service_code"] == "street_vending"
        ).items()
        form = {
            "api_key": key,
            "service_code": "street_vending",
            "lat": float(gy),
            "long": float(gx),
            "coord_sys": "gcj02",
            "description": "占道摆摊",
            "first_name": "小红",
            "last_name": "陈",
            "phone": "13900005555",
        }
        created = httpx.post(f"{api}/requests.json", data=form, headers={"Idempotency-Key": '"o311-1"'})
        assert created.status_code == 201, created.text
        [answer] = created.json()
        again = httpx.post(f"{api}/requests.json", data=form, headers={"Idempotency-Key": '"o311-1"'})
        assert again.json() == created.json()
        request_id = answer["service_request_id"]
        [one] = httpx.get(f"{api}/requests/{request_id}.json", params={"api_key": key}).json()
        assert (
            one["status"] == "open"
            and one["service_code"] == "street_vending"
            and one["agency_responsible"] == "enforcement"
        )
        assert abs(one["lat"] - lat) < 1e-6 and abs(one["long"] - lon) < 1e-6
        assert scalar(demo_url_fresh, "SELECT grid_code FROM cases WHERE id = :i", i=int(request_id)) == code
        listed = httpx.get(
            f"{api}/requests.json",
            params={"api_key": key, "service_code": "street_vending", "status": "open"},
        )
        assert request_id in {r["service_request_id"] for r in listed.json()}
        assert "小红" not in listed.text and "13900005555" not in listed.text
        assert httpx.get(f"{api}/requests.json").status_code == 401
        other = demo.token(f"demo-dispatcher-{demo.summary.township_codes[1][:9]}")
        assert httpx.get(f"{api}/requests/{request_id}.json", params={"api_key": other}).status_code == 404
        unknown = httpx.post(f"{api}/requests.json", data=form | {"service_code": "nothing"})
        assert unknown.status_code == 404 and unknown.headers["content-type"].startswith(
            "application/problem+json"
        )
