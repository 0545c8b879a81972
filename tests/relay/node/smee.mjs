// Run the stock smee-client against a hookline relay channel: node smee.mjs SOURCE_URL TARGET_URL
import SmeeClient from "smee-client";

const [source, target] = process.argv.slice(2);
const logger = {
  info: (...args) => console.log(...args),
  error: (...args) => console.log("error:", ...args),
};
const client = new SmeeClient({ source, target, logger });
await client.start();
console.log("smee-ready");
process.on("SIGTERM", async () => {
  await client.stop();
  process.exit(0);
});
