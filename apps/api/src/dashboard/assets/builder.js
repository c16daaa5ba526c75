// The job builder: a form and the JSON side by side, both editing one definition object.
// Step config fields come from the API's JSON Schema (GET /api/schema/job-definition), live
// validation from the API's own validator (POST /builder/validate), saving from POST/PUT /api/jobs.
(function () {
  'use strict';
  var root = document.getElementById('builder');
  if (!root) return;
  var csrf = document.body.getAttribute('data-csrf');
  var jobId = root.getAttribute('data-job-id');
  var msg = function (name) { return root.getAttribute('data-msg-' + name) || name; };
  var jsonArea = document.getElementById('b-json');
  var stepsBox = document.getElementById('steps');
  var schema = null;
  var variables = [];
  var lastFocused = null;
  var validateTimer = null;
  var previewTimer = null;

  var initial = root.getAttribute('data-definition');
  var def = initial ? JSON.parse(initial) : {
    name: '',
    schedule: { type: 'cron', expression: '0 0 8 * * ?', timezone: 'Asia/Ho_Chi_Minh' },
    triggers: { scheduled: true, manual: true },
    max_retries: 3,
    timeout_seconds: 300,
    steps: []
  };
  if (!def.triggers) def.triggers = { scheduled: !!def.schedule, manual: true };

  function getPath(obj, path) {
    return path.split('.').reduce(function (o, k) { return o == null ? undefined : o[k]; }, obj);
  }
  function setPath(obj, path, value) {
    var keys = path.split('.');
    var o = obj;
    for (var i = 0; i < keys.length - 1; i++) {
      if (o[keys[i]] == null || typeof o[keys[i]] !== 'object') o[keys[i]] = {};
      o = o[keys[i]];
    }
    if (value === undefined) delete o[keys[keys.length - 1]]; else o[keys[keys.length - 1]] = value;
  }
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) e.appendChild(c); });
    return e;
  }

  // ---- schema helpers ----
  function resolve(s) {
    if (s && s.$ref) return schema.$defs[s.$ref.replace('#/$defs/', '')];
    return s;
  }
  function mainVariant(p) {
    if (!p) return {};
    if (p.anyOf) {
      var v = p.anyOf.filter(function (x) { return !(x.type === 'null') && !(x.pattern === '\\{\\{|\\$\\{'); })[0];
      return resolve(v || {});
    }
    return resolve(p);
  }
  function configSchema(type) {
    if (!schema) return null;
    var step = schema.$defs.StepDefinition;
    var branch = (step.allOf || []).filter(function (b) { return b.if.properties.type.const === type; })[0];
    return branch ? resolve(branch.then.properties.config) : null;
  }

  // ---- the form from the definition ----
  function syncFixedFields() {
    document.querySelectorAll('[data-bind]').forEach(function (input) {
      var v = getPath(def, input.getAttribute('data-bind'));
      if (input.hasAttribute('data-bool')) input.checked = !!v;
      else if (document.activeElement !== input) input.value = v == null ? '' : String(v);
    });
    var type = def.schedule && def.triggers.scheduled !== false ? def.schedule.type : 'manual';
    document.getElementById('b-schedule-type').value = type;
    document.querySelectorAll('[data-schedule]').forEach(function (f) {
      f.hidden = f.getAttribute('data-schedule').split(' ').indexOf(type) < 0;
    });
  }

  function configField(step, index, name, prop, required) {
    var v = mainVariant(prop);
    var id = 'step-' + index + '-cfg-' + name;
    var path = 'steps[' + index + '].config.' + name;
    var current = step.config ? step.config[name] : undefined;
    var input;
    var kind = v.enum ? 'enum' : v.type === 'boolean' ? 'bool' : (v.type === 'string' || v.type === 'integer' || v.type === 'number') ? 'scalar' : 'json';
    if (kind === 'enum' || kind === 'bool') {
      input = el('select', { id: id });
      input.appendChild(el('option', { value: '', text: '' }));
      (kind === 'bool' ? ['true', 'false'] : v.enum).forEach(function (o) { input.appendChild(el('option', { value: String(o), text: String(o) })); });
      input.value = current == null ? '' : String(current);
    } else if (kind === 'scalar') {
      input = el('input', { id: id, type: 'text' });
      input.value = current == null ? '' : String(current);
      if (v.default !== undefined && current == null) input.setAttribute('placeholder', String(v.default));
    } else {
      input = el('textarea', { id: id, rows: '3', spellcheck: 'false' });
      input.value = current == null ? '' : (typeof current === 'string' ? current : JSON.stringify(current, null, 2));
    }
    input.setAttribute('data-config-field', name);
    input.addEventListener('focus', function () { lastFocused = input; });
    input.addEventListener('input', function () {
      var raw = input.value;
      var value;
      if (raw === '') value = undefined;
      else if (kind === 'bool') value = raw === 'true';
      else if (kind === 'scalar' && (v.type === 'integer' || v.type === 'number') && /^-?\d+(\.\d+)?$/.test(raw)) value = Number(raw);
      else if (kind === 'json') { try { value = JSON.parse(raw); } catch (e) { value = raw; } }
      else value = raw;
      step.config = step.config || {};
      if (value === undefined) delete step.config[name]; else step.config[name] = value;
      changed(false);
    });
    return el('div', { class: 'field' }, [
      el('label', { for: id, text: name + (required ? ' *' : '') }),
      input,
      prop && (prop.description || v.description) ? el('small', { class: 'muted', text: prop.description || v.description }) : null,
      el('small', { class: 'field-error', 'data-error-for': path })
    ]);
  }

  function referenceOptions(index) {
    var opts = [];
    def.steps.slice(0, index).forEach(function (s) {
      opts.push('{{steps.' + s.id + '.output}}');
      if (s.type === 'http') opts.push('{{steps.' + s.id + '.response.body}}');
    });
    variables.forEach(function (n) { opts.push('${' + n + '}'); });
    ['{{execution_id}}', '{{job_id}}', '{{execution_date}}', '{{attempt}}', '{{trigger_source}}', '{{webhook.payload}}'].forEach(function (o) { opts.push(o); });
    return opts;
  }

  function stepBox(step, index) {
    var box = el('fieldset', { class: 'step', 'data-step-index': String(index) });
    box.appendChild(el('legend', { text: (index + 1) + '. ' + (step.name || step.id || '') + ' (' + step.type + ')' }));
    function simple(label, key, path) {
      var id = 'step-' + index + '-' + key;
      var input = el('input', { id: id, 'data-step-field': key });
      input.value = step[key] == null ? '' : step[key];
      input.addEventListener('focus', function () { lastFocused = input; });
      input.addEventListener('input', function () {
        if (input.value === '' && key === 'condition') delete step.condition; else step[key] = input.value;
        changed(false);
      });
      return el('div', { class: 'field' }, [el('label', { for: id, text: label }), input, el('small', { class: 'field-error', 'data-error-for': path })]);
    }
    box.appendChild(simple(msg('step-id'), 'id', 'steps[' + index + '].id'));
    box.appendChild(simple(msg('step-name'), 'name', 'steps[' + index + '].name'));
    box.appendChild(simple(msg('condition'), 'condition', 'steps[' + index + '].condition'));
    var cs = configSchema(step.type);
    var cfg = el('fieldset', { class: 'config' }, [el('legend', { text: msg('config') + ' · ' + step.type })]);
    if (cs && cs.properties) {
      var req = cs.required || [];
      Object.keys(cs.properties).forEach(function (name) { cfg.appendChild(configField(step, index, name, cs.properties[name], req.indexOf(name) >= 0)); });
    }
    cfg.appendChild(el('small', { class: 'field-error', 'data-error-for': 'steps[' + index + '].config' }));
    box.appendChild(cfg);
    var picker = el('select', { id: 'step-' + index + '-ref', 'aria-label': msg('insert') });
    picker.appendChild(el('option', { value: '', text: msg('insert') + '…' }));
    referenceOptions(index).forEach(function (o) { picker.appendChild(el('option', { value: o, text: o })); });
    picker.addEventListener('change', function () {
      var target = lastFocused && box.contains(lastFocused) ? lastFocused : box.querySelector('[data-config-field]');
      if (target && picker.value) {
        var start = target.selectionStart != null ? target.selectionStart : target.value.length;
        var end = target.selectionEnd != null ? target.selectionEnd : target.value.length;
        target.value = target.value.slice(0, start) + picker.value + target.value.slice(end);
        target.dispatchEvent(new Event('input'));
        target.focus();
      }
      picker.value = '';
    });
    function button(text, fn, cls) {
      var b = el('button', { type: 'button', class: 'small ' + (cls || ''), text: text });
      b.addEventListener('click', fn);
      return b;
    }
    box.appendChild(el('div', { class: 'step-tools' }, [
      picker,
      button(msg('up'), function () { move(index, -1); }),
      button(msg('down'), function () { move(index, 1); }),
      button(msg('remove'), function () { def.steps.splice(index, 1); changed(true); }, 'danger')
    ]));
    return box;
  }

  function move(index, delta) {
    var j = index + delta;
    if (j < 0 || j >= def.steps.length) return;
    var s = def.steps[index];
    def.steps[index] = def.steps[j];
    def.steps[j] = s;
    changed(true);
  }

  function renderSteps() {
    stepsBox.textContent = '';
    (def.steps || []).forEach(function (s, i) { stepsBox.appendChild(stepBox(s, i)); });
  }

  function renderJson() {
    if (document.activeElement !== jsonArea) jsonArea.value = JSON.stringify(def, null, 2);
  }

  // ---- live validation and preview ----
  function post(url, body, json) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': json ? 'application/json' : 'application/x-www-form-urlencoded', 'X-CSRF-Token': csrf },
      body: json ? JSON.stringify(body) : new URLSearchParams(body).toString()
    });
  }

  function showErrors(errors) {
    document.querySelectorAll('#builder [data-error-for]').forEach(function (e) { e.textContent = ''; });
    var box = document.getElementById('validation');
    box.textContent = '';
    var unplaced = [];
    errors.forEach(function (err) {
      var target = document.querySelector('#builder [data-error-for="' + CSS.escape(err.path) + '"]');
      if (!target) {
        // The nearest enclosing field shows it (steps[0].config.auth.type → steps[0].config.auth).
        var p = err.path;
        while (!target && p.indexOf('.') > 0) {
          p = p.slice(0, p.lastIndexOf('.'));
          target = document.querySelector('#builder [data-error-for="' + CSS.escape(p) + '"]');
        }
      }
      if (target) target.textContent = (target.textContent ? target.textContent + ' ' : '') + err.path + ': ' + err.message;
      else unplaced.push(err);
    });
    box.className = 'validation ' + (errors.length ? 'invalid' : 'valid');
    box.appendChild(el('p', { text: errors.length ? msg('invalid').replace('{count}', errors.length) : msg('valid') }));
    if (unplaced.length) {
      var ul = el('ul');
      unplaced.forEach(function (e) { ul.appendChild(el('li', { text: e.path + ': ' + e.message })); });
      box.appendChild(ul);
    }
  }

  function validateSoon() {
    clearTimeout(validateTimer);
    validateTimer = setTimeout(function () {
      post('/builder/validate', { definition: def }, true)
        .then(function (r) { return r.json(); })
        .then(function (r) { showErrors(r.errors || []); })
        .catch(function () { /* offline: the save answer shows the errors */ });
    }, 300);
  }

  function previewSoon() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(function () {
      var target = document.getElementById('schedule-preview');
      if (!def.schedule) { target.textContent = ''; return; }
      post('/builder/preview', { schedule: JSON.stringify(def.schedule), timezone: def.schedule.timezone || '' }, false)
        .then(function (r) { return r.text(); })
        .then(function (html) {
          // Server-rendered, autoescaped fragment of this site.
          var doc = new DOMParser().parseFromString(html, 'text/html');
          var fresh = doc.getElementById('schedule-preview');
          if (fresh) target.replaceChildren.apply(target, Array.prototype.slice.call(fresh.childNodes));
        })
        .catch(function () {});
    }, 250);
  }

  function changed(structure) {
    if (structure) renderSteps();
    syncFixedFields();
    renderJson();
    validateSoon();
    previewSoon();
  }

  // ---- events ----
  document.querySelectorAll('[data-bind]').forEach(function (input) {
    input.addEventListener('input', function () {
      var path = input.getAttribute('data-bind');
      var value = input.hasAttribute('data-bool') ? input.checked
        : input.value === '' ? undefined
        : input.hasAttribute('data-number') && /^-?\d+$/.test(input.value) ? Number(input.value) : input.value;
      setPath(def, path, value);
      changed(false);
    });
    input.addEventListener('change', function () { input.dispatchEvent(new Event('input')); });
  });
  document.getElementById('b-schedule-type').addEventListener('change', function (e) {
    var type = e.target.value;
    var zone = (def.schedule && def.schedule.timezone) || 'Asia/Ho_Chi_Minh';
    if (type === 'manual') { delete def.schedule; def.triggers.scheduled = false; }
    else {
      var s = { type: type, timezone: zone };
      if (type === 'cron') s.expression = '0 0 8 * * ?';
      if (type === 'fixed_rate') s.interval_seconds = 3600;
      if (type === 'fixed_delay') s.delay_seconds = 3600;
      if (type === 'one_time') s.execute_at = new Date(Date.now() + 86400000).toISOString().slice(0, 19) + 'Z';
      def.schedule = s;
      def.triggers.scheduled = true;
    }
    changed(false);
  });
  document.getElementById('add-step').addEventListener('click', function () {
    var type = document.getElementById('b-new-step-type').value;
    var n = def.steps.length + 1;
    var id = 'step' + n;
    while (def.steps.some(function (s) { return s.id === id; })) id = 'step' + (++n);
    var step = { id: id, name: 'Step ' + n, type: type, config: {} };
    if (type === 'http') step.config = { method: 'GET', url: 'https://example.com' };
    def.steps.push(step);
    changed(true);
    var fresh = stepsBox.lastElementChild && stepsBox.lastElementChild.querySelector('input');
    if (fresh) fresh.focus();
  });
  jsonArea.addEventListener('input', function () {
    var err = document.getElementById('json-error');
    try {
      def = JSON.parse(jsonArea.value);
      if (!def.triggers) def.triggers = {};
      if (!Array.isArray(def.steps)) def.steps = [];
      err.textContent = '';
      changed(true);
    } catch (e) {
      err.textContent = msg('json-invalid').replace('{message}', e.message);
    }
  });
  document.getElementById('builder-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var button = document.getElementById('save-job');
    button.disabled = true;
    fetch(jobId ? '/api/jobs/' + jobId : '/api/jobs', {
      method: jobId ? 'PUT' : 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
      body: JSON.stringify(def)
    }).then(function (r) {
      return r.json().then(function (body) {
        button.disabled = false;
        if (r.ok) { window.location.assign('/jobs/' + body.id + '?msg=saved'); return; }
        showErrors(body.details && body.details.length ? body.details : [{ path: '', message: body.message || String(r.status) }]);
      });
    }).catch(function (err) {
      button.disabled = false;
      showErrors([{ path: '', message: String(err) }]);
    });
  });

  // ---- start ----
  Promise.all([
    fetch('/api/schema/job-definition', { credentials: 'same-origin' }).then(function (r) { return r.json(); }),
    fetch('/api/variables?page_size=200', { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .catch(function () { return { items: [] }; })
  ]).then(function (res) {
    schema = res[0];
    variables = (res[1].items || []).map(function (v) { return v.name; });
    changed(true);
  });
  syncFixedFields();
  renderJson();
})();
