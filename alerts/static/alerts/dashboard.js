// The maintenance alerts dashboard: a plain client of the project's REST API.
//
// Signs in for a JWT pair, refreshes the access token before it expires, and
// polls counters, alerts, their 30-day history and the scheduler's status every
// `refreshSeconds` without reloading the page. The polls are conditional: each
// sends back the ETag of what it shows, and a 304 changes nothing on screen.
// Alerts are acted on in a detail dialog; `#settings` manages the user's
// subscriptions. Strings go through Django's JavaScript catalog (/jsi18n/).
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("dashboard-config").textContent);
  const urls = config.urls;
  const labels = config.labels;
  const gettext = window.gettext || ((text) => text);
  const ngettext = window.ngettext || ((singular, plural, count) => (count === 1 ? singular : plural));
  const pgettext = window.pgettext || ((context, text) => text);
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
    // URL -> {etag, body}: what the page shows, to poll with If-None-Match.
    versions: new Map(),
    detail: null,
    opener: null,
    subscriptions: [],
  };
  const PRIORITIES = ["LOW", "MEDIUM", "HIGH", "CRITICAL"];
  const SVG = "http://www.w3.org/2000/svg";
  const withId = (url, id) => url.replace(config.idPlaceholder, String(id));

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

  async function send(url, { method = "GET", body, headers = {}, retry = true } = {}) {
    const init = {
      method,
      // The page keeps its own versions (If-None-Match): the browser's cache stays out of it.
      cache: "no-store",
      headers: { Authorization: `Bearer ${state.access}`, Accept: "application/json", ...headers },
    };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(url, init);
    if (response.status === 401 && retry && state.refresh) {
      // The access token expired while the page slept: renew it once and retry.
      await renewAccessToken();
      return send(url, { method, body, headers, retry: false });
    }
    if (response.status === 401) {
      throw new SessionExpired();
    }
    return response;
  }

  async function api(url, options = {}) {
    const response = await send(url, options);
    const body = response.status === 204 ? null : await readJson(response);
    if (!response.ok) {
      throw new ApiError(response.status, body);
    }
    return body;
  }

  async function poll(url) {
    // {changed, body}: a 304 means the version shown is still current.
    const held = state.versions.get(url);
    const response = await send(url, { headers: held ? { "If-None-Match": held.etag } : {} });
    if (response.status === 304 && held) return { changed: false, body: held.body };
    const body = await readJson(response);
    if (!response.ok) throw new ApiError(response.status, body);
    const etag = response.headers.get("ETag");
    if (etag) state.versions.set(url, { etag, body });
    return { changed: true, body };
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
    Object.assign(state, { access: null, refresh: null, user: null, loading: null, detail: null });
    state.versions.clear();
    if ($("alert-dialog").open) $("alert-dialog").close();
    $("settings").hidden = true;
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
    showView();
    $("generate").hidden = !state.user.can_generate;
    $("read-all").hidden = !canChangeAlerts();
    $("generate-result").textContent = "";
    $("status").textContent = "";
    await refresh();
  }

  function may(permission) {
    return Boolean(state.user && state.user.permissions.includes(permission));
  }

  function canChangeAlerts() {
    return may("alerts.change_alert");
  }

  // Managers (who add maintenances) open them in the admin.
  const managesMaintenances = () => may("maintenance.add_maintenance");

  // --- Views: the alerts (default) and the notification settings (#settings) ----

  function showView() {
    if (!state.user) return;
    const settings = window.location.hash === "#settings";
    $("dashboard").hidden = settings;
    $("settings").hidden = !settings;
    for (const [link, current] of [
      [$("nav-alerts"), !settings],
      [$("nav-settings"), settings],
    ]) {
      if (current) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    if (settings) {
      loadSubscriptions().catch(handleSettingsError);
    }
  }

  // --- Filters --------------------------------------------------------------

  function filterParams() {
    const params = new URLSearchParams();
    if ($("filter-priority").value) params.set("priority", $("filter-priority").value);
    if ($("filter-kind").value) params.set("kind", $("filter-kind").value);
    if ($("filter-unread").checked) params.set("is_read", "false");
    if ($("filter-mine").checked) params.set("assignee", "me");
    // Snoozed alerts are hidden unless asked for (DESIGN §11).
    if (!$("filter-snoozed").checked) params.set("snoozed", "false");
    return params;
  }

  function addressParams() {
    const params = filterParams();
    params.delete("snoozed");
    if ($("filter-snoozed").checked) params.set("show_snoozed", "true");
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
    $("filter-mine").checked = params.get("assignee") === "me";
    $("filter-snoozed").checked = params.get("show_snoozed") === "true";
  }

  function filtersChanged() {
    const query = addressParams().toString();
    const address = (query ? `?${query}` : window.location.pathname) + window.location.hash;
    window.history.replaceState(null, "", address);
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
      const [stats, alerts, history, scheduler] = await Promise.all([
        poll(urls.stats),
        poll(withParams(urls.alerts, filterParams())),
        poll(withParams(urls.history, new URLSearchParams({ days: "30" }))),
        api(urls.scheduler),
      ]);
      // Only what changed is drawn again: a 304 keeps the page (and the keyboard focus) as it is.
      if (stats.changed) renderStats(stats.body);
      if (alerts.changed) renderAlerts(alerts.body);
      if (history.changed) renderHistory(history.body);
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
    setText($("count-acknowledged"), String(stats.acknowledged));
    setText($("count-snoozed"), String(stats.snoozed));
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
    const focusDetail = Boolean(focused && focused.dataset.detail);
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
        const maintenance = alert.maintenance ? maintenanceName(alert) : span("kind", labels.kind[alert.kind]);
        const people = [];
        if (alert.assignee_username) {
          people.push(span("assignee", interpolate(gettext("Assigned to %(user)s"), { user: alert.assignee_username }, true)));
        }
        if (alert.acknowledged_at) people.push(span("tag tag-acknowledged", gettext("Acknowledged")));
        if (alert.snoozed_until) {
          people.push(
            span(
              "tag tag-snoozed",
              interpolate(gettext("Snoozed until %(time)s"), { time: formatMoment(alert.snoozed_until) }, true),
            ),
          );
        }
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
        const details = document.createElement("button");
        details.type = "button";
        details.className = "button small";
        details.dataset.id = alert.id;
        details.dataset.detail = "true";
        details.textContent = gettext("Details");
        details.setAttribute("aria-label", `${gettext("Details")}: ${alert.title}`);

        const dueCell = cell(gettext("Due date"), due);
        dueCell.className = "due-date";
        tr.append(
          cell(gettext("Priority"), badge),
          cell(gettext("Alert"), title, message, ...people),
          cell(gettext("Asset"), asset, assetName),
          cell(gettext("Maintenance"), maintenance),
          dueCell,
          cell(gettext("Read state"), readState, ...actions),
          cell(gettext("Details"), details),
        );
        return tr;
      }),
    );
    $("empty").hidden = alerts.length > 0;
    if (focusKey) {
      const kind = focusDetail ? "[data-detail]" : "[data-action]";
      const again = rows.querySelector(`button${kind}[data-id="${CSS.escape(focusKey)}"]`);
      if (again) again.focus();
      else $("alerts-heading").focus();
    }
  }

  function maintenanceName(alert) {
    // The maintenance by its title; managers open it in the admin.
    const name = alert.maintenance_title || `#${alert.maintenance}`;
    if (!managesMaintenances()) return span("maintenance-title", name);
    const link = document.createElement("a");
    link.className = "maintenance-title";
    link.href = withId(urls.maintenanceAdmin, alert.maintenance);
    link.textContent = name;
    return link;
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

  // --- The 30-day chart -------------------------------------------------------

  function svg(name, attributes = {}) {
    const element = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
    return element;
  }

  function renderHistory(series) {
    // Stacked columns, one a day, built here as SVG: presentation attributes and
    // classes only, nothing the Content-Security-Policy refuses.
    const width = 600;
    const height = 180;
    const top = 16;
    const bottom = 22;
    const column = width / Math.max(series.length, 1);
    const peak = Math.max(1, ...series.map((day) => day.total));
    const scale = (height - top - bottom) / peak;
    const chart = svg("svg", {
      viewBox: `0 0 ${width} ${height}`,
      role: "img",
      "aria-labelledby": "trend-title trend-desc",
      class: "chart",
    });
    const first = series[0];
    const last = series[series.length - 1];
    const title = svg("title", { id: "trend-title" });
    title.textContent = gettext("Active alerts by priority over the last 30 days");
    const desc = svg("desc", { id: "trend-desc" });
    const busiest = series.reduce((best, day) => (day.total > best.total ? day : best), first);
    desc.textContent = interpolate(
      gettext("From %(first)s to %(last)s: %(today)s active today, at most %(peak)s on %(peakDay)s."),
      {
        first: formatDate(first.date),
        last: formatDate(last.date),
        today: last.total,
        peak: busiest.total,
        peakDay: formatDate(busiest.date),
      },
      true,
    );
    chart.append(title, desc);
    chart.append(svg("line", { x1: 0, y1: height - bottom, x2: width, y2: height - bottom, class: "axis" }));
    series.forEach((day, index) => {
      const group = svg("g", { class: "day", "data-date": day.date, "data-total": day.total });
      let y = height - bottom;
      for (const priority of PRIORITIES) {
        const count = day.by_priority[priority];
        if (!count) continue;
        const barHeight = count * scale;
        y -= barHeight;
        group.append(
          svg("rect", {
            x: (index * column + 1).toFixed(2),
            y: y.toFixed(2),
            width: Math.max(column - 2, 1).toFixed(2),
            height: barHeight.toFixed(2),
            class: `bar bar-${priority.toLowerCase()}`,
          }),
        );
      }
      chart.append(group);
    });
    const peakLabel = svg("text", { x: 2, y: 12, class: "chart-label" });
    peakLabel.textContent = String(peak);
    const firstLabel = svg("text", { x: 2, y: height - 6, class: "chart-label" });
    firstLabel.textContent = formatDate(first.date);
    const lastLabel = svg("text", { x: width - 2, y: height - 6, class: "chart-label", "text-anchor": "end" });
    lastLabel.textContent = formatDate(last.date);
    chart.append(peakLabel, firstLabel, lastLabel);
    $("trend-chart").replaceChildren(chart);

    $("trend-rows").replaceChildren(
      ...series.map((day) => {
        const tr = document.createElement("tr");
        const th = document.createElement("th");
        th.scope = "row";
        th.textContent = formatDate(day.date);
        tr.append(th);
        for (const value of [day.total, ...[...PRIORITIES].reverse().map((priority) => day.by_priority[priority])]) {
          const td = document.createElement("td");
          td.textContent = String(value);
          tr.append(td);
        }
        return tr;
      }),
    );
  }

  // --- One alert: details, actions, timeline -----------------------------------

  async function openDetail(id, opener) {
    state.opener = opener;
    $("dialog-status").textContent = "";
    $("snooze-error").textContent = "";
    $("acknowledge-note").value = "";
    $("snooze-reason").value = "";
    await showDetail(id);
    const dialog = $("alert-dialog");
    if (!dialog.open) dialog.showModal();
  }

  async function showDetail(id) {
    const [alert, events] = await Promise.all([api(`${urls.alerts}/${id}`), api(`${urls.alerts}/${id}/events`)]);
    state.detail = alert;
    renderDetail(alert, events);
  }

  function fact(term, value) {
    const div = document.createElement("div");
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.textContent = term;
    dd.append(value);
    div.append(dt, dd);
    return div;
  }

  function renderDetail(alert, events) {
    $("dialog-title").textContent = alert.title;
    $("dialog-message").textContent = alert.message;
    const facts = [
      fact(gettext("Priority"), span(`badge badge-${alert.priority.toLowerCase()}`, labels.priority[alert.priority])),
      fact(gettext("Asset"), `${alert.asset_code} — ${alert.asset_name}`),
      fact(gettext("State"), alert.is_active ? pgettext("alert", "Active") : gettext("Resolved")),
      fact(gettext("Assignee"), alert.assignee_username || gettext("nobody")),
      fact(gettext("Acknowledged"), alert.acknowledged_at ? formatMoment(alert.acknowledged_at) : gettext("no")),
      fact(
        gettext("Snoozed"),
        alert.snoozed_until
          ? interpolate(gettext("until %(time)s"), { time: formatMoment(alert.snoozed_until) }, true) +
              (alert.snooze_reason ? ` (${alert.snooze_reason})` : "")
          : gettext("no"),
      ),
    ];
    $("dialog-facts").replaceChildren(...facts);

    // Actions a role may not take stay visible, disabled, with the reason next to them.
    const allowed = canChangeAlerts() && alert.is_active;
    $("dialog-forbidden").hidden = canChangeAlerts();
    for (const id of ["acknowledge-button", "unacknowledge-button", "snooze-button", "unsnooze-button"]) {
      const button = $(id);
      button.disabled = !allowed;
      if (canChangeAlerts()) button.removeAttribute("aria-describedby");
      else button.setAttribute("aria-describedby", "dialog-forbidden");
    }
    for (const id of ["acknowledge-note", "snooze-for", "snooze-until", "snooze-reason"]) $(id).disabled = !allowed;
    $("acknowledge-button").hidden = Boolean(alert.acknowledged_at);
    $("unacknowledge-button").hidden = !alert.acknowledged_at;
    $("unsnooze-button").hidden = !alert.snoozed_until;

    const hasMaintenance = Boolean(alert.maintenance);
    $("complete-section").hidden = !hasMaintenance;
    if (hasMaintenance) {
      $("complete-maintenance").replaceChildren(maintenanceName(alert));
      const mayComplete = may("maintenance.change_maintenance");
      $("complete-button").disabled = !mayComplete || !alert.is_active;
      $("complete-forbidden").hidden = mayComplete;
      if (mayComplete) $("complete-button").removeAttribute("aria-describedby");
      else $("complete-button").setAttribute("aria-describedby", "complete-forbidden");
    }

    $("dialog-events").replaceChildren(
      ...events.map((event) => {
        const li = document.createElement("li");
        li.className = `event event-${event.kind.toLowerCase()}`;
        const when = document.createElement("time");
        when.dateTime = event.at;
        when.textContent = formatMoment(event.at);
        const what = span("event-kind", labels.event[event.kind] || event.kind);
        const who = span("event-actor", event.actor_username || gettext("system"));
        li.append(when, " ", what, " ", who);
        if (event.note) li.append(" ", span("event-note", `“${event.note}”`));
        return li;
      }),
    );
  }

  async function afterAction(message) {
    $("dialog-status").textContent = message;
    await showDetail(state.detail.id);
    await refresh();
  }

  function act(action, message, body) {
    if (!state.detail) return Promise.resolve();
    return (async () => {
      try {
        await api(`${urls.alerts}/${state.detail.id}/${action}`, { method: "POST", body });
        await afterAction(message);
      } catch (error) {
        if (error instanceof SessionExpired) handleError(error);
        else $("dialog-status").textContent = describe(error);
      }
    })();
  }

  function acknowledge(event) {
    event.preventDefault();
    const note = $("acknowledge-note").value.trim();
    return act("acknowledge", gettext("Alert acknowledged."), note ? { note } : {});
  }

  function snoozeUntil(choice) {
    const moment = new Date();
    switch (choice) {
      case "1h":
        return new Date(moment.getTime() + 3600 * 1000);
      case "4h":
        return new Date(moment.getTime() + 4 * 3600 * 1000);
      case "tomorrow":
        // 08:00 tomorrow, in the browser's time zone.
        moment.setDate(moment.getDate() + 1);
        moment.setHours(8, 0, 0, 0);
        return moment;
      case "week":
        return new Date(moment.getTime() + 7 * 24 * 3600 * 1000);
      default: {
        const value = $("snooze-until").value;
        return value ? new Date(value) : null;
      }
    }
  }

  function snooze(event) {
    event.preventDefault();
    const until = snoozeUntil($("snooze-for").value);
    $("snooze-error").textContent = "";
    if (!until || Number.isNaN(until.getTime())) {
      $("snooze-error").textContent = gettext("Choose the date and time the alert wakes.");
      $("snooze-until").focus();
      return Promise.resolve();
    }
    const reason = $("snooze-reason").value.trim();
    const body = { until: until.toISOString(), ...(reason ? { reason } : {}) };
    return (async () => {
      try {
        await api(`${urls.alerts}/${state.detail.id}/snooze`, { method: "POST", body });
        await afterAction(interpolate(gettext("Alert snoozed until %(time)s."), { time: formatMoment(body.until) }, true));
      } catch (error) {
        if (error instanceof SessionExpired) handleError(error);
        else $("snooze-error").textContent = fieldMessages(error) || describe(error);
      }
    })();
  }

  async function completeMaintenance() {
    if (!state.detail || !state.detail.maintenance) return;
    try {
      await api(withId(urls.maintenanceComplete, state.detail.maintenance), { method: "POST" });
      await afterAction(gettext("Maintenance marked done; its alert is resolved."));
    } catch (error) {
      if (error instanceof SessionExpired) handleError(error);
      else $("dialog-status").textContent = fieldMessages(error) || describe(error);
    }
  }

  function fieldMessages(error) {
    // A 400's messages per field, as one line.
    if (!(error instanceof ApiError) || error.status !== 400 || !error.body || error.body.detail) return "";
    return Object.values(error.body).flat().join(" ");
  }

  // --- Notification settings -----------------------------------------------------

  async function loadSubscriptions() {
    const all = await api(urls.subscriptions);
    // Managers may see everyone's; this page is about the user's own.
    state.subscriptions = all.filter((subscription) => subscription.user_username === state.user.username);
    renderSubscriptions();
  }

  function subscriptionButton(label, action, subscription) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button small secondary";
    button.dataset.subscription = subscription.id;
    button.dataset.action = action;
    button.textContent = label;
    button.setAttribute("aria-label", `${label}: ${subscription.name}`);
    return button;
  }

  function renderSubscriptions() {
    const list = state.subscriptions;
    $("subscription-rows").replaceChildren(
      ...list.map((subscription) => {
        const tr = document.createElement("tr");
        tr.dataset.id = subscription.id;
        tr.append(
          cell(gettext("Name"), span("subscription-name", subscription.name)),
          cell(gettext("Channel"), labels.channel[subscription.channel] || subscription.channel),
          cell(gettext("Target"), span("subscription-target", subscription.target)),
          cell(gettext("From priority"), labels.priority[subscription.min_priority]),
          cell(gettext("Mode"), labels.mode[subscription.mode] || subscription.mode),
          cell(pgettext("subscription", "Active"), subscription.is_active ? gettext("yes") : gettext("no")),
          cell(
            gettext("Actions"),
            subscriptionButton(gettext("Send a test"), "test", subscription),
            subscriptionButton(gettext("Edit"), "edit", subscription),
            subscriptionButton(gettext("Delete"), "delete", subscription),
          ),
        );
        return tr;
      }),
    );
    $("no-subscriptions").hidden = list.length > 0;
  }

  function showFormatField() {
    $("subscription-format-field").hidden = $("subscription-channel").value !== "WEBHOOK";
  }

  function clearSubscriptionErrors() {
    for (const element of $("subscription-form").querySelectorAll(".field-error")) element.textContent = "";
    $("subscription-form-message").textContent = "";
  }

  function resetSubscriptionForm() {
    const form = $("subscription-form");
    form.reset();
    $("subscription-id").value = "";
    $("subscription-form-heading").textContent = gettext("New subscription");
    $("subscription-cancel").hidden = true;
    clearSubscriptionErrors();
    showFormatField();
  }

  function editSubscription(subscription) {
    resetSubscriptionForm();
    $("subscription-id").value = subscription.id;
    $("subscription-name").value = subscription.name;
    $("subscription-channel").value = subscription.channel;
    $("subscription-target").value = subscription.target;
    $("subscription-format").value = subscription.format || "standard";
    $("subscription-min-priority").value = subscription.min_priority;
    $("subscription-mode").value = subscription.mode;
    $("subscription-mine").checked = subscription.assigned_to_me;
    $("subscription-active").checked = subscription.is_active;
    $("subscription-form-heading").textContent = interpolate(
      gettext("Edit “%(name)s”"),
      { name: subscription.name },
      true,
    );
    $("subscription-cancel").hidden = false;
    showFormatField();
    $("subscription-name").focus();
  }

  async function saveSubscription(event) {
    event.preventDefault();
    clearSubscriptionErrors();
    const id = $("subscription-id").value;
    const channel = $("subscription-channel").value;
    const body = {
      name: $("subscription-name").value.trim(),
      channel,
      min_priority: $("subscription-min-priority").value,
      mode: $("subscription-mode").value,
      assigned_to_me: $("subscription-mine").checked,
      is_active: $("subscription-active").checked,
    };
    const target = $("subscription-target").value.trim();
    if (target) body.target = target;
    if (channel === "WEBHOOK") body.format = $("subscription-format").value;
    try {
      const saved = await api(id ? `${urls.subscriptions}/${id}` : urls.subscriptions, {
        method: id ? "PATCH" : "POST",
        body,
      });
      let message = id ? gettext("Subscription saved.") : gettext("Subscription created.");
      if (saved.secret) {
        message += " " + interpolate(gettext("Its signing secret, shown only now: %(secret)s"), { secret: saved.secret }, true);
      }
      resetSubscriptionForm();
      await loadSubscriptions();
      setSettingsStatus(message);
    } catch (error) {
      if (error instanceof ApiError && error.status === 400 && error.body && !error.body.detail) {
        for (const [field, messages] of Object.entries(error.body)) {
          const slot = $(`subscription-${field}-error`);
          if (slot) slot.textContent = [].concat(messages).join(" ");
          else $("subscription-form-message").textContent += [].concat(messages).join(" ");
        }
        return;
      }
      handleSettingsError(error);
    }
  }

  async function subscriptionAction(button) {
    const subscription = state.subscriptions.find((item) => String(item.id) === button.dataset.subscription);
    if (!subscription) return;
    if (button.dataset.action === "edit") {
      editSubscription(subscription);
      return;
    }
    if (button.dataset.action === "delete") {
      await api(`${urls.subscriptions}/${subscription.id}`, { method: "DELETE" });
      await loadSubscriptions();
      setSettingsStatus(interpolate(gettext("Subscription “%(name)s” deleted."), { name: subscription.name }, true));
      $("settings-heading").focus();
      return;
    }
    setSettingsStatus(gettext("Sending a test notice…"));
    const notice = await api(`${urls.subscriptions}/${subscription.id}/test`, { method: "POST" });
    setSettingsStatus(
      notice.status === "SENT"
        ? interpolate(gettext("Test notice sent to %(target)s."), { target: subscription.target }, true)
        : interpolate(
            gettext("The test notice was not delivered (%(status)s): %(error)s"),
            { status: labels.notificationStatus[notice.status] || notice.status, error: notice.last_error || "—" },
            true,
          ),
    );
  }

  function setSettingsStatus(text, kind) {
    const status = $("settings-status");
    status.textContent = text;
    status.dataset.kind = kind || "";
  }

  function handleSettingsError(error) {
    if (error instanceof SessionExpired) {
      handleError(error);
      return;
    }
    setSettingsStatus(fieldMessages(error) || describe(error), "error");
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
      const details = event.target.closest("button[data-detail]");
      if (details) openDetail(Number(details.dataset.id), details).catch(handleError);
    });
    $("dialog-close").addEventListener("click", () => $("alert-dialog").close());
    $("alert-dialog").addEventListener("close", () => {
      state.detail = null;
      if (state.opener && state.opener.isConnected) state.opener.focus();
    });
    $("acknowledge-form").addEventListener("submit", acknowledge);
    $("unacknowledge-button").addEventListener("click", () => act("unacknowledge", gettext("Acknowledgement withdrawn.")));
    $("snooze-for").addEventListener("change", () => {
      $("snooze-custom-field").hidden = $("snooze-for").value !== "custom";
    });
    $("snooze-form").addEventListener("submit", snooze);
    $("unsnooze-button").addEventListener("click", () => act("unsnooze", gettext("The alert is awake.")));
    $("complete-button").addEventListener("click", completeMaintenance);
    window.addEventListener("hashchange", showView);
    $("subscription-form").addEventListener("submit", saveSubscription);
    $("subscription-cancel").addEventListener("click", resetSubscriptionForm);
    $("subscription-channel").addEventListener("change", showFormatField);
    $("subscription-rows").addEventListener("click", (event) => {
      const button = event.target.closest("button[data-subscription]");
      if (button) subscriptionAction(button).catch(handleSettingsError);
    });
    showFormatField();
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
