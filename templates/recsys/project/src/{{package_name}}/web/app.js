// The recommender's demo: pick a user, show their history (titles, most recent first) and their
// top-k recommendations with scores from the served model, through GET /users and /recommend.
"use strict";

const form = document.getElementById("recommend");
const output = document.getElementById("recommendations");
const suggestions = document.getElementById("suggestions");

function itemList(items, withScores) {
  return demo.el(
    "ol",
    {},
    ...items.map((item) =>
      demo.el(
        "li",
        {},
        item.title,
        withScores ? demo.el("span", { class: "muted" }, ` score ${demo.format(item.score)}`) : "",
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
    if (recs.source === "popularity-fallback") {
      history = demo.el("p", { class: "muted" }, "Unknown user: no history, so the most popular items are shown.");
    } else {
      const body = await demo.json(`users/${encodeURIComponent(userId)}?limit=10`);
      history = demo.el(
        "div",
        { id: "history" },
        demo.el("h3", {}, `History: ${body.interactions} items, latest ${body.items.length}`),
        itemList(body.items, false),
      );
    }
    const results = demo.el(
      "div",
      { id: "recs" },
      demo.el("h3", {}, `Top ${recs.items.length} from ${recs.source}`),
      itemList(recs.items, true),
      recs.warning ? demo.el("p", { class: "muted" }, recs.warning) : "",
    );
    output.replaceChildren(demo.el("div", { class: "card" }, history, results));
  } catch (error) {
    demo.showError(output, error);
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

demo.track(
  loadSuggestions().then((users) => {
    if (demo.enabled && users.length > 0) {
      form.user_id.value = String(users[0].user_id);
      return demo.track(recommend());
    }
    return undefined;
  }),
);
