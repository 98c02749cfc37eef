// Charts: the Plotly figure the server sends, drawn as sent with a layout fitted to its kind
// (a tall Sankey, a heatmap as high as its cohorts, room for long labels) and clicks wired.

const FONT = { family: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size: 12 };

/** Draw `figure` ({data, layout}) in `node`; `onPoint(point)` is called when a point is clicked. */
export function drawChart(node, figure, { compact = false, onPoint } = {}) {
  if (!figure || !Array.isArray(figure.data) || figure.data.length === 0) return false;
  if (typeof window.Plotly === "undefined") {
    node.textContent = "The chart library did not load.";
    return false;
  }
  const layout = fitted(figure, compact);
  const data = figure.data.map((trace) => readable(trace, Boolean(onPoint)));
  const config = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["lasso2d", "select2d"] };
  window.Plotly.newPlot(node, data, layout, config);
  if (onPoint) {
    node.on("plotly_click", (event) => {
      const point = event && event.points && event.points[0];
      if (point) onPoint(point);
    });
  }
  return true;
}

/** Small fixes to a trace as sent, for the browser. */
function readable(trace, clickable) {
  // Draggable Sankey nodes swallow clicks; a click on a node lists its people, so nodes stay put.
  if (trace.type === "sankey" && clickable) return { ...trace, arrangement: "fixed" };
  return trace;
}

function fitted(figure, compact) {
  const layout = structuredClone(figure.layout || {});
  const types = new Set(figure.data.map((t) => t.type || "scatter"));
  layout.font = { ...FONT, ...(layout.font || {}) };
  layout.autosize = true;
  layout.paper_bgcolor = "rgba(0,0,0,0)";
  layout.margin = { l: 60, r: 24, t: 56, b: 48, ...(layout.margin || {}) };
  layout.height = compact ? 300 : heightFor(figure, types);
  if (compact && layout.title) layout.title = { ...layout.title, font: { size: 13 } };
  for (const axis of ["xaxis", "yaxis"]) {
    if (types.has("sankey")) break;
    layout[axis] = { automargin: true, ...(layout[axis] || {}) };
  }
  if (types.has("heatmap")) layout.xaxis = { ...layout.xaxis, side: "top" };
  if (figure.data.length > 1 && !types.has("sankey")) {
    layout.legend = { orientation: "h", y: -0.2, ...(layout.legend || {}) };
  }
  return layout;
}

function heightFor(figure, types) {
  if (types.has("sankey")) return 520;
  if (types.has("heatmap")) {
    const rows = (figure.data[0].y || []).length;
    return Math.min(1400, Math.max(320, 24 * rows + 120));
  }
  const horizontal = figure.data.find((t) => t.orientation === "h");
  if (horizontal) return Math.min(1200, Math.max(320, 26 * (horizontal.y || []).length + 120));
  return 420;
}

/** Free a chart's Plotly state before its node is dropped. */
export function purgeCharts(root) {
  if (typeof window.Plotly === "undefined") return;
  for (const node of root.querySelectorAll(".js-plotly-plot")) window.Plotly.purge(node);
}
