#!/usr/bin/env python3
"""What a browser downloads to run the app (`make bench` runs it after `make release`):
the release bundle's WASM, JS and CSS, brotli-compressed as the server sends them
(`make release` writes the .br files). Target: at most 80 KB.

`make release` splits the WASM (cargo-leptos `--split`): a page with islands loads
the main module, and a lazy island's chunks (listed in the split manifest) load
only on the page that shows it. A page without islands (signed in: the home page
and the profile) loads the CSS alone. So the figures are per page, and for the
whole build."""

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
    return f"{size / 1024:.1f} KB"


def main() -> None:
    # The split manifest names each lazy island's chunks; every other file loads on every page.
    lazy = {
        loader.rsplit("_loader_", 1)[0]: [PKG / f"{chunk}.wasm" for chunk in chunks]
        for manifest in PKG.glob("__wasm_split_manifest.*.json")
        for loader, chunks in sorted(json.loads(manifest.read_text()).items())
    }
    lazy_files = {path for chunks in lazy.values() for path in chunks}
    every_page = {
        kind: sum(brotli_size(f) for f in PKG.glob(f"*.{kind}") if f not in lazy_files)
        for kind in ("wasm", "js", "css")
    }
    base = sum(every_page.values())
    whole = base + sum(brotli_size(f) for f in lazy_files)
    parts = ", ".join(f"{kind} {kb(size)}" for kind, size in every_page.items())
    pages = ""
    for island, chunks in lazy.items():
        extra = sum(brotli_size(chunk) for chunk in chunks)
        pages += f"; the {island} island's page {kb(base + extra)} (+{kb(extra)})"
    print(
        f"client payload: {kb(base)} brotli on a page with islands ({parts}), "
        f"{kb(every_page['css'])} on a page without (css){pages}; "
        f"whole build {kb(whole)} (target ≤ {TARGET_KB} KB)"
    )


if __name__ == "__main__":
    main()
