// The dashboard's filters: every card and chart of the filterable pages is
// recomputed here from the cubes embedded in the page (serve.dashboard_cubes)
// with the formulas of serve.dashboard_areas: sums, and ratios as sum of
// numerators / sum of denominators. No network, no server.
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("dash-data").textContent);
  const AREAS = JSON.parse(document.getElementById("dash-areas").textContent);
  const FILTERS = D.filters;
  const CUR = D.currency;
  const state = { from: 0, to: D.months.length - 1 };
  FILTERS.forEach((d) => (state[d] = ""));
  const $ = (sel, root) => (root || document).querySelector(sel);

  function label(dim, value) {
    return (D.labels[dim] && D.labels[dim][value]) || value;
  }
  function monthLabel(i) {
    const [y, m] = D.months[i].split("-").map(Number);
    return new Date(Date.UTC(y, m - 1, 1)).toLocaleString("en-US", { month: "short", year: "numeric", timeZone: "UTC" });
  }

  // ---------------------------------------------------------------- sums
  // {state, sums | groups, note}: the cube's measures summed over the rows in
  // the months [from, to] (snapshot: the as-of rows) that pass the filters.
  function aggregate(cubeKey, from, to, snapshot, groupBy) {
    const c = D.cubes[cubeKey];
    if (!c) return { state: "missing", note: "no such cube: " + cubeKey };
    if (c.absent) return { state: "absent", note: c.absent };
    if (c.missing) return { state: "missing", note: c.missing };
    const off = 1 + c.dims.length;
    const want = [];
    for (const d of FILTERS) {
      if (!state[d]) continue;
      const pos = c.dims.indexOf(d);
      if (pos < 0) {
        const why = (c.dropped || []).includes(d) ? ": too many combinations to carry in the page" : "";
        return { state: "na", note: "not split by " + D.filter_labels[d].toLowerCase() + why };
      }
      want.push([pos + 1, D.members[d].indexOf(state[d])]);
    }
    if (c.long) {
      // a long KPI table: the rows of the one dimension filtered, or the `all` rows
      // (-1: no member of that dimension); two of its dimensions at once it has not
      const set = FILTERS.filter((d) => state[d]);
      if (set.length > 1) {
        return { state: "na", note: "not split by " + set.map((d) => D.filter_labels[d].toLowerCase()).join(" and ") + " together" };
      }
      c.dims.forEach((d, i) => { if (FILTERS.includes(d) && !state[d]) want.push([i + 1, -1]); });
    }
    const gpos = groupBy && groupBy !== "month" ? c.dims.indexOf(groupBy) + 1 : -1;  // dims include the groups
    if (groupBy && groupBy !== "month" && gpos < 1) return { state: "na", note: "not split by " + groupBy };
    const groups = new Map();
    for (const r of c.rows) {
      if (snapshot ? r[0] !== -1 : r[0] < from || r[0] > to) continue;
      if (!want.every(([p, v]) => r[p] === v)) continue;
      const g = groupBy === "month" ? r[0] : gpos > 0 ? r[gpos] : 0;
      let s = groups.get(g);
      if (!s) groups.set(g, (s = {}));
      c.measures.forEach((m, i) => (s[m] = (s[m] || 0) + (r[off + i] || 0)));
    }
    return { state: "value", groups, measures: c.measures };
  }

  function S(sums, expr) {
    return expr.split("+").reduce((t, m) => t + ((sums && sums[m]) || 0), 0);
  }
  // A figure's value from summed measures (null: unknown or undefined).
  function value(fig, sums) {
    if (fig.kind === "ratio") {
      const den = S(sums, fig.den);
      return den ? (S(sums, fig.num) / den) * (fig.scale || 1) : null;
    }
    if (fig.kind === "diff") return S(sums, fig.num) - S(sums, fig.den);
    if (fig.known && fig.count && S(sums, fig.count) > 0 && S(sums, fig.known) === 0) return null;
    return S(sums, fig.num) * (fig.scale || 1);
  }
  function figure(fig, from, to, snapshot) {
    const a = aggregate(fig.cube, fig.at_end ? to : from, fig.at_start ? from : to, snapshot, null);
    if (a.state !== "value") return a;
    return { state: "value", value: value(fig, a.groups.get(0) || {}) };
  }

  // ---------------------------------------------------------------- format
  function fmt(v, f) {
    if (v === null || v === undefined || Number.isNaN(v)) return "n/a";
    if (f === "rate") return (v * 100).toFixed(1) + "%";
    if (f === "days") return v.toLocaleString("en-US", { maximumFractionDigits: 1 }) + " days";
    if (f === "count") return Math.round(v).toLocaleString("en-US");
    if (f === "money") {
      for (const [size, suf] of [[1e9, "B"], [1e6, "M"], [1e3, "k"]]) {
        if (Math.abs(v) >= size) return (v / size).toFixed(2) + suf + " " + CUR;
      }
      return Math.round(v).toLocaleString("en-US") + " " + CUR;
    }
    return v.toLocaleString("en-US", { maximumFractionDigits: 2 });
  }
  function change(now, before, f) {
    if (now === null || before === null) return "n/a";
    if (f === "rate") {
      const pts = (now - before) * 100;
      return (pts >= 0 ? "+" : "") + pts.toFixed(1) + " pts";
    }
    if (!before) return "n/a";
    const pct = ((now - before) / Math.abs(before)) * 100;
    return (pct >= 0 ? "+" : "") + pct.toFixed(1) + "%";
  }

  // ---------------------------------------------------------------- targets
  // The target of the filtered slice: rep, team or lead-source targets when
  // that filter alone is set, the sum of the team targets with none set.
  function target(metric, from, to) {
    const c = D.cubes.targets;
    if (!c || !c.rows) return { note: "no targets in the marts" };
    const others = ["region", "partner"].filter((d) => state[d]);
    let level = null, subject = null;
    const dims = ["rep", "team", "lead_source"].filter((d) => state[d]);
    if (others.length) return { note: "no target for a " + others.join(" / ") + " filter" };
    if (state.rep) [level, subject] = ["rep", state.rep];
    else if (dims.length === 1) [level, subject] = [dims[0], state[dims[0]]];
    else if (dims.length === 0) level = "team";
    else return { note: "no target for this combination" };
    const lp = c.dims.indexOf("level") + 1, sp = c.dims.indexOf("subject") + 1, mp = c.dims.indexOf("metric") + 1;
    const mv = D.members.metric.indexOf(metric);
    const sv = subject === null ? null : D.members.subject.indexOf(subject);
    // with no filter: the team targets, else (a metric set per rep only) the rep targets
    for (const lvl of subject === null ? ["team", "rep"] : [level]) {
      const lv = D.members.level.indexOf(lvl);
      let t = 0, n = 0;
      for (const r of c.rows) {
        if (r[0] < from || r[0] > to || r[lp] !== lv || r[mp] !== mv) continue;
        if (sv !== null && r[sp] !== sv) continue;
        t += r[1 + c.dims.length]; n += 1;
      }
      if (n) return { value: t, note: subject === null ? "sum of the " + lvl + " targets" : lvl.replace("_", " ") + " target" };
    }
    return { note: "no " + level.replace("_", " ") + " target set for the range" };
  }

  // ---------------------------------------------------------------- cards
  function renderCard(el, card) {
    const { from, to } = state;
    const now = figure(card.figure, from, to, card.snapshot);
    el.dataset.state = now.state;
    const v = now.state === "value" ? now.value : null;
    el.dataset.value = v === null ? "" : String(v);
    el.classList.toggle("empty", v === null);
    const lines = [];
    if (now.state === "absent") {
      $(".value", el).textContent = "not in this export";
      lines.push(now.note);
    } else if (now.state !== "value") {
      $(".value", el).textContent = now.state === "na" ? "n/a" : "no data";
      lines.push(now.note);
    } else {
      $(".value", el).textContent = fmt(v, card.fmt);
      if (card.snapshot) {
        lines.push("at " + D.as_of + " (the date range does not apply)");
      } else {
        if (card.figure.at_end) lines.push("at the end of " + monthLabel(to));
        const n = to - from + 1;
        const prior = from - n >= 0 ? figure(card.figure, from - n, to - n, false).value : null;
        const ly = from - 12 >= 0 ? figure(card.figure, from - 12, to - 12, false).value : null;
        if (n % 12) lines.push(
          from - n >= 0 ? "vs prior " + (n === 1 ? "month" : n + " months") + " " + fmt(prior, card.fmt) + " (" + change(v, prior, card.fmt) + ")"
            : "no prior period in the data");
        lines.push(from - 12 >= 0 ? "vs a year earlier " + fmt(ly, card.fmt) + " (" + change(v, ly, card.fmt) + ")"
          : "no year-earlier period in the data");
        if (card.target) {
          const t = target(card.target, from, to);
          el.dataset.target = t.value === undefined ? "" : String(t.value);
          lines.push(t.value === undefined ? "target: " + t.note
            : "target " + fmt(t.value, card.fmt) + " (" + t.note + "): " + (t.value ? ((v / t.value) * 100).toFixed(0) + "% reached" : "n/a"));
        }
      }
    }
    $(".compare", el).innerHTML = "";
    for (const line of lines) {
      const div = document.createElement("div");
      div.textContent = line;
      $(".compare", el).appendChild(div);
    }
  }

  // ---------------------------------------------------------------- charts
  function renderChart(el, chart) {
    const { from, to } = state;
    const holder = $(".plot", el);
    const traces = [];
    let note = null, xs = null;
    for (const s of chart.series) {
      const a = aggregate(s.figure.cube, from, to, chart.snapshot, chart.x);
      if (a.state !== "value") { note = note || a; continue; }
      let keys = [...a.groups.keys()];
      if (chart.x === "month") {
        keys = []; for (let i = from; i <= to; i++) keys.push(i);
      } else if (xs) {
        keys = xs;
      } else {
        keys.sort((p, q) => (value(s.figure, a.groups.get(q)) || 0) - (value(s.figure, a.groups.get(p)) || 0));
        keys = keys.slice(0, chart.top);
        xs = keys;
      }
      const x = keys.map((k) => chart.x === "month" ? D.months[k] + "-01" : label(chart.x, D.members[chart.x][k]));
      const y = keys.map((k) => value(s.figure, a.groups.get(k) || {}));
      const line = chart.kind === "line" || s.axis === "y2";
      traces.push({ type: line ? "scatter" : "bar", mode: "lines+markers", name: s.label, x, y,
        yaxis: s.axis === "y2" ? "y2" : "y" });
    }
    const empty = !traces.length || traces.every((t) => t.y.every((v) => !v));
    el.dataset.state = !traces.length ? note.state : empty ? "empty" : "data";
    el.dataset.points = traces.length ? String(traces[0].y.length) : "0";
    el.dataset.y = traces.length ? JSON.stringify(traces[0].y) : "[]";
    const msg = $(".no-data", el);
    if (!traces.length || empty) {
      holder.style.display = "none";
      msg.style.display = "";
      $("strong", msg).textContent = !traces.length && note.state === "absent" ? "not in this export" : !traces.length && note.state === "na" ? "n/a" : "no data";
      $("span", msg).textContent = !traces.length ? note.note : "nothing in the range for these filters";
      return;
    }
    msg.style.display = "none";
    holder.style.display = "";
    const tick = { rate: ".0%", money: ".3~s", count: ",d" };
    const layout = {
      height: 380, margin: { l: 60, r: 60, t: 20, b: chart.x === "month" ? 40 : 110 },
      template: "plotly_white", legend: { orientation: "h", y: 1.12 }, barmode: chart.barmode || "group",
      font: { family: "system-ui, sans-serif", size: 12 },
      yaxis: { tickformat: tick[chart.fmt] || "", rangemode: "tozero", title: chart.fmt === "money" ? CUR : "" },
      xaxis: { type: chart.x === "month" ? "date" : "category", automargin: true },
    };
    if (chart.series.some((s) => s.axis === "y2")) {
      layout.yaxis2 = { overlaying: "y", side: "right", showgrid: false, rangemode: "tozero", tickformat: tick[chart.y2_fmt] || "" };
    }
    if (el.offsetParent !== null) {
      Plotly.react(holder, traces, layout, { displaylogo: false, responsive: true });
    }
  }

  // ---------------------------------------------------------------- page
  function render() {
    const sub = $("#filter-summary");
    const parts = [D.months.length ? monthLabel(state.from) + " – " + monthLabel(state.to) : "no month in the marts"];
    FILTERS.forEach((d) => state[d] && parts.push(D.filter_labels[d] + ": " + label(d, state[d])));
    sub.textContent = parts.join(" · ");
    for (const area of AREAS) {
      const page = document.getElementById("page-" + area.key);
      area.cards.forEach((c) => renderCard($('[data-card="' + c.key + '"]', page), c));
      area.charts.forEach((c) => renderChart($('[data-fchart="' + c.key + '"]', page), c));
    }
    document.body.dataset.rendered = String(Number(document.body.dataset.rendered || 0) + 1);
    // the view in the address (#from=2025-01&to=2025-12&region=EMEA&tab=sales): a
    // bookmark or a link sent to a colleague opens the same figures
    const q = new URLSearchParams();
    if (D.months.length) { q.set("from", D.months[state.from]); q.set("to", D.months[state.to]); }
    FILTERS.forEach((d) => state[d] && q.set(d, state[d]));
    const tab = $("nav.tabs button.active");
    if (tab) q.set("tab", tab.dataset.tab);
    try { history.replaceState(null, "", "#" + q.toString()); } catch (e) { /* some viewers forbid it */ }
  }

  // the filters named in the address, when they name a month or member the data has
  function fromAddress() {
    const q = new URLSearchParams(location.hash.slice(1));
    const from = D.months.indexOf(q.get("from") || ""), to = D.months.indexOf(q.get("to") || "");
    if (from >= 0) state.from = from;
    if (to >= 0) state.to = to;
    if (state.from > state.to) [state.from, state.to] = [state.to, state.from];
    FILTERS.forEach((d) => {
      const v = q.get(d);
      if (v && (D.members[d] || []).includes(v)) state[d] = v;
    });
    return q.get("tab");
  }

  function fill(select, options, selected) {
    select.innerHTML = "";
    for (const [v, text] of options) {
      const o = document.createElement("option");
      o.value = v; o.textContent = text; o.selected = v === selected;
      select.appendChild(o);
    }
  }
  function setup() {
    const months = D.months.map((m, i) => [String(i), monthLabel(i)]);
    const last = D.last_full_month ? D.months.indexOf(D.last_full_month) : D.months.length - 1;
    state.to = last >= 0 ? last : D.months.length - 1;
    state.from = Math.max(0, state.to - 11);
    const tab = fromAddress();
    fill($("#f-from"), months, String(state.from));
    fill($("#f-to"), months, String(state.to));
    for (const d of FILTERS) {
      const values = (D.members[d] || []).slice().sort((p, q) => label(d, p).localeCompare(label(d, q)));
      fill($("#f-" + d), [["", "all"], ...values.map((v) => [v, label(d, v)])], state[d]);
    }
    document.querySelectorAll("#filters select").forEach((s) =>
      s.addEventListener("change", () => {
        const key = s.id.slice(2);
        state[key] = key === "from" || key === "to" ? Number(s.value) : s.value;
        if (state.from > state.to) [state.from, state.to] = [state.to, state.from];
        render();
      }));
    $("#f-reset").addEventListener("click", () => {
      FILTERS.forEach((d) => { state[d] = ""; $("#f-" + d).value = ""; });
      state.to = last >= 0 ? last : D.months.length - 1;
      state.from = Math.max(0, state.to - 11);
      $("#f-from").value = String(state.from); $("#f-to").value = String(state.to);
      render();
    });
    document.querySelectorAll("nav.tabs button").forEach((b) =>
      b.addEventListener("click", () => {
        document.querySelectorAll("nav.tabs button").forEach((x) => x.classList.toggle("active", x === b));
        document.querySelectorAll(".page").forEach((p) => (p.hidden = p.id !== "page-" + b.dataset.tab));
        $("#filters").classList.toggle("disabled", b.dataset.tab === "published");
        render();
      }));
    const start = tab && $('nav.tabs button[data-tab="' + tab.replace(/[^a-z_]/g, "") + '"]');
    if (start) start.click();
    else render();
  }
  setup();
})();
