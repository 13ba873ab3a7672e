# The app with its embedded user pool, built in release mode.
# Untested here (no Docker engine on the development machines); everything it
# runs is exercised outside containers (`make release`, `make test`).
FROM rust:1.95-bookworm AS build
# make release installs wasm-opt with npm; brotli precompresses the bundle.
RUN apt-get update && apt-get install -y --no-install-recommends brotli nodejs npm && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown \
 && cargo install cargo-leptos --locked --version 0.3.10
WORKDIR /src
COPY . .
# The release build exactly as `make release` makes it (wasm-opt from npm's binaryen, the split
# bundle, .br/.gz copies), then the standalone pool.
RUN make release \
 && cargo build --release -p userpool --bin userpool

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
