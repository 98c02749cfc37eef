// The API reference page: renders /openapi.json as plain HTML, so the docs need no CDN.
"use strict";

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  for (const child of children) {
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function resolve(spec, schema) {
  if (schema && schema.$ref) {
    const name = schema.$ref.split("/").pop();
    return spec.components.schemas[name] || {};
  }
  return schema || {};
}

function schemaTable(spec, schema) {
  const resolved = resolve(spec, schema);
  const props = resolved.properties || {};
  const required = new Set(resolved.required || []);
  const rows = Object.entries(props).map(([name, prop]) => {
    const p = resolve(spec, prop);
    const type = p.type || (p.anyOf || []).map((a) => resolve(spec, a).type || "object").join(" | ") || "object";
    return el("tr", {}, el("td", {}, el("code", {}, name)), el("td", {}, type),
      el("td", {}, required.has(name) ? "required" : ""), el("td", {}, p.description || ""));
  });
  return rows.length ? el("table", {}, ...rows) : el("span", {}, "");
}

async function render() {
  const target = document.getElementById("routes");
  const spec = await (await fetch("/openapi.json")).json();
  target.textContent = "";
  const groups = new Map();
  for (const [path, methods] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = (op.tags || ["other"])[0];
      if (!groups.has(tag)) groups.set(tag, []);
      groups.get(tag).push({ path, method, op });
    }
  }
  for (const [tag, routes] of groups) {
    target.append(el("h2", {}, tag));
    for (const { path, method, op } of routes) {
      const box = el("div", { class: "route" },
        el("span", { class: "method" }, method.toUpperCase()),
        el("span", { class: "path" }, path),
        el("span", { class: "summary" }, op.summary || ""));
      if (op.description) box.append(el("p", {}, op.description));
      const params = (op.parameters || []).map((p) =>
        el("tr", {}, el("td", {}, el("code", {}, p.name)), el("td", {}, p.in),
          el("td", {}, p.required ? "required" : ""), el("td", {}, p.description || "")));
      if (params.length) box.append(el("table", {}, ...params));
      const body = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
      if (body) box.append(el("div", {}, "Body:"), schemaTable(spec, body.schema));
      target.append(box);
    }
  }
}

render().catch((err) => {
  document.getElementById("routes").textContent = "Could not read /openapi.json: " + err;
});
