// The drug form, where JavaScript runs: rows reordered by drag or by their
// Move up / Move down buttons, new rows placed last, a section's heading taken
// from its type, and a question before a workflow step would drop unsaved
// edits or change what readers see. Without it the server does the same checks.
"use strict";
(function () {
  var GROUPS = ["ingredients", "sections", "side_effects", "faqs"];
  var ROW_NAMES = ["heading", "name", "question"];
  // Sent with a workflow step, never edits of the monograph.
  var NOT_EDITS = /^(csrfmiddlewaretoken|note_\w+|_from_page|_confirmed|_discard_changes)$/;

  function form() {
    return document.getElementById("drug_form");
  }

  // Unsaved changes: every control compared with what the page was served with.
  function unsavedChanges() {
    var changed = false;
    Array.prototype.forEach.call(form().elements, function (el) {
      if (changed || !el.name || NOT_EDITS.test(el.name) || el.name.indexOf("__prefix__") !== -1) {
        return;
      }
      if (el.type === "checkbox" || el.type === "radio") {
        changed = el.checked !== el.defaultChecked;
      } else if (el.tagName === "SELECT") {
        changed = Array.prototype.some.call(el.options, function (option) {
          return option.selected !== option.defaultSelected;
        });
        // A select without a selected option shows (and sends) its first.
        if (changed && !Array.prototype.some.call(el.options, function (o) { return o.defaultSelected; })) {
          changed = el.selectedIndex !== 0;
        }
      } else if (el.type !== "submit" && el.type !== "button" && el.type !== "file") {
        changed = el.value !== el.defaultValue;
      }
    });
    return changed;
  }

  function hidden(owner, name, value) {
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    input.className = "step-extra";
    owner.appendChild(input);
  }

  // Workflow steps: asked first over unsaved edits; publishing and archiving asked again.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-step]");
    if (!button) {
      return;
    }
    var owner = button.form;
    owner.querySelectorAll(".step-extra").forEach(function (input) {
      input.remove();
    });
    var step = button.dataset.step;
    var note = button.parentNode.querySelector("input[required]");
    if (note && !note.value.trim()) {
      event.preventDefault();
      note.setCustomValidity("Say why it goes back to its author.");
      note.reportValidity();
      note.setCustomValidity("");
      return;
    }
    if (owner === form() && unsavedChanges()) {
      var discard = window.confirm(
        "You have changes that are not saved. “" + step + "” acts on the saved monograph, " +
          "so they would be lost.\n\nOK: " + step.toLowerCase() + " without them.\n" +
          "Cancel: stay here, then save them first."
      );
      if (!discard) {
        event.preventDefault();
        return;
      }
      hidden(owner, "_discard_changes", "yes");
    }
    if (button.dataset.confirm) {
      if (!window.confirm(step + "?\n\n" + button.dataset.confirm)) {
        event.preventDefault();
        return;
      }
      hidden(owner, "_confirmed", "yes");
    }
  });

  // Rows of a part, in the page's order (the template of a new row left out).
  function groupOf(el) {
    return el.closest(".js-inline-admin-formset");
  }

  function rowSelector(group) {
    return group.dataset.inlineType === "tabular" ? "tr.form-row" : ".inline-related";
  }

  function rowsOf(group) {
    return Array.prototype.filter.call(group.querySelectorAll(rowSelector(group)), function (row) {
      return !row.classList.contains("empty-form");
    });
  }

  // The row an element is in, if it is in one.
  function rowOf(el) {
    var group = el.closest && groupOf(el);
    return group ? el.closest(rowSelector(group)) : null;
  }

  function orderInput(row) {
    return row.querySelector("input.row-order");
  }

  function rowName(row) {
    for (var i = 0; i < ROW_NAMES.length; i++) {
      var input = row.querySelector("[name$='-" + ROW_NAMES[i] + "']");
      if (input && input.value.trim()) {
        return "“" + input.value.trim() + "”";
      }
    }
    return "the new row";
  }

  // The order the rows now stand in becomes the order saved.
  function renumber(group) {
    var rows = rowsOf(group);
    rows.forEach(function (row, index) {
      var order = orderInput(row);
      if (order) {
        order.value = String(index + 1);
      }
    });
    label(group);
  }

  function label(group) {
    rowsOf(group).forEach(function (row) {
      var name = rowName(row);
      var up = row.querySelector(".move-up");
      var down = row.querySelector(".move-down");
      if (up) {
        up.setAttribute("aria-label", "Move " + name + " up");
        down.setAttribute("aria-label", "Move " + name + " down");
      }
    });
  }

  function announce(group, row) {
    var live = document.getElementById("reorder-status");
    var rows = rowsOf(group);
    live.textContent = rowName(row).replace(/^the/, "The") + " is now " + (rows.indexOf(row) + 1) +
      " of " + rows.length + ".";
  }

  function control(className, text, title) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "reorder " + className;
    button.textContent = text;
    button.title = title;
    return button;
  }

  function addControls(row) {
    if (row.querySelector(".reorder-controls") || !orderInput(row)) {
      return;
    }
    var box = document.createElement("span");
    box.className = "reorder-controls";
    var handle = document.createElement("span");
    handle.className = "drag-handle";
    handle.draggable = true;
    handle.title = "Drag to move the row";
    handle.textContent = "⠿";
    handle.setAttribute("aria-hidden", "true");
    box.appendChild(handle);
    box.appendChild(control("move-up", "▲", "Move up"));
    box.appendChild(control("move-down", "▼", "Move down"));
    var place = row.tagName === "TR" ? orderInput(row).parentNode : row.querySelector("h3");
    place.appendChild(box);
  }

  function move(row, before, group) {
    var focused = document.activeElement;
    row.parentNode.insertBefore(row, before);
    renumber(group);
    if (focused && row.contains(focused)) {
      focused.focus();
    }
    announce(group, row);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.reorder");
    if (!button) {
      return;
    }
    var row = rowOf(button);
    var group = groupOf(row);
    var rows = rowsOf(group);
    var at = rows.indexOf(row);
    if (button.classList.contains("move-up") && at > 0) {
      move(row, rows[at - 1], group);
    } else if (button.classList.contains("move-down") && at < rows.length - 1) {
      move(row, rows[at + 1].nextElementSibling, group);
    }
  });

  // Dragging a row by its handle, within its own part.
  var dragged = null;
  document.addEventListener("dragstart", function (event) {
    if (!event.target.classList || !event.target.classList.contains("drag-handle")) {
      return;
    }
    dragged = rowOf(event.target);
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.id);
    event.dataTransfer.setDragImage(dragged, 16, 16);
    dragged.classList.add("dragging");
  });
  document.addEventListener("dragover", function (event) {
    var target = dragged && rowOf(event.target);
    if (target && rowsOf(groupOf(dragged)).indexOf(target) !== -1) {
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
    }
  });
  document.addEventListener("drop", function (event) {
    var target = dragged && rowOf(event.target);
    if (!target || target === dragged || rowsOf(groupOf(dragged)).indexOf(target) === -1) {
      return;
    }
    event.preventDefault();
    var box = target.getBoundingClientRect();
    var after = event.clientY > box.top + box.height / 2;
    move(dragged, after ? target.nextElementSibling : target, groupOf(target));
  });
  document.addEventListener("dragend", function () {
    if (dragged) {
      dragged.classList.remove("dragging");
      dragged = null;
    }
  });

  // A new row goes last: its order one more than the highest.
  document.addEventListener("formset:added", function (event) {
    var row = event.target;
    var group = groupOf(row);
    var order = orderInput(row);
    if (order && !order.value) {
      var highest = rowsOf(group).reduce(function (top, other) {
        var value = other === row ? NaN : parseInt(orderInput(other).value, 10);
        return isNaN(value) ? top : Math.max(top, value);
      }, 0);
      order.value = String(highest + 1);
    }
    label(group);
  });

  // Removing a row just added renames the rows after it by their place on the
  // page: put them back in the order of their names first, then as they were.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a.inline-deletelink");
    if (!link) {
      return;
    }
    var group = groupOf(link);
    var rows = rowsOf(group);
    var index = function (row) {
      return parseInt(row.id.split("-").pop(), 10);
    };
    rows.slice().sort(function (a, b) {
      return index(a) - index(b);
    }).forEach(function (row) {
      row.parentNode.insertBefore(row, group.querySelector(".empty-form"));
    });
    window.setTimeout(function () {
      var byOrder = function (row) {
        var value = parseInt(orderInput(row).value, 10);
        return isNaN(value) ? Infinity : value;
      };
      rowsOf(group).sort(function (a, b) {
        return byOrder(a) - byOrder(b);
      }).forEach(function (row) {
        row.parentNode.insertBefore(row, group.querySelector(".empty-form"));
      });
      label(group);
    }, 0);
  }, true);

  // A section's heading follows its type while nobody has typed one.
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!select.matches || !select.matches("select[data-headings]")) {
      return;
    }
    var headings = JSON.parse(select.dataset.headings);
    var heading = rowOf(select).querySelector("input[name$='-heading']");
    if (!heading.value.trim() || heading.value === heading.dataset.filled) {
      heading.value = headings[select.value] || "";
      heading.dataset.filled = heading.value;
    }
  });

  // A link to a part or an error opens the part holding it, and a field gets the focus.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    if (!link || !link.closest(".form-bar, .error-summary")) {
      return;
    }
    var target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) {
      return;
    }
    for (var part = target.closest("details"); part; part = part.parentNode.closest("details")) {
      part.open = true;
    }
    if (target.matches("input, select, textarea")) {
      event.preventDefault();
      target.scrollIntoView({block: "center"});
      target.focus({preventScroll: true});
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (!form()) {
      return;
    }
    var live = document.createElement("p");
    live.id = "reorder-status";
    live.className = "visually-hidden";
    live.setAttribute("aria-live", "polite");
    document.body.appendChild(live);
    GROUPS.forEach(function (prefix) {
      var group = document.getElementById(prefix + "-group");
      if (!group) {
        return;
      }
      group.querySelectorAll(rowSelector(group)).forEach(addControls);
      label(group);
    });
    var summary = document.getElementById("error-summary");
    var bar = document.getElementById("form-bar");
    if (summary) {
      summary.focus();
    } else if (bar && bar.dataset.focusFirst) {
      var first = Array.prototype.find.call(form().elements, function (el) {
        return /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName) && el.type !== "hidden" &&
          !el.disabled && el.offsetParent;
      });
      if (first) {
        first.focus();
      }
    }
  });
})();
