// The demo: POST /extract with a message, show each system's JSON side by side.
"use strict";

const form = document.getElementById("extract");
const outputs = document.getElementById("outputs");
const modelNote = document.getElementById("model");
const SAMPLE = "Hi, my phone keeps restarting after the update. I need this fixed today. Thanks.";

function card(result) {
  const body = result.valid
    ? demo.el(
        "dl",
        {},
        ...Object.entries(result.label).flatMap(([key, value]) => [demo.el("dt", {}, key), demo.el("dd", { "data-field": key }, value)]),
      )
    : demo.el("p", { class: "error" }, "no valid JSON");
  return demo.el(
    "div",
    { class: "card", "data-system": result.system },
    demo.el("h3", {}, result.system),
    body,
    demo.el("pre", {}, result.output),
    demo.el("p", { class: "muted" }, `${result.stage}, ${demo.format(result.ms)} ms, ${result.tokens} tokens`),
  );
}

async function extract() {
  const text = form.text.value.trim();
  outputs.replaceChildren(demo.el("p", { class: "muted" }, "Running every system..."));
  try {
    const body = await demo.json("extract", { method: "POST", body: JSON.stringify({ text }) });
    modelNote.textContent = `Base model: ${body.model}`;
    outputs.replaceChildren(...body.results.map(card));
  } catch (error) {
    demo.showError(outputs, error);
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  demo.track(extract());
});

if (demo.enabled) {
  form.text.value = SAMPLE;
  demo.track(extract());
}
