// The live board: GPUs and the queue, refreshed every second; submit the demo training job
// through POST /jobs/demo, cancel through POST /jobs/{id}/cancel, read logs from /jobs/{id}/logs.
"use strict";

const form = document.getElementById("submit");
const submitted = document.getElementById("submitted");
const gpuBoard = document.getElementById("gpus");
const jobRows = document.querySelector("#jobs tbody");
const logs = document.getElementById("logs");
const logJob = document.getElementById("log-job");
let selected = null;

async function refreshGpus() {
  const body = await demo.json("gpus");
  document.getElementById("inventory").textContent = body.inventory;
  gpuBoard.replaceChildren(
    ...body.gpus.map((gpu) =>
      demo.el(
        "div",
        { class: gpu.job ? "gpu busy" : "gpu", "data-gid": String(gpu.gid) },
        demo.el("strong", {}, `GPU ${gpu.gid}`),
        ` node ${gpu.node}, index ${gpu.index}`,
        demo.el("br"),
        gpu.job ? `job ${gpu.job}` : "free",
      ),
    ),
  );
}

function cancelButton(job) {
  if (job.state !== "PENDING" && job.state !== "RUNNING") return "";
  const button = demo.el("button", { type: "button", class: "cancel" }, "cancel");
  button.addEventListener("click", (event) => {
    event.stopPropagation();
    demo.json(`jobs/${job.id}/cancel`, { method: "POST" }).then(refresh, (error) => demo.showError(submitted, error));
  });
  return button;
}

async function refreshJobs() {
  const jobs = await demo.json("jobs?limit=50");
  jobRows.replaceChildren(
    ...jobs.map((job) => {
      const row = demo.el(
        "tr",
        { "data-job": job.id },
        demo.el("td", {}, demo.el("code", {}, job.id)),
        demo.el("td", {}, job.spec.name),
        demo.el("td", {}, job.spec.user),
        demo.el("td", { class: `state-${job.state}` }, job.state),
        demo.el("td", { class: "num" }, String(job.attempt)),
        demo.el("td", {}, job.gpus.length ? job.gpus.join(",") : `(${job.spec.gpus})`),
        demo.el("td", { class: "num" }, String(job.spec.priority)),
        demo.el("td", {}, cancelButton(job)),
      );
      row.addEventListener("click", () => {
        selected = job.id;
        demo.track(refreshLogs());
      });
      return row;
    }),
  );
}

async function refreshLogs() {
  if (!selected) return;
  const body = await demo.json(`jobs/${selected}/logs?tail=40`);
  logJob.textContent = `job ${selected}, attempt ${body.attempt}`;
  logs.textContent = body.lines.length ? body.lines.join("\n") : "(no output yet)";
}

async function refresh() {
  await Promise.all([refreshGpus(), refreshJobs(), refreshLogs()]);
}

async function submitDemo(values) {
  try {
    const job = await demo.json("jobs/demo", { method: "POST", body: JSON.stringify(values) });
    selected = job.id;
    submitted.replaceChildren(demo.el("p", { class: "card" }, "Submitted job ", demo.el("code", {}, job.id), ` (${job.spec.name}).`));
    await refresh();
    return job;
  } catch (error) {
    demo.showError(submitted, error);
    return null;
  }
}

function formValues() {
  const data = new FormData(form);
  const values = {
    epochs: Number(data.get("epochs")),
    gpus: Number(data.get("gpus")),
    priority: Number(data.get("priority")),
    user: String(data.get("user")),
  };
  if (data.get("fail_at_epoch")) values.fail_at_epoch = Number(data.get("fail_at_epoch"));
  return values;
}

// On /?demo=1: submit a job and count the page ready once it holds a GPU and has logged epochs.
async function runDemo() {
  const job = await submitDemo({ epochs: 40, gpus: 2, priority: 1, user: "demo", sleep_s: 0.25 });
  if (!job) return;
  for (let i = 0; i < 100; i += 1) {
    await refresh();
    if (logs.textContent.includes("val_accuracy")) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  demo.track(submitDemo(formValues()));
});

demo.track(refresh());
setInterval(() => refresh().catch(() => {}), 1000);
if (demo.enabled) demo.track(runDemo());
