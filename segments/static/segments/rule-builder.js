/*
 * Segment rule builder (no dependencies).
 *
 * Renders a rule of the segment condition language (segments/conditions/README.md) as
 * nested ALL / ANY / NOT groups with three kinds of leaves (field, event window, segment
 * membership), writes the canonical JSON into the form's textarea on every change, and
 * asks the admin preview endpoint how many visitors match (debounced). "Edit JSON" shows
 * the textarea itself; without JavaScript the textarea is all there is.
 */
(function () {
  "use strict";

  var OP_LABELS = {
    eq: "=", ne: "≠", lt: "<", lte: "≤", gt: ">", gte: "≥",
    in: "is one of", not_in: "is none of", contains: "contains",
    startswith: "starts with", exists: "exists",
  };
  var GROUP_LABELS = { all: "ALL of", any: "ANY of", not: "NOT" };
  var TYPE_LABELS = { text: "text", number: "number", bool: "yes/no" };
  var LIST_OPS = ["in", "not_in"];
  var PREVIEW_DELAY_MS = 450;
  var numberFormat = new Intl.NumberFormat("en");

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === undefined || value === null || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function isObject(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  }

  function onlyKeys(object, allowed) {
    return Object.keys(object).every(function (key) { return allowed.indexOf(key) >= 0; });
  }

  function joinPath(path, part) {
    return path ? path + "." + part : part;
  }

  /* ---- values: the UI keeps text plus a type; JSON gets typed values ---- */

  function typeOfValue(value) {
    if (Array.isArray(value)) return value.length ? typeOfValue(value[0]) : "text";
    if (typeof value === "number") return "number";
    if (typeof value === "boolean") return "bool";
    return "text";
  }

  function textOfValue(value) {
    if (Array.isArray(value)) return value.map(textOfValue).join(", ");
    if (value === null || value === undefined) return "";
    return String(value);
  }

  function convertOne(text, type) {
    var trimmed = String(text).trim();
    if (type === "number") {
      return trimmed !== "" && isFinite(Number(trimmed)) ? Number(trimmed) : trimmed;
    }
    if (type === "bool") return trimmed === "true";
    return String(text);
  }

  function convertValue(text, type, op) {
    if (op === "exists") return text !== "false";
    if (LIST_OPS.indexOf(op) >= 0) {
      return String(text).split(",").map(function (part) { return part.trim(); })
        .filter(function (part) { return part !== ""; })
        .map(function (part) { return convertOne(part, type); });
    }
    return convertOne(text, type);
  }

  /* ---- model: parse JSON into editable nodes, serialize them back ---- */

  function parse(rule) {
    if (rule === null || rule === undefined) return { kind: "group", op: "all", children: [] };
    if (!isObject(rule)) return { kind: "raw", value: rule };
    var keys = Object.keys(rule);
    if (keys.length === 1 && (keys[0] === "all" || keys[0] === "any") && Array.isArray(rule[keys[0]])) {
      return { kind: "group", op: keys[0], children: rule[keys[0]].map(parse) };
    }
    if (keys.length === 1 && keys[0] === "not") {
      return { kind: "group", op: "not", children: [parse(rule.not)] };
    }
    if (keys.length === 1 && keys[0] === "segment" && typeof rule.segment === "string") {
      return { kind: "segment", key: rule.segment };
    }
    if ("field" in rule && onlyKeys(rule, ["field", "op", "value"]) && typeof rule.field === "string") {
      return {
        kind: "field", field: rule.field, op: rule.op || "eq",
        type: typeOfValue(rule.value), value: textOfValue(rule.value),
      };
    }
    if ("events" in rule && onlyKeys(rule, ["events", "op", "value"]) && isObject(rule.events) &&
        onlyKeys(rule.events, ["type", "where", "within", "agg", "property"]) &&
        (rule.events.where === undefined || isObject(rule.events.where))) {
      var where = [];
      Object.keys(rule.events.where || {}).forEach(function (property) {
        var ops = rule.events.where[property];
        if (!isObject(ops)) {
          where.push({ property: property, op: "eq", type: "text", value: textOfValue(ops) });
          return;
        }
        Object.keys(ops).forEach(function (op) {
          where.push({ property: property, op: op, type: typeOfValue(ops[op]), value: textOfValue(ops[op]) });
        });
      });
      return {
        kind: "events", type: rule.events.type || "", within: rule.events.within || "",
        agg: rule.events.agg || "count", property: rule.events.property || "", where: where,
        op: rule.op || "gte", valueType: typeOfValue(rule.value), value: textOfValue(rule.value),
      };
    }
    return { kind: "raw", value: rule };
  }

  function parseRoot(rule) {
    var node = parse(rule);
    if (node.kind === "group") return node;
    // A single condition is shown inside a group, and written back on its own.
    return { kind: "group", op: "all", children: [node], implicit: true };
  }

  function serialize(node, path) {
    node.path = path;
    if (node.kind === "group") {
      if (node.implicit && node.op === "all" && node.children.length === 1) {
        return serialize(node.children[0], path);
      }
      if (node.op === "not") {
        if (node.children.length === 1) return { not: serialize(node.children[0], joinPath(path, "not")) };
        return {
          not: {
            all: node.children.map(function (child, i) {
              return serialize(child, joinPath(path, "not.all[" + i + "]"));
            }),
          },
        };
      }
      var group = {};
      group[node.op] = node.children.map(function (child, i) {
        return serialize(child, joinPath(path, node.op + "[" + i + "]"));
      });
      return group;
    }
    if (node.kind === "segment") return { segment: node.key };
    if (node.kind === "field") {
      return { field: node.field, op: node.op, value: convertValue(node.value, node.type, node.op) };
    }
    if (node.kind === "events") {
      var spec = { type: node.type };
      if (node.where.length) {
        spec.where = {};
        node.where.forEach(function (row) {
          spec.where[row.property] = spec.where[row.property] || {};
          spec.where[row.property][row.op] = convertValue(row.value, row.type, row.op);
        });
      }
      spec.within = node.within;
      if (node.agg && node.agg !== "count") {
        spec.agg = node.agg;
        spec.property = node.property;
      }
      return { events: spec, op: node.op, value: convertValue(node.value, node.valueType, node.op) };
    }
    return node.value;
  }

  /* ---- the builder ---- */

  function RuleBuilder(root) {
    this.root = root;
    this.form = root.closest("form");
    this.textarea = root.querySelector("textarea");
    this.treeBox = root.querySelector("[data-rb-tree]");
    this.rawBox = root.querySelector("[data-rb-raw]");
    this.rawError = root.querySelector("[data-rb-raw-error]");
    this.previewBox = root.querySelector("[data-rb-preview]");
    this.toggle = root.querySelector("[data-rb-toggle]");
    this.vocabulary = JSON.parse(document.getElementById(root.dataset.vocabularyId).textContent);
    this.listId = root.id + "-fields";
    this.kindSelect = this.form && this.form.querySelector("[name=kind]");
    this.parentSelect = this.form && this.form.querySelector("[name=parent]");
    this.timer = null;
    this.request = null;
    this.nodeElements = [];
    this.start();
  }

  RuleBuilder.prototype.start = function () {
    var self = this;
    var list = el("datalist", { id: this.listId });
    this.vocabulary.fields.forEach(function (field) { list.appendChild(el("option", { value: field })); });
    this.root.appendChild(list);
    this.toggle.hidden = false;
    this.toggle.addEventListener("click", function () { self.setRawMode(!self.rawMode); });
    this.textarea.addEventListener("input", function () {
      if (self.rawMode) self.schedulePreview();
    });
    if (this.kindSelect) this.kindSelect.addEventListener("change", function () { self.applyKind(); });
    if (this.parentSelect) this.parentSelect.addEventListener("change", function () { self.schedulePreview(); });

    var text = this.textarea.value.trim();
    var rule;
    try {
      rule = text ? JSON.parse(text) : null;
    } catch (error) {
      this.tree = parseRoot(null);
      this.setRawMode(true, "The JSON does not parse: " + error.message);
      this.applyKind();
      return;
    }
    this.tree = parseRoot(rule);
    if (rule === null) this.write();
    this.setRawMode(false);
    this.applyKind();
  };

  RuleBuilder.prototype.isRule = function () {
    return !this.kindSelect || this.kindSelect.value === "rule";
  };

  RuleBuilder.prototype.applyKind = function () {
    var isRule = this.isRule();
    this.treeBox.hidden = !isRule || this.rawMode;
    this.rawBox.hidden = !isRule || !this.rawMode;
    this.toggle.hidden = !isRule;
    if (!isRule) {
      this.showPreview("Only rule segments have a rule; this one takes no conditions.", "muted");
      return;
    }
    this.schedulePreview(0);
  };

  RuleBuilder.prototype.setRawMode = function (raw, message) {
    if (!raw && this.rawMode) {
      var text = this.textarea.value.trim();
      try {
        this.tree = parseRoot(text ? JSON.parse(text) : null);
      } catch (error) {
        message = "Fix the JSON before going back to the builder: " + error.message;
        raw = true;
      }
    }
    this.rawMode = raw;
    this.rawError.hidden = !message;
    this.rawError.textContent = message || "";
    this.toggle.textContent = raw ? "Use the builder" : "Edit JSON";
    this.toggle.setAttribute("aria-pressed", raw ? "true" : "false");
    this.treeBox.hidden = raw;
    this.rawBox.hidden = !raw;
    if (!raw) this.render();
  };

  /** The rule as JSON from the tree (builder mode) or the textarea (JSON mode). */
  RuleBuilder.prototype.currentRule = function () {
    if (!this.rawMode) return { ok: true, rule: serialize(this.tree, "") };
    try {
      var text = this.textarea.value.trim();
      return { ok: true, rule: text ? JSON.parse(text) : null };
    } catch (error) {
      return { ok: false, message: "The JSON does not parse: " + error.message };
    }
  };

  RuleBuilder.prototype.write = function () {
    this.textarea.value = JSON.stringify(serialize(this.tree, ""), null, 2);
  };

  /** After a value edit: write the JSON and preview, without re-rendering (keeps focus). */
  RuleBuilder.prototype.changed = function () {
    this.write();
    this.textarea.dispatchEvent(new Event("change", { bubbles: true }));
    this.schedulePreview();
  };

  /** After a structural edit: re-render, then as above. */
  RuleBuilder.prototype.rebuilt = function () {
    this.render();
    this.changed();
  };

  /* ---- preview ---- */

  RuleBuilder.prototype.schedulePreview = function (delay) {
    var self = this;
    clearTimeout(this.timer);
    if (!this.vocabulary.previewUrl || !this.isRule()) return;
    this.timer = setTimeout(function () { self.preview(); }, delay === undefined ? PREVIEW_DELAY_MS : delay);
  };

  RuleBuilder.prototype.preview = function () {
    var self = this;
    var current = this.currentRule();
    this.markErrors([]);
    if (!current.ok) {
      this.showPreview(current.message, "error");
      return;
    }
    var rule = current.rule;
    var groupKey = isObject(rule) && Object.keys(rule).length === 1 ? Object.keys(rule)[0] : null;
    if (rule === null || (groupKey && (groupKey === "all" || groupKey === "any") && Array.isArray(rule[groupKey]) && !rule[groupKey].length)) {
      this.showPreview("Add a condition to see how many visitors match.", "muted");
      return;
    }
    if (this.request) this.request.abort();
    this.request = new AbortController();
    var token = this.form && this.form.querySelector("[name=csrfmiddlewaretoken]");
    this.showPreview("Counting…", "muted");
    fetch(this.vocabulary.previewUrl, {
      method: "POST",
      credentials: "same-origin",
      signal: this.request.signal,
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": token ? token.value : "",
        "X-Requested-With": "XMLHttpRequest",
      },
      body: JSON.stringify({ rule: rule, parent: this.parentSelect ? this.parentSelect.value || null : null }),
    })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          return { status: response.status, body: body };
        });
      })
      .then(function (answer) {
        var body = answer.body;
        if (answer.status === 200 && body.real_time_only) {
          self.showPreview("Real time only: this rule reads the request (device, country, …) and is evaluated per request, so it has no stored count.", "realtime");
        } else if (answer.status === 200) {
          var count = numberFormat.format(body.count);
          self.showPreview("≈ " + count + (body.count === 1 ? " visitor matches now" : " visitors match now"), "count");
        } else if (answer.status === 400) {
          var fields = body.fields || {};
          self.showPreview(fields.rule || body.error || "The rule is not valid.", "error");
          self.markErrors(fields.rule_errors || []);
        } else {
          self.showPreview("The preview is not available (HTTP " + answer.status + ").", "error");
        }
      })
      .catch(function (error) {
        if (error.name !== "AbortError") self.showPreview("The preview failed: " + error.message, "error");
      });
  };

  RuleBuilder.prototype.showPreview = function (text, tone) {
    this.previewBox.textContent = text;
    this.previewBox.className = "rule-builder__preview rule-builder__preview--" + tone;
  };

  /** Flag the deepest node whose path starts each error path ("all[1].events.within"). */
  RuleBuilder.prototype.markErrors = function (errors) {
    this.nodeElements.forEach(function (entry) {
      entry.element.classList.remove("rb-node--error");
      entry.message.textContent = "";
      entry.message.hidden = true;
    });
    if (this.rawMode) return;
    var entries = this.nodeElements;
    errors.forEach(function (error) {
      var best = null;
      entries.forEach(function (entry) {
        var path = entry.node.path || "";
        var matches = path === "" || error.path === path ||
          error.path.indexOf(path + ".") === 0 || error.path.indexOf(path + "[") === 0;
        if (matches && (!best || path.length > (best.node.path || "").length)) best = entry;
      });
      if (!best) return;
      var rest = error.path.slice((best.node.path || "").length).replace(/^\./, "");
      best.element.classList.add("rb-node--error");
      best.message.hidden = false;
      best.message.textContent = (best.message.textContent ? best.message.textContent + "; " : "") +
        (rest ? rest + ": " : "") + error.reason;
    });
  };

  /* ---- rendering ---- */

  RuleBuilder.prototype.render = function () {
    this.nodeElements = [];
    serialize(this.tree, "");  // assigns node paths for error marking
    this.treeBox.replaceChildren(this.renderNode(this.tree, null));
  };

  RuleBuilder.prototype.track = function (node, element) {
    var message = el("p", { class: "rb-node__error", role: "alert", hidden: true });
    element.appendChild(message);
    this.nodeElements.push({ node: node, element: element, message: message });
    return element;
  };

  RuleBuilder.prototype.removeButton = function (parent, node) {
    var self = this;
    if (!parent) return null;
    return el("button", {
      type: "button", class: "rb-remove", title: "Remove", "aria-label": "Remove this condition",
      text: "×",
      onclick: function () {
        parent.children.splice(parent.children.indexOf(node), 1);
        self.rebuilt();
      },
    });
  };

  RuleBuilder.prototype.renderNode = function (node, parent) {
    if (node.kind === "group") return this.renderGroup(node, parent);
    if (node.kind === "field") return this.renderField(node, parent);
    if (node.kind === "events") return this.renderEvents(node, parent);
    if (node.kind === "segment") return this.renderSegment(node, parent);
    return this.renderRaw(node, parent);
  };

  RuleBuilder.prototype.select = function (options, value, onchange, label) {
    var select = el("select", { "aria-label": label, onchange: onchange });
    var known = false;
    options.forEach(function (option) {
      var pair = Array.isArray(option) ? option : [option, option];
      if (pair[0] === value) known = true;
      select.appendChild(el("option", { value: pair[0], text: pair[1] }));
    });
    if (!known && value !== undefined && value !== "") {
      select.appendChild(el("option", { value: value, text: value + " (unknown)" }));
    }
    select.value = value;
    return select;
  };

  RuleBuilder.prototype.renderGroup = function (node, parent) {
    var self = this;
    var opSelect = this.select(
      ["all", "any", "not"].map(function (op) { return [op, GROUP_LABELS[op]]; }),
      node.op,
      function (event) {
        node.op = event.target.value;
        node.implicit = false;
        self.rebuilt();
      },
      "Group type"
    );
    var hint = node.op === "not" && node.children.length > 1 ? el("span", { class: "rb-hint", text: "(all of these together)" }) : null;
    var children = el("div", { class: "rb-group__children" },
      node.children.map(function (child) { return self.renderNode(child, node); }));
    if (!node.children.length) {
      children.appendChild(el("p", { class: "rb-empty", text: "No conditions yet: add one below." }));
    }
    var add = function (label, make) {
      return el("button", {
        type: "button", class: "button button-small button-secondary rb-add", text: "+ " + label,
        onclick: function () {
          node.children.push(make());
          if (node.implicit && node.children.length > 1) node.implicit = false;
          self.rebuilt();
        },
      });
    };
    var firstSegment = this.vocabulary.segments.length ? this.vocabulary.segments[0].key : "";
    var box = el("div", { class: "rb-group rb-node rb-group--" + node.op }, [
      el("div", { class: "rb-group__head" }, [opSelect, hint, this.removeButton(parent, node)]),
      children,
      el("div", { class: "rb-group__add" }, [
        add("Condition", function () { return { kind: "field", field: "", op: "eq", type: "text", value: "" }; }),
        add("Event window", function () {
          return { kind: "events", type: "purchase", within: "30d", agg: "count", property: "", where: [], op: "gte", valueType: "number", value: "1" };
        }),
        add("Segment", function () { return { kind: "segment", key: firstSegment }; }),
        add("Group", function () { return { kind: "group", op: "any", children: [] }; }),
      ]),
    ]);
    return this.track(node, box);
  };

  RuleBuilder.prototype.defaultType = function (field) {
    var types = this.vocabulary.valueTypes;
    if (types.exact[field]) return types.exact[field];
    if (types.boolean.some(function (prefix) { return field.indexOf(prefix) === 0; })) return "bool";
    if (types.numeric.some(function (prefix) { return field.indexOf(prefix) === 0; })) return "number";
    return "text";
  };

  /** Op select, value input and type select for a comparison (leaf or where row). */
  RuleBuilder.prototype.comparison = function (target, ops, typeKey, allowText) {
    var self = this;
    var valueBox = el("span", { class: "rb-value" });
    var drawValue = function () {
      var parts = [];
      if (target.op === "exists") {
        if (target.value !== "true" && target.value !== "false") target.value = "true";
        parts.push(self.select([["true", "is present"], ["false", "is missing"]], target.value, function (event) {
          target.value = event.target.value;
          self.changed();
        }, "Presence"));
      } else {
        var list = LIST_OPS.indexOf(target.op) >= 0;
        parts.push(el("input", {
          type: "text", value: target.value, "aria-label": "Value",
          placeholder: list ? "a, b, c" : target[typeKey] === "bool" ? "true or false" : "value",
          class: "rb-input rb-input--value",
          oninput: function (event) { target.value = event.target.value; self.changed(); },
        }));
        if (allowText) {
          parts.push(self.select(Object.keys(TYPE_LABELS).map(function (type) { return [type, TYPE_LABELS[type]]; }),
            target[typeKey], function (event) { target[typeKey] = event.target.value; self.changed(); }, "Value type"));
        }
      }
      valueBox.replaceChildren.apply(valueBox, parts);
    };
    var opSelect = this.select(ops.map(function (op) { return [op, OP_LABELS[op] || op]; }), target.op, function (event) {
      var wasExists = target.op === "exists";
      target.op = event.target.value;
      if (wasExists !== (target.op === "exists")) target.value = target.op === "exists" ? "true" : "";
      drawValue();
      self.changed();
    }, "Comparison");
    drawValue();
    return [opSelect, valueBox];
  };

  RuleBuilder.prototype.renderField = function (node, parent) {
    var self = this;
    var fieldInput = el("input", {
      type: "text", list: this.listId, value: node.field, class: "rb-input rb-input--field",
      placeholder: "profile.orders", "aria-label": "Field", spellcheck: "false",
      oninput: function (event) {
        node.field = event.target.value.trim();
        self.changed();
      },
      onchange: function () {
        if (node.value === "") {
          node.type = self.defaultType(node.field);
          self.rebuilt();
        }
      },
    });
    var box = el("div", { class: "rb-leaf rb-node rb-leaf--field" }, [
      el("span", { class: "rb-tag", text: "Field" }),
      fieldInput,
    ].concat(this.comparison(node, this.vocabulary.ops, "type", true), [this.removeButton(parent, node)]));
    return this.track(node, box);
  };

  RuleBuilder.prototype.renderEvents = function (node, parent) {
    var self = this;
    var input = function (key, placeholder, label, size) {
      return el("input", {
        type: "text", value: node[key], placeholder: placeholder, "aria-label": label,
        class: "rb-input", size: size, spellcheck: "false",
        oninput: function (event) { node[key] = event.target.value.trim(); self.changed(); },
      });
    };
    var property = node.agg === "count" ? null : input("property", "revenue", "Aggregated property", 10);
    var where = el("div", { class: "rb-where" }, node.where.map(function (row) {
      return el("div", { class: "rb-where__row" }, [
        el("span", { class: "rb-tag rb-tag--soft", text: "where" }),
        el("input", {
          type: "text", value: row.property, placeholder: "category", "aria-label": "Event property",
          class: "rb-input", size: 12, spellcheck: "false",
          oninput: function (event) { row.property = event.target.value.trim(); self.changed(); },
        }),
      ].concat(self.comparison(row, self.vocabulary.ops, "type", true), [
        el("button", {
          type: "button", class: "rb-remove", title: "Remove", "aria-label": "Remove this property test", text: "×",
          onclick: function () { node.where.splice(node.where.indexOf(row), 1); self.rebuilt(); },
        }),
      ]));
    }));
    var box = el("div", { class: "rb-leaf rb-node rb-leaf--events" }, [
      el("div", { class: "rb-leaf__line" }, [
        el("span", { class: "rb-tag", text: "Events" }),
        this.select(this.vocabulary.aggregates, node.agg, function (event) {
          node.agg = event.target.value;
          if (node.agg === "count") node.property = "";
          self.rebuilt();
        }, "Aggregate"),
        property ? el("span", { class: "rb-word", text: "of" }) : null,
        property,
        el("span", { class: "rb-word", text: node.agg === "count" ? "of" : "in" }),
        this.select(this.vocabulary.eventTypes, node.type, function (event) { node.type = event.target.value; self.changed(); }, "Event type"),
        el("span", { class: "rb-word", text: "in the last" }),
        input("within", "7d", "Window, e.g. 30m, 1h, 7d, 2w", 5),
      ].concat(this.comparison(node, this.vocabulary.eventLeafOps, "valueType", false), [this.removeButton(parent, node)])),
      where,
      el("button", {
        type: "button", class: "button button-small button-secondary rb-add", text: "+ where",
        onclick: function () {
          node.where.push({ property: "", op: "eq", type: "text", value: "" });
          self.rebuilt();
        },
      }),
    ]);
    return this.track(node, box);
  };

  RuleBuilder.prototype.renderSegment = function (node, parent) {
    var self = this;
    var options = this.vocabulary.segments.map(function (segment) {
      return [segment.key, segment.name + " (" + segment.key + ")"];
    });
    var box = el("div", { class: "rb-leaf rb-node rb-leaf--segment" }, [
      el("span", { class: "rb-tag", text: "In segment" }),
      this.select(options, node.key, function (event) { node.key = event.target.value; self.changed(); }, "Segment"),
      this.removeButton(parent, node),
    ]);
    return this.track(node, box);
  };

  RuleBuilder.prototype.renderRaw = function (node, parent) {
    var self = this;
    var box = el("div", { class: "rb-leaf rb-node rb-leaf--raw" }, [
      el("span", { class: "rb-tag", text: "JSON" }),
      el("input", {
        type: "text", value: JSON.stringify(node.value), class: "rb-input rb-input--raw", "aria-label": "Condition as JSON",
        spellcheck: "false",
        oninput: function (event) {
          try {
            node.value = JSON.parse(event.target.value);
            event.target.classList.remove("rb-input--invalid");
            self.changed();
          } catch (error) {
            event.target.classList.add("rb-input--invalid");
          }
        },
      }),
      this.removeButton(parent, node),
    ]);
    return this.track(node, box);
  };

  function init(scope) {
    (scope || document).querySelectorAll("[data-rule-builder]").forEach(function (root) {
      if (!root.ruleBuilder) root.ruleBuilder = new RuleBuilder(root);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { init(); });
  else init();

  window.pzRuleBuilder = { init: init, parse: parseRoot, serialize: serialize };
})();
