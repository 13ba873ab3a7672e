# The app with its embedded user pool, built in release mode.
# Untested here (no Docker engine on the development machines); everything it
# runs is exercised by `make test` outside containers.
FROM rust:1.95-bookworm AS build
# wasm-opt from npm's binaryen (Debian's is too old for this bundle; see the Makefile).
RUN apt-get update && apt-get install -y --no-install-recommends brotli nodejs npm && rm -rf /var/lib/apt/lists/* \
 && npm install --prefix /opt/binaryen --no-audit --no-fund binaryen@132.0.0
ENV PATH=/opt/binaryen/node_modules/.bin:$PATH
RUN rustup target add wasm32-unknown-unknown \
 && cargo install cargo-leptos --locked --version 0.3.10
WORKDIR /src
COPY . .
RUN cargo install wasm-bindgen-cli --version "$(sed -n '/^name = "wasm-bindgen"$/{n;s/^version = "\(.*\)"$/\1/p;}' Cargo.lock)" \
 && cargo leptos build --release --split \
 && cargo build --release -p userpool --bin userpool \
 && for f in target/site/pkg/*.wasm target/site/pkg/*.js target/site/pkg/*.css; do \
      brotli -k -q 11 "$f" && gzip -k -9 "$f"; done

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /app app && mkdir -p /data && chown app /data
WORKDIR /app
# hash.txt names the hashed bundles; the server reads it beside its binary.
COPY --from=build /src/target/release/server /src/target/release/userpool /src/target/release/hash.txt /usr/local/bin/
COPY --from=build /src/target/site ./site
COPY userpool.toml ./
USER app
# Listen on all interfaces inside the container; publish the ports you need.
ENV LEPTOS_SITE_ROOT=site \
    LEPTOS_SITE_ADDR=0.0.0.0:3000 \
    USERPOOL_LISTEN=0.0.0.0:9229 \
    USERPOOL_DATA_DIR=/data
VOLUME /data
EXPOSE 3000 9229
CMD ["server"]
