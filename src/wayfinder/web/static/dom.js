// Building the page from data: an element helper (text only, never HTML from the server),
// number formatting, and one table renderer that every view uses.

/** `el("p", {class: "x", onclick: f}, "text", child)`: an element; strings become text nodes. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      node.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(node.dataset, value);
    } else if (value === true) {
      node.setAttribute(name, "");
    } else {
      node.setAttribute(name, String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Empty `node` and put `children` in it. */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

// Columns that hold a share of one (rates, shares of people), shown as percentages.
const SHARE = /^(share|rate|rate_with|rate_without|conversion_rate|churn_rate|top_share|conversion_from_first|conversion_from_previous)$/;

/** Is `column` a share of one? Tables may add their own (an attribution's model columns). */
export function isShare(column) {
  return SHARE.test(column);
}

/** A value as text: shares as percentages, other numbers grouped, lists joined. */
export function format(value, share = false) {
  if (value === null || value === undefined) return "–";
  if (Array.isArray(value)) return value.map((v) => format(v)).join(" > ");
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return String(value);
    if (share) return percent(value);
    if (Number.isInteger(value)) return value.toLocaleString("en");
    if (Math.abs(value) < 0.001 && value !== 0) return value.toExponential(2);
    return value.toLocaleString("en", { maximumFractionDigits: Math.abs(value) < 10 ? 3 : 2 });
  }
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export function percent(value, digits = 1) {
  return `${(value * 100).toFixed(digits)}%`;
}

/** Column names as a marketer reads them: "conversion_from_first" -> "conversion from first". */
export function heading(column) {
  return column.replace(/_/g, " ");
}

/**
 * A table of `rows` (objects). Options: `columns` (default: every key seen), `limit` (rows shown
 * before a "Show all" button), `caption`, `shares(column)` (columns shown as percentages),
 * `selector(row)` -> a drill-down selector or null, and `onPick(row, selector)` called when a row
 * with a selector is clicked (or its People button pressed).
 */
export function table(rows, options = {}) {
  const { columns, limit = 50, caption, shares = isShare, selector, onPick, label } = options;
  const names = columns || [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const drillable = Boolean(selector && onPick);
  const head = el("tr", {},
    drillable ? el("th", { scope: "col" }, el("span", { class: "visually-hidden" }, "People")) : null,
    names.map((n) => el("th", { scope: "col" }, heading(n))));
  const body = rows.slice(0, limit).map((row) => {
    const cells = names.map((n) => {
      const value = row[n];
      return el("td", { class: typeof value === "number" ? "num" : null, title: cellTitle(value) },
        format(value, shares(n)));
    });
    if (!drillable) return el("tr", {}, cells);
    const chosen = selector(row);
    if (!chosen) return el("tr", {}, el("td"), cells);
    const pick = (event) => { event.stopPropagation(); onPick(row, chosen); };
    const button = el("button", {
      type: "button", class: "people-button", onclick: pick,
      "aria-label": `People behind ${describe(chosen)}`,
    }, "People");
    return el("tr", { class: "drillable", onclick: pick, dataset: { selector: JSON.stringify(chosen) } },
      el("td", {}, button), cells);
  });
  const wrap = el("div", { class: "table-wrap", role: "region", "aria-label": label || caption || "Table", tabindex: 0 },
    el("table", {}, caption ? el("caption", {}, caption) : null, el("thead", {}, head), el("tbody", {}, body)));
  if (rows.length <= limit) return wrap;
  const all = Math.min(rows.length, MAX_ROWS);
  const more = el("p", { class: "hint table-more" },
    `Showing ${limit} of ${rows.length.toLocaleString("en")} rows. `,
    el("button", {
      type: "button", class: "quiet",
      onclick: () => wrap.replaceWith(table(rows, { ...options, limit: all })),
    }, all < rows.length ? `Show ${all.toLocaleString("en")}` : "Show all"));
  wrap.append(more);
  return wrap;
}

/** Beyond this many rows a table would slow the page more than it helps. */
const MAX_ROWS = 2000;

function cellTitle(value) {
  const text = typeof value === "string" ? value : null;
  return text && text.length > 40 ? text : null;
}

/** A selector in words: `path = / > /cart, step = 2`. */
export function describe(selector) {
  return Object.entries(selector).map(([k, v]) => `${heading(k)} = ${format(v)}`).join(", ");
}
