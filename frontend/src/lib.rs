//! The browser entry point: hydrates the islands of the HTML the server rendered
//! (the interactive parts of the pages; everything else stays plain HTML).

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Links the app crate, whose islands register themselves with the page.
    app::link_islands();
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
