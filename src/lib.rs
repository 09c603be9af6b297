//! MCP Guard's policy core: pure Rust, no I/O, no clock.
//!
//! One `/mcp` message goes through [`inspect::inspect`]: it is parsed ([`message`]), normalised into effects
//! ([`effects`], using [`relations`] and [`flows`]), judged ([`policy`]) and recorded ([`audit`]).
//! [`response`] shapes what the client gets back. The JS extension reaches all of it through [`wasm`] only.

pub mod audit;
pub mod effects;
pub mod flows;
pub mod inspect;
pub mod message;
pub mod policy;
pub mod relations;
pub mod response;
pub mod settings;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

#[cfg(test)]
mod effects_tests;
