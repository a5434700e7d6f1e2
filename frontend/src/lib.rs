//! The wasm entry point: hydrates the server-rendered console in the browser.
#![forbid(unsafe_code)]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // The release build aborts on panic without running any hook (`scripts/build`), so the hook
    // that prints panics to the browser console is only set in other builds.
    #[cfg(not(panic = "immediate-abort"))]
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_lazy(keyward_app::App);
}
