// Verify one webhook request with an npm library, to check that hookline's signatures interoperate.
// stdin: {"lib": "svix" | "standardwebhooks" | "clerk", "secret"?: "whsec_...", "headers": {...}, "body": "..."}
// Clerk's verifyWebhook reads CLERK_WEBHOOK_SIGNING_SECRET when no secret is given.
// stdout: {"ok": true, "payload": ...} or {"ok": false, "error": "..."}; exit 0 verified, 1 rejected, 2 bad input.
import { readFileSync } from "node:fs";

async function verify({ lib, secret, headers, body }) {
  if (lib === "svix" || lib === "standardwebhooks") {
    const { Webhook } = await import(lib);
    return new Webhook(secret).verify(body, headers) ?? null;
  }
  if (lib === "clerk") {
    const { verifyWebhook } = await import("@clerk/backend/webhooks");
    const request = new Request("https://example.test/api/webhooks", { method: "POST", headers, body });
    return await verifyWebhook(request, secret === undefined ? {} : { signingSecret: secret });
  }
  throw new TypeError(`unknown lib ${JSON.stringify(lib)}`);
}

let input;
try {
  input = JSON.parse(readFileSync(0, "utf8"));
} catch (error) {
  console.error(`bad input: ${error.message}`);
  process.exit(2);
}

try {
  const payload = await verify(input);
  console.log(JSON.stringify({ ok: true, payload }));
} catch (error) {
  if (error instanceof TypeError && error.message.startsWith("unknown lib")) {
    console.error(error.message);
    process.exit(2);
  }
  console.log(JSON.stringify({ ok: false, error: String(error?.message ?? error) }));
  process.exit(1);
}
