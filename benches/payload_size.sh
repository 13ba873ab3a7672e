#!/usr/bin/env bash
# What a browser downloads to run the app: the release bundle's WASM, JS and
# CSS, brotli-compressed as the server sends them (`make release` writes the
# .br files). Target: at most 80 KB.
set -euo pipefail
cd "$(dirname "$0")/../target/site/pkg"
total=0
parts=()
for ext in wasm js css; do
    for file in *."$ext"; do
        [[ -f "$file.br" ]] || { echo "$file.br is missing: run make release" >&2; exit 1; }
        size=$(stat -c %s "$file.br")
        raw=$(stat -c %s "$file")
        total=$((total + size))
        parts+=("$ext $((size / 1024)) KB (raw $((raw / 1024)) KB)")
    done
done
printf -v detail '%s, ' "${parts[@]}"
echo "client payload: $((total / 1024)) KB brotli in all: ${detail%, } (target ≤ 80 KB)"
