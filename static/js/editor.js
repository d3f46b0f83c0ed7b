// Says in the admin why the server refused an image dropped into a Markdown
// editor. markdownx itself only writes "Invalid response" into the text.
"use strict";
(function () {
  var MARKER = "Invalid response";

  function showRefusal(event) {
    var box = event.currentTarget;
    var response = event.detail && event.detail[0];
    var note = box.querySelector(".markdownx-refusal");
    if (!note) {
      note = document.createElement("p");
      note.className = "markdownx-refusal errornote";
      note.setAttribute("role", "alert");
      box.insertBefore(note, box.querySelector(".markdownx-preview"));
    }
    note.textContent = (response && response.error) || "The image could not be uploaded.";
    // markdownx inserts its marker at the caret right after this event: take it out again.
    var editor = box.querySelector(".markdownx-editor");
    window.setTimeout(function () {
      var end = editor.selectionStart;
      if (editor.value.slice(end - MARKER.length, end) === MARKER) {
        editor.value = editor.value.slice(0, end - MARKER.length) + editor.value.slice(end);
        editor.selectionStart = editor.selectionEnd = end - MARKER.length;
        editor.dispatchEvent(new Event("input"));
      }
    }, 0);
  }

  function clearRefusal(event) {
    var note = event.currentTarget.querySelector(".markdownx-refusal");
    if (note) {
      note.remove();
    }
  }

  function watchUploads(root) {
    root.querySelectorAll(".markdownx").forEach(function (box) {
      if (box.dataset.refusalsShown) {
        return;
      }
      box.dataset.refusalsShown = "yes";
      box.addEventListener("markdownx.fileUploadError", showRefusal);
      box.addEventListener("markdownx.fileUploadEnd", clearRefusal);
    });
  }

  // A row added with "Add another" is a copy of the formset's hidden empty
  // row, which markdownx already started on (and marked so): its copy has no
  // editor behind it. Unmark the copy and run markdownx's script once more; it
  // starts an editor on every box not yet started, and on none twice.
  function startEditorsIn(row) {
    var editors = row.querySelectorAll(".markdownx .markdownx-editor");
    if (!editors.length) {
      return;
    }
    editors.forEach(function (editor) {
      editor.removeAttribute("data-markdownx-init");
    });
    var loaded = document.querySelector('script[src*="markdownx/js/markdownx"]');
    if (loaded) {
      var again = document.createElement("script");
      again.src = loaded.src;
      document.body.appendChild(again);
    }
    watchUploads(row);
  }

  document.addEventListener("DOMContentLoaded", function () {
    watchUploads(document);
  });
  document.addEventListener("formset:added", function (event) {
    startEditorsIn(event.target);
  });
})();
