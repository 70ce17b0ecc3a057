// The roll call on a phone whose Wi-Fi comes and goes.
//
// Every tap gets an id made here, the version of the record the teacher saw
// and the time of the tap (the server applies an id once, shows a conflict
// when a colleague changed the record meanwhile, and keeps the tap's time).
// Online, htmx sends the tap and swaps the row. Offline, or when the request
// fails on the way, the tap is kept in IndexedDB ("waiting to send") and the
// row shows it at once; the queue is sent in order when the network comes
// back, when the page is opened again, as soon as any request is answered
// after an outage, and from "Send now". No Background Sync API: it is missing
// in Android WebViews (WeChat), Firefox and iPhones.
//
// A conflict (a colleague changed the record while the tap waited) holds the
// child's later taps of that day: they wait with it for the teacher's choice.
// A later tap only takes the version an answer gives when that answer applied
// the earlier tap (data-applied), never a colleague's.
(function () {
  "use strict";
  const roll = document.getElementById("roll");
  if (!roll) return;
  const msg = roll.dataset;
  const live = document.getElementById("roll-live");
  const queueBox = document.getElementById("roll-queue");
  const pickups = JSON.parse(msg.pickups || "{}");
  const scope = { user: msg.user, group: msg.group, day: msg.day };
  let sending = false;
  let again = false;
  const shownConflicts = new Set(); // op ids of conflicts shown on this page since it opened
  let lastTap = null; // {row, name, value}: where focus goes back after a swap

  // --- IndexedDB: one store of taps, in the order they were made -------------
  const DB_NAME = "roll-call";
  const STORE = "taps";
  let dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const open = indexedDB.open(DB_NAME, 1);
        open.onupgradeneeded = () => open.result.createObjectStore(STORE, { keyPath: "seq", autoIncrement: true });
        open.onsuccess = () => resolve(open.result);
        open.onerror = () => reject(open.error);
      });
    }
    return dbPromise;
  }
  async function store(mode, work) {
    const conn = await db();
    return new Promise((resolve, reject) => {
      const tx = conn.transaction(STORE, mode);
      const request = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request ? request.result : undefined);
      tx.onerror = () => reject(tx.error);
    });
  }
  const allTaps = () => store("readonly", (s) => s.getAll());
  const putTap = (tap) => store("readwrite", (s) => s.put(tap));
  const dropTap = (seq) => store("readwrite", (s) => s.delete(seq));
  async function myTaps() {
    const taps = await allTaps();
    return taps.filter((t) => t.user === scope.user);
  }

  function localDay(ms) {
    const d = new Date(ms);
    const pad = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  }
  function hhmm(ms) {
    const d = new Date(ms);
    return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
  }
  function newId() {
    if (self.crypto && crypto.randomUUID) return crypto.randomUUID();
    // Older WebViews: a version-4 UUID from getRandomValues.
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  function csrfToken() {
    const cookie = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
    if (cookie) return cookie.slice("csrftoken=".length);
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function say(row, text) {
    const name = row ? row.dataset.child + ": " : "";
    live.textContent = "";
    // A fresh text node each time, so screen readers announce a repeat too.
    window.setTimeout(() => { live.textContent = name + text; }, 50);
  }
  const rowOf = (enrollment) => document.getElementById("row-" + enrollment);

  // --- the header counter: "3 taps waiting to send" ---------------------------
  async function showQueue() {
    const taps = await myTaps();
    document.getElementById("roll-queue-count").textContent = taps.length;
    queueBox.classList.toggle("d-none", taps.length === 0);
    document.getElementById("roll-offline-note").classList.toggle("d-none", navigator.onLine);
    // The header (swapped in again by every answer) counts this page's children
    // whose taps wait, beside the server's counts.
    const children = new Set(taps.filter(onThisPage).map((t) => t.enrollment));
    const box = document.getElementById("roll-header-waiting");
    if (box) {
      box.querySelector("strong").textContent = children.size;
      box.classList.toggle("d-none", children.size === 0);
    }
  }

  // --- a tap kept on the phone, shown on its row ------------------------------
  async function enqueue(tap, note) {
    await putTap(tap);
    const row = rowOf(tap.enrollment);
    if (row) showTap(row, tap, note);
    await showQueue();
    if (navigator.onLine) sendQueue();
  }

  function showTap(row, tap, note) {
    const state = row.querySelector(".row-state");
    const f = tap.fields;
    let text;
    if (f.picked_up_by !== undefined) {
      row.dataset.here = "";
      text = `${state.dataset.base || ""} · ${msg.labelOut} ${hhmm(tap.tapped_at)} (${f.picked_up_by})`;
    } else {
      const attended = f.status === "present" || f.status === "late";
      if (!attended) row.dataset.here = "";
      else if (!row.dataset.status || !["present", "late"].includes(row.dataset.status)) row.dataset.here = "1";
      row.dataset.status = f.status;
      row.className = row.className.replace(/\bst-\w+/g, "").trim() + " st-" + f.status;
      text = msg["label" + f.status.charAt(0).toUpperCase() + f.status.slice(1)];
      if (f.absence_reason) {
        const b = document.querySelector(`#reason-template`).content.querySelector(`[data-reason="${f.absence_reason}"]`);
        if (b) text += " · " + b.textContent;
      }
      if (attended) text += ` · ${msg.labelIn} ${hhmm(tap.tapped_at)}`;
      state.dataset.base = text;
      pressed(row, f.status);
    }
    state.textContent = text + " ";
    const badge = document.createElement("span");
    badge.className = "pending-note";
    badge.textContent = note === "failed" ? msg.msgWaiting : msg.msgOffline;
    state.appendChild(badge);
    const out = row.querySelector(".checkout-link");
    if (out) out.classList.toggle("d-none", row.dataset.here !== "1");
    row.classList.remove("saving", "save-failed");
    row.classList.add("is-waiting");
    say(row, note === "failed" ? msg.msgFailed : msg.msgOffline);
  }

  function pressed(row, status) {
    row.querySelectorAll(".roll-actions button[name=status]").forEach((b) => {
      const on = b.value === status;
      b.setAttribute("aria-pressed", on ? "true" : "false");
      b.className = b.className.replace(/btn-(outline-)?(success|warning|danger|secondary)/, (m, o, c) => (on ? "btn-" : "btn-outline-") + c);
    });
  }

  function makeTap(row, url, fields, kind) {
    return {
      op_id: newId(),
      user: scope.user,
      group: scope.group,
      day: scope.day,
      enrollment: row.dataset.enrollment,
      url: url,
      kind: kind,
      fields: fields,
      seen: row.dataset.version || "0",
      tapped_at: Date.now(),
    };
  }

  // --- sending the queue, in order --------------------------------------------
  const childDay = (tap) => `${tap.enrollment}|${tap.day}`;

  async function sendQueue() {
    if (sending) {
      again = true; // asked while sending: one more round when this one ends
      return;
    }
    sending = true;
    try {
      const taps = (await myTaps()).sort((a, b) => a.seq - b.seq);
      const held = new Set(); // children of a day whose conflict waits for the teacher
      for (const tap of taps) {
        const child = childDay(tap);
        // The teacher's choice settles a conflict; anything else on that child waits.
        if (held.has(child) && !tap.fields.resolution) continue;
        // A conflict already shown here, or of another page (settled there), is
        // not sent again (each sending would be another conflict in the audit trail).
        if (tap.conflict && (!onThisPage(tap) || shownConflicts.has(tap.op_id))) {
          held.add(child);
          continue;
        }
        const outcome = await sendOne(tap);
        if (outcome.result === "stop") break;
        if (outcome.result === "conflict") {
          held.add(child);
          continue;
        }
        await dropTap(tap.seq);
        if (tap.fields.resolution) {
          await settle(tap, outcome, taps);
          again = true; // the child's taps held until now may go
        } else if (outcome.applied) {
          await handOn([tap], outcome.version, taps);
        }
      }
    } finally {
      sending = false;
      markMoved();
      await showQueue();
      if (again) {
        again = false;
        sendQueue();
      }
    }
  }

  // The child's next taps that day were made on top of `earlier` (they saw the
  // same version): they take the version the applied tap produced. `taps`: the
  // queue as the caller holds it (changed in place, and kept).
  async function handOn(earlier, version, taps) {
    if (!version) return;
    const first = earlier[0];
    const seen = new Set(earlier.map((t) => t.seen));
    for (const later of taps) {
      if (later.seq > first.seq && childDay(later) === childDay(first) && seen.has(later.seen) && !later.conflict) {
        later.seen = version;
        await putTap(later);
      }
    }
  }

  // The teacher chose on a conflict (`choice` carries the resolution): the
  // conflicted tap is done. "Use my tap" applied it, so the taps made after it
  // go on top of it; "keep the saved value" applied nothing, so each of them is
  // shown against the saved value in its turn.
  async function settle(choice, outcome, taps) {
    const conflicted = taps.filter((t) => t.conflict && childDay(t) === childDay(choice));
    for (const t of conflicted) {
      await dropTap(t.seq);
      shownConflicts.delete(t.op_id);
    }
    if (outcome.applied && conflicted.length) await handOn(conflicted, outcome.version, taps);
  }

  async function sendOne(tap) {
    const body = new FormData();
    Object.entries(tap.fields).forEach(([k, v]) => body.append(k, v));
    body.append("op_id", tap.op_id);
    body.append("seen", tap.seen);
    body.append("tapped_at", String(tap.tapped_at));
    let response;
    try {
      response = await fetch(tap.url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "HX-Request": "true", "X-CSRFToken": csrfToken() },
      });
    } catch (error) {
      return { result: "stop" }; // still no network: keep it, try again later
    }
    if (response.redirected || response.status === 401) {
      loggedOut();
      return { result: "stop" }; // logged out: keep it for the same user's next login
    }
    if (response.status >= 500 || response.status === 403 || response.status === 429) {
      // The server is in trouble, or too many taps at once: keep it, try again later.
      return { result: "stop" };
    }
    const html = [200, 409, 422].includes(response.status) ? await response.text() : "";
    const tpl = document.createElement("template");
    tpl.innerHTML = html;
    const answered = tpl.content.querySelector(".roll-row");
    const version = answered ? answered.dataset.version : null;
    // Only an answer that applied this tap says the record is now its doing.
    const applied = response.status === 200 && answered && answered.dataset.applied === "1";
    // Only a tap of this page's group and day is shown here: the same child's
    // row of another day (a queue of yesterday sent from today's page) is not its row.
    const row = onThisPage(tap) && rowOf(tap.enrollment);
    if (row && html) {
      swapIn(row, html);
      const fresh = rowOf(tap.enrollment);
      if (response.status === 409) say(fresh, msg.msgConflict);
      else say(fresh, response.status === 200 ? msg.msgSaved : msg.msgFailed);
    }
    if (response.status === 409) {
      // Not applied: kept until the teacher chooses on its row (here, or on its
      // own page), and the child's later taps wait with it.
      tap.conflict = true;
      await putTap(tap);
      if (row && html) shownConflicts.add(tap.op_id);
      return { result: "conflict" };
    }
    // Applied, kept as it was, or refused with its reason on the row.
    return { result: "done", version: version, applied: applied };
  }
  function onThisPage(tap) {
    return tap.group === scope.group && tap.day === scope.day;
  }

  function swapIn(row, html) {
    const tpl = document.createElement("template");
    tpl.innerHTML = html;
    const fresh = tpl.content.querySelector(".roll-row");
    const header = tpl.content.querySelector("#roll-call-header");
    if (header) {
      header.removeAttribute("hx-swap-oob");
      document.getElementById("roll-call-header").replaceWith(header);
      showQueue();
    }
    if (fresh) {
      row.replaceWith(fresh);
      if (window.htmx) htmx.process(fresh);
    }
  }

  // --- online taps through htmx, with the same fields -------------------------
  document.addEventListener("htmx:configRequest", (event) => {
    const form = event.detail.elt;
    const row = form.closest && form.closest(".roll-row");
    if (!row) return;
    if (event.detail.verb === "get") {
      // Offline, or the check-in itself still waiting: the list kept with the page.
      if (!navigator.onLine || row.classList.contains("is-waiting")) {
        event.preventDefault();
        openCheckOut(row);
      }
      return;
    }
    const params = event.detail.parameters;
    const get = (k) => (params.get ? params.get(k) : params[k]);
    const set = (k, v) => (params.set ? params.set(k, v) : (params[k] = v));
    const fields = {};
    ["status", "absence_reason", "picked_up_by", "resolution"].forEach((k) => {
      if (get(k) !== null && get(k) !== undefined) fields[k] = get(k);
    });
    const kind = fields.picked_up_by !== undefined ? "check_out" : "mark";
    const tap = makeTap(row, event.detail.path, fields, kind);
    // A conflict's choice carries the version and the time of the original tap.
    if (get("seen")) tap.seen = get("seen");
    else set("seen", tap.seen);
    if (get("tapped_at")) tap.tapped_at = Number(get("tapped_at"));
    else set("tapped_at", String(tap.tapped_at));
    set("op_id", tap.op_id);
    form._rollTap = tap;
    const submitter = event.detail.triggeringEvent && event.detail.triggeringEvent.submitter;
    lastTap = { row: row.id, name: submitter && submitter.name, value: submitter && submitter.value };
    const queued = !queueBox.classList.contains("d-none");
    // A choice on a conflict goes at once: the child's queued taps wait for it.
    if (!navigator.onLine || ((queued || sending) && !fields.resolution)) {
      event.preventDefault();
      if (kind === "mark" && fields.status === "absent" && !fields.absence_reason) {
        askReason(row, form);
      } else {
        enqueue(tap, "offline");
      }
    }
  });
  document.addEventListener("htmx:beforeRequest", (event) => {
    const row = event.detail.elt.closest && event.detail.elt.closest(".roll-row");
    if (row) { row.classList.remove("save-failed"); row.classList.add("saving"); }
  });
  function lost(event) {
    keepOrFail(event.detail.elt, event.detail.requestConfig);
  }
  function keepOrFail(form, requestConfig) {
    const row = form.closest && form.closest(".roll-row");
    if (!row) return;
    row.classList.remove("saving");
    const tap = form._rollTap;
    const f = tap && tap.fields;
    if (requestConfig && requestConfig.verb === "get" && form.classList.contains("checkout-link")) {
      // The check-out form did not come: the list kept with the page, as offline.
      openCheckOut(row);
      return;
    }
    const posted = tap && requestConfig && requestConfig.verb === "post";
    if (posted && f.status === "absent" && !f.absence_reason && !f.resolution) {
      // The server would have asked why: ask on the phone, as offline.
      askReason(row, form);
      return;
    }
    if (posted && !f.resolution) {
      // The network failed on the way: the tap is kept and sent later.
      enqueue(tap, "failed");
      return;
    }
    row.classList.add("save-failed");
    row.querySelector(".row-state").textContent = msg.saveFailed;
    say(row, msg.msgFailed);
  }
  function loggedOut() {
    document.getElementById("roll-logged-out").classList.remove("d-none");
    // The session ended: the worker drops the pages it kept for it (the taps
    // stay, for this user's next login).
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage({ type: "tidy" });
    }
  }
  // The session ended (30 idle minutes): the answer followed a redirect to the
  // login page. Never swap that page into the list: keep the tap, as when the
  // network fails, and say to log in again (the queue is sent when the page reopens).
  document.addEventListener("htmx:beforeSwap", (event) => {
    const xhr = event.detail.xhr;
    const config = event.detail.requestConfig; // its elt is the form that sent the tap
    const row = config && config.elt && config.elt.closest && config.elt.closest(".roll-row");
    if (!row || !xhr || !xhr.responseURL || new URL(xhr.responseURL).pathname !== msg.login) return;
    event.detail.shouldSwap = false;
    loggedOut();
    keepOrFail(config.elt, config);
  });
  document.addEventListener("htmx:sendError", lost);
  document.addEventListener("htmx:timeout", lost);
  document.addEventListener("htmx:responseError", (event) => {
    const row = event.detail.elt.closest && event.detail.elt.closest(".roll-row");
    if (!row) return;
    const tap = event.detail.elt._rollTap;
    if (event.detail.xhr.status === 429 && tap && !tap.fields.resolution) {
      // Too many taps at once (the server's limit): kept, and sent again later.
      enqueue(tap, "failed");
      return;
    }
    row.classList.remove("saving");
    row.classList.add("save-failed");
    row.querySelector(".row-state").textContent = msg.saveFailed;
    say(row, msg.msgFailed);
  });
  // Any answer means the network works again: the queue goes now, not at the
  // next tick of its timer. A choice on a conflict also frees the child's taps
  // that waited for it.
  document.addEventListener("htmx:afterRequest", (event) => {
    const xhr = event.detail.xhr;
    if (!xhr || !xhr.status || (xhr.responseURL && new URL(xhr.responseURL).pathname === msg.login)) return;
    // The form that sent it (detail.elt is an ancestor when the answer replaced the form).
    const config = event.detail.requestConfig;
    const tap = config && config.elt && config.elt._rollTap;
    if (tap && tap.fields.resolution && xhr.status === 200) {
      const tpl = document.createElement("template");
      tpl.innerHTML = xhr.responseText;
      const answered = tpl.content.querySelector(".roll-row");
      const outcome = {
        applied: Boolean(answered && answered.dataset.applied === "1"),
        version: answered && answered.dataset.version,
      };
      myTaps().then((taps) => settle(tap, outcome, taps)).then(() => sendQueue());
    } else {
      answerCameBack();
    }
  });
  function answerCameBack() {
    markMoved();
    if (!sending && !queueBox.classList.contains("d-none")) sendQueue();
  }
  // After a swap: focus back on the same child's row (the button just used,
  // else the row's first control), and say what happened.
  document.addEventListener("htmx:afterSettle", () => {
    showQueue();
    const tap = lastTap;
    lastTap = null;
    const row = tap && document.getElementById(tap.row);
    if (!row) return;
    const used = tap.name && row.querySelector(`button[name="${tap.name}"][value="${tap.value}"]`);
    const target = used || row.querySelector(".conflict button, .roll-actions button, select, button");
    if (target) target.focus({ preventScroll: true });
    if (row.classList.contains("has-conflict")) say(row, msg.msgConflict);
    else if (row.dataset.failed) say(row, msg.msgFailed);
    else if (row.dataset.saved) say(row, msg.msgSaved);
  });

  // --- offline: asking the reason, and the check-out list ---------------------
  function askReason(row, form) {
    const saved = form.innerHTML;
    const chooser = document.getElementById("reason-template").content.cloneNode(true);
    form.querySelectorAll("button, a").forEach((el) => el.classList.add("d-none"));
    const box = document.createElement("div");
    box.className = "offline-reason";
    box.appendChild(chooser);
    form.appendChild(box);
    box.querySelectorAll("button[data-reason]").forEach((b) =>
      b.addEventListener("click", () => {
        form.innerHTML = saved;
        if (window.htmx) htmx.process(form);
        enqueue(makeTap(row, form.getAttribute("action"), { status: "absent", absence_reason: b.dataset.reason }, "mark"), "offline")
          .then(() => focusOn(row, "status", "absent"));
      }),
    );
    box.querySelector("button").focus({ preventScroll: true });
  }

  function focusOn(row, name, value) {
    const fresh = rowOf(row.dataset.enrollment);
    const b = fresh && fresh.querySelector(`button[name="${name}"][value="${value}"]`);
    if (b) b.focus({ preventScroll: true });
  }

  function openCheckOut(row) {
    if (row.querySelector(".offline-checkout")) return;
    const link = row.querySelector(".checkout-link");
    const box = document.getElementById("checkout-template").content.cloneNode(true).firstElementChild;
    const select = box.querySelector("select");
    const label = box.querySelector("label");
    select.id = "pickup-" + row.dataset.enrollment;
    label.htmlFor = select.id;
    const people = pickups[row.dataset.enrollment] || [];
    const list = box.querySelector(".pickup-list");
    people.forEach((p) => {
      const option = document.createElement("option");
      option.value = p.name;
      option.textContent = p.relationship ? `${p.name} (${p.relationship})` : p.name;
      select.insertBefore(option, select.lastElementChild);
      const li = document.createElement("li");
      li.textContent = p.name + (p.relationship ? " · " + p.relationship : "");
      if (p.phone) {
        li.append(" · ");
        const a = document.createElement("a");
        a.href = "tel:" + p.phone;
        a.textContent = p.phone;
        li.appendChild(a);
      }
      list.appendChild(li);
    });
    box.querySelector("[data-confirm-checkout]").addEventListener("click", () => {
      const who = select.value;
      const old = box.querySelector(".alert");
      if (old) old.remove();
      if (!who) return;
      if (!people.some((p) => p.name === who)) {
        // Refused offline as online: only the child's list may take them.
        const alert = document.createElement("div");
        alert.className = "alert alert-danger py-1 px-2 my-1 small";
        alert.setAttribute("role", "alert");
        alert.textContent = msg.msgNotListed;
        select.parentElement.after(alert);
        say(row, msg.msgNotListed);
        return;
      }
      box.remove();
      enqueue(makeTap(row, link.getAttribute("href"), { picked_up_by: who }, "check_out"), "offline");
      // The form is gone: focus stays on this child's row.
      const next = row.querySelector(".roll-actions button[aria-pressed=true], .roll-actions button");
      if (next) next.focus({ preventScroll: true });
    });
    row.appendChild(box);
    select.focus({ preventScroll: true });
  }

  // "Mark all remaining present" offline: one queued tap per child not marked.
  const markAll = document.querySelector("form[action$='/all-present/']");
  if (markAll) {
    markAll.addEventListener("submit", (event) => {
      if (navigator.onLine && queueBox.classList.contains("d-none")) return;
      event.preventDefault();
      roll.querySelectorAll(".roll-row").forEach((row) => {
        const form = row.querySelector(".roll-actions");
        if (!row.dataset.status && form) {
          enqueue(makeTap(row, form.getAttribute("action"), { status: "present" }, "mark"), "offline");
        }
      });
    });
  }

  // Logging out deletes what this phone kept (the server's answer says so too,
  // with Clear-Site-Data): never more than two seconds, and never blocking it.
  document.querySelectorAll("form[action$='/logout/']").forEach((form) =>
    form.addEventListener("submit", async (event) => {
      if (form.dataset.cleared) return;
      event.preventDefault();
      let waitingTaps = [];
      try {
        waitingTaps = await myTaps();
      } catch (error) {
        // No IndexedDB: nothing waits.
      }
      if (waitingTaps.length && !window.confirm(msg.msgLeave)) return;
      await Promise.race([forgetPhone(), new Promise((done) => window.setTimeout(done, 2000))]);
      form.dataset.cleared = "1";
      form.submit();
    }),
  );
  async function forgetPhone() {
    try {
      await store("readwrite", (s) => s.clear());
    } catch (error) {
      // Nothing kept, or storage unavailable: nothing to delete.
    }
    try {
      if (self.caches) {
        const keys = await caches.keys();
        await Promise.all(keys.map((k) => caches.delete(k)));
      }
    } catch (error) {
      // As above.
    }
  }

  // --- on opening the page ----------------------------------------------------
  document.getElementById("roll-send-now").addEventListener("click", sendQueue);
  window.addEventListener("online", () => { showQueue(); sendQueue(); });
  window.addEventListener("offline", showQueue);
  // navigator.onLine says "online" on Wi-Fi without internet: retry quietly.
  window.setInterval(() => { if (navigator.onLine && !queueBox.classList.contains("d-none")) sendQueue(); }, 15000);

  async function start() {
    // Taps another user left on this phone are theirs to send, not this user's
    // to see or send: they go (the service worker does the same on any page).
    const others = (await allTaps()).filter((t) => t.user !== scope.user);
    for (const t of others) await dropTap(t.seq);
    // Taps of earlier days that were sent are gone; show the waiting ones of this page.
    const taps = (await myTaps()).sort((a, b) => a.seq - b.seq);
    taps.filter((t) => t.group === scope.group && t.day === scope.day).forEach((t) => {
      const row = rowOf(t.enrollment);
      if (row) showTap(row, t, "offline");
    });
    await showQueue();
    if (navigator.onLine && taps.length) sendQueue();
  }
  start();

  // The service worker keeps this page and its files for today, for this
  // user's session (the phone mark, sw.js); kept again when an answer moved
  // the mark (a child of the factory was erased: the page is fetched anew).
  let markSeen = readMark();
  function readMark() {
    const cookie = document.cookie.split("; ").find((c) => c.startsWith("rc_phone="));
    return cookie ? cookie.slice("rc_phone=".length) : null;
  }
  function markMoved() {
    const mark = readMark();
    if (mark && mark !== markSeen) {
      markSeen = mark;
      keepThisPage();
    }
  }
  function keepThisPage() {
    if (!("serviceWorker" in navigator) || !msg.sw) return;
    navigator.serviceWorker.ready.then((reg) => {
      const urls = [location.pathname, "/"];
      document.querySelectorAll("script[src], link[rel=stylesheet]").forEach((el) => urls.push(el.getAttribute("src") || el.getAttribute("href")));
      if (reg.active) reg.active.postMessage({ type: "keep", urls: urls });
    }).catch(() => {});
  }
  if ("serviceWorker" in navigator && msg.sw) {
    navigator.serviceWorker.addEventListener("message", (event) => {
      if (event.data && event.data.type === "kept") roll.dataset.kept = "1";
      // The worker had a request answered after the network failed.
      if (event.data && event.data.type === "answered") answerCameBack();
    });
    navigator.serviceWorker.register(msg.sw, { scope: "/" }).then(keepThisPage).catch(() => {});
  }
})();
