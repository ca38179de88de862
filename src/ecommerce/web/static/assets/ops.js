// The operations console: queues and DLQs (live), dead letters with redrive, an order's
// timeline, products and stock, image upload. Every figure comes from /ops/api/ (admins only,
// checked by the server) or the catalog's admin routes; this page holds no data of its own.
import { ApiError, currentAccount, request, signIn, signOut, signedIn } from "./api.js";
import { announce, errorBox, field, h, replace } from "./dom.js";
import { formatMoney, minorUnits } from "./money.js";
import { startRouter } from "./router.js";

const REFRESH_MS = 2000;
let timer = null;
let admin = false;

// Every page but sign-in is for a signed-in admin; the server refuses anyone else anyway.
const adminOnly = (page) => (match) => (signedIn() && admin ? page(match) : login());
const routes = [
  [/^#?\/?$|^#\/queues$/, () => queues()],
  [/^#\/dlq\/(.+)$/, (m) => deadLetters(decodeURIComponent(m[1]))],
  [/^#\/orders(?:\/(.+))?$/, (m) => timeline(m[1] ? decodeURIComponent(m[1]) : "")],
  [/^#\/products(?:\?cursor=(.+))?$/, (m) => products(m[1] || null)],
  [/^#\/products\/(.+)$/, (m) => editProduct(decodeURIComponent(m[1]))],
].map(([pattern, page]) => [pattern, adminOnly(page)]);

function renderAccount() {
  const slot = document.getElementById("account");
  if (signedIn() && admin) {
    replace(slot, h("span", {}, currentAccount().email), h("button", { type: "button", class: "link", onclick: () => { signOut(); admin = false; show(); } }, "Sign out"));
  } else {
    replace(slot);
  }
}

function login() {
  const main = router.view(); // this page's own, even after the user moved on
  const email = h("input", { type: "email", autocomplete: "username", required: true });
  const password = h("input", { type: "password", autocomplete: "current-password", required: true });
  const problem = h("div", {});
  const form = h(
    "form",
    {
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          await signIn(email.value, password.value);
          await request("GET", "/ops/api/me");
          admin = true;
          await show();
        } catch (error) {
          signOut();
          const message = error instanceof ApiError && error.status === 403 ? "This console is for administrators only." : error.message;
          replace(problem, errorBox(new Error(message)));
        }
      },
    },
    field("Email", email),
    field("Password", password),
    h("button", { type: "submit" }, "Sign in"),
  );
  replace(main, h("h1", { tabindex: "-1" }, "Sign in to the console"), problem, form);
}

// --- queues ------------------------------------------------------------------------------

async function queues() {
  const main = router.view(); // this page's own, even after the user moved on
  const table = h("table", { class: "lines", id: "queues" });
  const updated = h("p", { class: "history" });
  replace(main, h("h1", { tabindex: "-1" }, "Queues"), h("p", {}, "Depths refresh every two seconds. A message in a dead-letter queue failed; open it to see why."), table, updated);
  const refresh = async () => {
    if (!(location.hash === "#/queues" || location.hash === "" || location.hash === "#/")) return;
    try {
      const answer = await request("GET", "/ops/api/queues");
      replace(
        table,
        h("caption", { class: "visually-hidden" }, "Queue depths"),
        h("thead", {}, h("tr", {}, ["Queue", "Waiting", "In flight", "Dead letters", "DLQ in flight", ""].map((t) => h("th", { scope: "col", class: t && t !== "Queue" ? "num" : null }, t)))),
        h(
          "tbody",
          {},
          answer.items.map((q) =>
            h(
              "tr",
              { "data-queue": q.queue },
              h("th", { scope: "row" }, q.queue),
              h("td", { class: "num" }, q.visible),
              h("td", { class: "num" }, q.in_flight),
              h("td", { class: q.dlq.visible ? "num alert-cell" : "num", "data-dlq-depth": q.dlq.visible }, q.dlq.visible),
              h("td", { class: "num" }, q.dlq.in_flight),
              h("td", {}, q.dlq.visible + q.dlq.in_flight ? h("a", { href: `#/dlq/${encodeURIComponent(q.queue)}` }, `Dead letters of ${q.queue}`) : ""),
            ),
          ),
        ),
      );
      replace(updated, `Updated ${new Date().toLocaleTimeString()}`);
    } catch (error) {
      replace(updated, errorBox(error));
    }
    timer = setTimeout(refresh, REFRESH_MS);
  };
  await refresh();
}

async function deadLetters(queue) {
  const main = router.view(); // this page's own, even after the user moved on
  const answer = await request("GET", `/ops/api/dlq/${encodeURIComponent(queue)}`);
  const result = h("div", { role: "status", "aria-live": "polite", id: "redrive-result" });
  const redrive = h(
    "button",
    {
      type: "button",
      onclick: async () => {
        redrive.disabled = true;
        try {
          const done = await request("POST", `/ops/api/dlq/${encodeURIComponent(queue)}/redrive`);
          replace(result, h("p", {}, `Moved ${done.moved} message(s) back to ${queue}${done.failed ? `; ${done.failed} could not be moved` : ""}.`));
          announce(`Redrive of ${queue} done`);
        } catch (error) {
          redrive.disabled = false;
          replace(result, errorBox(error));
        }
      },
      disabled: answer.items.length === 0,
    },
    "Redrive to the queue",
  );
  replace(
    main,
    h("p", {}, h("a", { href: "#/queues" }, "← Queues")),
    h("h1", { tabindex: "-1" }, `Dead letters of ${queue}`),
    h("p", {}, `${answer.dlq}: showing up to ten messages (looked at, not removed).`),
    answer.items.length ? answer.items.map(deadLetter) : h("p", {}, "This dead-letter queue is empty."),
    redrive,
    result,
  );
}

function deadLetter(message) {
  const attributes = Object.entries(message.attributes || {});
  return h(
    "article",
    { class: "dead-letter", "data-message": message.message_id },
    h("h2", {}, message.event_type || "Unreadable message"),
    h("p", {}, "Reason: ", h("span", { class: "reason" }, message.reason)),
    h(
      "dl",
      { class: "attributes" },
      h("dt", {}, "Message id"), h("dd", {}, message.message_id),
      h("dt", {}, "Receives"), h("dd", {}, message.receives),
      h("dt", {}, "Sent"), h("dd", {}, message.sent_at ? new Date(message.sent_at).toLocaleString() : "—"),
      h("dt", {}, "Order"), h("dd", {}, message.correlation_id ? h("a", { href: `#/orders/${encodeURIComponent(message.correlation_id)}` }, message.correlation_id) : "—"),
      attributes.map(([name, value]) => [h("dt", {}, name), h("dd", {}, value)]),
    ),
    h("h3", {}, "Body"),
    h("pre", { class: "body", tabindex: "0", "aria-label": "Message body" }, prettyBody(message.body)),
  );
}

function prettyBody(body) {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

// --- order timeline ------------------------------------------------------------------------

async function timeline(orderId) {
  const main = router.view(); // this page's own, even after the user moved on
  const input = h("input", { type: "text", value: orderId, required: true, spellcheck: "false", size: 40 });
  const form = h(
    "form",
    { class: "row", onsubmit: (e) => { e.preventDefault(); location.hash = `#/orders/${encodeURIComponent(input.value.trim())}`; } },
    field("Order id", input),
    h("p", {}, h("button", { type: "submit" }, "Show timeline")),
  );
  const out = h("div", {});
  replace(main, h("h1", { tabindex: "-1" }, "Order timeline"), form, out);
  if (!orderId) return;
  try {
    const answer = await request("GET", `/ops/api/orders/${encodeURIComponent(orderId)}/timeline`);
    const order = answer.order;
    replace(
      out,
      h("p", { class: "status", id: "timeline-status" }, `${order.status}${order.reason ? ` (${order.reason})` : ""} — ${formatMoney(order.total)}`),
      h(
        "table",
        { class: "lines timeline" },
        h("caption", { class: "visually-hidden" }, "Every state change and traced step of the order"),
        h("thead", {}, h("tr", {}, ["When", "From", "What", "Detail"].map((t) => h("th", { scope: "col" }, t)))),
        h(
          "tbody",
          {},
          answer.items.map((entry) =>
            h(
              "tr",
              { class: entry.source },
              h("td", {}, new Date(entry.at).toISOString().slice(11, 23)),
              h("td", {}, entry.source === "order" ? "orders store" : "trace"),
              h("th", { scope: "row" }, entry.what),
              h("td", { class: entry.error ? "reason" : null }, entry.detail),
            ),
          ),
        ),
      ),
    );
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) throw error;
    replace(out, errorBox(error));
  }
}

// --- products ------------------------------------------------------------------------------

async function products(cursor) {
  const main = router.view(); // this page's own, even after the user moved on
  const query = new URLSearchParams({ limit: "20" });
  if (cursor) query.set("cursor", cursor);
  const page = await request("GET", `/products?${query}`);
  replace(
    main,
    h("h1", { tabindex: "-1" }, "Products"),
    h(
      "table",
      { class: "lines" },
      h("caption", { class: "visually-hidden" }, "Products"),
      h("thead", {}, h("tr", {}, ["Product", "Category", "Price", "Stock"].map((t) => h("th", { scope: "col" }, t)))),
      h(
        "tbody",
        {},
        page.items.map((p) =>
          h("tr", {}, h("th", { scope: "row" }, h("a", { href: `#/products/${encodeURIComponent(p.id)}` }, `${p.name} (${p.id})`)), h("td", {}, p.category), h("td", {}, formatMoney(p.price)), h("td", { class: "num" }, p.stock)),
        ),
      ),
    ),
    h("nav", { class: "paging", "aria-label": "Pages" }, cursor ? h("a", { href: "#/products" }, "First page") : null, page.next_cursor ? h("a", { href: `#/products?cursor=${encodeURIComponent(page.next_cursor)}` }, "Next page") : null),
  );
}

async function editProduct(id, notice) {
  const main = router.view(); // this page's own, even after the user moved on
  const item = await request("GET", `/products/${encodeURIComponent(id)}`);
  const problem = h("div", { id: "edit-problem" }, notice ? h("p", { id: "saved", role: "status" }, notice) : null);
  const name = h("input", { type: "text", value: item.name, required: true });
  const price = h("input", { type: "text", inputmode: "decimal", value: (item.price.amount / 10 ** fractionDigits(item.price.currency)).toFixed(fractionDigits(item.price.currency)), required: true });
  const description = h("textarea", { rows: 3 }, item.description);
  const stock = h("input", { type: "number", min: 0, value: item.stock, required: true });
  const file = h("input", { type: "file", accept: "image/png,image/jpeg,image/webp", id: "image-file" });
  const images = h("ul", { class: "thumbs", id: "images", "aria-label": "Images" });
  const uploadStatus = h("p", { role: "status", "aria-live": "polite", id: "upload-status" });

  const save = async (e) => {
    e.preventDefault();
    try {
      const amount = minorUnits(price.value, item.price.currency);
      if (amount === null) throw new Error("The price is not a number.");
      await request("PATCH", `/products/${encodeURIComponent(id)}`, { name: name.value, description: description.value, price: { amount, currency: item.price.currency } });
      if (Number(stock.value) !== item.stock) {
        await request("PUT", `/products/${encodeURIComponent(id)}/stock`, { stock: Number(stock.value), expected_stock: item.stock });
      }
      await editProduct(id, "Saved.");
    } catch (error) {
      replace(problem, errorBox(error));
    }
  };
  const upload = async (e) => {
    e.preventDefault();
    if (!file.files.length) return;
    const form = new FormData();
    form.append("file", file.files[0]);
    try {
      replace(uploadStatus, "Uploading…");
      const sent = await request("POST", `/ops/api/products/${encodeURIComponent(id)}/images`, form);
      replace(uploadStatus, "Uploaded; making thumbnails…");
      await watchImages(id, images, uploadStatus, sent.upload_id);
    } catch (error) {
      replace(uploadStatus, errorBox(error));
    }
  };
  replace(
    main,
    h("p", {}, h("a", { href: "#/products" }, "← Products")),
    h("h1", { tabindex: "-1" }, `Edit ${item.name}`),
    problem,
    h(
      "form",
      { onsubmit: save, id: "edit-product" },
      field("Name", name),
      field(`Price (${item.price.currency})`, price),
      field("Description", description),
      field("Stock", stock, "Saved only if nobody's order changed it since this page was read."),
      h("button", { type: "submit" }, "Save"),
    ),
    h("h2", {}, "Images"),
    images,
    h("form", { onsubmit: upload, class: "row", id: "upload-image" }, field("Image file (PNG, JPEG or WEBP)", file), h("p", {}, h("button", { type: "submit" }, "Upload"))),
    uploadStatus,
  );
  await watchImages(id, images, uploadStatus, null);
}

// The images worker records an upload once S3 tells it of the file: until then, and while it
// is processing, look again every second (up to two minutes).
async function watchImages(id, list, status, uploadId, tries = 120) {
  const answer = await request("GET", `/products/${encodeURIComponent(id)}/images`);
  replace(
    list,
    answer.items.map((image) => {
      const sizes = Object.keys(image.thumbnails || {}).map(Number).sort((a, b) => a - b);
      const src = sizes.length ? image.thumbnails[String(sizes[0])] : null;
      return h("li", { "data-status": image.status }, src ? h("img", { src, alt: `Thumbnail of upload ${image.id.slice(0, 8)}` }) : h("span", {}, `${image.status}${image.reason ? `: ${image.reason}` : ""}`));
    }),
  );
  if (!uploadId) return;
  const upload = answer.items.find((image) => image.id === uploadId);
  if (!upload || upload.status === "processing") {
    if (tries > 0 && location.hash === `#/products/${encodeURIComponent(id)}`) {
      timer = setTimeout(() => watchImages(id, list, status, uploadId, tries - 1), 1000);
    } else {
      replace(status, errorBox(new Error("No thumbnail yet: look again later.")));
    }
    return;
  }
  replace(status, upload.status === "rejected" ? errorBox(new Error(`Rejected: ${upload.reason}`)) : "Thumbnail ready.");
}

function fractionDigits(currency) {
  return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits;
}

function show() {
  return router.show();
}

const router = startRouter(document.getElementById("main"), routes, {
  before: () => {
    if (timer) clearTimeout(timer);
    timer = null;
    renderAccount();
  },
  notFound: adminOnly(() => replace(router.view(), h("h1", { tabindex: "-1" }, "Not found"))),
  failed: (error) => {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      admin = false; // signed out, or no longer an admin: back to sign-in
      return true;
    }
    return false;
  },
});
show();
