//! The browser entry point: hydrates the HTML the server rendered.

// The admin console's view types nest deeply; release builds (without
// `erase_components`) need more room to compute their layout.
#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
