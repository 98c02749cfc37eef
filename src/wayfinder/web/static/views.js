// The views besides Ask: the dashboard of saved questions (each asked again, as a card with its
// chart), the catalog of goals and metrics, the quarantine, and the status of the workspace.

import { api } from "./api.js";
import { renderAnswer } from "./answer.js";
import { purgeCharts } from "./charts.js";
import { el, fill, format, heading, table } from "./dom.js";
import { errorBox } from "./drill.js";

/** At most this many saved questions are asked at the same time (the server has few readers). */
const ASKING_AT_ONCE = 2;

export async function showDashboard(root, { canChange, onOpen, notify }) {
  purgeCharts(root);
  fill(root, el("p", { class: "hint" }, "Loading the dashboard…"));
  let saved;
  try {
    saved = (await api("/api/dashboard")).questions;
  } catch (exc) {
    fill(root, errorBox(exc));
    return;
  }
  if (saved.length === 0) {
    fill(root, el("p", { class: "empty" }, "No saved questions yet: ask one, then press Save."));
    return;
  }
  const cards = saved.map((item) => {
    const body = el("div", { class: "card-body", "aria-busy": "true" }, el("p", { class: "hint" }, "Asking…"));
    const remove = canChange ? el("button", {
      type: "button", class: "quiet danger", "aria-label": `Remove “${item.title}” from the dashboard`,
      onclick: async () => {
        try {
          await api(`/api/dashboard/${encodeURIComponent(item.id)}`, { method: "DELETE" });
          purgeCharts(card);
          card.remove();
          notify(`Removed “${item.title}”.`);
          if (!root.querySelector(".saved-card")) showDashboard(root, { canChange, onOpen, notify });
        } catch (exc) {
          body.prepend(errorBox(exc));
        }
      },
    }, "Remove") : null;
    const card = el("article", { class: "card saved-card", dataset: { id: item.id } },
      el("header", { class: "card-head" },
        el("h2", {}, item.title),
        el("div", { class: "card-actions" },
          el("button", { type: "button", class: "quiet", onclick: () => onOpen(item.question) }, "Open"),
          remove)),
      item.title !== item.question ? el("p", { class: "hint" }, item.question) : null,
      body);
    return { item, card, body };
  });
  fill(root, cards.map((c) => c.card));
  const queue = [...cards];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      try {
        const data = await api("/api/ask", { method: "POST", body: { question: next.item.question } });
        renderAnswer(next.body, data, { compact: true });
      } catch (exc) {
        fill(next.body, errorBox(exc));
      } finally {
        next.body.removeAttribute("aria-busy");
      }
    }
  };
  await Promise.all(Array.from({ length: ASKING_AT_ONCE }, worker));
}

export async function showCatalog(root, filterInput) {
  fill(root, el("p", { class: "hint" }, "Loading the catalog…"));
  let catalog;
  try {
    catalog = await api("/api/catalog");
  } catch (exc) {
    fill(root, errorBox(exc));
    return;
  }
  const draw = () => {
    const words = filterInput.value.trim().toLowerCase();
    const keep = (item) => !words || JSON.stringify(item).toLowerCase().includes(words);
    const entries = (items, extra) => items.filter(keep).map((g) => ({
      name: g.name, description: g.description, definition: g.definition, ...extra(g),
      synonyms: (g.synonyms || []).join(", "), defined_in: g.defined_in,
    }));
    const goals = entries(catalog.goals || [], (g) => ({ level: g.level }));
    const metrics = entries(catalog.metrics || [], (m) => ({ format: m.format }));
    const others = (catalog.other_synonyms || []).filter(keep);
    fill(root,
      el("section", { "aria-labelledby": "goals-title" },
        el("h2", { id: "goals-title" }, `Goals (${goals.length})`),
        goals.length ? table(goals, { label: "Goals", limit: goals.length }) : el("p", { class: "empty" }, "None match.")),
      el("section", { "aria-labelledby": "metrics-title" },
        el("h2", { id: "metrics-title" }, `Metrics (${metrics.length})`),
        metrics.length ? table(metrics, { label: "Metrics", limit: metrics.length }) : el("p", { class: "empty" }, "None match.")),
      others.length ? el("section", { "aria-labelledby": "synonyms-title" },
        el("h2", { id: "synonyms-title" }, "Other words Wayfinder knows"),
        table(others.map(flat), { label: "Other synonyms", limit: others.length })) : null,
      el("p", { class: "hint" }, `Defined in: ${(catalog.files || []).join(", ")}`));
  };
  filterInput.oninput = draw;
  draw();
}

function flat(item) {
  if (typeof item !== "object" || item === null) return { word: item };
  return Object.fromEntries(Object.entries(item).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : v]));
}

export async function showQuarantine(root, { reason, limit }) {
  fill(root, el("p", { class: "hint" }, "Loading the quarantine…"));
  try {
    const found = await api("/api/quarantine", { params: { reason, limit } });
    if (found.count === 0) {
      fill(root, el("p", { class: "empty" }, reason ? `Nothing quarantined for “${reason}”.` : "Nothing quarantined."));
      return;
    }
    const rows = found.rows.map(({ raw, source_file, line, ...rest }) => ({
      ...rest, source: source_file ? `${source_file.split("/").pop()}:${line ?? ""}` : null, raw,
    }));
    fill(root,
      el("p", { class: "quarantine-count" }, `${found.count.toLocaleString("en")} rows`),
      table(rows, { label: "Quarantined rows", limit: found.count, columns: ["quarantined_at", "reason", "detail", "kind", "source", "raw"] }));
  } catch (exc) {
    fill(root, errorBox(exc));
  }
}

export async function showStatus(root) {
  fill(root, el("p", { class: "hint" }, "Loading the status…"));
  try {
    const s = await api("/api/status");
    const tables = Object.entries(s.tables || {}).map(([name, rows]) => ({ table: name, rows }));
    const quarantine = Object.entries(s.quarantine || {}).map(([reason, rows]) => ({ reason, rows }));
    fill(root,
      el("dl", { class: "facts" },
        fact("Workspace", s.workspace), fact("Engine", s.engine), fact("Database", s.url),
        fact("Schema version", s.schema_version)),
      el("div", { class: "status-grid" },
        el("section", { "aria-labelledby": "tables-title" },
          el("h2", { id: "tables-title" }, "Tables"), table(tables, { label: "Tables and rows", limit: tables.length })),
        el("section", { "aria-labelledby": "identity-title" },
          el("h2", { id: "identity-title" }, "Identity"), facts(s.identity)),
        el("section", { "aria-labelledby": "collection-title" },
          el("h2", { id: "collection-title" }, "Collection"), facts(withoutNested(s.collection))),
        el("section", { "aria-labelledby": "squarantine-title" },
          el("h2", { id: "squarantine-title" }, "Quarantine by reason"),
          quarantine.length ? table(quarantine, { label: "Quarantine by reason" }) : el("p", { class: "empty" }, "Nothing quarantined."))));
  } catch (exc) {
    fill(root, errorBox(exc));
  }
}

function fact(name, value) {
  return [el("dt", {}, name), el("dd", {}, format(value))];
}

/** A moment sent as seconds since 1970 (`last_loaded_at`) as a date and time. */
function moment(key, value) {
  return /_at$/.test(key) && typeof value === "number" ? new Date(value * 1000).toISOString() : value;
}

function facts(object) {
  return el("dl", { class: "facts" }, Object.entries(object || {}).map(([k, v]) => fact(heading(k), moment(k, v))));
}

function withoutNested(object) {
  return Object.fromEntries(Object.entries(object || {}).filter(([, v]) => typeof v !== "object" || v === null));
}
