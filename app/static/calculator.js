/* KAM Assess: the on-page calculator of a numeric section.
 *
 * Part of the page, so using it never counts as leaving the page. Type an expression
 * (digits, + − × ÷, parentheses; a decimal comma in Italian, a point in English) or use the
 * keys, then "=". Evaluated by a small parser, never by eval(). Hidden without JavaScript.
 */
(function () {
  "use strict";
  var box = document.querySelector("[data-calculator]");
  if (!box) { return; }
  var input = box.querySelector("input");
  var result = box.querySelector("[data-result]");
  var lang = box.getAttribute("data-lang") || "en";
  var decimal = lang === "it" ? "," : ".";
  box.hidden = false;

  function tokens(text) {
    var out = [];
    var normal = text.replace(/\s+/g, "").replace(/×|x|X/g, "*").replace(/÷|:/g, "/")
      .replace(/−/g, "-");
    var i = 0;
    while (i < normal.length) {
      var c = normal.charAt(i);
      if ("+-*/()".indexOf(c) >= 0) { out.push(c); i += 1; continue; }
      var m = /^[0-9.,]+/.exec(normal.slice(i));
      if (!m) { throw new Error("bad"); }
      var raw = m[0];
      /* The language's decimal mark; the other mark groups thousands. */
      var number = lang === "it" ? raw.replace(/\./g, "").replace(",", ".")
        : raw.replace(/,/g, "");
      if (!/^\d*\.?\d+$|^\d+\.$/.test(number)) { throw new Error("bad"); }
      out.push(parseFloat(number));
      i += raw.length;
    }
    return out;
  }

  function evaluate(text) {
    var list = tokens(text);
    var pos = 0;
    function peek() { return list[pos]; }
    function take() { pos += 1; return list[pos - 1]; }
    function factor() {
      var t = take();
      if (t === "-") { return -factor(); }
      if (t === "+") { return factor(); }
      if (t === "(") { var v = sum(); if (take() !== ")") { throw new Error("bad"); } return v; }
      if (typeof t === "number") { return t; }
      throw new Error("bad");
    }
    function product() {
      var v = factor();
      while (peek() === "*" || peek() === "/") {
        var op = take();
        var w = factor();
        if (op === "/" && w === 0) { throw new Error("zero"); }
        v = op === "*" ? v * w : v / w;
      }
      return v;
    }
    function sum() {
      var v = product();
      while (peek() === "+" || peek() === "-") {
        var op = take();
        var w = product();
        v = op === "+" ? v + w : v - w;
      }
      return v;
    }
    var value = sum();
    if (pos !== list.length) { throw new Error("bad"); }
    return value;
  }

  function show(value) {
    var rounded = Math.round(value * 1e6) / 1e6;
    return rounded.toLocaleString(lang === "it" ? "it-IT" : "en-GB", { maximumFractionDigits: 6 });
  }

  function calculate() {
    if (!input.value.trim()) { result.textContent = ""; return; }
    try {
      result.textContent = "= " + show(evaluate(input.value));
    } catch (error) {
      result.textContent = box.getAttribute(error.message === "zero" ? "data-msg-zero" : "data-msg-bad");
    }
  }

  box.addEventListener("click", function (event) {
    var key = event.target.closest("button[data-calc]");
    if (!key) { return; }
    var value = key.getAttribute("data-calc");
    if (value === "=") { calculate(); }
    else if (value === "C") { input.value = ""; result.textContent = ""; }
    else if (value === "⌫") { input.value = input.value.slice(0, -1); }
    else { input.value += value === "." ? decimal : value; }
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); calculate(); }
  });
  box.querySelector("[data-decimal]").textContent = decimal;
}());
