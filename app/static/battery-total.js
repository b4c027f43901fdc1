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
