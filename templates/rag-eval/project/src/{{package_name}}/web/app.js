// The RAG demo: ask a question through POST /ask (an answer with numbered citations and the
// cited passages) and GET /search (the retrieved chunks with their scores), side by side.
"use strict";

const form = document.getElementById("ask");
const answerBox = document.getElementById("answer");
const hitsBox = document.getElementById("hits");
const examplesBox = document.getElementById("examples");

function snippet(text, length = 280) {
  const flat = text.split(/\s+/).join(" ").trim();
  return flat.length > length ? `${flat.slice(0, length)}...` : flat;
}

function showAnswer(body) {
  const citations = body.citations.map((c) =>
    demo.el(
      "li",
      { class: "citation", value: String(c.number) },
      demo.el("strong", {}, c.title || c.doc_id),
      " ",
      demo.el("span", { class: "tag" }, `${c.source} [${c.start}:${c.end}]`),
      demo.el("p", { class: "muted" }, snippet(c.text)),
    ),
  );
  answerBox.replaceChildren(
    demo.el(
      "div",
      { class: "card" },
      demo.el("h3", {}, "Answer ", demo.el("span", { class: "tag" }, body.mode)),
      demo.el("p", { class: "answer-text" }, body.answer),
      citations.length
        ? demo.el("ol", { class: "citations" }, ...citations)
        : demo.el("p", { class: "muted" }, "No passage cited."),
    ),
  );
}

function showHits(body) {
  const rows = body.hits.map((h) =>
    demo.el(
      "tr",
      {},
      demo.el("td", { class: "num" }, h.rank),
      demo.el("td", { class: "num" }, demo.format(h.score)),
      demo.el("td", {}, demo.el("strong", {}, h.title || h.doc_id), demo.el("br"), demo.el("span", { class: "tag" }, h.source)),
      demo.el("td", {}, snippet(h.text, 160)),
    ),
  );
  const head = demo.el("tr", {}, ...["rank", "score", "source", "chunk"].map((t) => demo.el("th", {}, t)));
  hitsBox.replaceChildren(
    demo.el("h3", {}, `Retrieved chunks (${body.retriever})`),
    demo.el("table", { class: "hits" }, demo.el("thead", {}, head), demo.el("tbody", {}, ...rows)),
  );
}

async function ask(question) {
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    const [answer, search] = await Promise.all([
      demo.json("ask", { method: "POST", body: JSON.stringify({ question, k: 3 }) }),
      demo.json(`search?${new URLSearchParams({ q: question, k: "5" })}`),
    ]);
    showAnswer(answer);
    showHits(search);
  } catch (error) {
    hitsBox.replaceChildren();
    demo.showError(answerBox, error);
  } finally {
    button.disabled = false;
  }
}

function askText(question) {
  form.question.value = question;
  return demo.track(ask(question));
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  askText(form.question.value);
});

async function loadExamples() {
  const body = await demo.json("examples");
  if (!body.questions.length) return;
  examplesBox.replaceChildren(
    "Try: ",
    ...body.questions.flatMap((q, i) => {
      const link = demo.el("a", { href: "#", class: "example" }, q);
      link.addEventListener("click", (event) => {
        event.preventDefault();
        askText(q);
      });
      return i ? [" · ", link] : [link];
    }),
  );
  if (demo.enabled) askText(body.questions[0]);
}

demo.track(loadExamples().catch((error) => demo.showError(examplesBox, error)));
