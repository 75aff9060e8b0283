//! A borrow inside an argument's type is named at the borrow, with the fix: callable by
//! name, the argument comes from JSON (owned); cached, it is kept as the key.

use std::borrow::Cow;

#[lmms::operation(interface = "text", op = "first_word")]
pub fn first_word(s: Option<&str>) -> usize {
    s.map_or(0, str::len)
}

#[lmms::operation(interface = "text", op = "shout", cache_ttl = "1m", dynamic = false)]
pub fn shout(s: Cow<'_, str>) -> String {
    s.to_uppercase()
}

fn main() {
    let _ = first_word(Some("a b"));
    let _ = shout(Cow::Borrowed("hi"));
}
