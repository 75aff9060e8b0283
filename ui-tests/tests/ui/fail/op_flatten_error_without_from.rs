// `flatten = true` returns the gateway's errors as the operation's own `E`, so `E` must
// implement `From<lmms::Error>`: one error, at `E`.
#[derive(Debug)]
pub struct ParseError(String);

#[lmms::operation(interface = "text", op = "parse", flatten = true, dynamic = false)]
pub fn parse(s: String) -> Result<u32, ParseError> {
    s.parse().map_err(|_| ParseError(s))
}

fn main() {
    let _: Result<u32, ParseError> = parse("1".to_string());
}
