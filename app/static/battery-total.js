// The position form: the total time of the chosen modules, updated as HR ticks them.
// Without JavaScript the server prints the total of the saved selection.
(function () {
  "use strict";
  var total = document.getElementById("battery-total");
  if (!total) { return; }
  var boxes = document.querySelectorAll("input[name=questionnaires][data-seconds]");
  function update() {
    var seconds = 0;
    boxes.forEach(function (box) { if (box.checked) { seconds += Number(box.dataset.seconds); } });
    var minutes = (Math.round(seconds / 30) / 2).toString().replace(".", total.dataset.decimal);
    total.textContent = total.dataset.template.replace("{minutes}", minutes);
  }
  boxes.forEach(function (box) { box.addEventListener("change", update); });
})();

// The weights' total, updated as HR types (a comma or a point for decimals).
(function () {
  "use strict";
  var total = document.getElementById("weights-total");
  if (!total) { return; }
  var fields = document.querySelectorAll("input[name^=weight_]");
  function update() {
    var sum = 0;
    fields.forEach(function (field) {
      var value = parseFloat(field.value.replace(",", "."));
      if (!isNaN(value)) { sum += value; }
    });
    var shown = (Math.round(sum * 10000) / 10000).toString().replace(".", total.dataset.decimal);
    var ok = Math.abs(sum - 1) < 1e-9;
    total.textContent = total.dataset.template.replace("{total}", shown) +
      (ok ? " ✓" : " · " + total.dataset.wrong);
    total.className = ok ? "help" : "help error";
  }
  fields.forEach(function (field) { field.addEventListener("input", update); });
  update();
})();
