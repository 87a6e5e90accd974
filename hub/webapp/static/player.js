// agentdesk web app: the player (transcript in step, chapters, speed,
// skipping pauses, shortcuts, #t= deep links, bookmarks) and the log-in
// form's deep link. No inline script: the hub's CSP forbids it.
'use strict';
(function () {
  const $ = (s, root) => (root || document).querySelector(s);
  const $$ = (s, root) => Array.from((root || document).querySelectorAll(s));

  // A deep link's moment (#t=93) survives the log-in and the reason form.
  for (const el of $$('input.keep-hash')) {
    el.value = /^#t=\d{1,6}(\.\d{1,3})?$/.test(location.hash) ? location.hash : '';
  }

  const root = $('#player');
  if (!root) return;
  const video = $('#video');
  const lines = $$('#transcript .line');
  const pauses = $$('#timeline .chapter.pause').map(r => [+r.dataset.start, +r.dataset.end]);
  const playhead = $('#playhead');
  const timeEl = $('#time');
  const speedEl = $('#speed');
  const skipEl = $('#skip');
  const playBtn = $('#play');
  const help = $('#help');
  const helpBtn = $('#help-btn');
  const speeds = [0.5, 0.75, 1, 1.25, 1.5, 2];
  let pos = 0; // the moment without a video (transcript only)
  let current = null;

  const clock = s => {
    s = Math.max(0, Math.floor(s));
    const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, ss = String(s % 60).padStart(2, '0');
    return h ? h + ':' + String(m).padStart(2, '0') + ':' + ss : m + ':' + ss;
  };
  const length = () => (video && isFinite(video.duration) && video.duration > 0) ? video.duration : +root.dataset.length || 0;
  const now = () => video ? video.currentTime : pos;

  function seek(t) {
    t = Math.max(0, Math.min(t, length() || t));
    if (video) video.currentTime = t; else pos = t;
    update();
  }

  function update() {
    const t = now(), len = length();
    if (timeEl) timeEl.textContent = clock(t) + ' / ' + clock(len);
    if (playhead && len > 0) playhead.setAttribute('x', String(Math.min(997, 1000 * t / len)));
    let found = null;
    for (const li of lines) {
      if (+li.dataset.t <= t + 0.05) found = li; else break;
    }
    if (found !== current) {
      if (current) current.classList.remove('current');
      if (found) {
        found.classList.add('current');
        const box = found.parentElement;
        if (found.offsetTop < box.scrollTop || found.offsetTop + found.offsetHeight > box.scrollTop + box.clientHeight) {
          box.scrollTop = found.offsetTop - box.clientHeight / 3;
        }
      }
      current = found;
    }
    const bt = $('#bookmark-t'), ba = $('#bookmark-at');
    if (bt) bt.value = t.toFixed(2);
    if (ba) ba.textContent = 'at ' + clock(t);
  }

  function skipPauses() {
    if (!video || !skipEl || !skipEl.checked || video.paused) return;
    const t = video.currentTime;
    for (const [a, b] of pauses) {
      if (t >= a && t < b - 0.05) { video.currentTime = b; return; }
    }
  }

  function setSpeed(r) {
    if (video) video.playbackRate = r;
    if (speedEl) speedEl.value = String(r);
  }

  function stepSpeed(dir) {
    const r = video ? video.playbackRate : 1;
    let i = speeds.findIndex(s => s >= r - 1e-6);
    if (i < 0) i = speeds.length - 1;
    setSpeed(speeds[Math.max(0, Math.min(speeds.length - 1, i + dir))]);
  }

  function toggle() {
    if (!video) return;
    if (video.paused) video.play().catch(() => {}); else video.pause();
  }

  function toggleHelp() {
    if (!help) return;
    help.hidden = !help.hidden;
    if (helpBtn) helpBtn.setAttribute('aria-expanded', String(!help.hidden));
  }

  function fromHash() {
    const m = /^#t=(\d{1,6}(?:\.\d{1,3})?)$/.exec(location.hash);
    if (m) seek(parseFloat(m[1]));
  }

  // Clicks: a transcript line, a chapter, a bookmark's time, the timeline.
  document.addEventListener('click', e => {
    const el = e.target.closest('[data-t]');
    if (el && (el.classList.contains('line') || el.classList.contains('seek'))) {
      seek(+el.dataset.t);
      return;
    }
    const tl = e.target.closest('#timeline');
    if (tl) {
      const r = tl.getBoundingClientRect();
      seek(length() * (e.clientX - r.left) / r.width);
    }
  });
  for (const li of lines) {
    li.addEventListener('keydown', e => { if (e.key === 'Enter') seek(+li.dataset.t); });
  }

  document.addEventListener('keydown', e => {
    const tag = (e.target.tagName || '').toLowerCase();
    if (tag === 'input' || tag === 'textarea' || tag === 'select' || e.ctrlKey || e.metaKey || e.altKey) return;
    switch (e.key) {
      case ' ': if (tag !== 'button') { e.preventDefault(); toggle(); } break;
      case 'ArrowLeft': e.preventDefault(); seek(now() - 5); break;
      case 'ArrowRight': e.preventDefault(); seek(now() + 5); break;
      case '[': stepSpeed(-1); break;
      case ']': stepSpeed(1); break;
      case '?': toggleHelp(); break;
    }
  });

  if (helpBtn) helpBtn.addEventListener('click', toggleHelp);
  if (speedEl) speedEl.addEventListener('change', () => setSpeed(+speedEl.value));
  if (playBtn) playBtn.addEventListener('click', toggle);
  window.addEventListener('hashchange', fromHash);

  if (video) {
    video.addEventListener('timeupdate', () => { skipPauses(); update(); });
    video.addEventListener('seeked', update);
    video.addEventListener('play', () => { if (playBtn) playBtn.textContent = 'Pause'; });
    video.addEventListener('pause', () => { if (playBtn) playBtn.textContent = 'Play'; });
    video.addEventListener('ratechange', () => { if (speedEl) speedEl.value = String(video.playbackRate); });
    const ready = () => { if (playBtn) playBtn.disabled = false; update(); };
    if (video.readyState >= 1) { ready(); fromHash(); } else {
      video.addEventListener('loadedmetadata', () => { ready(); fromHash(); }, { once: true });
    }
  } else {
    fromHash();
  }
  update();

  // Bookmarks: added and deleted in place, the video playing on.
  const list = $('#bookmarks');
  const svgNS = 'http://www.w3.org/2000/svg';
  // marks draws each bookmark as a tick on the timeline.
  function marks() {
    const tl = $('#timeline'), len = length();
    if (!tl || !list || len <= 0) return;
    for (const m of $$('rect.mark', tl)) m.remove();
    for (const li of $$('li[data-t]', list)) {
      const r = document.createElementNS(svgNS, 'rect');
      r.setAttribute('class', 'mark');
      r.setAttribute('x', String(Math.min(996, 1000 * (+li.dataset.t) / len)));
      r.setAttribute('y', '0'); r.setAttribute('width', '4'); r.setAttribute('height', '7');
      tl.insertBefore(r, playhead);
    }
  }
  marks();
  if (video) video.addEventListener('loadedmetadata', marks);
  const form = $('#bookmark-form');
  async function send(f) {
    const token = f.querySelector('input[name=csrf]').value;
    const r = await fetch(f.action, { method: 'POST', body: new URLSearchParams(new FormData(f)), headers: { 'X-CSRF-Token': token }, credentials: 'same-origin' });
    if (!r.ok) throw new Error(await r.text());
    list.innerHTML = await r.text();
    marks();
  }
  if (form && list) {
    form.addEventListener('submit', e => {
      e.preventDefault();
      $('#bookmark-t').value = now().toFixed(2);
      send(form).then(() => { $('#bookmark-comment').value = ''; }).catch(err => { alert(err.message); });
    });
    list.addEventListener('submit', e => {
      const f = e.target.closest('form.bookmark-delete');
      if (!f) return;
      e.preventDefault();
      send(f).catch(err => { alert(err.message); });
    });
  }
})();
