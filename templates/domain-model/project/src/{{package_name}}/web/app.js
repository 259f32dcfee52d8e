// The demo: build a form from GET /model, fill it with an example case, POST /predict and show
// the probability, the decision and the top feature contributions.
"use strict";

const form = document.getElementById("predict");
const fields = document.getElementById("fields");
const examples = document.getElementById("examples");
const output = document.getElementById("prediction");
let model = null;

function buildForm(info) {
  fields.replaceChildren(
    ...info.features.map((feature) => {
      let input;
      if (feature.type === "text") {
        input = demo.el("textarea", { name: feature.name, rows: "4", required: "" });
      } else if (feature.type === "category") {
        input = demo.el("select", { name: feature.name }, demo.el("option", { value: "" }, "(missing)"),
          ...feature.levels.map((level) => demo.el("option", { value: level }, level)));
      } else {
        input = demo.el("input", { name: feature.name, type: "number", step: "any" });
      }
      return demo.el("label", {}, feature.name, " ", input);
    }),
  );
}

function fill(row) {
  for (const [name, value] of Object.entries(row)) {
    const input = form.elements.namedItem(name);
    if (input) input.value = value === null ? "" : String(value);
  }
}

function readForm() {
  const row = {};
  for (const feature of model.features) {
    const raw = form.elements.namedItem(feature.name).value;
    if (feature.type === "number") row[feature.name] = raw === "" ? null : Number(raw);
    else if (feature.type === "category") row[feature.name] = raw === "" ? null : raw;
    else row[feature.name] = raw;
  }
  return row;
}

async function predict() {
  try {
    const body = await demo.json("predict", { method: "POST", body: JSON.stringify(readForm()) });
    const bars = body.contributions.map((c) =>
      demo.el("tr", {}, demo.el("td", {}, c.feature), demo.el("td", { class: "num" }, c.value === null ? "missing" : String(c.value)),
        demo.el("td", { class: "num" }, (c.effect > 0 ? "+" : "") + c.effect.toFixed(3))),
    );
    output.replaceChildren(
      demo.el("p", { class: "card" }, "Probability of ", model.positive_label, ": ",
        demo.el("strong", { id: "probability" }, body.probability.toFixed(3)),
        ` (threshold ${body.threshold.toFixed(3)}): `, demo.el("strong", { id: "decision" }, body.label)),
      demo.el("table", { class: "results", id: "contributions" },
        demo.el("thead", {}, demo.el("tr", {}, demo.el("th", {}, "feature"), demo.el("th", {}, "value"), demo.el("th", {}, "effect on score (before calibration)"))),
        demo.el("tbody", {}, ...bars)),
    );
  } catch (error) {
    demo.showError(output, error);
  }
}

async function start() {
  try {
    model = await demo.json("model");
  } catch (error) {
    demo.showError(examples, error);
    return;
  }
  buildForm(model);
  document.getElementById("model-version").textContent = `Model ${model.version}: ${model.card.model}, trained on ${model.card.rows} rows of ${model.card.data}.`;
  examples.replaceChildren("Examples: ",
    ...model.examples.map((example, i) => {
      const button = demo.el("button", { type: "button", "data-example": String(i) }, example.name);
      button.addEventListener("click", () => { fill(example.row); demo.track(predict()); });
      return button;
    }),
  );
  fill(model.examples[0].row);
  if (demo.enabled) await predict();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  demo.track(predict());
});

demo.track(start());
