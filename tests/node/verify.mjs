// Verify one webhook request with an npm library, to check that hookline's signatures interoperate.
// stdin: {"lib": "svix" | "standardwebhooks" | "clerk" | "ed25519", "secret"?: "whsec_..." | "whpk_...",
//         "headers": {...}, "body": "..."}
// "ed25519" checks a v1a signature with node:crypto and a whpk_ public key: the npm svix and
// standardwebhooks packages verify only v1 (HMAC) signatures.
// Clerk's verifyWebhook reads CLERK_WEBHOOK_SIGNING_SECRET when no secret is given.
// stdout: {"ok": true, "payload": ...} or {"ok": false, "error": "..."}; exit 0 verified, 1 rejected, 2 bad input.
import { createPublicKey, verify as verifySignature } from "node:crypto";
import { readFileSync } from "node:fs";

function verifyV1a(publicKey, headers, body) {
  const header = (name) => headers[`webhook-${name}`] ?? headers[`svix-${name}`];
  const raw = Buffer.from(publicKey.replace(/^whpk_/, ""), "base64");
  const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") }, format: "jwk" });
  const content = Buffer.from(`${header("id")}.${header("timestamp")}.${body}`, "utf8");
  for (const entry of header("signature").split(" ")) {
    const [version, signature] = entry.split(",");
    if (version === "v1a" && verifySignature(null, content, key, Buffer.from(signature, "base64"))) {
      return JSON.parse(body);
    }
  }
  throw new Error("no v1a signature matches the public key");
}

async function verify({ lib, secret, headers, body }) {
  if (lib === "svix" || lib === "standardwebhooks") {
    const { Webhook } = await import(lib);
    return new Webhook(secret).verify(body, headers) ?? null;
  }
  if (lib === "ed25519") {
    return verifyV1a(secret, headers, body);
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
