// The demo: POST /<task> (/extract or /classify) with a message, show each system's answer
// side by side. GET /systems says which task the app serves.
"use strict";

const form = document.getElementById("extract");
const outputs = document.getElementById("outputs");
const modelNote = document.getElementById("model");
const SAMPLES = {
  extract: "Hi, my phone keeps restarting after the update. I need this fixed today. Thanks.",
  classify: "Hello, I ordered a card ten days ago and it is not here yet. Thanks.",
};
const served = demo.json("systems");

function card(result) {
  const body = result.valid
    ? demo.el(
        "dl",
        {},
        ...Object.entries(result.label).flatMap(([key, value]) => [demo.el("dt", {}, key), demo.el("dd", { "data-field": key }, value)]),
      )
    : demo.el("p", { class: "error" }, "no valid answer");
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
    const { task } = await served;
    const body = await demo.json(task, { method: "POST", body: JSON.stringify({ text }) });
    modelNote.textContent = `Task: ${body.task}. Base model: ${body.model}`;
    outputs.replaceChildren(...body.results.map(card));
  } catch (error) {
    demo.showError(outputs, error);
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  demo.track(extract());
});

served
  .then(({ task }) => {
    document.getElementById("task-title").textContent = task === "classify" ? "Classify" : "Extract";
    if (demo.enabled) {
      form.text.value = SAMPLES[task] || SAMPLES.extract;
      demo.track(extract());
    }
  })
  .catch((error) => demo.showError(outputs, error));
