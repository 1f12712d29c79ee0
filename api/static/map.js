// The dispatchers' web map: the service's own vector tiles on MapLibre GL JS, no basemap and no
// CDN (offline intranets). The token is kept in sessionStorage and sent as a Bearer header on
// same-origin requests only; it never appears in a URL.
"use strict";

const TOKEN_KEY = "grids.token";
const origin = window.location.origin;
const tilejson = (layer) => `${origin}/collections/${layer}/tiles/WebMercatorQuad/tilejson.json`;
const GRID_FIELDS = [
  ["code", "网格编码 Code"],
  ["name", "名称 Name"],
  ["households", "户数 Households"],
  ["workers", "网格员 Workers"],
  ["primary_staff_no", "专职网格员工号 Primary worker"],
  ["open_cases", "未办结 Open cases"],
  ["unassigned_cases", "未分派 Unassigned"],
  ["load", "人均待办 Load"],
];
const CASE_FIELDS = [
  ["id", "事件编号 Case"],
  ["category_name", "类别 Category"],
  ["platform_code", "平台 Platform"],
  ["status", "状态 Status"],
  ["worker_staff_no", "责任网格员 Worker"],
  ["reported_at", "上报 Reported"],
  ["overdue", "超时 Overdue"],
];

function authorised(url) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return url.startsWith(origin) && token ? { url, headers: { Authorization: `Bearer ${token}` } } : { url };
}

async function fetchJson(url) {
  const response = await fetch(url, authorised(url));
  if (!response.ok) {
    const problem = await response.json().catch(() => ({ detail: response.statusText }));
    throw new Error(problem.detail || `HTTP ${response.status}`);
  }
  return response.json();
}

const GROUND = ["in", ["get", "kind"], ["literal", ["uncovered", "outside_villages"]]];
const GAP_KINDS = {
  uncovered: "无网格覆盖 no grid", outside_villages: "无村社区覆盖 no village", no_worker: "无负责网格员 no worker",
  off_duty: "当前无人值守 nobody on duty", no_platform_staff: "无平台人员 no platform staff",
  households_over_cap: "户数超标 households over cap", open_cases_over_cap: "在办事件超标 open cases over cap",
  out_of_reach: "平台人员过远 staff too far",
};

function style() {
  const vector = (layer) => ({ type: "vector", url: tilejson(layer) });
  const load = ["coalesce", ["get", "load"], -1];
  return {
    version: 8,
    sources: {
      townships: vector("townships"),
      villages: vector("villages"),
      grids: vector("grids"),
      gaps: vector("coverage-gaps"),
      cases: vector("cases"),
    },
    layers: [
      { id: "background", type: "background", paint: { "background-color": "#f4f1ea" } },
      {
        id: "grids-fill", type: "fill", source: "grids", "source-layer": "grids",
        paint: {
          "fill-opacity": 0.55,
          "fill-color": ["step", load, "#9e9e9e", 0, "#1a9850", 1, "#fee08b", 2, "#f46d43", 3, "#a50026"],
        },
      },
      {
        id: "grids-line", type: "line", source: "grids", "source-layer": "grids",
        paint: { "line-color": "#555", "line-width": 0.6 },
      },
      {
        id: "gaps-fill", type: "fill", source: "gaps", "source-layer": "coverage-gaps", filter: GROUND,
        paint: { "fill-color": "#e7298a", "fill-opacity": 0.6, "fill-outline-color": "#7a0177" },
      },
      {
        // Staffing and reach gaps carry their grid's shape: outlined, and clickable through the grid.
        id: "gaps-staffing", type: "fill", source: "gaps", "source-layer": "coverage-gaps", filter: ["!", GROUND],
        paint: { "fill-color": "#7a0177", "fill-opacity": 0.01 },
      },
      {
        id: "gaps-staffing-line", type: "line", source: "gaps", "source-layer": "coverage-gaps",
        filter: ["all", ["!", GROUND], ["==", ["get", "severity"], "high"]],
        paint: { "line-color": "#7a0177", "line-width": 2, "line-dasharray": [2, 1] },
      },
      {
        id: "villages-line", type: "line", source: "villages", "source-layer": "villages",
        paint: { "line-color": "#333", "line-width": 1.2 },
      },
      {
        id: "townships-line", type: "line", source: "townships", "source-layer": "townships",
        paint: { "line-color": "#000", "line-width": 2.2 },
      },
      {
        id: "cases-clusters", type: "circle", source: "cases", "source-layer": "cases",
        filter: ["has", "count"],
        paint: {
          "circle-radius": ["interpolate", ["linear"], ["get", "count"], 1, 4, 50, 14, 500, 24],
          "circle-color": ["case", [">", ["get", "unassigned"], 0], "#d73027", "#4575b4"],
          "circle-opacity": 0.75, "circle-stroke-color": "#fff", "circle-stroke-width": 1,
        },
      },
      {
        id: "cases-points", type: "circle", source: "cases", "source-layer": "cases",
        filter: ["!", ["has", "count"]],
        paint: {
          "circle-radius": 5,
          "circle-color": ["case", ["get", "unassigned"], "#d73027", "#4575b4"],
          "circle-stroke-color": "#fff", "circle-stroke-width": 1,
        },
      },
    ],
  };
}

function show(rows) {
  const details = document.getElementById("details");
  details.replaceChildren();
  for (const [label, value, key] of rows) {
    if (value === null) {
      const heading = document.createElement("div");
      heading.className = "section";
      heading.textContent = label;
      details.append(heading);
      continue;
    }
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.textContent = label;
    dd.textContent = value === undefined ? "—" : String(value);
    if (key) dd.dataset.field = key;
    details.append(dt, dd);
  }
  document.getElementById("inspect").hidden = false;
}

function inspect(map, event) {
  const layers = ["cases-points", "gaps-fill", "gaps-staffing", "grids-fill"];
  const hits = map.queryRenderedFeatures(event.point, { layers });
  const grid = hits.find((f) => f.layer.id === "grids-fill");
  const gap = hits.find((f) => f.layer.id === "gaps-fill");
  const staffing = hits.filter((f) => f.layer.id === "gaps-staffing");
  const point = hits.find((f) => f.layer.id === "cases-points");
  const rows = [];
  if (gap) {
    rows.push(["覆盖缺口 Coverage gap", null]);
    rows.push(["类型 Kind", GAP_KINDS[gap.properties.kind], "gap.kind"]);
    rows.push(["村（社区） Village", gap.properties.village_code, "gap.village_code"]);
    rows.push(["面积 Area m²", gap.properties.area_m2, "gap.area_m2"]);
  }
  if (grid) {
    rows.push(["网格 Grid", null]);
    for (const [key, label] of GRID_FIELDS) rows.push([label, grid.properties[key], `grid.${key}`]);
  }
  if (staffing.length) {
    const named = staffing.map((f) => GAP_KINDS[f.properties.kind] + (f.properties.platform_code ? ` (${f.properties.platform_code})` : ""));
    rows.push(["网格缺口 Grid gaps", [...new Set(named)].join("; "), "grid.gaps"]);
  }
  if (point) {
    rows.push(["事件 Case", null]);
    for (const [key, label] of CASE_FIELDS) rows.push([label, point.properties[key], `case.${key}`]);
  }
  if (!grid && !gap) rows.push(["此处无网格 No grid here", null]);
  show(rows);
  window.lastInspected = { lng: event.lngLat.lng, lat: event.lngLat.lat, grid: grid ? grid.properties.code : null };
}

async function open() {
  const message = document.getElementById("message");
  message.textContent = "";
  let extent;
  try {
    extent = await fetchJson(tilejson("grids"));
  } catch (error) {
    sessionStorage.removeItem(TOKEN_KEY);
    message.textContent = `无法打开地图 Cannot open the map: ${error.message}`;
    return;
  }
  document.getElementById("login").hidden = true;
  document.getElementById("legend").hidden = false;
  const [west, south, east, north] = extent.bounds;
  const map = new maplibregl.Map({
    container: "map",
    style: style(),
    bounds: [[west, south], [east, north]],
    fitBoundsOptions: { padding: 20 },
    transformRequest: authorised,
    attributionControl: false,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
  map.addControl(new maplibregl.ScaleControl());
  map.on("click", (event) => inspect(map, event));
  window.gridMap = map;
}

document.getElementById("login").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, document.getElementById("token").value.trim());
  open();
});
document.getElementById("logout").addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  window.location.reload();
});
if (sessionStorage.getItem(TOKEN_KEY)) open();
