// Sign one message with an npm library, so hookline can check that it verifies their signatures.
// stdin: {"lib": "svix" | "standardwebhooks", "secret": "whsec_...", "id": "msg_...", "timestamp": <unix s>, "body": "..."}
// stdout: {"signature": "v1,..."}; exit 2 on bad input.
import { readFileSync } from "node:fs";

try {
  const { lib, secret, id, timestamp, body } = JSON.parse(readFileSync(0, "utf8"));
  if (lib !== "svix" && lib !== "standardwebhooks") {
    throw new TypeError(`unknown lib ${JSON.stringify(lib)}`);
  }
  const { Webhook } = await import(lib);
  const signature = new Webhook(secret).sign(id, new Date(timestamp * 1000), body);
  console.log(JSON.stringify({ signature }));
} catch (error) {
  console.error(`bad input: ${error.message}`);
  process.exit(2);
}
