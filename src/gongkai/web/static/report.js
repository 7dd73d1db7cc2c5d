// Report page: a click on a number marks where it stands in the original shown beside the tables.
(function () {
  "use strict";
  var pane = document.getElementById("original");
  var aside = document.getElementById("original-pane");
  var status = document.getElementById("src-status");
  if (!pane || !aside) return;
  var wanted = null;

  function sel(cid) {
    return '"' + CSS.escape(cid) + '"';
  }

  // "label · 第132行 …" from the list of cells under the tables.
  function describe(cid) {
    var row = document.getElementById("cell-" + cid);
    if (!row || row.cells.length < 4) return cid;
    return row.cells[0].textContent.trim() + " · " + row.cells[3].textContent.trim();
  }

  function clear(root, cls) {
    root.querySelectorAll("." + cls).forEach(function (e) { e.classList.remove(cls); });
  }

  function show(cid) {
    wanted = cid;
    clear(document, "cell-picked");
    document.querySelectorAll("#official [data-cell=" + sel(cid) + "]").forEach(function (e) {
      e.classList.add("cell-picked");
    });
    if (!pane.querySelector(".src-root")) return; // still loading: shown once it is in
    clear(pane, "src-hit");
    var hits = pane.querySelectorAll("[data-cells~=" + sel(cid) + "]");
    if (!hits.length) {
      status.textContent = aside.dataset.msgMissing + "：" + describe(cid);
      status.className = "src-missing";
      return;
    }
    hits.forEach(function (h) {
      h.classList.add("src-hit");
      var line = h.closest(".ln");
      if (line) line.classList.add("src-hit");
    });
    status.textContent = aside.dataset.msgAt + "：" + describe(cid);
    status.className = "src-found";
    // Scroll the pane only (not the page) so that the place sits in its middle.
    var box = pane.getBoundingClientRect();
    var r = hits[0].getBoundingClientRect();
    pane.scrollTop += r.top - box.top - (pane.clientHeight - r.height) / 2;
    pane.scrollLeft += r.left - box.left - Math.max(0, (pane.clientWidth - r.width) / 2);
  }

  document.addEventListener("click", function (e) {
    var t = e.target.closest("#official [data-cell], #cells tr[id^='cell-'], #findings a[href^='#cell-']");
    if (!t) return;
    var cid = t.dataset.cell || (t.tagName === "TR" ? t.id.slice(5) : t.getAttribute("href").slice(6));
    show(cid);
  });
  // Page images: boxes are placed from data-box (percentages) through the CSSOM, which the
  // Content-Security-Policy allows (it refuses style="" attributes in the markup).
  function place(root) {
    root.querySelectorAll(".src-box[data-box]").forEach(function (b) {
      var v = b.dataset.box.split(" ");
      b.style.left = v[0] + "%";
      b.style.top = v[1] + "%";
      b.style.width = v[2] + "%";
      b.style.height = v[3] + "%";
    });
    root.querySelectorAll(".src-page[data-aspect]").forEach(function (f) {
      f.style.aspectRatio = f.dataset.aspect;
    });
  }
  document.body.addEventListener("htmx:afterSettle", function (e) {
    place(e.target);
    if (e.target === pane && wanted) show(wanted);
  });
  if (location.hash.indexOf("#cell-") === 0) wanted = decodeURIComponent(location.hash.slice(6));
})();
