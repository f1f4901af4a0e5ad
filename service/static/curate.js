// Curator tools on a term page: accept or reject alias suggestions, and review the term's
// matches (reject, confirm, undo) with buttons or the keyboard. The write token is typed once
// and kept for the tab (sessionStorage), never in a cookie.
(function () {
  "use strict";
  const tools = document.querySelector("section.curator-tools");
  if (!tools) return;
  const term = tools.dataset.term;
  const base = "/api/terms/" + encodeURIComponent(term);
  const tokenInput = document.getElementById("curator-token");
  tokenInput.value = sessionStorage.getItem("glossary-token") || "";
  tokenInput.addEventListener("change", () => sessionStorage.setItem("glossary-token", tokenInput.value));
  const undoStack = []; // fingerprints of this visit's verdicts, newest last

  async function send(item, method, url, body) {
    const outcome = item.querySelector(".outcome");
    outcome.textContent = "…";
    outcome.className = "outcome";
    const response = await fetch(url, {
      method: method,
      headers: { "Content-Type": "application/json", Authorization: "Bearer " + tokenInput.value },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = response.status === 204 ? {} : await response.json().catch(() => ({}));
    if (!response.ok) {
      outcome.textContent = (answer.error && answer.error.message) || "refused (" + response.status + ")";
      outcome.className = "outcome error";
      return null;
    }
    outcome.className = "outcome done";
    return answer;
  }

  // -- alias suggestions --------------------------------------------------------------------
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button");
    if (!button) return;
    const suggestion = button.closest(".alias-suggestion");
    if (suggestion) {
      const alias = suggestion.dataset.alias;
      if (button.classList.contains("accept")) {
        const body = { alias: alias };
        if (suggestion.dataset.merge) body.merge = suggestion.dataset.merge;
        if (await send(suggestion, "POST", base + "/aliases", body)) {
          suggestion.querySelector(".outcome").textContent = "accepted: live once the glossary is re-matched";
          suggestion.querySelectorAll("button").forEach((b) => (b.disabled = true));
        }
      } else if (button.classList.contains("reject")) {
        if (await send(suggestion, "POST", "/api/suggestions/aliases/rejections", { term: term, alias: alias })) {
          suggestion.querySelector(".outcome").textContent = "rejected";
          suggestion.querySelectorAll("button").forEach((b) => (b.disabled = true));
        }
      }
      return;
    }
    const passage = button.closest("li.passage");
    if (passage && button.classList.contains("reject-match")) await verdict(passage, "reject");
    if (passage && button.classList.contains("confirm-match")) await verdict(passage, "confirm");
    const rejected = button.closest("li.rejected-match");
    if (rejected && button.classList.contains("undo-verdict")) {
      if (await send(rejected, "DELETE", base + "/reviews/" + rejected.dataset.fingerprint)) {
        rejected.querySelector(".outcome").textContent = "undone: counts again once re-matched";
      }
    }
    if (rejected && button.classList.contains("to-no-match")) {
      if (await send(rejected, "POST", base + "/reviews/" + rejected.dataset.fingerprint + "/no-match")) {
        rejected.querySelector(".outcome").textContent = "added to the term's no_match examples";
      }
    }
  });

  // -- reviewing matches --------------------------------------------------------------------
  async function verdict(passage, kind) {
    const done = await send(passage, "POST", base + "/reviews", { passage: passage.dataset.passage, verdict: kind });
    if (!done) return;
    passage.classList.remove("rejected", "confirmed");
    passage.classList.add(kind === "reject" ? "rejected" : "confirmed");
    passage.querySelector(".outcome").textContent =
      kind === "reject" ? "rejected: left out of the counts once re-matched (u: undo)" : "confirmed";
    undoStack.push(passage);
  }

  async function undo() {
    const passage = undoStack.pop();
    if (!passage) return;
    if (await send(passage, "DELETE", base + "/reviews/" + passage.dataset.fingerprint)) {
      passage.classList.remove("rejected", "confirmed");
      passage.querySelector(".outcome").textContent = "undone";
      passage.focus();
    }
  }

  const toggle = document.getElementById("review-mode");
  toggle.addEventListener("change", () => {
    document.body.classList.toggle("reviewing", toggle.checked);
    const first = document.querySelector("li.passage");
    if (toggle.checked && first) first.focus();
  });

  document.addEventListener("keydown", async (event) => {
    if (!toggle.checked || event.target.matches("input, textarea") || event.ctrlKey || event.metaKey || event.altKey) return;
    const passages = Array.from(document.querySelectorAll("li.passage"));
    const current = document.activeElement.closest ? document.activeElement.closest("li.passage") : null;
    const at = passages.indexOf(current);
    if (event.key === "j" || event.key === "ArrowDown") {
      event.preventDefault();
      (passages[at + 1] || passages[passages.length - 1]).focus();
    } else if (event.key === "k" || event.key === "ArrowUp") {
      event.preventDefault();
      (passages[Math.max(at - 1, 0)] || passages[0]).focus();
    } else if (event.key === "r" && current) {
      await verdict(current, "reject");
    } else if (event.key === "c" && current) {
      await verdict(current, "confirm");
    } else if (event.key === "u") {
      await undo();
    }
  });
})();
