// Sortable tables: every header of a table.sortable becomes a button that sorts the rows shown
// (numbers as numbers, "—" and blanks last); keyboard-reachable, state in aria-sort.
(function () {
  "use strict";
  function key(cell) {
    var t = (cell ? cell.textContent : "").trim().replace(/[,%]/g, "");
    if (t === "" || t === "—") return null;
    var n = Number(t);
    return isNaN(n) ? t : n;
  }
  function compare(a, b, dir) {
    if (a === null && b === null) return 0;
    if (a === null) return 1;
    if (b === null) return -1;
    if (typeof a === typeof b) return (a < b ? -1 : a > b ? 1 : 0) * dir;
    return (typeof a === "number" ? -1 : 1) * dir;
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, i) {
      if (th.querySelector("button, a")) return;
      var b = document.createElement("button");
      b.type = "button";
      b.className = "sort";
      b.textContent = th.textContent;
      th.textContent = "";
      th.appendChild(b);
      b.addEventListener("click", function () {
        var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (x, y) { return compare(key(x.cells[i]), key(y.cells[i]), dir); });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
