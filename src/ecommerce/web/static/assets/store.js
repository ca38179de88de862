// The storefront: catalog, product, sign-in and sign-up, cart, checkout, orders. A hash route
// per page (#/, #/c/<category>, #/p/<id>, #/login, #/register, #/cart, #/orders, #/orders/<id>).
import { ApiError, currentAccount, request, signIn, signOut, signedIn } from "./api.js";
import { announce, errorBox, field, h, replace } from "./dom.js";
import { formatMoney } from "./money.js";
import { CARDS, describeStatus, FINAL } from "./orders.js";
import { startRouter } from "./router.js";

const PAGE_SIZE = 12;
const POLL_MS = 700;
let polling = null;
let afterLogin = "#/";

const routes = [
  [/^#?\/?$/, () => catalog(null, null)],
  [/^#\/c\/([^?]+)(?:\?cursor=(.+))?$/, (m) => catalog(decodeURIComponent(m[1]), m[2] || null)],
  [/^#\/all\?cursor=(.+)$/, (m) => catalog(null, m[1])],
  [/^#\/p\/(.+)$/, (m) => product(decodeURIComponent(m[1]))],
  [/^#\/login$/, () => login()],
  [/^#\/register$/, () => register()],
  [/^#\/cart$/, () => needsAccount(cart)],
  [/^#\/orders$/, () => needsAccount(orders)],
  [/^#\/orders\/(.+)$/, (m) => needsAccount(() => order(decodeURIComponent(m[1])))],
];

function needsAccount(page) {
  if (!signedIn()) {
    afterLogin = location.hash;
    location.hash = "#/login";
    return Promise.resolve();
  }
  return page();
}

function renderAccount() {
  const slot = document.getElementById("account");
  if (signedIn()) {
    const who = currentAccount();
    replace(
      slot,
      h("span", { class: "who" }, who ? who.email : ""),
      " ",
      h("button", { type: "button", class: "link", onclick: () => { signOut(); location.hash = "#/"; show(); } }, "Sign out"),
    );
  } else {
    replace(slot, h("a", { href: "#/login" }, "Sign in"), " ", h("a", { href: "#/register" }, "Create account"));
  }
}

// --- catalog -----------------------------------------------------------------------------

async function catalog(category, cursor) {
  const main = router.view(); // this page's own, even after the user moved on
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (category) query.set("category", category);
  if (cursor) query.set("cursor", cursor);
  const [categories, page] = await Promise.all([
    request("GET", "/categories"),
    request("GET", `/products?${query}`),
  ]);
  const title = category ? `Category: ${category}` : "Catalog";
  const nav = h(
    "nav",
    { "aria-label": "Categories", class: "categories" },
    h(
      "ul",
      {},
      h("li", {}, h("a", { href: "#/", "aria-current": category ? null : "page" }, "All")),
      categories.items.map((c) =>
        h("li", {}, h("a", { href: `#/c/${encodeURIComponent(c.name)}`, "aria-current": c.name === category ? "page" : null }, `${c.name} (${c.count})`)),
      ),
    ),
  );
  const grid = h("ul", { class: "grid", "aria-label": "Products" }, page.items.map(productCard));
  const base = category ? `#/c/${encodeURIComponent(category)}` : "#/all";
  const paging = h(
    "nav",
    { "aria-label": "Pages", class: "paging" },
    cursor ? h("a", { href: category ? base : "#/" }, "First page") : null,
    page.next_cursor ? h("a", { href: `${base}?cursor=${encodeURIComponent(page.next_cursor)}`, rel: "next" }, "Next page") : null,
  );
  replace(main, h("h1", { tabindex: "-1" }, title), nav, grid, paging);
}

function productCard(item) {
  return h(
    "li",
    { class: "card", "data-product": item.id },
    thumbnail(item, 160),
    h("h2", {}, h("a", { href: `#/p/${encodeURIComponent(item.id)}` }, item.name)),
    h("p", { class: "price" }, formatMoney(item.price)),
    h("p", { class: item.stock > 0 ? "stock" : "stock out" }, item.stock > 0 ? `${item.stock} in stock` : "Out of stock"),
    h("button", { type: "button", onclick: () => addToCart(item, 1), disabled: item.stock <= 0, "aria-label": `Add to cart: ${item.name}` }, "Add to cart"),
  );
}

function thumbnail(item, size) {
  if (item.thumbnail_url) {
    return h("img", { src: item.thumbnail_url, alt: item.name, width: size, height: size });
  }
  return h("div", { class: "placeholder", style: null, "aria-hidden": "true" }, item.name.slice(0, 1));
}

async function addToCart(item, quantity) {
  if (!signedIn()) {
    afterLogin = location.hash;
    location.hash = "#/login";
    return;
  }
  try {
    const current = await request("GET", "/cart");
    const line = current.items.find((l) => l.product_id === item.id);
    const wanted = (line ? line.quantity : 0) + quantity;
    await request("PUT", `/cart/items/${encodeURIComponent(item.id)}`, { quantity: wanted });
    announce(`${item.name}: ${wanted} in your cart`);
    await refreshCartCount();
  } catch (error) {
    announce(`Could not add ${item.name}: ${error.message}`);
  }
}

async function refreshCartCount() {
  const badge = document.getElementById("cart-count");
  if (!signedIn()) {
    badge.textContent = "";
    return;
  }
  const current = await request("GET", "/cart");
  const count = current.items.reduce((sum, l) => sum + l.quantity, 0);
  badge.textContent = count ? `(${count})` : "";
}

// --- product -----------------------------------------------------------------------------

async function product(id) {
  const main = router.view(); // this page's own, even after the user moved on
  const item = await request("GET", `/products/${encodeURIComponent(id)}`);
  const quantity = h("input", { type: "number", min: 1, max: Math.max(1, item.stock), value: 1, inputmode: "numeric" });
  const image = item.images && item.images.length ? largest(item.images[0]) : null;
  replace(
    main,
    h("p", {}, h("a", { href: `#/c/${encodeURIComponent(item.category)}` }, `← ${item.category}`)),
    h(
      "article",
      { class: "product" },
      image ? h("img", { src: image, alt: item.name, class: "hero" }) : thumbnail(item, 240),
      h(
        "div",
        {},
        h("h1", { tabindex: "-1" }, item.name),
        h("p", { class: "price" }, formatMoney(item.price)),
        h("p", {}, item.description),
        h("p", { class: item.stock > 0 ? "stock" : "stock out" }, item.stock > 0 ? `${item.stock} in stock` : "Out of stock"),
        h(
          "form",
          { onsubmit: (e) => { e.preventDefault(); addToCart(item, Number(quantity.value) || 1); } },
          field("Quantity", quantity),
          h("button", { type: "submit", disabled: item.stock <= 0 }, "Add to cart"),
        ),
      ),
    ),
  );
}

function largest(image) {
  const sizes = Object.keys(image.thumbnails || {}).map(Number).sort((a, b) => b - a);
  return sizes.length ? image.thumbnails[String(sizes[0])] : image.url;
}

// --- account -----------------------------------------------------------------------------

function login() {
  const main = router.view(); // this page's own, even after the user moved on
  const email = h("input", { type: "email", name: "email", autocomplete: "username", required: true });
  const password = h("input", { type: "password", name: "password", autocomplete: "current-password", required: true });
  const problem = h("div", {});
  const form = h(
    "form",
    {
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          await signIn(email.value, password.value);
          await refreshCartCount();
          const next = afterLogin && afterLogin !== "#/login" ? afterLogin : "#/";
          afterLogin = "#/";
          location.hash = next;
        } catch (error) {
          replace(problem, errorBox(error));
        }
      },
    },
    field("Email", email),
    field("Password", password),
    h("button", { type: "submit" }, "Sign in"),
  );
  replace(main, h("h1", { tabindex: "-1" }, "Sign in"), problem, form, h("p", {}, "New here? ", h("a", { href: "#/register" }, "Create an account")));
}

function register() {
  const main = router.view(); // this page's own, even after the user moved on
  const name = h("input", { type: "text", name: "name", autocomplete: "name", required: true });
  const email = h("input", { type: "email", name: "email", autocomplete: "email", required: true });
  const password = h("input", { type: "password", name: "password", autocomplete: "new-password", required: true, minlength: 8 });
  const problem = h("div", {});
  const form = h(
    "form",
    {
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          await request("POST", "/auth/register", { name: name.value, email: email.value, password: password.value });
          await signIn(email.value, password.value);
          location.hash = afterLogin && afterLogin !== "#/register" ? afterLogin : "#/";
        } catch (error) {
          const fields = (error.problem && error.problem.errors) || [];
          replace(problem, errorBox(error), fields.length ? h("ul", { class: "error" }, fields.map((f) => h("li", {}, `${f.field}: ${f.message}`))) : null);
        }
      },
    },
    field("Name", name),
    field("Email", email),
    field("Password", password, "At least 8 characters; not a common password."),
    h("button", { type: "submit" }, "Create account"),
  );
  replace(main, h("h1", { tabindex: "-1" }, "Create an account"), problem, form);
}

// --- cart and checkout ---------------------------------------------------------------------

async function cart() {
  const main = router.view(); // this page's own, even after the user moved on
  const current = await request("GET", "/cart");
  const names = await productNames(current.items.map((l) => l.product_id));
  if (!current.items.length) {
    replace(main, h("h1", { tabindex: "-1" }, "Your cart"), h("p", {}, "Your cart is empty. ", h("a", { href: "#/" }, "Browse the catalog")));
    return;
  }
  const problem = h("div", {});
  const rows = current.items.map((line) => {
    const name = names.get(line.product_id) || line.product_id;
    const quantity = h("input", { type: "number", min: 1, max: 99, value: line.quantity, "aria-label": `Quantity of ${name}`, class: "qty" });
    return h(
      "tr",
      { "data-product": line.product_id },
      h("th", { scope: "row" }, h("a", { href: `#/p/${encodeURIComponent(line.product_id)}` }, name)),
      h("td", {}, formatMoney(line.unit_price)),
      h(
        "td",
        {},
        quantity,
        " ",
        h("button", { type: "button", class: "secondary", onclick: () => update(line.product_id, Number(quantity.value), problem), "aria-label": `Update quantity of ${name}` }, "Update"),
      ),
      h("td", {}, formatMoney(line.line_total)),
      h("td", {}, h("button", { type: "button", class: "secondary", onclick: () => remove(line.product_id, problem), "aria-label": `Remove ${name}` }, "Remove")),
    );
  });
  const table = h(
    "table",
    { class: "lines" },
    h("caption", { class: "visually-hidden" }, "Items in your cart"),
    h("thead", {}, h("tr", {}, ["Product", "Price", "Quantity", "Total", "Remove"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows),
    h("tfoot", {}, h("tr", {}, h("th", { scope: "row", colspan: 3 }, "Total"), h("td", { id: "cart-total" }, formatMoney(current.total)), h("td", {}))),
  );
  replace(main, h("h1", { tabindex: "-1" }, "Your cart"), problem, table, checkoutForm());
}

function checkoutForm() {
  const problem = h("div", {});
  const choices = CARDS.map((card, index) =>
    h("p", { class: "choice" }, h("input", { type: "radio", name: "card", id: `card-${card.token}`, value: card.token, checked: index === 0 }), h("label", { for: `card-${card.token}` }, card.label)),
  );
  const form = h(
    "form",
    {
      class: "checkout",
      onsubmit: async (e) => {
        e.preventDefault();
        const token = form.querySelector("input[name=card]:checked").value;
        const button = form.querySelector("button");
        button.disabled = true;
        try {
          const placed = await request("POST", "/cart/checkout", { payment_token: token });
          await refreshCartCount();
          location.hash = `#/orders/${encodeURIComponent(placed.id)}`;
        } catch (error) {
          button.disabled = false;
          replace(problem, errorBox(error));
        }
      },
    },
    h("h2", {}, "Checkout"),
    h("fieldset", {}, h("legend", {}, "Test card"), choices),
    problem,
    h("button", { type: "submit" }, "Place order"),
  );
  return form;
}

async function update(productId, quantity, problem) {
  try {
    await request("PUT", `/cart/items/${encodeURIComponent(productId)}`, { quantity });
    await refreshCartCount();
    await cart();
    announce("Cart updated");
  } catch (error) {
    replace(problem, errorBox(error));
  }
}

async function remove(productId, problem) {
  try {
    await request("DELETE", `/cart/items/${encodeURIComponent(productId)}`);
    await refreshCartCount();
    await cart();
    announce("Removed from your cart");
  } catch (error) {
    replace(problem, errorBox(error));
  }
}

async function productNames(ids) {
  const names = new Map();
  await Promise.all(
    ids.map(async (id) => {
      try {
        names.set(id, (await request("GET", `/products/${encodeURIComponent(id)}`)).name);
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
      }
    }),
  );
  return names;
}

// --- orders --------------------------------------------------------------------------------

async function orders() {
  const main = router.view(); // this page's own, even after the user moved on
  const page = await request("GET", "/orders");
  const rows = page.items.map((o) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, h("a", { href: `#/orders/${encodeURIComponent(o.id)}` }, o.id.slice(0, 8))),
      h("td", {}, new Date(o.created_at).toLocaleString()),
      h("td", {}, describeStatus(o)),
      h("td", {}, formatMoney(o.total)),
    ),
  );
  replace(
    main,
    h("h1", { tabindex: "-1" }, "Your orders"),
    page.items.length
      ? h("table", { class: "lines" }, h("thead", {}, h("tr", {}, ["Order", "Placed", "Status", "Total"].map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, rows))
      : h("p", {}, "No orders yet."),
  );
}

async function order(id) {
  const main = router.view(); // this page's own, even after the user moved on
  const status = h("p", { id: "order-status", role: "status", "aria-live": "polite", class: "status" });
  const details = h("div", {});
  const problem = h("div", {});
  replace(main, h("h1", { tabindex: "-1" }, `Order ${id.slice(0, 8)}`), status, problem, details);
  let names = null;
  const render = (current) => {
    status.dataset.status = current.status;
    status.className = `status ${current.status.toLowerCase()}`;
    replace(status, describeStatus(current));
    const cancellable = !FINAL.has(current.status) || current.status === "CONFIRMED";
    replace(
      details,
      h(
        "table",
        { class: "lines" },
        h("caption", { class: "visually-hidden" }, "Items in this order"),
        h("thead", {}, h("tr", {}, ["Product", "Quantity", "Price"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, (current.items || []).map((line) => h("tr", {}, h("th", { scope: "row" }, names.get(line.product_id) || line.product_id), h("td", {}, line.quantity), h("td", {}, formatMoney(line.unit_price))))),
        h("tfoot", {}, h("tr", {}, h("th", { scope: "row", colspan: 2 }, "Total"), h("td", {}, formatMoney(current.total)))),
      ),
      h("h2", {}, "History"),
      h("ol", { class: "history" }, (current.history || []).map((step) => h("li", {}, `${new Date(step.at).toLocaleTimeString()} — ${step.to}${step.reason ? ` (${step.reason.replaceAll("_", " ")})` : ""}`))),
      cancellable && current.status !== "CANCELLED"
        ? h("button", { type: "button", class: "secondary", onclick: () => cancel(id, problem) }, "Cancel order")
        : null,
      h("p", {}, h("a", { href: "#/orders" }, "All your orders")),
    );
  };
  const poll = async () => {
    if (location.hash !== `#/orders/${encodeURIComponent(id)}`) return;
    try {
      const current = await request("GET", `/orders/${encodeURIComponent(id)}`);
      names = names || (await productNames((current.items || []).map((line) => line.product_id)));
      render(current);
      if (!FINAL.has(current.status)) polling = setTimeout(poll, POLL_MS);
    } catch (error) {
      replace(problem, errorBox(error));
      polling = setTimeout(poll, POLL_MS * 3);
    }
  };
  await poll();
}

async function cancel(id, problem) {
  try {
    await request("POST", `/orders/${encodeURIComponent(id)}/cancel`);
    announce("Cancellation requested");
    await show();
  } catch (error) {
    replace(problem, errorBox(error));
  }
}

function show() {
  return router.show();
}

const router = startRouter(document.getElementById("main"), routes, {
  before: () => {
    if (polling) clearTimeout(polling);
    polling = null;
    renderAccount();
  },
  notFound: () => {
    const main = router.view();
    replace(main, h("h1", { tabindex: "-1" }, "Not found"), h("p", {}, h("a", { href: "#/" }, "Back to the catalog")));
  },
});
show();
