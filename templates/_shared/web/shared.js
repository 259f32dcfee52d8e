// Shared by every scaffold demo page: small DOM and fetch helpers, the results section, and the
// `data-ready` flag that the screenshot (make demo) and the browser tests wait for.
"use strict";

const pending = [];

const demo = {
  // True on /?demo=1: the page runs its main action with a sample input, for the screenshot.
  enabled: new URLSearchParams(window.location.search).has("demo"),

  // Register work the page must finish before it counts as ready.
  track(promise) {
    pending.push(promise);
    return promise;
  },

  // GET or POST JSON; a non-2xx answer throws an Error carrying the API's `detail`.
  async json(url, options = {}) {
    const response = await fetch(url, {
      ...options,
      headers: { "content-type": "application/json", ...(options.headers || {}) },
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
      throw new Error(detail || `${response.status} ${response.statusText}`);
    }
    return body;
  },

  // Create an element: el("td", { class: "num" }, "0.61"). Text is set as text, never as HTML.
  el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    for (const child of children) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  },

  format(value) {
    return Number.isInteger(value) ? String(value) : Number(value).toPrecision(4);
  },

  // Show an error where the user looks, in place of the output.
  showError(target, error) {
    target.replaceChildren(demo.el("p", { class: "error", role: "alert" }, error.message));
  },
};

async function loadResults() {
  const section = document.getElementById("results");
  const heading = section.querySelector("h2");
  const response = await fetch("api/results");
  if (response.status === 204) {
    section.replaceChildren(heading, demo.el("p", { class: "muted" }, "No results yet: run make eval."));
    return;
  }
  if (!response.ok) {
    section.replaceChildren(heading, demo.el("p", { class: "error" }, `results: ${response.statusText}`));
    return;
  }
  const doc = await response.json();
  const metrics = [];
  for (const system of doc.systems) {
    for (const name of Object.keys(system.metrics)) if (!metrics.includes(name)) metrics.push(name);
  }
  const head = demo.el("tr", {}, demo.el("th", {}, "system"), ...metrics.map((m) => demo.el("th", {}, m)));
  const rows = doc.systems.map((system) =>
    demo.el(
      "tr",
      {},
      demo.el("td", {}, system.name),
      ...metrics.map((m) => demo.el("td", { class: "num" }, m in system.metrics ? demo.format(system.metrics[m]) : "")),
    ),
  );
  const stats = Object.entries(doc.dataset.stats).map(([k, v]) => `${v} ${k.replaceAll("_", " ")}`).join(", ");
  section.replaceChildren(
    heading,
    demo.el("p", { class: "claim" }, doc.headline.claim),
    demo.el("p", { class: "muted" }, `Dataset ${doc.dataset.name} (${stats}); generated ${doc.generated_at}.`),
    demo.el("table", { class: "results" }, demo.el("thead", {}, head), demo.el("tbody", {}, ...rows)),
    ...(doc.plots || []).map((plot) => demo.el("img", { src: `results/${encodeURIComponent(plot)}`, alt: plot })),
  );
}

demo.track(loadResults());

window.addEventListener("load", async () => {
  // Work may register more work while it runs: wait until nothing new was added.
  let seen = -1;
  while (seen !== pending.length) {
    seen = pending.length;
    await Promise.allSettled(pending);
  }
  document.body.dataset.ready = "1";
});

window.demo = demo;