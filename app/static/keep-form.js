/* Switching the language keeps what was typed: the values of this page's forms are put
   aside (sessionStorage, this tab only) when a language link is followed, and put back when
   the same page comes back in the other language. Passwords, files and form tokens are
   never kept. Staff pages only. */
(function () {
  "use strict";
  var key = "kam-keep:" + window.location.pathname;
  var skip = function (field) {
    return !field.name || field.type === "password" || field.type === "file" ||
      field.type === "hidden" || field.type === "submit" || field.type === "button";
  };
  document.querySelectorAll("a[data-keep-form]").forEach(function (link) {
    link.addEventListener("click", function () {
      var kept = [];
      document.querySelectorAll("main form").forEach(function (form, formIndex) {
        Array.prototype.forEach.call(form.elements, function (field, index) {
          if (skip(field)) { return; }
          var value = field.type === "checkbox" || field.type === "radio" ? field.checked : field.value;
          kept.push([formIndex, index, field.name, value]);
        });
      });
      try { window.sessionStorage.setItem(key, JSON.stringify(kept)); } catch (error) { /* full */ }
    });
  });
  var stored = null;
  try { stored = window.sessionStorage.getItem(key); window.sessionStorage.removeItem(key); }
  catch (error) { stored = null; }
  if (!stored) { return; }
  var forms = document.querySelectorAll("main form");
  JSON.parse(stored).forEach(function (entry) {
    var form = forms[entry[0]];
    var field = form && form.elements[entry[1]];
    if (!field || field.name !== entry[2] || skip(field)) { return; }
    if (field.type === "checkbox" || field.type === "radio") { field.checked = entry[3]; }
    else { field.value = entry[3]; }
  });
}());
