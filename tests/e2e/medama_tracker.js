// A page script that does what Medama's tracker does (reference/medama.md A.6), written for the
// end-to-end test because Medama's tracker is not published as a package. Same wire behaviour:
// the ping XHRs, the load via fetch no-cors (text/plain), the unload via sendBeacon on pagehide or
// on hiding, history hooks, and custom events from [data-m:click] elements.
(function () {
  var script = document.currentScript;
  var apiAttr = script.getAttribute('data-api');
  var api = apiAttr
    ? location.protocol + '//' + apiAttr + '/'
    : script.src.substring(0, script.src.lastIndexOf('/') + 1) + 'api/';

  function newUid() {
    return Date.now().toString(36) + Math.random().toString(36).substr(2);
  }

  var uid = newUid();
  var startTime = Date.now();
  var isUnique = true;
  var isUnloadCalled = false;

  // XHR, not fetch, and a safelisted Content-Type: no preflight. The browser's HTTP cache adds
  // If-Modified-Since on its own; the answer "0" means "first time today".
  function ping(url) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.onload = function () {
        resolve(xhr.responseText == 0);
      };
      xhr.open('GET', url);
      xhr.setRequestHeader('Content-Type', 'text/plain');
      xhr.send();
    });
  }

  function sendLoadBeacon() {
    ping(api + 'event/ping?u=' + encodeURIComponent(location.host + location.pathname)).then(function (q) {
      fetch(api + 'event/hit', {
        method: 'POST',
        mode: 'no-cors',
        body: JSON.stringify({
          b: uid,
          e: 'load',
          u: location.href,
          r: document.referrer,
          p: isUnique,
          q: q,
          t: Intl.DateTimeFormat().resolvedOptions().timeZone,
        }),
      });
    });
  }

  function sendUnloadBeacon() {
    if (isUnloadCalled) return;
    isUnloadCalled = true;
    navigator.sendBeacon(api + 'event/hit', JSON.stringify({ b: uid, e: 'unload', m: Date.now() - startTime }));
  }

  function cleanup() {
    uid = newUid();
    startTime = Date.now();
    isUnique = false;
    isUnloadCalled = false;
  }

  function parseData(text) {
    var data = {};
    (text || '').split(';').forEach(function (pair) {
      var kv = pair.split('=');
      var k = (kv[0] || '').trim();
      var v = (kv[1] || '').trim();
      if (k && v) data[k] = v;
    });
    return data;
  }

  function onClick(event) {
    if (event.button > 1 || !(event.target instanceof HTMLElement)) return;
    var data = parseData(event.target.getAttribute('data-m:click'));
    if (Object.keys(data).length === 0) return;
    fetch(api + 'event/hit', {
      method: 'POST',
      mode: 'no-cors',
      body: JSON.stringify({ b: uid, e: 'custom', g: location.hostname, d: data }),
    });
  }

  ping(api + 'event/ping').then(function (unique) {
    isUnique = unique;
    sendLoadBeacon();
  });

  ['pushState', 'replaceState'].forEach(function (name) {
    var original = history[name];
    history[name] = function (state, title, url) {
      if (url && new URL(url, location.href).pathname !== location.pathname) {
        sendUnloadBeacon();
        cleanup();
        original.apply(this, arguments);
        sendLoadBeacon();
      } else {
        original.apply(this, arguments);
      }
    };
  });
  addEventListener('popstate', function () {
    sendUnloadBeacon();
    cleanup();
    sendLoadBeacon();
  });

  if ('onpagehide' in self) {
    addEventListener('pagehide', sendUnloadBeacon, { capture: true });
  } else {
    addEventListener('beforeunload', sendUnloadBeacon, { capture: true });
    addEventListener('unload', sendUnloadBeacon, { capture: true });
  }
  addEventListener('visibilitychange', function () {
    if (document.hidden) sendUnloadBeacon();
  }, { capture: true });

  document.querySelectorAll('[data-m\\:click]').forEach(function (el) {
    el.addEventListener('click', onClick);
    el.addEventListener('auxclick', onClick);
  });
})();
