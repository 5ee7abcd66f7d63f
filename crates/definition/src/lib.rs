//! formwork's pure core: collection definitions, the expression language and the validation engine.
//!
//! Nothing here does I/O: the web server, the uploads and the command line all call these functions
//! with bytes and answers, and get back a [`Definition`] or validation items.
//!
//! Error policy: loading a definition never stops at the first problem; it collects every problem
//! as a [`Diagnostic`] with its line and column. Validating answers never fails either; every
//! problem with the answers is a validation item built by the one catalogue of messages.

pub mod carry;
pub mod currency;
pub mod diagnostic;
pub mod dictionary;
pub mod expr;
mod load;
pub mod messages;
pub mod model;
pub mod schedule;
pub mod source;
pub mod validate;
pub mod value;

pub use carry::{Carried, Dropped, carry_over};
pub use diagnostic::{Diagnostic, Span};
pub use load::{DEFAULT_MAX_ROWS, FORMAT_VERSION, load};
pub use model::{Definition, Kind, Question, QuestionType, Section, SectionContent, Severity, Table};
pub use value::Value;
