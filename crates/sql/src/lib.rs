//! SQL front ends. Text goes in; statements with source spans come out. Nothing downstream sees raw SQL
//! except through a [`postgres::Statement`] and its span.

pub mod change;
pub mod expr;
pub mod guard;
pub mod immutable;
pub mod lex;
pub mod memo;
pub mod outline;
pub mod plpgsql;
pub mod postgres;
pub mod raw;
pub mod read;
pub mod shorten;
pub mod source;
pub mod split;
pub mod suppress;

pub use outline::Outline;
pub use postgres::{
    Note, ParseOptions, ParsedFile, Statement, SyntaxError, parse_file, parse_file_opts,
    parse_file_with, take_refused,
};
pub use source::{Excerpt, FileId, LineCol, SourceFile, SourceMap, Span, place_in};
pub use suppress::Suppression;

/// The parser's node types, re-exported so analyses name one version of them.
pub use pg_query::protobuf as ast;
pub use pg_query::protobuf::node::Node as NodeEnum;
