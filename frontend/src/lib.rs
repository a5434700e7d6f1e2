//! The wasm entry point: hydrates the console's islands (the interactive parts of its
//! server-rendered pages) in the browser.
#![forbid(unsafe_code)]

// The islands are defined in the app crate; linking it brings their hydration functions.
pub use keyward_app;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    leptos::mount::hydrate_islands();
    // The end-to-end tests wait for this mark before they use an island.
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
