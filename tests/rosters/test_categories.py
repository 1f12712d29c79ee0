"""Categories with history: a change through the API applies to the next case at once, cases taken in
earlier keep their deadlines and platform, and every version stays readable."""

from datetime import datetime, timedelta

from tests.cases.helpers import body, grid_points
from tests.rosters.conftest import Api, problem_field


def hours_between(earlier: str, later: str) -> float:
    """Hours from one ISO time to another."""
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)) / timedelta(hours=1)


def test_a_changed_category_applies_to_new_cases_only_and_keeps_its_history(api: Api) -> None:
    """Handle limit and platform changed by an admin: the next case gets them, the earlier one keeps
    its deadlines and platform; the history holds both versions, back to back, with who changed it."""
    township = api.demo.summary.township_codes[0]
    (_, lon1, lat1), (_, lon2, lat2) = grid_points(api.url, township, n=2)
    code, platform, handle = api.rows(
        "SELECT code, platform_code, handle_hours FROM case_categories WHERE NOT working_hours ORDER BY code LIMIT 1"
    )[0]
    other = next(p for p in ("governance", "market", "enforcement", "services") if p != platform)
    with api.dispatcher(township) as desk, api.client("demo-admin") as admin:
        first = desk.post("/cases", json=body("R-CAT-1", lon1, lat1, category=code))
        assert first.status_code == 201, first.text
        assert hours_between(first.json()["dispatch_due"], first.json()["handle_due"]) == handle
        changed = admin.patch(
            f"/categories/{code}", json={"handle_hours": handle + 7, "platform_code": other}
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["handle_hours"] == handle + 7 and changed.json()["platform_code"] == other
        second = desk.post("/cases", json=body("R-CAT-2", lon2, lat2, category=code))
        assert second.status_code == 201, second.text
        assert hours_between(second.json()["dispatch_due"], second.json()["handle_due"]) == handle + 7
        assert second.json()["platform"] == other
        kept = desk.get(f"/cases/{first.json()['id']}").json()
        for due in ("receive_due", "dispatch_due", "handle_due", "reply_due"):
            assert kept[due] == first.json()[due]
        assert kept["platform"] == platform

        same = admin.patch(f"/categories/{code}", json={"handle_hours": handle + 7})
        assert same.status_code == 200
        history = desk.get(f"/categories/{code}/history")
        assert history.status_code == 200, history.text
        versions = history.json()
        assert [(v["handle_hours"], v["platform_code"]) for v in versions] == [
            (handle, platform),
            (handle + 7, other),
        ]
        assert versions[0]["valid_to"] == versions[1]["valid_from"] and versions[1]["valid_to"] is None
        assert versions[1]["changed_by"] == "demo-admin"
        assert all(v["code"] == code for v in versions)
        listed = {c["code"]: c for c in desk.get("/categories").json()}
        assert listed[code]["handle_hours"] == handle + 7 and listed[code]["working_hours"] is False


def test_category_changes_are_for_admins_and_bad_values_name_their_field(api: Api) -> None:
    """A dispatcher is refused (403), an unknown code is 404, and each bad value a 422 naming it."""
    township = api.demo.summary.township_codes[0]
    code = api.rows("SELECT code FROM case_categories ORDER BY code LIMIT 1")[0][0]
    before = api.rows("SELECT count(*) FROM case_category_versions WHERE category_code = :c", c=code)[0][0]
    with api.dispatcher(township) as desk, api.client("demo-admin") as admin:
        assert desk.patch(f"/categories/{code}", json={"handle_hours": 5}).status_code == 403
        missing = admin.patch("/categories/no_such_kind", json={"handle_hours": 5})
        assert missing.status_code == 404 and problem_field(missing) == "code"
        assert desk.get("/categories/no_such_kind/history").status_code == 404
        for patch, field in (
            ({"handle_hours": 0}, "handle_hours"),
            ({"reply_hours": None}, "reply_hours"),
            ({"platform_code": "nowhere"}, "platform_code"),
            ({"escalation_level": "nation"}, "escalation_level"),
            ({"name_zh": ""}, "name_zh"),
            ({"code": "renamed"}, "code"),
        ):
            refused = admin.patch(f"/categories/{code}", json=patch)
            assert refused.status_code == 422 and problem_field(refused) == field, (patch, refused.text)
    after = api.rows("SELECT count(*) FROM case_category_versions WHERE category_code = :c", c=code)[0][0]
    assert after == before == 1
