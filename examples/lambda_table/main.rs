//! # lambda_table — a Lambda function written the way users write them, with lmms
//!
//! A checkout-pricing function: a typed handler (serde request and response structs), an
//! SDK-style client built asynchronously, and a ~100 MiB lookup table built blocking,
//! served by `lmms::lambda` under `#[tokio::main]`'s default multi-thread runtime. It is
//! meant for a 128 MB function: the table fits once, next to the runtime, and lmms gives
//! it back when memory runs short instead of the function running out.
//!
//! - `PricesClient` stands in for an AWS SDK client (no SDK in this workspace): its
//!   `async` init is where `aws_config::load_from_env().await` and the client's
//!   construction would go. Policy `core`: built on the first request, kept.
//! - `TariffTable` is the lookup table: `TABLE_MIB` MiB (default 100) of tariff rates,
//!   built blocking on the first request that needs one (a real function would read a
//!   file shipped in a layer). Policy `utility`: unloaded under memory pressure (the
//!   default `cost` strategy, whose budget is Lambda's configured memory) or, with
//!   `UNLOAD_STRATEGY=idle`, once it has been idle for its grace period.
//! - `main` is one line: `lmms::lambda::run_concurrent` preloads at INIT (from
//!   `LMMS_HEAT_PROFILE`, if set), sweeps after each response (or in the background on
//!   Lambda Managed Instances) and logs one EMF metrics line per invocation.
//!
//! ```text
//! cargo test --features lambda --example lambda_table     # the handler, no AWS
//! cargo lambda build --release --features lambda --example lambda_table
//! ```

use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Heap bytes are counted per module, so the metrics report what unloads give back.
#[global_allocator]
static ALLOC: lmms::memory::CountingAlloc = lmms::memory::CountingAlloc::system();

/// A stand-in for an AWS SDK client: built asynchronously (configuration, credentials).
#[lmms::module(name = "prices_client", policy = "core", async_init)]
pub struct PricesClient {
    region: String,
}

impl lmms::AsyncInit for PricesClient {
    async fn init() -> Result<Self, lmms::InitError> {
        // `aws_config::load_from_env().await` would go here.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let region = std::env::var("AWS_REGION").unwrap_or_else(|_| "eu-west-1".into());
        Ok(PricesClient { region })
    }
}

/// The unit price of a SKU, in cents (a `GetItem` on a real client).
#[lmms::operation(interface = "prices", op = "unit_price", module = PricesClient)]
pub async fn unit_price(client: &PricesClient, sku: String) -> u64 {
    let base = sku
        .bytes()
        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    100 + base % 9_900 + client.region.len() as u64
}

/// The lookup table: one tariff rate (basis points) per tariff code.
#[lmms::module(name = "tariff_table", policy = "utility")]
pub struct TariffTable {
    rates_bp: Vec<u32>,
}

impl lmms::Init for TariffTable {
    fn init() -> Result<Self, lmms::InitError> {
        let mib: usize = match std::env::var("TABLE_MIB") {
            Ok(v) => v.parse().map_err(|_| {
                lmms::InitError::msg(format!("TABLE_MIB={v:?} is not a number of MiB"))
            })?,
            Err(_) => 100,
        };
        let entries = (mib << 20) / std::mem::size_of::<u32>();
        let rates_bp = (0..entries)
            .map(|code| (code as u32).wrapping_mul(2_654_435_761) % 2_500)
            .collect();
        Ok(TariffTable { rates_bp })
    }
}

/// The tariff rate of a code, or `None` if the table has no such code.
#[lmms::operation(interface = "tariff", op = "rate", module = TariffTable)]
pub fn tariff_rate(table: &TariffTable, code: u64) -> Option<u32> {
    usize::try_from(code)
        .ok()
        .and_then(|i| table.rates_bp.get(i))
        .copied()
}

/// The event: what to price.
#[derive(Debug, Deserialize)]
pub struct Request {
    pub sku: String,
    pub quantity: u32,
    pub tariff_code: u64,
}

/// The response.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Quote {
    pub sku: String,
    pub unit_price_cents: u64,
    pub tariff_bp: u32,
    pub total_cents: u64,
}

/// The handler, as with plain `lambda_runtime`: lmms calls are ordinary function calls.
pub async fn handler(event: LambdaEvent<Request>) -> Result<Quote, Error> {
    let req = event.payload;
    let unit = unit_price(req.sku.clone()).await?;
    let tariff_bp = tariff_rate(req.tariff_code)?
        .ok_or_else(|| format!("unknown tariff code {}", req.tariff_code))?;
    let net = unit
        .checked_mul(u64::from(req.quantity))
        .ok_or("quantity too large")?;
    let total = net
        .checked_add(net * u64::from(tariff_bp) / 10_000)
        .ok_or("total too large")?;
    Ok(Quote {
        sku: req.sku,
        unit_price_cents: unit,
        tariff_bp,
        total_cents: total,
    })
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    lmms::lambda::run_concurrent(service_fn(handler)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_runtime::Context;

    fn event(sku: &str, quantity: u32, tariff_code: u64) -> LambdaEvent<Request> {
        let req = Request {
            sku: sku.into(),
            quantity,
            tariff_code,
        };
        LambdaEvent::new(req, Context::default())
    }

    /// One test (the gateway is process-wide): builds, answers, errors, unload.
    #[tokio::test]
    async fn prices_with_the_client_and_the_table() {
        std::env::set_var("TABLE_MIB", "4");
        let gw = lmms::gateway();
        let q = handler(event("sku-1", 3, 42)).await.unwrap();
        let rate = 42u32.wrapping_mul(2_654_435_761) % 2_500;
        assert_eq!(q.tariff_bp, rate);
        assert_eq!(
            q.total_cents,
            q.unit_price_cents * 3 + q.unit_price_cents * 3 * u64::from(rate) / 10_000
        );
        let resident: Vec<&str> = (gw.modules().into_iter())
            .filter(|m| m.resident)
            .map(|m| m.name)
            .collect();
        assert!(
            resident.contains(&"prices_client") && resident.contains(&"tariff_table"),
            "{resident:?}"
        );
        let bytes = (gw.modules().into_iter())
            .find(|m| m.name == "tariff_table")
            .and_then(|m| m.bytes);
        assert!(
            bytes.is_some_and(|b| b >= 4 << 20),
            "the table's bytes are counted: {bytes:?}"
        );

        let e = handler(event("sku-1", 1, 1 << 40)).await.unwrap_err();
        assert_eq!(e.to_string(), format!("unknown tariff code {}", 1u64 << 40));

        // What the boundary's sweep may do to the table under memory pressure.
        gw.unload("tariff_table").unwrap();
        let again = handler(event("sku-1", 3, 42)).await.unwrap();
        assert_eq!(again, q, "rebuilt the same");
    }
}
