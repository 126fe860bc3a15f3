//! A listing's price: free (`null`) or `{currency, up_front, monthly}`, amounts exact
//! ([`Decimal`]) in an ISO 4217 currency, never more precise than its minor digits.

use crate::error::{FieldError, FieldErrorCode};
use iso_currency::Currency;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use std::str::FromStr;

/// The price of a listing that is not free.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pricing {
    /// ISO 4217 alphabetic code (`EUR`).
    pub currency: String,
    /// Paid once, at subscription.
    pub up_front: Decimal,
    /// Paid every month.
    pub monthly: Decimal,
    /// The currency's minor digits (JPY 0, EUR 2, BHD 3): amounts are written with exactly these.
    pub minor_digits: u32,
}

impl Pricing {
    /// Whether anything is to be paid (a price above zero).
    pub fn is_paid(&self) -> bool {
        !self.up_front.is_zero() || !self.monthly.is_zero()
    }

    /// An amount as the wire writes it: exactly the currency's minor digits (`"9.90"`).
    pub fn amount_text(&self, amount: Decimal) -> String {
        let mut amount = amount;
        amount.rescale(self.minor_digits);
        amount.to_string()
    }
}

impl Serialize for Pricing {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = serializer.serialize_struct("Pricing", 3)?;
        out.serialize_field("currency", &self.currency)?;
        out.serialize_field("up_front", &self.amount_text(self.up_front))?;
        out.serialize_field("monthly", &self.amount_text(self.monthly))?;
        out.end()
    }
}

impl<'de> Deserialize<'de> for Pricing {
    /// Reads what [`Serialize`] writes, with [`parse_pricing`]'s checks (`null` is not a
    /// `Pricing`: an `Option<Pricing>` reads it as free).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        match parse_pricing(&value, "") {
            Ok(Some(pricing)) => Ok(pricing),
            Ok(None) => Err(serde::de::Error::custom("a price, not null")),
            Err(errors) => Err(serde::de::Error::custom(
                errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            )),
        }
    }
}

/// The minor digits of an ISO 4217 currency code; `None` for a code that is not one, or a unit
/// without minor digits (gold, SDR).
pub fn minor_digits(code: &str) -> Option<u32> {
    Currency::from_code(code)
        .and_then(Currency::exponent)
        .map(u32::from)
}

/// Parses a pricing document at `path` (`/pricing`): `null` is free; every problem is reported
/// (`type` for a non-object or a number amount, `option` for an unknown currency, `required`,
/// `format` for a malformed amount or one finer than the currency's minor digits, `min` below
/// zero, `unknown_key`).
pub fn parse_pricing(value: &Value, path: &str) -> Result<Option<Pricing>, Vec<FieldError>> {
    let object = match value {
        Value::Null => return Ok(None),
        Value::Object(object) => object,
        _ => {
            return Err(vec![FieldError::new(
                path,
                FieldErrorCode::Type,
                "expected null (free) or an object {currency, up_front, monthly}",
            )]);
        }
    };
    let mut errors = Vec::new();
    for key in object.keys() {
        if !matches!(key.as_str(), "currency" | "up_front" | "monthly") {
            errors.push(FieldError::new(
                format!("{path}/{key}"),
                FieldErrorCode::UnknownKey,
                "pricing has currency, up_front and monthly",
            ));
        }
    }
    let currency_path = format!("{path}/currency");
    let currency = match object.get("currency") {
        None => {
            errors.push(FieldError::new(
                &currency_path,
                FieldErrorCode::Required,
                "an ISO 4217 currency code is required",
            ));
            None
        }
        Some(Value::String(code)) => match minor_digits(code) {
            Some(digits) => Some((code.clone(), digits)),
            None => {
                errors.push(FieldError::new(
                    &currency_path,
                    FieldErrorCode::Option,
                    format!("{code:?} is not an ISO 4217 currency code with minor digits"),
                ));
                None
            }
        },
        Some(_) => {
            errors.push(FieldError::new(
                &currency_path,
                FieldErrorCode::Type,
                "expected a string such as \"EUR\"",
            ));
            None
        }
    };
    let digits = currency.as_ref().map(|(_, digits)| *digits);
    let up_front = amount(
        object.get("up_front"),
        &format!("{path}/up_front"),
        digits,
        &mut errors,
    );
    let monthly = amount(
        object.get("monthly"),
        &format!("{path}/monthly"),
        digits,
        &mut errors,
    );
    match (currency, up_front, monthly) {
        (Some((currency, minor_digits)), Some(up_front), Some(monthly)) if errors.is_empty() => {
            Ok(Some(Pricing {
                currency,
                up_front,
                monthly,
                minor_digits,
            }))
        }
        _ => Err(errors),
    }
}

/// One amount: a decimal string, at least zero, no finer than `digits` (when the currency is
/// known).
fn amount(
    value: Option<&Value>,
    path: &str,
    digits: Option<u32>,
    errors: &mut Vec<FieldError>,
) -> Option<Decimal> {
    let text = match value {
        None => {
            errors.push(FieldError::new(
                path,
                FieldErrorCode::Required,
                "an amount is required (\"0\" when nothing is charged)",
            ));
            return None;
        }
        Some(Value::String(text)) => text,
        Some(_) => {
            errors.push(FieldError::new(
                path,
                FieldErrorCode::Type,
                "expected the amount as a decimal string (\"9.90\"), never a number",
            ));
            return None;
        }
    };
    let well_formed = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-');
    let Some(amount) = well_formed.then(|| Decimal::from_str(text).ok()).flatten() else {
        errors.push(FieldError::new(
            path,
            FieldErrorCode::Format,
            format!("{text:?} is not a decimal amount such as \"9.90\""),
        ));
        return None;
    };
    if amount.is_sign_negative() && !amount.is_zero() {
        errors.push(FieldError::new(
            path,
            FieldErrorCode::Min,
            "an amount is at least 0",
        ));
        return None;
    }
    if let Some(digits) = digits
        && amount.normalize().scale() > digits
    {
        errors.push(FieldError::new(
            path,
            FieldErrorCode::Format,
            format!("at most {digits} decimal digits in this currency"),
        ));
        return None;
    }
    Some(amount)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn codes(value: Value) -> Vec<(String, &'static str)> {
        parse_pricing(&value, "/pricing")
            .unwrap_err()
            .into_iter()
            .map(|e| (e.path, e.code.as_str()))
            .collect()
    }

    #[test]
    fn amounts_are_written_with_the_currency_s_minor_digits() {
        let cases = [
            ("EUR", "9.9", "9.90"),
            ("JPY", "1200", "1200"),
            ("BHD", "1.5", "1.500"),
            ("EUR", "0", "0.00"),
        ];
        for (currency, amount, written) in cases {
            let pricing = parse_pricing(
                &json!({"currency": currency, "up_front": amount, "monthly": "0"}),
                "/pricing",
            )
            .unwrap()
            .unwrap();
            assert_eq!(serde_json::to_value(&pricing).unwrap()["up_front"], written);
        }
        assert_eq!(parse_pricing(&Value::Null, "/pricing"), Ok(None));
    }

    #[test]
    fn every_problem_is_named_with_its_path_and_code() {
        assert_eq!(
            codes(json!({"currency": "XYZ", "up_front": 5, "monthly": "-1"})),
            [
                ("/pricing/currency".to_owned(), "option"),
                ("/pricing/up_front".to_owned(), "type"),
                ("/pricing/monthly".to_owned(), "min"),
            ]
        );
        assert_eq!(
            codes(json!({"currency": "JPY", "up_front": "10.5", "monthly": "1e3"})),
            [
                ("/pricing/up_front".to_owned(), "format"),
                ("/pricing/monthly".to_owned(), "format"),
            ]
        );
        assert_eq!(
            codes(json!({"currency": "EUR", "up_front": "1.001", "extra": 1})),
            [
                ("/pricing/extra".to_owned(), "unknown_key"),
                ("/pricing/up_front".to_owned(), "format"),
                ("/pricing/monthly".to_owned(), "required"),
            ]
        );
        assert_eq!(codes(json!("free")), [("/pricing".to_owned(), "type")]);
        // Gold has no minor digits: not a currency a price is given in.
        assert_eq!(
            codes(json!({"currency": "XAU", "up_front": "1", "monthly": "1"})),
            [("/pricing/currency".to_owned(), "option")]
        );
    }

    #[test]
    fn trailing_zeros_beyond_the_minor_digits_are_accepted() {
        let pricing = parse_pricing(
            &json!({"currency": "EUR", "up_front": "9.900", "monthly": "0.0"}),
            "/pricing",
        )
        .unwrap()
        .unwrap();
        assert_eq!(pricing.amount_text(pricing.up_front), "9.90");
        assert!(pricing.is_paid());
    }
}
