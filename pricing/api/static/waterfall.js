// The waterfall chart: how the item prices become the landed total, one step per charge
// added on top of the prices, drawn as inline SVG from the quote's exact amounts.

import { compare, isolate, isZero, ratio, subtract, sum } from "./amounts.js";

const SVG = "http://www.w3.org/2000/svg";
const HEIGHT = 300;
const PAD = { top: 28, right: 12, bottom: 64, left: 12 };

/**
 * The steps of a quote: the items, each charge that adds to the total (taxes included in the
 * prices are already inside the items and shipping, so they are not steps), and the total.
 * `check` is the exact difference between the total and the sum of the steps ("0.00" when
 * they agree, as they must).
 */
export function steps(quote) {
  const totals = quote.totals;
  const out = [{ kind: "start", label: "Items", amount: totals.items.amount,
                 shown: totals.items.formatted }];
  for (const c of quote.charges) {
    if (c.included || isZero(c.amount.amount)) continue;
    out.push({ kind: compare(c.amount.amount, "0") < 0 ? "down" : "up",
               label: c.kind === "shipping" ? `Shipping (${c.name})` : c.name,
               amount: c.amount.amount, shown: c.amount.formatted, rule: c.rule,
               delivery: c.payable === "delivery" });
  }
  const added = sum(out.map((s) => s.amount));
  out.push({ kind: "total", label: "Total", amount: totals.total.amount,
             shown: totals.total.formatted });
  return { steps: out, check: subtract(totals.total.amount, added) };
}

function el(name, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== null) node.textContent = text;
  return node;
}

function shorten(text, max) {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Draw the chart of `quote` into `container` (replacing what was there); returns the steps. */
export function drawWaterfall(container, quote) {
  const { steps: list, check } = steps(quote);
  container.replaceChildren();
  // Drawn at the container's own width, so 12px text stays 12px on a phone and a wide screen.
  const WIDTH = Math.max(320, Math.round(container.clientWidth || 720));
  // Running totals, exact; the scale spans 0 to the highest running total (or below 0).
  let running = "0";
  const bars = list.map((s) => {
    if (s.kind === "start" || s.kind === "total") {
      running = s.kind === "start" ? s.amount : running;
      return { ...s, from: "0", to: s.amount };
    }
    const from = running;
    running = sum([running, s.amount]);
    return { ...s, from, to: running };
  });
  const ends = bars.flatMap((b) => [b.from, b.to]);
  const top = ends.reduce((a, b) => (compare(a, b) >= 0 ? a : b), "0");
  const bottom = ends.reduce((a, b) => (compare(a, b) <= 0 ? a : b), "0");
  const span = subtract(top, bottom);
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const y = (v) => PAD.top + plotH * (1 - ratio(subtract(v, bottom), isZero(span) ? "1" : span));
  const slot = (WIDTH - PAD.left - PAD.right) / bars.length;
  const barW = Math.min(72, slot * 0.62);
  const chars = Math.max(6, Math.floor(slot / 7));  // label characters that fit a slot

  const titleId = `${container.id}-title`;
  const descId = `${container.id}-desc`;
  const svg = el("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img",
                          "aria-labelledby": `${titleId} ${descId}` });
  svg.append(el("title", { id: titleId }, "Waterfall: item prices to landed total"));
  const spoken = bars.map((b) => (b.kind === "start" || b.kind === "total" ? ""
    : (b.kind === "down" ? "minus " : "plus ")) + `${b.label} ${b.shown}`);
  svg.append(el("desc", { id: descId }, `${spoken.slice(0, -1).join(", ")}, equals `
    + `${spoken[spoken.length - 1]}.`));
  const defs = el("defs");
  const hatch = el("pattern", { id: "delivery-hatch", width: 8, height: 8,
                                patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" });
  hatch.append(el("line", { x1: 0, y1: 0, x2: 0, y2: 8, class: "hatch-line" }));
  defs.append(hatch);
  svg.append(defs);
  svg.append(el("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: y("0"), y2: y("0"),
                          class: "axis" }));

  bars.forEach((b, i) => {
    const x = PAD.left + slot * i + (slot - barW) / 2;
    const y1 = y(compare(b.from, b.to) >= 0 ? b.from : b.to);
    const y2 = y(compare(b.from, b.to) >= 0 ? b.to : b.from);
    const cls = b.delivery ? "bar-delivery" : `bar-${b.kind}`;
    const rect = el("rect", { x, y: y1, width: barW, height: Math.max(y2 - y1, 1), class: cls,
                              "data-amount": b.amount, "data-step": b.label });
    rect.append(el("title", {}, `${b.label}: ${b.shown}${b.rule ? ` (${b.rule})` : ""}`
      + (b.delivery ? ", due on delivery" : "")));
    svg.append(rect);
    svg.append(el("text", { x: x + barW / 2, y: y1 - 6, "text-anchor": "middle" },
                  (b.kind === "up" ? "+" : "") + isolate(b.shown)));
    const label = el("text", { x: x + barW / 2, y: HEIGHT - PAD.bottom + 18,
                               "text-anchor": "middle" }, shorten(b.label, chars));
    svg.append(label);
    if (b.delivery) {
      svg.append(el("text", { x: x + barW / 2, y: HEIGHT - PAD.bottom + 34,
                              "text-anchor": "middle" }, "on delivery"));
    }
    if (i < bars.length - 1) {
      const next = PAD.left + slot * (i + 1) + (slot - barW) / 2;
      svg.append(el("line", { x1: x + barW, x2: next, y1: y(b.to), y2: y(b.to),
                              class: "connector" }));
    }
  });
  container.append(svg);
  return { steps: bars, check };
}
