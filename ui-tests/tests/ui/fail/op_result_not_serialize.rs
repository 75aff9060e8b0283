// An operation is callable by name (`lmms::execute`), so its result must be `Serialize`:
// one error per operation, at the return type, naming `dynamic = false`.
pub struct Client {
    pub endpoint: String,
}

#[lmms::operation(interface = "sdk", op = "connect")]
pub fn connect(endpoint: String) -> Client {
    Client { endpoint }
}

#[lmms::operation(interface = "sdk", op = "connect_async")]
pub async fn connect_async(endpoint: String) -> Result<Client, String> {
    Ok(Client { endpoint })
}

fn main() {}
