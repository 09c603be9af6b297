//! MCP Guard's policy core: pure Rust, no I/O, no clock.
//!
//! One `/mcp` message goes through [`inspect::inspect`]: it is parsed ([`message`]), normalised into effects
//! ([`effects`], using [`relations`], [`query_paths`] and [`flows`]), judged ([`policy`], against
//! [`settings`] checked with the [`directory`] and [`network`] rules) and recorded ([`audit`]).
//! [`response`] shapes what the client gets back, and [`listing`] takes forbidden tools out of tool lists.
//! The JS extension reaches all of it through [`wasm`] only, and runs [`warm_up`]'s samples through it when
//! it loads.

pub mod audit;
pub mod directory;
pub mod effects;
pub mod filter;
pub mod flows;
pub mod injection;
pub mod inspect;
pub mod js_number;
pub mod lexer;
pub mod listing;
pub mod message;
pub mod network;
pub mod policy;
pub mod prefilter;
pub mod query_paths;
pub mod recipients;
pub mod relations;
pub mod response;
pub mod secrets;
pub mod settings;
pub mod simd;
pub mod template;
pub mod warm_up;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

#[cfg(test)]
mod effects_tests;
