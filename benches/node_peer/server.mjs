// The Node peer `make bench` measures the product against: what a team might deploy
// instead. node:http with one process per core (node:cluster), the id-token cookie
// verified with aws-jwt-verify against the pool's JWKS, and the page rendered with
// React's renderToString. Run with NODE_ENV=production, as people deploy it.
//
// Environment: PEER_PORT, PEER_ISSUER, PEER_CLIENT_ID, PEER_JWKS (the pool's JWKS as
// JSON: aws-jwt-verify fetches JWKS over https only).
import cluster from "node:cluster";
import http from "node:http";
import os from "node:os";
import { JwtRsaVerifier } from "aws-jwt-verify";
import { createElement as h } from "react";
import { renderToString } from "react-dom/server";

const { PEER_PORT, PEER_ISSUER, PEER_CLIENT_ID, PEER_JWKS } = process.env;

if (cluster.isPrimary) {
  for (let i = 0; i < os.availableParallelism(); i++) cluster.fork();
  cluster.on("exit", (worker, code) => {
    console.error(`worker ${worker.process.pid} exited with ${code}`);
    process.exit(1);
  });
} else {
  const verifier = JwtRsaVerifier.create({
    issuer: PEER_ISSUER,
    audience: PEER_CLIENT_ID,
    jwksUri: `${PEER_ISSUER}/.well-known/jwks.json`,
  });
  verifier.cacheJwks(JSON.parse(PEER_JWKS));

  const Page = ({ email }) =>
    h(
      "html",
      { lang: "en" },
      h(
        "head",
        null,
        h("meta", { charSet: "utf-8" }),
        h("meta", { name: "viewport", content: "width=device-width, initial-scale=1" }),
        h("link", { rel: "stylesheet", href: "/pkg/app.css" }),
        h("title", null, "leptos-cognito"),
      ),
      h(
        "body",
        null,
        h("header", null, h("a", { href: "/", className: "brand" }, "leptos-cognito")),
        h("main", null, email ? h(Greeting, { email }) : h(SignIn)),
      ),
    );
  const Greeting = ({ email }) =>
    h(
      "section",
      { className: "card" },
      h("h1", null, `Hello ${email}`),
      h("nav", null, h("a", { href: "/profile" }, "Profile"), h("a", { href: "/logout" }, "Logout")),
    );
  const SignIn = () =>
    h(
      "section",
      { className: "card" },
      h("h1", null, "Welcome"),
      h("button", { type: "button" }, "Register"),
      h("button", { type: "button" }, "Sign In"),
    );

  async function signedInEmail(cookie) {
    const token = /(?:^|;\s*)id_token=([^;]+)/.exec(cookie ?? "")?.[1];
    if (!token) return null;
    try {
      return (await verifier.verify(token)).email;
    } catch {
      return null;
    }
  }

  http
    .createServer(async (request, response) => {
      const email = await signedInEmail(request.headers.cookie);
      const html = "<!DOCTYPE html>" + renderToString(h(Page, { email }));
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      response.end(html);
    })
    .listen(Number(PEER_PORT), "127.0.0.1");
}
