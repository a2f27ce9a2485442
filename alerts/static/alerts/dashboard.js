// The maintenance alerts dashboard: a plain client of the project's REST API.
//
// Signs in for a JWT pair, refreshes the access token before it expires, and
// reloads counters, alerts and scheduler status every `refreshSeconds` without
// reloading the page. Strings go through Django's JavaScript catalog (/jsi18n/).
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("dashboard-config").textContent);
  const urls = config.urls;
  const labels = config.labels;
  const gettext = window.gettext || ((text) => text);
  const ngettext = window.ngettext || ((singular, plural, count) => (count === 1 ? singular : plural));
  const interpolate =
    window.interpolate || ((format, values) => format.replace(/%\((\w+)\)s/g, (_, name) => values[name]));
  // Dates in the page's language, with the browser's regional variant of it (en-GB, fr-CA…).
  const pageLang = document.documentElement.lang || "en";
  const lang = navigator.languages.find((tag) => tag.split("-")[0] === pageLang) || pageLang;
  const STORAGE_KEY = "alertsite.dashboard.tokens";
  // Renew the access token this long before it expires (at most a fifth of its lifetime).
  const TOKEN_MARGIN_MS = 60 * 1000;

  const state = {
    access: null,
    refresh: null,
    user: null,
    refreshTimer: null,
    tokenTimer: null,
    loading: null,
  };

  const $ = (id) => document.getElementById(id);
  const dateTime = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "medium" });
  const dateOnly = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeZone: "UTC" });
  const timeOnly = new Intl.DateTimeFormat(lang, { timeStyle: "medium" });

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.detail) || interpolate(gettext("The server answered %(status)s."), { status }, true));
      this.status = status;
      this.body = body;
    }
  }

  class SessionExpired extends Error {}

  // --- Tokens ---------------------------------------------------------------

  function tokenExpiry(token) {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload)).exp * 1000;
  }

  function storeTokens() {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ access: state.access, refresh: state.refresh }));
  }

  function scheduleTokenRenewal() {
    clearTimeout(state.tokenTimer);
    const remaining = tokenExpiry(state.access) - Date.now();
    const delay = Math.max(1000, remaining - Math.min(TOKEN_MARGIN_MS, remaining / 5));
    state.tokenTimer = setTimeout(() => renewAccessToken().catch(handleError), delay);
  }

  async function renewAccessToken() {
    const response = await fetch(urls.tokenRefresh, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ refresh: state.refresh }),
    });
    if (response.status === 401 || response.status === 400) {
      throw new SessionExpired();
    }
    if (!response.ok) {
      throw new ApiError(response.status, await readJson(response));
    }
    const tokens = await response.json();
    // The refresh token sent is now revoked: the answer carries its successor.
    Object.assign(state, { access: tokens.access, refresh: tokens.refresh || state.refresh });
    storeTokens();
    scheduleTokenRenewal();
  }

  // --- API ------------------------------------------------------------------

  async function readJson(response) {
    try {
      return await response.json();
    } catch {
      return null;
    }
  }

  async function api(url, { method = "GET", retry = true } = {}) {
    const response = await fetch(url, {
      method,
      headers: { Authorization: `Bearer ${state.access}`, Accept: "application/json" },
    });
    if (response.status === 401 && retry && state.refresh) {
      // The access token expired while the page slept: renew it once and retry.
      await renewAccessToken();
      return api(url, { method, retry: false });
    }
    if (response.status === 401) {
      throw new SessionExpired();
    }
    const body = await readJson(response);
    if (!response.ok) {
      throw new ApiError(response.status, body);
    }
    return body;
  }

  // --- Sign in and out --------------------------------------------------------

  async function signIn(event) {
    event.preventDefault();
    const form = event.target;
    const message = $("sign-in-message");
    const username = form.username.value.trim();
    const password = form.password.value;
    if (!username || !password) {
      message.textContent = gettext("Enter your username and password.");
      return;
    }
    message.textContent = "";
    form.querySelector("button[type=submit]").disabled = true;
    try {
      const response = await fetch(urls.token, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ username, password }),
      });
      const body = await readJson(response);
      if (response.status === 401) {
        message.textContent = gettext("Wrong username or password.");
        return;
      }
      if (response.status === 429) {
        const wait = response.headers.get("Retry-After") || "60";
        message.textContent = interpolate(
          gettext("Too many attempts; try again in %(seconds)s seconds."),
          { seconds: wait },
          true,
        );
        return;
      }
      if (!response.ok) {
        throw new ApiError(response.status, body);
      }
      state.access = body.access;
      state.refresh = body.refresh;
      storeTokens();
      form.password.value = "";
      await start();
    } catch (error) {
      message.textContent = describe(error);
    } finally {
      form.querySelector("button[type=submit]").disabled = false;
    }
  }

  function signOut(notice) {
    if (state.refresh) {
      // Revoke the refresh token on the server, then forget both tokens here
      // (an expired or already revoked one is refused with 401: nothing to do).
      fetch(urls.logout, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ refresh: state.refresh }),
        keepalive: true,
      }).catch(() => {});
    }
    clearTimeout(state.refreshTimer);
    clearTimeout(state.tokenTimer);
    Object.assign(state, { access: null, refresh: null, user: null, loading: null });
    sessionStorage.removeItem(STORAGE_KEY);
    $("dashboard").hidden = true;
    $("session").hidden = true;
    $("sign-in").hidden = false;
    $("alert-rows").replaceChildren();
    $("sign-in-message").textContent = notice || "";
    $("username").focus();
  }

  async function start() {
    scheduleTokenRenewal();
    state.user = await api(urls.me);
    $("session-user").textContent = state.user.username;
    $("session").hidden = false;
    $("sign-in").hidden = true;
    $("dashboard").hidden = false;
    $("generate").hidden = !state.user.can_generate;
    $("read-all").hidden = !canChangeAlerts();
    $("generate-result").textContent = "";
    $("status").textContent = "";
    await refresh();
  }

  function canChangeAlerts() {
    return Boolean(state.user && state.user.permissions.includes("alerts.change_alert"));
  }

  // --- Filters --------------------------------------------------------------

  function filterParams() {
    const params = new URLSearchParams();
    if ($("filter-priority").value) params.set("priority", $("filter-priority").value);
    if ($("filter-kind").value) params.set("kind", $("filter-kind").value);
    if ($("filter-unread").checked) params.set("is_read", "false");
    return params;
  }

  function withParams(url, params) {
    const query = params.toString();
    return query ? `${url}?${query}` : url;
  }

  function restoreFilters() {
    // The filters live in the page's address, so a reload or a shared link keeps them.
    const params = new URLSearchParams(window.location.search);
    const pick = (select, value) => {
      if ([...select.options].some((option) => option.value === value)) select.value = value;
    };
    pick($("filter-priority"), params.get("priority") || "");
    pick($("filter-kind"), params.get("kind") || "");
    $("filter-unread").checked = params.get("is_read") === "false";
  }

  function filtersChanged() {
    const query = filterParams().toString();
    window.history.replaceState(null, "", query ? `?${query}` : window.location.pathname);
    refresh().catch(handleError);
  }

  // --- Refresh and rendering -------------------------------------------------

  function refresh() {
    // One load at a time; a refresh asked for during a load waits for it, then runs.
    const previous = state.loading || Promise.resolve();
    const next = previous.catch(() => {}).then(load);
    state.loading = next;
    return next;
  }

  async function load() {
    if (!state.access) return;
    clearTimeout(state.refreshTimer);
    try {
      const [stats, alerts, scheduler] = await Promise.all([
        api(urls.stats),
        api(withParams(urls.alerts, filterParams())),
        api(urls.scheduler),
      ]);
      renderStats(stats);
      renderAlerts(alerts);
      renderScheduler(scheduler);
      $("updated-at").textContent = interpolate(
        gettext("Last updated at %(time)s."),
        { time: timeOnly.format(new Date()) },
        true,
      );
      if ($("status").dataset.kind === "error") setStatus("");
    } catch (error) {
      handleError(error);
    } finally {
      if (state.access) {
        state.refreshTimer = setTimeout(() => refresh(), config.refreshSeconds * 1000);
      }
    }
  }

  function setText(element, text) {
    // Only real changes, so that live regions announce what changed and nothing else.
    if (element.textContent !== text) element.textContent = text;
  }

  function renderStats(stats) {
    setText($("count-total"), String(stats.total));
    setText($("count-unread"), String(stats.unread));
    setText($("count-critical"), String(stats.critical));
  }

  function cell(label, ...children) {
    const td = document.createElement("td");
    td.dataset.label = label;
    td.append(...children);
    return td;
  }

  function span(className, text) {
    const element = document.createElement("span");
    element.className = className;
    element.textContent = text;
    return element;
  }

  function renderAlerts(alerts) {
    const rows = $("alert-rows");
    // Rebuilding the rows must not throw away the keyboard user's place.
    const focused = document.activeElement && document.activeElement.closest("#alert-rows button");
    const focusKey = focused ? `${focused.dataset.id}` : null;
    const canChange = canChangeAlerts();

    rows.replaceChildren(
      ...alerts.map((alert) => {
        const tr = document.createElement("tr");
        tr.className = `priority-${alert.priority.toLowerCase()}${alert.is_read ? " read" : " unread"}`;
        tr.dataset.id = alert.id;

        const badge = span(`badge badge-${alert.priority.toLowerCase()}`, labels.priority[alert.priority]);
        const title = span("alert-title", alert.title);
        const message = span("alert-message", alert.message);
        const readState = span("read-state", alert.is_read ? gettext("Read") : gettext("Unread"));
        const asset = span("asset-code", alert.asset_code);
        const assetName = span("asset-name", alert.asset_name);
        const kind = span("kind", labels.kind[alert.kind]);
        const maintenance = alert.maintenance
          ? span("maintenance-id", `#${alert.maintenance}`)
          : "";
        const due = alert.due_date ? formatDate(alert.due_date) : "—";

        const actions = [];
        if (canChange) {
          const button = document.createElement("button");
          button.type = "button";
          button.className = "button small secondary";
          button.dataset.id = alert.id;
          button.dataset.action = alert.is_read ? "unread" : "read";
          button.textContent = alert.is_read ? gettext("Mark unread") : gettext("Mark read");
          button.setAttribute("aria-label", `${button.textContent}: ${alert.title}`);
          actions.push(button);
        }

        const dueCell = cell(gettext("Due date"), due);
        dueCell.className = "due-date";
        tr.append(
          cell(gettext("Priority"), badge),
          cell(gettext("Alert"), title, message),
          cell(gettext("Asset"), asset, assetName),
          cell(gettext("Maintenance"), kind, maintenance),
          dueCell,
          cell(gettext("Read state"), readState, ...actions),
        );
        return tr;
      }),
    );
    $("empty").hidden = alerts.length > 0;
    if (focusKey) {
      const again = rows.querySelector(`button[data-id="${CSS.escape(focusKey)}"]`);
      if (again) again.focus();
      else $("alerts-heading").focus();
    }
  }

  function formatDate(isoDate) {
    const [year, month, day] = isoDate.split("-").map(Number);
    return dateOnly.format(new Date(Date.UTC(year, month - 1, day)));
  }

  function formatMoment(iso) {
    return iso ? dateTime.format(new Date(iso)) : gettext("never");
  }

  function renderScheduler(status) {
    const run = status.last_run;
    setText(
      $("last-run"),
      run
        ? interpolate(
            gettext("%(status)s (%(trigger)s) at %(time)s"),
            {
              status: labels.runStatus[run.status] || run.status,
              trigger: labels.trigger[run.trigger] || run.trigger,
              time: formatMoment(run.started_at),
            },
            true,
          )
        : gettext("never"),
    );
    setText($("last-success"), formatMoment(status.last_success_at));
    setText($("next-run"), status.next_run_at ? formatMoment(status.next_run_at) : "—");

    const warning = $("stale-warning");
    if (status.stale) {
      setText(
        warning,
        status.last_success_at
          ? interpolate(
              gettext("The scheduler is stale: no successful generation since %(time)s. Alerts that depend on the date may be out of date."),
              { time: formatMoment(status.last_success_at) },
              true,
            )
          : gettext("The scheduler is stale: no successful generation yet. Alerts that depend on the date may be out of date."),
      );
    }
    warning.hidden = !status.stale;
  }

  // --- Actions ----------------------------------------------------------------

  function setStatus(text, kind) {
    const status = $("status");
    status.textContent = text;
    status.dataset.kind = kind || "";
  }

  async function whileBusy(button, work) {
    // aria-disabled, not disabled: a disabled button would drop the keyboard focus.
    if (button.getAttribute("aria-disabled") === "true") return;
    button.setAttribute("aria-disabled", "true");
    try {
      await work();
    } finally {
      button.removeAttribute("aria-disabled");
    }
  }

  function toggleRead(button) {
    const read = button.dataset.action === "read";
    return whileBusy(button, async () => {
      try {
        await api(`${urls.alerts}/${button.dataset.id}/${read ? "read" : "unread"}`, { method: "POST" });
        setStatus(read ? gettext("Alert marked read.") : gettext("Alert marked unread."));
        await refresh();
      } catch (error) {
        handleError(error);
      }
    });
  }

  function markAllRead() {
    return whileBusy($("read-all"), async () => {
      try {
        // The shown filters apply: "all" means all the alerts on screen.
        const { marked } = await api(withParams(urls.readAll, filterParams()), { method: "POST" });
        setStatus(
          interpolate(
            ngettext("%(count)s alert marked read.", "%(count)s alerts marked read.", marked),
            { count: marked },
            true,
          ),
        );
        await refresh();
      } catch (error) {
        handleError(error);
      }
    });
  }

  function generate() {
    const result = $("generate-result");
    return whileBusy($("generate-button"), async () => {
      result.textContent = gettext("Regenerating…");
      try {
        const counts = await api(urls.generate, { method: "POST" });
        result.textContent = interpolate(
          gettext("Alerts regenerated: %(created)s created, %(updated)s updated, %(resolved)s resolved, %(unchanged)s unchanged (%(duration)s ms)."),
          {
            created: counts.alerts_created,
            updated: counts.alerts_updated,
            resolved: counts.alerts_resolved,
            unchanged: counts.alerts_unchanged,
            duration: counts.duration_ms,
          },
          true,
        );
        await refresh();
      } catch (error) {
        if (error instanceof SessionExpired) handleError(error);
        else result.textContent = describe(error);
      }
    });
  }

  // --- Errors -----------------------------------------------------------------

  function describe(error) {
    if (error instanceof ApiError) return error.message;
    if (error instanceof TypeError) {
      return gettext("The server cannot be reached; the page will try again.");
    }
    return error.message || String(error);
  }

  function handleError(error) {
    if (error instanceof SessionExpired) {
      signOut(gettext("Your session has expired; sign in again."));
      return;
    }
    if (error instanceof ApiError && error.status === 403) {
      setStatus(gettext("Your account is not allowed to do this."), "error");
      return;
    }
    console.error(error);
    setStatus(describe(error), "error");
  }

  // --- Start ------------------------------------------------------------------

  function init() {
    $("sign-in-form").addEventListener("submit", signIn);
    $("sign-out").addEventListener("click", () => signOut(gettext("You are signed out.")));
    $("filters").addEventListener("change", filtersChanged);
    $("filters").addEventListener("submit", (event) => event.preventDefault());
    $("read-all").addEventListener("click", markAllRead);
    $("generate-button").addEventListener("click", generate);
    $("alert-rows").addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      if (button) toggleRead(button);
    });
    document.addEventListener("visibilitychange", () => {
      // A tab coming back to the foreground shows fresh data at once.
      if (document.visibilityState === "visible" && state.access) refresh();
    });
    restoreFilters();

    let saved = null;
    try {
      saved = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || "null");
      if (saved && !(tokenExpiry(saved.refresh) > Date.now())) saved = null;
    } catch {
      saved = null; // Unreadable leftovers: sign in again.
    }
    if (saved) {
      state.access = saved.access;
      state.refresh = saved.refresh;
      start().catch(handleError);
    } else {
      signOut();
    }
  }

  init();
})();
