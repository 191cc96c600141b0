// The line page's template editor: under each template, as you type, the counter of the text a first-time
// caller would read (sample values filled in, the business's name and "Reply STOP to opt out." added when
// the template leaves them out): its encoding, its segments, the character that forces UCS-2, and a warning
// above 2 segments. The same rules as textback/messaging/templating.py render() and
// messaging/actions.py with_first_text_additions(), shaped by gsm7.js (the reply box's counter);
// tests/browser/test_template_editor.py holds this counter and the server's preview to the same answers.
(function () {
  "use strict";
  var TOKEN = /\{\{|\}\}|\{([^{}|]*)(?:\|([^{}]*))?\}|[{}]/g;
  var OPT_OUT = /\b(reply|text|txt|send|respond)( with)?\s+["']?stop\b|\bstop\s+to\s+(opt|unsubscribe|end|cancel|quit)/i;
  var LIMITS = { "GSM-7": [160, 153], "UCS-2": [70, 67] };
  var WARN_ABOVE = 2;

  function pyStrip(text) {  // Python's str.strip / split for the characters a template may hold
    return text.replace(/^[\s\x1c-\x1f\x85]+|[\s\x1c-\x1f\x85]+$/g, "");
  }

  function cleanValue(value, limit, gsm) {
    var chars = Array.from(String(value || "")).map(function (c) { return /[\x00-\x1f\x7f-\x9f]/.test(c) ? " " : c; });
    var words = chars.join("").split(/[\s\x1c-\x1f\x85]+/).filter(Boolean).join(" ");
    return Array.from(gsm.normalise(words)).slice(0, limit).join("");
  }

  // templating.render: raises (throws) on a mistake, with the server's words.
  function render(template, sample, gsm) {
    var parts = [], pos = 0, match;
    TOKEN.lastIndex = 0;
    while ((match = TOKEN.exec(template)) !== null) {
      parts.push(template.slice(pos, match.index));
      pos = TOKEN.lastIndex;
      var token = match[0];
      if (token === "{{" || token === "}}") { parts.push(token[0]); continue; }
      if (token === "{" || token === "}") {
        throw new Error("unmatched '" + token + "' at character " + (Array.from(template.slice(0, match.index)).length + 1));
      }
      var field = pyStrip(match[1]);
      if (!Object.prototype.hasOwnProperty.call(sample.fields, field)) throw new Error("unknown field {" + field + "}");
      var limit = sample.long_values[field] || sample.max_value;
      var value = cleanValue(sample.values[field], limit, gsm);
      parts.push(value || pyStrip(match[2] || "") || sample.fallbacks[field] || "");
    }
    parts.push(template.slice(pos));
    return pyStrip(gsm.normalise(parts.join("")));
  }

  function escapeRegExp(text) { return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }

  function withFirstTextAdditions(body, sample) {
    var name = sample.values.business;
    var namesUs = new RegExp("(?<![\\p{L}\\p{N}_])" + escapeRegExp(name) + "(?![\\p{L}\\p{N}_])", "iu").test(body);
    return (namesUs ? "" : name + ": ") + body + (OPT_OUT.test(body) ? "" : " " + sample.opt_out_line);
  }

  function describe(ch) {
    var code = ch.codePointAt(0);
    if (/\s/.test(ch) || code < 0x20 || (code >= 0x7f && code < 0xa0)) {
      return "U+" + code.toString(16).toUpperCase().padStart(4, "0");
    }
    return "\u201c" + ch + "\u201d";
  }

  function counterText(shape) {
    var limits = LIMITS[shape.encoding], s = shape.segments;
    var room = s <= 1 ? "up to " + limits[0] + " characters in one" : limits[1] + " characters each";
    return shape.encoding + ": " + shape.units + " characters, " + s + " segment" + (s === 1 ? "" : "s") + " (" + room + ")";
  }

  function update(textarea, box, sample) {
    var gsm = window.textbackGsm7;
    var counter = box.querySelector(".counter"), warning = box.querySelector(".warning");
    sample.values.staff = (document.getElementById("id_staff_name") || {}).value || "";
    var notes = [];
    if (!textarea.value.trim()) {
      counter.textContent = "Blank: " + textarea.dataset.blank;
      counter.dataset.encoding = counter.dataset.segments = counter.dataset.units = counter.dataset.first = "";
      warning.textContent = "";
      return;
    }
    var text;
    try {
      text = withFirstTextAdditions(render(textarea.value, sample, gsm), sample);
    } catch (error) {
      counter.textContent = "This cannot be sent: " + error.message + ".";
      counter.dataset.encoding = "error";
      warning.textContent = "";
      return;
    }
    var shape = gsm.shape(text);
    counter.textContent = counterText(shape);
    counter.classList.toggle("ucs2", shape.encoding === "UCS-2");
    counter.dataset.encoding = shape.encoding;
    counter.dataset.units = String(shape.units);
    counter.dataset.segments = String(shape.segments);
    counter.dataset.first = shape.nonGsm.length ? shape.nonGsm[0] : "";
    if (shape.nonGsm.length) {
      notes.push("Sent as UCS-2 (70 characters a segment instead of 160) because of " + describe(shape.nonGsm[0]) + ".");
    }
    if (shape.segments > WARN_ABOVE) {
      notes.push("This example takes " + shape.segments + " segments; each is charged as one text. Keep it to " + WARN_ABOVE + ".");
    }
    warning.textContent = notes.join(" ");
    warning.hidden = !notes.length;
  }

  function start() {
    var data = document.getElementById("editor-samples");
    if (!data || !window.textbackGsm7) return;
    var sample = JSON.parse(data.textContent);
    Object.keys(sample.blank).forEach(function (name) {
      var textarea = document.getElementById("id_" + name);
      if (!textarea) return;
      textarea.dataset.blank = sample.blank[name];
      var box = document.createElement("div");
      box.className = "live-count";
      box.id = "live-" + name;
      box.setAttribute("aria-live", "polite");
      box.innerHTML = '<p class="counter"></p><p class="help long warning" hidden></p>';
      textarea.insertAdjacentElement("afterend", box);
      var refresh = function () { update(textarea, box, sample); };
      textarea.addEventListener("input", refresh);
      var staff = document.getElementById("id_staff_name");
      if (staff) staff.addEventListener("input", refresh);
      refresh();
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
