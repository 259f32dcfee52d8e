// The registry's demo: list the models, then show one model's aliases, versions (metrics, tags,
// stage, lineage) and audit log, through GET /models, /models/{name}, /models/{name}/versions
// and /audit. On /?demo=1 it shows the example model (breast-cancer) registered by `serve`.
"use strict";

const EXAMPLE_MODEL = "breast-cancer";
const form = document.getElementById("pick");
const modelsEl = document.getElementById("models");
const detail = document.getElementById("model");
const el = demo.el;

function table(headers, rows, attrs = {}) {
  return el(
    "table",
    attrs,
    el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", {}, h)))),
    el("tbody", {}, ...rows),
  );
}

function tags(entries) {
  return entries.map(([k, v]) => el("span", { class: "tag" }, v === undefined ? k : `${k}=${v}`));
}

async function loadModels() {
  try {
    const models = await demo.json("models");
    form.model.replaceChildren(...models.map((m) => el("option", { value: m.name }, m.name)));
    if (!models.length) {
      modelsEl.replaceChildren(el("p", { class: "muted" }, "No models registered yet: see the README's register command."));
      return models;
    }
    const rows = models.map((m) =>
      el(
        "tr",
        {},
        el("td", {}, m.name),
        el("td", { class: "num" }, m.last_version),
        el("td", {}, `${m.policy.metric} (${m.policy.greater_is_better ? "higher" : "lower"} is better)`),
        el("td", {}, m.description),
      ),
    );
    modelsEl.replaceChildren(table(["model", "versions", "promotion metric", "description"], rows, { id: "model-list" }));
    return models;
  } catch (error) {
    demo.showError(modelsEl, error);
    return [];
  }
}

// Where the version came from: training run, code commit, data fingerprint (short forms, full
// value in the tooltip).
function lineage(v) {
  const parts = [
    ["run", v.run_uri, v.run_uri],
    ["commit", v.git_commit, v.git_commit && v.git_commit.slice(0, 8)],
    ["data", v.data_fingerprint, v.data_fingerprint && v.data_fingerprint.replace("sha256:", "").slice(0, 8)],
  ].filter(([, full]) => full);
  return parts.map(([label, full, short]) => el("div", { title: full }, `${label} ${short}`));
}

function versionRow(v) {
  const metrics = Object.entries(v.metrics).map(([k, x]) => `${k} ${demo.format(x)}`).join(", ");
  return el(
    "tr",
    { "data-version": v.version },
    el("td", { class: "num" }, v.version),
    el("td", {}, v.stage),
    el("td", { class: "aliases" }, ...tags(v.aliases.map((a) => [a]))),
    el("td", { class: "metrics" }, metrics),
    el("td", {}, ...tags(Object.entries(v.tags))),
    el("td", { title: v.framework || "" }, v.flavour),
    el("td", {}, v.artifact.sha256.slice(0, 12)),
    el("td", { class: "lineage" }, ...lineage(v)),
    el("td", {}, v.created_by),
  );
}

// "2026-11-30T04:52:33.446581Z" -> "2026-11-30 04:52:33" (UTC): short enough for one line.
function when(iso) {
  return iso.slice(0, 19).replace("T", " ");
}

function auditRow(e) {
  return el(
    "tr",
    { class: e.outcome === "ok" ? "" : "error" },
    el("td", {}, when(e.at)),
    el("td", {}, e.actor),
    el("td", {}, e.action),
    el("td", {}, e.version === null ? "" : `v${e.version}`),
    el("td", {}, e.outcome),
    el("td", {}, e.reason),
  );
}

async function showModel(name) {
  const path = encodeURIComponent(name);
  detail.replaceChildren(el("p", { class: "muted" }, `Loading ${name}...`));
  try {
    const [model, versions, audit] = await Promise.all([
      demo.json(`models/${path}`),
      demo.json(`models/${path}/versions`),
      demo.json(`audit?model=${path}&limit=30`),
    ]);
    const aliases = Object.entries(model.aliases).sort(([a], [b]) => a.localeCompare(b));
    detail.replaceChildren(
      el("h2", {}, model.name),
      el("p", { class: "muted" }, model.description || "", ` Created by ${model.created_by} at ${when(model.created_at)} UTC.`),
      el("h3", {}, "Aliases"),
      aliases.length
        ? el("ul", { id: "aliases" }, ...aliases.map(([a, v]) => el("li", {}, el("strong", {}, a), ` -> version ${v}`)))
        : el("p", { class: "muted" }, "No aliases yet."),
      el("h3", {}, `Versions (${versions.length})`),
      table(
        ["version", "stage", "aliases", "metrics", "tags", "flavour", "sha256", "lineage", "by"],
        versions.slice().reverse().map(versionRow),
        { id: "versions" },
      ),
      el("h3", {}, "Audit log (latest 30, newest first)"),
      table(["at (UTC)", "actor", "action", "version", "outcome", "reason"], audit.slice().reverse().map(auditRow), { id: "audit" }),
    );
  } catch (error) {
    demo.showError(detail, error);
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  demo.track(showModel(form.model.value));
});

demo.track(
  loadModels().then(async (models) => {
    if (!demo.enabled || !models.length) return;
    const names = models.map((m) => m.name);
    form.model.value = names.includes(EXAMPLE_MODEL) ? EXAMPLE_MODEL : names[0];
    await showModel(form.model.value);
  }),
);
