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

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".markdownx").forEach(function (box) {
      box.addEventListener("markdownx.fileUploadError", showRefusal);
      box.addEventListener("markdownx.fileUploadEnd", clearRefusal);
    });
  });
})();
