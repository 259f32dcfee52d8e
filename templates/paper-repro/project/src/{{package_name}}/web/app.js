// The reproduction's demo: pick a user, show their watches (latest first), the held-out next
// watch, and the top-k candidates the served model retrieves from its nearest-neighbour index
// (GET /users, /users/{id}, /recommend/{id}); or recommend for any list of watched item ids
// (POST /recommend).
"use strict";

const form = document.getElementById("recommend");
const output = document.getElementById("recommendations");
const suggestions = document.getElementById("suggestions");
const historyForm = document.getElementById("history-form");
const historyOutput = document.getElementById("history-recommendations");

function itemList(items, options = {}) {
  return demo.el(
    "ol",
    {},
    ...items.map((item) =>
      demo.el(
        "li",
        item.item_id === options.highlight ? { class: "hit" } : {},
        item.title,
        options.scores ? demo.el("span", { class: "muted" }, ` score ${demo.format(item.score)}`) : "",
        item.item_id === options.highlight ? demo.el("strong", {}, " (the held-out next watch)") : "",
      ),
    ),
  );
}

async function recommend() {
  const userId = form.user_id.value.trim();
  const k = form.k.value;
  try {
    const recs = await demo.json(`recommend/${encodeURIComponent(userId)}?k=${encodeURIComponent(k)}`);
    let history;
    let next = null;
    if (recs.source === "popularity-fallback") {
      history = demo.el("p", { class: "muted" }, "Unknown user: no watches, so the most popular items are shown.");
    } else {
      const body = await demo.json(`users/${encodeURIComponent(userId)}?limit=10`);
      next = body.next_watch || null;
      history = demo.el(
        "div",
        { id: "history" },
        demo.el("h3", {}, `Watched: ${body.watches} items, latest ${body.items.length}`),
        itemList(body.items),
      );
    }
    const verdict =
      next === null
        ? ""
        : demo.el(
            "p",
            { id: "next-watch" },
            `Held-out next watch: ${next.title}; `,
            recs.next_watch_rank
              ? demo.el("strong", {}, `ranked ${recs.next_watch_rank} of ${recs.items.length}`)
              : demo.el("strong", {}, `not in the top ${recs.items.length}`),
          );
    const results = demo.el(
      "div",
      { id: "recs" },
      demo.el("h3", {}, `Top ${recs.items.length} from ${recs.source} (${recs.index} index)`),
      verdict,
      itemList(recs.items, { scores: true, highlight: next ? next.item_id : null }),
      recs.warning ? demo.el("p", { class: "muted" }, recs.warning) : "",
    );
    output.replaceChildren(demo.el("div", { class: "card" }, history, results));
  } catch (error) {
    demo.showError(output, error);
  }
}

async function recommendForHistory() {
  const raw = historyForm.watches.value.split(/[\s,]+/).filter((s) => s !== "");
  const watches = raw.map(Number);
  if (watches.some((id) => !Number.isInteger(id))) {
    demo.showError(historyOutput, new Error("watches: item ids are whole numbers, separated by commas"));
    return;
  }
  try {
    const recs = await demo.json("recommend", {
      method: "POST",
      body: JSON.stringify({ watches, k: Number(form.k.value) || 10 }),
    });
    historyOutput.replaceChildren(
      demo.el(
        "div",
        { class: "card", id: "history-recs" },
        demo.el("h3", {}, `Top ${recs.items.length} for ${watches.length} watches`),
        itemList(recs.items, { scores: true }),
      ),
    );
  } catch (error) {
    demo.showError(historyOutput, error);
  }
}

async function loadSuggestions() {
  const body = await demo.json("users?limit=6");
  const list = document.getElementById("sample-users");
  list.replaceChildren(...body.users.map((u) => demo.el("option", { value: String(u.user_id) })));
  const buttons = body.users.map((u) => {
    const button = demo.el("button", { type: "button", class: "suggestion" }, String(u.user_id));
    button.addEventListener("click", () => {
      form.user_id.value = String(u.user_id);
      demo.track(recommend());
    });
    return button;
  });
  suggestions.replaceChildren("Try a user: ", ...buttons);
  return body.users;
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  demo.track(recommend());
});

historyForm.addEventListener("submit", (event) => {
  event.preventDefault();
  demo.track(recommendForHistory());
});

demo.track(
  loadSuggestions().then((users) => {
    if (demo.enabled && users.length > 0) {
      form.user_id.value = String(users[0].user_id);
      return demo.track(recommend());
    }
    return undefined;
  }),
);
