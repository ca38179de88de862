// Money arrives as integer minor units with a currency; the currency says how many decimals.

const formats = new Map();

function formatter(currency) {
  if (!formats.has(currency)) {
    formats.set(currency, new Intl.NumberFormat(navigator.language || "en", { style: "currency", currency }));
  }
  return formats.get(currency);
}

export function formatMoney(money) {
  if (!money) return "—";
  const format = formatter(money.currency);
  const digits = format.resolvedOptions().maximumFractionDigits;
  return format.format(money.amount / 10 ** digits);
}

export function minorUnits(text, currency) {
  const digits = formatter(currency).resolvedOptions().maximumFractionDigits;
  const value = Number.parseFloat(String(text).replace(",", "."));
  if (!Number.isFinite(value) || value < 0) return null;
  return Math.round(value * 10 ** digits);
}
