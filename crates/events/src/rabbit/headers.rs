//! The AMQP headers boxoffice sets and reads.

use lapin::types::{AMQPValue, FieldTable, LongString};

/// W3C trace context of the code that published the event.
pub const TRACEPARENT_HEADER: &str = "traceparent";
/// Which attempt the next delivery of this message is (1 for the first delivery).
pub const ATTEMPT_HEADER: &str = "x-attempt";
/// Why a message was dead-lettered.
pub const DEATH_REASON_HEADER: &str = "x-death-reason";
/// The last failure of a message waiting in a retry queue.
pub const LAST_ERROR_HEADER: &str = "x-last-error";

pub(crate) fn set_string(headers: &mut FieldTable, name: &str, value: &str) {
    headers.insert(
        name.into(),
        AMQPValue::LongString(LongString::from(value.as_bytes().to_vec())),
    );
}

pub(crate) fn set_u32(headers: &mut FieldTable, name: &str, value: u32) {
    headers.insert(name.into(), AMQPValue::LongLongInt(i64::from(value)));
}

pub fn get_string(headers: Option<&FieldTable>, name: &str) -> Option<String> {
    match headers?.inner().get(name)? {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_owned()),
        _ => None,
    }
}

pub fn get_u32(headers: Option<&FieldTable>, name: &str) -> Option<u32> {
    let value = match headers?.inner().get(name)? {
        AMQPValue::LongLongInt(v) => *v,
        AMQPValue::LongInt(v) => i64::from(*v),
        AMQPValue::LongUInt(v) => i64::from(*v),
        AMQPValue::ShortInt(v) => i64::from(*v),
        AMQPValue::ShortUInt(v) => i64::from(*v),
        _ => return None,
    };
    u32::try_from(value).ok()
}
