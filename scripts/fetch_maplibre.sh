#!/usr/bin/env bash
# Fetch MapLibre GL JS for /map (needs npm). Used by bootstrap.sh and the Dockerfile.
set -euo pipefail
cd "$(dirname "$0")/.."

# MapLibre GL JS for the web map at /map, served by the app itself: intranets have no CDN. Taken
# from the npm registry at a pinned version, checked by sha256, never committed (git-ignored).
MAPLIBRE_VERSION=5.24.1
MAPLIBRE_SHA256=b84d7fdf7fba5922fd3fff9a92733936c7a03b99165afc6c84f41c311bdbfa9d
vendor=api/static/vendor
if [ ! -f "$vendor/.maplibre-gl-$MAPLIBRE_VERSION" ]; then
  echo "下载地图组件 fetching maplibre-gl@$MAPLIBRE_VERSION"
  work=$(mktemp -d)
  (cd "$work" && npm pack --silent "maplibre-gl@$MAPLIBRE_VERSION" >/dev/null)
  echo "$MAPLIBRE_SHA256  $work/maplibre-gl-$MAPLIBRE_VERSION.tgz" | sha256sum -c --quiet
  tar -xzf "$work/maplibre-gl-$MAPLIBRE_VERSION.tgz" -C "$work" \
    package/dist/maplibre-gl.js package/dist/maplibre-gl.css package/LICENSE.txt
  mkdir -p "$vendor"
  cp "$work"/package/dist/maplibre-gl.js "$work"/package/dist/maplibre-gl.css "$vendor/"
  cp "$work"/package/LICENSE.txt "$vendor/maplibre-gl-LICENSE.txt"
  rm -rf "$work" "$vendor"/.maplibre-gl-* && touch "$vendor/.maplibre-gl-$MAPLIBRE_VERSION"
fi
