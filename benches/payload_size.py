#!/usr/bin/env python3
"""What a browser downloads to run the app (`make bench` runs it after `make release`):
the release bundle's WASM, JS and CSS, brotli-compressed as the server sends them
(`make release` writes the .br files). Target: at most 80 KB.

`make release` splits the WASM (cargo-leptos `--split`): every page loads the main
module, and a lazy island's chunks (listed in the split manifest) load only on
the page that shows it. So the figures are per page, and for the whole build."""

import json
import pathlib
import sys

PKG = pathlib.Path(__file__).resolve().parent.parent / "target/site/pkg"
TARGET_KB = 80


def brotli_size(path: pathlib.Path) -> int:
    compressed = path.with_name(path.name + ".br")
    if not compressed.is_file():
        sys.exit(f"{compressed} is missing: run make release")
    return compressed.stat().st_size


def kb(size: int) -> str:
    return f"{size / 1024:.0f} KB"


def main() -> None:
    manifests = list(PKG.glob("__wasm_split_manifest.*.json"))
    # Every page: the main module and its JS (with the split loader) and the stylesheet.
    every_page = {
        kind: sum(brotli_size(f) for f in PKG.glob(f"*.{kind}") if not f.name.startswith(("chunk_", "split_")))
        for kind in ("wasm", "js", "css")
    }
    base = sum(every_page.values())
    whole = sum(brotli_size(f) for kind in ("wasm", "js", "css") for f in PKG.glob(f"*.{kind}"))
    lazy = []
    for manifest in manifests:
        for loader, chunks in sorted(json.loads(manifest.read_text()).items()):
            extra = sum(brotli_size(PKG / f"{chunk}.wasm") for chunk in chunks)
            island = loader.rsplit("_loader_", 1)[0]
            lazy.append(f"the {island} island's page {kb(base + extra)} (+{kb(extra)})")
    parts = ", ".join(f"{kind} {kb(size)}" for kind, size in every_page.items())
    print(
        f"client payload: {kb(base)} brotli on every page ({parts})"
        + "".join(f"; {page}" for page in lazy)
        + f"; whole build {kb(whole)} (target ≤ {TARGET_KB} KB)"
    )


if __name__ == "__main__":
    main()
