// The reply box's counter: which encoding a text will be sent in and how many segments it costs.
// The same rules as textback/lib/gsm7.py (and the look-alike clean-up of textback/lib/text.py that the
// server applies before sending); tests/browser/test_conversation_page.py holds the two to the same answers.
// Strings are walked by code point, as Python walks a str.
(function () {
  "use strict";
  var BASIC =
    "@£$¥èéùìòÇ\nØø\rÅå" + "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ" + " !\"#¤%&'()*+,-./" + "0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNO" + "PQRSTUVWXYZÄÖÑÜ§" + "¿abcdefghijklmno" + "pqrstuvwxyzäöñüà";
  var EXTENSION = "\x0c^{}\\[~]|€";
  var SEPTETS = {};
  Array.from(BASIC).forEach(function (c) { if (c !== "\x1b") SEPTETS[c] = 1; });
  Array.from(EXTENSION).forEach(function (c) { SEPTETS[c] = 2; });
  var LIMITS = { "GSM-7": [160, 153], "UCS-2": [70, 67] };

  // textback/lib/text.py: look-alikes become their GSM-7 twins.
  var TABLE = {};
  function map(chars, to) { Array.from(chars).forEach(function (c) { TABLE[c] = to; }); }
  map("\u2018\u2019\u201a\u201b\u2032\u02bb\u02bc\u02c8\uff07", "'");
  map("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb\uff02\u275d\u275e\u301d\u301e", '"');
  map("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2022", "-");
  var spaces = "\u00a0\u202f\u205f\u3000";
  for (var cp = 0x2000; cp < 0x200b; cp++) spaces += String.fromCharCode(cp);
  map(spaces, " ");
  map("\u200b\u2060\ufeff", "");
  TABLE["\u2026"] = "...";
  var JOINERS = "\u200c\u200d";

  function isSpace(c) {  // Python's str.isspace
    return (/\s/.test(c) && c !== "\ufeff") || /[\x1c-\x1f\x85]/.test(c);
  }
  function joinable(c) { return JOINERS.indexOf(c) < 0 && !isSpace(c) && !(c in SEPTETS); }

  function normalise(text) {
    var chars = [];
    Array.from(text).forEach(function (c) {
      var to = Object.prototype.hasOwnProperty.call(TABLE, c) ? TABLE[c] : c;
      Array.from(to).forEach(function (t) { chars.push(t); });
    });
    var kept = chars.filter(function (c, i) {
      if (JOINERS.indexOf(c) < 0) return true;
      return i > 0 && i < chars.length - 1 && joinable(chars[i - 1]) && joinable(chars[i + 1]);
    });
    return kept.join("").replace(/\r+\n/g, "\n");
  }

  function strip(text) {  // Python's str.strip
    var chars = Array.from(text), start = 0, end = chars.length;
    while (start < end && isSpace(chars[start])) start++;
    while (end > start && isSpace(chars[end - 1])) end--;
    return chars.slice(start, end).join("");
  }

  function shape(text) {
    var chars = Array.from(text);
    var nonGsm = [];
    chars.forEach(function (c) { if (!(c in SEPTETS) && nonGsm.indexOf(c) < 0) nonGsm.push(c); });
    var encoding = nonGsm.length ? "UCS-2" : "GSM-7";
    var costs = chars.map(function (c) {
      return encoding === "GSM-7" ? SEPTETS[c] : (c.codePointAt(0) > 0xffff ? 2 : 1);
    });
    var units = costs.reduce(function (a, b) { return a + b; }, 0);
    var single = LIMITS[encoding][0], concat = LIMITS[encoding][1], segments = 0;
    if (costs.length) {
      segments = 1;
      if (units > single) {
        var used = 0;
        costs.forEach(function (cost, index) {
          if (used + cost > concat) { segments++; used = 0; }
          used += cost;
        });
      }
    }
    return { encoding: encoding, units: units, segments: segments, nonGsm: nonGsm, characters: chars.length };
  }

  // What the server will send for what was typed: cleaned, trimmed, then shaped.
  function shapeOfReply(typed) {
    return shape(strip(normalise(typed)));
  }

  window.textbackGsm7 = { shape: shape, normalise: normalise, shapeOfReply: shapeOfReply };
})();
