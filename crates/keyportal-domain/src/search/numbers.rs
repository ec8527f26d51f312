//! What a term or a range on a number field (`created`, `modified`) asks of a stored number,
//! decided once for every kind of document (items, groups, members).
//!
//! A range is accepted only with whole-number (or `*`) bounds: the matcher also compares text
//! ranges, with numbers compared as numbers wherever both sides parse, which no index can
//! serve; such a query is refused with a message naming the field.

use super::ast::{Bound, Value};
use super::matcher::integer;
use super::{invalid, quote};
use crate::error::DomainError;

/// A test of a stored number (epoch milliseconds, written `-?[0-9]+` in decimal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum NumberTest {
    All,
    Never,
    /// `lower <= value <= upper` (bounds inclusive or not, `None` unbounded; never both).
    Between {
        lower: Option<(i64, bool)>,
        upper: Option<(i64, bool)>,
    },
    /// The number written in decimal begins with these characters.
    Prefix(String),
}

/// A term on a number field: numeric equality, or a prefix of the decimal digits.
pub(super) fn number_term(value: &Value) -> NumberTest {
    let (text, prefix) = match value {
        Value::Any => return NumberTest::All,
        Value::Word { text, prefix, .. } => (text, *prefix),
        Value::Phrase { text, .. } => (text, false),
    };
    if prefix {
        // A stored number is written as `-?[0-9]+`; other characters never begin it.
        return if text.chars().all(|c| c.is_ascii_digit() || c == '-') {
            NumberTest::Prefix(text.clone())
        } else {
            NumberTest::Never
        };
    }
    match integer(text).map(i64::try_from) {
        Some(Ok(n)) => NumberTest::Between {
            lower: Some((n, true)),
            upper: Some((n, true)),
        },
        // Not a number, or beyond what a stored number can be.
        _ => NumberTest::Never,
    }
}

/// A range on the number field `field` (named in the error for bounds that are not numbers).
pub(super) fn number_range(
    field: &str,
    lower: &Bound,
    upper: &Bound,
) -> Result<NumberTest, DomainError> {
    let bound = |b: &Bound| -> Result<Option<i128>, DomainError> {
        match &b.value {
            None => Ok(None),
            Some(text) => integer(text).map(Some).ok_or_else(|| {
                invalid(format!(
                    "The bounds of a range on '{field}' must be whole numbers (epoch \
                     milliseconds) or '*', not '{}'.",
                    quote(text)
                ))
            }),
        }
    };
    let (low, high) = (bound(lower)?, bound(upper)?);
    // Bounds beyond the stored numbers' range are folded: either every value passes the bound
    // or none does.
    let low = match low {
        None => None,
        Some(n) if n > i128::from(i64::MAX) => return Ok(NumberTest::Never),
        Some(n) if n < i128::from(i64::MIN) => None,
        Some(n) => i64::try_from(n).ok().map(|n| (n, lower.inclusive)),
    };
    let high = match high {
        None => None,
        Some(n) if n < i128::from(i64::MIN) => return Ok(NumberTest::Never),
        Some(n) if n > i128::from(i64::MAX) => None,
        Some(n) => i64::try_from(n).ok().map(|n| (n, upper.inclusive)),
    };
    Ok(match (low, high) {
        (None, None) => NumberTest::All,
        (lower, upper) => NumberTest::Between { lower, upper },
    })
}

/// The refusal of a range on a field that is not a number.
pub(super) fn range_refused(field: &str) -> DomainError {
    invalid(format!(
        "Ranges are supported on created and modified only, not on '{}'.",
        quote(field)
    ))
}
