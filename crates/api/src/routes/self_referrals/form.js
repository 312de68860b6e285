// The embeddable self-referral form: posts the form as JSON with the partner key, shows
// the reference on success, and ties each field error of a 422 problem to its field.
// Without this script the form still works: it posts itself and the page comes back
// server-rendered. The quick exit leaves for a neutral page without a history entry.
// No framework, no external assets: the page's CSP allows scripts from this service only.
(function () {
  'use strict';

  var form = document.getElementById('self-referral');
  if (!form) { return; }
  var summary = document.getElementById('error-summary');
  var summaryList = document.getElementById('error-summary-list');
  var status = document.getElementById('status');
  var button = document.getElementById('submit');
  var title = document.title;
  var key = form.getAttribute('data-partner-key');
  var endpoint = new URL(form.getAttribute('data-api'), window.location.href).toString();
  var lastBody = null;
  var idempotencyKey = null;

  function $(id) { return document.getElementById(id); }
  function all(name) { return Array.prototype.slice.call(form.querySelectorAll('[name="' + name + '"]')); }

  // Each field of the API, where its message goes and which controls it marks invalid.
  // `group` fields are fieldsets: the fieldset is described by the error.
  var FIELDS = {
    given_name: { label: 'First name', error: 'given_name-error', controls: function () { return [$('given_name')]; } },
    family_name: { label: 'Last name', error: 'family_name-error', controls: function () { return [$('family_name')]; } },
    date_of_birth: { label: 'Date of birth', error: 'date_of_birth-error', group: 'date_of_birth',
      controls: function () { return [$('dob-day'), $('dob-month'), $('dob-year')]; } },
    postcode: { label: 'Postcode', error: 'postcode-error', controls: function () { return [$('postcode')]; } },
    phone: { label: 'Phone number', error: 'phone-error', controls: function () { return [$('phone')]; } },
    email: { label: 'Email address', error: 'email-error', controls: function () { return [$('email')]; } },
    preferred_contact: { label: 'How we contact you', error: 'preferred_contact-error', group: 'preferred_contact',
      controls: function () { return all('preferred_contact'); } },
    address_lines: { label: 'Address', error: 'address_lines-error', group: 'address_lines',
      controls: function () { return [$('address_line_1')]; } },
    nhs_number: { label: 'NHS number', error: 'nhs_number-error', controls: function () { return [$('nhs_number')]; } },
    help_with: { label: 'What you would like help with', error: 'help_with-error', group: 'help_with',
      controls: function () { return all('help_with'); } },
    help_with_details: { label: 'Anything else', error: 'help_with_details-error', controls: function () { return [$('help_with_details')]; } },
    'consent.given': { label: 'Your agreement', error: 'consent-error', group: 'consent',
      controls: function () { return [$('consent-given')]; } }
  };

  // Plainer words for the commonest problems; otherwise the field's label and the API's message.
  function messageFor(field, error) {
    var code = error.code;
    switch (field) {
      case 'given_name': if (code === 'required') { return 'Enter your first name'; } break;
      case 'family_name': if (code === 'required') { return 'Enter your last name'; } break;
      case 'date_of_birth':
        if (code === 'date_format') { return 'Enter your date of birth as day, month and year, for example 27 3 1980'; }
        if (code === 'in_future') { return 'Date of birth must be in the past'; }
        break;
      case 'postcode': if (code === 'postcode_format') { return 'Enter a full UK postcode, like LS1 4AP'; } break;
      case 'phone': if (code === 'phone_format') { return 'Enter a phone number, like 01632 960 001 or 07700 900 982'; } break;
      case 'email': if (code === 'email_format') { return 'Enter an email address like name@example.com'; } break;
      case 'nhs_number': return 'Enter a 10 digit NHS number, like 485 777 3456, or leave it empty';
      case 'preferred_contact':
        if (code === 'contact_missing') {
          var chosen = form.querySelector('[name="preferred_contact"]:checked');
          return chosen && chosen.value === 'email'
            ? 'Enter an email address, or choose another way for us to contact you'
            : 'Enter a phone number, or choose another way for us to contact you';
        }
        return 'Choose how you would like us to contact you';
      case 'address_lines':
        if (code === 'contact_missing') { return 'Enter your address, or choose another way for us to contact you'; }
        break;
      case 'help_with': return 'Choose at least one thing you would like help with';
      case 'consent.given': return 'Tick the box to agree, so that we can contact you';
    }
    return (FIELDS[field] ? FIELDS[field].label + ' ' : '') + error.message;
  }

  function value(id) { return $(id).value.trim(); }

  function pad(s, n) { return s === '' ? '' : ('0000' + s).slice(-n); }

  function dateOfBirth() {
    var d = value('dob-day'), m = value('dob-month'), y = value('dob-year');
    if (d === '' && m === '' && y === '') { return ''; }
    return (y === '' ? '' : pad(y, 4)) + '-' + pad(m, 2) + '-' + pad(d, 2);
  }

  function collect() {
    var chosen = form.querySelector('[name="preferred_contact"]:checked');
    var body = {
      given_name: value('given_name'),
      family_name: value('family_name'),
      date_of_birth: dateOfBirth(),
      postcode: value('postcode'),
      preferred_contact: chosen ? chosen.value : '',
      help_with: all('help_with').filter(function (c) { return c.checked; }).map(function (c) { return c.value; }),
      consent: { given: $('consent-given').checked }
    };
    ['phone', 'email', 'nhs_number', 'help_with_details', 'website'].forEach(function (name) {
      var v = value(name);
      if (v !== '') { body[name] = v; }
    });
    var lines = all('address_line').map(function (l) { return l.value.trim(); }).filter(function (l) { return l !== ''; });
    if (lines.length) { body.address_lines = lines; }
    return body;
  }

  function randomKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  function describe(el, id, on) {
    var ids = (el.getAttribute('aria-describedby') || '').split(/\s+/).filter(function (x) { return x && x !== id; });
    if (on) { ids.push(id); }
    if (ids.length) { el.setAttribute('aria-describedby', ids.join(' ')); } else { el.removeAttribute('aria-describedby'); }
  }

  function clearErrors() {
    Object.keys(FIELDS).forEach(function (field) {
      var f = FIELDS[field];
      var message = $(f.error);
      message.hidden = true;
      message.textContent = '';
      $(f.error).parentNode.classList.remove('field-error');
      f.controls().forEach(function (c) {
        c.removeAttribute('aria-invalid');
        if (!f.group) { describe(c, f.error, false); }
      });
      if (f.group) { describe($(f.group), f.error, false); }
    });
    summaryList.textContent = '';
    summary.hidden = true;
    status.textContent = '';
    document.title = title;
  }

  function showSummary(items) {
    summaryList.textContent = '';
    items.forEach(function (item) {
      var li = document.createElement('li');
      if (item.target) {
        var a = document.createElement('a');
        a.href = '#' + item.target.id;
        a.textContent = item.text;
        a.addEventListener('click', function (e) {
          e.preventDefault();
          item.target.focus();
        });
        li.appendChild(a);
      } else {
        li.textContent = item.text;
      }
      summaryList.appendChild(li);
    });
    summary.hidden = false;
    document.title = 'Error: ' + title;
    summary.focus();
  }

  function showErrors(errors) {
    var items = [];
    var shown = {};
    errors.forEach(function (error) {
      var field = String(error.field || '').replace(/\[\d+\]$/, '');
      var f = FIELDS[field];
      if (!f) {
        items.push({ text: error.message ? 'Something in the form was not accepted: ' + error.message : 'Something in the form was not accepted' });
        return;
      }
      if (shown[field]) { return; }
      shown[field] = true;
      var text = messageFor(field, error);
      var message = $(f.error);
      message.textContent = '';
      var hidden = document.createElement('span');
      hidden.className = 'visually-hidden';
      hidden.textContent = 'Error: ';
      message.appendChild(hidden);
      message.appendChild(document.createTextNode(text));
      message.hidden = false;
      message.parentNode.classList.add('field-error');
      var controls = f.controls();
      controls.forEach(function (c) {
        c.setAttribute('aria-invalid', 'true');
        if (!f.group) { describe(c, f.error, true); }
      });
      if (f.group) { describe($(f.group), f.error, true); }
      items.push({ text: text, target: controls[0] });
    });
    // In the order of the form, as people read it.
    var order = Object.keys(FIELDS).map(function (k) { return FIELDS[k].controls()[0]; });
    items.sort(function (a, b) {
      return (a.target ? order.indexOf(a.target) : 999) - (b.target ? order.indexOf(b.target) : 999);
    });
    showSummary(items);
  }

  function showProblem(text) {
    showSummary([{ text: text }]);
  }

  function showDone(answer) {
    $('reference').textContent = answer.reference;
    $('done-message').textContent = answer.message;
    $('form-view').hidden = true;
    $('done').hidden = false;
    document.title = 'Referral sent: ' + title;
    $('done-title').focus();
  }

  // Quick exit: replace the page (the partner's whole page when framed) with a neutral
  // one, leaving no history entry to come back to. Escape does the same once the safety
  // text is on show.
  var exit = $('quick-exit');
  var abuse = $('help_with-domestic_abuse');
  function leave(event) {
    if (event) { event.preventDefault(); }
    var url = exit.href;
    document.body.textContent = '';
    try {
      window.top.location.replace(url);
    } catch (e) {
      window.location.replace(url);
    }
  }
  if (exit) {
    Array.prototype.forEach.call(document.querySelectorAll('.js-only'), function (el) { el.hidden = false; });
    exit.addEventListener('click', leave);
    document.addEventListener('keydown', function (event) {
      if ((event.key === 'Escape' || event.key === 'Esc') && abuse && abuse.checked) { leave(event); }
    });
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    if (button.disabled) { return; }
    clearErrors();
    var body = collect();
    var text = JSON.stringify(body);
    // A retry of the same answers (after a lost connection) reuses its key, so it can
    // never make a second referral; changed answers are a new request.
    if (text !== lastBody) { lastBody = text; idempotencyKey = randomKey(); }
    button.disabled = true;
    status.textContent = 'Sending your referral…';
    fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Partner-Key': key, 'Idempotency-Key': idempotencyKey },
      body: text,
      credentials: 'omit'
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (answer) {
        status.textContent = '';
        if (response.status === 201 && answer) {
          showDone(answer);
        } else if (response.status === 422 && answer && Array.isArray(answer.errors)) {
          showErrors(answer.errors);
        } else if (response.status === 429) {
          var wait = response.headers.get('Retry-After');
          showProblem('You have sent this form too many times in a short while. Please wait' +
            (wait ? ' ' + wait + ' seconds' : ' a minute') + ' and try again.');
        } else {
          showProblem('Sorry, your referral could not be sent. Please try again later.');
        }
      });
    }, function () {
      status.textContent = '';
      showProblem('Your referral could not be sent: check your internet connection and try again.');
    }).then(function () {
      button.disabled = false;
    });
  });
}());
