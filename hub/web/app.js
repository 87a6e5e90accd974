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
  // Recording consent and deletion (R-H6): the customer may ask to delete
  // the recording once the agent is in and no consent question is open or
  // was answered No; the offer stays after the chat ends.
  var agentIn = false, consent = "", deletePending = false;

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
  function queuePlace(n, agents, wait) {
    var q = $("queue"), text = "";
    if (n > 0) {
      text = "You are number " + n + " in the queue.";
      if (agents === 0) {
        text += " No agent is available right now: you will be answered as soon as one is.";
      } else if (wait) {
        text += " Recent chats waited about " + waitWords(wait) + ".";
      }
    }
    q.textContent = text;
    q.hidden = !(n > 0);
  }
  // waitWords turns a Go duration ("1m30s", "45s") into words.
  function waitWords(d) {
    var m = /(?:(\d+)h)?(?:(\d+)m)?(?:([\d.]+)s)?/.exec(d) || [];
    var secs = (+(m[1] || 0)) * 3600 + (+(m[2] || 0)) * 60 + Math.round(+(m[3] || 0));
    if (secs < 60) return "less than a minute";
    var mins = Math.round(secs / 60);
    return mins === 1 ? "a minute" : mins + " minutes";
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

  // who names a line's sender: the customer's own lines are "You".
  function who(m) {
    if (m.from === "system") return "";
    if (m.from === "customer") return "You · ";
    return (m.name || m.from) + " · ";
  }

  // linkText fills a with the address, a break allowed after each / ? & =
  // and . of it and nowhere inside its words (not even at a hyphen): a long
  // address wraps between its parts (the text stays the real address,
  // R-I5). Only a word longer than a line may still be cut.
  function linkText(a, url) {
    var parts = url.split(/([\/?&=.]+)/);
    for (var i = 0; i < parts.length; i++) {
      if (!parts[i]) continue;
      var word = document.createElement("span");
      word.textContent = parts[i];
      if (parts[i].length <= 32) word.className = "word";
      a.appendChild(word);
      if (i % 2 === 1) a.appendChild(document.createElement("wbr"));
    }
  }

  function addLine(m) {
    if (seen[m.id]) return;
    seen[m.id] = true;
    var li = document.createElement("li");
    li.className = m.from;
    var meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = who(m) + time(m.at);
    li.appendChild(meta);
    var body = document.createElement("span");
    body.className = "text";
    if (m.url && /^https?:\/\//i.test(m.url)) {
      // Pushed link (R-I5): the text shown is the real address, on a line
      // of its own under the words.
      body.appendChild(document.createTextNode("Please navigate to the link: "));
      var a = document.createElement("a");
      a.href = m.url;
      linkText(a, m.url);
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      body.appendChild(a);
    } else {
      body.textContent = m.text;
    }
    li.appendChild(body);
    if (m.file) fileLine(li, m.file);
    $("transcript").appendChild(li);
    li.scrollIntoView({ block: "end" });
  }

  // Files (R-I6): sent over HTTP with the resume token; every file sent,
  // refused or broken is a line of the transcript that carries it.
  function fileLine(li, f) {
    li.className += " file file-" + f.status;
    li.dataset.file = f.status;
    if (f.status !== "sent") return; // the line says why: refused or broken
    var b = document.createElement("button");
    b.type = "button";
    b.className = "link download";
    b.textContent = "Save " + f.name;
    b.addEventListener("click", function () { download(f); });
    li.appendChild(b);
  }
  function fileURL(id) {
    return "v1/chats/" + encodeURIComponent(chat) + "/files" + (id ? "/" + encodeURIComponent(id) : "");
  }
  function auth() { return { Authorization: "Bearer " + (sessionStorage.getItem("agentdesk.resume") || "") }; }
  function download(f) {
    fetch(fileURL(f.id), { headers: auth() }).then(function (r) {
      if (!r.ok) throw new Error("the file is no longer available");
      return r.blob();
    }).then(function (blob) {
      // The bytes are checked against the SHA-256 the hub announced, where
      // the browser can (a secure context).
      var check = window.crypto && crypto.subtle ? blob.arrayBuffer().then(function (buf) {
        return crypto.subtle.digest("SHA-256", buf);
      }).then(function (d) {
        var hex = Array.prototype.map.call(new Uint8Array(d), function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
        if (hex !== f.sha256) throw new Error(f.name + " did not arrive whole; try again");
        return hex;
      }) : Promise.resolve("");
      return check.then(function (hex) {
        var old = document.getElementById("saved-file");
        if (old) old.remove();
        var a = document.createElement("a");
        a.href = URL.createObjectURL(blob);
        a.download = f.name;
        a.id = "saved-file";
        a.dataset.size = String(blob.size);
        a.dataset.sha256 = hex;
        a.hidden = true;
        document.body.appendChild(a);
        a.click();
        setTimeout(function () { URL.revokeObjectURL(a.href); }, 60000);
      });
    }).catch(function (err) { $("filenote").textContent = String(err.message || err); });
  }
  function upload(file) {
    var note = $("filenote");
    note.textContent = "Sending " + file.name + "…";
    fetch(fileURL("") + "?name=" + encodeURIComponent(file.name), { method: "POST", headers: auth(), body: file })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (b) {
          note.textContent = r.ok ? "" : "Not sent: " + ((b && b.error && b.error.message) || r.status);
        });
      })
      .catch(function () { note.textContent = "Not sent: the connection failed"; });
  }

  function showChat(on) {
    $("joinform").hidden = on;
    $("sendform").hidden = !on;
    $("again").hidden = true;
  }

  // Recording consent and deletion (R-H6): the hub asks, the customer
  // answers; "Delete my recording" is offered only when there may be a
  // recording to delete: the agent is in, and no consent question is open
  // or answered No. It stays after the chat ends.
  function askConsent(text) {
    consent = "asked";
    $("consent-text").textContent = text;
    $("consent").hidden = false;
    privacy();
  }
  function answerConsent(yes) {
    if (send("consent", { yes: yes })) {
      consent = yes ? "yes" : "no";
      $("consent").hidden = true;
      $("privacy-note").textContent = yes ? "Thank you: this chat may be recorded." : "Understood: this chat will not be recorded.";
      privacy();
    }
  }
  function privacy() {
    var offer = agentIn && consent !== "asked" && consent !== "no";
    $("delete-ask").hidden = !offer;
    $("privacy").hidden = !offer && !$("privacy-note").textContent;
  }
  // resetChat forgets the last chat on the page: its lines, its consent,
  // its deletion request ("Start a new chat" starts clean).
  function resetChat() {
    seen = {};
    $("transcript").textContent = "";
    $("typing").textContent = "";
    agentIn = false;
    consent = "";
    deletePending = false;
    $("consent").hidden = true;
    $("delete-ask").disabled = false;
    $("privacy-note").textContent = "";
    privacy();
    queuePlace(0);
    $("mailform").hidden = true;
    $("mailnote").textContent = "";
    $("mailsend").disabled = false;
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
    $("consent").hidden = true; // too late to answer; the deletion offer stays
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
        if (d.chat !== chat) resetChat();
        chat = d.chat;
        ended = false;
        retry = 0;
        sessionStorage.setItem("agentdesk.resume", d.resume);
        showChat(true);
        status("Waiting for an agent…");
        (d.lines || []).forEach(addLine);
        break;
      case "queue":
        queuePlace(d.position, d.agents, d.wait);
        status("Waiting for an agent…");
        break;
      case "agent_in":
        queuePlace(0);
        status("You are chatting with " + d.name + ".");
        agentIn = true;
        privacy();
        break;
      case "transcript_mail":
        $("mailnote").textContent = d.message || "";
        $("mailsend").disabled = d.status === "sending";
        break;
      case "recording_notice": // the customer sees whether the chat is recorded
        if (d.state === "deleted") { // the agent confirmed the deletion request (R-H6)
          $("delete-ask").disabled = true;
          $("privacy-note").textContent = d.text;
          privacy();
          break;
        }
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
        $("mailform").hidden = !d.mail;
        break;
      case "error":
        if (d.code === "no_such_chat") { // stale resume token
          sessionStorage.removeItem("agentdesk.resume");
          chat = "";
          showChat(false);
          status("Your earlier chat is over. Tell us your name to start a new one.");
        } else if (d.code === "rate_limited" || d.code === "line_too_long" || d.code === "transcript_full") {
          banner(d.message); // nothing was lost: what was sent before stays
        } else if (deletePending) { // the deletion request did not go through
          deletePending = false;
          $("delete-ask").disabled = false;
          $("privacy-note").textContent = "We could not pass on your request: " + d.message;
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
    resetChat();
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
  $("file").addEventListener("change", function () {
    var f = this.files && this.files[0];
    if (f && chat) upload(f);
    this.value = "";
  });
  $("mailform").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var to = $("mailto").value.trim();
    if (!to) return;
    if (!send("transcript_mail", { address: to })) {
      $("mailnote").textContent = "We could not reach the chat service; please try again.";
    }
  });
  $("consent-yes").addEventListener("click", function () { answerConsent(true); });
  $("consent-no").addEventListener("click", function () { answerConsent(false); });
  $("delete-ask").addEventListener("click", function () {
    if (send("delete_ask")) {
      deletePending = true;
      $("delete-ask").disabled = true;
      $("privacy-note").textContent = "You asked us to delete the recording of this chat; the agent will confirm it.";
    } else {
      $("privacy-note").textContent = "We could not pass on your request: the chat service is not connected. Please try again.";
    }
    privacy();
  });
  $("restart").addEventListener("click", function () {
    chat = "";
    resetChat();
    showChat(false);
    status("Tell us your name to start.");
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
