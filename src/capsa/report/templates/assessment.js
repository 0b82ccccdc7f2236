(function () {
  "use strict";
  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) { return ""; }
    var key = cell.getAttribute("data-sort");
    return key !== null ? key : cell.textContent.trim();
  }
  function compare(a, b) {
    var x = parseFloat(a), y = parseFloat(b);
    if (!isNaN(x) && !isNaN(y) && String(x) === a && String(y) === b) { return x - y; }
    return a.localeCompare(b);
  }
  function makeSortable(table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, index) {
      th.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) {
          var result = compare(cellValue(r1, index), cellValue(r2, index));
          return ascending ? result : -result;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }
  // A row shows when its text holds the query and each chosen select value equals the
  // row's data-<key> attribute (data-severity, data-status).
  function applyFilters(box, table) {
    var input = box.querySelector("input.filter");
    var query = input ? input.value.trim().toLowerCase() : "";
    var wanted = [];
    Array.prototype.forEach.call(box.querySelectorAll("select[data-key]"), function (select) {
      if (select.value) { wanted.push([select.getAttribute("data-key"), select.value]); }
    });
    var shown = 0, total = table.tBodies[0].rows.length;
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      var match = query === "" || row.textContent.toLowerCase().indexOf(query) !== -1;
      wanted.forEach(function (pair) {
        if (row.getAttribute("data-" + pair[0]) !== pair[1]) { match = false; }
      });
      row.hidden = !match;
      if (match) { shown += 1; }
    });
    table.setAttribute("data-shown", String(shown));
    var count = box.querySelector(".shown");
    if (count) { count.textContent = shown === total ? "" : shown + " of " + total + " shown"; }
  }
  function initialFilter() {
    var params = new URLSearchParams(window.location.search);
    var value = params.get("filter");
    if (value === null && window.location.hash.indexOf("#filter=") === 0) {
      value = decodeURIComponent(window.location.hash.slice(8));
    }
    return value || "";
  }
  // Folded details open for printing (and close again after), so a PDF holds everything.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    opened = Array.prototype.filter.call(document.querySelectorAll("details"), function (d) {
      return !d.open;
    });
    opened.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (d) { d.open = false; });
    opened = [];
  });
  // A link into a folded part opens it.
  function reveal() {
    var id = decodeURIComponent(window.location.hash.slice(1));
    var target = id && document.getElementById(id);
    for (var node = target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") { node.open = true; }
    }
  }
  // On a narrow screen a table.cards row reads as a card; each cell is labelled with its
  // column's heading (copied here rather than repeated in every cell of the file).
  function labelCells(table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      Array.prototype.forEach.call(row.cells, function (cell, index) {
        if (heads[index]) { cell.setAttribute("data-label", heads[index].textContent); }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("table.cards"), labelCells);
    Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), makeSortable);
    var start = initialFilter();
    Array.prototype.forEach.call(document.querySelectorAll(".filters"), function (box) {
      var table = document.getElementById(box.getAttribute("data-table"));
      if (!table) { return; }
      var input = box.querySelector("input.filter");
      if (input) {
        input.value = start;
        input.addEventListener("input", function () { applyFilters(box, table); });
      }
      Array.prototype.forEach.call(box.querySelectorAll("select"), function (select) {
        select.addEventListener("change", function () { applyFilters(box, table); });
      });
      applyFilters(box, table);
    });
    window.addEventListener("hashchange", reveal);
    reveal();
  });
})();
