// Ground Control's dashboard: forms that call the API, and sections that follow the fleet.
// Plain JavaScript, no build step; every change goes through the same API as satctl, with the
// page's CSRF token beside the session cookie.
"use strict";

(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";

  function say(form, text, failed) {
    const status = form.querySelector(".status");
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("error", Boolean(failed));
  }

  // `{field}` in a form's address is that field's value, so one form can name what it creates.
  function address(form) {
    return form.dataset.api.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(form.elements[name]?.value ?? ""));
  }

  function body(form) {
    if (form.dataset.body === "json") {
      const text = form.elements.json.value;
      JSON.parse(text); // a syntax error is named here rather than by the server
      return text;
    }
    if (form.dataset.body !== "fields") return undefined;
    const value = {};
    // A field named `a.b` is `b` of the object `a`.
    const put = (name, item) => {
      const path = name.split(".");
      let target = value;
      for (const key of path.slice(0, -1)) target = target[key] ??= {};
      target[path[path.length - 1]] = item;
    };
    for (const field of form.elements) {
      if (!field.name || field.disabled || field.name === "json" || "path" in field.dataset) continue;
      if (field.type === "checkbox") {
        put(field.name, field.checked);
      } else if (field.value.trim() === "") {
        continue;
      } else if (field.type === "number") {
        put(field.name, Number(field.value));
      } else if ("list" in field.dataset) {
        put(field.name, field.value.split(",").map((item) => item.trim()).filter(Boolean));
      } else {
        put(field.name, field.value);
      }
    }
    return JSON.stringify(value);
  }

  async function submit(form) {
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
    let payload;
    try {
      payload = body(form);
    } catch (error) {
      say(form, "The JSON does not parse: " + error.message, true);
      return;
    }
    const headers = { "X-CSRF-Token": csrf, Accept: "application/json" };
    if (payload !== undefined) headers["Content-Type"] = "application/json";
    say(form, "…", false);
    let response;
    try {
      response = await fetch(address(form), { method: form.dataset.method || "POST", headers, body: payload, credentials: "same-origin" });
    } catch (error) {
      say(form, "Ground Control did not answer: " + error.message, true);
      return;
    }
    const text = await response.text();
    let reply = null;
    try {
      reply = text ? JSON.parse(text) : null;
    } catch (error) {
      reply = null;
    }
    if (response.status === 401) {
      window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname));
      return;
    }
    if (!response.ok) {
      say(form, reply && reply.code ? reply.code + ": " + reply.message : "Refused with " + response.status, true);
      return;
    }
    if (form.dataset.show && reply) {
      say(form, String(reply[form.dataset.show] ?? ""), false);
    } else if (form.dataset.done) {
      say(form, form.dataset.done, false);
    } else if (form.dataset.then) {
      window.location.assign(form.dataset.then.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(form.elements[name]?.value ?? "")));
    } else {
      window.location.reload();
    }
  }

  for (const form of document.querySelectorAll("form[data-api]")) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submit(form);
    });
  }

  // Takes a fragment into a live section, touching only what changed: the rows of a table whose
  // rows are the same satellites in the same order, and each other part; anything else whole.
  // A page of the fleet then costs the browser a few rows a tick, not a new table.
  function update(section, html) {
    const fresh = document.createElement("template");
    fresh.innerHTML = html;
    const before = [...section.children];
    const after = [...fresh.content.children];
    const oldRows = [...section.querySelectorAll("tbody > tr[id]")];
    const newRows = [...fresh.content.querySelectorAll("tbody > tr[id]")];
    const sameShape = before.length === after.length && before.every((part, i) => part.tagName === after[i].tagName);
    const sameRows = oldRows.length === newRows.length && oldRows.every((row, i) => row.id === newRows[i].id);
    if (!sameShape || !sameRows) {
      section.replaceChildren(fresh.content);
      return;
    }
    oldRows.forEach((row, i) => {
      if (row.outerHTML !== newRows[i].outerHTML) row.replaceWith(newRows[i]);
    });
    before.forEach((part, i) => {
      if (part.querySelector("tbody > tr[id]")) {
        const oldHead = part.querySelector("thead");
        const newHead = after[i].querySelector("thead");
        if (oldHead && newHead && oldHead.outerHTML !== newHead.outerHTML) oldHead.replaceWith(newHead);
        return;
      }
      if (part.outerHTML !== after[i].outerHTML) part.replaceWith(after[i]);
    });
  }

  // A live section fetches its own fragment every two seconds and takes it when it changed.
  // A fetch that fails leaves the section as it was: the next one tries again.
  for (const section of document.querySelectorAll("[data-live]")) {
    let busy = false;
    window.setInterval(async () => {
      if (busy || document.hidden) return;
      busy = true;
      try {
        const response = await fetch(section.dataset.live, { credentials: "same-origin", headers: { Accept: "text/html" } });
        if (response.status === 401) {
          window.location.assign("/login?next=" + encodeURIComponent(window.location.pathname + window.location.search));
          return;
        }
        if (response.ok) {
          const html = await response.text();
          if (html !== section.dataset.shown) {
            section.dataset.shown = html;
            update(section, html);
          }
        }
      } catch (error) {
        // Offline for a moment; the next tick tries again.
      } finally {
        busy = false;
      }
    }, 2000);
  }
})();
