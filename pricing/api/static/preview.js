// The preview page: pick a market, a language and a cart, quote it through POST /v1/quotes,
// and show the quote as the shopper sees it beside every amount explained for the merchant.
// Everything shown comes from the service's JSON; text goes in with textContent, never as HTML.

import { ApiError, DEFAULT_TIMEOUT_MS, request } from "./api.js";
import { isolate, isZero, percent } from "./amounts.js";
import { drawWaterfall } from "./waterfall.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(window.location.search);
const TIMEOUT_MS = Math.max(1, Number.parseInt(params.get("timeout_ms") || "", 10)
  || DEFAULT_TIMEOUT_MS);

const state = {
  markets: new Map(),   // id -> market summary
  samples: [],          // sample carts of the chosen market
  products: new Map(),  // sku -> catalog product
  labels: new Map(),    // locale -> {labels, direction}
  quoting: null,        // AbortController of the quote in flight
  itemSeq: 0,
};

// Shopper-facing words for problem codes (from the service's own label catalog).
const SHOPPER_ERRORS = {
  "restricted-item": "This item cannot be shipped to your country.",
  "unknown-market": "We do not deliver to this address yet.",
  "shipping-impossible": "This order is too heavy to ship. Please split it into smaller orders.",
  "unknown-product": "This product is no longer available.",
};
const REGION_ERROR = "Please choose your state, province or region.";
const GENERIC_ERROR = "Prices could not be calculated. Please try again in a moment.";

// -- small DOM helpers ----------------------------------------------------------------------

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function option(value, text, selected = false) {
  const o = h("option", { value }, text);
  o.selected = selected;
  return o;
}

function setStatus(text, { busy = false } = {}) {
  const status = $("status");
  status.textContent = text;
  status.classList.toggle("busy", busy);
}

// -- errors in words ---------------------------------------------------------------------------

function showError(err, { context = "" } = {}) {
  const box = $("error");
  box.replaceChildren();
  const problem = err instanceof ApiError ? err.problem : null;
  if (problem) {
    box.append(h("h3", {}, problem.title || "The service refused the request"));
    if (problem.detail) box.append(h("p", { class: "detail" }, problem.detail));
    const facts = [];
    if (problem.field) facts.push(["Field", problem.field]);
    if (problem.value !== undefined && problem.value !== null) facts.push(["Found", problem.value]);
    if (problem.expected) facts.push(["Allowed", problem.expected]);
    if (problem.suggestion) facts.push(["Did you mean", problem.suggestion]);
    facts.push(["HTTP status", `${problem.status} (${problem.code || "error"})`]);
    if (problem.request_id) facts.push(["Request id", problem.request_id]);
    box.append(h("p", {}, facts.map(([k, v], i) => [i ? " · " : "", h("strong", {}, `${k}: `),
                                                      String(v)])));
    const more = Array.isArray(problem.errors) ? problem.errors.slice(1) : [];
    if (more.length) {
      box.append(h("ul", {}, more.map((e) => h("li", {},
        `${e.field || e.file || ""}${e.key ? `#${e.key}` : ""}: ${e.message || ""}`))));
    }
    markField(problem.field);
  } else {
    const title = err instanceof ApiError && err.kind === "timeout" ? "No answer in time"
      : err instanceof ApiError && err.kind === "network" ? "The service cannot be reached"
        : "Something went wrong";
    box.append(h("h3", {}, title));
    box.append(h("p", { class: "detail" }, err && err.message ? err.message : String(err)));
  }
  if (context) box.append(h("p", {}, context));
  box.hidden = false;
}

function clearError() {
  $("error").hidden = true;
  $("error").replaceChildren();
  for (const node of document.querySelectorAll("[aria-invalid]")) {
    node.removeAttribute("aria-invalid");
  }
}

/** Point at the control a problem's `field` names (items[2].price.amount -> item 3's price). */
function markField(field) {
  if (!field) return;
  let control = null;
  const item = /^items\[(\d+)\](?:\.(\w+))?(?:\.(\w+))?/.exec(field);
  if (item) {
    const row = $("items").children[Number(item[1])];
    const key = { price: item[3] === "currency" ? "currency" : "amount", weight: "weight" }[item[2]]
      || item[2] || "sku";
    control = row ? row.querySelector(`[data-name="${key}"]`) : null;
  } else {
    const ids = { "destination.region": "region", "destination.country": "country",
                  locale: "locale", market: "market", date: "date", ship_from: "ship-from",
                  shipping_method: "shipping" };
    control = $(ids[field] || "");
  }
  if (control) control.setAttribute("aria-invalid", "true");
}

// -- rules status ------------------------------------------------------------------------------

async function loadStatus() {
  try {
    const s = await request("v1/rules/status", { timeoutMs: TIMEOUT_MS });
    $("rules-version").textContent = s.rules_version;
    $("rules-loaded").textContent = s.rules_loaded_at;
    $("rates-info").textContent = `${s.rates.source}, ${s.rates.as_of}`;
    const list = $("rules-problems");
    list.replaceChildren(...s.problems.map((p) => h("li", {},
      h("code", {}, `${p.file}${p.line ? `:${p.line}` : ""}${p.key ? ` ${p.key}` : ""}`),
      ` (${p.source}): ${p.message || "invalid"}`,
      p.expected ? `; allowed: ${p.expected}` : "",
      p.suggestion ? `; did you mean ${p.suggestion}?` : "")));
    list.hidden = s.problems.length === 0;
    const text = $("rules-status-text");
    text.replaceChildren();
    if (s.problems.length === 0) {
      text.append(h("span", { class: "ok-text" }, "No problems."),
                  ` ${s.markets} markets loaded; rules version ${s.rules_version}.`);
    } else {
      const failed = s.last_reload && s.last_reload.outcome === "failed";
      text.append(h("span", { class: "bad-text" }, `${s.problems.length} problem`
        + `${s.problems.length === 1 ? "" : "s"} to fix.`),
                  failed ? ` The last reload failed; the last good rules (version `
                    + `${s.rules_version}) are still serving.` : "");
    }
    const unconfirmed = $("rules-unconfirmed");
    unconfirmed.replaceChildren(...s.unconfirmed.map((u) => h("li", {},
      h("code", {}, `${u.file} ${u.key}`), `: ${u.why}`)));
    $("rules-unconfirmed-box").hidden = s.unconfirmed.length === 0;
  } catch (err) {
    $("rules-status-text").textContent = `The rule files' status could not be read: ${err.message}`;
  }
}

// -- market, locale, region, shipping ----------------------------------------------------------

async function loadMarkets() {
  const data = await request("v1/markets", { timeoutMs: TIMEOUT_MS });
  const select = $("market");
  state.markets = new Map(data.markets.map((m) => [m.id, m]));
  const wanted = params.get("market");
  const sorted = [...data.markets].sort((a, b) => a.name.localeCompare(b.name, "en"));
  select.replaceChildren(...sorted.map((m) => option(m.id, `${m.name} (${m.id}, ${m.currency})`,
                                                     m.id === wanted)));
  if (!state.markets.has(wanted) && state.markets.size) select.value = sorted[0].id;
}

const LANGUAGE_NAMES = typeof Intl.DisplayNames === "function"
  ? new Intl.DisplayNames(["en"], { type: "language" }) : null;

/** "ar_SA" -> "Arabic (Saudi Arabia)", by the browser's own CLDR data; the tag if unknown. */
function languageName(tag) {
  try {
    return (LANGUAGE_NAMES && LANGUAGE_NAMES.of(tag.replace(/_/g, "-"))) || tag;
  } catch {
    return tag;
  }
}

function market() {
  return state.markets.get($("market").value);
}

async function onMarketChange({ keepLocale = false } = {}) {
  const m = market();
  if (!m) return;
  const wanted = keepLocale ? params.get("locale") : null;
  $("locale").replaceChildren(...m.locales.map((l) => option(l, `${languageName(l)} (${l})`,
    wanted ? l === wanted : l === m.default_locale)));
  $("shipping").replaceChildren(...m.shipping_methods.map((s) => option(s.id,
    `${s.name} (${s.days[0]}–${s.days[1]} days)`, s.default)));
  $("country").replaceChildren(...m.countries.map((c) => option(c, c)));
  $("country-field").hidden = m.countries.length < 2;
  await Promise.all([loadRegions(m), loadSamples(m), loadProducts()]);
  syncUrl();
}

async function loadRegions(m) {
  const field = $("region-field");
  const select = $("region");
  select.replaceChildren();
  field.hidden = true;
  try {
    const data = await request(`v1/markets/${encodeURIComponent(m.id)}/regions`,
                               { timeoutMs: TIMEOUT_MS });
    if (!data.requires_region) return;
    select.append(option("", "Choose a region…"));
    const taxed = data.regions.filter((r) => r.taxed);
    const other = data.regions.filter((r) => !r.taxed);
    const group = (label, list) => h("optgroup", { label },
      list.map((r) => option(r.code, `${r.name} (${r.code})`, r.code === params.get("region"))));
    if (taxed.length) select.append(group("Named in the tax rules", taxed));
    if (other.length) select.append(group("Other regions", other));
    field.hidden = false;
  } catch (err) {
    showError(err, { context: "The regions of this market could not be loaded." });
  }
}

async function loadSamples(m) {
  const select = $("sample");
  select.replaceChildren(option("", "Choose a sample cart…"));
  state.samples = [];
  try {
    const data = await request(`v1/markets/${encodeURIComponent(m.id)}/samples`,
                               { params: { date: $("date").value }, timeoutMs: TIMEOUT_MS });
    state.samples = data.carts;
    select.append(...data.carts.map((c) => option(c.id, `${c.name} → ${c.regime.name}`)));
    $("sample-hint").textContent = data.carts.length
      ? "Choosing one replaces the items below."
      : `No sample cart can be quoted in this market: ${data.refused.length
        ? data.refused[0].reason : "no products"}. Add your own items to see the problem.`;
    if (!$("items").children.length && data.carts.length) {
      select.value = data.carts[0].id;
      useSample(data.carts[0]);
    }
  } catch (err) {
    showError(err, { context: "The sample carts could not be loaded; add items by hand." });
  }
}

function useSample(cart) {
  $("items").replaceChildren();
  for (const item of cart.items) addItem(item);
  if (cart.ship_from) $("ship-from").value = cart.ship_from;
  else $("ship-from").value = "";
  if (cart.region && !$("region-field").hidden && !$("region").value) {
    $("region").value = cart.region;
  }
  setStatus(`Sample cart loaded: ${cart.description}`);
}

// -- catalog products --------------------------------------------------------------------------

let searchTimer = null;

async function loadProducts() {
  const m = market();
  const select = $("product");
  try {
    const data = await request("v1/products", {
      params: { market: m ? m.id : "", locale: $("locale").value,
                q: $("product-search").value.trim(), limit: 200 },
      timeoutMs: TIMEOUT_MS });
    state.products = new Map(data.products.map((p) => [p.sku, p]));
    if (!data.catalog) {
      select.replaceChildren(option("", "No product catalog is loaded"));
      select.disabled = true;
      $("add-product").disabled = true;
      $("product-hint").textContent = "Start the service with --locales DIR to use the "
        + "shop's catalog; add your own items below.";
      return;
    }
    select.disabled = false;
    $("add-product").disabled = false;
    select.replaceChildren(...data.products.map((p) => option(p.sku,
      `${p.title} — ${p.sku} (${p.price.amount} ${p.price.currency})`)));
    if (!data.products.length) select.append(option("", "No product matches"));
    $("product-hint").textContent = data.total > data.products.length
      ? `Showing ${data.products.length} of ${data.total} products: search to narrow them.`
      : `${data.total} product${data.total === 1 ? "" : "s"}.`;
  } catch (err) {
    select.replaceChildren(option("", "The catalog could not be loaded"));
    $("product-hint").textContent = err.message;
  }
}

function productItem(p) {
  return { sku: p.sku, quantity: 1, price: p.price, hs_code: p.hs_code, origin: p.origin,
           category: p.category, weight: p.weight };
}

// -- the cart editor ---------------------------------------------------------------------------

function addItem(item = {}) {
  const li = $("item-template").content.firstElementChild.cloneNode(true);
  const n = ++state.itemSeq;
  const values = {
    sku: item.sku || "", title: item.title || "",
    quantity: item.quantity === undefined ? "1" : String(item.quantity),
    amount: item.price ? item.price.amount : "",
    currency: item.price ? item.price.currency : (market() ? market().currency : ""),
    hs_code: item.hs_code || "", origin: item.origin || "", category: item.category || "",
    weight: item.weight ? kilograms(item.weight) : "",
  };
  for (const input of li.querySelectorAll("[data-name]")) {
    const name = input.dataset.name;
    input.id = `item-${n}-${name}`;
    input.value = values[name];
    li.querySelector(`[data-for="${name}"]`).setAttribute("for", input.id);
  }
  $("items").append(li);
  renumber();
  return li;
}

function kilograms(weight) {
  // Weights arrive in kg from the catalog and the samples; other units are shown as sent.
  return weight.unit === "kg" || !weight.unit ? weight.value : `${weight.value} ${weight.unit}`;
}

function renumber() {
  [...$("items").children].forEach((li, i) => {
    li.querySelector(".item-legend").textContent = `Item ${i + 1}`;
    li.querySelector(".remove").setAttribute("aria-label", `Remove item ${i + 1}`);
  });
}

function readItems() {
  return [...$("items").children].map((li) => {
    const v = (name) => li.querySelector(`[data-name="${name}"]`).value.trim();
    const quantity = v("quantity");
    const item = {
      sku: v("sku"),
      // Whole numbers go as JSON numbers; anything else is sent as typed, so the service
      // names the problem (the page does not second-guess the API's rules).
      quantity: /^\d{1,9}$/.test(quantity) ? Number(quantity) : quantity,
      price: { amount: v("amount"), currency: v("currency").toUpperCase() },
    };
    for (const key of ["title", "hs_code", "category"]) if (v(key)) item[key] = v(key);
    if (v("origin")) item.origin = v("origin").toUpperCase();
    if (v("weight")) item.weight = { value: v("weight"), unit: "kg" };
    return item;
  });
}

function buildRequest() {
  const m = market();
  const destination = { country: m.countries.length > 1 ? $("country").value : m.countries[0] };
  if (!$("region-field").hidden && $("region").value) destination.region = $("region").value;
  const body = { destination, market: m.id, locale: $("locale").value, items: readItems() };
  if ($("shipping").value) body.shipping_method = $("shipping").value;
  if ($("ship-from").value.trim()) body.ship_from = $("ship-from").value.trim().toUpperCase();
  if ($("date").value) body.date = $("date").value;
  return body;
}

function syncUrl() {
  const u = new URL(window.location.href);
  u.searchParams.set("market", $("market").value);
  u.searchParams.set("locale", $("locale").value);
  window.history.replaceState(null, "", u);
}

// -- quoting -----------------------------------------------------------------------------------

async function labelsFor(locale, marketId) {
  const key = `${marketId}|${locale}`;
  if (!state.labels.has(key)) {
    try {
      state.labels.set(key, await request("v1/labels", { params: { locale, market: marketId },
                                                         timeoutMs: TIMEOUT_MS }));
    } catch {
      return { labels: {}, direction: null };  // English words still say it
    }
  }
  return state.labels.get(key);
}

async function quote(event) {
  if (event) event.preventDefault();
  clearError();
  if (!market()) {
    showError(new Error("No market is loaded: the service answered no markets."));
    return;
  }
  if (!$("items").children.length) {
    setStatus("The cart is empty: choose a sample cart, add a catalog product or your own item.");
    $("sample").focus();
    return;
  }
  if (state.quoting) state.quoting.abort();
  const controller = new AbortController();
  state.quoting = controller;
  const button = $("quote-button");
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  setStatus("Quoting…", { busy: true });
  const body = buildRequest();
  $("raw-request").textContent = JSON.stringify(body, null, 2);
  const words = labelsFor(body.locale, body.market);
  try {
    const q = await request("v1/quotes", { method: "POST", body, timeoutMs: TIMEOUT_MS,
                                           signal: controller.signal });
    const { labels } = await words;
    renderQuote(q, labels);
    showResults();
    setStatus(`Quoted: total ${isolate(q.totals.total.formatted)} for ${market().name} `
      + `(${q.locale}), ${q.lines.length} line${q.lines.length === 1 ? "" : "s"}, `
      + `regime ${q.regime.name}.`);
  } catch (err) {
    if (err instanceof ApiError && err.kind === "aborted") return;
    const { labels, direction } = await words;
    renderShopperError(err, labels, direction, body.locale);
    showError(err);
    showResults();
    setStatus(`Not quoted: ${err.message}`);
  } finally {
    if (state.quoting === controller) {
      state.quoting = null;
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  }
}

/** On a phone the results sit below the form: bring them into view (focus stays put; the live
    region has already said the outcome). */
function showResults() {
  if (!window.matchMedia("(max-width: 60rem)").matches) return;
  const still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  $("results").scrollIntoView({ block: "start", behavior: still ? "auto" : "smooth" });
}

function word(labels, msgid) {
  return (labels && labels[msgid]) || msgid;
}

function shopperLocale(node, locale, direction) {
  node.setAttribute("lang", locale.replace(/_/g, "-"));
  node.setAttribute("dir", direction || "ltr");
}

function renderShopperError(err, labels, direction, locale) {
  const problem = err instanceof ApiError ? err.problem : null;
  let msgid = GENERIC_ERROR;
  if (problem && problem.field === "destination.region") msgid = REGION_ERROR;
  else if (problem && SHOPPER_ERRORS[problem.code]) msgid = SHOPPER_ERRORS[problem.code];
  const view = $("shopper-view");
  shopperLocale(view, locale, direction);
  view.replaceChildren(h("p", { class: "shopper-error", id: "shopper-error" },
                         word(labels, msgid)));
  $("views").hidden = false;
  for (const id of ["quote-facts", "waterfall", "charges", "lines", "regime-tests", "raw"]) {
    $(id).replaceChildren();
  }
  $("waterfall-note").textContent = "No quote: see the error above.";
  $("warnings-box").hidden = true;
}

function renderQuote(q, labels) {
  $("views").hidden = false;
  renderShopper(q, labels);
  renderFacts(q);
  const { check } = drawWaterfall($("waterfall"), q);
  const included = q.charges.filter((c) => c.included);
  const notes = [];
  if (included.length) {
    notes.push(`Prices already include ${included.map((c) => `${c.name} ${isolate(c.amount.formatted)}`)
      .join(", ")}: inside the item and shipping bars, not added on top.`);
  }
  if (!isZero(check)) {
    notes.push(`The steps do not add up to the total: ${check} ${q.currency} apart. `
      + "Report this quote (JSON below) as a bug.");
  }
  $("waterfall-note").textContent = notes.join(" ");
  renderCharges(q);
  renderLines(q);
  $("regime-tests").replaceChildren(...q.regime.tests.map((t) => h("li", {},
    h("strong", {}, t.passed ? "passed" : "failed"), ` ${t.regime}: ${t.test}`)));
  $("warnings").replaceChildren(...q.warnings.map((w) => h("li", {}, w)));
  $("warnings-box").hidden = q.warnings.length === 0;
  $("raw").textContent = JSON.stringify(q, null, 2);
}

function renderShopper(q, labels) {
  const view = $("shopper-view");
  shopperLocale(view, q.locale, q.direction);
  const lines = h("ul", { "aria-label": "Items" }, q.lines.map((ln) => h("li", {},
    h("span", {}, ln.quantity > 1 ? `${ln.quantity} × ` : "", ln.title || ln.sku),
    h("bdi", { class: "amount" }, ln.subtotal.formatted))));
  const t = q.totals;
  const sumRow = (msgid, money, attrs = {}) => h("p", { class: "sum", ...attrs },
    h("span", {}, word(labels, msgid)), h("bdi", { class: "amount" }, money.formatted));
  const rows = [sumRow("Subtotal", t.items)];
  rows.push(sumRow("Shipping", t.shipping));
  for (const [msgid, key] of [["Duties", "duties"], ["Taxes", "taxes"], ["Fees", "fees"]]) {
    if (t[key] && !isZero(t[key].amount)) rows.push(sumRow(msgid, t[key]));
  }
  rows.push(sumRow("Total", t.total, { class: "sum grand", id: "shopper-total-row" }));
  rows[rows.length - 1].lastChild.id = "shopper-total";
  const extra = [];
  if (t.included_taxes && !isZero(t.included_taxes.amount)) {
    // One line, as a receipt has it; the merchant view lists each tax.
    const names = [...new Set(q.charges.filter((x) => x.included).map((x) => x.label))];
    extra.push(h("p", { class: "small", id: "shopper-included" },
                 `${word(labels, "Included taxes")} (${names.join(", ")}): `,
                 h("bdi", {}, t.included_taxes.formatted)));
  }
  if (t.due_on_delivery && !isZero(t.due_on_delivery.amount)) {
    extra.push(h("p", { class: "small" }, `${word(labels, "Due on delivery")}: `,
                 h("bdi", {}, t.due_on_delivery.formatted)));
  }
  if (q.shipping_method && q.shipping_method.delivery) {
    extra.push(h("p", { class: "small" }, q.shipping_method.delivery));
  }
  view.replaceChildren(lines, ...rows, ...extra);
}

function renderFacts(q) {
  const fx = q.fx;
  const fxText = fx.from === fx.to ? `${fx.from}: no conversion`
    : `1 ${fx.from} = ${fx.rate} ${fx.to}`
      + (isZero(fx.markup) ? "" : `, markup ${percent(fx.markup)}`)
      + (fx.adjustment && !isZero(fx.adjustment) ? `, adjustment ${percent(fx.adjustment)}` : "");
  const facts = [
    ["Market", `${market() ? market().name : q.market} (${q.market}), ${q.currency}`],
    ["Language", `${q.locale} (${q.direction === "rtl" ? "right to left" : "left to right"})`],
    ["Regime", q.regime.name],
    ["Incoterm", `${q.incoterm}, prices ${q.price_display} of tax`],
    ["Exchange rate", fxText],
    ["Rate source", `${fx.source}, as of ${fx.as_of}${fx.stale ? ` (${fx.age_days} days old: stale)` : ""}`],
    ["Quote date", q.date],
    ["Rules version", q.rules_version],
  ];
  $("quote-facts").replaceChildren(...facts.map(([k, v]) => h("div", {}, h("dt", {}, k),
    h("dd", { id: `fact-${k.toLowerCase().replace(/\s+/g, "-")}` }, v))));
}

function money(m) {
  return m ? h("bdi", {}, m.formatted) : "—";
}

function renderCharges(q) {
  const head = h("tr", {}, ["Kind", "Charge", "Amount", "Base", "Rate", "Rule", "Note"]
    .map((c) => h("th", { scope: "col" }, c)));
  const rows = q.charges.map((c) => h("tr", {},
    h("td", {}, c.kind, c.included ? " (included in prices)" : "",
      c.payable === "delivery" ? " (due on delivery)" : ""),
    h("td", {}, c.label && c.label !== c.name ? `${c.name} / ${c.label}` : c.name),
    h("td", { class: "num" }, money(c.amount)),
    h("td", { class: "num" }, money(c.base), Array.isArray(c.base_parts) && c.base_parts.length
      ? h("ul", { class: "parts" }, c.base_parts.map((p) => h("li", {}, `${p.part}: `,
        money(p.amount)))) : ""),
    h("td", { class: "num" }, c.rate === null || c.rate === undefined ? "—" : percent(c.rate)),
    h("td", {}, h("code", {}, c.rule)),
    h("td", {}, c.note || "")));
  $("charges").replaceChildren(h("caption", { class: "hint" },
    `${q.charges.length} charge${q.charges.length === 1 ? "" : "s"}; rates as percentages of `
    + "the base"), h("thead", {}, head),
                               h("tbody", {}, rows.length ? rows
                                 : h("tr", {}, h("td", { colspan: 7 }, "No charges."))));
}

function renderLines(q) {
  const cols = ["SKU", "Title", "Qty", "Unit price", "Subtotal", "Shipping", "Duty", "Tax",
                "Included tax", "Fees", "Total", "Price"];
  const head = h("tr", {}, cols.map((c) => h("th", { scope: "col" }, c)));
  const rows = q.lines.map((ln) => h("tr", {},
    h("td", {}, h("code", {}, ln.sku)), h("td", {}, ln.title || "—"),
    h("td", { class: "num" }, String(ln.quantity)),
    ...["unit_price", "subtotal", "shipping", "duty", "tax", "included_tax", "fees", "total"]
      .map((k) => h("td", { class: "num" }, money(ln[k]))),
    h("td", {}, ln.price_note || "")));
  $("lines").replaceChildren(h("thead", {}, head), h("tbody", {}, rows));
}

// -- wiring ------------------------------------------------------------------------------------

function wire() {
  $("cart-form").addEventListener("submit", quote);
  $("market").addEventListener("change", () => {
    clearError();
    $("items").replaceChildren();
    onMarketChange();
  });
  $("locale").addEventListener("change", () => { syncUrl(); loadProducts(); });
  $("date").addEventListener("change", () => { if (market()) loadSamples(market()); });
  $("sample").addEventListener("change", () => {
    const cart = state.samples.find((c) => c.id === $("sample").value);
    if (cart) useSample(cart);
  });
  $("product-search").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(loadProducts, 250);
  });
  $("add-product").addEventListener("click", () => {
    const p = state.products.get($("product").value);
    if (!p) return;
    const li = addItem(productItem(p));
    setStatus(`Added ${p.title} to the cart.`);
    li.querySelector('[data-name="quantity"]').focus();
  });
  $("add-item").addEventListener("click", () => {
    addItem().querySelector('[data-name="sku"]').focus();
  });
  $("clear-items").addEventListener("click", () => {
    $("items").replaceChildren();
    $("sample").value = "";
    setStatus("The cart is empty.");
  });
  $("items").addEventListener("click", (e) => {
    const button = e.target.closest(".remove");
    if (!button) return;
    const li = button.closest("li");
    const next = li.nextElementSibling || li.previousElementSibling;
    li.remove();
    renumber();
    setStatus("Item removed.");
    (next ? next.querySelector(".remove") : $("add-item")).focus();
  });
}

async function start() {
  wire();
  if (params.get("date")) $("date").value = params.get("date");
  loadStatus();
  setStatus("Loading the markets…", { busy: true });
  try {
    await loadMarkets();
    await onMarketChange({ keepLocale: true });
    setStatus("Ready: choose a cart and quote it.");
    document.body.dataset.ready = "true";
  } catch (err) {
    showError(err, { context: "The page needs GET /v1/markets to work." });
    setStatus(`Not ready: ${err.message}`);
    document.body.dataset.ready = "error";
  }
}

start();
