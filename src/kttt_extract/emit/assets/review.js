"use strict";
(function () {
  var dataNode = document.getElementById("kttt-data");
  var data = dataNode ? JSON.parse(dataNode.textContent) : { items: {} };
  var items = data.items || {};
  var pop = document.getElementById("pop");
  var pinned = null;

  function fold(s) {
    return String(s).normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[đĐ]/g, "d").toLowerCase();
  }

  // tabs
  var tabs = document.querySelectorAll(".tabs button[data-tab]");
  tabs.forEach(function (tab) {
    tab.addEventListener("click", function () { showTab(tab.dataset.tab); });
  });
  function showTab(name) {
    tabs.forEach(function (t) {
      var on = t.dataset.tab === name;
      t.setAttribute("aria-selected", on ? "true" : "false");
      var panel = document.getElementById("panel-" + t.dataset.tab);
      if (panel) { panel.hidden = !on; }
    });
  }

  // tables: sort by a header, filter by words, jump to the text from a row
  document.querySelectorAll(".panel").forEach(function (panel) {
    var table = panel.querySelector("table.data");
    var input = panel.querySelector("input.filter");
    var count = panel.querySelector(".count");
    if (!table) { return; }
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.forEach(function (row) { row.dataset.folded = fold(row.textContent); });
    function refresh() {
      var words = input ? fold(input.value).split(/\s+/).filter(Boolean) : [];
      var shown = 0;
      rows.forEach(function (row) {
        var ok = words.every(function (w) { return row.dataset.folded.indexOf(w) >= 0; });
        row.hidden = !ok;
        if (ok) { shown += 1; }
      });
      if (count) { count.textContent = shown + " / " + rows.length; }
    }
    if (input) { input.addEventListener("input", refresh); }
    refresh();
    table.querySelectorAll("thead th").forEach(function (th, col) {
      th.addEventListener("click", function () {
        var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        table.querySelectorAll("thead th").forEach(function (o) { o.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
        var keyed = rows.map(function (row, i) { return [sortKey(row.cells[col]), i, row]; });
        keyed.sort(function (a, b) { return compare(a[0], b[0]) * dir || a[1] - b[1]; });
        keyed.forEach(function (k) { body.appendChild(k[2]); });
      });
    });
    body.addEventListener("click", function (ev) {
      var row = ev.target.closest("tr[data-goto]");
      if (!row || ev.target.closest("a")) { return; }
      goTo(row.dataset.goto, row);
    });
    body.querySelectorAll("a.goto").forEach(function (a) {
      a.addEventListener("click", function (ev) {
        ev.preventDefault();
        goTo(a.closest("tr").dataset.goto, a.closest("tr"));
      });
    });
  });

  function sortKey(cell) {
    if (!cell) { return ""; }
    var v = cell.dataset.v !== undefined ? cell.dataset.v : cell.textContent.trim();
    return v;
  }
  function compare(a, b) {
    if (a === "" || b === "") { return a === b ? 0 : (a === "" ? 1 : -1); }
    var x = Number(a), y = Number(b);
    if (!isNaN(x) && !isNaN(y)) { return x - y; }
    return fold(a).localeCompare(fold(b), "vi");
  }

  function goTo(id, row) {
    var el = id ? document.getElementById(id) : null;
    document.querySelectorAll("tr.current").forEach(function (r) { r.classList.remove("current"); });
    if (row) { row.classList.add("current"); }
    if (!el) { return; }
    el.scrollIntoView({ block: "center" });
    el.classList.remove("flash");
    void el.offsetWidth;
    el.classList.add("flash");
    showPop(el);
  }

  // the legend: show or hide a kind of highlight
  var doc = document.getElementById("doc");
  document.querySelectorAll(".legend input[data-kind]").forEach(function (box) {
    box.addEventListener("change", function () {
      if (doc) { doc.classList.toggle("hide-" + box.dataset.kind, !box.checked); }
    });
  });

  // hovering or clicking a highlight shows what was read there
  function itemOf(el) { return el.dataset.item || el.dataset.partOf; }
  function showPop(el) {
    var info = items[itemOf(el)];
    if (!info || !pop) { return; }
    while (pop.firstChild) { pop.removeChild(pop.firstChild); }
    var h = document.createElement("h3");
    h.textContent = info.title;
    pop.appendChild(h);
    var dl = document.createElement("dl");
    var rows = (info.rows || []).slice();
    if (info.mentions && el.dataset.m !== undefined) {
      rows = rows.concat(info.mentions[Number(el.dataset.m)] || []);
    }
    rows.forEach(function (pair) {
      if (pair[1] === "" || pair[1] === null) { return; }
      var dt = document.createElement("dt");
      dt.textContent = pair[0];
      var dd = document.createElement("dd");
      dd.textContent = pair[1];
      dl.appendChild(dt);
      dl.appendChild(dd);
    });
    pop.appendChild(dl);
    pop.hidden = false;
    var r = el.getBoundingClientRect();
    var top = r.bottom + 6;
    if (top + pop.offsetHeight > window.innerHeight) { top = Math.max(4, r.top - pop.offsetHeight - 6); }
    pop.style.top = top + "px";
    pop.style.left = Math.max(4, Math.min(r.left, window.innerWidth - pop.offsetWidth - 8)) + "px";
  }
  function hidePop() { if (pop && !pinned) { pop.hidden = true; } }
  if (doc) {
    doc.addEventListener("mouseover", function (ev) {
      var el = ev.target.closest(".hl");
      if (el && !pinned) { showPop(el); }
    });
    doc.addEventListener("mouseout", function (ev) {
      if (ev.target.closest(".hl")) { hidePop(); }
    });
    doc.addEventListener("click", function (ev) {
      var el = ev.target.closest(".hl");
      if (pinned) { pinned.classList.remove("pinned"); }
      pinned = el && el !== pinned ? el : null;
      if (pinned) { pinned.classList.add("pinned"); showPop(pinned); } else { hidePop(); }
    });
  }
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") {
      if (pinned) { pinned.classList.remove("pinned"); }
      pinned = null;
      hidePop();
    }
  });
})();
