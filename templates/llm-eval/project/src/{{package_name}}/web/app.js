// The report page: pick a suite and two runs, compare them through GET /api/compare, and
// filter the per-example table (regressions, improvements, errors, free text).
"use strict";

const form = document.getElementById("compare");
const gateBox = document.getElementById("gate");
const tbody = document.querySelector("#examples tbody");
const statusFilter = document.getElementById("status");
const search = document.getElementById("search");
const count = document.getElementById("count");
let suites = [];
let rows = [];
let metric = "";

function options(select, names, chosen) {
  select.replaceChildren(...names.map((name) => demo.el("option", { value: name }, name)));
  if (chosen !== undefined) select.value = chosen;
}

function fillSystems() {
  const suite = suites.find((s) => s.name === form.suite.value);
  const names = suite ? suite.systems.map((s) => s.name) : [];
  options(form.baseline, names, names[0]);
  options(form.candidate, names, names[1] ?? names[0]);
}

function status(row) {
  const failed = (side) => side.error || Object.keys(side.scorer_errors || {}).length > 0;
  if (failed(row.baseline) || failed(row.candidate)) return "error";
  if (row.delta < 0) return "worse";
  if (row.delta > 0) return "better";
  return "same";
}

function text(value) {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value.join(" | ");
  return typeof value === "string" ? value : JSON.stringify(value);
}

function inputText(input) {
  return input.question ?? input.text ?? text(input);
}

function side(result) {
  if (result.error) return demo.el("span", { class: "error" }, `error: ${result.error}`);
  const problems = Object.entries(result.scorer_errors || {}).map(([name, message]) => `${name}: ${message}`);
  if (!problems.length) return text(result.output);
  return demo.el("span", {}, text(result.output), demo.el("br"), demo.el("small", { class: "error" }, problems.join("; ")));
}

function render() {
  const wanted = statusFilter.value;
  const needle = search.value.trim().toLowerCase();
  const shown = rows.filter((row) => {
    if (wanted !== "all" && status(row) !== wanted) return false;
    if (!needle) return true;
    const hay = [row.id, text(row.input), text(row.reference), text(row.metadata), text(row.baseline.output), text(row.candidate.output)];
    return hay.join(" ").toLowerCase().includes(needle);
  });
  tbody.replaceChildren(
    ...shown.map((row) =>
      demo.el(
        "tr",
        { class: status(row), "data-id": row.id },
        demo.el("td", {}, row.id),
        demo.el("td", { class: "out" }, inputText(row.input)),
        demo.el("td", { class: "out" }, text(row.reference)),
        demo.el("td", { class: "out baseline" }, side(row.baseline)),
        demo.el("td", { class: "out candidate" }, side(row.candidate)),
        demo.el("td", { class: "num delta" }, (row.delta > 0 ? "+" : "") + demo.format(row.delta)),
      ),
    ),
  );
  count.textContent = `${shown.length} of ${rows.length} examples`;
  const tally = { better: 0, worse: 0, same: 0, error: 0 };
  for (const row of rows) tally[status(row)] += 1;
  document.getElementById("tally").textContent =
    `${tally.better} improved, ${tally.worse} regressed, ${tally.same} unchanged, ${tally.error} with errors`;
}

async function compare() {
  const query = new URLSearchParams(new FormData(form));
  try {
    const body = await demo.json(`api/compare?${query}`);
    rows = body.rows;
    metric = body.metric;
    const g = body.gate;
    gateBox.className = `card ${g.passed ? "pass" : "fail"}`;
    gateBox.replaceChildren(
      demo.el("p", {}, demo.el("strong", {}, g.passed ? "Gate: pass" : "Gate: fail, the candidate is worse beyond noise")),
      demo.el(
        "p",
        {},
        `${metric} over ${g.n} paired examples: ${body.baseline} ${demo.format(g.baseline_mean)}, ` +
          `${body.candidate} ${demo.format(g.candidate_mean)}, difference ${demo.format(g.difference)} ` +
          `(95% paired bootstrap CI ${demo.format(g.ci_low)} to ${demo.format(g.ci_high)}); ` +
          `McNemar exact p = ${demo.format(g.mcnemar_p)} (${g.only_baseline} pass only in baseline, ${g.only_candidate} only in candidate).`,
      ),
    );
    render();
  } catch (error) {
    rows = [];
    render();
    demo.showError(gateBox, error);
  }
}

async function start() {
  suites = await demo.json("api/suites");
  options(form.suite, suites.map((s) => s.name), suites[0]?.name);
  fillSystems();
  if (demo.enabled) {
    form.suite.value = suites.some((s) => s.name === "qa") ? "qa" : suites[0].name;
    fillSystems();
    await compare();
  }
}

form.suite.addEventListener("change", fillSystems);
form.addEventListener("submit", (event) => {
  event.preventDefault();
  demo.track(compare());
});
statusFilter.addEventListener("change", render);
search.addEventListener("input", render);
document.getElementById("filters").addEventListener("submit", (event) => event.preventDefault());

demo.track(start());
