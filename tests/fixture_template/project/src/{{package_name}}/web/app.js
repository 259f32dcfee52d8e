// The fixture's demo: classify a flower through GET /predict and show the label.
"use strict";

const form = document.getElementById("predict");
const output = document.getElementById("prediction");

async function classify() {
  const query = new URLSearchParams(new FormData(form));
  try {
    const body = await demo.json(`predict?${query}`);
    output.replaceChildren(demo.el("p", { class: "card" }, "Predicted: ", demo.el("strong", {}, body.label)));
  } catch (error) {
    demo.showError(output, error);
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  demo.track(classify());
});

if (demo.enabled) {
  form.petal_length.value = "1.4";
  form.petal_width.value = "0.2";
  demo.track(classify());
}
