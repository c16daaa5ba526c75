// Dashboard behaviour without inline scripts (the CSP forbids them): login checks and loading
// state, confirmations, copy buttons, and live updates from Server-Sent Events.
(function () {
  'use strict';

  // Login: field validation before submit, a loading indicator while signing in.
  var login = document.getElementById('login-form');
  if (login) {
    login.setAttribute('novalidate', '');
    login.addEventListener('submit', function (e) {
      var ok = true;
      ['username', 'password'].forEach(function (name) {
        var input = document.getElementById(name);
        var hint = document.getElementById(name + '-hint');
        var empty = !input.value.trim();
        hint.hidden = !empty;
        input.setAttribute('aria-invalid', empty ? 'true' : 'false');
        if (empty && ok) { input.focus(); ok = false; }
      });
      if (!ok) { e.preventDefault(); return; }
      var button = document.getElementById('login-submit');
      button.disabled = true;
      button.classList.add('loading');
      button.textContent = login.getAttribute('data-loading-text');
    });
  }

  document.addEventListener('submit', function (e) {
    var text = e.target.getAttribute && e.target.getAttribute('data-confirm');
    if (text && !window.confirm(text)) e.preventDefault();
  }, true);

  document.addEventListener('click', function (e) {
    var button = e.target.closest && e.target.closest('[data-copy]');
    if (!button) return;
    var input = document.querySelector(button.getAttribute('data-copy'));
    var done = function () { button.textContent = button.getAttribute('data-copied'); };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
    else { input.select(); try { document.execCommand('copy'); done(); } catch (err) { /* selected for the user */ } }
  });

  // Live updates.
  var live = document.body.getAttribute('data-live');
  if (!live || !window.EventSource) return;
  var jobFilter = document.body.getAttribute('data-live-job') || '';
  var execId = document.body.getAttribute('data-live-execution');
  var url = '/events/executions' + (jobFilter && live !== 'jobs' ? '?job_id=' + encodeURIComponent(jobFilter) : '');
  var source = new EventSource(url);
  var refreshJobs = null;
  source.addEventListener('execution', function (ev) {
    var data = JSON.parse(ev.data);
    if (live === 'jobs') {
      if (document.querySelector('[data-job-id="' + data.job_id + '"]') && window.htmx) {
        clearTimeout(refreshJobs);
        refreshJobs = setTimeout(function () { window.htmx.trigger('#jobs-table', 'refresh'); }, 300);
      }
      return;
    }
    if (live === 'execution') {
      var main = document.getElementById('exec-main');
      if (data.id === execId && main && window.htmx) {
        window.htmx.ajax('GET', window.location.pathname, { target: '#exec-main', swap: 'outerHTML' });
      }
      return;
    }
    var row = document.getElementById('exec-' + data.id);
    var tpl = document.createElement('template');
    tpl.innerHTML = data.row.trim();
    var fresh = tpl.content.firstElementChild;
    if (!fresh) return;
    if (row) row.replaceWith(fresh);
    else if (live === 'executions' && (document.body.getAttribute('data-live-insert') === '1' || jobFilter)) {
      var body = document.querySelector('[data-live-table] tbody');
      if (body) body.insertBefore(fresh, body.firstChild);
    }
  });
  window.addEventListener('pagehide', function () { source.close(); });
})();
