// The form editor without round trips: a live preview while typing, tag suggestions for the
// word being typed, and a size check before saving. Without JavaScript the same form posts
// and the server does all of this; nothing here is needed to write a document.
(function () {
  "use strict";

  function fieldMessage(field, id, text) {
    var old = document.getElementById(id);
    if (old) { old.remove(); }
    if (!text) { field.removeAttribute("aria-invalid"); return; }
    var p = document.createElement("p");
    p.className = "field-message";
    p.id = id;
    p.textContent = text;
    field.insertAdjacentElement("afterend", p);
    field.setAttribute("aria-invalid", "true");
  }

  function setUpPreview(form) {
    var panel = document.getElementById("preview");
    var body = document.getElementById("preview-body");
    var button = form.querySelector("[data-preview-button]");
    if (!panel || !body || !button || !window.fetch || !window.FormData) { return; }
    var timer = null;
    var sent = 0;

    function preview(scroll) {
      var data = new FormData(form);
      data.set("action", "preview");
      var ticket = ++sent;
      // form.action would be the buttons named "action"; the attribute is the address
      return fetch(form.getAttribute("action"), {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "Accept": "application/json" }
      }).then(function (response) {
        return response.json();
      }).then(function (result) {
        if (ticket !== sent) { return; } // an older answer: a newer one is on its way
        panel.hidden = false;
        if (result.html !== undefined) {
          // The server sanitises this HTML (the same pipeline as saving).
          body.innerHTML = result.html;
        } else {
          body.textContent = "";
          var p = document.createElement("p");
          p.className = "error-box";
          // the view's answer: {error: "...", fields}; any other refusal (an expired form,
          // a lost session) is kb's error answer: {error: {code, message}}
          var error = result.error && result.error.message !== undefined ? result.error.message : result.error;
          var texts = [error || "The preview could not be made."];
          Object.keys(result.fields || {}).forEach(function (name) {
            var label = form.querySelector("label[for='" + name + "']");
            texts.push((label ? label.textContent.replace(/\s*\(required\)/, "") + ": " : "") + result.fields[name].join(" "));
          });
          p.textContent = texts.join(" ");
          body.appendChild(p);
        }
        if (scroll) { panel.scrollIntoView({ block: "start" }); }
      }).catch(function () { /* the Preview button still posts the form */ });
    }

    var roles = form.querySelector("[name=m_roles]");
    button.addEventListener("click", function (event) {
      if (roles && roles.value !== roles.defaultValue) {
        return; // a new role needs a box for its steps: the server draws the form again
      }
      event.preventDefault();
      preview(true);
    });
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { preview(false); }, 800);
    });
  }

  // Suggest existing tags for the word after the last comma.
  function setUpTags(form) {
    var input = form.querySelector("[data-tag-input]");
    var list = document.getElementById("kb-tags");
    if (!input || !list) { return; }
    var tags = (list.dataset.tags || "").split("|").filter(Boolean);
    input.addEventListener("input", function () {
      var parts = input.value.split(",");
      var word = parts.pop().trim().toLowerCase();
      var done = parts.map(function (x) { return x.trim(); }).filter(Boolean);
      var prefix = done.length ? done.join(", ") + ", " : "";
      list.textContent = "";
      tags.filter(function (tag) {
        return tag.indexOf(word) === 0 && done.indexOf(tag) < 0;
      }).slice(0, 20).forEach(function (tag) {
        var option = document.createElement("option");
        option.value = prefix + tag;
        list.appendChild(option);
      });
    });
  }

  // The server refuses a document over the limit (and keeps the text); saying so before
  // sending spares a long upload.
  function setUpSizeCheck(form) {
    var limit = parseInt(form.dataset.sizeLimit, 10);
    if (!limit || !window.TextEncoder) { return; }
    var encoder = new TextEncoder();
    form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      if (submitter && submitter.value !== "save") { return; }
      var total = 0;
      var largest = null;
      var largestSize = -1;
      form.querySelectorAll("textarea, input[type=text], input:not([type])").forEach(function (el) {
        var size = encoder.encode(el.value).length;
        total += size;
        if (el.tagName === "TEXTAREA" && size > largestSize) { largest = el; largestSize = size; }
      });
      if (largest) { fieldMessage(largest, largest.id + "-size", ""); }
      if (total <= limit) { return; }
      event.preventDefault();
      var mb = (total / (1024 * 1024)).toFixed(1).replace(/\.0$/, "");
      fieldMessage(largest, largest.id + "-size", "The document is " + mb + " MB; the limit is " +
        form.dataset.limitText + ". Shorten this text or split the document.");
      largest.focus();
    });
  }

  document.querySelectorAll("form[data-form-editor]").forEach(function (form) {
    setUpPreview(form);
    setUpTags(form);
    setUpSizeCheck(form);
  });
})();
