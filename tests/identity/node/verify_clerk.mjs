// Verify identity deliveries with Clerk's verifyWebhook, as a Clerk receiver would.
// stdin: {"secret": "whsec_...", "deliveries": [{"headers": {...}, "body": "..."}]}
// stdout: one JSON line per delivery: {"ok": true, "type", "id", "user_id", "email"} or {"ok": false, "error"}.
import { readFileSync } from "node:fs";
import { verifyWebhook } from "@clerk/backend/webhooks";

const { secret, deliveries } = JSON.parse(readFileSync(0, "utf8"));
for (const { headers, body } of deliveries) {
  const request = new Request("https://example.test/api/webhooks", { method: "POST", headers, body });
  try {
    const event = await verifyWebhook(request, { signingSecret: secret });
    const data = event.data;
    const user = data.object === "session" ? data.user : data;
    const primary = user?.email_addresses?.find((e) => e.id === user.primary_email_address_id);
    console.log(JSON.stringify({
      ok: true,
      type: event.type,
      id: data.id,
      user_id: data.object === "user" ? data.id : data.user_id,
      email: primary?.email_address ?? data.to_email_address ?? null,
    }));
  } catch (error) {
    console.log(JSON.stringify({ ok: false, error: String(error?.message ?? error) }));
  }
}
