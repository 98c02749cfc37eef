// The app's shell: logging in with a token, the workspace switcher, the views behind the
// navigation (#ask, #dashboard, #catalog, #quarantine, #status), and the ask box.

import { api, ApiError, session, whenUnauthorised } from "./api.js";
import { renderAnswer } from "./answer.js";
import { purgeCharts } from "./charts.js";
import { el, fill } from "./dom.js";
import { closePeople, errorBox } from "./drill.js";
import { showCatalog, showDashboard, showQuarantine, showStatus } from "./views.js";

const $ = (id) => document.getElementById(id);
const VIEWS = ["ask", "dashboard", "catalog", "quarantine", "status"];
const ROLES = ["viewer", "analyst", "admin"];

const state = { me: null, asked: null };

// -- messages --------------------------------------------------------------------------------
function showError(exc) {
  const box = $("error");
  fill(box, errorBox(exc), el("button", { type: "button", class: "quiet", onclick: () => { box.hidden = true; } }, "Dismiss"));
  box.hidden = false;
}

function clearError() { $("error").hidden = true; }

let noticeTimer = null;
function notify(text) {
  const box = $("notice");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => { box.hidden = true; }, 4000);
}

// -- logging in ------------------------------------------------------------------------------
async function logIn(token) {
  session.token = token;
  // No ?workspace= yet: the one kept from an earlier token may not be this token's.
  const me = await api("/api/me", { workspace: "" });
  const readable = await api("/api/workspaces", { workspace: "" });
  state.me = me;
  const names = readable.length ? readable : [me.workspace];
  const stored = session.workspace;
  session.workspace = names.includes(stored) ? stored : names.includes(me.workspace) ? me.workspace : names[0];
  fill($("workspace"), names.map((n) => el("option", { value: n }, n)));
  $("workspace").value = session.workspace;
  $("who").textContent = `${me.name || me.key_id} · ${me.role}`;
  const analyst = atLeast("analyst");
  $("save-button").title = analyst ? "Save this question to the dashboard" : "Saving needs the analyst role";
  for (const node of document.querySelectorAll('[data-view="quarantine"]')) node.hidden = !analyst;
  $("login").hidden = true;
  $("nav").hidden = false;
  $("session").hidden = false;
  route();
}

function logOut(message) {
  session.clear();
  state.me = null;
  state.asked = null;
  for (const view of VIEWS) $(`view-${view}`).hidden = true;
  purgeCharts(document.body);
  fill($("answer"));
  fill($("dashboard"));
  closePeople();
  clearError();
  $("nav").hidden = true;
  $("session").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
  // The next person at this screen starts clean: no question, filter or token left behind.
  for (const id of ["token", "question", "quarantine-reason", "catalog-filter"]) $(id).value = "";
  $("token").focus();
}

function atLeast(role) {
  return state.me !== null && ROLES.indexOf(state.me.role) >= ROLES.indexOf(role);
}

// -- views -----------------------------------------------------------------------------------
function currentView() {
  const name = window.location.hash.replace("#", "");
  return VIEWS.includes(name) ? name : "ask";
}

function route() {
  if (!state.me) return;
  const view = currentView();
  clearError();
  for (const name of VIEWS) $(`view-${name}`).hidden = name !== view;
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.dataset.view === view) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (view === "ask") $("question").focus();
  if (view === "dashboard") {
    showDashboard($("dashboard"), { canChange: atLeast("analyst"), onOpen: openInAsk, notify });
  }
  if (view === "catalog") showCatalog($("catalog"), $("catalog-filter"));
  if (view === "quarantine") showQuarantine($("quarantine"), quarantineFilter());
  if (view === "status") showStatus($("status"));
}

function quarantineFilter() {
  return { reason: $("quarantine-reason").value.trim(), limit: $("quarantine-limit").value || 100 };
}

function openInAsk(question) {
  $("question").value = question;
  if (currentView() !== "ask") window.location.hash = "#ask";
  ask(question);
}

// -- asking ----------------------------------------------------------------------------------
async function ask(question) {
  const text = question.trim();
  if (!text) return;
  $("question").value = text;
  const answer = $("answer");
  const button = $("ask-button");
  button.disabled = true;
  $("save-button").disabled = true;
  answer.setAttribute("aria-busy", "true");
  closePeople();
  clearError();
  purgeCharts(answer);
  fill(answer, el("p", { class: "hint thinking" }, `Asking “${text}”…`));
  try {
    const data = await api("/api/ask", { method: "POST", body: { question: text } });
    state.asked = data;
    renderAnswer(answer, data, { onAsk: (q) => ask(q) });
    $("save-button").disabled = !atLeast("analyst") || data.status !== "answered";
  } catch (exc) {
    state.asked = null;
    fill(answer, errorBox(exc));
  } finally {
    button.disabled = false;
    answer.removeAttribute("aria-busy");
  }
}

async function save() {
  if (!state.asked) return;
  try {
    const item = await api("/api/dashboard", { method: "POST", body: { question: state.asked.question } });
    notify(`Saved “${item.title}” to the dashboard.`);
  } catch (exc) {
    showError(exc);
  }
}

// -- wiring ----------------------------------------------------------------------------------
function wire() {
  whenUnauthorised((exc) => logOut(`Logged out: ${exc.message}.`));
  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("login-error").textContent = "";
    try {
      await logIn($("token").value.trim());
    } catch (exc) {
      const message = exc instanceof ApiError ? `${exc.message}. ${exc.details}` : String(exc);
      session.clear();
      $("login-error").textContent = message.trim();
    }
  });
  $("logout").addEventListener("click", () => logOut("Logged out."));
  $("workspace").addEventListener("change", () => {
    session.workspace = $("workspace").value;
    state.asked = null;
    purgeCharts($("answer"));
    fill($("answer"));
    $("save-button").disabled = true;
    closePeople();
    notify(`Workspace ${session.workspace}.`);
    route();
  });
  $("ask-form").addEventListener("submit", (event) => {
    event.preventDefault();
    ask($("question").value);
  });
  $("save-button").addEventListener("click", save);
  $("people-close").addEventListener("click", closePeople);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") closePeople();
  });
  $("dashboard-refresh").addEventListener("click", route);
  $("status-refresh").addEventListener("click", route);
  $("quarantine-form").addEventListener("submit", (event) => {
    event.preventDefault();
    showQuarantine($("quarantine"), quarantineFilter());
  });
  window.addEventListener("hashchange", route);
}

async function start() {
  wire();
  if (!session.token) {
    logOut();
    return;
  }
  try {
    await logIn(session.token);
  } catch (exc) {
    logOut(exc.message);
  }
}

start();
