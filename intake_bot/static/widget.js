/* intake-bot chat widget: privacy requests from the organisation's website.
 *
 * One script tag on the page; nothing else is loaded. The widget lives in its own
 * shadow root so the page's styles and its own do not mix. Everything the visitor
 * or the server says is shown with textContent, never parsed as HTML.
 * Keyboard: Tab moves through the controls, Enter sends, Escape closes the panel.
 */
(function (config) {
  "use strict";
  if (window.__intakeBotChat) return; // the snippet pasted twice: one widget
  window.__intakeBotChat = true;

  // The service's address is where this script came from, not what the server was told
  // its host name was (a forged Host header cannot redirect the visitor's words).
  var source = document.currentScript && document.currentScript.src;
  var api = source ? source.replace(/\/widget\.js(\?.*)?$/, "") : config.api;
  var pageLang = (document.documentElement.lang || navigator.language || "").slice(0, 2).toLowerCase();
  var lang = pageLang === "fr" || pageLang === "en" ? pageLang : config.defaultLang;
  var conversation = null;
  var busy = false;

  function t(key) { return config.strings[lang][key]; }

  function el(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  var css = [
    ":host { all: initial; }",
    "* { box-sizing: border-box; font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; }",
    ".launcher { position: fixed; right: 1rem; bottom: 1rem; z-index: 2147483000; padding: .75rem 1.1rem;",
    "  border: 2px solid transparent; border-radius: 2rem; font-size: 1rem; cursor: pointer;",
    "  background: var(--colour); color: var(--text); box-shadow: 0 2px 8px rgba(0,0,0,.3); }",
    ".panel { position: fixed; right: 1rem; bottom: 4.5rem; z-index: 2147483000; width: min(24rem, calc(100vw - 2rem));",
    "  height: min(34rem, calc(100vh - 6rem)); display: flex; flex-direction: column; background: #fff; color: #1a1a1a;",
    "  border: 1px solid #767676; border-radius: .5rem; box-shadow: 0 4px 16px rgba(0,0,0,.3); font-size: 1rem; }",
    ".panel[hidden] { display: none; }",
    "header { display: flex; align-items: center; justify-content: space-between; padding: .6rem .8rem;",
    "  background: var(--colour); color: var(--text); border-radius: .5rem .5rem 0 0; }",
    "h2 { margin: 0; font-size: 1.05rem; }",
    ".close { background: transparent; color: var(--text); border: 2px solid transparent; font-size: 1.4rem; line-height: 1;",
    "  cursor: pointer; padding: .1rem .5rem; border-radius: .3rem; }",
    ".log { flex: 1 1 auto; min-height: 6rem; overflow-y: auto; padding: .8rem; display: flex; flex-direction: column; gap: .5rem; }",
    ".message { max-width: 85%; padding: .5rem .7rem; border-radius: .6rem; white-space: pre-wrap; overflow-wrap: anywhere; }",
    ".bot { align-self: flex-start; background: #eef1f5; }",
    ".visitor { align-self: flex-end; background: var(--colour); color: var(--text); }",
    ".who { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }",
    ".choices { flex: 0 0 auto; max-height: 45%; overflow-y: auto; display: flex; flex-wrap: wrap; gap: .4rem; padding: .4rem .8rem; }",
    ".choices button { border: 2px solid var(--colour); background: #fff; color: #1a1a1a; border-radius: 1rem;",
    "  padding: .35rem .7rem; cursor: pointer; font-size: .9rem; }",
    "form { display: flex; gap: .4rem; padding: .6rem .8rem; border-top: 1px solid #d0d0d0; }",
    "label { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }",
    "input { flex: 1; min-width: 0; padding: .5rem; font-size: 1rem; border: 1px solid #767676; border-radius: .3rem; color: #1a1a1a; }",
    ".send { padding: .5rem .8rem; font-size: 1rem; border: 2px solid transparent; border-radius: .3rem; cursor: pointer;",
    "  background: var(--colour); color: var(--text); }",
    ".status { margin: 0; padding: 0 .8rem; font-size: .85rem; color: #8a1c1c; }",
    ".status:empty { display: none; }",
    "button:focus-visible, input:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }",
    "@media (prefers-reduced-motion: no-preference) { .log { scroll-behavior: smooth; } }"
  ].join("\n");

  var host = el("div", { "data-intake-bot": "chat" });
  var root = host.attachShadow({ mode: "open" });
  host.style.setProperty("--colour", config.colour);
  host.style.setProperty("--text", config.textColour);
  try {
    var sheet = new CSSStyleSheet(); // not subject to the page's style-src policy
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
  } catch (e) {
    root.appendChild(el("style", {}, css));
  }

  var launcher = el("button", { "class": "launcher", type: "button", "aria-expanded": "false", "aria-controls": "intake-bot-panel" });
  var panel = el("section", { "class": "panel", id: "intake-bot-panel", role: "dialog", "aria-modal": "false", "aria-labelledby": "intake-bot-title", hidden: "" });
  var header = el("header");
  var title = el("h2", { id: "intake-bot-title" });
  var close = el("button", { "class": "close", type: "button" }, "×");
  var log = el("div", { "class": "log", role: "log", "aria-live": "polite", "aria-relevant": "additions" });
  var choices = el("div", { "class": "choices", role: "group" });
  var status = el("p", { "class": "status", role: "status" });
  var form = el("form", { novalidate: "" });
  var label = el("label", { "for": "intake-bot-input" });
  var input = el("input", { id: "intake-bot-input", type: "text", autocomplete: "off", maxlength: String(config.maxChars) });
  var send = el("button", { "class": "send", type: "submit" });
  header.append(title, close);
  form.append(label, input, send);
  panel.append(header, log, choices, status, form);
  root.append(launcher, panel);

  function applyLanguage() {
    panel.setAttribute("lang", lang);
    launcher.setAttribute("lang", lang);
    launcher.textContent = t("launcher");
    title.textContent = t("title");
    close.setAttribute("aria-label", t("close"));
    send.textContent = t("send");
    choices.setAttribute("aria-label", t("choices"));
  }

  function expect(kind) {
    input.type = kind === "email" ? "email" : "text";
    input.setAttribute("inputmode", kind === "code" ? "numeric" : kind === "email" ? "email" : "text");
    input.setAttribute("autocomplete", kind === "code" ? "one-time-code" : kind === "email" ? "email" : "off");
    label.textContent = t(kind === "email" ? "email" : kind === "code" ? "code" : "input");
  }

  function say(who, text) {
    var bubble = el("div", { "class": "message " + who, lang: lang });
    bubble.appendChild(el("span", { "class": "who" }, (who === "bot" ? config.org : t("you")) + ": "));
    bubble.appendChild(document.createTextNode(text));
    log.appendChild(bubble);
    log.scrollTop = log.scrollHeight;
  }

  function show(reply) {
    if (reply.lang && config.strings[reply.lang]) { lang = reply.lang; applyLanguage(); }
    (reply.messages || []).forEach(function (m) { say("bot", m.text); });
    choices.textContent = "";
    (reply.choices || []).forEach(function (choice) {
      var button = el("button", { type: "button" }, choice.label);
      button.addEventListener("click", function () { post({ choice: choice.value }, choice.label); input.focus(); });
      choices.appendChild(button);
    });
    expect(reply.expects || "text");
    log.scrollTop = log.scrollHeight; // the choices took room: keep the newest line in view
  }

  function errorText(body) {
    return body && body.message && body.message[lang] ? body.message[lang] : t("offline");
  }

  function request(path, payload) {
    return fetch(api + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload),
      credentials: "omit",
      mode: "cors"
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return { ok: response.ok, status: response.status, body: body };
      });
    });
  }

  function start() {
    busy = true;
    status.textContent = t("busy");
    return request("/conversations", { lang: lang }).then(function (result) {
      busy = false;
      status.textContent = result.ok ? "" : errorText(result.body);
      if (result.ok) { conversation = result.body.conversation; show(result.body); }
      return result.ok;
    }, function () { busy = false; status.textContent = t("offline"); return false; });
  }

  function post(payload, shown) {
    if (busy) return;
    if (payload.choice === "new") { log.textContent = ""; conversation = null; choices.textContent = ""; start(); return; }
    say("visitor", shown);
    payload.conversation = conversation;
    busy = true;
    status.textContent = t("busy");
    request("/messages", payload).then(function (result) {
      busy = false;
      status.textContent = "";
      if (result.ok) { show(result.body); return; }
      if (result.status === 410) { conversation = null; }
      status.textContent = errorText(result.body);
    }, function () { busy = false; status.textContent = t("offline"); });
  }

  function open() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    if (!conversation && !busy) start();
    input.focus();
  }

  function shut() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  launcher.addEventListener("click", function () { if (panel.hidden) open(); else shut(); });
  close.addEventListener("click", shut);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") shut(); });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text || busy) return;
    if (!conversation) {
      start().then(function (ok) { if (ok) { input.value = ""; post({ text: text }, text); } });
      return;
    }
    input.value = "";
    post({ text: text }, text);
  });

  applyLanguage();
  expect("text");
  (document.body || document.documentElement).appendChild(host);
})(__INTAKE_BOT_CONFIG__);
