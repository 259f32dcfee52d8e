// The feature store's demo: look up one entity through GET /online-features and show each
// feature's value, its age (now - event time) and its TTL status. Sample keys come from
// GET /lookup-options; on /?demo=1 the first sample is looked up.
"use strict";

const form = document.getElementById("lookup");
const output = document.getElementById("features");
const STATUS = { present: "fresh", expired: "expired", missing: "missing" };
let options = null;

function age(seconds) {
  if (seconds === null) return "";
  const s = Math.max(0, seconds);
  if (s < 120) return `${s.toFixed(0)} s`;
  if (s < 7200) return `${(s / 60).toFixed(0)} min`;
  if (s < 172800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} days`;
}

function ttl(seconds) {
  return seconds === null ? "none" : age(seconds);
}

function value(v) {
  if (v === null || v === undefined) return "-";
  return typeof v === "number" ? demo.format(v) : String(v);
}

async function loadOptions() {
  options = await demo.json("lookup-options");
  document.getElementById("join-key").textContent = options.join_key;
  const list = document.getElementById("sample-keys");
  list.replaceChildren(...options.sample_keys.map((k) => demo.el("option", { value: String(k) })));
  form.key.placeholder = `e.g. ${options.sample_keys.slice(0, 3).join(", ")}`;
}

async function lookUp() {
  try {
    if (options === null) await loadOptions();
    const query = new URLSearchParams();
    if (options.feature_service) query.append("feature_service", options.feature_service);
    else options.features.forEach((f) => query.append("features", f));
    query.append(options.join_key, form.key.value.trim());
    const body = await demo.json(`online-features?${query}`);
    const result = body.results[0];
    const rows = body.feature_names.map((name) => {
      const status = result.statuses[name];
      return demo.el(
        "tr",
        { "data-feature": name, "data-status": status },
        demo.el("td", {}, name),
        demo.el("td", { class: "num value" }, value(result.values[name])),
        demo.el("td", { class: "num age" }, age(result.ages_s[name])),
        demo.el("td", { class: "num" }, ttl(body.ttl_s[name])),
        demo.el("td", { class: "status" }, demo.el("span", { class: "tag" }, STATUS[status] || status)),
        demo.el("td", { class: "muted" }, result.event_timestamps[name] || ""),
      );
    });
    const head = demo.el(
      "tr",
      {},
      ...["feature", "value", "age", "TTL", "status", "event time (UTC)"].map((h) => demo.el("th", {}, h)),
    );
    output.replaceChildren(
      demo.el("p", { class: "card" }, `${options.join_key} = ${form.key.value.trim()}, looked up at ${body.now}`),
      demo.el("table", { class: "results" }, demo.el("thead", {}, head), demo.el("tbody", {}, ...rows)),
    );
  } catch (error) {
    demo.showError(output, error);
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  demo.track(lookUp());
});

demo.track(
  loadOptions()
    .then(() => {
      if (demo.enabled && options.sample_keys.length) {
        form.key.value = String(options.sample_keys[0]);
        return lookUp();
      }
      return undefined;
    })
    .catch((error) => demo.showError(output, error)),
);
