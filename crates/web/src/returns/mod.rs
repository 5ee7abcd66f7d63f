//! A return's pages: the pure pieces they are built from.

pub(crate) mod form;
