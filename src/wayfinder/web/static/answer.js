// One answer on the page: the answer in words, how the question was read (each understood part
// with its words and method), a clarification's options, the chart, the why, and the tables.

import { drawChart } from "./charts.js";
import { describe, el, fill, format, heading, isShare, percent, table } from "./dom.js";
import { pointSelector, rowSelector, showPeople } from "./drill.js";

const STATUS = {
  answered: "Answer",
  clarify: "Needs a clarification",
  refused: "Not answered",
  not_available: "Not available yet",
  failed: "Could not run",
};

/**
 * Fill `container` with the answer `data` (POST /api/ask). `onAsk(question)` asks again (an
 * option, a suggestion); `compact` shows only the answer and its chart (dashboard cards).
 */
export function renderAnswer(container, data, { onAsk, compact = false } = {}) {
  const result = data.result;
  const source = { result_id: data.result_id, spec: data.spec };
  const chart = result && hasPoints(result.chart)
    ? el("div", { class: "chart", role: "figure", "aria-label": chartTitle(result.chart) })
    : null;
  const sections = compact
    ? [summary(data), chart]
    : [
      summary(data),
      interpretation(data),
      options(data, onAsk),
      suggestions(data, onAsk),
      chart ? el("section", { class: "chart-section", "aria-label": "Chart" }, chart,
        el("p", { class: "hint" }, "Click a part of the chart to see the people behind it.")) : null,
      why(data, result, source),
      tables(result, source),
      provenance(result),
    ];
  fill(container, el("article", { class: `answer-card status-${data.status}`, dataset: { status: data.status } }, sections));
  if (chart) {
    drawChart(chart, result.chart, {
      compact,
      onPoint: compact ? null : (point) => {
        const selector = pointSelector(result, point);
        if (selector) showPeople(source, selector);
      },
    });
  }
}

/** Does the figure draw anything? An empty Sankey or line would be a blank box. */
function hasPoints(figure) {
  const traces = (figure && figure.data) || [];
  return traces.some((t) => {
    if (t.type === "sankey") return Boolean(t.node && t.node.label && t.node.label.length);
    return ["x", "y", "z", "values"].some((axis) => Array.isArray(t[axis]) && t[axis].length);
  });
}

function chartTitle(figure) {
  const title = figure.layout && figure.layout.title;
  return (title && (title.text || title)) || "Chart";
}

function summary(data) {
  return el("header", { class: "answer-head" },
    el("span", { class: `badge badge-${data.status}` }, STATUS[data.status] || data.status),
    el("p", { class: "answer-text" }, data.answer),
    data.focus && data.focus.length
      ? el("ul", { class: "focus", "aria-label": "About what the question names" }, data.focus.map((f) => el("li", {}, f)))
      : null);
}

function interpretation(data) {
  const reading = data.interpretation || {};
  const confidence = reading.confidence ?? 0;
  const evidence = reading.evidence || [];
  return el("section", { class: "interpretation", "aria-labelledby": "reading-title" },
    el("h2", { id: "reading-title" }, "How I read the question"),
    el("p", { class: "restatement" }, data.restatement),
    evidence.length
      ? el("ul", { class: "chips", "aria-label": "Understood parts" }, evidence.map(chip))
      : null,
    listOf("Assumed", reading.defaults, "defaults"),
    listOf("Not applied", reading.not_applied, "not-applied"),
    listOf("Words not used", reading.unused_words, "unused"),
    el("p", { class: `confidence${confidence < 0.6 ? " low" : ""}` },
      el("label", { for: "confidence-meter" }, "Confidence "),
      el("meter", { id: "confidence-meter", min: 0, max: 1, low: 0.6, optimum: 1, value: confidence }),
      ` ${percent(confidence, 0)}`,
      reading.source === "llm" ? " (read by the language model)" : ""));
}

/** One understood part: the words, the value they gave, the slot and how they were matched. */
function chip(e) {
  const method = e.method === "fuzzy" && e.score !== null && e.score !== undefined
    ? `fuzzy ${Math.round(e.score)}` : e.method;
  return el("li", { class: `chip method-${e.method}`, title: e.linked ? `links to ${e.linked}` : null },
    el("span", { class: "chip-slot" }, heading(e.slot)),
    el("span", { class: "chip-words" }, `“${e.words}”`),
    el("span", { class: "chip-arrow", "aria-hidden": "true" }, " → "),
    el("span", { class: "visually-hidden" }, " means "),
    el("span", { class: "chip-value" }, format(e.value)),
    el("span", { class: "chip-method" }, method));
}

function listOf(title, items, name) {
  if (!items || items.length === 0) return null;
  return el("div", { class: `reading-list ${name}` },
    el("span", { class: "reading-label" }, `${title}: `),
    el("ul", { class: "inline-list" }, items.map((i) => el("li", {}, i))));
}

function options(data, onAsk) {
  if (!data.options || data.options.length === 0) return null;
  return el("section", { class: "options", "aria-labelledby": "options-title" },
    el("h2", { id: "options-title" }, "Which did you mean?"),
    el("div", { class: "option-buttons" }, data.options.map((o) =>
      el("button", { type: "button", class: "option", title: o.question, onclick: () => onAsk && onAsk(o.question) },
        o.label, el("small", {}, o.question)))));
}

function suggestions(data, onAsk) {
  if (!data.suggestions || data.suggestions.length === 0) return null;
  return el("section", { class: "suggestions", "aria-labelledby": "suggestions-title" },
    el("h2", { id: "suggestions-title" }, "You could ask instead"),
    el("div", { class: "option-buttons" }, data.suggestions.map((s) =>
      el("button", { type: "button", class: "suggestion", onclick: () => onAsk && onAsk(s) }, s))));
}

function why(data, result, source) {
  const reasons = data.why || [];
  if (!result || reasons.length === 0) return null;
  return el("section", { class: "why", "aria-labelledby": "why-title" },
    el("h2", { id: "why-title" }, "Why"),
    el("ol", { class: "reasons" }, reasons.map((r) => el("li", { class: `reason claim-${r.claim}` },
      el("p", { class: "reason-sentence" }, r.sentence),
      el("div", { class: "reason-actions" },
        el("span", { class: "tag" }, r.claim),
        r.people ? el("button", {
          type: "button", class: "people-button",
          onclick: () => showPeople(source, r.people, `Behind: ${r.sentence}`),
          "aria-label": `People behind ${describe(r.people)}`,
        }, "People behind this") : null),
      r.experiment ? el("p", { class: "experiment" }, el("strong", {}, "Suggested experiment: "), r.experiment) : null,
      evidence(r.evidence)))));
}

function evidence(figures) {
  const entries = Object.entries(figures || {});
  if (entries.length === 0) return null;
  return el("details", { class: "evidence" },
    el("summary", {}, "Evidence"),
    el("dl", {}, entries.map(([k, v]) => [
      el("dt", {}, heading(k)),
      el("dd", {}, format(v, typeof v === "number" && /share|rate/.test(k))),
    ])));
}

function tables(result, source) {
  if (!result) return null;
  const onPick = (row, selector) => showPeople(source, selector);
  const rows = result.rows || [];
  const main = rows.length === 0 ? el("p", { class: "empty" }, "No rows.") : table(rows, {
    caption: "The result", label: "Result table", columns: columnsOf(result),
    shares: sharesOf(result),
    selector: (row) => rowSelector(result, "main", row), onPick,
  });
  const extra = Object.entries(result.tables || {}).filter(([, rows]) => rows && rows.length);
  return el("section", { class: "result-tables", "aria-labelledby": "table-title" },
    el("h2", { id: "table-title" }, "Result"),
    result.interpretation ? el("p", { class: "hint" }, result.interpretation) : null,
    main,
    extra.map(([name, rows]) => lazyTable(name, rows, result, onPick)));
}

/** The main table's columns; a path's items repeat its text, so they are left out. */
function columnsOf(result) {
  const names = [...new Set((result.rows || []).flatMap((r) => Object.keys(r)))];
  return result.kind === "paths" ? names.filter((n) => n !== "items") : names;
}

/** The attribution table holds each model's share of credit; elsewhere the usual share columns. */
function sharesOf(result) {
  if (result.kind !== "attribution") return isShare;
  const by = (result.spec && result.spec.by) || [];
  const dim = by.join("/");
  return (column) => column !== dim && column !== "journeys" && !by.includes(column);
}

function lazyTable(name, rows, result, onPick) {
  const body = el("div");
  const details = el("details", { class: "more-table" },
    el("summary", {}, `${heading(name)} (${rows.length.toLocaleString("en")} rows)`), body);
  details.addEventListener("toggle", () => {
    if (!details.open || body.childElementCount) return;
    body.append(table(rows, {
      label: heading(name), selector: (row) => rowSelector(result, name, row), onPick,
    }));
  });
  return details;
}

function provenance(result) {
  if (!result || !result.provenance) return null;
  const p = result.provenance;
  return el("footer", { class: "provenance" },
    `${result.kind} on ${p.engine}, workspace ${p.workspace}: ${format(p.rows_scanned)} rows read in ${p.duration_seconds} s, ${p.ran_at}.`);
}
