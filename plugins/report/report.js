// The report's behaviour: the timeline chart (inline SVG), its detail panel, and the article viewer.
// Article text only ever reaches the page through textContent, never as markup.
"use strict";
(function () {
  const DATA = JSON.parse(document.getElementById("report-data").textContent);
  const SVG = "http://www.w3.org/2000/svg";
  const DAY = 86400000;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  }
  function svg(tag, attrs) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    return node;
  }
  const dayOf = (iso) => Math.round(Date.parse(iso + "T00:00:00Z") / DAY);
  const isoOf = (day) => new Date(day * DAY).toISOString().slice(0, 10);
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

  // --- article viewer --------------------------------------------------------------------------
  const viewer = document.getElementById("viewer");

  // The page's data is sanitised when it is written; this is the second guard, not left to the CSP:
  // only an absolute http, https or file URL, as the browser itself parses it, becomes a link.
  const LINK_SCHEMES = ["http:", "https:", "file:"];
  function safeHref(value) {
    if (typeof value !== "string" || !value) return null;
    let url;
    try { url = new URL(value); } catch (e) { return null; }
    return LINK_SCHEMES.includes(url.protocol) ? url.href : null;
  }

  function refLink(ref, label, title) {
    const attrs = {class: "ref", href: `#article-${ref.doc}-${ref.start}-${ref.end}`};
    if (title) attrs.title = title;
    return el("a", attrs, label);
  }

  function openArticle(doc, start, end) {
    const article = DATA.articles[doc];
    if (!article) return;
    document.getElementById("viewer-title").textContent = article.title || "(untitled)";
    const meta = document.getElementById("viewer-meta");
    meta.replaceChildren();
    const facts = [article.outlet, article.published].filter(Boolean).join(" · ");
    if (facts) meta.append(facts, " · ");
    const origin = safeHref(article.url) || safeHref(article.uri);
    if (origin) meta.append(el("a", {href: origin, rel: "noopener noreferrer"}, "original"));
    const body = document.getElementById("viewer-text");
    body.replaceChildren();
    const excerpted = article.parts.length !== 1 || article.parts[0][1].length !== article.length;
    if (excerpted) body.append(el("p", {class: "hint"}, "Excerpts around the linked passages; the full text is in the original."));
    let marked = null;
    for (const [offset, text] of article.parts) {
      const part = el("div", {class: "part"});
      const lo = Math.max(start - offset, 0), hi = Math.min(end - offset, text.length);
      if (end > start && lo < text.length && hi > 0) {
        marked = el("mark", {}, text.slice(lo, hi));
        part.append(text.slice(0, lo), marked, text.slice(hi));
      } else {
        part.append(text);
      }
      body.append(part);
    }
    viewer.hidden = false;
    if (marked) marked.scrollIntoView({block: "center"});
    else body.scrollTop = 0;
  }

  function openFromHash() {
    const m = /^#article-(\d+)-(\d+)-(\d+)$/.exec(location.hash);
    if (m) openArticle(Number(m[1]), Number(m[2]), Number(m[3]));
  }

  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a.ref");
    if (!link) return;
    event.preventDefault();
    history.pushState(null, "", link.getAttribute("href"));
    openFromHash();
  });
  window.addEventListener("popstate", openFromHash);
  window.addEventListener("hashchange", openFromHash);
  document.getElementById("viewer-close").addEventListener("click", () => { viewer.hidden = true; });
  document.addEventListener("keydown", (event) => { if (event.key === "Escape") viewer.hidden = true; });

  // --- timeline --------------------------------------------------------------------------------
  const T = DATA.timeline;
  const chart = document.getElementById("timeline-chart");
  const detail = document.getElementById("timeline-detail");
  const select = document.getElementById("timeline-entity");
  const bins = T.bins.map((b) => Object.assign({}, b, {d0: dayOf(b.date), d1: dayOf(b.end)}));
  const full = bins.length ? [Math.min(...bins.map((b) => b.d0)) - 1, Math.max(...bins.map((b) => b.d1)) + 1] : null;
  const state = {entity: "", domain: full, selected: null};

  function ticks(d0, d1, width) {
    const span = d1 - d0, most = Math.max(1, Math.floor(width / 80));
    const out = [];
    const start = new Date(d0 * DAY);
    if (span > 3 * 365) {
      for (let y = start.getUTCFullYear(); ; y++) {
        const day = Date.UTC(y, 0, 1) / DAY;
        if (day > d1) break;
        if (day >= d0) out.push([day, String(y)]);
      }
    } else if (span > 60) {
      for (let y = start.getUTCFullYear(), m = start.getUTCMonth(); ; m++) {
        const day = Date.UTC(y, m, 1) / DAY;
        if (day > d1) break;
        if (day >= d0) out.push([day, new Date(day * DAY).toLocaleString("en", {month: "short", year: "numeric", timeZone: "UTC"})]);
      }
    } else {
      for (let day = d0; day <= d1; day++) out.push([day, new Date(day * DAY).toLocaleString("en", {month: "short", day: "numeric", timeZone: "UTC"})]);
    }
    if (!out.length) out.push([d0, isoOf(d0)]);
    const step = Math.ceil(out.length / most);
    const kept = out.filter((_, i) => i % step === 0);
    if (span <= 60) kept[0][1] += ", " + new Date(kept[0][0] * DAY).getUTCFullYear();  // days: say the year once
    return kept;
  }

  // A time axis with long empty stretches cut out: news timelines hold a few background dates years
  // before a dense week, and a linear axis would crush that week into a few pixels.
  function makeScale(d0, d1, intervals, x0, x1) {
    const minGap = Math.max(30, (d1 - d0) * 0.05), breakWidth = 22, minWidth = 14;
    const spans = [];
    for (const [a, b] of intervals.map(([a, b]) => [Math.max(a - 1, d0), Math.min(b + 1, d1)]).sort((p, q) => p[0] - q[0])) {
      const last = spans[spans.length - 1];
      if (last && a - last[1] <= minGap) last[1] = Math.max(last[1], b);
      else spans.push([a, b]);
    }
    if (!spans.length) spans.push([d0, d1]);
    const days = spans.reduce((n, [a, b]) => n + (b - a + 1), 0);
    const k = Math.max(0, (x1 - x0 - (spans.length - 1) * breakWidth - spans.length * minWidth) / days);
    let at = x0;
    const segments = spans.map(([a, b]) => {
      const w = minWidth + (b - a + 1) * k, seg = {d0: a, d1: b, x0: at, x1: at + w, k: w / (b - a + 1)};
      at += w + breakWidth;
      return seg;
    });
    function x(day) {
      const seg = segments.find((s) => day <= s.d1 + 1) || segments[segments.length - 1];
      return seg.x0 + (Math.min(Math.max(day, seg.d0), seg.d1 + 1) - seg.d0) * seg.k;
    }
    function dayAt(px) {
      const seg = segments.find((s) => px <= s.x1) || segments[segments.length - 1];
      return seg.d0 + Math.max(0, px - seg.x0) / seg.k;
    }
    return {x, dayAt, segments};
  }

  // Where days are narrower than a bar, a bar stands for a week or a month of day bins.
  function groupPoints(points, scale) {
    const groups = new Map();
    for (const b of points) {
      const seg = scale.segments.find((s) => b.d0 <= s.d1) || scale.segments[scale.segments.length - 1];
      let key = b.d0, unit = "day";
      if (seg.k < 3 && seg.k * 7 >= 3) { key = b.d0 - ((b.d0 + 3) % 7); unit = "week"; }  // Mondays
      else if (seg.k * 7 < 3) { const d = new Date(b.d0 * DAY); key = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / DAY; unit = "month"; }
      if (!groups.has(key)) groups.set(key, {members: [], unit, d0: key});
      groups.get(key).members.push(b);
    }
    return [...groups.values()].map((g) => {
      if (g.members.length === 1 && g.unit === "day") return g.members[0];
      const first = g.members[0], last = g.members[g.members.length - 1];
      const month = new Date(g.d0 * DAY);
      const end = g.unit === "week" ? g.d0 + 6 : Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1, 1) / DAY - 1;
      return {date: first.date, end: last.end, granularity: g.unit, d0: g.d0, d1: end, members: g.members,
              dates: g.members.map((m) => m.date)};
    });
  }

  // [events, statements, disputed ones among them] in a bin, for the entity the filter selects.
  function counts(bin) {
    if (bin.members) return bin.members.map(counts).reduce((a, c) => [a[0] + c[0], a[1] + c[1], a[2] + c[2]], [0, 0, 0]);
    if (state.entity === "") return [bin.events, bin.statements, bin.disputed];
    return bin.by[state.entity] || [0, 0, 0];
  }
  const binLabel = (events, statements, disputed) =>
    `${plural(events, "event")}, ${plural(statements, "statement")}${disputed ? `, ${disputed} disputed` : ""}`;

  function render() {
    chart.replaceChildren();
    if (!full) {
      chart.append(el("p", {class: "empty"}, "No dated events or statements."));
      return;
    }
    const width = Math.max(chart.clientWidth || 960, 320), left = 36, right = 12, barsTop = 14, barsHeight = 150;
    const [d0, d1] = state.domain;
    const visible = bins.filter((b) => b.d1 >= d0 && b.d0 <= d1 && counts(b)[0] + counts(b)[1] > 0);
    const scale = makeScale(d0, d1, visible.map((b) => [b.d0, b.d1]), left, width - right);
    const x = scale.x;
    const points = groupPoints(visible.filter((b) => b.d0 === b.d1), scale);
    const periods = visible.filter((b) => b.d0 !== b.d1);
    const top = Math.max(1, ...points.map((b) => counts(b)[0] + counts(b)[1]));
    // Periods are packed into lanes so that overlapping weeks and months stay apart.
    const laneEnds = [];
    const lanes = periods.sort((a, b) => a.d0 - b.d0 || a.d1 - b.d1).map((b) => {
      let lane = laneEnds.findIndex((end) => end < b.d0);
      if (lane < 0) { lane = laneEnds.length; laneEnds.push(b.d1); } else laneEnds[lane] = b.d1;
      return [b, lane];
    });
    const axisY = barsTop + barsHeight, laneTop = axisY + 26, laneHeight = 12;
    const height = laneTop + laneEnds.length * laneHeight + 8;
    const root = svg("svg", {width, height, viewBox: `0 0 ${width} ${height}`, class: "timeline-svg"});
    const brush = svg("rect", {class: "brush", x: 0, y: 0, width: 0, height, visibility: "hidden"});
    root.append(svg("rect", {class: "background", x: left, y: 0, width: width - left - right, height}));
    scale.segments.forEach((seg, i) => {
      for (const [day, label] of ticks(seg.d0, seg.d1, seg.x1 - seg.x0)) {
        root.append(svg("line", {class: "tick", x1: x(day), x2: x(day), y1: barsTop, y2: axisY + 4}));
        const text = svg("text", {class: "tick-label", x: x(day), y: axisY + 16});
        text.textContent = label;
        root.append(text);
      }
      root.append(svg("line", {class: "axis", x1: seg.x0, x2: seg.x1, y1: axisY, y2: axisY}));
      if (i > 0) {
        const cut = svg("text", {class: "axis-break", x: (scale.segments[i - 1].x1 + seg.x0) / 2, y: axisY + 4});
        cut.textContent = "⋯";
        const gap = svg("title");
        gap.textContent = `nothing dated from ${isoOf(scale.segments[i - 1].d1 + 1)} to ${isoOf(seg.d0 - 1)}`;
        cut.append(gap);
        root.append(cut);
      }
    });
    const scaleText = svg("text", {class: "tick-label", x: left - 4, y: barsTop + 8, "text-anchor": "end"});
    scaleText.textContent = String(top);
    root.append(scaleText);

    function binGroup(b, kind) {
      const [events, statements, disputed] = counts(b);
      const label = `${b.date}${b.end !== b.date ? " to " + b.end : ""}: ${binLabel(events, statements, disputed)}`;
      const g = svg("g", {class: `bin ${kind}${disputed ? " disputed" : ""}${state.selected && state.selected.date === b.date && state.selected.end === b.end ? " selected" : ""}`,
                          "data-date": b.date, "data-end": b.end, "data-count": events + statements,
                          "data-disputed": disputed, tabindex: 0, role: "button", "aria-label": label});
      if (b.dates) g.setAttribute("data-dates", b.dates.join(" "));
      const title = svg("title");
      title.textContent = label;
      g.append(title);
      g.addEventListener("click", () => select_(b));
      g.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); select_(b); } });
      return g;
    }
    for (const b of points) {
      const [events, statements, disputed] = counts(b);
      const g = binGroup(b, "point");
      const span = x(b.d1 + 1) - x(b.d0), barWidth = Math.max(3, span * 0.8);
      const cx = x(b.d0) + span / 2 - barWidth / 2;
      const hEvents = events ? Math.max(3, (events / top) * barsHeight) : 0;
      const hStatements = statements ? Math.max(3, (statements / top) * barsHeight) : 0;
      if (events) g.append(svg("rect", {class: "event", x: cx, width: barWidth, y: axisY - hEvents, height: hEvents}));
      if (statements) g.append(svg("rect", {class: "statement", x: cx, width: barWidth, y: axisY - hEvents - hStatements, height: hStatements}));
      // A disputed event or statement in the bar: a mark above it.
      if (disputed) g.append(svg("circle", {class: "disputed-mark", cx: cx + barWidth / 2, cy: axisY - hEvents - hStatements - 6, r: 3.5}));
      root.append(g);
    }
    for (const [b, lane] of lanes) {
      const g = binGroup(b, "period");
      const [events, statements, disputed] = counts(b);
      const x0 = Math.max(x(b.d0), left), x1 = Math.min(x(b.d1 + 1), width - right);
      g.append(svg("rect", {class: (statements && !events ? "statement" : "event") + (disputed ? " disputed" : ""), x: x0, width: Math.max(3, x1 - x0),
                            y: laneTop + lane * laneHeight, height: laneHeight - 3, rx: 2}));
      root.append(g);
    }
    root.append(brush);

    // Drag across the chart to zoom into the days under the drag.
    let dragFrom = null;
    const pointerX = (event) => event.clientX - root.getBoundingClientRect().left;
    root.addEventListener("pointerdown", (event) => {
      if (event.target.closest("g.bin")) return;
      dragFrom = pointerX(event);
    });
    root.addEventListener("pointermove", (event) => {
      if (dragFrom === null) return;
      const at = pointerX(event);
      brush.setAttribute("x", Math.min(at, dragFrom));
      brush.setAttribute("width", Math.abs(at - dragFrom));
      brush.setAttribute("visibility", "visible");
    });
    root.addEventListener("pointerup", (event) => {
      if (dragFrom === null) return;
      const from = dragFrom, to = pointerX(event);
      dragFrom = null;
      if (Math.abs(to - from) < 6) { brush.setAttribute("visibility", "hidden"); return; }
      const a = Math.floor(scale.dayAt(Math.min(from, to))), b = Math.ceil(scale.dayAt(Math.max(from, to)));
      state.domain = [Math.max(a, full[0]), Math.min(Math.max(b, a + 1), full[1])];
      render();
    });
    chart.append(root);
  }

  function select_(bin) {
    state.selected = bin;
    render();
    showBin(bin);
  }

  const names = (list, most) => list.slice(0, most).join(", ") + (list.length > most ? ` and ${list.length - most} more` : "");
  const DATED = {text: "dated by the text", reported: "no date in the text: first reported that day", said: "first said that day"};

  // One event or statement: its sentence (the trigger or the claim marked), what it is, where, who, how many
  // independent sources report it, whether it is disputed (linked to the dispute), and its article.
  function itemNode(item) {
    const head = el("p", {class: "what"}, el("span", {class: "kind"}, item.kind));
    if (item.what) head.append(" ", el("b", {}, item.what));
    if (item.places.length) head.append(` in ${names(item.places, 4)}`);
    if (item.disputed) {
      head.append(" ", item.dispute ? el("a", {class: "disputed", href: `#dispute-${item.dispute}`}, "disputed")
                                    : el("span", {class: "disputed"}, "disputed"));
    }
    const sentence = el("blockquote", {});
    if (item.sentence) sentence.append(item.sentence.before, el("mark", {}, item.sentence.span), item.sentence.after);
    else sentence.append(item.text || "");
    const facts = [];
    if (item.who.length) facts.push(`${item.kind === "statement" ? "said by" : "involving"} ${names(item.who, 8)}`);
    if (item.denied_by.length) facts.push(`denied by ${names(item.denied_by, 8)}`);
    facts.push(`${plural(item.sources, "independent source")}, ${plural(item.articles, "article")}`);
    if (DATED[item.dated]) facts.push(DATED[item.dated]);
    const who = el("p", {class: "who"}, facts.join(" · "), " · ", item.outlet || "",
                   item.published ? ` · published ${item.published}` : "", " · ", refLink(item.ref, item.article));
    // Every independent source that reports it (copies of one report after it), each opening its own article.
    const sourceLink = (ref) => {
      const article = DATA.articles[ref.doc] || {};
      return refLink(ref, article.outlet || article.title || "article", article.title || "");
    };
    const sources = el("p", {class: "reports"}, item.kind === "statement" ? "stated in " : "reported by ");
    item.reports.forEach((report, i) => {
      if (i) sources.append(", ");
      sources.append(sourceLink(report.ref));
      if (report.copies.length) {
        const n = report.copies.length;
        sources.append(` (and ${n === 1 ? "1 copy" : `${n} copies`}: `);
        report.copies.forEach((ref, j) => { if (j) sources.append(", "); sources.append(sourceLink(ref)); });
        sources.append(")");
      }
    });
    if (item.more_sources) sources.append(` and ${item.more_sources} more`);
    return el("li", {class: `item ${item.kind}${item.disputed ? " disputed" : ""}`}, head, sentence, who, sources);
  }

  function showBin(bin) {
    detail.replaceChildren();
    if (!bin) { detail.append(el("p", {class: "empty"}, "Click a bar to see its events and statements.")); return; }
    const [events, statements, disputed] = counts(bin);
    const when = bin.end !== bin.date ? `${bin.date} to ${bin.end} (${bin.granularity})` : bin.date;
    detail.append(el("h3", {}, `${when}: ${binLabel(events, statements, disputed)}`));
    const k = state.entity === "" ? null : Number(state.entity);
    const items = (bin.members ? bin.members.flatMap((m) => m.items) : bin.items)
      .filter((item) => k === null || item.entities.includes(k));
    const list = el("ul", {class: "items"});
    for (const item of items) list.append(itemNode(item));
    detail.append(list);
    const shown = items.length, total = events + statements;
    if (shown < total) {
      detail.append(el("p", {class: "more"}, `${total - shown} more in this bin: `,
                       el("code", {}, `etl query "SELECT * FROM timeline WHERE date BETWEEN DATE '${bin.date}' AND DATE '${bin.members ? bin.end : bin.date}'"`)));
    }
  }

  select.addEventListener("change", () => {
    state.entity = select.value;
    if (state.selected && counts(state.selected)[0] + counts(state.selected)[1] === 0) state.selected = null;
    render();
    showBin(state.selected);
  });
  document.getElementById("timeline-reset").addEventListener("click", () => { state.domain = full; render(); });
  document.getElementById("timeline-recent").addEventListener("click", () => {
    if (full) { state.domain = [Math.max(full[0], full[1] - 31), full[1]]; render(); }
  });
  let resizeTimer = null;
  window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(render, 150); });

  render();
  openFromHash();
})();
