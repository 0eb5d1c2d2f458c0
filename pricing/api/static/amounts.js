// Exact amounts for the page: a quote's decimal strings as BigInt units of their last digit.
// Money never goes through a float here; only pixel sizes of the chart do (see ratio).

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/** "41.98" -> {units: 4198n, scale: 2}; throws on anything that is not a plain decimal. */
export function parseDecimal(text) {
  const m = DECIMAL.exec(String(text));
  if (!m) throw new Error(`not a decimal amount: ${text}`);
  const frac = m[3] || "";
  const units = BigInt(m[2] + frac);
  return { units: m[1] ? -units : units, scale: frac.length };
}

function rescale(d, scale) {
  return d.units * 10n ** BigInt(scale - d.scale);
}

/** The exact sum of decimal strings, as a decimal string with the largest scale among them. */
export function sum(texts) {
  const ds = texts.map(parseDecimal);
  const scale = Math.max(0, ...ds.map((d) => d.scale));
  return format(ds.reduce((acc, d) => acc + rescale(d, scale), 0n), scale);
}

/** a - b, exactly, as a decimal string. */
export function subtract(a, b) {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  const scale = Math.max(x.scale, y.scale);
  return format(rescale(x, scale) - rescale(y, scale), scale);
}

/** -1, 0 or 1 as a < b, a == b, a > b (exactly: "1.10" equals "1.1"). */
export function compare(a, b) {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  const scale = Math.max(x.scale, y.scale);
  const d = rescale(x, scale) - rescale(y, scale);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

export function isZero(text) {
  return parseDecimal(text).units === 0n;
}

function format(units, scale) {
  const negative = units < 0n;
  let digits = (negative ? -units : units).toString().padStart(scale + 1, "0");
  if (scale > 0) digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return (negative ? "-" : "") + digits;
}

/** A rate as a percentage, by moving the decimal point: "0.0725" -> "7.25 %", "0.19" -> "19 %".
    Exact for any number of digits (no float: 0.0725 * 100 is 7.249999999999999 in binary). */
export function percent(rate) {
  const d = parseDecimal(rate);
  let text = format(d.units, Math.max(d.scale - 2, 0));
  if (d.scale < 2) text = format(d.units * 10n ** BigInt(2 - d.scale), 0);
  if (text.includes(".")) text = text.replace(/0+$/, "").replace(/\.$/, "");
  return `${text} %`;
}

/** a / b as a float, for pixel sizes only (chart bars), never for an amount shown. */
export function ratio(a, b) {
  const x = parseDecimal(a);
  const y = parseDecimal(b);
  const scale = Math.max(x.scale, y.scale);
  const den = rescale(y, scale);
  return den === 0n ? 0 : Number(rescale(x, scale)) / Number(den);
}

/** Text wrapped in Unicode isolates (FSI ... PDI), so an amount formatted for a right-to-left
    locale keeps its own order inside left-to-right text (SVG and live-region text, where no
    <bdi> element can be used). */
export function isolate(text) {
  return `\u2068${text}\u2069`;
}
