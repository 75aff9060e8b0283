// An operation is callable by name (`lmms::execute`), so each argument must be
// `Deserialize`: one error per argument, at its type, naming `dynamic = false`.
pub struct Client {
    pub endpoint: String,
}

#[lmms::operation(interface = "sdk", op = "ping")]
pub fn ping(client: Client, times: u32) -> u32 {
    times + client.endpoint.len() as u32
}

fn main() {}
