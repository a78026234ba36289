// Filter for the case list. Words match (case-insensitively) anywhere in a case's id,
// operations, status or title; `op:NAME` matches one of the case's operations exactly and
// `status:NAME` its status exactly. All words must match. The filter is also read from a
// `#filter=TEXT` URL fragment on load and whenever the fragment changes.
(function () {
  "use strict";
  var input = document.getElementById("filter");
  var shown = document.getElementById("shown");
  var noMatch = document.getElementById("no-match");
  var cases = Array.prototype.slice.call(document.querySelectorAll("details.case"));
  var perStatus = Array.prototype.slice.call(document.querySelectorAll("[data-shown-status]"));

  function parse(text) {
    return text.toLowerCase().split(/\s+/).filter(function (word) { return word.length > 0; });
  }

  function matches(el, words) {
    var id = (el.getAttribute("data-id") || "").toLowerCase();
    var ops = (el.getAttribute("data-op") || "").toLowerCase();
    var status = (el.getAttribute("data-status") || "").toLowerCase();
    var title = (el.getAttribute("data-title") || "").toLowerCase();
    var haystack = id + "\n" + ops + "\n" + status + "\n" + title;
    return words.every(function (word) {
      if (word.indexOf("op:") === 0) {
        return ops.split(" ").indexOf(word.slice(3)) >= 0;
      }
      if (word.indexOf("status:") === 0) {
        return status === word.slice(7);
      }
      return haystack.indexOf(word) >= 0;
    });
  }

  function apply(text) {
    var words = parse(text);
    var count = 0;
    var byStatus = {};
    cases.forEach(function (el) {
      var ok = matches(el, words);
      el.hidden = !ok;
      if (ok) {
        count += 1;
        var status = el.getAttribute("data-status");
        byStatus[status] = (byStatus[status] || 0) + 1;
      }
    });
    shown.textContent = count + " of " + cases.length + " cases shown";
    shown.setAttribute("data-shown", String(count));
    shown.setAttribute("data-total", String(cases.length));
    perStatus.forEach(function (el) {
      el.textContent = words.length > 0
        ? (byStatus[el.getAttribute("data-shown-status")] || 0) + " shown"
        : "";
    });
    noMatch.hidden = count > 0 || cases.length === 0;
    document.body.setAttribute("data-filter", text);
  }

  function fromFragment() {
    var match = /^#filter=(.*)$/.exec(window.location.hash);
    if (match) {
      var text;
      try {
        text = decodeURIComponent(match[1].replace(/\+/g, " "));
      } catch (e) {
        text = match[1];
      }
      input.value = text;
    }
    apply(input.value);
  }

  input.addEventListener("input", function () {
    apply(input.value);
    try {
      window.history.replaceState(null, "", "#filter=" + encodeURIComponent(input.value));
    } catch (e) {
      // Some browsers refuse history changes on file:// pages; the filter still works.
    }
  });
  window.addEventListener("hashchange", function () {
    fromFragment();
    if (/^#filter=/.test(window.location.hash)) {
      document.getElementById("cases").scrollIntoView();
    }
  });
  fromFragment();
  document.body.setAttribute("data-js", "ready");
}());
