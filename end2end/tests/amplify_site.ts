// The smallest Amplify JS v6 app (amplify/main.ts, bundled with esbuild), served from `origin`:
// a page whose `window.amplify` holds Amplify's Auth functions, for the specs to call.
import { createServer, type Server } from "node:http";
import path from "node:path";
import { build } from "esbuild";

export async function serveAmplifyApp(origin: string): Promise<Server> {
  const bundle = await build({
    entryPoints: [path.join(__dirname, "../amplify/main.ts")],
    bundle: true,
    format: "esm",
    write: false,
    logLevel: "warning",
  });
  const script = bundle.outputFiles[0].text;
  const site = createServer((request, response) => {
    if (request.url?.startsWith("/app.js")) {
      response.writeHead(200, { "Content-Type": "text/javascript" });
      response.end(script);
    } else {
      response.writeHead(200, { "Content-Type": "text/html" });
      response.end('<!doctype html><title>Amplify app</title><script type="module" src="/app.js"></script>');
    }
  });
  await new Promise<void>((listening) => site.listen(Number(new URL(origin).port), "127.0.0.1", listening));
  return site;
}
