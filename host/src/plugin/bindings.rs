//! The generated bindings for the WIT package in `wit/` (the only `bindgen!` in the project).
//!
//! The host never instantiates a plugin as a whole world: a plugin exports one of the
//! interfaces, so the host binds an internal world that exports all three and loads only the
//! interface a component has, through its `GuestIndices`.

wasmtime::component::bindgen!({
    path: "../wit",
    inline: "
        package kubectl-chart:host;

        world plugins {
            export kubectl-chart:plugin/render@0.1.0;
            export kubectl-chart:plugin/lint@0.1.0;
            export kubectl-chart:plugin/post-render@0.1.0;
        }
    ",
});

pub use self::kubectl_chart::plugin::types;
pub use exports::kubectl_chart::plugin::{lint, post_render, render};
