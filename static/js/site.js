// Progressive enhancements for readers; every page works without this file.
(function () {
  "use strict";

  // Search suggestions: fill the input's <datalist> with matching titles.
  document.querySelectorAll("input[data-suggest]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var timer = null;
    var last = "";
    if (!list || !window.fetch) return;
    input.addEventListener("input", function () {
      var query = input.value.trim();
      clearTimeout(timer);
      if (query.length < 2 || query === last) return;
      timer = setTimeout(function () {
        last = query;
        fetch(input.dataset.suggest + "?q=" + encodeURIComponent(query), {
          headers: { Accept: "application/json" },
        })
          .then(function (response) { return response.ok ? response.json() : { results: [] }; })
          .then(function (data) {
            list.replaceChildren.apply(list, data.results.map(function (item) {
              var option = document.createElement("option");
              option.value = item.title;
              return option;
            }));
          })
          .catch(function () { /* suggestions are optional */ });
      }, 200);
    });
  });

  // Filters sit behind a disclosure on narrow screens and show open on wide ones, by CSS
  // (::details-content); a browser without it gets them opened here.
  if (window.CSS && !CSS.supports("selector(::details-content)") &&
      window.matchMedia("(min-width: 48rem)").matches) {
    document.querySelectorAll("details.disclosure").forEach(function (details) {
      details.open = true;
    });
  }

  // A printed monograph shows every answer, not just the questions.
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details:not([open])").forEach(function (details) {
      details.setAttribute("open", "");
      details.dataset.openedForPrint = "";
    });
  });
  window.addEventListener("afterprint", function () {
    document.querySelectorAll("details[data-opened-for-print]").forEach(function (details) {
      details.removeAttribute("open");
      delete details.dataset.openedForPrint;
    });
  });
})();
