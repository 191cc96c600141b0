// The ROI calculator, live as you type: the same formula, order of operations and rounding as
// textback/reports/roi.py `calculate` and `Result.shown`, so the page shows what the server would.
(function () {
  "use strict";

  function roundHalfUp(value, places) {
    var scale = Math.pow(10, places);
    return Math.floor(value * scale + 0.5) / scale;
  }

  function grouped(value, places) {
    var parts = roundHalfUp(value, places).toFixed(places).split(".");
    parts[0] = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return parts.join(".");
  }

  function calculate(v, extras) {
    var missed = v.monthly_calls * (v.miss_rate / 100);
    var replies = missed * (v.reply_rate / 100);
    var booked = replies * (v.booking_rate / 100);
    var revenue = booked * v.average_ticket;
    var smsCost = missed * extras.segmentsPerMissedCall * extras.pricePerSegment;
    var cost = v.software_monthly + smsCost + extras.numbersMonthly + v.monthly_calls * extras.perCall;
    return {
      missed: grouped(missed, 0),
      replies: grouped(replies, 1),
      booked: grouped(booked, 1),
      revenue: "$" + grouped(revenue, 0),
      cost: "$" + grouped(cost, 2),
      roi: cost > 0 ? grouped(revenue / cost, 1) + "\u00d7" : "\u2014"
    };
  }

  var NAMES = ["monthly_calls", "miss_rate", "reply_rate", "booking_rate", "average_ticket", "software_monthly"];
  var MAXIMA = { miss_rate: 100, reply_rate: 100, booking_rate: 100 };

  function read(form) {
    var values = {};
    for (var i = 0; i < NAMES.length; i++) {
      var input = form.elements[NAMES[i]];
      var text = input ? input.value.trim() : "";
      if (!/^\d+(\.\d+)?$|^\.\d+$/.test(text)) return null;  // what the server refuses, the script does not guess
      var value = parseFloat(text);
      if (MAXIMA[NAMES[i]] !== undefined && value > MAXIMA[NAMES[i]]) return null;
      values[NAMES[i]] = value;
    }
    return values;
  }

  function update(form) {
    var values = read(form);
    var shown = values && calculate(values, {
      pricePerSegment: parseFloat(form.dataset.pricePerSegment),
      segmentsPerMissedCall: parseFloat(form.dataset.segmentsPerMissedCall),
      numbersMonthly: parseFloat(form.dataset.numbersMonthly),
      perCall: parseFloat(form.dataset.perCall)
    });
    ["missed", "replies", "booked", "revenue", "cost", "roi"].forEach(function (key) {
      var out = document.getElementById("out-" + key);
      if (out) out.textContent = shown ? shown[key] : "\u2014";
    });
  }

  window.textbackRoi = { calculate: calculate };
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("roi-form");
    if (!form) return;
    form.addEventListener("input", function () { update(form); });
  });
})();
