/**
 * The dashboard server's JSON API (docs/dashboard.md), asked with the logged-in broker user's
 * credentials as HTTP Basic: the server checks them against the broker's users file.
 */

/** `Basic <base64 of user:password>`, UTF-8 as the server reads it. */
const basic = ({ username, password }) => `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(`${username}:${password}`)))}`;

/** `{ status, json }`; a POST when `body` is given. */
export async function api(path, credentials, body) {
  // credentials: 'omit' keeps the browser's own login prompt away when the server says 401.
  const res = await fetch(path, {
    method: body ? 'POST' : 'GET',
    credentials: 'omit',
    headers: { authorization: basic(credentials), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body && JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({ error: `HTTP ${res.status}` }));
  return { status: res.status, json };
}
