"""The dispatchers' web map at `/map`: a static page and its assets, MapLibre included (no CDN).

The page holds no data; it asks for a token and then reads the tile endpoints with it. MapLibre
is installed by scripts/bootstrap.sh from the npm registry into the git-ignored static/vendor/.
"""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from grids.errors import EnvironmentProblem, NotFound

router = APIRouter(tags=["map 网格地图"])

STATIC = Path(__file__).resolve().parents[1] / "static"
# An allow-list, not a directory listing: nothing else under static/ is ever served.
ASSETS = {
    "map.js": "text/javascript",
    "map.css": "text/css",
    "vendor/maplibre-gl.js": "text/javascript",
    "vendor/maplibre-gl.css": "text/css",
}


@router.get("/map", include_in_schema=False)
def web_map() -> FileResponse:
    """The web map page."""
    return FileResponse(STATIC / "map.html", media_type="text/html")


@router.get("/map/assets/{name:path}", include_in_schema=False)
def asset(name: str) -> FileResponse:
    """One of the page's scripts or style sheets."""
    if name not in ASSETS:
        raise NotFound(f"no map asset {name!r} (地图资源不存在)")
    path = STATIC / name
    if not path.is_file():
        raise EnvironmentProblem(
            f"{name} is missing: run scripts/bootstrap.sh to install MapLibre GL JS (地图组件未安装)"
        )
    return FileResponse(path, media_type=ASSETS[name], headers={"Cache-Control": "public, max-age=3600"})
