// Authenticate a request carrying a hookline session token with @clerk/backend, as a Clerk backend would, and
// print what toAuth() reports. stdin: {"jwt_key": PEM, "token", "publishable_key", "secret_key", "api_url",
// "authorized_parties"?}; the token is verified with the key given, networkless.
import { readFileSync } from "node:fs";
import { createClerkClient } from "@clerk/backend";

const { jwt_key, token, publishable_key, secret_key, api_url, authorized_parties } = JSON.parse(readFileSync(0, "utf8"));
const clerk = createClerkClient({
  jwtKey: jwt_key, publishableKey: publishable_key, secretKey: secret_key, apiUrl: api_url, telemetry: { disabled: true },
});
const request = new Request("https://app.example.test/api/things", { headers: { authorization: `Bearer ${token}` } });
const state = await clerk.authenticateRequest(request, { jwtKey: jwt_key, authorizedParties: authorized_parties });
const auth = state.toAuth();
console.log(JSON.stringify({
  status: state.status,
  reason: state.reason ?? null,
  userId: auth?.userId ?? null,
  sessionId: auth?.sessionId ?? null,
  orgId: auth?.orgId ?? null,
  orgRole: auth?.orgRole ?? null,
  orgSlug: auth?.orgSlug ?? null,
  orgPermissions: auth?.orgPermissions ?? null,
  hasManage: auth?.has ? auth.has({ permission: "org:invoices:manage" }) : null,
}));
