// What the storefront says about an order's state, and the test cards it offers.

export const FINAL = new Set(["CONFIRMED", "CANCELLED"]);

export const CARDS = [
  { token: "tok_visa", label: "Visa ending 4242 (approved)" },
  { token: "tok_chargeDeclined", label: "Card declined" },
  { token: "tok_insufficientFunds", label: "Insufficient funds" },
];

const REASONS = {
  out_of_stock: "an item is out of stock",
  payment_declined: "the payment was declined",
  payment_failed: "the payment could not be taken",
  payment_expired: "the payment was not authenticated in time",
  customer_cancelled: "you cancelled it",
};

const STATES = {
  PENDING: "Pending: checking stock",
  RESERVED: "Reserved: taking payment",
  PAYMENT_ACTION_REQUIRED: "Waiting for you to authenticate the payment",
  CONFIRMED: "CONFIRMED",
};

export function describeStatus(order) {
  if (order.status === "CANCELLED") {
    const reason = REASONS[order.reason] || (order.reason || "").replaceAll("_", " ");
    return reason ? `CANCELLED: ${reason}` : "CANCELLED";
  }
  return STATES[order.status] || order.status;
}
