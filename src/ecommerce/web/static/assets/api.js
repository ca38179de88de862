// The public API, called on this origin through the edge. The access token lives in memory
// only (never in web storage or a cookie): a reload signs out, and no request is sent with a
// credential the page did not add itself, so no cross-site request can use it.

let token = null;
let account = null;

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || problem.message || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export function signedIn() {
  return token !== null;
}

export function currentAccount() {
  return account;
}

export function signOut() {
  token = null;
  account = null;
}

export async function signIn(email, password) {
  const answer = await request("POST", "/auth/login", { email, password });
  token = answer.access_token;
  account = await request("GET", "/users/me");
  return account;
}

export async function request(method, path, body, extraHeaders = {}) {
  const headers = { Accept: "application/json", ...extraHeaders };
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (body instanceof FormData) {
    payload = body;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const response = await fetch(path, { method, headers, body: payload, credentials: "omit" });
  if (response.status === 204) return null;
  const text = await response.text();
  let document = {};
  try {
    document = text ? JSON.parse(text) : {};
  } catch {
    document = { detail: text.slice(0, 200) };
  }
  if (!response.ok) {
    if (response.status === 401) signOut();
    throw new ApiError(response.status, document);
  }
  return document;
}
