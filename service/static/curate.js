// Curators accept or reject alias suggestions on a term page. The write token is typed once and
// kept for the tab (sessionStorage), never in a cookie.
(function () {
  "use strict";
  const section = document.querySelector("section.curation");
  if (!section) return;
  const term = section.dataset.term;
  const tokenInput = document.getElementById("curator-token");
  tokenInput.value = sessionStorage.getItem("glossary-token") || "";
  tokenInput.addEventListener("change", () => sessionStorage.setItem("glossary-token", tokenInput.value));

  async function send(item, url, body) {
    const outcome = item.querySelector(".outcome");
    outcome.textContent = "…";
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: "Bearer " + tokenInput.value },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      outcome.textContent = (answer.error && answer.error.message) || "refused (" + response.status + ")";
      outcome.className = "outcome error";
      return;
    }
    outcome.className = "outcome done";
    item.querySelectorAll("button").forEach((b) => (b.disabled = true));
    return answer;
  }

  section.addEventListener("click", async (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    const item = button.closest(".alias-suggestion");
    const alias = item.dataset.alias;
    if (button.classList.contains("accept")) {
      const body = { alias: alias };
      if (item.dataset.merge) body.merge = item.dataset.merge;
      const done = await send(item, "/api/terms/" + encodeURIComponent(term) + "/aliases", body);
      if (done) item.querySelector(".outcome").textContent = "accepted: live once the glossary is re-matched";
    } else if (button.classList.contains("reject")) {
      const done = await send(item, "/api/suggestions/aliases/rejections", { term: term, alias: alias });
      if (done) item.querySelector(".outcome").textContent = "rejected";
    }
  });
})();
