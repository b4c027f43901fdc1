/* KAM Assess: the candidate's section page, made better with JavaScript.
 *
 * The page works without this file (a plain form the server saves). With it:
 *  - every answer is saved as it is given: PUT /api/v1/assessments/{token}/answers/{item}
 *    with {value, elapsed_ms}; an item says "Saved ✓" only after the server answered 2xx
 *    (the server commits before it answers);
 *  - answers not yet confirmed stay in a buffer in localStorage (one key per token) and are
 *    re-sent every 30 s, when the browser comes back online, when the page is hidden
 *    (navigator.sendBeacon to the batch endpoint) and after a reload;
 *  - requests go out one at a time, so the server always ends with the latest answer even
 *    when the candidate changes it faster than the network answers;
 *  - the countdown runs from the server's remaining time; at zero the buffer is flushed and
 *    the section page is loaded again (the server has moved on to the next section);
 *  - focus/tab losses and paste attempts are counted and reported every 15 s and on hide.
 *
 * elapsed_ms is the time from the candidate's previous answer on this page (or from the
 * page load, for the first answer) to this one: roughly the time spent reading and answering
 * the item, whatever the input device. (Time since the item got focus reads near zero for
 * mouse users, whose click focuses and answers at once.)
 *
 * No build step and no inline script: settings and texts come from data- attributes.
 */
(function () {
  "use strict";

  var RESEND_MS = 30000;
  var EVENTS_MS = 15000;
  var REQUEST_TIMEOUT_MS = 15000;
  var IGNORED = /[\s\u00a0\u202f'’€%]/g;
  var SHAPE = /^[+-]?[\d.,]+$/;

  var form = document.getElementById("assessment-form");
  var submitForm = document.getElementById("submit-form");
  var root = form || submitForm;
  if (!root || !window.fetch || !window.JSON || !window.Promise) {
    return;
  }

  var api = root.getAttribute("data-api");
  var storageKey = "kam-assess:" + root.getAttribute("data-token");
  var banner = document.getElementById("offline-banner");
  var memoryBuffer = {};
  var sequence = 0;
  var items = null; /* item id -> its element, on the section page */
  var messages = {};
  var unloading = false; /* leaving the page is not a focus loss */

  /* --- the local buffer of answers not yet confirmed by the server ------------------- */

  function readBuffer() {
    try {
      var stored = JSON.parse(window.localStorage.getItem(storageKey) || "{}");
      return stored && typeof stored === "object" ? stored : {};
    } catch (error) {
      return memoryBuffer;
    }
  }

  function writeBuffer(buffer) {
    memoryBuffer = buffer;
    try {
      if (Object.keys(buffer).length) {
        window.localStorage.setItem(storageKey, JSON.stringify(buffer));
      } else {
        window.localStorage.removeItem(storageKey);
      }
    } catch (error) {
      /* Storage full or disabled: keep the answers in memory for this page's life. */
    }
  }

  /* Drop an answer from the buffer; with ``seq``, only if it was not changed since. */
  function forget(itemId, seq) {
    var buffer = readBuffer();
    var entry = buffer[itemId];
    if (entry && (seq === undefined || entry.seq === seq)) {
      delete buffer[itemId];
      writeBuffer(buffer);
      return true;
    }
    return false;
  }

  function batchBody(buffer) {
    var answers = {};
    Object.keys(buffer).slice(0, 200).forEach(function (itemId) {
      answers[itemId] = { value: buffer[itemId].value, elapsed_ms: buffer[itemId].elapsed_ms };
    });
    return { answers: answers };
  }

  /* --- item status and the connection banner ------------------------------------------ */

  function setStatus(itemId, kind, text) {
    var element = items && items[itemId] && document.getElementById("status-" + itemId);
    if (element) {
      element.className = "item-status " + kind;
      element.textContent = text;
    }
  }

  function markPending(itemIds) {
    itemIds.forEach(function (itemId) {
      setStatus(itemId, "pending", messages.retrying);
    });
  }

  function connectionLost() {
    if (banner && !banner.textContent) {
      banner.textContent = banner.getAttribute("data-message");
    }
  }

  function connectionBack() {
    if (banner) {
      banner.textContent = "";
    }
  }

  /* --- sending, one request at a time ------------------------------------------------- */

  /* A 4xx that re-sending will not fix (not a timeout or a rate limit). */
  function isFinal(status) {
    return status >= 400 && status < 500 && status !== 408 && status !== 429;
  }

  function send(method, path, payload) {
    var options = {
      method: method,
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(payload),
      credentials: "same-origin"
    };
    var controller = window.AbortController ? new AbortController() : null;
    var timer = null;
    if (controller) {
      options.signal = controller.signal;
      timer = window.setTimeout(function () { controller.abort(); }, REQUEST_TIMEOUT_MS);
    }
    return fetch(api + path, options).then(function (response) {
      window.clearTimeout(timer);
      connectionBack();
      return response;
    }, function (error) {
      window.clearTimeout(timer);
      connectionLost();
      throw error;
    });
  }

  function sendOne(itemId, entry) {
    return send("PUT", "/answers/" + encodeURIComponent(itemId),
                { value: entry.value, elapsed_ms: entry.elapsed_ms }).then(function (response) {
      if (response.ok) {
        if (forget(itemId, entry.seq)) {
          setStatus(itemId, "saved", messages.saved);
        }
      } else if (isFinal(response.status)) {
        forget(itemId);
        setStatus(itemId, "refused", response.status === 409 ? messages.closed : messages.rejected);
      } else {
        markPending([itemId]);
      }
    }, function () {
      markPending([itemId]);
    });
  }

  function sendMany(buffer) {
    var itemIds = Object.keys(buffer);
    return send("POST", "/answers", batchBody(buffer)).then(function (response) {
      if (response.ok) {
        return response.json().then(function (result) {
          (result.saved || []).forEach(function (itemId) {
            if (buffer[itemId] && forget(itemId, buffer[itemId].seq)) {
              setStatus(itemId, "saved", messages.saved);
            }
          });
          Object.keys(result.refused || {}).forEach(function (itemId) {
            forget(itemId);
            setStatus(itemId, "refused", messages.closed);
          });
        });
      }
      if (isFinal(response.status)) {
        /* One answer spoils the whole batch (e.g. an unknown item): send them one by one. */
        return itemIds.reduce(function (chain, itemId) {
          return chain.then(function () { return sendOne(itemId, buffer[itemId]); });
        }, Promise.resolve());
      }
      markPending(itemIds);
      return null;
    }, function () {
      markPending(itemIds);
    });
  }

  var syncing = null;
  var syncAgain = false;

  /* Send every buffered answer; resolves true when nothing is left unsaved. */
  function flush() {
    if (syncing) {
      syncAgain = true;
      return syncing;
    }
    var buffer = readBuffer();
    var itemIds = Object.keys(buffer);
    if (!itemIds.length) {
      return Promise.resolve(true);
    }
    var request = itemIds.length === 1 ? sendOne(itemIds[0], buffer[itemIds[0]])
      : sendMany(buffer);
    syncing = request.then(function () {
      syncing = null;
      if (syncAgain) {
        syncAgain = false;
        return flush();
      }
      return !Object.keys(readBuffer()).length;
    });
    return syncing;
  }

  function beacon(path, payload) {
    var body = JSON.stringify(payload);
    try {
      if (navigator.sendBeacon &&
          navigator.sendBeacon(api + path, new Blob([body], { type: "application/json" }))) {
        return true;
      }
    } catch (error) {
      /* Fall through to a keepalive fetch. */
    }
    try {
      fetch(api + path, {
        method: "POST", keepalive: true, body: body, credentials: "same-origin",
        headers: { "Content-Type": "application/json" }
      }).catch(function () {});
      return true;
    } catch (error) {
      return false;
    }
  }

  /* --- the submit page: send what is left before handing in --------------------------- */

  if (!form) {
    flush();
    submitForm.addEventListener("submit", function (event) {
      if (Object.keys(readBuffer()).length && !submitForm.hasAttribute("data-flushed")) {
        event.preventDefault();
        submitForm.setAttribute("data-flushed", "");
        flush().then(function () { submitForm.submit(); });
      }
    });
    return;
  }

  /* --- the section page ---------------------------------------------------------------- */

  messages = {
    saved: form.getAttribute("data-msg-saved"),
    saving: form.getAttribute("data-msg-saving"),
    retrying: form.getAttribute("data-msg-retrying"),
    closed: form.getAttribute("data-msg-closed"),
    rejected: form.getAttribute("data-msg-rejected"),
    number: form.getAttribute("data-msg-number"),
    confirm: form.getAttribute("data-msg-confirm"),
    understood: form.getAttribute("data-msg-understood"),
    which: form.getAttribute("data-msg-which"),
    both: form.getAttribute("data-msg-both")
  };
  items = {};
  Array.prototype.forEach.call(form.querySelectorAll("[data-item-id]"), function (element) {
    items[element.getAttribute("data-item-id")] = element;
  });
  var lastAnswerAt = Date.now();

  /* --- numbers as people type them: the rules of app/numbers.py --------------------- */

  var pageLang = form.getAttribute("data-lang") || document.documentElement.lang || "en";

  function grouped(parts) {
    var head = parts[0].replace(/^[+-]/, "");
    return head.length >= 1 && head.length <= 3 &&
      parts.slice(1).every(function (part) { return part.length === 3; });
  }

  /* {value: number|null, alternatives: [decimal reading, thousands reading]} */
  function readNumber(text, lang) {
    var none = { value: null, alternatives: [] };
    var s = (text || "").replace(IGNORED, "");
    if (!s || !SHAPE.test(s) || !/\d/.test(s)) { return none; }
    var decimal = lang === "it" ? "," : ".";
    var group = lang === "it" ? "." : ",";
    var seps = s.replace(/[^.,]/g, "");
    var value;
    if (!seps) {
      value = Number(s);
    } else if (seps.indexOf(".") >= 0 && seps.indexOf(",") >= 0) {
      var last = Math.max(s.lastIndexOf("."), s.lastIndexOf(","));
      var head = s.slice(0, last);
      var other = s.charAt(last) === "." ? "," : ".";
      if (head.indexOf(s.charAt(last)) >= 0 || !grouped(head.split(other))) { return none; }
      value = Number(head.split(other).join("") + "." + s.slice(last + 1));
    } else {
      var sep = seps.charAt(0);
      var parts = s.split(sep);
      if (parts.length > 2) {
        if (!grouped(parts)) { return none; }
        value = Number(parts.join(""));
      } else if (parts[1].length !== 3 || !grouped(parts) ||
                 parts[0].replace(/^[+-]/, "") === "" || parts[0].replace(/^[+-]/, "") === "0") {
        value = Number((parts[0] || "0") + "." + parts[1]);
      } else if (sep === group) {
        value = Number(parts[0] + parts[1]);
      } else {
        return { value: null,
                 alternatives: [Number(parts[0] + "." + parts[1]), Number(parts[0] + parts[1])] };
      }
    }
    return isFinite(value) && Math.abs(value) <= 1e12 ? { value: value, alternatives: [] } : none;
  }

  /* As app/numbers.py's show_number: thousands grouped from 1,000, up to 6 decimals. */
  function showNumber(value, lang) {
    var decimal = lang === "it" ? "," : ".";
    var group = lang === "it" ? "." : ",";
    var text = String(Math.round(Math.abs(value) * 1e6) / 1e6);
    var parts = text.split(".");
    var whole = parts[0];
    if (Math.abs(value) >= 1000) {
      whole = whole.replace(/\B(?=(\d{3})+(?!\d))/g, group);
    }
    return (value < 0 ? "-" : "") + whole + (parts[1] ? decimal + parts[1] : "");
  }

  /* Say what the page understood, or ask which of two numbers is meant. */
  function explainNumber(element, reading) {
    var input = element.querySelector("input[data-number]");
    var out = document.getElementById("understood-" + input.id.replace(/^in-/, ""));
    if (!out) { return; }
    out.textContent = "";
    if (reading.value !== null) {
      out.textContent = messages.understood.replace("{number}", showNumber(reading.value, pageLang));
    } else if (reading.alternatives.length) {
      out.appendChild(document.createTextNode(messages.which + " "));
      reading.alternatives.forEach(function (value) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "secondary reading";
        button.textContent = showNumber(value, pageLang);
        button.addEventListener("click", function () {
          input.setAttribute("data-reading", String(value));
          input.value = showNumber(value, pageLang);
          input.dispatchEvent(new Event("change", { bubbles: true }));
        });
        out.appendChild(button);
      });
    }
  }

  /* The API value of an item as its inputs show it: undefined = no answer, null = cleared,
     NaN = a number that cannot be read or that still needs the candidate's choice. */
  function valueOf(itemId) {
    var element = items[itemId];
    var type = element.getAttribute("data-item-type");
    if (type === "numeric") {
      var input = element.querySelector("input");
      if (!input.value.replace(IGNORED, "")) {
        return null;
      }
      var reading = readNumber(input.value, pageLang);
      var chosen = input.getAttribute("data-reading");
      if (chosen !== null && Number(chosen) === readNumber(input.value, pageLang).value) {
        return Number(chosen);
      }
      return reading.value === null ? NaN : reading.value;
    }
    if (type === "best_worst") {
      var best = element.querySelector("input[name$='-best']:checked");
      var worst = element.querySelector("input[name$='-worst']:checked");
      if (!best && !worst) {
        return undefined;
      }
      return { best: best ? best.value : null, worst: worst ? worst.value : null };
    }
    var checked = element.querySelector("input[type=radio]:checked");
    if (!checked) {
      return undefined;
    }
    return type === "likert" ? parseInt(checked.value, 10) : checked.value;
  }

  /* Counts as answered: a best/worst question needs both choices. */
  function complete(value) {
    if (value === undefined || value === null || value !== value) {
      return false;
    }
    return typeof value !== "object" || (value.best !== null && value.worst !== null);
  }

  function show(itemId, value) {
    var element = items[itemId];
    var type = element.getAttribute("data-item-type");
    if (type === "numeric") {
      element.querySelector("input").value = value === null ? "" : showNumber(value, pageLang);
      return;
    }
    Array.prototype.forEach.call(element.querySelectorAll("input[type=radio]"), function (radio) {
      if (type === "best_worst") {
        var side = /-best$/.test(radio.name) ? "best" : "worst";
        radio.checked = !!value && radio.value === value[side];
      } else {
        radio.checked = radio.value === String(value);
      }
    });
  }

  function updateProgress() {
    var bar = document.getElementById("progress-bar");
    var text = document.getElementById("progress-text");
    var total = form.getAttribute("data-total");
    if (!bar) {
      return;
    }
    var count = parseInt(form.getAttribute("data-answered-elsewhere"), 10) || 0;
    Object.keys(items).forEach(function (itemId) {
      if (complete(valueOf(itemId))) {
        count += 1;
      }
    });
    bar.value = count;
    bar.textContent = count + "/" + total;
    if (text) {
      text.textContent = text.getAttribute("data-template")
        .replace("{answered}", count).replace("{total}", total);
    }
  }

  form.addEventListener("change", function (event) {
    var element = event.target.closest && event.target.closest("[data-item-id]");
    if (!element) {
      return;
    }
    var itemId = element.getAttribute("data-item-id");
    if (element.getAttribute("data-item-type") === "best_worst") {
      /* One option cannot be both the most and the least effective: the other side yields. */
      var side = /-best$/.test(event.target.name) ? "worst" : "best";
      var twin = element.querySelector("input[name$='-" + side + "'][value='" +
                                       event.target.value + "']");
      if (twin && twin.checked && event.target.checked) {
        twin.checked = false;
      }
    }
    var value = valueOf(itemId);
    if (value === undefined) {
      return;
    }
    if (value !== value) { /* NaN: not a number yet; what was saved before stays saved */
      setStatus(itemId, "refused", readNumber(element.querySelector("input").value,
                                               pageLang).alternatives.length
        ? messages.which : messages.number);
      return;
    }
    var now = Date.now();
    var buffer = readBuffer();
    sequence += 1;
    buffer[itemId] = { value: value, elapsed_ms: Math.max(0, now - lastAnswerAt), seq: sequence };
    lastAnswerAt = now;
    writeBuffer(buffer);
    setStatus(itemId, "pending", messages.saving);
    if (typeof value === "object" && value !== null && !complete(value)) {
      setStatus(itemId, "pending", messages.both);
    }
    updateProgress();
    flush();
  });

  /* Live: what the page understands while the number is typed (before it is saved). */
  form.addEventListener("input", function (event) {
    if (!event.target.hasAttribute || !event.target.hasAttribute("data-number")) {
      return;
    }
    event.target.removeAttribute("data-reading");
    var element = event.target.closest("[data-item-id]");
    if (element) {
      explainNumber(element, readNumber(event.target.value, pageLang));
    }
  });

  /* Practice: the feedback opens once the candidate has answered (nothing is saved). */
  Array.prototype.forEach.call(document.querySelectorAll("[data-practice-id]"), function (block) {
    block.addEventListener("change", function (event) {
      if (event.target.hasAttribute && event.target.hasAttribute("data-number")) {
        var reading = readNumber(event.target.value, pageLang);
        var out = block.querySelector(".understood");
        if (out) {
          out.textContent = reading.value !== null
            ? messages.understood.replace("{number}", showNumber(reading.value, pageLang))
            : reading.alternatives.length ? messages.which : "";
        }
      }
      var details = block.querySelector("details.feedback");
      var bestWorst = block.querySelectorAll("input[type=radio]:checked").length;
      var needsTwo = block.querySelector("input[name$='-worst']");
      if (details && (!needsTwo || bestWorst >= 2)) {
        details.open = true;
      }
    });
  });

  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    var finishing = submitter && submitter.hasAttribute("data-finish");
    var missing = Object.keys(items).some(function (itemId) {
      return !complete(valueOf(itemId));
    });
    if (finishing && missing && !window.confirm(messages.confirm)) {
      event.preventDefault();
      return;
    }
    if (syncing && !form.hasAttribute("data-flushed")) {
      /* Let the answer on its way arrive first, so it cannot overtake the form's. */
      event.preventDefault();
      form.setAttribute("data-flushed", "");
      var action = document.createElement("input");
      action.type = "hidden";
      action.name = "action";
      action.value = submitter ? submitter.value : "save";
      form.appendChild(action);
      syncing.then(function () { form.submit(); });
    }
  });

  /* After a reload: answers in the buffer that the server does not show yet are put back
     into the inputs and sent again; answers the server already has leave the buffer. */
  (function restore() {
    var buffer = readBuffer();
    Object.keys(buffer).forEach(function (itemId) {
      sequence = Math.max(sequence, buffer[itemId].seq || 0);
      if (!items[itemId]) {
        return;
      }
      if (JSON.stringify(valueOf(itemId)) === JSON.stringify(buffer[itemId].value)) {
        forget(itemId);
      } else {
        show(itemId, buffer[itemId].value);
        setStatus(itemId, "pending", messages.retrying);
      }
    });
    updateProgress();
  })();

  /* --- integrity counters (flags for a person, never scores) ------------------------- */

  /* A focus loss counts only when the candidate stays away longer than AWAY_MS: a glance
     at a notification is not leaving the page (the report says so: FOCUS_LOSS_SECONDS in
     app/reports/wording.py). The on-page calculator never takes the focus away. */
  var AWAY_MS = 3000;
  var counters = { focus_losses: 0, paste_attempts: 0 };
  var awaySince = null;

  function lostFocus() {
    if (awaySince === null && !unloading) {
      awaySince = monotonic();
    }
  }

  function cameBack() {
    if (awaySince !== null && monotonic() - awaySince > AWAY_MS) {
      counters.focus_losses += 1;
    }
    awaySince = null;
  }

  function takeCounters() {
    var taken = { focus_losses: counters.focus_losses, paste_attempts: counters.paste_attempts };
    counters.focus_losses = 0;
    counters.paste_attempts = 0;
    return taken;
  }

  function giveBack(taken) {
    counters.focus_losses += taken.focus_losses;
    counters.paste_attempts += taken.paste_attempts;
  }

  function sendEvents() {
    if (!counters.focus_losses && !counters.paste_attempts) {
      return;
    }
    var taken = takeCounters();
    send("POST", "/events", taken).then(function (response) {
      if (!response.ok && !isFinal(response.status)) {
        giveBack(taken);
      }
    }, function () {
      giveBack(taken);
    });
  }

  form.addEventListener("paste", function (event) {
    if (event.target && event.target.tagName === "INPUT") {
      counters.paste_attempts += 1;
    }
  });
  window.addEventListener("blur", lostFocus);
  window.addEventListener("focus", cameBack);
  window.addEventListener("pagehide", function () { unloading = true; });
  window.addEventListener("pageshow", function () { unloading = false; });

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      lostFocus();
      var buffer = readBuffer();
      if (Object.keys(buffer).length) {
        beacon("/answers", batchBody(buffer)); /* stays in the buffer: no 2xx was seen */
      }
      if (counters.focus_losses || counters.paste_attempts) {
        var taken = takeCounters();
        if (!beacon("/events", taken)) {
          giveBack(taken);
        }
      }
    } else {
      cameBack();
      flush();
    }
  });
  window.addEventListener("online", function () { flush(); });
  window.addEventListener("offline", connectionLost);
  window.setInterval(flush, RESEND_MS);
  window.setInterval(sendEvents, EVENTS_MS);

  /* --- the countdown ----------------------------------------------------------------- */

  var timer = document.getElementById("timer");
  var timerText = document.getElementById("timer-text");
  var announcer = document.getElementById("timer-announce");
  var minuteWarning = document.getElementById("minute-warning");
  var remaining = timer ? parseInt(timer.getAttribute("data-remaining"), 10) : NaN;

  function monotonic() {
    return window.performance && performance.now ? performance.now() : Date.now();
  }

  function clock(seconds) {
    var hours = Math.floor(seconds / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    var secs = seconds % 60;
    var mm = hours && minutes < 10 ? "0" + minutes : String(minutes);
    return (hours ? hours + ":" : "") + mm + ":" + (secs < 10 ? "0" : "") + secs;
  }

  function announce(text) {
    if (announcer && text) {
      announcer.textContent = text;
    }
  }

  /* Time is up: flush, then load the section page again (the server has moved on). If the
     server cannot be reached, keep trying instead of reloading into a browser error page:
     saves are accepted for a grace period after the deadline. */
  function leave() {
    flush().then(function (empty) {
      if (empty || navigator.onLine !== false) {
        window.location.replace(form.getAttribute("data-section-url") || window.location.href);
      } else {
        window.setTimeout(leave, 5000);
      }
    });
  }

  if (timer && timerText && remaining === remaining) {
    var started = monotonic();
    var previous = remaining;
    var leaving = false;
    var tick = function () {
      var left = Math.max(0, Math.ceil(remaining - (monotonic() - started) / 1000));
      timerText.textContent = timer.getAttribute("data-template").replace("{time}", clock(left));
      if (left <= 60) {
        timer.className = "timer low";
        if (minuteWarning && left > 0) {
          minuteWarning.hidden = false;
        }
      }
      if (previous > 300 && left <= 300 && left > 60) {
        announce(timer.getAttribute("data-at5"));
      }
      if (previous > 60 && left <= 60 && left > 0) {
        announce(timer.getAttribute("data-at1"));
      }
      previous = left;
      if (left <= 0 && !leaving) {
        leaving = true;
        announce(timer.getAttribute("data-at0"));
        leave();
      }
    };
    tick();
    window.setInterval(tick, 500);
  }

  flush();
})();
