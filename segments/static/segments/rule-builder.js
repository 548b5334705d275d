/*
 * Rule builder (no dependencies): segment rules, placement variants' context conditions
 * and trigger conditions, all in the segment condition language.
 *
 * Renders a rule of the segment condition language (segments/conditions/README.md) as
 * nested ALL / ANY / NOT groups with three kinds of leaves (field, event window, segment
 * membership), writes the canonical JSON into the form's textarea on every change, and
 * asks the admin preview endpoint how many visitors match (debounced). "Edit JSON" shows
 * the textarea itself; without JavaScript the textarea is all there is.
 *
 * Fields come from the field registry (tracking.rule_fields, sent as the vocabulary):
 * a searchable picker grouped Profile / Behaviour / Customer attributes / Context shows
 * their labels, and values are typed by the field: choices by name ("Germany", stored as
 * "DE"), numbers with their unit, dates with a date input, yes/no for true/false.
 */
(function () {
  "use strict";

  var OP_LABELS = {
    eq: "=", ne: "≠", lt: "<", lte: "≤", gt: ">", gte: "≥",
    in: "is one of", not_in: "is none of", contains: "contains",
    startswith: "starts with", exists: "exists",
  };
  var DATE_OP_LABELS = { lt: "before", lte: "on or before", gt: "after", gte: "on or after", exists: "exists" };
  var AGG_LABELS = { count: "Number of", sum: "Sum of", max: "Largest", min: "Smallest" };
  var GROUP_LABELS = { all: "ALL of", any: "ANY of", not: "NOT" };
  var TYPE_LABELS = { text: "text", number: "number", bool: "yes/no" };
  var LIST_OPS = ["in", "not_in"];
  var PREVIEW_DELAY_MS = 450;
  var ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
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

  function isList(op) {
    return LIST_OPS.indexOf(op) >= 0;
  }

  /* ---- values: untyped inputs keep text plus a type; JSON gets typed values ---- */

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
    if (isList(op)) {
      return String(text).split(",").map(function (part) { return part.trim(); })
        .filter(function (part) { return part !== ""; })
        .map(function (part) { return convertOne(part, type); });
    }
    return convertOne(text, type);
  }

  /** The input type of a registry type, for typed values. */
  function inputType(fieldType) {
    return fieldType === "number" ? "number" : fieldType === "boolean" ? "bool" : "text";
  }

  /** A value fitting `op` after the op changed: lists hold scalars, exists a boolean. */
  function reshape(value, op) {
    if (op === "exists") return typeof value === "boolean" ? value : true;
    if (isList(op)) {
      if (Array.isArray(value)) return value;
      return value === "" || value === undefined || typeof value === "boolean" ? [] : [value];
    }
    if (Array.isArray(value)) return value.length ? value[0] : "";
    return typeof value === "boolean" ? "" : value;
  }

  /* ---- the field registry, as the vocabulary carries it ---- */

  function Registry(vocabulary) {
    var self = this;
    this.groups = vocabulary.groups || [];
    this.fields = vocabulary.fields || [];
    this.families = vocabulary.families || [];
    this.eventTypes = vocabulary.event_types || [];
    this.eventProperties = vocabulary.event_properties || [];
    this.byPath = {};
    this.fields.forEach(function (field) { self.byPath[field.path] = field; });
  }

  Registry.prototype.familyOf = function (path) {
    return this.families.filter(function (family) {
      return String(path).indexOf(family.prefix) === 0;
    })[0] || null;
  };

  Registry.prototype.keyChoice = function (family, key) {
    return family.keys.filter(function (choice) { return String(choice.value) === key; })[0] || null;
  };

  /** The field at `path` (a family field gets its family's shape), or null. */
  Registry.prototype.resolve = function (path) {
    if (this.byPath[path]) return this.byPath[path];
    var family = this.familyOf(path);
    if (!family) return null;
    var key = path.slice(family.prefix.length);
    var choice = this.keyChoice(family, key);
    if (!key || key.indexOf(".") >= 0 || (family.closed_keys && !choice)) return null;
    return {
      path: path, label: family.label.replace("{key}", choice ? choice.label : key),
      group: family.group, type: family.type, unit: family.unit, ops: family.ops,
      choices: [], closed: false, minimum: family.minimum, maximum: family.maximum,
      family: family, key: key,
    };
  };

  /** Picker entries: fields and families ("Interest in a category…"), by group. */
  Registry.prototype.entries = function () {
    var entries = this.fields.map(function (field) {
      return { group: field.group, label: field.label, path: field.path, detail: field.path, field: field };
    });
    this.families.forEach(function (family) {
      entries.push({
        group: family.group, label: family.label.replace("{key}", "a " + family.key_name) + "…",
        path: family.prefix, detail: family.prefix + "<" + family.key_name + ">", family: family,
      });
    });
    return entries;
  };

  Registry.prototype.eventTypeLabel = function (name) {
    var found = this.eventTypes.filter(function (choice) { return choice.value === name; })[0];
    return found ? found.label : name;
  };

  /** Known properties of an event type (any type when the property names none). */
  Registry.prototype.propertiesOf = function (eventType, numericOnly) {
    return this.eventProperties.filter(function (property) {
      var applies = !property.event_types.length || property.event_types.indexOf(eventType) >= 0;
      return applies && (!numericOnly || property.type === "number");
    });
  };

  Registry.prototype.property = function (eventType, path) {
    return this.propertiesOf(eventType, false).filter(function (property) {
      return property.path === path;
    })[0] || null;
  };

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
      // `value` is the typed JSON value the registry's controls edit; a field the
      // registry does not know falls back to text plus a chosen type (`text`, `type`).
      return {
        kind: "field", field: rule.field, op: rule.op || "eq", typed: true,
        value: rule.value === undefined ? "" : rule.value,
        type: typeOfValue(rule.value), text: textOfValue(rule.value),
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

  function parseRoot(rule, implicitEmpty) {
    // Where "no condition" is stored as empty (variants, triggers), an empty rule starts as
    // an implicit group: its first condition is stored on its own, like the demo's.
    var empty = rule === null || rule === undefined || (isObject(rule) && !Object.keys(rule).length);
    if (empty && implicitEmpty) {  // a trigger stores "always" as {}
      return { kind: "group", op: "all", children: [], implicit: true };
    }
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
      var value = node.typed ? node.value : convertValue(node.text, node.type, node.op);
      return { field: node.field, op: node.op, value: value };
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
    this.vocabulary = vocabularyOf(root.dataset.vocabularyId);
    this.registry = new Registry(this.vocabulary);
    this.listIds = {};
    this.emptyIsNull = root.hasAttribute("data-empty-is-null");
    // Only the segment form has a kind (rule or not) and a parent the preview follows.
    this.kindSelect = this.fieldOfForm(root.dataset.kindField);
    this.parentSelect = this.fieldOfForm(root.dataset.parentField);
    this.timer = null;
    this.request = null;
    this.nodeElements = [];
    this.start();
  }

  RuleBuilder.prototype.fieldOfForm = function (name) {
    return name && this.form ? this.form.querySelector("[name=" + JSON.stringify(name) + "]") : null;
  };

  RuleBuilder.prototype.start = function () {
    var self = this;
    this.toggle.hidden = false;
    document.addEventListener("mousedown", function (event) {
      if (self.openPicker && !self.openPicker.contains(event.target)) self.closePicker();
    });
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
      this.tree = parseRoot(null, this.emptyIsNull);
      this.setRawMode(true, "The JSON does not parse: " + error.message);
      this.applyKind();
      return;
    }
    this.tree = parseRoot(rule, this.emptyIsNull);
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
        this.tree = parseRoot(text ? JSON.parse(text) : null, this.emptyIsNull);
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
    var empty = this.tree.kind === "group" && !this.tree.children.length;
    // A variant or trigger without conditions stores none, not an empty group.
    this.textarea.value = empty && this.emptyIsNull ? "" : JSON.stringify(serialize(this.tree, ""), null, 2);
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
    if (!this.vocabulary.preview_url || !this.isRule()) return;
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
    fetch(this.vocabulary.preview_url, {
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

  /** A <datalist> of (value, label) pairs, made once per distinct list and reused. */
  RuleBuilder.prototype.datalist = function (name, pairs) {
    var id = this.root.id + "-list-" + name.replace(/[^A-Za-z0-9_-]/g, "_");
    if (!this.listIds[id]) {
      this.root.appendChild(el("datalist", { id: id }, pairs.map(function (pair) {
        return el("option", { value: pair[0], label: pair[1] });
      })));
      this.listIds[id] = true;
    }
    return id;
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
        add("Condition", function () {
          return { kind: "field", field: "", op: "eq", typed: true, value: "", type: "text", text: "" };
        }),
        add("Event window", function () {
          return { kind: "events", type: "purchase", within: "30d", agg: "count", property: "", where: [], op: "gte", valueType: "number", value: "1" };
        }),
        add("Segment", function () { return { kind: "segment", key: firstSegment }; }),
        add("Group", function () { return { kind: "group", op: "any", children: [] }; }),
      ]),
    ]);
    return this.track(node, box);
  };

  /* ---- the field picker: a searchable list grouped by the registry's groups ---- */

  RuleBuilder.prototype.closePicker = function () {
    if (!this.openPicker) return;
    this.openPicker.querySelector(".rb-picker__panel").hidden = true;
    this.openPicker.querySelector(".rb-picker__button").setAttribute("aria-expanded", "false");
    this.openPicker = null;
  };

  RuleBuilder.prototype.fieldPicker = function (node, spec) {
    var self = this;
    var registry = this.registry;
    var family = registry.familyOf(node.field);
    var current = spec ? spec.label
      : family ? family.label.replace("{key}", "…")
        : node.field ? node.field + " (unknown field)" : "Choose a field…";
    var button = el("button", {
      type: "button", class: "rb-picker__button" + (spec ? "" : " rb-picker__button--empty"),
      "aria-haspopup": "listbox", "aria-expanded": "false", "aria-label": "Field", title: node.field || "",
      text: current,
    });
    var search = el("input", {
      type: "search", class: "rb-picker__search", placeholder: "Search fields…",
      "aria-label": "Search fields", autocomplete: "off", spellcheck: "false",
    });
    var list = el("ul", { class: "rb-picker__list", role: "listbox", "aria-label": "Fields" });
    var options = [];
    registry.groups.forEach(function (group) {
      var entries = registry.entries().filter(function (entry) { return entry.group === group; });
      if (!entries.length) return;
      var heading = el("li", { class: "rb-picker__group", role: "presentation", text: group });
      list.appendChild(heading);
      entries.forEach(function (entry) {
        var option = el("li", {
          class: "rb-picker__option", role: "option", "data-path": entry.path,
          "aria-selected": entry.path === node.field ? "true" : "false",
          onmousedown: function (event) { event.preventDefault(); choose(entry); },
        }, [
          el("span", { class: "rb-picker__label", text: entry.label }),
          el("span", { class: "rb-picker__path", text: entry.detail }),
        ]);
        option.entry = entry;
        option.heading = heading;
        options.push(option);
        list.appendChild(option);
      });
    });
    var panel = el("div", { class: "rb-picker__panel", hidden: true }, [search, list]);
    var picker = el("span", { class: "rb-picker" }, [button, panel]);
    var active = -1;

    function visible() {
      return options.filter(function (option) { return !option.hidden; });
    }

    function highlight(index) {
      var shown = visible();
      shown.forEach(function (option) { option.classList.remove("rb-picker__option--active"); });
      active = Math.max(0, Math.min(index, shown.length - 1));
      if (shown[active]) {
        shown[active].classList.add("rb-picker__option--active");
        shown[active].scrollIntoView({ block: "nearest" });
      }
    }

    function filter() {
      var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      options.forEach(function (option) {
        var text = (option.entry.label + " " + option.entry.detail).toLowerCase();
        option.hidden = !words.every(function (word) { return text.indexOf(word) >= 0; });
      });
      list.querySelectorAll(".rb-picker__group").forEach(function (heading) {
        heading.hidden = !options.some(function (option) { return option.heading === heading && !option.hidden; });
      });
      highlight(0);
    }

    function choose(entry) {
      var path = entry.path;
      if (entry.family) {
        var keys = entry.family.keys;
        path = entry.family.prefix + (keys.length ? String(keys[0].value) : "");
      }
      self.closePicker();
      self.setField(node, path);
    }

    button.addEventListener("click", function () {
      if (self.openPicker === picker) { self.closePicker(); return; }
      self.closePicker();
      self.openPicker = picker;
      panel.hidden = false;
      button.setAttribute("aria-expanded", "true");
      search.value = "";
      filter();
      search.focus();
      panel.scrollIntoView({ block: "nearest" });
    });
    search.addEventListener("input", filter);
    search.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
      else if (event.key === "Enter") {
        event.preventDefault();
        var shown = visible();
        if (shown[active]) choose(shown[active].entry);
      } else if (event.key === "Escape") { self.closePicker(); button.focus(); }
    });
    return picker;
  };

  /** Point a field leaf at another field: keep the op if it applies, reset the value. */
  RuleBuilder.prototype.setField = function (node, path) {
    var spec = this.registry.resolve(path);
    node.field = path;
    node.typed = true;
    if (spec && spec.ops.indexOf(node.op) < 0) node.op = spec.ops[0];
    node.value = node.op === "exists" ? true : isList(node.op) ? [] : spec && spec.type === "boolean" ? true : "";
    this.rebuilt();
  };

  /** The key input of a family field: an event type, a category, a query parameter. */
  RuleBuilder.prototype.familyKey = function (node, spec) {
    var self = this;
    var family = spec ? spec.family : this.registry.familyOf(node.field);
    if (!family) return null;
    var key = node.field.slice(family.prefix.length);
    var setKey = function (value) {
      node.field = family.prefix + value.trim();
      self.changed();
    };
    if (family.closed_keys) {
      return this.select(family.keys.map(function (choice) { return [String(choice.value), choice.label]; }),
        key, function (event) { setKey(event.target.value); self.rebuilt(); }, family.key_name);
    }
    var pairs = family.keys.map(function (choice) { return [String(choice.value), choice.label]; });
    return el("input", {
      type: "text", value: key, class: "rb-input rb-input--key", "aria-label": family.key_name,
      placeholder: family.key_name, spellcheck: "false",
      list: pairs.length ? this.datalist(family.prefix, pairs) : null,
      oninput: function (event) { setKey(event.target.value); },
    });
  };

  /* ---- typed values of registry fields ---- */

  function choiceText(spec, value) {
    var found = spec.choices.filter(function (choice) { return choice.value === value; })[0];
    return found ? found.label : String(value);
  }

  RuleBuilder.prototype.choiceSelect = function (spec, value, onchange, label) {
    var options = [["", "Choose…"]].concat(spec.choices.map(function (choice) {
      return [JSON.stringify(choice.value), choice.label];
    }));
    var current = value === "" || value === undefined ? "" : JSON.stringify(value);
    var select = this.select(options, current, function (event) {
      onchange(event.target.value === "" ? "" : JSON.parse(event.target.value));
    }, label);
    if (current && !spec.choices.some(function (choice) { return JSON.stringify(choice.value) === current; })) {
      select.options[select.options.length - 1].textContent = String(value) + " (not a choice)";
    }
    return select;
  };

  /** Chosen values of an `in`/`not_in` over choices, as removable chips. */
  RuleBuilder.prototype.choiceChips = function (node, spec) {
    var self = this;
    var values = Array.isArray(node.value) ? node.value : [];
    var chips = values.map(function (value, index) {
      return el("span", { class: "rb-chip" }, [
        choiceText(spec, value),
        el("button", {
          type: "button", class: "rb-chip__remove", "aria-label": "Remove " + choiceText(spec, value), text: "×",
          onclick: function () { values.splice(index, 1); node.value = values; self.rebuilt(); },
        }),
      ]);
    });
    var left = { choices: spec.choices.filter(function (choice) { return values.indexOf(choice.value) < 0; }) };
    var adder = this.choiceSelect(left, "", function (value) {
      if (value === "") return;
      node.value = values.concat([value]);
      self.rebuilt();
    }, "Add a value");
    adder.options[0].textContent = values.length ? "Add…" : "Choose…";
    return el("span", { class: "rb-chips" }, chips.concat([adder]));
  };

  RuleBuilder.prototype.typedValue = function (node, spec) {
    var self = this;
    var op = node.op;
    var set = function (value) { node.value = value; self.changed(); };
    if (op === "exists") {
      return this.select([["true", "is present"], ["false", "is missing"]], String(node.value !== false),
        function (event) { set(event.target.value === "true"); }, "Presence");
    }
    if (spec.type === "boolean") {
      return this.select([["true", "yes"], ["false", "no"]], String(node.value !== false),
        function (event) { set(event.target.value === "true"); }, "Value");
    }
    var choices = spec.choices.length && ["eq", "ne", "in", "not_in"].indexOf(op) >= 0;
    if (choices && spec.closed) {
      if (isList(op)) return this.choiceChips(node, spec);
      return this.choiceSelect(spec, node.value, set, "Value");
    }
    var list = isList(op);
    var pairs = spec.choices.map(function (choice) { return [String(choice.value), choice.label]; });
    var attrs = {
      value: list ? textOfValue(node.value) : node.value === undefined ? "" : String(node.value),
      "aria-label": "Value", class: "rb-input rb-input--value", spellcheck: "false",
      list: choices ? this.datalist(spec.path, pairs) : null,
      placeholder: list ? "a, b, c" : "value",
      oninput: function (event) {
        var kind = inputType(spec.type);
        set(list ? convertValue(event.target.value, kind, op) : convertOne(event.target.value, kind));
      },
    };
    var reference = typeof node.value === "string" && node.value.charAt(0) === "$";
    if (reference) {
      // "$entry.total" (a trigger condition reading its entry event) is no number.
      attrs.type = "text";
    } else if (spec.type === "number" && !list) {
      attrs.type = "number";
      attrs.step = "any";
      attrs.min = spec.minimum === null ? null : spec.minimum;
      attrs.max = spec.maximum === null ? null : spec.maximum;
    } else if (spec.type === "date" && (node.value === "" || ISO_DAY.test(node.value))) {
      attrs.type = "date";
      attrs.placeholder = null;
    } else {
      attrs.type = "text";
    }
    var input = el("input", attrs);
    return spec.unit ? el("span", { class: "rb-value" }, [input, el("span", { class: "rb-unit", text: spec.unit })]) : input;
  };

  /** Op select, value input and type select for an untyped comparison (event property
   * tests, or a field the registry does not know). */
  RuleBuilder.prototype.comparison = function (target, ops, keys, allowText) {
    var self = this;
    var valueBox = el("span", { class: "rb-value" });
    var drawValue = function () {
      var parts = [];
      if (target.op === "exists") {
        if (target[keys.value] !== "true" && target[keys.value] !== "false") target[keys.value] = "true";
        parts.push(self.select([["true", "is present"], ["false", "is missing"]], target[keys.value], function (event) {
          target[keys.value] = event.target.value;
          self.changed();
        }, "Presence"));
      } else {
        var list = isList(target.op);
        parts.push(el("input", {
          type: "text", value: target[keys.value], "aria-label": "Value",
          placeholder: list ? "a, b, c" : target[keys.type] === "bool" ? "true or false" : "value",
          class: "rb-input rb-input--value", list: keys.list || null,
          oninput: function (event) { target[keys.value] = event.target.value; self.changed(); },
        }));
        if (allowText) {
          parts.push(self.select(Object.keys(TYPE_LABELS).map(function (type) { return [type, TYPE_LABELS[type]]; }),
            target[keys.type], function (event) { target[keys.type] = event.target.value; self.changed(); }, "Value type"));
        }
      }
      valueBox.replaceChildren.apply(valueBox, parts);
    };
    var opSelect = this.select(ops.map(function (op) { return [op, OP_LABELS[op] || op]; }), target.op, function (event) {
      var wasExists = target.op === "exists";
      target.op = event.target.value;
      if (wasExists !== (target.op === "exists")) target[keys.value] = target.op === "exists" ? "true" : "";
      drawValue();
      self.changed();
    }, "Comparison");
    drawValue();
    return [opSelect, valueBox];
  };

  RuleBuilder.prototype.renderField = function (node, parent) {
    var self = this;
    var spec = node.field ? this.registry.resolve(node.field) : null;
    var controls;
    if (spec || !node.field) {
      if (!node.typed) {
        node.typed = true;
        node.value = convertValue(node.text, node.type, node.op);
      }
      var ops = spec ? spec.ops : this.vocabulary.ops;
      var labels = spec && spec.type === "date" ? DATE_OP_LABELS : OP_LABELS;
      var opSelect = this.select(ops.map(function (op) { return [op, labels[op] || op]; }), node.op, function (event) {
        node.op = event.target.value;
        node.value = reshape(node.value, node.op);
        self.rebuilt();
      }, "Comparison");
      controls = [opSelect, spec ? this.typedValue(node, spec) : null];
    } else {
      // Not in the registry (the preview names it): edit it as text, as in the JSON.
      if (node.typed) {
        node.typed = false;
        node.text = textOfValue(node.value);
        node.type = typeOfValue(node.value);
      }
      controls = this.comparison(node, this.vocabulary.ops, { value: "text", type: "type" }, true);
    }
    var box = el("div", { class: "rb-leaf rb-node rb-leaf--field" }, [
      el("span", { class: "rb-tag", text: "Field" }),
      this.fieldPicker(node, spec),
      this.familyKey(node, spec),
    ].concat(controls, [this.removeButton(parent, node)]));
    return this.track(node, box);
  };

  RuleBuilder.prototype.renderEvents = function (node, parent) {
    var self = this;
    var registry = this.registry;
    var input = function (key, placeholder, label, size, list) {
      return el("input", {
        type: "text", value: node[key], placeholder: placeholder, "aria-label": label,
        class: "rb-input", size: size, spellcheck: "false", list: list || null,
        oninput: function (event) { node[key] = event.target.value.trim(); self.changed(); },
      });
    };
    var propertyList = function (numericOnly) {
      var pairs = registry.propertiesOf(node.type, numericOnly).map(function (property) {
        return [property.path, property.label];
      });
      return pairs.length ? self.datalist(node.type + (numericOnly ? "-numbers" : "-properties"), pairs) : null;
    };
    var categories = registry.families.filter(function (family) { return family.prefix === "profile.interest."; })[0];
    var categoryList = categories && categories.keys.length ? this.datalist("categories", categories.keys.map(function (choice) {
      return [String(choice.value), choice.label];
    })) : null;
    var property = node.agg === "count" ? null : input("property", "revenue", "Aggregated property", 14, propertyList(true));
    var where = el("div", { class: "rb-where" }, node.where.map(function (row) {
      var known = registry.property(node.type, row.property);
      var listId = /(^|\.)category$/.test(row.property) ? categoryList : null;
      return el("div", { class: "rb-where__row" }, [
        el("span", { class: "rb-tag rb-tag--soft", text: "where" }),
        el("input", {
          type: "text", value: row.property, placeholder: "category", "aria-label": "Event property",
          class: "rb-input", size: 16, spellcheck: "false", list: propertyList(false),
          oninput: function (event) { row.property = event.target.value.trim(); self.changed(); },
          onchange: function () {
            var found = registry.property(node.type, row.property);
            if (found && found.type && row.value === "") row.type = inputType(found.type);
            self.rebuilt();
          },
        }),
        known ? el("span", { class: "rb-word", text: known.label }) : null,
      ].concat(self.comparison(row, self.vocabulary.ops, { value: "value", type: "type", list: listId }, true), [
        el("button", {
          type: "button", class: "rb-remove", title: "Remove", "aria-label": "Remove this property test", text: "×",
          onclick: function () { node.where.splice(node.where.indexOf(row), 1); self.rebuilt(); },
        }),
      ]));
    }));
    var box = el("div", { class: "rb-leaf rb-node rb-leaf--events" }, [
      el("div", { class: "rb-leaf__line" }, [
        el("span", { class: "rb-tag", text: "Events" }),
        this.select(this.vocabulary.aggregates.map(function (agg) { return [agg, AGG_LABELS[agg] || agg]; }), node.agg, function (event) {
          node.agg = event.target.value;
          if (node.agg === "count") node.property = "";
          self.rebuilt();
        }, "Aggregate"),
        property,
        property ? el("span", { class: "rb-word", text: "in" }) : null,
        this.select(registry.eventTypes.map(function (choice) { return [choice.value, choice.label]; }), node.type, function (event) {
          node.type = event.target.value;
          self.rebuilt();
        }, "Event type"),
        el("span", { class: "rb-word", text: "events in the last" }),
        input("within", "7d", "Window, e.g. 30m, 1h, 7d, 2w", 5),
      ].concat(this.comparison(node, this.vocabulary.event_leaf_ops, { value: "value", type: "valueType" }, false), [this.removeButton(parent, node)])),
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

  /* Builders on one page (one per placement variant) share one parsed vocabulary. */
  var vocabularies = {};

  function vocabularyOf(id) {
    if (!vocabularies[id]) vocabularies[id] = JSON.parse(document.getElementById(id).textContent);
    return vocabularies[id];
  }

  function init(scope) {
    (scope || document).querySelectorAll("[data-rule-builder]").forEach(function (root) {
      if (!root.ruleBuilder) root.ruleBuilder = new RuleBuilder(root);
    });
  }

  // A variant added in the placement editor brings its own (still empty) builder.
  document.addEventListener("w-formset:added", function (event) { init(event.target); });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { init(); });
  else init();

  window.pzRuleBuilder = { init: init, parse: parseRoot, serialize: serialize };
})();
