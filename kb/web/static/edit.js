// Preview without leaving the page. Without JavaScript the Preview button posts the form and
// the server renders the same preview; this only saves the round trip.
(function () {
  "use strict";

  function showError(body, message) {
    body.textContent = "";
    var p = document.createElement("p");
    p.className = "error-box";
    p.textContent = message;
    body.appendChild(p);
  }

  // Session-authenticated JSON calls carry the page's CSRF token (see base.html) in a header.
  function csrfToken() {
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.getAttribute("content") : "";
  }

  function setUp(form) {
    var button = form.querySelector("[data-preview-button]");
    var textarea = form.querySelector("textarea[name=markdown]");
    var panel = document.getElementById("preview");
    var body = document.getElementById("preview-body");
    if (!button || !textarea || !panel || !body || !window.fetch) {
      return;
    }
    var fallback = false;
    button.addEventListener("click", function (event) {
      if (fallback) {
        return; // the server renders the preview instead
      }
      event.preventDefault();
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      fetch("/api/preview", {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "Accept": "application/json",
          "X-CSRFToken": csrfToken()
        },
        credentials: "same-origin",
        body: JSON.stringify({ markdown: textarea.value, type: form.dataset.previewType })
      })
        .then(function (response) {
          return response.json().then(function (data) {
            return { ok: response.ok, data: data };
          });
        })
        .then(function (result) {
          panel.hidden = false;
          if (result.ok) {
            // The server sanitises the HTML it returns (the same pipeline as saving).
            body.innerHTML = result.data.html;
          } else {
            var error = (result.data && result.data.error) || {};
            showError(body, error.message || "The preview could not be made.");
          }
          panel.scrollIntoView({ block: "start" });
        })
        .catch(function () {
          fallback = true;
          button.disabled = false;
          button.click();
        })
        .finally(function () {
          button.disabled = false;
          button.removeAttribute("aria-busy");
        });
    });
  }

  document.querySelectorAll("form[data-preview-type]").forEach(setUp);
})();
