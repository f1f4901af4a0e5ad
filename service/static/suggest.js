// Autocomplete for the search box: an ARIA 1.2 combobox with a listbox popup.
// From two characters, debounced. The first suggestion is selected automatically (the ARIA
// "list autocomplete with automatic selection" pattern): Enter opens it, Up/Down move,
// Escape closes the list, after which Enter (or the button) searches. No library: works offline.
(function () {
  "use strict";
  var input = document.getElementById("q");
  var list = document.getElementById("suggestions");
  if (!input || !list) { return; }
  var url = input.getAttribute("data-suggest-url");
  var termUrl = input.getAttribute("data-term-url");
  var timer = null, active = -1, items = [], lastQuery = "", controller = null;

  function close() {
    list.hidden = true;
    list.innerHTML = "";
    items = [];
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function setActive(index) {
    items.forEach(function (li, i) { li.setAttribute("aria-selected", i === index ? "true" : "false"); });
    active = index;
    if (index >= 0) { input.setAttribute("aria-activedescendant", items[index].id); }
    else { input.removeAttribute("aria-activedescendant"); }
  }

  function go(li) { window.location.href = termUrl.replace("__ID__", encodeURIComponent(li.getAttribute("data-term"))); }

  function render(suggestions) {
    list.innerHTML = "";
    items = suggestions.map(function (s, i) {
      var li = document.createElement("li");
      li.id = "suggestion-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("data-term", s.term);
      li.textContent = s.label;
      if (s.label !== s.preferred) {
        var small = document.createElement("small");
        small.textContent = " → " + s.preferred;
        li.appendChild(small);
      }
      li.addEventListener("mousedown", function (e) { e.preventDefault(); go(li); });
      list.appendChild(li);
      return li;
    });
    if (items.length) {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      setActive(0);
    } else { close(); }
  }

  function fetchSuggestions() {
    var q = input.value.trim();
    if (q.length < 2) { close(); return; }
    if (q === lastQuery && items.length) { return; }
    lastQuery = q;
    if (controller) { controller.abort(); }
    controller = new AbortController();
    fetch(url + "?q=" + encodeURIComponent(q), { signal: controller.signal, headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
      .then(function (data) { if (input.value.trim() === q) { render(data.suggestions || []); } })
      .catch(function () {});
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(fetchSuggestions, 120);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown") {
      if (!items.length) { fetchSuggestions(); return; }
      e.preventDefault();
      setActive((active + 1) % items.length);
    } else if (e.key === "ArrowUp") {
      if (!items.length) { return; }
      e.preventDefault();
      setActive(active <= 0 ? items.length - 1 : active - 1);
    } else if (e.key === "Enter") {
      if (!list.hidden && active >= 0 && items[active]) { e.preventDefault(); go(items[active]); }
    } else if (e.key === "Escape") {
      if (!list.hidden) { e.preventDefault(); close(); }
    }
  });
  input.addEventListener("blur", function () { setTimeout(close, 150); });
})();
