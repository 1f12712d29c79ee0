"""GDAL's OAPIF driver (Debian's gdal-bin), as QGIS uses it, reads the service with a bearer token."""

import os
import re
import subprocess
from pathlib import Path

import httpx
import pyogrio
import shapely
from sqlalchemy import Engine, text

from tests.conftest import Demo
from tests.layers.conftest import admin, dispatcher


def gdal(*args: str, headers: dict[str, str]) -> str:
    """Run a GDAL command with the bearer header passed the way GDAL documents it."""
    header = "\r\n".join(f"{k}: {v}" for k, v in headers.items())
    env = {**os.environ, "GDAL_HTTP_HEADERS": header}
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def counts(base: str, headers: dict[str, str]) -> dict[str, int]:
    """Feature counts per collection as `ogrinfo -so` reports them."""
    listing = gdal("ogrinfo", "-ro", "-q", f"OAPIF:{base}", headers=headers)
    names = re.findall(r"^\d+: (\S+)", listing, flags=re.MULTILINE)
    found = {}
    for name in names:
        summary = gdal("ogrinfo", "-ro", "-so", f"OAPIF:{base}", name, headers=headers)
        match = re.search(r"Feature Count: (\d+)", summary)
        assert match, summary
        found[name] = int(match.group(1))
    return found


def test_ogrinfo_lists_every_collection_with_scoped_counts(base: str, demo: Demo, engine: Engine) -> None:
    """Every collection appears, counted within the caller's jurisdiction."""
    township = demo.summary.township_codes[2]
    with engine.connect() as conn:

        def expected(pattern: str) -> dict[str, int]:
            level = "SELECT count(*) FROM divisions WHERE level = :l AND code LIKE :p"
            return {
                "counties": conn.scalar(text(level), {"l": "county", "p": pattern}),
                "townships": conn.scalar(text(level), {"l": "township", "p": pattern}),
                "villages": conn.scalar(text(level), {"l": "village", "p": pattern}),
                "grids": conn.scalar(
                    text(
                        "SELECT count(*) FROM grids g JOIN generations ge ON ge.id = g.generation_id "
                        "WHERE ge.status = 'active' AND g.code LIKE :p"
                    ),
                    {"p": pattern},
                ),
                "cases": conn.scalar(
                    text(
                        "SELECT count(*) FROM cases WHERE geom IS NOT NULL "
                        "AND (county_code LIKE :p OR township_code LIKE :p)"
                    ),
                    {"p": pattern},
                ),
            }

        whole, one = expected("99%"), expected(township[:9] + "%")
    # Gaps of every kind as the coverage service finds them now (staffing gaps depend on the hour).
    for figures, headers in ((whole, admin(demo)), (one, dispatcher(demo, township))):
        gaps = httpx.get(f"{base}/coverage/gaps", headers=headers, timeout=120).json()
        figures["coverage-gaps"] = len(gaps["features"])
    assert whole["coverage-gaps"] >= len(demo.summary.planted["gaps"])
    # Planners and admins also see the (here empty) drafts collection; dispatchers do not.
    assert counts(base, admin(demo)) == {**whole, "drafts": 0}
    assert counts(base, dispatcher(demo, township)) == one
    assert one["grids"] < whole["grids"] and one["counties"] == 0


def test_ogr2ogr_copies_grids_equal_to_the_database(
    base: str, demo: Demo, engine: Engine, tmp_path: Path
) -> None:
    """ogr2ogr writes a GeoPackage whose grids equal the database's: codes, figures and shapes."""
    target = tmp_path / "grids.gpkg"
    gdal("ogr2ogr", "-f", "GPKG", str(target), f"OAPIF:{base}", "grids", headers=admin(demo))
    copied = pyogrio.read_dataframe(target, layer="grids")
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT g.code, g.name, g.households, g.population, ST_AsBinary(g.geom) FROM grids g "
                "JOIN generations ge ON ge.id = g.generation_id AND ge.status = 'active' ORDER BY g.code"
            )
        ).all()
    copied = copied.sort_values("code").reset_index(drop=True)
    assert list(copied["code"]) == [r[0] for r in rows]
    assert list(copied["name"]) == [r[1] for r in rows]
    assert list(copied["households"]) == [r[2] for r in rows]
    assert list(copied["population"]) == [r[3] for r in rows]
    stored = shapely.from_wkb([bytes(r[4]) for r in rows])
    # The API writes 7 decimals (about 1 cm): shapes agree to that precision, vertex by vertex.
    assert shapely.equals_exact(
        shapely.normalize(copied.geometry.values), shapely.normalize(stored), tolerance=1e-6
    ).all()
