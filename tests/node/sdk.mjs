// Run a sequence of npm `svix` SDK calls against a server, to check the API through the JavaScript client.
// stdin: {"url": "http://…", "token": "…", "calls": [["endpoint.create", [appId, {...}]], ...]}
// An argument {"$result": [i, "path.to.field"]} is replaced by that field of call i's result.
// stdout: one {"ok": true, "result": …} or {"ok": false, "status": 4xx, "body": …, "error": "…"} per call.
import { readFileSync } from "node:fs";
import { Svix } from "svix";

function resolve(value, results) {
  if (Array.isArray(value)) return value.map((v) => resolve(v, results));
  if (value && typeof value === "object") {
    if ("$result" in value) {
      const [index, path] = value.$result;
      return path.split(".").filter(Boolean).reduce((acc, key) => acc?.[key], results[index]?.result);
    }
    if ("$date" in value) return new Date(value.$date);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, results)]));
  }
  return value;
}

const input = JSON.parse(readFileSync(0, "utf8"));
const svix = new Svix(input.token, { serverUrl: input.url });
const results = [];
for (const [name, args] of input.calls) {
  const parts = name.split(".");
  const method = parts.pop();
  const target = parts.reduce((acc, key) => acc[key], svix);
  try {
    const result = await target[method](...resolve(args ?? [], results));
    results.push({ ok: true, result: result ?? null });
  } catch (error) {
    results.push({
      ok: false,
      status: error?.code ?? null,
      body: error?.body ?? null,
      error: String(error?.message ?? error),
    });
  }
}
console.log(JSON.stringify(results));
