// The customer's web chat: one websocket to /v1/customer, envelopes of
// docs/protocol.md. The resume token lives in sessionStorage so a reload or
// a dropped network resumes the same chat; the contact id in localStorage
// joins later chats to this one (the agent sees the history).
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var V = 1;
  var ws = null, chat = "", ended = false, retry = 0, typingTimer = null, sentTyping = false, restarting = false;
  var seen = {};

  var contact = localStorage.getItem("agentdesk.contact");
  if (!contact) {
    contact = "c-" + Math.random().toString(36).slice(2) + Date.now().toString(36);
    localStorage.setItem("agentdesk.contact", contact);
  }

  function status(text) { $("status").textContent = text; }
  function recording(state, text) {
    var r = $("recording");
    r.className = "recording" + (state === "recording" ? " on" : state === "paused" ? " paused" : "");
    r.textContent = state === "recording" ? "Recorded" : state === "paused" ? "Recording paused" : "";
    r.title = text || "";
    r.hidden = state !== "recording" && state !== "paused";
  }
  function banner(text) { var b = $("banner"); b.textContent = text || ""; b.hidden = !text; }
  function queuePlace(n) {
    var q = $("queue");
    q.textContent = n > 0 ? "You are number " + n + " in the queue." : "";
    q.hidden = !(n > 0);
  }

  function send(type, data) {
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    var env = { v: V, type: type };
    if (chat) env.chat = chat;
    if (data !== undefined) env.data = data;
    ws.send(JSON.stringify(env));
    return true;
  }

  function time(at) {
    var d = new Date(at);
    return isNaN(d) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function addLine(m) {
    if (seen[m.id]) return;
    seen[m.id] = true;
    var li = document.createElement("li");
    li.className = m.from;
    var meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = (m.from === "system" ? "" : (m.name || m.from) + " · ") + time(m.at);
    li.appendChild(meta);
    var body = document.createElement("span");
    body.className = "text";
    if (m.url && /^https?:\/\//i.test(m.url)) {
      // Pushed link (R-I5): the text shown is the real address.
      body.appendChild(document.createTextNode("Please navigate to the link: "));
      var a = document.createElement("a");
      a.href = m.url;
      a.textContent = m.url;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      body.appendChild(a);
    } else {
      body.textContent = m.text;
    }
    li.appendChild(body);
    $("transcript").appendChild(li);
    li.scrollIntoView({ block: "end" });
  }

  function showChat(on) {
    $("joinform").hidden = on;
    $("sendform").hidden = !on;
    $("again").hidden = true;
    if (!on) privacy(false);
  }

  // Recording consent and deletion (R-H6): the hub asks, the customer answers.
  function askConsent(text) {
    $("consent-text").textContent = text;
    $("consent").hidden = false;
  }
  function answerConsent(yes) {
    if (send("consent", { yes: yes })) {
      $("consent").hidden = true;
      $("privacy-note").textContent = yes ? "Thank you: this chat may be recorded." : "Understood: this chat will not be recorded.";
    }
  }
  function privacy(on) {
    $("privacy").hidden = !on;
    if (!on) $("consent").hidden = true;
  }

  function finish(reason) {
    ended = true;
    sessionStorage.removeItem("agentdesk.resume");
    queuePlace(0);
    banner("");
    recording("stopped");
    $("typing").textContent = "";
    $("sendform").hidden = true;
    $("again").hidden = false;
    privacy(false);
    var words = { contact_left: "You ended the chat.", agent_ended: "The agent ended the chat.",
      inactivity: "The chat ended because it was quiet for a while.",
      contact_disconnected: "The chat ended because the connection was lost.",
      hub_shutdown: "The chat service is restarting. Please start a new chat." };
    status(words[reason] || "The chat has ended.");
  }

  function onEnvelope(e) {
    var d = e.data || {};
    switch (e.type) {
      case "joined":
        if (d.chat !== chat) {
          $("delete-ask").disabled = false;
          $("privacy-note").textContent = "";
        }
        chat = d.chat;
        ended = false;
        retry = 0;
        sessionStorage.setItem("agentdesk.resume", d.resume);
        showChat(true);
        status("Waiting for an agent…");
        (d.lines || []).forEach(addLine);
        break;
      case "queue":
        queuePlace(d.position);
        status("Waiting for an agent…");
        break;
      case "agent_in":
        queuePlace(0);
        status("You are chatting with " + d.name + ".");
        privacy(true);
        break;
      case "recording_notice": // the customer sees whether the chat is recorded
        recording(d.state, d.text);
        break;
      case "consent_ask":
        askConsent(d.text);
        break;
      case "message":
        addLine(d);
        break;
      case "typing":
        $("typing").textContent = d.typing ? "The agent is typing…" : "";
        break;
      case "presence":
        banner(d.reconnecting ? "The agent is reconnecting…" : "");
        break;
      case "restarting": // the hub stops for a moment; the chat goes on after it
        restarting = true;
        banner(d.text || "The chat service is restarting; you will be reconnected in a moment.");
        break;
      case "ended":
        finish(d.reason);
        break;
      case "error":
        if (d.code === "no_such_chat") { // stale resume token
          sessionStorage.removeItem("agentdesk.resume");
          chat = "";
          showChat(false);
          status("Your earlier chat is over. Tell us your name to start a new one.");
        } else if (d.code === "rate_limited" || d.code === "line_too_long" || d.code === "transcript_full") {
          banner(d.message); // nothing was lost: what was sent before stays
        } else {
          banner("Something went wrong: " + d.message);
        }
        break;
    }
  }

  function connect(then) {
    var proto = location.protocol === "https:" ? "wss:" : "ws:";
    ws = new WebSocket(proto + "//" + location.host + "/v1/customer");
    ws.onopen = function () { banner(""); restarting = false; then(); };
    ws.onmessage = function (ev) {
      try { onEnvelope(JSON.parse(ev.data)); } catch (err) { /* ignore a bad frame */ }
    };
    ws.onclose = function () {
      ws = null;
      var token = sessionStorage.getItem("agentdesk.resume");
      if (ended || !token) return;
      if (!restarting) banner("Connection lost. Reconnecting…");
      retry = Math.min(retry + 1, 6);
      setTimeout(function () { connect(resume); }, 250 * Math.pow(2, retry - 1));
    };
  }

  function resume() {
    var token = sessionStorage.getItem("agentdesk.resume");
    if (token) send("join", { resume: token });
  }

  $("joinform").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var name = $("name").value.trim();
    if (!name) { $("name").focus(); return; }
    seen = {};
    $("transcript").textContent = "";
    var join = function () { send("join", { name: name, contact: contact, queue: $("topic").value }); };
    if (ws && ws.readyState === WebSocket.OPEN) join(); else connect(join);
    status("Connecting…");
  });

  $("sendform").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = $("text").value;
    if (!text.trim()) return;
    if (send("send", { text: text })) {
      $("text").value = "";
      sentTyping = false;
      send("typing", { typing: false });
    }
  });

  $("text").addEventListener("input", function () {
    var text = $("text").value;
    if (!sentTyping || text.length % 5 === 0) send("typing", { typing: text.length > 0, preview: text });
    sentTyping = text.length > 0;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(function () { sentTyping = false; send("typing", { typing: false }); }, 3000);
  });

  $("leave").addEventListener("click", function () { send("leave"); });
  $("consent-yes").addEventListener("click", function () { answerConsent(true); });
  $("consent-no").addEventListener("click", function () { answerConsent(false); });
  $("delete-ask").addEventListener("click", function () {
    if (send("delete_ask")) {
      $("delete-ask").disabled = true;
      $("privacy-note").textContent = "You asked us to delete the recording of this chat; the agent will confirm it.";
    }
  });
  $("restart").addEventListener("click", function () {
    chat = "";
    showChat(false);
    $("name").focus();
  });

  // Queues: the page is served with the hub's queue list.
  fetch("queues.json").then(function (r) { return r.json(); }).then(function (qs) {
    qs.forEach(function (q) {
      var o = document.createElement("option");
      o.value = q.name;
      o.textContent = q.title || q.name;
      $("topic").appendChild(o);
    });
  }).catch(function () {});

  if (sessionStorage.getItem("agentdesk.resume")) {
    status("Reconnecting to your chat…");
    showChat(true);
    connect(resume);
  }
})();
