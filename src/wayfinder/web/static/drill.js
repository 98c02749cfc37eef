// The people behind a number: which drill-down selector a table row or chart point stands for
// (the keys each analysis's `drill` takes), and the panel listing those people.

import { api, ApiError } from "./api.js";
import { describe, el, fill, table } from "./dom.js";

const PEOPLE_SHOWN = 100;

/** The selector of one row of `tableName` ("main" for result.rows) of a result, or null. */
export function rowSelector(result, tableName, row) {
  const kind = result.kind;
  if (tableName === "sankey_nodes") return { position: row.position, item: row.item };
  if (tableName === "sankey_edges") {
    return { position: row.position, item: row.source, to: row.target };
  }
  if (tableName === "drivers") return kind === "paths" && row.feature ? { feature: row.feature } : null;
  if (kind === "attribution" && ["main", "conversions", "value"].includes(tableName)) {
    const value = row[attributionColumn(result, row)];
    return value === undefined || value === null ? null : { value };
  }
  if (tableName !== "main") return null;
  const withBreakdown = (selector) =>
    row.breakdown !== undefined && row.breakdown !== null ? { ...selector, breakdown: row.breakdown } : selector;
  switch (kind) {
    case "paths":
      return row.path ? { path: row.path } : null;
    case "funnel":
      return withBreakdown({ step: row.step });
    case "trend":
      return row.period ? withBreakdown({ period: row.period }) : null;
    case "retention":
      return row.cohort ? withBreakdown({ cohort: row.cohort, period: row.period }) : null;
    case "lifecycle":
      return row.period ? withBreakdown({ period: row.period, status: row.status }) : null;
    case "conversion_drivers":
    case "churn_drivers":
      return row.feature ? { feature: row.feature } : null;
    case "metric_change":
      return row.dimension ? { dimension: row.dimension, value: row.value } : null;
    default:
      return null;
  }
}

/** The column credit goes to: the spec's `by` joined with "/", else the first text column. */
function attributionColumn(result, row) {
  const by = result.spec && result.spec.by;
  if (by && by.length) return by.join("/");
  return Object.keys(row).find((k) => typeof row[k] === "string");
}

/** The selector of a clicked chart point (Plotly's event point), or null. */
export function pointSelector(result, point) {
  const trace = point.data || point.fullData || {};
  const tables = result.tables || {};
  switch (trace.type) {
    case "sankey": {
      const isLink = point.source !== undefined && point.target !== undefined;
      const rows = tables[isLink ? "sankey_edges" : "sankey_nodes"] || [];
      const row = rows[point.pointNumber ?? point.index];
      return row ? rowSelector(result, isLink ? "sankey_edges" : "sankey_nodes", row) : null;
    }
    case "funnel": {
      const selector = { step: (point.pointNumber ?? 0) + 1 };
      return trace.name ? { ...selector, breakdown: trace.name } : selector;
    }
    case "bar":
      return result.kind === "attribution" && point.x !== undefined ? { value: point.x } : null;
    case "scatter": {
      if (result.kind !== "trend" || point.x === undefined) return null;
      const selector = { period: String(point.x) };
      if (result.spec && result.spec.breakdown && trace.legendgroup) selector.breakdown = trace.legendgroup;
      if (trace.customdata) selector.compare = true;
      return selector;
    }
    case "heatmap": {
      if (result.kind !== "retention") return null;
      const cohort = String(point.y).split(" (")[0];
      const period = Number(String(point.x).match(/\d+/));
      return /^\d{4}-\d{2}-\d{2}/.test(cohort) ? { cohort, period } : null;
    }
    default:
      return null;
  }
}

/**
 * Show the people behind `selector` in the panel. `source` is `{result_id, spec}`: the result
 * kept by the server, and its spec to run again when the kept result has expired.
 */
export async function showPeople(source, selector, title) {
  const panel = document.getElementById("people-panel");
  const body = document.getElementById("people-body");
  document.getElementById("people-what").textContent = title || `Behind ${describe(selector)}`;
  panel.hidden = false;
  panel.setAttribute("aria-busy", "true");
  fill(body, el("p", { class: "hint" }, "Finding the people…"));
  try {
    const people = await fetchPeople(source, selector);
    const shown = people.count >= people.limit ? `the first ${people.count}` : `${people.count}`;
    fill(body,
      el("p", { class: "people-count" },
        people.count ? `${shown} ${people.count === 1 ? "person" : "people"}` : "Nobody."),
      people.count ? table(people.rows, { columns: people.columns, label: "People", limit: people.limit }) : null);
  } catch (exc) {
    fill(body, errorBox(exc));
  } finally {
    panel.removeAttribute("aria-busy");
    document.getElementById("people-close").focus();
  }
}

async function fetchPeople(source, selector) {
  const request = { selector, limit: PEOPLE_SHOWN };
  try {
    return await api("/api/people", { method: "POST", body: { ...request, result_id: source.result_id } });
  } catch (exc) {
    // A kept result expires (the server keeps the latest few); the spec gives the same people.
    if (exc instanceof ApiError && exc.status === 404 && source.spec) {
      return api("/api/people", { method: "POST", body: { ...request, spec: source.spec } });
    }
    throw exc;
  }
}

export function closePeople() {
  document.getElementById("people-panel").hidden = true;
}

/** An error as the app shows it everywhere: the API's message, then what it adds. */
export function errorBox(exc) {
  const message = exc instanceof ApiError ? exc.message : String(exc.message || exc);
  const details = exc instanceof ApiError ? exc.details : "";
  return el("div", { class: "error-box", role: "alert" },
    el("strong", {}, message), details ? el("span", {}, ` ${details}`) : null);
}
