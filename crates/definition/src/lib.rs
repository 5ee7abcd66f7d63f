//! formwork's pure core: collection definitions, the expression language and the validation engine.
//!
//! Nothing here does I/O: the web server, the uploads and the command line all call these functions
//! with bytes and answers, and get back a [`Definition`] or validation items.
//!
//! Error policy: loading a definition never fails fast; it collects every problem as a
//! [`Diagnostic`]. Validating answers never fails either; every problem with the answers is an
//! [`validate::Item`] from the one catalogue ([`messages`]).

pub mod diagnostic;
pub mod expr;
pub mod source;
pub mod value;

pub use diagnostic::{Diagnostic, Span};
